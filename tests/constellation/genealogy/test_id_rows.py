"""first_rows / last_rows: the row of each value among ids, as arrow_strings.rows_of finds the first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from constellation.arrow_strings import rows_of
from constellation.genealogy.id_rows import first_rows, last_rows


def test_first_rows_equal_rows_of_and_last_rows_the_last_of_a_repeated_id() -> None:
    ids = pd.Series(["a/x", "b/y", "a/x", None, "c/z", "b/y", "a/x"], dtype="string")
    values = pd.Series(["a/x", "c/z", None, "d/w", "b/y", "a/x", "A/X"], dtype=object)
    assert first_rows(values, ids).tolist() == rows_of(values, ids).tolist() == [0, 4, -1, -1, 1, 0, -1]
    assert last_rows(values, ids).tolist() == [6, 4, -1, -1, 5, 6, -1]
    assert first_rows(pa.array(["b/y"]), pa.array(["a/x", "b/y"], type=pa.large_string())).tolist() == [1]


def test_no_values_or_none_found() -> None:
    ids = pd.Series(["a/x", "b/y"], dtype="string")
    assert first_rows(pd.Series([], dtype=object), ids).tolist() == []
    assert first_rows(pd.Series([None, None], dtype=object), ids).tolist() == [-1, -1]
    assert last_rows(pd.Series(["q/q"], dtype=object), ids).tolist() == [-1]
    assert first_rows(pd.Series(["a/x"], dtype=object), pd.Series([], dtype="string")).tolist() == [-1]


def test_random_ids_against_rows_of() -> None:
    rng = np.random.default_rng(1)
    ids = pd.Series([f"o{rng.integers(50)}/m{rng.integers(40)}" for _ in range(3000)], dtype="string")
    values = pd.Series([f"o{rng.integers(60)}/m{rng.integers(40)}" for _ in range(1000)], dtype="string")
    assert first_rows(values, ids).tolist() == rows_of(values, ids).tolist()
    reversed_rows = rows_of(values, ids[::-1].reset_index(drop=True))
    assert last_rows(values, ids).tolist() == np.where(reversed_rows >= 0, len(ids) - 1 - reversed_rows, -1).tolist()
