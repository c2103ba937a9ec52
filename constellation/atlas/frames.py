"""The atlas stage's output columns of model ids and labels, made by Arrow takes instead of Python strings.

At 3M models the kNN gives ~20M similarity edges. Indexing an object array of ids by each edge's end and
converting the result to a string column makes a Python reference per edge and then copies every string
into Arrow, once per column: about 20 s of a 3M build. Arrow takes the same strings by row number in C++,
and the columns it returns are the Arrow-backed `string` columns pandas would have made, so the frames,
and the files written from them, are the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from constellation.contract import EDGE_COLUMNS


def taken_strings(values: pa.Array, rows: np.ndarray) -> pd.arrays.ArrowStringArray:
    """`values` (an Arrow string array) at `rows`, as a pandas `string` column (large_string, as pandas makes it)."""
    taken = values.take(pa.array(np.asarray(rows, dtype=np.int64)))
    return pd.arrays.ArrowStringArray(pa.chunked_array([taken.cast(pa.large_string())]))


def repeated_string(value: str | None, n: int) -> pd.arrays.ArrowStringArray:
    """A pandas `string` column of `n` times `value` (all missing for None), made from its buffers: a take
    copied the value string by string (~17M times at 3M models)."""
    if value is None:
        return pd.arrays.ArrowStringArray(pa.chunked_array([pa.nulls(n, pa.large_string())]))
    data = value.encode()
    offsets = np.arange(0, (n + 1) * len(data), len(data), dtype=np.int64) if data else np.zeros(n + 1, np.int64)
    values = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data * n))
    return pd.arrays.ArrowStringArray(pa.chunked_array([values]))


def similarity_frame(ids: np.ndarray | pa.Array, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> pd.DataFrame:
    """The similarity edges as edges.parquet holds them (contract.EDGE_COLUMNS): `ids[src]` → `ids[dst]`.
    `ids` as an Arrow string array spares converting millions of Python strings (the atlas stage has it)."""
    names = ids.cast(pa.large_string()) if isinstance(ids, pa.Array) else pa.array(ids, pa.large_string())
    frame = pd.DataFrame(
        {
            "source": taken_strings(names, src),
            "target": taken_strings(names, dst),
            "kind": repeated_string("similarity", len(src)),
            "relation": repeated_string(None, len(src)),
            "confidence": np.full(len(src), np.nan),
            "weight": np.asarray(weight, dtype=np.float64),
            "evidence": repeated_string(None, len(src)),
        }
    )
    return frame[list(EDGE_COLUMNS)]


def label_column(labels: Sequence[str | None], membership: np.ndarray) -> pd.arrays.ArrowStringArray:
    """Each model's community label (`labels[membership]`) as a pandas `string` column."""
    return taken_strings(pa.array(labels, pa.large_string()), membership)
