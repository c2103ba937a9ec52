"""The genealogy stage as `constellation build` calls it: columns, edge kinds, report, edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from constellation.contract import (
    EDGE_COLUMNS,
    INFERRED_COLUMNS,
    LINEAGE_COLUMNS,
    PARAMS_COLUMNS,
    RELATIONS,
    SNAPSHOT_COLUMNS,
    empty_snapshot_table,
)
from constellation.genealogy.stage import _edge_frame, annotate
from crawler.records import snapshot_frame_from_records
from tests.paths import FIXTURES


@pytest.fixture(scope="module")
def snapshot() -> pd.DataFrame:
    return snapshot_frame_from_records(pd.read_json(FIXTURES / "lineage_top_downloads.jsonl", lines=True))


def test_annotate_adds_the_contract_columns_and_keeps_the_rows(snapshot: pd.DataFrame) -> None:
    genealogy = annotate(snapshot)
    models = genealogy.models
    assert models["id"].tolist() == snapshot["id"].tolist()
    assert list(models.columns) == list(snapshot.columns) + list(LINEAGE_COLUMNS) + list(PARAMS_COLUMNS) + list(
        INFERRED_COLUMNS
    )
    assert str(models["depth"].dtype) == "int32"
    assert all(str(models[f"n_{r}"].dtype) == "int64" for r in RELATIONS)
    assert str(models["inferred_confidence"].dtype) == "float64"
    assert set(models["params_source"].dropna()) <= {"safetensors", "gguf", "name", "base_model", "none"}


def test_declared_and_inferred_edges_stay_separate(snapshot: pd.DataFrame) -> None:
    genealogy = annotate(snapshot)
    edges = genealogy.edges
    assert list(edges.columns) == list(EDGE_COLUMNS)
    assert set(edges["kind"]) == {"declared", "inferred"}
    declared = edges[edges["kind"] == "declared"]
    inferred = edges[edges["kind"] == "inferred"]
    assert len(declared) == 16 and declared["confidence"].isna().all() and declared["evidence"].isna().all()
    assert inferred["confidence"].between(0, 1).all() and inferred["evidence"].notna().all()
    # Inferred parents only for models that declare none, and mirrored in the model columns.
    models = genealogy.models.set_index("id")
    assert models.loc[inferred["target"], "parent"].isna().all()
    assert models.loc[inferred["target"], "inferred_parent"].tolist() == inferred["source"].tolist()
    # NousResearch's copy of Meta-Llama-3-8B-Instruct is a re-upload of meta-llama's (same clean name).
    assert (
        models.loc["NousResearch/Meta-Llama-3-8B-Instruct", "inferred_parent"] == "meta-llama/Meta-Llama-3-8B-Instruct"
    )


def test_report_lists_what_build_json_needs(snapshot: pd.DataFrame) -> None:
    report = annotate(snapshot).report
    declared = report["declared"]
    # surya_det3's self-reference was dropped by the crawler's tag reader; snapshots from elsewhere still get counted.
    assert declared["self_loops"] == {"count": 0, "examples": []}
    assert declared["cycles_broken"]["count"] == 0
    assert declared["external_parents"]["count"] == 4
    assert declared["rejected_lineage"]["by_reason"] == {}
    assert set(report["inferred"]["edges_by_relation"]) == set(RELATIONS)
    assert report["inferred"]["edges"] == sum(report["inferred"]["edges_by_relation"].values())


def test_empty_snapshot() -> None:
    genealogy = annotate(empty_snapshot_table().to_pandas())
    assert len(genealogy.models) == 0 and len(genealogy.edges) == 0
    assert list(genealogy.edges.columns) == list(EDGE_COLUMNS)
    assert set(PARAMS_COLUMNS + INFERRED_COLUMNS + LINEAGE_COLUMNS) <= set(genealogy.models.columns)


def test_one_model_snapshot(snapshot: pd.DataFrame) -> None:
    one = snapshot[snapshot["id"] == "mlabonne/ChimeraLlama-3-8B-v2"].reset_index(drop=True)
    genealogy = annotate(one)
    row = genealogy.models.iloc[0]
    # Its six merge parents are all outside a one-model snapshot: they stay as external nodes.
    assert row["parent"] in {e["id"] for e in one["base_models"].iloc[0]}
    assert row["depth"] == 1 and row["family"] == row["parent"]
    assert genealogy.report["declared"]["external_parents"]["count"] == 6
    assert (genealogy.edges["kind"] == "declared").sum() == 6


def test_snapshot_columns_are_untouched(snapshot: pd.DataFrame) -> None:
    before = snapshot.copy()
    models = annotate(snapshot).models
    pd.testing.assert_frame_equal(snapshot, before)
    # nor in its output: the build sets the snapshot's columns aside itself and takes only the added ones
    pd.testing.assert_frame_equal(models[list(snapshot.columns)], snapshot)
    assert set(SNAPSHOT_COLUMNS) <= set(snapshot.columns)


def test_a_snapshot_read_with_its_lists_in_arrow_gives_the_same_genealogy(snapshot: pd.DataFrame) -> None:
    # the build reads its snapshot so (store.read_snapshot(arrow_lists=True))
    table = pa.Table.from_pandas(snapshot, preserve_index=False)
    arrow = table.to_pandas(types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_nested(t) else None)
    assert isinstance(arrow["base_models"].dtype, pd.ArrowDtype)
    lists, objects = annotate(arrow), annotate(snapshot)
    added = [c for c in objects.models.columns if c not in snapshot.columns]
    pd.testing.assert_frame_equal(lists.models[added], objects.models[added])
    pd.testing.assert_frame_equal(lists.edges, objects.edges)
    assert lists.report == objects.report


@pytest.mark.parametrize("dtype", [object, "string", "str"])
@pytest.mark.parametrize("rows", [0, 3])
def test_edge_frame_is_the_frame_inferred_from_python_strings(dtype, rows):
    column = pd.Series(["a", "b", None][:rows], dtype=dtype, index=[5, 6, 7][:rows])
    frame = _edge_frame(column, column, "declared", column, np.nan, None)
    inferred = pd.DataFrame(
        {
            "source": column.astype("string").to_numpy(),
            "target": column.astype("string").to_numpy(),
            "kind": "declared",
            "relation": column.astype("string").to_numpy(),
            "confidence": np.nan,
            "weight": np.nan,
            "evidence": None,
        },
        columns=list(EDGE_COLUMNS),
    )
    pd.testing.assert_frame_equal(frame, inferred, check_exact=True)
