import numpy as np
import pandas as pd
import pandas.testing as pdt
import pyarrow as pa

from constellation.genealogy.declared import declared_lineage
from constellation.genealogy.features import model_features
from constellation.genealogy.list_columns import list_columns
from constellation.genealogy.params import estimate_params


def _frame(base_models: list[object], tags: list[object]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["org/base-7b", "org/base-7b-GGUF", "org/base-7b-lora"],
            "name": ["base-7b", "base-7b-GGUF", "base-7b-lora"],
            "author": ["org", "org", "org"],
            "downloads": [100, 10, 1],
            "base_models": base_models,
            "tags": tags,
        }
    )


GOOD = _frame(
    [None, [{"id": "org/base-7b", "relation": "quantized"}], [{"id": "org/base-7b", "relation": None}]],
    [["text-generation"], ["gguf"], np.array(["lora"], dtype=object)],
)
# A parent id that is no string and a tag that is no string: neither column fits its Arrow type.
ODD = _frame(
    [None, [{"id": 7, "relation": "quantized"}], [{"id": "org/base-7b", "relation": None}]],
    [["text-generation"], [3], ["lora"]],
)


def test_both_columns_are_converted_when_well_typed():
    lists = list_columns(GOOD)
    assert lists.base_models is not None and lists.tags is not None
    assert lists.base_models.to_pylist()[1] == [{"id": "org/base-7b", "relation": "quantized"}]
    assert lists.tags.to_pylist() == [["text-generation"], ["gguf"], ["lora"]]


def test_a_column_that_does_not_fit_or_is_missing_is_none():
    lists = list_columns(ODD)
    assert lists.base_models is None and lists.tags is None
    assert list_columns(GOOD.drop(columns=["base_models", "tags"])) == list_columns(GOOD.iloc[:0][["id"]])


def test_the_readers_say_the_same_with_the_columns_converted_once():
    for frame in (GOOD, ODD):
        lists = list_columns(frame)
        declared = declared_lineage(frame)
        with_lists = declared_lineage(frame, lists)
        pdt.assert_frame_equal(with_lists.columns, declared.columns)
        pdt.assert_frame_equal(with_lists.edges, declared.edges)
        pdt.assert_frame_equal(with_lists.rejected, declared.rejected)
        parent = declared.columns["parent"]
        pdt.assert_frame_equal(estimate_params(frame, parent, lists), estimate_params(frame, parent))
        alone, shared = model_features(frame), model_features(frame, lists)
        assert alone.adapter_tag.tolist() == shared.adapter_tag.tolist() == [False, False, True]
        assert alone.quantized.tolist() == shared.quantized.tolist()


def _in_arrow(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its list columns as `pd.ArrowDtype`, as the build reads a snapshot (arrow_lists=True)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.to_pandas(types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_nested(t) else None)


def test_list_columns_held_in_arrow_are_taken_as_they_are():
    arrow = _in_arrow(GOOD)
    assert isinstance(arrow["tags"].dtype, pd.ArrowDtype)
    lists, converted = list_columns(arrow), list_columns(GOOD)
    assert lists.base_models is not None and converted.base_models is not None
    assert lists.tags is not None and converted.tags is not None
    assert lists.base_models.equals(converted.base_models)
    assert lists.tags.equals(converted.tags)


def test_the_readers_say_the_same_of_lists_held_in_arrow():
    arrow = _in_arrow(GOOD)
    lists = list_columns(arrow)
    declared, from_arrow = declared_lineage(GOOD), declared_lineage(arrow, lists)
    pdt.assert_frame_equal(from_arrow.columns, declared.columns)
    pdt.assert_frame_equal(from_arrow.edges, declared.edges)
    parent = declared.columns["parent"]
    pdt.assert_frame_equal(estimate_params(arrow, parent, lists), estimate_params(GOOD, parent))
    assert model_features(arrow, lists).adapter_tag.tolist() == [False, False, True]
