"""Atlas quality: how well name communities and clusters agree with declared lineage families.

    models (id, name, family) ─► evaluation set: models in a declared family of >= 2 models in the snapshot
        ├► our communities and clusters, built from NAMES ALONE (no lineage edges in the graph)
        ├► the Constellation baseline (baseline.py): single linkage and thresholded-graph Louvain,
        │  each at its best cut
        └► score_partition: ARI, NMI, pairwise precision and recall against the families

The truth is `family`, each model's root ancestor along declared `base_model` lineage. A model with no
declared lineage is its own one-model family and says nothing about grouping, so only families of at
least `min_family_size` models in the snapshot are scored. Partitions are computed over every model (the
names of unscored models still shape the graph) and restricted to the evaluation set for scoring.

Communities must come from names alone, or they would be graded on the very edges they are compared
with: `evaluate_atlas` rebuilds them with lineage edges switched off unless the caller says the atlas
already was. The baseline's cut is chosen with the truth (the best ARI over its cuts and thresholds), an
advantage our atlas does not get: the comparison is tilted towards the baseline, not against it.

Pairwise precision is the share of same-cluster pairs that are same-family pairs, recall the share of
same-family pairs put in the same cluster. Both come from the contingency table of (family, cluster)
counts, sum of C(n_ij, 2) over its cells, so they cost O(n), never O(n²) pairs.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix

from constellation.atlas.config import AtlasConfig
from constellation.atlas.stage import AtlasMap, map_atlas
from constellation.contract import EDGE_COLUMNS
from constellation.errors import AtlasQualityError, EvaluationError
from constellation.evaluate.baseline import (
    BaselineConfig,
    check_size,
    cluster_counts,
    cut_into,
    name_tfidf,
    pairwise_similarities,
    single_linkage,
    threshold_louvain,
)
from constellation.evaluate.card_parents import CardParentsSet
from constellation.evaluate.lineage import hide_lineage
from constellation.evaluate.sections import EvaluationInput, Section, table
from constellation.genealogy.declared import declared_lineage
from constellation.genealogy.stage import Genealogy, GenealogyConfig, annotate

log = logging.getLogger(__name__)

DEFAULT_MIN_FAMILY_SIZE = 2


# --------------------------------------------------------------------------------------------------
# Scores of one partition
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionScores:
    models: int  # models scored
    families: int  # distinct true families among them
    clusters: int  # distinct predicted clusters among them
    ari: float
    nmi: float
    precision: float  # pairwise: same-cluster pairs that are same-family pairs
    recall: float  # pairwise: same-family pairs that are same-cluster pairs

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "f1": self.f1}


def _pairs(counts: np.ndarray) -> int:
    counts = np.asarray(counts, dtype=np.int64)
    return int((counts * (counts - 1) // 2).sum())


def score_partition(truth: Sequence[Any] | np.ndarray, predicted: Sequence[Any] | np.ndarray) -> PartitionScores:
    """ARI, NMI and pairwise precision/recall of `predicted` cluster ids against `truth` labels.

    Precision (recall) is 0 when the partition puts no two models together (no two share a family).
    """
    truth = np.asarray(truth)
    predicted = np.asarray(predicted)
    if truth.shape != predicted.shape or truth.ndim != 1:
        raise AtlasQualityError(
            f"truth and prediction must be two equal-length lists; got {truth.shape} and {predicted.shape}"
        )
    if len(truth) == 0:
        raise AtlasQualityError("nothing to score: the evaluation set is empty")
    table = contingency_matrix(truth, predicted, sparse=True)
    together = _pairs(table.data)
    same_cluster = _pairs(np.asarray(table.sum(axis=0)).ravel())
    same_family = _pairs(np.asarray(table.sum(axis=1)).ravel())
    return PartitionScores(
        models=len(truth),
        families=table.shape[0],
        clusters=table.shape[1],
        ari=float(adjusted_rand_score(truth, predicted)),
        nmi=float(normalized_mutual_info_score(truth, predicted)),
        precision=together / same_cluster if same_cluster else 0.0,
        recall=together / same_family if same_family else 0.0,
    )


# --------------------------------------------------------------------------------------------------
# The evaluation set
# --------------------------------------------------------------------------------------------------


def evaluation_mask(models: pd.DataFrame, min_family_size: int = DEFAULT_MIN_FAMILY_SIZE) -> np.ndarray:
    """Rows of `models` in a declared family of at least `min_family_size` models of the snapshot."""
    if "family" not in models.columns:
        raise AtlasQualityError(
            "models have no `family` column; run the genealogy stage first (constellation.genealogy.stage.annotate)"
        )
    family = models["family"]
    sizes = family.map(family.value_counts())
    return (family.notna() & (sizes >= min_family_size)).to_numpy(dtype=bool)


# --------------------------------------------------------------------------------------------------
# Partitions to compare
# --------------------------------------------------------------------------------------------------


def names_only_atlas(models: pd.DataFrame, config: AtlasConfig | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Our communities and clusters of `models`, built from names alone: no lineage edge enters the graph."""
    config = dataclasses.replace(config or AtlasConfig(), lineage_weight=0.0)
    no_lineage = pd.DataFrame(columns=list(EDGE_COLUMNS))
    mapped = map_atlas(models.reset_index(drop=True), no_lineage, config)
    return mapped.models[["community", "cluster"]], config.as_dict()


