"""The relation an inferred edge carries, learned from the snapshot's own declarations.

    calibration's masked proposals that name a right parent, each with the relation its declared edge has
    ─► evidence class of each: the relation the rule gives (inferred._relation) × the child's format class
       (names.format_class: gguf, mlx, packed, conversion, adapter, none) × the rule
    ─► shares of the declared relations at three levels, each drawn by RELATION_PRIOR_WEIGHT
       pseudo-declarations (a Dirichlet prior, as calibration's beta priors) towards what the level above
       declares besides the row's own examples:
           "relation" (all right parents of one inferred relation; its prior: the rule's relation, alone)
           ─► "format" (... whose child has one format class) ─► "class" (... by one rule)
    ─► each row carries the relation that holds SWITCH_SHARE of its shares, else the rule's; a proposal
       takes that of the deepest row of its class seen (a class without masked examples: its format's, else
       its relation's)
    ─► proposals whose row switched carry the declared relation and say so in their evidence; their
       confidence is untouched (whether the parent is right does not depend on what the edge is called)

Why: the rules name the relation from the child's name alone (a format marker makes a copy "quantized"),
while what the Hub declares differs by kind of copy and by snapshot: most GGUFs declare a quantisation,
re-saves in bf16 or OpenVINO often a fine-tune, and a snapshot collected from the Hub's fine-tune trees
(hf-model-trees) declares fine-tunes only. Pooling upwards lets a snapshot's habit show through classes
with a handful of examples; the prior keeps a few odd declarations from overturning the rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from constellation.contract import RELATIONS
from constellation.names import format_class

# Each level's shares count as this many declarations of the level above besides its own (the top level's:
# of the rule's own relation), so with SWITCH_SHARE it takes 20 unanimous right parents of one inferred
# relation to overturn the rule; on hf-top-downloads, where 0.94-0.96 of right parents of copies declare a
# quantisation, no class is overturned; on hf-model-trees, where none does, all are.
RELATION_PRIOR_WEIGHT = 10
# A row gives another relation than the rule's only when that relation holds this share of it: a mixed class
# is a coin flip either way (on hf-top-downloads, 6 or 7 of the ~12 right parents of name-matched `-bf16` /
# `-onnx` conversions declare a fine-tune, the others a quantisation), and there the rule's relation stays.
SWITCH_SHARE = 2 / 3
LEVELS = (("relation", ["inferred"]), ("format", ["inferred", "format"]), ("class", ["inferred", "format", "rule"]))
ALL = "all"  # the format or rule of a row that pools them
TABLE_COLUMNS = ["level", "inferred", "format", "rule", "right", *RELATIONS, "share", "relation", "switched"]


def relation_table(scored: pd.DataFrame) -> pd.DataFrame:
    """Per level and evidence class seen among the right-parent proposals of `scored` (target, rule,
    relation, correct, declared_relation): `right` proposals, how many declare each of RELATIONS, the
    relation the class's proposals carry, its `share` (drawn towards the level above) and whether it
    `switched` from the rule's."""
    right = scored[scored["correct"].to_numpy(dtype=bool)]
    if right.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})
    declared = right["declared_relation"].astype(object)
    frame = pd.DataFrame(
        {
            "inferred": right["relation"].astype(str).to_numpy(dtype=object),
            "format": format_class(right["target"]),
            "rule": right["rule"].astype(str).to_numpy(dtype=object),
            # A declaration without a known relation is a fine-tune, as evaluate_lineage reads it.
            "declared": declared.where(declared.isin(RELATIONS), "finetune").to_numpy(dtype=object),
        }
    )
    counts: dict[tuple[str, ...], np.ndarray] = {}
    priors: dict[tuple[str, ...], np.ndarray] = {}
    rows = []
    for level, keys in LEVELS:
        crossed = pd.crosstab([frame[k] for k in keys], frame["declared"]).reindex(
            columns=list(RELATIONS), fill_value=0
        )
        for key, values in zip(crossed.index.tolist(), crossed.to_numpy(dtype=float)):
            key = key if isinstance(key, tuple) else (key,)
            counts[key] = values
            if len(key) == 1:
                prior = np.asarray([r == key[0] for r in RELATIONS], dtype=float)
            else:
                # What the level above declares without this row's own examples (else a lone class would
                # count its examples twice and 5 unanimous ones would overturn the rule).
                above, own_prior = counts[key[:-1]] - values, priors[key[:-1]]
                prior = (above + RELATION_PRIOR_WEIGHT * own_prior) / (above.sum() + RELATION_PRIOR_WEIGHT)
            priors[key] = prior
            share = (values + RELATION_PRIOR_WEIGHT * prior) / (values.sum() + RELATION_PRIOR_WEIGHT)
            own = RELATIONS.index(key[0]) if key[0] in RELATIONS else int(np.argmax(share))
            best = int(np.argmax(share)) if share.max() >= SWITCH_SHARE else own
            rows.append(
                {
                    "level": level,
                    "inferred": key[0],
                    "format": key[1] if len(key) > 1 else ALL,
                    "rule": key[2] if len(key) > 2 else ALL,
                    "right": int(values.sum()),
                    **{r: int(v) for r, v in zip(RELATIONS, values)},
                    "share": round(float(share[best]), 4),
                    "relation": RELATIONS[best],
                    "switched": RELATIONS[best] != key[0],
                }
            )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def learned_relations(table: pd.DataFrame, proposals: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(relation, note) of each proposal (target, rule, relation): the relation of the deepest table row of
    its class, and where that is not its own, the words its evidence ends with to say why ("" elsewhere)."""
    relation = proposals["relation"].astype(object).to_numpy(dtype=object).copy()
    notes = np.full(len(proposals), "", dtype=object)
    if len(table) == 0 or len(proposals) == 0 or not table["switched"].astype(bool).any():
        return relation, notes
    # Only the proposals of an inferred relation with a switched row need their names read.
    moved = set(table.loc[table["switched"].astype(bool), "inferred"].tolist())
    rows = np.flatnonzero(pd.Series(relation).isin(moved).to_numpy(dtype=bool))
    if len(rows) == 0:
        return relation, notes
    inferred = relation[rows]
    formats = format_class(proposals["target"].iloc[rows])
    rules = proposals["rule"].astype(str).to_numpy(dtype=object)[rows]
    by_key = {(r["inferred"], r["format"], r["rule"]): r for r in table.to_dict(orient="records")}
    for at, key in zip(rows.tolist(), zip(inferred.tolist(), formats.tolist(), rules.tolist())):
        row = by_key.get(key) or by_key.get((key[0], key[1], ALL)) or by_key.get((key[0], ALL, ALL))
        if row is None or not row["switched"]:
            continue
        relation[at] = row["relation"]
        notes[at] = f"; relation {row['relation']}, not {row['inferred']}: {_scope(row)}"
    return relation, notes


def _scope(row: dict[str, Any]) -> str:
    """What the snapshot declares for a switched row's class, in words."""
    what = {
        "relation": f"children inferred {row['inferred']}",
        "format": f"{row['format']} names",
        "class": f"{row['format']} names by {row['rule']}",
    }[row["level"]]
    return (
        f"{row[row['relation']]} of {row['right']} right parents of {what} in this snapshot's masked "
        f"declarations are declared {row['relation']}"
    )
