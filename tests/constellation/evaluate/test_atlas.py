"""Atlas quality: exact scores on hand-made partitions, the evaluation set, and the names-only rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from constellation.atlas.stage import AtlasConfig
from constellation.errors import AtlasQualityError
from constellation.evaluate.atlas import (
    CARD_COMMUNITY_VARIANTS,
    card_families,
    card_scored_mask,
    communities_card_section,
    community_errors,
    evaluate_atlas,
    evaluate_card_communities,
    evaluation_mask,
    format_atlas_quality,
    models_with_families,
    names_only_atlas,
    score_partition,
)
from constellation.evaluate.baseline import BaselineConfig
from constellation.evaluate.card_parents import CardParentsSet
from constellation.evaluate.sections import EvaluationInput
from crawler.importer import card_parents_snapshot, load_card_parents, load_reference_snapshots

FIXTURES = Path(__file__).parents[2] / "fixtures"


def test_identical_partitions_score_one_whatever_the_labels():
    scores = score_partition(["a", "a", "b", "b", "c"], [7, 7, 3, 3, 9])
    assert (scores.ari, scores.nmi, scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert (scores.models, scores.families, scores.clusters) == (5, 3, 3)


def test_pairwise_precision_recall_and_ari_by_hand():
    # families a a a | b b | c ; clusters {0: a a} {1: a b b} {2: c}
    scores = score_partition(["a", "a", "a", "b", "b", "c"], [0, 0, 1, 1, 1, 2])
    # same-cluster pairs: 1 + 3 = 4, of which same-family: (a,a) in 0 and (b,b) in 1 = 2
    assert scores.precision == 2 / 4
    # same-family pairs: 3 + 1 = 4, of which same-cluster: 2
    assert scores.recall == 2 / 4
    # ARI = (2 - 4*4/15) / ((4+4)/2 - 4*4/15) = 7/22
    assert scores.ari == pytest.approx(7 / 22, abs=1e-12)


def test_one_big_cluster_and_all_singletons():
    truth = ["a", "a", "a", "b", "b", "c"]
    together = score_partition(truth, [0] * 6)
    assert (together.precision, together.recall, together.ari) == (4 / 15, 1.0, 0.0)
    apart = score_partition(truth, list(range(6)))
    assert (apart.precision, apart.recall, apart.ari) == (0.0, 0.0, 0.0)


def test_scores_reject_mismatched_or_empty_input():
    with pytest.raises(AtlasQualityError, match="equal-length"):
        score_partition(["a", "b"], [0])
    with pytest.raises(AtlasQualityError, match="empty"):
        score_partition([], [])


def test_pairwise_counts_scale_linearly():
    """A million models in two families: pair counts come from the contingency table, not from pairs."""
    truth = np.repeat([0, 1], 500_000)
    predicted = np.tile([0, 1], 500_000)
    scores = score_partition(truth, predicted)
    pairs_half = 250_000 * 249_999 // 2
    assert scores.precision == pytest.approx(4 * pairs_half / (2 * (500_000 * 499_999 // 2)))
    assert scores.recall == pytest.approx(scores.precision)


def test_evaluation_set_keeps_families_of_two_or_more():
    models = pd.DataFrame({"family": ["r", "r", "r", "solo", None, "ext", "ext"]})
    assert evaluation_mask(models).tolist() == [True, True, True, False, False, True, True]
    assert evaluation_mask(models, min_family_size=3).tolist() == [True, True, True, False, False, False, False]
    with pytest.raises(AtlasQualityError, match="no `family` column"):
        evaluation_mask(pd.DataFrame({"id": ["a"]}))


def _models() -> pd.DataFrame:
    rows = []
    for family, stem in (("meta/llama-7b", "llama-7b"), ("mistral/mistral-7b", "mistral-7b"), ("q/qwen-1b", "qwen-1b")):
        for i, suffix in enumerate(["", "-chat", "-gguf", "-awq", "-instruct", "-lora"]):
            rows.append({"id": f"user{i}/{stem}{suffix}", "name": f"{stem}{suffix}", "family": family})
    rows.append({"id": "x/unrelated", "name": "unrelated", "family": "x/unrelated"})
    return pd.DataFrame(rows)


def test_evaluate_atlas_scores_given_columns_and_the_baseline():
    models = _models()
    # our "communities" are exactly the families; our "clusters" split each family in two
    models["community"] = models["family"].astype("category").cat.codes
    models["cluster"] = models["community"] * 2 + (models.index % 2)
    result = evaluate_atlas(models, names_only_columns=True, baseline=BaselineConfig(thresholds=(0.3, 0.5)))
    assert (result["models"], result["evaluated_models"], result["families"]) == (19, 18, 3)
    by_key = {m["key"]: m for m in result["methods"]}
    assert list(by_key) == ["atlas_communities", "atlas_clusters", "baseline_single_linkage", "baseline_louvain"]
    assert by_key["atlas_communities"]["ari"] == 1.0
    assert by_key["atlas_clusters"]["precision"] == 1.0
    assert by_key["atlas_clusters"]["recall"] == pytest.approx(3 * 2 * 3 / (3 * 15))
    # each family shares its stem word, so the baseline's best single-linkage cut finds them exactly
    assert by_key["baseline_single_linkage"]["ari"] == 1.0
    text = format_atlas_quality(result)
    assert text.startswith("## Atlas quality\n")
    assert "| Constellation baseline: single linkage on TF-IDF of names |" in text


def test_baseline_is_skipped_above_its_cap_with_the_reason():
    models = _models().assign(community=0, cluster=0)
    result = evaluate_atlas(models, names_only_columns=True, baseline=BaselineConfig(max_models=10))
    assert "19 models exceed the baseline's cap of 10" in result["baseline_skipped"]
    assert [m["key"] for m in result["methods"]] == ["atlas_communities", "atlas_clusters"]


def test_no_family_of_two_is_a_clear_error():
    models = pd.DataFrame({"id": ["a/x", "b/y"], "name": ["x", "y"], "family": ["a/x", "b/y"]})
    with pytest.raises(AtlasQualityError, match="no declared family has 2 or more models"):
        evaluate_atlas(models)


def test_communities_are_rebuilt_from_names_alone_even_if_the_config_adds_lineage():
    models = _models()
    columns, used = names_only_atlas(models, AtlasConfig(lineage_weight=3.0))
    assert used["lineage_weight"] == 0.0
    assert len(columns) == len(models) and columns["community"].notna().all()


def test_models_with_families_from_declared_lineage():
    snapshot = pd.DataFrame(
        {
            "id": ["a/base", "b/ft", "c/q", "d/alone", "b/ft"],
            "name": ["base", "ft", "q", "alone", "ft"],
            "downloads": [10, 5, 1, 1, 5],
            "base_models": [
                [],
                [{"id": "a/base", "relation": "finetune"}],
                [{"id": "b/ft", "relation": "quantized"}],
                [],
                [{"id": "a/base", "relation": "finetune"}],
            ],
        }
    )
    models = models_with_families(snapshot)
    assert models["id"].tolist() == ["a/base", "c/q", "d/alone", "b/ft"]
    assert models["family"].tolist() == ["a/base", "a/base", "d/alone", "a/base"]


def test_resolution_sweep_adds_one_row_per_resolution():
    models = _models()
    result = evaluate_atlas(models, run_baseline=False, resolutions=(0.5, 4.0))
    keys = [m["key"] for m in result["methods"]]
    assert keys == [
        "atlas_communities",
        "atlas_clusters",
        "atlas_communities_resolution_0.5",
        "atlas_communities_resolution_4",
    ]
    assert result["methods"][0]["setting"] == "resolution 1 as configured, no tuning"
    assert result["methods"][2]["setting"] == "resolution 0.5"
    assert result["atlas_config"]["lineage_weight"] == 0.0


def test_sections_plug_into_constellation_evaluate():
    from constellation.evaluate.atlas import atlas_quality_section, atlas_quality_synthetic_section
    from constellation.evaluate.report import EvaluationInput, evaluate, render

    snapshot = pd.DataFrame(
        {
            "id": ["meta/llama-7b", "a/llama-7b-chat", "b/llama-7b-gguf", "q/qwen-1b", "c/qwen-1b-ft"],
            "name": ["llama-7b", "llama-7b-chat", "llama-7b-gguf", "qwen-1b", "qwen-1b-ft"],
            "downloads": [9, 5, 3, 8, 1],
            "base_models": [
                [],
                [{"id": "meta/llama-7b", "relation": "finetune"}],
                [{"id": "a/llama-7b-chat", "relation": "quantized"}],
                [],
                [{"id": "q/qwen-1b", "relation": "finetune"}],
            ],
        }
    )
    sections = evaluate(EvaluationInput(models=snapshot), [atlas_quality_section, atlas_quality_synthetic_section])
    assert [s.name for s in sections] == ["atlas_quality"]  # no synthetic Hub asked for
    result = sections[0].result
    assert (result["evaluated_models"], result["families"]) == (5, 2)
    assert "Constellation baseline: single linkage on TF-IDF of names" in render(sections)


def _declaring_snapshot() -> pd.DataFrame:
    """Two families whose children declare their root; names carry the root's stem."""
    rows = []
    for root, stem in (("meta/llama-7b", "llama-7b"), ("q/qwen-1b", "qwen-1b")):
        rows.append({"id": root, "name": stem, "downloads": 100, "base_models": []})
        for i, suffix in enumerate(["chat", "gguf", "awq", "instruct", "sft", "dpo", "orpo", "4bit", "math", "code"]):
            declared = [{"id": root, "relation": None}]
            rows.append(
                {
                    "id": f"u{i}/{stem}-{suffix}",
                    "name": f"{stem}-{suffix}",
                    "downloads": 10 - i,
                    "base_models": declared,
                }
            )
    return pd.DataFrame(rows)