@dataclass
class MethodResult:
    key: str
    method: str
    setting: str
    scores: PartitionScores | None
    seconds: float
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "method": self.method, "setting": self.setting}
        out.update(self.scores.as_dict() if self.scores else {})
        out["seconds"] = round(self.seconds, 3)
        if self.note:
            out["note"] = self.note
        return out


def baseline_results(
    names: Sequence[str], truth: np.ndarray, mask: np.ndarray, config: BaselineConfig
) -> list[MethodResult]:
    """The Constellation baseline on `names`, each method at the cut that scores best (by ARI) on `mask`."""
    check_size(len(names), config)
    started = time.perf_counter()
    features = name_tfidf(names)
    sims = pairwise_similarities(features, config, min_similarity=min(config.thresholds))
    shared = time.perf_counter() - started

    t0 = time.perf_counter()
    tree = single_linkage(sims.condensed_distances)
    del sims.condensed_distances
    best_k, best = 0, None
    for k in cluster_counts(len(names)):
        scores = score_partition(truth, cut_into(tree, k)[mask])
        if best is None or scores.ari > best.ari:
            best_k, best = k, scores
    linkage_s = time.perf_counter() - t0 + shared

    t0 = time.perf_counter()
    best_t, best_louvain, skipped = 0.0, None, []
    for threshold in config.thresholds:
        edges = int((sims.similarities >= threshold).sum())
        if edges > config.max_graph_edges:
            skipped.append(f"{threshold:.2f} ({edges:,} edges)")
            continue
        labels = threshold_louvain(len(names), sims.pairs, sims.similarities, threshold, config.seed)
        scores = score_partition(truth, labels[mask])
        log.info("baseline louvain at similarity >= %.2f: ARI %.3f", threshold, scores.ari)
        if best_louvain is None or scores.ari > best_louvain.ari:
            best_t, best_louvain = threshold, scores
    louvain_s = time.perf_counter() - t0 + shared
    return [
        MethodResult(
            "baseline_single_linkage",
            "Constellation baseline: single linkage on TF-IDF of names",
            f"best of {len(cluster_counts(len(names)))} cuts: {best_k:,} clusters over all {len(names):,} models",
            best,
            linkage_s,
        ),
        MethodResult(
            "baseline_louvain",
            "Constellation baseline: Louvain on the thresholded similarity graph",
            f"best of {len(config.thresholds) - len(skipped)} thresholds: similarity >= {best_t:.2f}",
            best_louvain,
            louvain_s,
            f"skipped, graph above {config.max_graph_edges:,} edges: {', '.join(skipped)}" if skipped else "",
        ),
    ]


