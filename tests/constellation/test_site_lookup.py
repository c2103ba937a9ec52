"""constellation.site_lookup's writer: the similarity CSR and the ids, equal to what the slower code wrote."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from constellation.contract import ATLAS_FILES
from constellation.site_lookup import (
    SIMILAR,
    SimilarRows,
    _write_similar,
    id_order,
    string_array,
    strongest_first,
    write_id_lookups,
    write_lookup,
    write_lookup_files,
    write_page_lookups,
)


def test_strongest_first_is_lexsort_by_row_then_weight_descending_ties_kept():
    rng = np.random.default_rng(7)
    values = np.array([-1.5, -0.0, 0.0, 1e-40, -1e-40, 0.25, 0.5, 1.0, 7.0], dtype=np.float32)
    for _ in range(40):
        m = int(rng.integers(0, 500))
        rows = rng.integers(0, 20, m).astype(np.int32)
        weights = rng.choice(values, m)  # many ties, signed zeros, subnormals
        mixed = np.where(rng.random(m) < 0.5, rng.standard_normal(m).astype(np.float32), weights)
        for w in (weights, mixed):
            assert strongest_first(rows, w).tolist() == np.lexsort((-w, rows)).tolist()
            # Grouped as the atlas stage's edges come (each row's edges one run, rows in any order): the same.
            grouped = rng.permutation(20)[np.sort(rows)].astype(np.int32)
            assert strongest_first(grouped, w).tolist() == np.lexsort((-w, grouped)).tolist()


@pytest.mark.parametrize("dtype", ["object", "string", "str"])
def test_string_array_of_any_id_column(dtype):
    ids = string_array(pd.Series(["b/x", "a/ü", "c"], dtype=dtype))
    assert ids.type == pa.string() and ids.to_pylist() == ["b/x", "a/ü", "c"]


def _similar_by_lexsort(sorted_ids: pa.Array, edges: pd.DataFrame) -> list[np.ndarray]:
    """The CSR as _write_similar wrote it before (every edge looked up, then np.lexsort): the reference."""
    lookup = {v: i for i, v in enumerate(sorted_ids.to_pylist())}
    similar = (edges["kind"] == "similarity").to_numpy(dtype=bool)
    sources = np.array([lookup.get(v, -1) for v in edges["source"]])[similar]
    targets = np.array([lookup.get(v, -1) for v in edges["target"]])[similar]
    known = (sources >= 0) & (targets >= 0)
    s, t = sources[known].astype(np.int32), targets[known].astype(np.int32)
    weights = edges["weight"].to_numpy(dtype=np.float32, na_value=0.0)[similar][known]
    order = np.lexsort((-weights, s))
    offsets = np.r_[0, np.cumsum(np.bincount(s, minlength=len(sorted_ids)))].astype(np.int64)
    return [offsets, t[order], weights[order]]


def test_write_similar_writes_the_csr_of_the_similarity_edges_only(tmp_path: Path):
    ids = pa.array(["c/z", "a/x", "b/y", "d/w"])
    sorted_ids = pc.take(ids, pc.sort_indices(ids))
    edges = pd.DataFrame(
        {
            "source": pd.array(["c/z", "a/x", "a/x", "b/y", "a/x", "gone/model", "d/w", "c/z"], dtype="string"),
            "target": pd.array(["a/x", "c/z", "b/y", "a/x", "d/w", "a/x", "a/x", "b/y"], dtype="string"),
            "kind": pd.array(
                [
                    "similarity",
                    "similarity",
                    "similarity",
                    "declared",
                    "similarity",
                    "similarity",
                    "inferred",
                    "similarity",
                ],
                dtype="string",
            ),
            "weight": [0.5, 0.25, 0.75, np.nan, 0.25, 0.9, np.nan, 0.5],
        }
    )
    _write_similar(tmp_path, sorted_ids, edges)
    written = [np.load(tmp_path / name) for name in SIMILAR]
    for got, want in zip(written, _similar_by_lexsort(sorted_ids, edges), strict=True):
        assert got.dtype == want.dtype and got.tolist() == want.tolist()
    # a/x (row 0): b/y at 0.75, then c/z and d/w tied at 0.25 in their given order; c/z (row 2): a/x, b/y.
    # The lineage edges and the edge from an id the atlas lacks are left out.
    assert written[0].tolist() == [0, 3, 3, 5, 5]
    assert written[1].tolist() == [1, 2, 3, 0, 1]


@pytest.mark.parametrize("dtype", ["object", "string", "str"])
def test_id_order_is_the_order_numpy_sorts_the_python_ids_in(dtype):
    ids = ["zeta/Ünï", "Alpha/llama-3", "alpha/Llama-3-GGUF", "émile/bert", "b/Qwen2.5-7B", "B/z", "ß/x"]
    order = id_order(pd.DataFrame({"id": pd.Series(ids, dtype=dtype)}))
    assert order.dtype == np.int64
    assert order.tolist() == np.argsort(np.array(ids, dtype=object), kind="stable").tolist()


def _four_models() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four models, three with a declared parent, and their lineage and similarity edges."""
    models = pd.DataFrame(
        {
            "id": pd.array(["c/z", "a/x", "b/y", "d/w"], dtype="string"),
            "parent": pd.array([None, "c/z", "a/x", "a/x"], dtype="string"),
            "relation": pd.array([None, "finetune", "quantized", "adapter"], dtype="string"),
            "downloads": [5, 10, 0, 3],
        }
    )
    edges = pd.DataFrame(
        {
            "source": pd.array(["c/z", "a/x", "a/x", "a/x"], dtype="string"),
            "target": pd.array(["a/x", "b/y", "d/w", "b/y"], dtype="string"),
            "kind": pd.array(["declared", "similarity", "similarity", "inferred"], dtype="string"),
            "weight": [np.nan, 0.75, 0.25, np.nan],
        }
    )
    return models, edges


