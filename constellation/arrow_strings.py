"""String columns as Arrow arrays, and rows of values among ids by an Arrow hash join.

At millions of models a pandas index or `map` over Python strings costs seconds per column: the snapshot's
and the atlas's string columns are Arrow-backed, so the genealogy stage and the site's lookups hash their
own buffers instead, through these two functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def string_values(column: pd.Series | pa.Array | pa.ChunkedArray | np.ndarray) -> pa.Array:
    """A column of strings as one Arrow array (large_string), from its own Arrow buffers when it has them (a
    snapshot's id column does): no Python string per value. Missing values (None, NaN) are null."""
    if isinstance(column, np.ndarray):
        return pa.array(column.astype(object, copy=False), type=pa.large_string(), from_pandas=True)
    if isinstance(column, pd.Series):
        column = pa.array(column.array, from_pandas=True)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return column.cast(pa.large_string())


def rows_of(
    values: pd.Series | pa.Array | np.ndarray, ids: pd.Series | pa.Array, dtype: type[np.integer] = np.int64
) -> np.ndarray:
    """The row of each value in `ids` (the first row of an id listed twice), -1 where it is absent or missing.

    A hash join in Arrow (`index_in`): at 3M ids a pandas index of Python strings cost seconds to build.
    `dtype` np.int32 keeps Arrow's own buffer (the site's ~20M edge ends at 3M: no int64 copy)."""
    found = pc.index_in(string_values(values), value_set=string_values(ids), skip_nulls=True)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=dtype)
