import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from constellation.app.data import CATEGORICAL_COLUMNS, categorical_series, load_atlas, read_models
from constellation.contract import DataLayout
from constellation.errors import AtlasNotFound


def test_load_is_lean_sorted_and_categorical(atlas_root):
    atlas = load_atlas(DataLayout(atlas_root))
    models = atlas.models
    assert "tags" not in models and "base_models" not in models
    assert models["id"].is_monotonic_increasing
    for column in ("pipeline_tag", "license", "family", "relation"):
        assert isinstance(models[column].dtype, pd.CategoricalDtype), column
    assert set(atlas.lineage["kind"].unique()) <= {"declared", "inferred"}
    assert atlas.synthetic is True
    model_id = models["id"].iloc[17]
    assert atlas.position(model_id) == 17 and atlas.position("no/such-model") is None
    assert atlas.lineage_in_similarity_graph is True  # build.json config lineage_weight, 8.0 by default


def test_missing_and_all_null_columns(tmp_path, atlas_root):
    path = DataLayout(atlas_root).atlas_file(DataLayout(atlas_root).latest_atlas_id(), "models.parquet")
    table = pq.read_table(path).drop_columns(["family", "community"])
    table = table.set_column(table.schema.get_field_index("params"), "params", pa.nulls(len(table), pa.float64()))
    pq.write_table(table, tmp_path / "models.parquet")
    frame = read_models(tmp_path / "models.parquet")
    assert "family" not in frame and "community" not in frame
    assert frame["params"].isna().all()
    assert set(CATEGORICAL_COLUMNS) & set(frame.columns)


def test_no_atlas_is_a_clear_error(tmp_path):
    with pytest.raises(AtlasNotFound, match="make demo"):
        load_atlas(DataLayout(tmp_path))


def test_the_build_summary_is_read_and_matches_the_models(atlas_root):
    from constellation.site_summary import summarize

    atlas = load_atlas(DataLayout(atlas_root))
    assert atlas.precomputed is not None  # the build wrote site/summary.json
    assert atlas.table.loaded() == []  # loading read no model column
    assert atlas.size == len(atlas.models)
    fresh = summarize(atlas.models)
    assert (atlas.summary.top, atlas.summary.sizes, atlas.summary.choices) == (fresh.top, fresh.sizes, fresh.choices)
    assert atlas.summary.has["family"] and atlas.has("family")


def test_columns_are_read_on_demand_and_shared(atlas_root):
    import numpy as np

    atlas = load_atlas(DataLayout(atlas_root))
    few = atlas.frame(["downloads", "no_such_column"])
    # The build's row order (site/row_order.npy): no id column is read, nor sorted, for one column.
    assert list(few.columns) == ["downloads"] and set(atlas.table.loaded()) == {"downloads"}
    assert atlas.position(atlas.sorted_ids[3]) == 3
    models = atlas.models
    assert models["id"].is_monotonic_increasing
    # The full frame and the projection hold the same arrays, not copies.
    assert np.shares_memory(models["downloads"].to_numpy(), few["downloads"].to_numpy())
    plain = pq.read_table(atlas.table.path).to_pandas().sort_values("id").reset_index(drop=True)
    assert (
        models["downloads"].astype("float64").fillna(-1).tolist()
        == plain["downloads"].astype("float64").fillna(-1).tolist()
    )


def test_an_atlas_without_summary_computes_it(tmp_path, atlas_root):
    import shutil

    root = tmp_path / "old"
    shutil.copytree(atlas_root, root)
    layout = DataLayout(root)
    shutil.rmtree(layout.atlas(layout.latest_atlas_id()) / "site")
    atlas = load_atlas(layout)
    assert atlas.precomputed is None
    assert atlas.summary.models == len(atlas.models) and atlas.has("family")


def _row_groups_with_their_own_dictionaries(tmp_path) -> pa.ChunkedArray:
    # Like a 3M atlas's family column: row groups of several batches each, one dictionary per row group,
    # names shared across row groups and others not, nulls among them.
    values = ["b", "a", None, "c", "a", "d", "b", None, "e", "c", "f", "a"] * 5
    pq.write_table(pa.table({"family": values}), tmp_path / "f.parquet", row_group_size=20)
    file = pq.ParquetFile(tmp_path / "f.parquet", read_dictionary=["family"])
    batches = list(file.iter_batches(batch_size=7))
    return pa.Table.from_batches(batches).column("family")


def test_categorical_series_is_what_to_pandas_gives(tmp_path):
    column = _row_groups_with_their_own_dictionaries(tmp_path)
    assert column.num_chunks > 3
    order = np.random.default_rng(1).permutation(len(column))
    expected = pa.table({"family": column}).take(order).to_pandas()["family"]
    got = categorical_series(column, order)
    assert isinstance(got.dtype, pd.CategoricalDtype)
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert list(got.dtype.categories) == list(expected.dtype.categories)  # same codes: same tie order
    assert (got.cat.codes.to_numpy() == expected.cat.codes.to_numpy()).all()
    pd.testing.assert_series_equal(
        categorical_series(column), pa.table({"family": column}).to_pandas()["family"], check_names=False
    )


def test_categorical_series_of_an_empty_or_all_null_column():
    empty = pa.chunked_array([], type=pa.dictionary(pa.int32(), pa.string()))
    assert len(categorical_series(empty)) == 0
    nulls = pa.chunked_array(
        [pa.DictionaryArray.from_arrays(pa.array([None, None], pa.int32()), pa.array([], pa.string()))]
    )
    assert categorical_series(nulls).isna().all()


def test_categorical_series_without_pandas_fast_path(monkeypatch):
    # A pandas release without the private fast path (or with another signature) gets the public constructor.
    column = pa.chunked_array([pa.array(["b", "a", None, "b"]).dictionary_encode()])
    expected = categorical_series(column)

    def changed(*args, **kwargs):
        raise TypeError("changed signature")

    monkeypatch.setattr(pd.CategoricalDtype, "_from_fastpath", changed, raising=False)
    pd.testing.assert_series_equal(categorical_series(column), expected)
    monkeypatch.delattr(pd.CategoricalDtype, "_from_fastpath")
    pd.testing.assert_series_equal(categorical_series(column), expected)
