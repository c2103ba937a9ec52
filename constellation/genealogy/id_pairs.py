"""(child, parent) id pairs as one lower-cased Arrow string each, for membership tests between pair tables.

Hub ids compare case-insensitively. Lower-casing and hashing 100k pairs of Python strings a side cost most of
a second at 1M models; Arrow does both over its own buffers. Only for ASCII ids, where Arrow's lower-casing is
Python's (outside ASCII they differ: `İ`): otherwise None, and the caller compares in Python as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.arrow_strings import string_values


def ascii_strings(values: pd.Series | np.ndarray | pa.Array) -> pa.Array | None:
    """The values as one Arrow array of ASCII strings without nulls, else None."""
    try:
        if isinstance(values, (pd.Series, pa.Array)):
            array = string_values(values)
        else:
            array = pa.array(values, type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    if array.null_count or not pc.all(pc.string_is_ascii(array)).as_py():
        return None
    return array


def ascii_pair_keys(child: pd.Series | np.ndarray, parent: pd.Series | np.ndarray) -> pa.Array | None:
    """`child.lower() + "\\0" + parent.lower()` of each pair, when every id is an ASCII string; else None."""
    sides = [ascii_strings(values) for values in (child, parent)]
    if sides[0] is None or sides[1] is None:
        return None
    lower = [pc.ascii_lower(side) for side in sides]
    return pc.binary_join_element_wise(lower[0], lower[1], pa.scalar("\0", type=pa.large_string()))


def among(pairs: pa.Array, known: pa.Array) -> np.ndarray:
    """Whether each of `pairs` is one of `known` (both from `ascii_pair_keys`)."""
    return np.asarray(pc.is_in(pairs, value_set=known).to_numpy(zero_copy_only=False), dtype=bool)