def test_community_scores_on_hidden_children():
    from constellation.evaluate.atlas import community_scores

    merged = community_scores(np.array(["a", "a", "b", "b"]), np.array([0, 0, 0, 0]))
    assert (merged["ari"], merged["homogeneity"], merged["completeness"]) == (0.0, 0.0, 1.0)
    exact = community_scores(np.array(["a", "a", "b"]), np.array([5, 5, 7]))
    assert (exact["ari"], exact["homogeneity"], exact["completeness"]) == (1.0, 1.0, 1.0)
    assert (exact["models"], exact["families"], exact["communities"]) == (3, 2, 2)


def test_evaluate_communities_masked_scores_only_the_hidden_children():
    from constellation.evaluate.atlas import COMMUNITY_VARIANTS, evaluate_communities_masked

    result = evaluate_communities_masked(_declaring_snapshot(), hide_share=0.3, seed=42)
    # 20 children declare a parent; 30 % of them (6) are hidden, and each has a family of 11 models.
    assert (result["models"], result["hidden"], result["scored"]) == (22, 6, 6)
    assert result["lineage_edges_visible"]["declared"] == 14
    assert [v["variant"] for v in result["variants"]] == list(COMMUNITY_VARIANTS)
    assert [v["ari"] for v in result["variants"]] == [1.0, 1.0, 1.0, 1.0]


