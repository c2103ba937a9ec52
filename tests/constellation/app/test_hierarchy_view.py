"""The linkage behind the dendrogram page when the atlas saved none: computed from the layout."""

from __future__ import annotations

import pandas as pd

from constellation.app.data import load_atlas
from constellation.app.hierarchy_view import community_tree
from constellation.contract import DataLayout


def test_without_a_saved_tree_communities_are_clustered_by_layout_centroid(atlas_root):
    atlas = load_atlas(DataLayout(atlas_root))
    tree = community_tree({}, atlas.communities, atlas.models)
    communities = atlas.models["community"].nunique()
    assert tree.linkage.shape == (communities - 1, 4)
    assert sorted(tree.keys) == sorted(atlas.models["community"].unique().tolist())
    labels = atlas.communities.set_index("community")["label"]
    assert tree.labels == [f"{k}: {labels[k]}" for k in tree.keys]
    assert tree.source.startswith("computed here from the layout centroids")


def test_labels_fall_back_to_the_models_community_label():
    models = pd.DataFrame(
        {
            "community": [0, 0, 1, 2],
            "community_label": ["a", "a", None, "c"],
            "x": [0.0, 0.1, 5.0, 9.0],
            "y": [0.0, 0.0, 5.0, 9.0],
        }
    )
    tree = community_tree({}, pd.DataFrame(), models)
    assert dict(zip(tree.keys, tree.labels, strict=True)) == {0: "0: a", 1: "1", 2: "2: c"}
