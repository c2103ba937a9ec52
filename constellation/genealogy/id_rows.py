"""The row of each value among a snapshot's ids, by hashing the values and probing the ids into them.

`arrow_strings.rows_of` hashes every id (the value set of Arrow's `index_in`) and probes the asked values into
that table: at 3M models a table of 3M strings is out of cache, and building it cost ~0.8 s CPU a call. The
genealogy stage asks about declared parents and children, fewer distinct values than ids (a few hundred
thousand at 3M models): here the table holds those, and the ids are probed into it, a pass in id order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.arrow_strings import string_values


def first_rows(values: pd.Series | pa.Array, ids: pd.Series | pa.Array) -> np.ndarray:
    """The first row of each value among `ids`, -1 where it is absent or missing: `arrow_strings.rows_of`."""
    return rows_among(values, ids)[0]


def last_rows(values: pd.Series | pa.Array, ids: pd.Series | pa.Array) -> np.ndarray:
    """The last row of each value among `ids`, -1 where it is absent or missing."""
    return rows_among(values, ids)[1]


def rows_among(values: pd.Series | pa.Array, ids: pd.Series | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(the first row, the last row) of each value among `ids`, -1 where it is absent or missing."""
    encoded = pc.dictionary_encode(string_values(values))  # a missing value gets no code
    position = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    at = pc.index_in(string_values(ids), value_set=encoded.dictionary)  # a missing id matches nothing
    found = np.asarray(at.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    rows = np.flatnonzero(found >= 0)
    # The last slot answers for missing values (position -1).
    first = np.full(len(encoded.dictionary) + 1, -1, dtype=np.int64)
    last = first.copy()
    if len(rows):
        order = np.argsort(found[rows], kind="stable")  # by value, then row
        value, row = found[rows][order], rows[order]
        change = value[1:] != value[:-1]
        starts, ends = np.r_[True, change], np.r_[change, True]
        first[value[starts]], last[value[ends]] = row[starts], row[ends]
    return first[position], last[position]
