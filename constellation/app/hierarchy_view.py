"""The linkage matrices behind the dendrogram page.

The atlas stage saves linkages under hierarchy/ (over community centroids, and inside communities); this
module finds them. When an atlas has none (an early build), it computes a small one itself, with the
same recipe the stage uses at scale — linkage over community centroids of the 2-D layout, and inside
a community over the char n-grams of its most-downloaded names — and says so under the figure.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage as scipy_linkage
from scipy.spatial.distance import pdist

from constellation.atlas import hierarchy as saved
from constellation.site_views import (
    MEMBER_TREE_SOURCE,
    TreeView,
    atlas_community_tree,
    centroid_tree,
    community_labels,
    is_linkage,
)

log = logging.getLogger(__name__)

MAX_MEMBERS = 150  # names in one community's tree when computed here (the most-downloaded)


def community_tree(hierarchy: dict[str, Any], communities: pd.DataFrame, models: pd.DataFrame) -> TreeView | None:
    """The atlas-level tree: the atlas's own when it saved one, else computed here from the layout."""
    found = atlas_community_tree(hierarchy)
    if found is not None:
        return found
    return _centroid_tree(models, community_labels(models, communities).dropna().astype(str).to_dict())


def member_tree(hierarchy: dict[str, Any], community: Any, members: pd.DataFrame) -> TreeView | None:
    """The tree of one community down to model names: the atlas's when it saved one, else computed here."""
    if "community_linkage" in hierarchy and "community_trees" in hierarchy and "members" in hierarchy:
        try:
            found = saved.community_tree(hierarchy, int(community))
        except (saved.HierarchyError, KeyError, ValueError) as exc:
            log.warning("tree of community %s unreadable, computing one: %s", community, exc)
        else:
            return saved_member_tree(*found)
    return names_tree(members)


def saved_member_tree(linkage: np.ndarray, labels: list[str]) -> TreeView | None:
    """A community's tree as the build saved it (hierarchy/, or the site's member_trees.parquet); None for a
    community of one leaf."""
    return TreeView(linkage, labels, labels, MEMBER_TREE_SOURCE) if is_linkage(linkage) else None


def names_tree(members: pd.DataFrame, max_names: int = MAX_MEMBERS) -> TreeView | None:
    """Average-linkage tree of the most-downloaded names by cosine distance of char 3–5-grams."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(members) < 2:
        return None
    top = members.assign(_dl=pd.to_numeric(members.get("downloads"), errors="coerce").fillna(-1))
    top = top.sort_values(["_dl", "id"], ascending=[False, True]).head(max_names)
    ids = top["id"].astype(str).tolist()
    names = [i.split("/", 1)[-1].lower() for i in ids]
    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), dtype=np.float32).fit_transform(names)
    distances = np.clip(pdist(matrix.toarray(), metric="cosine"), 0, None)
    distances = np.nan_to_num(distances, nan=1.0)
    z = scipy_linkage(distances, method="average")
    note = f"computed here over the {len(ids):,} most-downloaded names" + (
        f" of {len(members):,}" if len(members) > len(ids) else ""
    )
    return TreeView(z, ids, ids, note)


def _centroid_tree(models: pd.DataFrame, labels: dict[Any, str]) -> TreeView | None:
    tree = centroid_tree(models, labels)
    if tree is None:
        return None
    return replace(
        tree, source=f"computed here from the layout centroids of the {len(tree.keys):,} largest communities"
    )