def evaluate_atlas(
    models: pd.DataFrame,
    *,
    config: AtlasConfig | None = None,
    names_only_columns: bool = False,
    baseline: BaselineConfig | None = None,
    run_baseline: bool = True,
    min_family_size: int = DEFAULT_MIN_FAMILY_SIZE,
    resolutions: Sequence[float] = (),
) -> dict[str, Any]:
    """Scores of our communities, our clusters and the Constellation baseline against declared families.

    `models` needs `id`, `name` and `family` (the genealogy stage's root ancestor). Our partitions are
    rebuilt from names alone with `config` (an AtlasConfig; lineage edges forced off) unless
    `names_only_columns` is True and `models` already holds `community` and `cluster` from such a build.
    The baseline runs on the same models when they fit under `baseline.max_models`, else it is skipped
    with the reason. Each of `resolutions` rebuilds our names-only atlas at that Louvain resolution and
    scores its communities too (a sweep, to see how much of a gap is granularity rather than grouping).
    Returns a JSON-ready dict; `format_atlas_quality` renders it as Markdown.
    """
    baseline = baseline or BaselineConfig()
    models = models.reset_index(drop=True)
    mask = evaluation_mask(models, min_family_size)
    if not mask.any():
        raise AtlasQualityError(
            f"no declared family has {min_family_size} or more models among these {len(models):,}; "
            "atlas quality needs models whose base_model lineage links them"
        )
    truth = models.loc[mask, "family"].astype(str).to_numpy()
    result: dict[str, Any] = {
        "models": int(len(models)),
        "evaluated_models": int(mask.sum()),
        "families": int(len(set(truth))),
        "min_family_size": min_family_size,
        "truth": "family = root ancestor of declared base_model lineage",
        "communities_from": "model names only (no lineage edges in the similarity graph)",
    }

    t0 = time.perf_counter()
    if names_only_columns and {"community", "cluster"} <= set(models.columns):
        ours = models[["community", "cluster"]]
        result["atlas_config"] = "as built (caller stated: names only)"
    else:
        ours, used = names_only_atlas(models, config)
        result["atlas_config"] = used
    ours_s = time.perf_counter() - t0
    names_only = isinstance(result["atlas_config"], dict)
    used_resolution = (config or AtlasConfig()).community_resolution(families_kept=False) if names_only else None
    methods = [
        MethodResult(
            "atlas_communities",
            "Constellation atlas: Louvain communities of the kNN name graph",
            f"resolution {used_resolution:g} as configured, no tuning" if used_resolution else "as built, no tuning",
            score_partition(truth, ours["community"].to_numpy()[mask]),
            ours_s,
            "seconds: the whole names-only atlas (features, kNN, communities, hierarchy, layout)",
        ),
        MethodResult(
            "atlas_clusters",
            "Constellation atlas: hierarchy clusters at the default cut",
            "default cut, no tuning",
            score_partition(truth, ours["cluster"].to_numpy()[mask]),
            ours_s,
        ),
    ]

    for resolution in resolutions:
        t0 = time.perf_counter()
        swept, _ = names_only_atlas(models, dataclasses.replace(config or AtlasConfig(), resolution=resolution))
        methods.append(
            MethodResult(
                f"atlas_communities_resolution_{resolution:g}",
                "Constellation atlas: Louvain communities of the kNN name graph",
                f"resolution {resolution:g}",
                score_partition(truth, swept["community"].to_numpy()[mask]),
                time.perf_counter() - t0,
            )
        )

    if run_baseline:
        if len(models) > baseline.max_models:
            result["baseline_skipped"] = (
                f"{len(models):,} models exceed the baseline's cap of {baseline.max_models:,}: its condensed "
                f"distance matrix would need {len(models) * (len(models) - 1) / 2 * 8 / 1e9:.0f} GB"
            )
        else:
            names = models["name"] if "name" in models.columns else models["id"].str.split("/").str[-1]
            methods += baseline_results(names.fillna("").astype(str).tolist(), truth, mask, baseline)
    result["methods"] = [m.as_dict() for m in methods]
    return result


# --------------------------------------------------------------------------------------------------
# Communities against true root families, on the models whose lineage was hidden (issue 10)
# --------------------------------------------------------------------------------------------------

DEFAULT_HIDE_SHARE = 0.3

# The graphs compared: what each switches off in the default AtlasConfig.
COMMUNITY_VARIANTS: dict[str, dict[str, Any]] = {
    "names only, no signatures (the paper's method; before issue 10)": {
        "lineage_weight": 0.0,
        "signature_weight": 0.0,
        "signature_conflict_factor": 1.0,
    },
    "names + signatures (--lineage-weight 0)": {"lineage_weight": 0.0},
    "names + lineage, no signatures": {"signature_weight": 0.0, "signature_conflict_factor": 1.0},
    "names + signatures + lineage (default)": {},
}


def community_scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """ARI, homogeneity (each community holds one family) and completeness (each family in one community)."""
    homogeneity, completeness, _ = homogeneity_completeness_v_measure(truth, predicted)
    return {
        "models": int(len(truth)),
        "families": int(len(set(truth.tolist()))),
        "communities": int(len(set(predicted.tolist()))),
        "ari": float(adjusted_rand_score(truth, predicted)),
        "homogeneity": float(homogeneity),
        "completeness": float(completeness),
    }


