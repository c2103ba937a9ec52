"""Distinct name keys in Arrow, and the code (position) of any key among them.

At 3M models the snapshot's clean rows carry millions of distinct lookup keys. A pandas Index of them hashes
every key as a Python string, out of cache: building its hash table cost 2.7 s CPU at 3M models (0.07 s at
300k), and Arrow's `index_in` would build a table of them again on every lookup. Here a batch of asked keys is
hashed alone (few, or at least fewer than the index), and only the index's keys with as many "-" as an asked
key are probed into that small table: a key has one count of dashes, so a batch reads each index key at most
once, and the prefixes of one token count (the prefix search asks them so) read one part of the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from constellation.arrow_strings import string_values

# Keys with this many dashes or more share one part (an exact comparison still decides): the counts fit a
# uint8, which numpy sorts by radix.
_MAX_DASHES = 255


def _numpy(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.int64)


@dataclass(frozen=True)
class KeyIndex:
    """Distinct keys (large_string, no nulls); a key's code is its position."""

    values: pa.Array

    def __len__(self) -> int:
        return len(self.values)

    @cached_property
    def _parts(self) -> tuple[np.ndarray, np.ndarray, pa.Array]:
        """(codes ordered by dash count, where each count's codes start (indexed by count, one past the last
        count at the end), the keys in that order)."""
        dashes = np.minimum(_numpy(pc.count_substring(self.values, "-")), _MAX_DASHES).astype(np.uint8)
        order = np.argsort(dashes, kind="stable")
        starts = np.searchsorted(dashes[order], np.arange(_MAX_DASHES + 2), side="left")
        return order.astype(np.int64), starts, self.values.take(pa.array(order, type=pa.int64()))

    def codes_of(self, keys: np.ndarray | pa.Array) -> np.ndarray:
        """The code of each key (-1 for a key not in the index, or missing): what `pd.Index.get_indexer` says."""
        asked = string_values(keys)
        if len(asked) == 0 or len(self.values) == 0:
            return np.full(len(asked), -1, dtype=np.int64)
        if len(self.values) <= len(asked):  # the index is the smaller side: hash it
            return _numpy(pc.index_in(asked, value_set=self.values).fill_null(-1))
        encoded = pc.dictionary_encode(asked)
        distinct = encoded.dictionary
        if len(self.values) <= len(distinct):
            found = _numpy(pc.index_in(distinct, value_set=self.values).fill_null(-1))
        else:
            found = np.full(len(distinct), -1, dtype=np.int64)
            codes, starts, ordered = self._parts
            dashes = np.minimum(_numpy(pc.count_substring(distinct, "-")), _MAX_DASHES)
            for count in np.flatnonzero(np.bincount(dashes, minlength=1)).tolist():
                start, stop = int(starts[count]), int(starts[count + 1])
                if start == stop:
                    continue
                which = np.flatnonzero(dashes == count)
                value_set = distinct.take(pa.array(which, type=pa.int64()))
                at = _numpy(pc.index_in(ordered.slice(start, stop - start), value_set=value_set).fill_null(-1))
                hit = np.flatnonzero(at >= 0)
                found[which[at[hit]]] = codes[start + hit]
        position = _numpy(encoded.indices.fill_null(-1))
        return np.r_[found, -1][position]  # a missing key (-1) reads the -1 after the last

    def to_numpy(self) -> np.ndarray:
        """Every key, in code order (object)."""
        return np.asarray(self.values.to_numpy(zero_copy_only=False), dtype=object)
