"""Genealogy: who derives from whom, and how big each model is.

params     parameter counts from metadata, else from the name (MoE and active forms too)
declared   the parent → child edges that authors state in `base_model` metadata
inferred   parents proposed for models that declare none, from names and metadata
stage      `annotate`: the build's genealogy stage over one snapshot
"""
