"""How right `params_from_name` is: precision (within ±25 % of a true count) and coverage.

Scored on models whose true size is known:

- `evaluate_params_on_snapshot(models)`: truth = `params_safetensors` of repos that do not look
  quantized (packed tensors undercount), so the score can be computed on every nightly crawl;
- `evaluate_params_on_shared_data(dir)`: the true counts collected in ../shared/data (hf-model-trees
  `safetensors.total`, interconnects' hand-checked totals and MoE active sizes), set beside the
  Constellation paper's own name-derived `params_millions`.

Definitions (docs/quality.md, "Parameters"):
- a name *states a size* when `constellation.names.states_size` finds a number with a B/M/T unit standing
  as its own token (`-7b-`, `_350M`, `1.3B`, `8x7B`), a deliberately generous test independent of the parser, so
  that the parser cannot raise its coverage by declining hard names;
- precision = correct / parsed, over models with a known truth where the parser returned a size;
- coverage = parsed / stated, over models with a known truth whose name states a size.
"""

from __future__ import annotations

import gzip
import json
import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from constellation.genealogy.params import quantized_rows
from constellation.names import params_from_name, states_active_size, states_size

log = logging.getLogger(__name__)

TOLERANCE = 0.25
TARGET_PRECISION = 0.96
TARGET_COVERAGE = 0.80

# Packed integer dtypes of safetensors (GPTQ/AWQ/MLX pack 4-bit weights into U32/I32; bitsandbytes into U8).
_PACKED_DTYPES = frozenset({"U32", "I32", "U8", "U4", "I4"})


@dataclass(frozen=True)
class SizeScore:
    """Precision and coverage of one set of predicted sizes against one set of true sizes."""

    known: int  # models with a true size
    stated: int  # ... whose name states a size
    parsed: int  # ... for which the predictor returned a size (stated or not)
    parsed_stated: int  # ... both
    correct: int  # parsed and within the tolerance of the truth
    precision: float | None  # correct / parsed
    coverage: float | None  # parsed_stated / stated
    precision_low95: float | None  # Wilson 95 % lower bound: how low precision may really be on this sample
    coverage_low95: float | None
    tolerance: float = TOLERANCE
    misses: list[dict[str, Any]] = field(default_factory=list)  # a few wrong answers, for reading

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def wilson_lower(successes: int, trials: int, z: float = 1.96) -> float | None:
    """Lower end of the Wilson score interval of a proportion (None for no trials)."""
    if trials == 0:
        return None
    p = successes / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return round((centre - spread) / (1 + z * z / trials), 4)


def within(predicted: float, truth: float, tolerance: float = TOLERANCE) -> bool:
    """Whether `predicted` lies within ±tolerance of `truth` (relative to the truth)."""
    return abs(predicted - truth) <= tolerance * truth


def score_sizes(
    names: pd.Series,
    truth: pd.Series,
    predicted: pd.Series,
    *,
    tolerance: float = TOLERANCE,
    max_misses: int = 25,
    states: Callable[[str], bool] = states_size,
) -> SizeScore:
    """Score `predicted` sizes against `truth` (all aligned on one index; null = unknown / not parsed).

    Only rows with a positive truth count. `states` decides which names state a size (the coverage
    denominator). See the module docstring for the definitions.
    """
    frame = pd.DataFrame(
        {
            "name": names.astype(object),
            "truth": pd.to_numeric(truth, errors="coerce").astype("float64"),
            "predicted": pd.to_numeric(predicted, errors="coerce").astype("float64"),
        }
    )
    frame = frame[frame["truth"] > 0]
    stated = frame["name"].map(states).astype(bool)
    parsed = frame["predicted"].notna() & (frame["predicted"] > 0)
    ok = parsed & ((frame["predicted"] - frame["truth"]).abs() <= tolerance * frame["truth"])
    wrong = frame[parsed & ~ok]
    misses = [
        {"name": n, "truth": int(t), "predicted": int(p)}
        for n, t, p in zip(wrong["name"][:max_misses], wrong["truth"][:max_misses], wrong["predicted"][:max_misses])
    ]
    n_parsed, n_stated = int(parsed.sum()), int(stated.sum())
    n_parsed_stated, n_ok = int((parsed & stated).sum()), int(ok.sum())
    return SizeScore(
        known=len(frame),
        stated=n_stated,
        parsed=n_parsed,
        parsed_stated=n_parsed_stated,
        correct=n_ok,
        precision=round(n_ok / n_parsed, 4) if n_parsed else None,
        coverage=round(n_parsed_stated / n_stated, 4) if n_stated else None,
        precision_low95=wilson_lower(n_ok, n_parsed),
        coverage_low95=wilson_lower(n_parsed_stated, n_stated),
        tolerance=tolerance,
        misses=misses,
    )


