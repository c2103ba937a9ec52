"""The linkage matrices behind the dendrogram page.

The atlas stage saves linkages under hierarchy/ (over community centroids, and inside communities); this
module finds them. When an atlas has none (an early build), it computes a small one itself, with the
same recipe the stage uses at scale — linkage over community centroids of the 2-D layout, and inside
a community over the char n-grams of its most-downloaded names — and says so under the figure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage as scipy_linkage
from scipy.spatial.distance import pdist

from constellation.app.overview import community_labels
from constellation.atlas import hierarchy as saved

log = logging.getLogger(__name__)

MAX_COMMUNITIES = 300  # leaves of the atlas-level tree when computed here (the largest communities)
MAX_MEMBERS = 150  # names in one community's tree when computed here (the most-downloaded)


@dataclass
class LinkageView:
    linkage: np.ndarray  # scipy format, (n-1) × 4
    labels: list[str]  # one per leaf, in the linkage's order
    keys: list[Any]  # the community number or model id of each leaf
    source: str  # where it came from, shown to the visitor


def is_linkage(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[1] == 4 and value.shape[0] >= 1


def community_tree(hierarchy: dict[str, Any], communities: pd.DataFrame, models: pd.DataFrame) -> LinkageView | None:
    """The atlas-level tree: the atlas's own when it saved one, else computed here from the layout."""
    if "atlas_linkage" in hierarchy and "atlas_leaves" in hierarchy:
        try:
            z, labels = saved.atlas_tree(hierarchy)
        except (saved.HierarchyError, KeyError) as exc:
            log.warning("atlas tree unreadable, computing one: %s", exc)
        else:
            leaves = hierarchy["atlas_leaves"]
            # A small atlas's tree is over every model; the community-level view then comes from the layout.
            if is_linkage(z) and "community" in leaves and len(leaves) and leaves["community"].is_unique:
                keys = leaves["community"].tolist()
                return LinkageView(
                    z, labels, keys, "the atlas's tree over community centroids (hierarchy/atlas_linkage)"
                )
    return _centroid_tree(models, community_labels(models, communities).dropna().astype(str).to_dict())


def member_tree(hierarchy: dict[str, Any], community: Any, members: pd.DataFrame) -> LinkageView | None:
    """The tree of one community down to model names: the atlas's when it saved one, else computed here."""
    if "community_linkage" in hierarchy and "community_trees" in hierarchy and "members" in hierarchy:
        try:
            z, labels = saved.community_tree(hierarchy, int(community))
        except (saved.HierarchyError, KeyError, ValueError) as exc:
            log.warning("tree of community %s unreadable, computing one: %s", community, exc)
        else:
            if is_linkage(z):
                return LinkageView(
                    z, labels, labels, "the atlas's tree of this community (hierarchy/community_linkage)"
                )
            return None
    return names_tree(members)


def names_tree(members: pd.DataFrame, max_names: int = MAX_MEMBERS) -> LinkageView | None:
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
    return LinkageView(z, ids, ids, note)


def _centroid_tree(models: pd.DataFrame, labels: dict[Any, str]) -> LinkageView | None:
    if not {"community", "x", "y"} <= set(models.columns) or not models["community"].notna().any():
        return None
    frame = models[["community", "x", "y"]].dropna()
    grouped = frame.groupby("community", observed=True).agg(x=("x", "mean"), y=("y", "mean"), size=("x", "size"))
    grouped = grouped.sort_values("size", ascending=False).head(MAX_COMMUNITIES)
    if len(grouped) < 2:
        return None
    z = scipy_linkage(grouped[["x", "y"]].to_numpy(dtype="float64"), method="ward")
    keys = grouped.index.tolist()
    note = f"computed here from the layout centroids of the {len(keys):,} largest communities"
    return LinkageView(z, [_community_label(k, labels) for k in keys], keys, note)


def _community_label(key: Any, labels: dict[Any, str]) -> str:
    label = labels.get(key)
    return f"{key}: {label}" if label else str(key)
