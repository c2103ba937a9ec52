"""Hub tags as Arrow lists: which rows carry a tag, vectorised over the flattened lists (a Python loop over
the tags of 3M rows costs seconds). Used by parameter counts (quantisation tags) and inferred lineage
(adapter and merge tags)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def tag_lists(values: Iterable[object]) -> pa.ListArray | None:
    """Each row's tags as one Arrow list array (a value that is no list counts as no tags), or None when some
    tag is no string: the caller then checks row by row."""
    as_lists = [v if isinstance(v, (list, tuple, np.ndarray)) else None for v in values]
    try:
        return pa.array(as_lists, type=pa.list_(pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def rows_with_tag(lists: pa.ListArray, picks: Callable[[pa.Array], pa.Array]) -> np.ndarray:
    """Whether each row holds a tag that `picks` (flattened tags → booleans; null counts as no) marks."""
    rows = pc.list_parent_indices(lists).to_numpy()
    hits = pc.fill_null(picks(pc.list_flatten(lists)), False)
    out = np.zeros(len(lists), dtype=bool)
    out[rows[np.asarray(hits.to_numpy(zero_copy_only=False), dtype=bool)]] = True
    return out
