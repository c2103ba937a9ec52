"""The atlas: a map of the Hub by name similarity, grouped into communities and trees.

config       AtlasConfig: every setting of the stage, validated
features     TF-IDF over word and character n-grams of the tokenised names
knn          the k-nearest-neighbour cosine graph, without a dense n×n matrix
communities  Louvain communities of that graph, and their labels
hierarchy    hierarchical clustering that scales (a tree of the atlas, a tree per community)
layout       2-D coordinates: communities together, related communities near each other
stage        `map_atlas`: the build's atlas stage, from annotated models to the map
"""
