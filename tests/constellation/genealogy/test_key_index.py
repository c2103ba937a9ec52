"""KeyIndex: the code of each asked key is what a pandas Index of the distinct keys says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from constellation.genealogy.key_index import KeyIndex


def test_codes_are_the_positions_a_pandas_index_gives() -> None:
    rng = np.random.default_rng(0)
    tokens = ["llama", "3", "8b", "", "gguf", "qwen2", "a-b"]
    keys = pd.unique(np.array(["-".join(rng.choice(tokens, rng.integers(1, 6))) for _ in range(3000)], dtype=object))
    index = KeyIndex(pa.array(keys, type=pa.large_string()))
    asked = np.array(["-".join(rng.choice(tokens, rng.integers(1, 7))) for _ in range(2000)], dtype=object)
    expected = pd.Index(keys, dtype=object).get_indexer(asked)
    assert (expected < 0).any() and (expected >= 0).any()
    assert index.codes_of(asked).tolist() == expected.tolist()  # asked keys fewer than the index's
    assert index.codes_of(pa.array(asked, type=pa.string())).tolist() == expected.tolist()
    small = KeyIndex(pa.array(keys[:5], type=pa.large_string()))  # the index is the smaller side
    assert small.codes_of(asked).tolist() == pd.Index(keys[:5], dtype=object).get_indexer(asked).tolist()


def test_missing_and_unknown_keys_have_no_code() -> None:
    index = KeyIndex(pa.array(["a", "b-c", ""], type=pa.large_string()))
    assert index.codes_of(np.array([None, "b-c", "x", "", np.nan], dtype=object)).tolist() == [-1, 1, -1, 2, -1]
    assert index.codes_of(np.array([None], dtype=object)).tolist() == [-1]
    assert index.codes_of(np.array([], dtype=object)).tolist() == []
    assert KeyIndex(pa.array([], type=pa.large_string())).codes_of(np.array(["a"], dtype=object)).tolist() == [-1]


def test_keys_with_many_dashes_share_the_last_part() -> None:
    long_keys = ["-" * 300, "-" * 256 + "a", "x" + "-" * 255]
    index = KeyIndex(pa.array(["a", *long_keys], type=pa.large_string()))
    asked = np.array([long_keys[1], "-" * 299, long_keys[0], long_keys[2], "a"], dtype=object)
    assert index.codes_of(asked).tolist() == [2, -1, 1, 3, 0]
    assert index.to_numpy().tolist() == ["a", *long_keys]