def variant_atlases(
    genealogy: Genealogy, config: AtlasConfig, variants: dict[str, dict[str, Any]]
) -> Iterator[tuple[str, dict[str, Any], AtlasMap, float]]:
    """Each variant's atlas (`config` with the variant's overrides) mapped on one genealogy as `constellation
    build` maps it, with the seconds it took; one at a time, so only one atlas is held."""
    for name, overrides in variants.items():
        t0 = time.perf_counter()
        mapped = map_atlas(genealogy.models, genealogy.edges, dataclasses.replace(config, **overrides))
        yield name, overrides, mapped, round(time.perf_counter() - t0, 3)


def evaluate_communities_masked(
    snapshot: pd.DataFrame,
    *,
    config: AtlasConfig | None = None,
    hide_share: float = DEFAULT_HIDE_SHARE,
    seed: int = 42,
    variants: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Communities scored against TRUE root families on the models whose declared lineage was hidden.

    A seeded `hide_share` of the models that declare a parent lose their declaration (evaluate/lineage.py
    `hide_lineage`); the genealogy stage runs on what is left (declared edges of the others, inferred edges
    above its threshold, as a build would); each variant's atlas is built on that; and only the hidden
    models whose true family (root ancestor of the full declared lineage) has 2+ models are scored. Those are
    the models a user cannot place from metadata: the communities are their only clue to the family.
    """
    config = config or AtlasConfig()
    unique = snapshot.drop_duplicates("id", keep="last").reset_index(drop=True)
    family = declared_lineage(unique).columns["family"]
    masked, truth = hide_lineage(unique, hide_share, seed)
    hidden = unique["id"].isin(set(truth["child"])).to_numpy()
    sizes = family.map(family.value_counts())
    scored = hidden & family.notna().to_numpy() & (sizes >= 2).to_numpy()
    if not scored.any():
        raise AtlasQualityError(
            f"none of the {int(hidden.sum()):,} models whose lineage was hidden has a declared family of 2+ models"
        )
    t0 = time.perf_counter()
    genealogy = annotate(masked)
    result: dict[str, Any] = {
        "models": int(len(unique)),
        "hidden": int(hidden.sum()),
        "scored": int(scored.sum()),
        "hide_share": hide_share,
        "seed": seed,
        "truth": "family = root ancestor of the full declared base_model lineage",
        "genealogy_seconds": round(time.perf_counter() - t0, 3),
        "lineage_edges_visible": {str(k): int(v) for k, v in genealogy.edges["kind"].value_counts().items()},
        "variants": [],
    }
    truth_labels = family[scored].astype(str).to_numpy()
    for name, overrides, mapped, seconds in variant_atlases(genealogy, config, variants or COMMUNITY_VARIANTS):
        scores = community_scores(truth_labels, mapped.models["community"].to_numpy()[scored])
        result["variants"].append({"variant": name, **overrides, **scores, "seconds": seconds})
        log.info("communities (%s) on hidden children: ARI %.3f", name, scores["ari"])
    return result


def _masked_text(result: dict[str, Any]) -> str:
    head = (
        f"{result['scored']:,} of {result['hidden']:,} models whose lineage was hidden ({result['hide_share']:.0%} "
        f"of the declaring ones, seed {result['seed']}) among {result['models']:,}; truth: {result['truth']}"
    )
    columns = ("variant", "communities", "ari", "homogeneity", "completeness", "seconds")
    rows = pd.DataFrame([{k: v.get(k) for k in columns} for v in result["variants"]])
    return f"{head}\n{table(rows)}"


def communities_masked_shared_section(inp: EvaluationInput) -> Section | None:
    """`constellation evaluate` section: communities on hidden children, on each reference set of ../shared/data."""
    if not inp.references:
        return None
    results: dict[str, Any] = {}
    texts = []
    for name, snapshot in inp.references.items():
        try:
            results[name] = evaluate_communities_masked(snapshot, hide_share=inp.hide_share, seed=inp.seed)
        except (AtlasQualityError, EvaluationError) as exc:
            results[name] = {"skipped": str(exc)}
            texts.append(f"── {name}: skipped: {exc}")
            continue
        texts.append(f"── {name}\n{_masked_text(results[name])}")
    title = f"Communities against true families, on models whose lineage was hidden ({inp.shared_data})"
    return Section("communities_hidden_shared_data", title, results, "\n\n".join(texts))


def communities_masked_synthetic_section(inp: EvaluationInput) -> Section | None:
    """`constellation evaluate` section: communities on hidden children of the input's synthetic Hub."""
    if inp.synthetic is None:
        return None
    title = f"Communities on hidden children of a SYNTHETIC Hub of {inp.synthetic.models:,} models (seed {inp.seed})"
    try:
        result = evaluate_communities_masked(inp.synthetic.frame, hide_share=inp.hide_share, seed=inp.seed)
    except (AtlasQualityError, EvaluationError) as exc:
        return Section("communities_hidden_synthetic", title, {"skipped": str(exc)}, f"skipped: {exc}")
    return Section("communities_hidden_synthetic", title, result, _masked_text(result))


# --------------------------------------------------------------------------------------------------
# Communities on the model-card set: 19,511 children that declare no parent, the parent their card names
# --------------------------------------------------------------------------------------------------

CARD_COMMUNITY_VARIANTS: dict[str, dict[str, Any]] = {
    "default (names + signatures + lineage)": {},
    "names + signatures (--lineage-weight 0)": {"lineage_weight": 0.0},
}
CARD_TRUTH = (
    "family = root ancestor along the card parents (label `card`, and hand-labelled rows naming a parent) "
    "joined with the snapshot's declared base_model lineage; primary parent of a merge = most downloads"
)
# What the id-only rows of the card snapshot lack, said beside every figure on it.
ID_ONLY_NOTE = (
    "{id_only:,} of {models:,} models are id-only rows (card children and parents outside the reference sets): "
    "no downloads, likes, tags, dates or declared parents: popularity 0 (signature representatives, labels and the "
    "inference's download evidence cannot tell two of them apart), no tags for the adapters' tag prior, and no "
    "date order between parent and child"
)


def card_families(snapshot: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Each snapshot row's true root family: its root along its declared `base_models` joined with the parents
    the card truth (child, parent, label) names for it, children matched case-insensitively. Merges and
    several parents follow the declared family definition (declared.py: the primary parent, most downloads,
    decides the line), so the truth and the atlas's own families agree wherever both are declared."""
    named = truth[truth["parent"].notna()]
    position = pd.Series(np.arange(len(snapshot)), index=snapshot["id"].astype(str).str.lower())
    position = position[~position.index.duplicated(keep="first")]
    rows = named["child"].astype(str).str.lower().map(position)
    named = named.assign(row=rows).dropna(subset=["row"])
    added: dict[int, list[dict[str, Any]]] = {}
    for row, parent, label in zip(named["row"].astype(int), named["parent"].astype(str), named["label"]):
        added.setdefault(row, []).append({"id": parent, "relation": "merge" if label == "merge" else None})
    base = snapshot["base_models"].astype(object).to_numpy(copy=True)
    for row, entries in added.items():
        own = [] if base[row] is None or (isinstance(base[row], float) and np.isnan(base[row])) else list(base[row])
        base[row] = own + [e for e in entries if e["id"].lower() not in {str(o.get("id", "")).lower() for o in own}]
    with_cards = snapshot.reset_index(drop=True).assign(base_models=base)
    return declared_lineage(with_cards).columns["family"].set_axis(snapshot.index)


def card_scored_mask(snapshot: pd.DataFrame, truth: pd.DataFrame, family: pd.Series) -> np.ndarray:
    """Rows of `snapshot` that are card children (label `card`) whose true family holds 2+ such children: a
    family with one scored child puts no pair together or apart."""
    children = set(truth.loc[truth["label"] == "card", "child"].astype(str).str.lower())
    is_child = snapshot["id"].astype(str).str.lower().isin(children).to_numpy(dtype=bool)
    card = is_child & family.notna().to_numpy(dtype=bool)
    scored_family = family.where(card)
    return card & (scored_family.map(scored_family.value_counts()).fillna(0).to_numpy(dtype=np.int64) >= 2)


def family_label_share(mapped: AtlasMap) -> dict[str, Any]:
    """How many of the atlas's communities carry a family label ("Llama 2 · 7B", from the base-model signature
    most of their members share) rather than a token label."""
    count, labelled = mapped.report["communities"]["count"], mapped.report["communities"]["family_labels"]
    return {"family_labelled": int(labelled), "family_labelled_share": round(labelled / count, 4) if count else 0.0}


def _pairs_apart(cells: pd.Series, level: str) -> pd.DataFrame:
    """Per `level` group of (community, family) cell counts: models, distinct other-level values, and the pairs
    inside the group that the other level puts apart."""
    grouped = cells.groupby(level=level)
    sizes = grouped.sum()
    together = (cells * (cells - 1) // 2).groupby(level=level).sum()
    return pd.DataFrame({"models": sizes, "parts": grouped.size(), "pairs": sizes * (sizes - 1) // 2 - together})


def community_errors(truth: np.ndarray, predicted: np.ndarray, labels: np.ndarray, examples: int = 5) -> dict[str, Any]:
    """The biggest sources of error among scored models: communities by foreign pairs (two models that share
    the community but not a family), and families by the pairs their split across communities puts apart.
    `labels` are the communities' labels, aligned with `predicted`; `examples` of each, largest first."""
    frame = pd.DataFrame({"family": truth, "community": predicted})
    cells = frame.groupby(["community", "family"]).size()
    mixed = _pairs_apart(cells, "community").sort_values(["pairs", "models"], ascending=False, kind="stable")
    split = _pairs_apart(cells, "family").sort_values(["pairs", "models"], ascending=False, kind="stable")
    label_of = dict(zip(predicted.tolist(), labels.tolist()))

    def members(key: Any, level: str) -> list[list[Any]]:
        top = cells.xs(key, level=level).sort_values(ascending=False, kind="stable").head(examples)
        return [[label_of[k] if level == "family" else k, int(n)] for k, n in top.items()]

    return {
        "foreign_pairs": int(mixed["pairs"].sum()),
        "pairs_apart": int(split["pairs"].sum()),
        "mixed_communities": [
            {
                "community": int(c),
                "label": label_of[c],
                "models": int(r.models),
                "families": int(r.parts),
                "foreign_pairs": int(r.pairs),
                "largest_families": members(c, "community"),
            }
            for c, r in mixed.head(examples).iterrows()
            if r.pairs > 0
        ],
        "split_families": [
            {
                "family": str(f),
                "models": int(r.models),
                "communities": int(r.parts),
                "pairs_apart": int(r.pairs),
                "largest_parts": members(f, "family"),
            }
            for f, r in split.head(examples).iterrows()
            if r.pairs > 0
        ],
    }


def evaluate_card_communities(
    data: CardParentsSet,
    *,
    config: AtlasConfig | None = None,
    seed: int = 0,
    variants: dict[str, dict[str, Any]] | None = None,
    examples: int = 5,
) -> dict[str, Any]:
    """Communities on the model-card set, scored against true root families on the card children.

    The card children declare no parent: the issue's "models whose lineage is hidden", with nothing to hide.
    The snapshot is built as `constellation build` would: the genealogy stage (calibrated inferred lineage,
    its folds drawn with `seed`) and each variant's atlas (Louvain seed `seed`). Scored: the card children
    whose true family (`card_families`) holds 2+ of them (`card_scored_mask`): ARI, homogeneity,
    completeness, the share of communities carrying a family label, and the biggest sources of error."""
    snapshot = data.snapshot.drop_duplicates("id", keep="last").reset_index(drop=True)
    family = card_families(snapshot, data.truth)
    scored = card_scored_mask(snapshot, data.truth, family)
    if not scored.any():
        raise AtlasQualityError("no card child shares its true family with another card child: nothing to score")
    id_only = _missing(snapshot, "downloads") & _missing(snapshot, "created_at")
    t0 = time.perf_counter()
    genealogy = annotate(snapshot, GenealogyConfig(calibration_seed=seed))
    truth_labels = family[scored].astype(str).to_numpy()
    # An id-only root is a card parent whose own parents nobody told us: its family may be cut short.
    root_row = family.map(pd.Series(np.arange(len(snapshot)), index=snapshot["id"])).to_numpy(dtype=np.float64)
    known = ~np.isnan(root_row)
    root_known = np.zeros(len(snapshot), dtype=bool)
    root_known[known] = ~id_only[root_row[known].astype(np.int64)]
    blocks = {"root_with_data": root_known[scored], "root_id_only": ~root_known[scored]}
    result: dict[str, Any] = {
        "models": int(len(snapshot)),
        "id_only": int(id_only.sum()),
        "scored_id_only": int((id_only & scored).sum()),
        "scored_root_id_only": int((~root_known & scored).sum()),
        "card_children": int(data.truth.loc[data.truth["label"] == "card", "child"].str.lower().nunique()),
        "scored": int(scored.sum()),
        "families": int(len(set(truth_labels.tolist()))),
        "seed": seed,
        "truth": CARD_TRUTH,
        "genealogy_seconds": round(time.perf_counter() - t0, 3),
        "lineage_edges": {str(k): int(v) for k, v in genealogy.edges["kind"].value_counts().items()},
        "inferred_threshold": genealogy.report["inferred"]["min_confidence"],
        "inferred_calibration": genealogy.report["inferred"]["calibration"].get("note"),
        "inferred_for_scored": int(genealogy.models["inferred_parent"].notna().to_numpy(dtype=bool)[scored].sum()),
        "variants": [],
    }
    for name, overrides, mapped, seconds in variant_atlases(
        genealogy, dataclasses.replace(config or AtlasConfig(), seed=seed), variants or CARD_COMMUNITY_VARIANTS
    ):
        predicted = mapped.models["community"].to_numpy()[scored]
        labels = mapped.models["community_label"].astype(str).to_numpy()[scored]
        scores = community_scores(truth_labels, predicted)
        result["variants"].append(
            {
                "variant": name,
                **overrides,
                **scores,
                "all_communities": int(mapped.report["communities"]["count"]),
                **family_label_share(mapped),
                "seconds": seconds,
                "errors": community_errors(truth_labels, predicted, labels, examples),
                **{name: _block_scores(truth_labels[b], predicted[b]) for name, b in blocks.items()},
            }
        )
        log.info("communities (%s) on card children: ARI %.3f", name, scores["ari"])
    return result


def _block_scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """`community_scores` on the models of a block whose family holds 2+ of them (none: 0 models)."""
    counts = pd.Series(truth).value_counts()
    kept = pd.Series(truth).map(counts).to_numpy() >= 2
    return community_scores(truth[kept], predicted[kept]) if kept.any() else {"models": 0}


def _missing(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    return frame[column].isna().to_numpy(dtype=bool)


TARGET_COMMUNITY_ARI = 0.35  # issue 10: communities against true families, on models whose lineage is hidden


def _card_text(result: dict[str, Any]) -> str:
    head = (
        f"{result['scored']:,} of {result['card_children']:,} card children (those whose true family holds 2+ of "
        f"them; families: {result['families']:,}) among {result['models']:,} models, seed {result['seed']} (Louvain "
        f"and calibration folds); truth: {result['truth']}\n"
        + ID_ONLY_NOTE.format(id_only=result["id_only"], models=result["models"])
        + f" ({result['scored_id_only']:,} of the scored children are id-only; {result['scored_root_id_only']:,} have "
        "an id-only root, a card parent whose own lineage is unknown, so their family may be cut short)\n"
        f"lineage edges in the build: {result['lineage_edges']} (inferred kept at confidence ≥ "
        f"{result['inferred_threshold']}: {result['inferred_calibration']}); scored children with an inferred "
        f"parent: {result['inferred_for_scored']:,}"
    )
    columns = ("variant", "all_communities", "communities", "ari", "homogeneity", "completeness")
    rows = pd.DataFrame(
        [
            {
                **{k: v.get(k) for k in columns},
                "family-labelled share": v["family_labelled_share"],
                "seconds": v["seconds"],
                "ari, root with data": v["root_with_data"].get("ari"),
                "ari, id-only root": v["root_id_only"].get("ari"),
            }
            for v in result["variants"]
        ]
    )
    default = result["variants"][0]
    verdict = "met" if default["ari"] >= TARGET_COMMUNITY_ARI else "NOT met"
    lines = [
        head,
        "communities: those holding scored children; all_communities: every community of the atlas, over which "
        "the family-labelled share is counted",
        table(rows),
        f"target ARI ≥ {TARGET_COMMUNITY_ARI} ({default['variant']}): {verdict}",
    ]
    errors = default["errors"]
    lines.append(
        f"errors of {default['variant']}: {errors['foreign_pairs']:,} pairs share a community but not a family, "
        f"{errors['pairs_apart']:,} pairs of one family sit apart"
    )
    for m in errors["mixed_communities"][:3]:
        lines.append(f"  community {m['label']!r}: {m['families']} families, {m['foreign_pairs']:,} foreign pairs")
    for f in errors["split_families"][:3]:
        lines.append(f"  family {f['family']}: {f['models']} children in {f['communities']} communities")
    return "\n".join(lines)


def communities_card_section(inp: EvaluationInput) -> Section | None:
    """`constellation evaluate` section: communities on the model-card set's children, against true families."""
    if inp.card_parents is None:
        return None
    title = (
        "Communities against true families, on model-card children that declare no parent (model-atlas-card-parents)"
    )
    try:
        result = evaluate_card_communities(inp.card_parents, seed=inp.seed)
    except AtlasQualityError as exc:
        return Section("communities_card_parents", title, {"skipped": str(exc)}, f"skipped: {exc}")
    default = result["variants"][0]
    result["targets"] = {"ari": TARGET_COMMUNITY_ARI, "meets_ari": bool(default["ari"] >= TARGET_COMMUNITY_ARI)}
    return Section("communities_card_parents", title, result, _card_text(result))


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def format_atlas_quality(result: dict[str, Any], title: str = "Atlas quality") -> str:
    """The result of `evaluate_atlas` as a Markdown section (a heading, one line of context, a table)."""
    lines = [
        f"## {title}",
        "",
        f"{result['evaluated_models']:,} of {result['models']:,} models, in {result['families']:,} families "
        f"of {result['min_family_size']}+ models; truth: {result['truth']}; communities from "
        f"{result['communities_from']}.",
        "",
        "| method | setting | clusters | ARI | NMI | pair precision | pair recall | seconds |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in result["methods"]:
        if "ari" not in m:
            lines.append(f"| {m['method']} | {m.get('note', 'skipped')} | – | – | – | – | – | {m['seconds']:.1f} |")
            continue
        lines.append(
            f"| {m['method']} | {m['setting']} | {m['clusters']:,} | {m['ari']:.3f} | {m['nmi']:.3f} | "
            f"{m['precision']:.3f} | {m['recall']:.3f} | {m['seconds']:.1f} |"
        )
    if result.get("baseline_skipped"):
        lines += ["", f"Baseline skipped: {result['baseline_skipped']}."]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# Sections of `constellation evaluate` (constellation/evaluate/report.py lists them in SECTIONS)
# --------------------------------------------------------------------------------------------------


def models_with_families(snapshot: pd.DataFrame) -> pd.DataFrame:
    """A snapshot frame (one row per id) with the `family` column of its declared lineage."""
    unique = snapshot.drop_duplicates("id", keep="last").reset_index(drop=True)
    if "family" in unique.columns:
        return unique
    return unique.assign(family=declared_lineage(unique).columns["family"].to_numpy())


def _section_text(result: dict[str, Any]) -> str:
    head = (
        f"{result['evaluated_models']:,} of {result['models']:,} models in {result['families']:,} declared families "
        f"of {result['min_family_size']}+ models; communities from {result['communities_from']}"
    )
    rows = pd.DataFrame(
        [
            {k: m.get(k) for k in ("method", "setting", "clusters", "ari", "nmi", "precision", "recall", "seconds")}
            for m in result["methods"]
        ]
    )
    skipped = f"\nbaseline skipped: {result['baseline_skipped']}" if result.get("baseline_skipped") else ""
    return f"{head}\n{table(rows)}{skipped}"


def atlas_quality_section(inp: EvaluationInput) -> Section | None:
    """`constellation evaluate` section: atlas quality on the evaluated snapshot (skipped when it has no families)."""
    title = "Atlas quality: name communities and clusters against declared families"
    try:
        result = evaluate_atlas(models_with_families(inp.models))
    except AtlasQualityError as exc:
        return Section("atlas_quality", title, {"skipped": str(exc)}, f"skipped: {exc}")
    return Section("atlas_quality", title, result, _section_text(result))


def atlas_quality_shared_section(inp: EvaluationInput) -> Section | None:
    """`constellation evaluate` section: atlas quality on each reference set of ../shared/data."""
    if not inp.references:
        return None
    results: dict[str, Any] = {}
    texts = []
    for name, snapshot in inp.references.items():
        try:
            results[name] = evaluate_atlas(models_with_families(snapshot))
        except AtlasQualityError as exc:
            results[name] = {"skipped": str(exc)}
            texts.append(f"── {name}: skipped: {exc}")
            continue
        texts.append(f"── {name}\n{_section_text(results[name])}")
    return Section("atlas_quality_shared_data", f"Atlas quality on {inp.shared_data}", results, "\n\n".join(texts))


def atlas_quality_synthetic_section(inp: EvaluationInput) -> Section | None:
    """`constellation evaluate` section: atlas quality on the synthetic Hub of the input, if it has one."""
    if inp.synthetic is None:
        return None
    result = evaluate_atlas(models_with_families(inp.synthetic.frame))
    title = f"Atlas quality on a SYNTHETIC Hub of {inp.synthetic.models:,} models (seed {inp.seed})"
    return Section("atlas_quality_synthetic", title, result, _section_text(result))
