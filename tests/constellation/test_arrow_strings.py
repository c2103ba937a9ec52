"""string_values and rows_of: one Arrow string array from any column of strings, and rows found by a hash join."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from constellation.arrow_strings import rows_of, string_values


def test_every_kind_of_column_gives_the_same_large_strings_with_missing_values_null():
    values = ["a/x", None, "b/é"]
    expected = pa.array(values, pa.large_string())
    columns = [
        np.array(["a/x", None, "b/é"], dtype=object),
        np.array(["a/x", np.nan, "b/é"], dtype=object),  # pandas' missing value in an object column
        pd.Series(values, dtype="string[pyarrow]"),
        pd.Series(values, dtype=object),
        pa.array(values, pa.string()),
        pa.chunked_array([pa.array(values[:1]), pa.array(values[1:])]),
    ]
    for column in columns:
        assert string_values(column).equals(expected), type(column)


def test_rows_of_finds_the_first_row_of_each_value_and_minus_one_otherwise():
    ids = pd.Series(["a", "b", "a", "c"], dtype="string[pyarrow]")
    assert rows_of(np.array(["c", "a", "z", None], dtype=object), ids).tolist() == [3, 0, -1, -1]
