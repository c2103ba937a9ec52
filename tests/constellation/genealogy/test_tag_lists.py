import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from constellation.genealogy.tag_lists import rows_with_tag, tag_lists


def _lora(flat: pa.Array) -> pa.Array:
    return pc.equal(flat, "lora")


def test_rows_with_tag_marks_the_rows_holding_a_picked_tag():
    values = [["lora", "text-generation"], None, np.array(["gguf"], dtype=object), ("lora",), [], float("nan")]
    lists = tag_lists(values)
    assert lists is not None
    assert rows_with_tag(lists, _lora).tolist() == [True, False, False, True, False, False]


def test_a_tag_that_is_no_string_leaves_the_check_to_the_caller():
    assert tag_lists([["lora"], [3]]) is None


def test_null_tags_count_as_no():
    lists = tag_lists([[None, "lora"], [None]])
    assert lists is not None
    assert rows_with_tag(lists, _lora).tolist() == [True, False]


def test_a_column_of_arrays_and_none_converts_as_a_mixed_one():
    import pandas as pd

    arrays = pd.Series([np.array(["lora", "x"], dtype=object), None, np.array([], dtype=object)])
    mixed = pd.Series([np.array(["lora", "x"], dtype=object), float("nan"), np.array([], dtype=object)])
    lists, mixed_lists = tag_lists(arrays), tag_lists(mixed)
    assert lists is not None and mixed_lists is not None
    assert lists.equals(mixed_lists) and lists.to_pylist() == [["lora", "x"], None, []]
