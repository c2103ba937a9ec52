"""Declared lineage on real excerpts (tests/fixtures/lineage_fixtures.md) and on malformed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from constellation.genealogy.declared import (
    BAD_CHARACTERS,
    DUPLICATE,
    EMPTY_ID,
    NOT_A_LIST,
    NOT_A_RECORD,
    NOT_A_STRING,
    UNKNOWN_RELATION,
    URL_ID,
    _cyclic_nodes,
    _id_reasons,
    _order_key,
    ancestry,
    break_cycles,
    classify_parent_id,
    declared_lineage,
)
from crawler.records import snapshot_frame_from_records
from tests.paths import FIXTURES


def fixture_snapshot(name: str) -> pd.DataFrame:
    return snapshot_frame_from_records(pd.read_json(FIXTURES / f"{name}.jsonl", lines=True))


def row(frame: pd.DataFrame, snapshot: pd.DataFrame, model_id: str) -> dict:
    return frame.loc[snapshot.index[snapshot["id"] == model_id][0]].to_dict()


@pytest.fixture(scope="module")
def real() -> tuple[pd.DataFrame, object]:
    snapshot = fixture_snapshot("lineage_top_downloads")
    return snapshot, declared_lineage(snapshot)


def test_merge_takes_the_most_downloaded_parent_line(real) -> None:
    snapshot, lineage = real
    chimera = row(lineage.columns, snapshot, "mlabonne/ChimeraLlama-3-8B-v2")
    # Six merge parents; of the three in the snapshot NousResearch's has the most downloads (59,238).
    assert chimera["parent"] == "NousResearch/Meta-Llama-3-8B-Instruct"
    assert chimera["relation"] == "merge"
    assert chimera["family"] == "NousResearch/Meta-Llama-3-8B-Instruct"
    assert chimera["depth"] == 1
    merged_into = lineage.edges[lineage.edges["target"] == "mlabonne/ChimeraLlama-3-8B-v2"]
    assert len(merged_into) == 6 and set(merged_into["relation"]) == {"merge"}
    assert int(merged_into["external"].sum()) == 3


def test_descendant_counts_follow_primary_parents(real) -> None:
    snapshot, lineage = real
    instruct = row(lineage.columns, snapshot, "meta-llama/Meta-Llama-3-8B-Instruct")
    assert (instruct["n_finetune"], instruct["n_adapter"], instruct["n_quantized"], instruct["n_merge"]) == (1, 0, 2, 1)
    assert instruct["n_descendants"] == 4
    assert instruct["family"] == "meta-llama/Meta-Llama-3-8B-Instruct" and instruct["depth"] == 0
    base = row(lineage.columns, snapshot, "meta-llama/Meta-Llama-3-8B")
    assert base["n_finetune"] == 2 and base["n_descendants"] == 2


def test_self_reference_read_by_a_crawl_leaves_the_model_a_root(real) -> None:
    # surya_det3's tags name itself: the crawler's reader drops that before genealogy sees it (the crawl counts it
    # as rejected lineage), so the model is a root and genealogy has no self-loop left to report.
    snapshot, lineage = real
    surya = row(lineage.columns, snapshot, "vikp/surya_det3")
    assert pd.isna(surya["parent"]) and surya["family"] == "vikp/surya_det3" and surya["depth"] == 0
    assert lineage.report["self_loops"] == {"count": 0, "examples": []}
    assert not ((lineage.edges["source"] == "vikp/surya_det3") & (lineage.edges["target"] == "vikp/surya_det3")).any()


def test_missing_parent_stays_an_external_node(real) -> None:
    snapshot, lineage = real
    lcm = row(lineage.columns, snapshot, "latent-consistency/lcm-lora-sdv1-5")
    assert lcm["parent"] == "runwayml/stable-diffusion-v1-5"
    assert lcm["relation"] == "adapter"
    assert lcm["family"] == "runwayml/stable-diffusion-v1-5" and lcm["depth"] == 1
    external = lineage.report["external_parents"]
    assert external["count"] == 4 and external["edges"] == 5
    assert external["most_children"][0] == {"id": "runwayml/stable-diffusion-v1-5", "children": 2}


def test_cycle_is_broken_against_creation_order() -> None:
    snapshot = fixture_snapshot("lineage_cycle")
    lineage = declared_lineage(snapshot)
    # The constructed edge medinote → Llama-2-7b runs from a 2024 model to a 2023 one: it is the one dropped.
    assert lineage.report["cycles_broken"] == {
        "count": 1,
        "examples": ["AGBonnet/medinote-7b -> meta-llama/Llama-2-7b"],
    }
    by_id = pd.concat([snapshot["id"], lineage.columns], axis=1).set_index("id")
    assert by_id.loc["AGBonnet/medinote-7b", "family"] == "meta-llama/Llama-2-7b"
    assert by_id.loc["AGBonnet/medinote-7b", "depth"] == 2
    assert pd.isna(by_id.loc["meta-llama/Llama-2-7b", "parent"])
    assert by_id.loc["meta-llama/Llama-2-7b", "n_descendants"] == 2


# --------------------------------------------------------------------------------------------------
# Malformed values
# --------------------------------------------------------------------------------------------------


def snapshot_of(rows: list[tuple[str, object]], downloads: list[int] | None = None) -> pd.DataFrame:
    ids = [r[0] for r in rows]
    return pd.DataFrame(
        {
            "id": ids,
            "author": [i.split("/")[0] for i in ids],
            "name": [i.split("/")[-1] for i in ids],
            "downloads": downloads or [10] * len(ids),
            "created_at": pd.NaT,
            "tags": [[] for _ in ids],
            "base_models": [r[1] for r in rows],
        }
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("https://huggingface.co/meta-llama/Llama-2-7b", URL_ID),
        ("huggingface.co/gpt2", URL_ID),
        (42, NOT_A_STRING),
        (None, NOT_A_STRING),
        ("", EMPTY_ID),
        ("   ", EMPTY_ID),
        ("meta llama/Llama 2", BAD_CHARACTERS),
        ("org/model/extra", BAD_CHARACTERS),
        ("org/-model", BAD_CHARACTERS),
        ("org/mo--del", BAD_CHARACTERS),
        ("org/modèle", BAD_CHARACTERS),
        ("meta-llama/Llama-2-7b", None),
        ("gpt2", None),
        ("EleutherAI/gpt-neo-1.3B", None),
    ],
)
def test_classify_parent_id(value: object, reason: str | None) -> None:
    assert classify_parent_id(value) == reason


def test_malformed_values_are_kept_out_of_the_graph_and_counted() -> None:
    snapshot = snapshot_of(
        [
            ("org/base", []),
            ("org/url-child", [{"id": "https://huggingface.co/org/base", "relation": "finetune"}]),
            ("org/number-child", [{"id": 7, "relation": "finetune"}]),
            (
                "org/dup-child",
                [{"id": "org/base", "relation": "quantized"}, {"id": "org/base", "relation": "quantized"}],
            ),
            ("org/rel-child", [{"id": "org/base", "relation": "distilled"}]),
            ("org/bad-child", [{"id": "org/ba se", "relation": "adapter"}]),
            ("org/string-list", "org/base"),
            ("org/not-record", ["org/base"]),
        ]
    )
    lineage = declared_lineage(snapshot)
    assert lineage.report["rejected_lineage"]["by_reason"] == {
        BAD_CHARACTERS: 1,
        DUPLICATE: 1,
        NOT_A_LIST: 1,
        NOT_A_RECORD: 1,
        NOT_A_STRING: 1,
        UNKNOWN_RELATION: 1,
        URL_ID: 1,
    }
    assert lineage.report["rejected_lineage"]["count"] == 7
    # Only the first of the duplicated pair survives.
    assert lineage.edges[["source", "target", "relation"]].values.tolist() == [
        ["org/base", "org/dup-child", "quantized"]
    ]
    assert lineage.columns["parent"].notna().tolist() == [False, False, False, True, False, False, False, False]
    assert set(lineage.rejected["id"]) == {
        "org/url-child",
        "org/number-child",
        "org/dup-child",
        "org/rel-child",
        "org/bad-child",
        "org/string-list",
        "org/not-record",
    }


def test_relation_less_twin_is_merged_and_missing_relation_defaults() -> None:
    snapshot = snapshot_of(
        [
            ("org/Base-7B", []),
            ("org/twin", [{"id": "org/Base-7B", "relation": None}, {"id": "org/Base-7B", "relation": "adapter"}]),
            ("q/Base-7B-GGUF", [{"id": "ORG/base-7b", "relation": None}]),
            ("u/tuned", [{"id": "org/Base-7B", "relation": None}]),
        ]
    )
    lineage = declared_lineage(snapshot)
    assert lineage.edges[["source", "target", "relation"]].values.tolist() == [
        ["org/Base-7B", "org/twin", "adapter"],
        ["org/Base-7B", "q/Base-7B-GGUF", "quantized"],  # id resolved case-insensitively
        ["org/Base-7B", "u/tuned", "finetune"],
    ]
    assert lineage.report["relation_defaulted"] == {"count": 2, "to_quantized": 1, "to_finetune": 1}
    assert lineage.report["rejected_lineage"]["count"] == 0


def test_a_parent_id_resolves_to_the_exact_spelling_when_ids_differ_only_in_case() -> None:
    snapshot = snapshot_of(
        [
            ("Org/Model", []),
            ("org/model", []),
            ("a/child-of-lower", [{"id": "org/model", "relation": "finetune"}]),
            ("b/child-of-upper", [{"id": "Org/Model", "relation": "adapter"}]),
            ("c/child-of-other", [{"id": "ORG/MODEL", "relation": "merge"}]),  # no exact match: the first row
        ]
    )
    lineage = declared_lineage(snapshot)
    assert lineage.edges[["source", "target", "relation"]].values.tolist() == [
        ["org/model", "a/child-of-lower", "finetune"],
        ["Org/Model", "b/child-of-upper", "adapter"],
        ["Org/Model", "c/child-of-other", "merge"],
    ]
    assert lineage.columns["parent"].tolist()[2:] == ["org/model", "Org/Model", "Org/Model"]
    assert lineage.columns["n_descendants"].tolist()[:2] == [2, 1]
    assert not lineage.edges["external"].any()


def test_empty_and_one_model_snapshots() -> None:
    empty = declared_lineage(snapshot_of([]))
    assert len(empty.columns) == 0 and len(empty.edges) == 0 and empty.report["declared_edges"] == 0
    one = declared_lineage(snapshot_of([("solo/model", None)]))
    assert one.columns.iloc[0][["family", "depth", "n_descendants"]].tolist() == ["solo/model", 0, 0]
    assert pd.isna(one.columns.iloc[0]["parent"])
    loop = declared_lineage(snapshot_of([("solo/model", [{"id": "solo/model", "relation": "finetune"}])]))
    assert loop.report["self_loops"]["count"] == 1 and loop.columns.iloc[0]["depth"] == 0


def test_ancestry_by_pointer_jumping() -> None:
    # 0 ← 1 ← 2 ← 3, 4 alone, 5 ← 6
    parent = np.array([-1, 0, 1, 2, -1, -1, 5])
    root, depth = ancestry(parent)
    assert root.tolist() == [0, 0, 0, 0, 4, 5, 5]
    assert depth.tolist() == [0, 1, 2, 3, 0, 0, 1]


def _full_order_key(snapshot: pd.DataFrame, n_nodes: int) -> np.ndarray:
    """The cycle-breaking order over every node, as it was computed before only cycles were ranked."""
    n = len(snapshot)
    created_ns = pd.to_datetime(snapshot["created_at"], utc=True).astype("int64").to_numpy(copy=True)
    created_ns[snapshot["created_at"].isna().to_numpy()] = np.iinfo(np.int64).max
    downloads = pd.to_numeric(snapshot["downloads"], errors="coerce").fillna(-1).to_numpy()
    id_rank = pd.Series(snapshot["id"]).rank(method="dense").to_numpy()
    key = np.empty(n_nodes, dtype=np.int64)
    key[np.lexsort((id_rank, -downloads, created_ns))] = np.arange(n)
    key[n:] = -1
    return key


@pytest.mark.parametrize("seed", range(6))
def test_ranking_only_the_cycles_breaks_the_same_edges(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, n_nodes, n_edges = 60, 70, 150
    snapshot = pd.DataFrame(
        {
            # Few distinct values: ties on creation time and downloads fall back to the id; some ids repeat.
            "id": [f"m{i}" for i in rng.integers(0, 50, n)],
            "created_at": pd.to_datetime(rng.integers(0, 4, n), unit="D", utc=True).where(rng.random(n) > 0.2),
            "downloads": pd.array(rng.integers(0, 3, n), dtype="Int64"),
        }
    )
    src, dst = rng.integers(0, n_nodes, n_edges), rng.integers(0, n, n_edges)
    cyclic = _cyclic_nodes(src, dst, n_nodes)
    assert cyclic.any()
    key = _order_key(snapshot, n_nodes, snapshot["id"].astype(object), cyclic)
    expected = break_cycles(src, dst, _full_order_key(snapshot, n_nodes), n_nodes)
    assert np.array_equal(break_cycles(src, dst, key, n_nodes), expected)
    assert (key[~cyclic] == -1).all()


def test_parent_ids_are_judged_in_arrow_as_one_by_one() -> None:
    values = [
        "meta-llama/Llama-2-7b", "gpt2", " gpt2 ", "gpt2\n", "a--b/c", "a/b..c", "-a/b", "a/b-", "a/b/c", "", "  ",
        "https://huggingface.co/a/b", "HF.co/a/b", "www.a/b", "Www.x", "huggingface.co/x", "a b/c", "ä/b", "a/" + "b" * 96,
        "a/" + "b" * 95, "_a/b_", ".a/b", "a./b", None, float("nan"), "a/b", "gpt2",
    ]  # fmt: skip
    column = pd.Series(values, dtype=object)
    pd.testing.assert_series_equal(_id_reasons(column), column.map(classify_parent_id))
    mixed = pd.Series(["a/b", 3, "x y"], dtype=object)
    pd.testing.assert_series_equal(_id_reasons(mixed), mixed.map(classify_parent_id))
    valid = pd.Series(["a/b", "c"], dtype=object)
    pd.testing.assert_series_equal(_id_reasons(valid), valid.map(classify_parent_id))
