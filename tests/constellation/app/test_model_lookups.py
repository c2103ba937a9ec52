"""The build's one-model lookups (constellation.site_lookup) answer as the whole atlas in memory does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from constellation.app import lineage
from constellation.app.data import load_atlas
from constellation.app.model_view import model_view
from constellation.app.search import IdIndex
from constellation.app.similarity import build_similarity_index
from constellation.contract import ATLAS_FILES, DataLayout
from constellation.site_lookup import read_lookup

COLUMNS = ["id", "downloads", "params", "parent", "relation", "family", "n_descendants", "community"]


@pytest.fixture(scope="module")
def atlas(atlas_root: Path):
    return load_atlas(DataLayout(atlas_root))


def _sample_ids(atlas) -> list[str]:
    models = atlas.frame(["id", "parent"])
    parents = models["parent"].dropna().astype(str)
    most_children = parents.value_counts().index[0]  # a model with many children
    child = models.loc[models["parent"].notna().to_numpy(dtype=bool), "id"].iloc[0]
    return [str(most_children), str(child), str(models["id"].iloc[0]), str(models["id"].iloc[-1])]


def test_the_build_wrote_lookups_that_open(atlas):
    found = atlas.lookup
    assert found is not None and found.size == atlas.size
    assert found.ids.to_pylist() == atlas.frame(["id"])["id"].tolist()  # the site's row order


def test_a_models_row_ancestors_children_and_edges_match_the_atlas(atlas):
    found = atlas.lookup
    models = atlas.frame(COLUMNS)
    for model_id in _sample_ids(atlas):
        row = atlas.position(model_id)
        assert row is not None and found.row_of(model_id) == row
        got = found.model(model_id, COLUMNS)
        want = models.iloc[row]
        for column in COLUMNS:
            expected = None if pd.isna(want[column]) else want[column]
            assert (got[column] == expected) if expected is not None else got[column] is None, (model_id, column)
        in_memory = lineage.ancestors(models, atlas.position, model_id)
        assert lineage.ancestors_by(lambda m: _step(found, m), model_id) == in_memory
        children = lineage.direct_children(models, model_id)
        listed = found.children_of(model_id)
        assert sorted(listed["id"]) == sorted(children["id"].astype(str))
        assert listed["downloads"].is_monotonic_decreasing
        edges = lineage.lineage_edges_of(atlas.lineage, model_id)
        into = edges[(edges["target"] == model_id).to_numpy(dtype=bool)]
        assert sorted(found.lineage_into(model_id)["source"]) == sorted(into["source"].astype(str))
    assert found.model("no/such-model") is None and found.row_of("no/such-model") is None
    assert found.children_of("no/such-model").empty and found.lineage_into("no/such-model").empty


def _step(found, model_id):
    row = found.model(model_id, ["parent", "relation"])
    return None if row is None else (row["parent"], row["relation"])


def test_nearest_names_and_the_similarity_index_match_the_edges(atlas):
    found = atlas.lookup
    joined = build_similarity_index(atlas.edges_path, atlas.sorted_ids)
    assert int(found.similar_offsets[-1]) == joined.edges > 0
    for model_id in _sample_ids(atlas):
        got, want = found.neighbours(model_id, k=5), joined.neighbours(model_id, k=5)
        assert got["weight"].round(6).tolist() == want["weight"].round(6).tolist()
        assert set(got["id"]) <= set(joined.neighbours(model_id, k=50)["id"])  # ties may order differently


def test_search_from_the_lookups_equals_search_from_the_ids(atlas):
    found = atlas.lookup
    mapped = IdIndex.from_arrays(found.search_keys, found.search_targets, found.ids, found.lower)
    built = IdIndex.build(atlas.sorted_ids)
    for query in ("qwen", "Llama", "/", "7b-instruct", "zzzz-none"):
        assert mapped.search(query, 25) == built.search(query, 25), query


def test_the_model_view_is_the_same_with_and_without_lookups(atlas, atlas_root, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(atlas_root, copy)
    without = load_atlas(DataLayout(copy))
    (without.folder / ATLAS_FILES.site / "lookup.version").unlink()  # an atlas built before the lookups
    assert without.lookup is None
    for model_id in _sample_ids(atlas):
        a = model_view(atlas, model_id, COLUMNS, lambda: pytest.fail("the lookups need no similarity index"))
        index = build_similarity_index(without.edges_path, without.sorted_ids)
        b = model_view(without, model_id, COLUMNS, lambda index=index: index)
        assert a is not None and b is not None
        assert a.values.keys() == b.values.keys() and a.ancestors == b.ancestors
        assert sorted(a.children["id"]) == sorted(b.children["id"].astype(str))
        assert sorted(a.parents["source"]) == sorted(b.parents["source"].astype(str))
        assert a.neighbours["weight"].round(6).tolist() == b.neighbours["weight"].round(6).tolist()
    assert model_view(atlas, "no/such-model", COLUMNS, lambda: pytest.fail("not asked")) is None


def test_lookups_of_other_files_are_ignored(atlas_root, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(atlas_root, copy)
    folder = load_atlas(DataLayout(copy)).folder
    assert read_lookup(folder / ATLAS_FILES.site) is not None
    with (folder / ATLAS_FILES.edges).open("ab") as f:  # edges.parquet rewritten since the build
        f.write(b"\0")
    assert read_lookup(folder / ATLAS_FILES.site) is None
    (folder / ATLAS_FILES.site / "lookup.version").write_text("not a version")
    assert read_lookup(folder / ATLAS_FILES.site) is None
