"""Genealogy: who derives from whom, and how big each model is.

params     parameter counts from metadata, else from the name (MoE and active forms too)
declared   the parent → child edges that authors state in `base_model` metadata
features   what inferred lineage reads of each model (name keys, markers), computed once per snapshot
inferred   parents proposed for models that declare none, from names and metadata
stage      `annotate`: the build's genealogy stage over one snapshot
"""
