"""How good the atlas is, measured against the truth the Hub declares. Takes frames; reads no crawl.

params    sizes parsed from names against true parameter counts
lineage   hide declared lineage, infer it back, score against the hidden truth
atlas     how well communities and clusters follow declared families
baseline  the paper's method (Gao & Gao, 2023), re-implemented to compare against
sections  what a section takes (EvaluationInput: frames, read by the caller) and returns (Section)
report    `constellation evaluate`: the sections above, rendered
"""
