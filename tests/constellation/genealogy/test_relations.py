"""The relation of inferred edges, learned from what the masked declarations declare: exact tables."""

from __future__ import annotations

import pandas as pd
import pytest

from constellation.genealogy.relations import (
    RELATION_PRIOR_WEIGHT,
    SWITCH_SHARE,
    TABLE_COLUMNS,
    learned_relations,
    relation_table,
)


def _scored(rows: list[tuple[str, str, str, str | None, int]]) -> pd.DataFrame:
    """Right-parent proposals: (child id, rule, inferred relation, declared relation, how many of them)."""
    out = [
        {"target": child.replace("/", f"{k}/"), "source": "p/Parent", "rule": rule, "relation": inferred, "correct": True,
         "declared_relation": declared}
        for child, rule, inferred, declared, n in rows
        for k in range(n)
    ]  # fmt: skip
    # A wrong proposal never counts, whatever it would declare.
    out.append({"target": "w/W-GGUF", "source": "p/Other", "rule": "name match", "relation": "quantized",
                "correct": False, "declared_relation": None})  # fmt: skip
    return pd.DataFrame(out)


def _rows(table: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in table[["level", "inferred", "format", "rule", "right", "share", "relation"]].to_numpy()]


def test_a_snapshot_that_declares_its_copies_fine_tunes_switches_every_level() -> None:
    # 24 GGUFs (name match) and 6 bf16 re-saves (sibling vote), all declared fine-tunes (hf-model-trees' habit).
    table = relation_table(_scored([("q/M-GGUF", "name match", "quantized", "finetune", 24),
                                    ("q/M-bf16", "sibling vote", "quantized", "finetune", 6)]))  # fmt: skip
    w = RELATION_PRIOR_WEIGHT
    top = 30 / (30 + w)  # 0.75 of the relation level declare a fine-tune
    # Each format is drawn towards what the other one declares (the level above without its own examples);
    # each class is its format's only one, so it has its format's share.
    bf16 = (6 + w * 24 / (24 + w)) / (6 + w)
    gguf = (24 + w * 6 / (6 + w)) / (24 + w)
    assert _rows(table) == [
        ("relation", "quantized", "all", "all", 30, round(top, 4), "finetune"),
        ("format", "quantized", "conversion", "all", 6, round(bf16, 4), "finetune"),
        ("format", "quantized", "gguf", "all", 24, round(gguf, 4), "finetune"),
        ("class", "quantized", "conversion", "sibling vote", 6, round(bf16, 4), "finetune"),
        ("class", "quantized", "gguf", "name match", 24, round(gguf, 4), "finetune"),
    ]
    assert table["switched"].all() and list(table.columns) == TABLE_COLUMNS
    assert table[["finetune", "quantized", "adapter", "merge"]].sum().tolist() == [90, 0, 0, 0]


@pytest.mark.parametrize("unanimous, switched", [(19, False), (21, True)])
def test_it_takes_twenty_unanimous_declarations_to_overturn_the_rule(unanimous: int, switched: bool) -> None:
    table = relation_table(_scored([("q/M-GGUF", "name match", "quantized", "finetune", unanimous)]))
    top = table[table["level"] == "relation"].iloc[0]
    assert (top["share"] >= SWITCH_SHARE) == switched
    assert table["switched"].tolist() == [switched] * 3
    assert set(table["relation"]) == {"finetune" if switched else "quantized"}


def test_a_mixed_class_keeps_the_rule_relation_and_missing_relations_read_as_fine_tunes() -> None:
    # hf-top-downloads' conversions: about half declare a fine-tune. A missing relation is a fine-tune.
    table = relation_table(_scored([("q/M-onnx", "name match", "quantized", "finetune", 5),
                                    ("q/N-onnx", "name match", "quantized", None, 2),
                                    ("q/O-onnx", "name match", "quantized", "quantized", 6)]))  # fmt: skip
    assert table["relation"].tolist() == ["quantized"] * 3 and not table["switched"].any()
    assert table[["finetune", "quantized"]].iloc[0].tolist() == [7, 6]
    # The share shown is the rule's own: (6 + 10) / 23 at the relation level.
    assert table["share"].iloc[0] == round(16 / 23, 4)


