import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from constellation.app.data import CATEGORICAL_COLUMNS, load_atlas, read_models
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