def _parse_totals(names: pd.Series) -> pd.Series:
    return pd.Series([params_from_name(n).total for n in names], index=names.index, dtype="Float64")


def _parse_actives(names: pd.Series) -> pd.Series:
    return pd.Series([params_from_name(n).active for n in names], index=names.index, dtype="Float64")


def score_params_from_name(names: pd.Series, truth: pd.Series, *, tolerance: float = TOLERANCE) -> SizeScore:
    """Score `params_from_name(name).total` against `truth` (aligned Series)."""
    return score_sizes(names, truth, _parse_totals(names), tolerance=tolerance)


def _meets_targets(score: SizeScore) -> bool | None:
    if score.precision is None or score.coverage is None:
        return None
    return score.precision >= TARGET_PRECISION and score.coverage >= TARGET_COVERAGE


def _report(score: SizeScore) -> dict[str, Any]:
    return {**score.as_dict(), "meets_targets": _meets_targets(score)}


# --------------------------------------------------------------------------------------------------
# On a snapshot frame
# --------------------------------------------------------------------------------------------------


def evaluate_params_on_snapshot(models: pd.DataFrame) -> dict[str, Any]:
    """Score `params_from_name` on a snapshot frame: truth = `params_safetensors` of non-quantized repos.

    Quantized repos (by name, tags or a declared `quantized` parent) are skipped because their
    safetensors totals count packed tensors. Works on empty frames (all counts 0, scores None).
    """
    if "params_safetensors" not in models.columns or len(models) == 0:
        empty = score_sizes(pd.Series([], dtype=object), pd.Series([], dtype=float), pd.Series([], dtype=float))
        return {"truth": "params_safetensors of non-quantized repos", "skipped_quantized": 0, **_report(empty)}
    names = (models["id"] if "id" in models.columns else models["name"]).astype(object)
    truth = pd.to_numeric(models["params_safetensors"], errors="coerce")
    quantized = quantized_rows(models)
    keep = truth.notna() & (truth > 0) & ~quantized
    score = score_params_from_name(names[keep], truth[keep])
    return {
        "truth": "params_safetensors of non-quantized repos",
        "skipped_quantized": int((truth.notna() & quantized).sum()),
        **_report(score),
    }


# --------------------------------------------------------------------------------------------------
# On ../shared/data
# --------------------------------------------------------------------------------------------------

_TREES = Path("hf-model-trees") / "model_trees_metadata.jsonl.gz"
_INTERCONNECTS = Path("interconnects-tracked-models") / "model_parameters.csv"
_PAPER = Path("constellation") / "HuggingFaceLLMsWithParamsAndReadmeLinks.csv"


def load_tree_truths(path: Path) -> tuple[pd.DataFrame, int]:
    """hf-model-trees ids with `safetensors.total`, minus quantized repos; and how many were skipped.

    A repo's total counts packed tensors when its safetensors hold packed integer dtypes (U32/I32/U8/U4/I4:
    GPTQ, AWQ and MLX pack 4-bit weights into U32, bitsandbytes into U8) for more than 5 % of the weights.
    These records carry their dtypes, so this is decided from the tensors, not guessed from names: FP8,
    INT8 and `-bf16` MLX conversions count every weight and stay in.
    """
    rows, skipped = [], 0
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            meta = json.loads(line).get("metadata") or {}
            st = meta.get("safetensors") or {}
            total = st.get("total")
            if not total or not meta.get("id"):
                continue
            by_dtype = st.get("parameters") or {}
            packed = sum(v for k, v in by_dtype.items() if k in _PACKED_DTYPES)
            if packed > 0.05 * total:
                skipped += 1
                continue
            rows.append({"id": meta["id"], "truth": float(total)})
    return pd.DataFrame(rows, columns=["id", "truth"]).drop_duplicates("id"), skipped


def load_interconnects_truths(path: Path) -> pd.DataFrame:
    """interconnects' hand-checked totals and active sizes, in parameters (the file gives billions)."""
    frame = pd.read_csv(path)
    return pd.DataFrame(
        {
            "id": frame["model_id"],
            "truth": pd.to_numeric(frame["total_params_b"], errors="coerce") * 1e9,
            "truth_active": pd.to_numeric(frame["active_params_b"], errors="coerce") * 1e9,
        }
    ).drop_duplicates("id")


def load_paper_sizes(path: Path) -> pd.DataFrame:
    """The Constellation paper's ids and its name-derived `params_millions`, in parameters."""
    frame = pd.read_csv(path)
    ids = frame["link"].astype(str).str.replace("https://huggingface.co/", "", regex=False)
    return pd.DataFrame(
        {"id": ids, "paper": pd.to_numeric(frame["params_millions"], errors="coerce") * 1e6}
    ).drop_duplicates("id")