def test_no_right_parent_gives_an_empty_table_and_relations_stay() -> None:
    table = relation_table(_scored([]))
    assert table.empty and list(table.columns) == TABLE_COLUMNS
    proposals = pd.DataFrame({"target": ["a/X-GGUF"], "rule": ["name match"], "relation": ["quantized"]})
    relation, notes = learned_relations(table, proposals)
    assert relation.tolist() == ["quantized"] and notes.tolist() == [""]


def test_each_proposal_takes_the_deepest_row_of_its_class() -> None:
    # GGUFs and MLX conversions by name match declare fine-tunes; by owner habit, GGUFs declare quantisations.
    table = relation_table(_scored([("q/M-GGUF", "name match", "quantized", "finetune", 30),
                                    ("q/M-mlx", "name match", "quantized", "finetune", 12),
                                    ("q/O-GGUF", "owner habit", "quantized", "quantized", 30),
                                    ("f/M-chat", "prefix vote", "finetune", "finetune", 3)]))  # fmt: skip
    w = RELATION_PRIOR_WEIGHT
    gguf_prior = 12 / (12 + w)  # fine-tunes: the MLX ones, drawn towards the rule's relation
    mlx_prior = 30 / (60 + w)  # the GGUFs: half and half
    mlx = (12 + w * mlx_prior) / (12 + w)
    by_name = (30 + w * (w * gguf_prior) / (30 + w)) / (30 + w)  # towards the owner-habit GGUFs
    by_habit = (30 + w * (w * (1 - gguf_prior)) / (30 + w)) / (30 + w)  # towards the name-matched ones
    assert _rows(table) == [
        ("relation", "finetune", "all", "all", 3, 1.0, "finetune"),
        ("relation", "quantized", "all", "all", 72, round(40 / 82, 4), "quantized"),  # 42 to 30: too close
        ("format", "finetune", "none", "all", 3, 1.0, "finetune"),
        ("format", "quantized", "gguf", "all", 60, round((30 + w * (1 - gguf_prior)) / 70, 4), "quantized"),
        ("format", "quantized", "mlx", "all", 12, round(mlx, 4), "finetune"),
        ("class", "finetune", "none", "prefix vote", 3, 1.0, "finetune"),
        ("class", "quantized", "gguf", "name match", 30, round(by_name, 4), "finetune"),
        ("class", "quantized", "gguf", "owner habit", 30, round(by_habit, 4), "quantized"),
        ("class", "quantized", "mlx", "name match", 12, round(mlx, 4), "finetune"),
    ]
    proposals = pd.DataFrame(
        {
            "target": ["a/X-GGUF", "b/Y-GGUF", "c/Z-mlx", "d/W-mlx", "e/V-AWQ", "f/U-chat"],
            "rule": ["name match", "owner habit", "name match", "sibling vote", "name match", "prefix vote"],
            "relation": ["quantized", "quantized", "quantized", "quantized", "quantized", "finetune"],
        }
    )
    relation, notes = learned_relations(table, proposals)
    # d/W-mlx: no sibling-vote MLX was masked, so its format's row decides; e/V-AWQ: no packed copy was, so
    # the relation level does, which keeps the rule's.
    assert relation.tolist() == ["finetune", "quantized", "finetune", "finetune", "quantized", "finetune"]
    assert notes.tolist() == [
        "; relation finetune, not quantized: 30 of 30 right parents of gguf names by name match in this "
        "snapshot's masked declarations are declared finetune",
        "",
        "; relation finetune, not quantized: 12 of 12 right parents of mlx names by name match in this "
        "snapshot's masked declarations are declared finetune",
        "; relation finetune, not quantized: 12 of 12 right parents of mlx names in this snapshot's masked "
        "declarations are declared finetune",
        "",
        "",
    ]
