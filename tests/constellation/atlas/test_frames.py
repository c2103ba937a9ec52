"""constellation.atlas.frames: string columns by Arrow takes, equal to the ones pandas makes from Python strings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from constellation.atlas.frames import label_column, repeated_string, similarity_frame, taken_strings
from constellation.contract import EDGE_COLUMNS, EDGE_SCHEMA
from constellation.store import edges_table

IDS = np.array(["meta-llama/Llama-3-8B", "TheBloke/Llama-3-8B-GGUF", "Qwen/Qwen2.5-7B", "é/ünïcode"], dtype=object)


def _by_python_strings(ids: np.ndarray, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> pd.DataFrame:
    """The frame as map_atlas made it before (object arrays converted to `string`): the reference."""
    return pd.DataFrame(
        {
            "source": pd.array(ids[src], dtype="string"),
            "target": pd.array(ids[dst], dtype="string"),
            "kind": pd.array(np.full(len(src), "similarity", dtype=object), dtype="string"),
            "relation": pd.array([None] * len(src), dtype="string"),
            "confidence": np.full(len(src), np.nan),
            "weight": np.asarray(weight, dtype=np.float64),
            "evidence": pd.array([None] * len(src), dtype="string"),
        }
    )[list(EDGE_COLUMNS)]


def test_similarity_frame_equals_the_python_string_frame_and_writes_the_same_table():
    src, dst = np.array([0, 1, 3, 2]), np.array([1, 0, 2, 3])
    weight = np.array([0.9, 0.9, 0.5, 0.25], dtype=np.float32)
    frame = similarity_frame(IDS, src, dst, weight)
    expected = _by_python_strings(IDS, src, dst, weight)
    pd.testing.assert_frame_equal(frame, expected)
    assert edges_table(frame).equals(edges_table(expected))
    assert frame["source"].tolist() == [
        "meta-llama/Llama-3-8B",
        "TheBloke/Llama-3-8B-GGUF",
        "é/ünïcode",
        "Qwen/Qwen2.5-7B",
    ]
    assert frame["relation"].isna().all() and (frame["kind"] == "similarity").all()
    # The Arrow type under the column is the one pandas picks, so concatenating with other edges stays cheap.
    assert {frame[c].array._pa_array.type for c in ("source", "kind", "relation")} == {
        expected["source"].array._pa_array.type
    }


def test_similarity_frame_of_arrow_ids_equals_the_one_of_python_strings():
    src, dst = np.array([3, 3, 0, 1]), np.array([0, 2, 3, 1])
    weight = np.array([0.75, 0.5, 0.5, 1.0])
    for ids in (pa.array(IDS, pa.string()), pa.array(IDS, pa.large_string())):
        pd.testing.assert_frame_equal(similarity_frame(ids, src, dst, weight), similarity_frame(IDS, src, dst, weight))


def test_similarity_frame_of_no_edges_has_the_contract_columns():
    empty = np.array([], dtype=np.int64)
    frame = similarity_frame(IDS, empty, empty, np.array([], dtype=np.float32))
    assert list(frame.columns) == list(EDGE_COLUMNS) and len(frame) == 0
    assert edges_table(frame).schema.equals(EDGE_SCHEMA)
    pd.testing.assert_frame_equal(frame, _by_python_strings(IDS, empty, empty, np.array([], dtype=np.float32)))


def test_label_column_takes_each_models_label_missing_ones_included():
    labels = ["Llama 3 · 8B", None, "Qwen2.5"]
    membership = np.array([2, 0, 0, 1, 2])
    column = label_column(labels, membership)
    expected = pd.array(np.asarray(labels, dtype=object)[membership], dtype="string")
    pd.testing.assert_extension_array_equal(column, expected)
    assert column.tolist() == ["Qwen2.5", "Llama 3 · 8B", "Llama 3 · 8B", pd.NA, "Qwen2.5"]


def test_taken_and_repeated_strings():
    assert taken_strings(pa.array(["a", "b"]), np.array([1, 1, 0])).tolist() == ["b", "b", "a"]
    assert repeated_string("x", 3).tolist() == ["x", "x", "x"]
    assert repeated_string(None, 2).isna().all() and len(repeated_string(None, 0)) == 0


def test_repeated_string_from_buffers_is_the_take_of_the_value():
    """Made from its buffers, the column is the Arrow array a take of the value made: edges.parquet's bytes."""
    for value in ("similarity", "", "é/ünïcode"):
        for n in (0, 1, 7):
            column = repeated_string(value, n)
            taken = taken_strings(pa.array([value], pa.large_string()), np.zeros(n, dtype=np.int64))
            column._pa_array.validate(full=True)
            assert column.dtype == taken.dtype and column._pa_array.equals(taken._pa_array)
            assert column.tolist() == [value] * n
