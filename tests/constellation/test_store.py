"""The store: atomic writes, the LATEST pointer, the lean atlas read, integers kept integers, one "no atlas"."""

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from constellation.build import build
from constellation.contract import DataLayout
from constellation.errors import AtlasNotFound, ContractError
from constellation.store import (
    latest_atlas_id,
    models_table,
    read_atlas,
    read_atlas_models,
    read_snapshot,
    restore_integers,
    set_latest_atlas,
    split_lists,
    write_text_atomic,
)
from tests.snapshot_factory import model_row, write_snapshot


def test_latest_pointer_moves_only_to_an_existing_atlas(tmp_path):
    layout = DataLayout(tmp_path)
    assert layout.latest_atlas_id() is None
    with pytest.raises(ContractError, match="does not exist"):
        set_latest_atlas(layout, "20260101T000000Z")
    layout.atlas("20260101T000000Z").mkdir(parents=True)
    set_latest_atlas(layout, "20260101T000000Z")
    assert layout.latest_pointer.read_text() == "20260101T000000Z\n"
    assert layout.latest_atlas_id() == "20260101T000000Z"


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "a" / "file.txt"
    write_text_atomic(target, "one")
    write_text_atomic(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


def test_atomic_writes_are_readable_by_group_and_others(tmp_path):
    target = tmp_path / "shared.json"
    write_text_atomic(target, "{}")
    assert target.stat().st_mode & 0o777 == 0o666 & ~_current_umask()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


SID = "20260101T000000Z"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> DataLayout:
    layout = DataLayout(tmp_path_factory.mktemp("store"))
    rows = [
        model_row("z-org/base-7b", downloads=10, likes=1),
        model_row("a-org/base-7b-ft", downloads=5, base_models=[{"id": "z-org/base-7b", "relation": "finetune"}]),
        model_row("m-org/other", downloads=1),
    ]
    write_snapshot(layout, SID, rows, {"synthetic": True})
    build(layout)
    return layout


def test_lean_read_takes_the_asked_columns_sorted_by_id_with_categoricals(built):
    models = read_atlas_models(built, columns=["family", "id", "depth", "no_such_column"], categorical=["family"])
    assert list(models.columns) == ["family", "id", "depth"]
    assert models["id"].tolist() == ["a-org/base-7b-ft", "m-org/other", "z-org/base-7b"]
    assert isinstance(models["family"].dtype, pd.CategoricalDtype)
    assert str(models["depth"].dtype) == "Int64"


def test_restore_integers_turns_whole_floats_of_integer_columns_back(built):
    models = read_atlas(built).models
    assert str(models["params"].dtype) == "float64"  # the build writes nullable counts as floats
    restored = restore_integers(models)
    assert str(restored["params"].dtype) == "Int64" and str(restored["x"].dtype) == "float32"
    assert restored["params"].tolist() == [7_000_000_000, 7_000_000_000, pd.NA]


def test_every_reader_says_the_same_when_there_is_no_atlas(tmp_path):
    layout = DataLayout(tmp_path)
    messages = set()
    for read in (latest_atlas_id, read_atlas, read_atlas_models):
        with pytest.raises(AtlasNotFound, match="make demo") as info:
            read(layout)
        messages.add(str(info.value))
    assert messages == {
        f"no atlas in {layout.atlases} yet. Run `make demo` for an offline demo, or `make crawl` then `make build`."
    }


def test_an_atlas_without_build_json_is_incomplete(tmp_path):
    layout = DataLayout(tmp_path)
    layout.atlas(SID).mkdir(parents=True)
    set_latest_atlas(layout, SID)
    with pytest.raises(AtlasNotFound, match=f"atlas {SID} is incomplete or missing"):
        read_atlas_models(layout)


def _models_with_lists() -> pd.DataFrame:
    """A models frame as the build holds it: Arrow-backed strings, lists of tags and base-model records
    (one missing, one empty), nullable integers, then the atlas's columns."""
    return pd.DataFrame(
        {
            "id": pd.array(["a/x", "b/y", "c/z"], dtype="str"),
            "tags": pd.Series([np.array(["gguf", "llama"], dtype=object), np.array([], dtype=object), None]),
            "downloads": np.array([3, 0, 7], dtype=np.int64),
            "base_models": pd.Series(
                [np.array([{"id": "a/x", "relation": "quantized"}], dtype=object), None, np.array([], dtype=object)]
            ),
            "family": pd.array(["a/x", None, "c/z"], dtype="string"),
            "params": [7e9, np.nan, 1e6],
        }
    )


def test_models_table_puts_the_split_list_columns_back_as_from_pandas_writes_them(tmp_path):
    models = _models_with_lists()
    whole = models.assign(community=np.array([0, 1, 0], dtype=np.int64), x=np.array([0.5, 1, 2], dtype=np.float32))
    flat, lists = split_lists(pa.Table.from_pandas(models, preserve_index=False))
    assert flat.column_names == ["id", "downloads", "family", "params"] and lists.column_names == [
        "tags",
        "base_models",
    ]
    taken_back = flat.to_pandas().assign(community=whole["community"].array, x=whole["x"].array)
    table = models_table(taken_back, lists)
    expected = pa.Table.from_pandas(whole, preserve_index=False)
    assert table.equals(expected, check_metadata=True)
    pq.write_table(table, tmp_path / "split.parquet")
    pq.write_table(expected, tmp_path / "whole.parquet")
    assert (tmp_path / "split.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    # Read back as the site reads it: the lists are Python lists again, the other columns their own dtypes.
    read = pq.read_table(tmp_path / "split.parquet").to_pandas()
    assert [list(t) if t is not None else None for t in read["tags"]] == [["gguf", "llama"], [], None]
    assert models_table(taken_back, None).equals(pa.Table.from_pandas(taken_back, preserve_index=False))


def test_a_snapshot_read_with_its_lists_in_arrow_holds_the_same_values(tmp_path):
    layout = DataLayout(tmp_path)
    rows = [
        model_row("org/base-7b", tags=["llama", "license:mit"]),
        model_row("org/base-7b-GGUF", base_models=[{"id": "org/base-7b", "relation": "quantized"}], tags=[]),
    ]
    write_snapshot(layout, "20260101T000000Z", rows)
    arrays = read_snapshot(layout, "20260101T000000Z")
    lists = read_snapshot(layout, "20260101T000000Z", arrow_lists=True)
    assert isinstance(lists["tags"].dtype, pd.ArrowDtype) and isinstance(lists["base_models"].dtype, pd.ArrowDtype)
    assert arrays["tags"].dtype == object and lists["id"].dtype == arrays["id"].dtype
    assert lists["tags"].tolist() == [list(t) for t in arrays["tags"]] == [["llama", "license:mit"], []]
    assert lists["base_models"].tolist()[1] == [{"id": "org/base-7b", "relation": "quantized"}]