def test_the_callers_id_order_writes_the_same_lookups(tmp_path: Path):
    """The build sorts once and hands the order over: the files equal those of a lookup that sorts for itself."""
    models, edges = _four_models()
    sites = {}
    for kind, order in (("own", None), ("given", id_order(models))):
        atlas = tmp_path / kind  # the lookups are stamped with the atlas files beside their folder
        atlas.mkdir()
        (atlas / ATLAS_FILES.models).write_bytes(b"models")
        (atlas / ATLAS_FILES.edges).write_bytes(b"edges")
        write_lookup(atlas / ATLAS_FILES.site, models, edges, order)
        sites[kind] = atlas / ATLAS_FILES.site
    names = sorted(p.name for p in sites["own"].iterdir())
    assert names == sorted(p.name for p in sites["given"].iterdir()) and len(names) >= 9
    for name in names:
        assert (sites["own"] / name).read_bytes() == (sites["given"] / name).read_bytes(), name


def test_the_similar_rows_write_the_csr_the_ids_find(tmp_path: Path):
    """The build hands over the similarity edges as rows of the models (AtlasMap.similar): the CSR written from
    them equals the one found by looking every edge end up by id, weights, ties and a missing weight alike."""
    models = pd.DataFrame({"id": pd.array(["c/z", "a/x", "b/y", "d/w", "e/v"], dtype="string")})
    sources, targets = np.array([0, 1, 1, 2, 1, 3, 0]), np.array([1, 0, 2, 3, 3, 4, 4])
    weights = np.array([0.5, 0.25, 0.75, 0.5, 0.25, np.nan, 0.9])
    ids = models["id"].to_numpy(dtype=object)
    lineage = pd.DataFrame(
        {"source": ["a/x"], "target": ["e/v"], "kind": ["declared"], "relation": ["finetune"], "weight": [np.nan]}
    )
    similar = pd.DataFrame(
        {"source": ids[sources], "target": ids[targets], "kind": "similarity", "relation": None, "weight": weights}
    )
    edges = pd.concat([lineage, similar], ignore_index=True).astype(dict.fromkeys(("source", "target"), "string"))
    sites = {}
    for kind, rows in (
        ("by id", None),
        ("by row", SimilarRows(sources.astype(np.int32), targets.astype(np.int32), weights)),
    ):
        atlas = tmp_path / kind
        atlas.mkdir()
        (atlas / ATLAS_FILES.models).write_bytes(b"models")
        (atlas / ATLAS_FILES.edges).write_bytes(b"edges")
        write_lookup(atlas / ATLAS_FILES.site, models, edges, id_order(models), rows)
        sites[kind] = atlas / ATLAS_FILES.site
    names = sorted(p.name for p in sites["by id"].iterdir())
    assert names == sorted(p.name for p in sites["by row"].iterdir())
    for name in names:
        assert (sites["by id"] / name).read_bytes() == (sites["by row"] / name).read_bytes(), name
    offsets, targets_at, weights_at = (np.load(sites["by row"] / name) for name in SIMILAR)
    # sorted: a/x 0, b/y 1, c/z 2, d/w 3, e/v 4. a/x: b/y 0.75, c/z and d/w tied at 0.25 in their
    # given order; d/w: e/v at a missing weight, 0.
    assert offsets.tolist() == [0, 3, 4, 6, 7, 7]
    assert targets_at.tolist() == [1, 2, 3, 3, 4, 0, 4]
    assert weights_at.tolist() == [0.75, 0.25, 0.25, 0.5, np.float32(0.9), 0.5, 0.0]


def test_the_id_and_page_lookups_apart_write_the_files_of_the_whole(tmp_path: Path):
    """A build may write the lookups of the ids alone (ids, row order, search keys, similar CSR) before the
    atlas's other columns exist, and the model page's later: the two folders hold write_lookup_files' files."""
    models, edges = _four_models()
    rows = SimilarRows(np.array([1, 1], dtype=np.int32), np.array([2, 3], dtype=np.int32), np.array([0.75, 0.25]))
    order = id_order(models)
    write_lookup_files(tmp_path / "whole", models, edges, order, rows)
    write_id_lookups(tmp_path / "ids", models["id"], order, rows)
    write_page_lookups(tmp_path / "page", models, edges, order)
    whole = sorted(p.name for p in (tmp_path / "whole").iterdir())
    ids, page = (sorted(p.name for p in (tmp_path / kind).iterdir()) for kind in ("ids", "page"))
    assert sorted(ids + page) == whole and not set(ids) & set(page)
    assert "ids.arrow" in ids and "models.parquet" in page
    for kind, names in (("ids", ids), ("page", page)):
        for name in names:
            assert (tmp_path / kind / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    with pytest.raises(ValueError, match="similar"):
        write_id_lookups(tmp_path / "none", models["id"], order, None)