def test_evaluate_communities_masked_needs_declared_families():
    from constellation.evaluate.atlas import evaluate_communities_masked

    snapshot = pd.DataFrame({"id": ["a/x", "b/y"], "name": ["x", "y"], "downloads": [1, 2], "base_models": [[], []]})
    with pytest.raises(AtlasQualityError, match="none of the 0 models whose lineage was hidden"):
        evaluate_communities_masked(snapshot)


# --------------------------------------------------------------------------------------------------
# Communities on the model-card set
# --------------------------------------------------------------------------------------------------


def _card_truth(rows: list[tuple[str, str | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["child", "parent", "label"], dtype=object)


def test_card_families_join_card_parents_with_declared_lineage():
    snapshot = pd.DataFrame(
        {
            "id": ["org/base", "a/base-gguf", "c/ft", "d/ft-gguf", "x/other", "e/merged", "f/alone"],
            "downloads": [100, 1, 5, 1, 500, 1, 1],
            "base_models": [[], [], [{"id": "org/base", "relation": "finetune"}], [], [], [], []],
        }
    )
    truth = _card_truth(
        [
            ("A/Base-GGUF", "org/base", "card"),  # children match whatever their case
            ("d/ft-gguf", "c/ft", "card"),  # a card parent that itself declares one: the root is declared's
            ("e/merged", "org/base", "merge"),  # a merge: the most downloaded parent leads to the root
            ("e/merged", "x/other", "merge"),
            ("f/alone", None, "source"),  # a root: no edge
            ("g/not-in-snapshot", "org/base", "card"),
        ]
    )
    family = card_families(snapshot, truth)
    assert family.tolist() == ["org/base", "org/base", "org/base", "org/base", "x/other", "x/other", "f/alone"]


def test_card_scored_mask_keeps_card_children_with_a_card_sibling():
    snapshot = pd.DataFrame({"id": ["r/a", "u/a-gguf", "v/a-awq", "r/b", "u/b-gguf", "h/hand"]})
    family = pd.Series(["r/a", "r/a", "r/a", "r/b", "r/b", "r/a"])
    truth = _card_truth(
        [
            ("u/a-gguf", "r/a", "card"),
            ("v/a-awq", "r/a", "card"),
            ("u/b-gguf", "r/b", "card"),  # the only card child of its family: no pair to score
            ("h/hand", "r/a", "unknown_annotated"),  # hand-labelled: truth only, not scored
        ]
    )
    assert card_scored_mask(snapshot, truth, family).tolist() == [False, True, True, False, False, False]


def test_community_errors_count_foreign_and_split_pairs():
    truth = np.array(["a", "a", "a", "b", "b", "c"])
    predicted = np.array([0, 0, 1, 0, 1, 2])
    labels = np.array(["zero", "zero", "one", "zero", "one", "two"])
    errors = community_errors(truth, predicted, labels, examples=5)
    # community 0 holds a a b: 2 foreign pairs; community 1 holds a b: 1. Family a sits 2 + 1: 2 pairs apart;
    # b sits 1 + 1: 1 pair apart.
    assert (errors["foreign_pairs"], errors["pairs_apart"]) == (3, 3)
    assert errors["mixed_communities"] == [
        {
            "community": 0,
            "label": "zero",
            "models": 3,
            "families": 2,
            "foreign_pairs": 2,
            "largest_families": [["a", 2], ["b", 1]],
        },
        {
            "community": 1,
            "label": "one",
            "models": 2,
            "families": 2,
            "foreign_pairs": 1,
            "largest_families": [["a", 1], ["b", 1]],
        },
    ]
    assert [(f["family"], f["communities"], f["pairs_apart"]) for f in errors["split_families"]] == [
        ("a", 2, 2),
        ("b", 2, 1),
    ]
    assert errors["split_families"][0]["largest_parts"] == [["zero", 2], ["one", 1]]


def _card_set() -> CardParentsSet:
    """Two roots with ten id-only re-uploads each that declare nothing; their cards name the root."""
    rows, truth = [], []
    for root, stem in (("meta/llama-7b", "llama-7b"), ("q/qwen-1b", "qwen-1b")):
        rows.append({"id": root, "name": stem, "downloads": 100, "base_models": []})
        for i, suffix in enumerate(["chat", "gguf", "awq", "instruct", "sft", "dpo", "orpo", "4bit", "math", "code"]):
            rows.append(
                {"id": f"u{i}/{stem}-{suffix}", "name": f"{stem}-{suffix}", "downloads": None, "base_models": []}
            )
            truth.append((f"u{i}/{stem}-{suffix}", root, "card"))
    return CardParentsSet(pd.DataFrame(rows), _card_truth(truth))


def test_evaluate_card_communities_scores_the_card_children():
    result = evaluate_card_communities(_card_set(), seed=0)
    assert (result["models"], result["card_children"], result["scored"], result["families"]) == (22, 20, 20, 2)
    assert (result["id_only"], result["scored_id_only"], result["scored_root_id_only"]) == (20, 20, 0)
    assert [v["variant"] for v in result["variants"]] == list(CARD_COMMUNITY_VARIANTS)
    assert [(v["ari"], v["homogeneity"], v["completeness"]) for v in result["variants"]] == [(1.0, 1.0, 1.0)] * 2
    assert all(v["errors"]["foreign_pairs"] == v["errors"]["pairs_apart"] == 0 for v in result["variants"])
    # Both roots carry downloads: every scored child is in the "root with data" block.
    assert [(v["root_with_data"]["models"], v["root_id_only"]["models"]) for v in result["variants"]] == [(20, 0)] * 2


def test_evaluate_card_communities_needs_two_card_children_in_a_family():
    data = _card_set()
    one_each = data.truth.drop_duplicates("parent")
    with pytest.raises(AtlasQualityError, match="no card child shares its true family"):
        evaluate_card_communities(CardParentsSet(data.snapshot, one_each))


def test_the_card_communities_section_on_the_excerpt(excerpt_card_set: CardParentsSet) -> None:
    snapshot = excerpt_card_set.snapshot
    assert communities_card_section(EvaluationInput(snapshot)) is None  # no card set given: no section
    section = communities_card_section(EvaluationInput(snapshot, card_parents=excerpt_card_set))
    assert section is not None and section.name == "communities_card_parents"
    # Only gemma-1.1-2b-it's family holds two card children (lemon-mint's fine-tune and its re-upload).
    assert (section.result["scored"], section.result["families"]) == (2, 1)
    # That root is an id-only row of the card set: its own lineage is unknown.
    assert section.result["scored_root_id_only"] == 2
    assert section.result["targets"]["ari"] == 0.35
    assert "target ARI ≥ 0.35" in section.text and "id-only rows" in section.text


@pytest.mark.shared_data
def test_the_real_card_set_scores_eleven_thousand_children(shared_data: Path) -> None:
    truth = load_card_parents(shared_data)
    assert truth is not None
    snapshot = card_parents_snapshot(load_reference_snapshots(shared_data), truth).reset_index(drop=True)
    family = card_families(snapshot, truth)
    scored = card_scored_mask(snapshot, truth, family)
    # docs/quality.md "Communities on the model-card set": 11,431 card children in 3,218 families of 2+.
    assert (int(scored.sum()), family[scored].nunique()) == (11_431, 3_218)
    assert family[snapshot["id"] == "RichardErkhov/Qwen_-_Qwen2-0.5B-4bits"].tolist() == ["Qwen/Qwen2-0.5B"]