def _score_block(ids: pd.Series, truth: pd.Series, paper: pd.Series | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"params_from_name": _report(score_params_from_name(ids, truth))}
    if paper is not None:
        block["paper_params_millions"] = _report(score_sizes(ids, truth, paper))
    return block


def evaluate_params_on_shared_data(shared_data_dir: Path) -> dict[str, Any] | None:
    """Score `params_from_name` (and the paper's sizes) on the true counts in ../shared/data.

    Returns None when the folder is absent; a source whose file is missing is reported as skipped.
    """
    shared_data_dir = Path(shared_data_dir)
    if not shared_data_dir.is_dir():
        log.info("no shared data at %s: parameter evaluation on real truths skipped", shared_data_dir)
        return None
    result: dict[str, Any] = {"tolerance": TOLERANCE, "skipped_sources": []}
    truths: list[pd.DataFrame] = []
    paper = load_paper_sizes(shared_data_dir / _PAPER) if (shared_data_dir / _PAPER).is_file() else None
    if paper is None:
        result["skipped_sources"].append(str(_PAPER))

    if (shared_data_dir / _TREES).is_file():
        trees, skipped = load_tree_truths(shared_data_dir / _TREES)
        trees = _with_paper(trees, paper)
        result["hf_model_trees"] = {
            "truth": "safetensors.total of non-quantized repos",
            "skipped_quantized": skipped,
            **_score_block(trees["id"], trees["truth"], trees.get("paper")),
        }
        truths.append(trees[["id", "truth"]].assign(source="hf-model-trees"))
    else:
        result["skipped_sources"].append(str(_TREES))

    if (shared_data_dir / _INTERCONNECTS).is_file():
        curated = _with_paper(load_interconnects_truths(shared_data_dir / _INTERCONNECTS), paper)
        block = _score_block(curated["id"], curated["truth"], curated.get("paper"))
        moe = curated[curated["truth_active"].notna()]
        block["active_params"] = _report(
            score_sizes(moe["id"], moe["truth_active"], _parse_actives(moe["id"]), states=states_active_size)
        )
        result["interconnects"] = {"truth": "hand-checked total_params_b (active_params_b for MoE)", **block}
        truths.append(curated[["id", "truth"]].assign(source="interconnects"))
    else:
        result["skipped_sources"].append(str(_INTERCONNECTS))

    if truths:
        # One model, one truth: interconnects' curated count wins over a safetensors total.
        combined = pd.concat(truths[::-1], ignore_index=True).drop_duplicates("id")
        combined = _with_paper(combined, paper)
        result["combined"] = _score_block(combined["id"], combined["truth"])
        if paper is not None:
            overlap = combined[combined["id"].isin(paper["id"])]
            result["paper_overlap"] = {
                "ids": len(overlap),
                **_score_block(overlap["id"], overlap["truth"], overlap["paper"]),
            }
    if paper is not None:
        result["paper_agreement"] = agreement_with_paper(paper)
    return result


def _with_paper(frame: pd.DataFrame, paper: pd.DataFrame | None) -> pd.DataFrame:
    if paper is None:
        return frame
    return frame.merge(paper, on="id", how="left")


def agreement_with_paper(
    paper: pd.DataFrame, parse: Callable[[str], int | None] = lambda n: params_from_name(n).total
) -> dict[str, Any]:
    """Compare `params_from_name` with the paper's `params_millions` on the paper's own names.

    No truth here: it counts where the two agree (within the tolerance), where only one gives a size,
    and where they differ, with examples of each disagreement.
    """
    ours = pd.Series([parse(i) for i in paper["id"]], index=paper.index, dtype="Float64")
    theirs = paper["paper"].astype("Float64")
    both = ours.notna() & theirs.notna()
    agree = both & ((ours - theirs).abs() <= TOLERANCE * theirs)
    differ = both & ~agree

    def examples(mask: pd.Series, n: int = 12) -> list[dict[str, Any]]:
        rows = paper[mask.to_numpy(dtype=bool)].head(n)
        return [
            {
                "id": i,
                "ours": None if pd.isna(ours[k]) else int(ours[k]),
                "paper": None if pd.isna(theirs[k]) else int(theirs[k]),
            }
            for k, i in zip(rows.index, rows["id"])
        ]

    only_ours = ours.notna() & theirs.isna()
    only_paper = ours.isna() & theirs.notna()
    return {
        "names": len(paper),
        "ours_filled": int(ours.notna().sum()),
        "paper_filled": int(theirs.notna().sum()),
        "both": int(both.sum()),
        "agree": int(agree.sum()),
        "differ": int(differ.sum()),
        "only_ours": int(only_ours.sum()),
        "only_paper": int(only_paper.sum()),
        "examples_differ": examples(differ.fillna(False)),
        "examples_only_ours": examples(only_ours.fillna(False)),
        "examples_only_paper": examples(only_paper.fillna(False)),
    }
