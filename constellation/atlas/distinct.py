"""The distinct values of an integer array, by sorting: numpy 2.4's `np.unique` hashes them first, which at 3M
int64 values took 1.5 s CPU against 0.2 s for a sort and a test of neighbours (the same sorted result)."""

from __future__ import annotations

import numpy as np


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` of a 1-D integer array: its distinct values, ascending."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered
