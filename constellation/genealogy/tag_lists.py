"""Hub tags as Arrow lists: which rows carry a tag, vectorised over the flattened lists (a Python loop over
the tags of 3M rows costs seconds). Used by parameter counts (quantisation tags) and inferred lineage
(adapter and merge tags)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def tag_lists(values: Iterable[object]) -> pa.ListArray | None:
    """Each row's tags as one Arrow list array (a value that is no list counts as no tags), or None when some
    tag is no string: the caller then checks row by row."""
    rows = values.tolist() if isinstance(values, pd.Series) else list(values)
    # Judged per distinct type (isinstance is issubclass of the type): a snapshot's column holds arrays and
    # None only, and is converted as it is, without a Python test per row.
    if all(t is type(None) or issubclass(t, (list, tuple, np.ndarray)) for t in set(map(type, rows))):
        as_lists = rows
    else:
        as_lists = [v if isinstance(v, (list, tuple, np.ndarray)) else None for v in rows]
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
