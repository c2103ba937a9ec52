"""Atlas stage: name features → similarity graph → communities and labels → hierarchy → layout (issue 5).

    ids ─► features.name_features ─► knn.knn_graph ─┬──────────────────────────► communities.detect_communities
           signatures.base_signatures ──────────────────┤ (+ signature edges,            (+ family labels)
           lineage edges (declared, inferred) ──────────┘   lineage edges)
                                                   └► hierarchy.build_hierarchy ─► layout.layout_atlas

`map_atlas` is pure: frames in, frames out. Given the `NameState` of the last build (`previous`), it reuses
that build's name features, neighbour lists and signatures where the names did not change (reuse.py); the report's
`reuse` says which way it went and why. `AtlasConfig` (config.py) holds every knob; it is hashed into
the build fingerprint and stored in build.json. What actually ran where the config leaves a choice ("auto"
community algorithm, exact or windowed kNN, capped trees) is in the report, also stored in build.json.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.arrow_strings import string_values
from constellation.atlas.communities import (
    community_labels,
    community_terms,
    declared_families,
    detect_communities,
    family_labels,
    lineage_ends,
    lineage_links,
    representatives,
)
from constellation.atlas.config import AtlasConfig
from constellation.atlas.distinct import distinct_sorted
from constellation.atlas.features import NameFeatures, name_features, name_texts
from constellation.atlas.frames import label_column, similarity_frame, taken_strings
from constellation.atlas.hierarchy import (
    as_tables,
    build_hierarchy,
    cluster_column,
    model_order,
    prototype_priority,
)
from constellation.atlas.knn import KnnGraph, knn_graph, knn_recall
from constellation.atlas.layout import layout_atlas
from constellation.atlas.reuse import (
    MAX_CHANGE,
    Change,
    NameState,
    blended_recall,
    change_share,
    compare_ids,
    compare_names,
    first_ids,
    name_state,
    recall_rows,
    recall_sample_size,
    refusal,
    reuse_names,
    settings_of,
)
from constellation.atlas.seeds import CommunitySeeds, previous_heads, seeded_groups, seeding_refusal
from constellation.atlas.signatures import (
    Signatures,
    base_signatures,
    name_signatures,
    signature_conflicts,
    signature_edges,
)
from constellation.atlas.workers import worker_count
from constellation.errors import AtlasError
from constellation.peak_memory import PeakMeter, give_back_memory

log = logging.getLogger(__name__)


# The model columns map_atlas reads; the rest of a models frame only passes through to AtlasMap.models.
READS = ("id", "downloads", "likes", "family")


@dataclass
class AtlasMap:
    models: pd.DataFrame  # input + contract.MAP_COLUMNS (community, community_label, cluster, x, y)
    edges: pd.DataFrame  # similarity edges (EDGE_COLUMNS, kind "similarity")
    communities: pd.DataFrame  # one row per community
    hierarchy: dict[str, np.ndarray | pd.DataFrame] = field(default_factory=dict)  # saved under hierarchy/
    report: dict[str, Any] = field(default_factory=dict)
    names: NameState | None = None  # what the next build may reuse (saved under reuse/)
    # The similarity edges as rows of `models` (sources, targets: int32; weights), in `edges`' order: the site's
    # lookups index them by row, which by id would hash every edge end again (site_lookup.SimilarRows).
    similar: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def _check_ids(models: pd.DataFrame, values: bool = True) -> pd.Series:
    """The models' ids, checked: present, and (with `values`) each a distinct non-empty string."""
    if "id" not in models.columns:
        raise AtlasError(f"the models frame has no 'id' column (columns: {', '.join(map(str, models.columns))})")
    if models.empty:
        raise AtlasError("there are no models to map; crawl or import a snapshot with at least one model")
    ids = models["id"]
    if not values:
        return ids.reset_index(drop=True)
    arrow = _arrow_strings(ids)
    if arrow is not None:  # every value a string or missing: checked in Arrow, no Python object per id (1.3 s at 3M)
        text = pc.fill_null(pc.greater(pc.utf8_length(arrow), 0), False).to_numpy(zero_copy_only=False)
    else:
        text = ids.map(lambda v: isinstance(v, str) and v != "").to_numpy(dtype=bool)
    bad = ids[~text]
    if len(bad):
        raise AtlasError(f"{len(bad)} model ids are missing or not text, e.g. {bad.iloc[0]!r}; fix the snapshot")
    distinct = pc.count_distinct(arrow).as_py() == len(ids) if arrow is not None else False
    repeated = ids.iloc[:0] if distinct else ids[ids.duplicated()]
    if len(repeated):
        raise AtlasError(
            f"{len(repeated)} model ids appear more than once, e.g. {repeated.iloc[0]!r}; de-duplicate first "
            "(constellation.build.deduplicate)"
        )
    return ids.reset_index(drop=True)


def _arrow_strings(column: pd.Series) -> pa.Array | None:
    """The column as one Arrow string array when pandas holds it in Arrow strings; else None."""
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return string_values(column)
    if isinstance(dtype, pd.ArrowDtype) and dtype.pyarrow_dtype in (pa.string(), pa.large_string()):
        return string_values(column)
    return None


@dataclass(frozen=True)
class NameGraph:
    """What the names alone give the graph communities are found in (name_graph): the similarity edges
    (those joining two sizes or versions of one brand scaled by `signature_conflict_factor`) and edges from
    each model to the most popular models of its signature, each pair once at its largest weight."""

    similar: tuple[np.ndarray, np.ndarray, np.ndarray]  # the kNN similarity edges, as written to edges.parquet
    keys: np.ndarray  # the distinct pairs (min · n + max), sorted
    weights: np.ndarray  # the largest weight of each pair
    signed: int  # signature edges added
    conflicts: int  # similarity edges scaled down for joining two signatures of one brand


@dataclass(frozen=True)
class _GraphEdges:
    similar: tuple[np.ndarray, np.ndarray, np.ndarray]  # the kNN similarity edges, as written to edges.parquet
    graph: tuple[np.ndarray, np.ndarray, np.ndarray]  # the edges communities are found in
    lineage: int  # lineage edges added
    signature: int  # signature edges added
    conflicts: int  # similarity edges scaled down for joining two signatures of one brand


def name_graph(knn: KnnGraph, signatures: Signatures, popularity: np.ndarray, config: AtlasConfig) -> NameGraph:
    """The similarity and signature edges of the community graph. They read the names alone, so a nightly
    build works them out while the genealogy runs beside (build.py); the lineage edges join them later
    (`_graph_edges`)."""
    similar = knn.pairs()
    src, dst, weight = similar[0], similar[1], similar[2].astype(np.float64)
    conflicts = 0
    if config.signature_conflict_factor < 1.0 and signatures.count:
        clash = signature_conflicts(signatures, src, dst)
        conflicts = int(clash.sum())
        weight = np.where(clash, weight * config.signature_conflict_factor, weight)
    # knn.pairs gives each pair once, in key order: the signature pairs are merged in (`_union_max`), not
    # sorted again with them (a sort of 30M keys at 3M models).
    keys, weights = src * knn.n + dst, weight
    signed = 0
    if config.signature_weight > 0:
        members, heads = signature_edges(signatures, popularity, config.signature_representatives)
        signed = len(members)
        more = _distinct_pairs(members, heads, np.full(signed, config.signature_weight, dtype=np.float64), knn.n)
        keys, weights = _union_max(keys, weights, *more)
    return NameGraph(similar, keys, weights, signed, conflicts)


def _distinct_pairs(a: np.ndarray, b: np.ndarray, weight: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each undirected pair (a, b) once, as the key min · n + max (sorted), at its largest weight."""
    a, b = a.astype(np.int64), b.astype(np.int64)
    key = np.minimum(a, b) * n + np.maximum(a, b)
    # One sort by key and the largest weight of each run of equal keys: a two-key lexsort (key, −weight) took
    # 4x as long, most of what is left of the communities step once they are seeded (seeds.py).
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.empty(0, dtype=np.int64)
    weights = np.maximum.reduceat(weight[order], starts) if len(starts) else weight[:0].astype(np.float64)
    return key[starts], weights


def _union_max(
    keys: np.ndarray, weights: np.ndarray, more: np.ndarray, more_weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The union of two sets of distinct sorted keys, each key at its largest weight: the few lineage pairs
    merged into the millions of name pairs in one pass, not sorted again with them."""
    at = np.searchsorted(keys, more)
    found = at < len(keys)
    found[found] = keys[at[found]] == more[found]
    weights = weights.copy()
    weights[at[found]] = np.maximum(weights[at[found]], more_weights[found])
    new = ~found
    return np.insert(keys, at[new], more[new]), np.insert(weights, at[new], more_weights[new])


def _graph_edges(
    names: NameGraph,
    ids: pd.Series,
    lineage_edges: pd.DataFrame,
    config: AtlasConfig,
    ends: tuple[np.ndarray, np.ndarray] | None = None,
) -> _GraphEdges:
    """The graph communities are found in: the names' edges (NameGraph) and the lineage edges (`ends`: their
    rows in `ids`, when looked up), a pair joined several ways once, at its largest weight."""
    n = len(ids)
    parents, children, strength = lineage_links(ids, lineage_edges, config.lineage_weight, inferred=True, ends=ends)
    keys, weights = _union_max(names.keys, names.weights, *_distinct_pairs(parents, children, strength, n))
    keep = weights > 0
    graph = (keys[keep] // n, keys[keep] % n, weights[keep])
    return _GraphEdges(names.similar, graph, len(parents), names.signed, names.conflicts)


def _popularity(downloads: np.ndarray, likes: np.ndarray) -> np.ndarray:
    return downloads + likes * 1e-6  # likes break ties between equally downloaded models


def _numbers(models: pd.DataFrame, column: str) -> np.ndarray:
    if column not in models.columns:
        return np.zeros(len(models), dtype=np.float64)
    return pd.to_numeric(models[column], errors="coerce").fillna(0).to_numpy(dtype=np.float64)


def _top_family(models: pd.DataFrame, membership: np.ndarray, n_communities: int) -> tuple[list, np.ndarray]:
    """The most frequent declared family of each community and its share of the members (ties: the first
    family in string order). The families are coded once and the (community, family) pairs counted as
    integers: a pandas count over the pairs of strings took seconds at 3M models. Only the families tied for
    a community's top are put in string order: at 3M models most of ~2M families are a model's own."""
    top: list = [None] * n_communities
    share = np.full(n_communities, np.nan)
    if "family" not in models.columns:
        return top, share
    codes, names = pd.factorize(models["family"], use_na_sentinel=True)
    known = codes >= 0
    if not known.any():
        return top, share
    span = len(names)
    pairs, counts = np.unique(np.asarray(membership, dtype=np.int64)[known] * span + codes[known], return_counts=True)
    community, family = pairs // span, pairs % span
    most = np.zeros(n_communities, dtype=np.int64)
    np.maximum.at(most, community, counts)
    tied = counts == most[community]
    community, family, counts = community[tied], family[tied], counts[tied]
    candidates = np.unique(family)  # their place in string (UTF-8 byte) order
    spelled = pa.array(np.asarray(names.take(candidates), dtype=object), pa.large_string())
    name_rank = np.empty(len(candidates), dtype=np.int64)
    name_rank[pc.sort_indices(spelled).to_numpy()] = np.arange(len(candidates))
    ranked = np.lexsort((name_rank[np.searchsorted(candidates, family)], community))
    best = ranked[np.r_[True, community[ranked][1:] != community[ranked][:-1]]]
    sizes = np.bincount(membership, minlength=n_communities)
    for c, f, n in zip(community[best].tolist(), family[best].tolist(), counts[best].tolist(), strict=True):
        top[c] = names[f]
        share[c] = n / sizes[c]
    return top, share


def _clusters_per_community(membership: np.ndarray, clusters: np.ndarray, n_communities: int) -> np.ndarray:
    """How many distinct clusters each community's models fall in, as integer pairs counted once."""
    clusters = np.asarray(clusters, dtype=np.int64)
    span = int(clusters.max(initial=0)) + 1
    pairs = distinct_sorted(np.asarray(membership, dtype=np.int64) * span + clusters)
    return np.bincount(pairs // span, minlength=n_communities).astype(np.int64)


def _families_kept(groups: np.ndarray | None) -> int:
    """How many declared families of two or more models were each kept in one community."""
    if groups is None:
        return 0
    return int((np.bincount(groups) >= 2).sum())


def _knn_recall_report(
    features: NameFeatures, knn: KnnGraph, names: NameState, config: AtlasConfig, threads: bool = True
) -> dict[str, Any]:
    """Recall of the approximate kNN against exact search on `knn_recall_sample` seeded names (the exact
    search of a sample is O(sample·n): about a minute for 2,000 names among 2M). An incremental build checks
    a share of that among the names it searched and counts its previous figure for the lists it kept
    (reuse.recall_rows, reuse.blended_recall)."""
    started = time.perf_counter()
    assert knn.searched is not None and knn.distinct is not None
    rows = knn.searched.n
    if names.searched is None:
        rng = np.random.default_rng(config.seed)
        sample = rng.choice(rows, size=min(rows, config.knn_recall_sample), replace=False)
    else:
        sample = recall_rows(names, knn, recall_sample_size(names, config.knn_recall_sample), config.seed)
    workers = worker_count(config.knn_workers)
    searched = features.matrix[knn.distinct]
    recall = knn_recall(
        searched, knn.searched, sample, min_similarity=config.min_similarity, workers=workers, threads=threads
    )
    report: dict[str, Any] = {"recall_on_sample": round(recall, 4), "recall_sample_size": int(len(sample))}
    if names.searched is not None:
        report.update(
            recall_on_sample=round(blended_recall(names, recall), 4),
            recall_of_searched_lists=round(recall, 4),
            recall_of_kept_lists=names.recall,
            recall_scope="sampled among the lists searched tonight; kept lists count at the previous figure",
        )
    report["recall_seconds"] = round(time.perf_counter() - started, 3)
    return report


def _checked_recall(
    features: NameFeatures, knn: KnnGraph, names: NameState, config: AtlasConfig, threads: bool = True
) -> tuple[dict[str, Any] | None, NameState]:
    """The kNN's recall report (None when there is nothing to check: an exact kNN, or the check switched off)
    and the name state holding its figure, for the next night's blended recall."""
    if knn.method == "exact" or knn.searched is None or not config.knn_recall_sample:
        return None, names
    recall = _knn_recall_report(features, knn, names, config, threads)
    log.info(
        "kNN recall@%d on %d sampled names against exact search: %.4f (%.1f s)",
        int(knn.neighbors.shape[1]),
        recall["recall_sample_size"],
        recall["recall_on_sample"],
        recall["recall_seconds"],
    )
    return recall, replace(names, recall=recall["recall_on_sample"])


def _names_and_neighbors(
    ids: Sequence[str],
    config: AtlasConfig,
    previous: NameState | None,
    max_change: float,
    lap,
    before_full: Callable[[], None] | None = None,
) -> tuple[NameFeatures, KnnGraph, NameState, dict[str, Any]]:
    """Name features and the kNN graph: reused from `previous` where the names did not change when it
    is usable (reuse.refusal), computed whole otherwise. Also the state for the next build, and how."""
    change: Change | None = None
    if previous is not None and previous.settings == settings_of(config):
        texts, change = compare_ids(previous, ids, config)
    else:
        texts = name_texts(ids, config)
    why: str | None = "no previous build to reuse"
    if previous is not None:
        change = compare_names(previous, texts) if change is None else change
        why = refusal(previous, change, config, len(ids), max_change)
        reuse: dict[str, Any] = {
            "changed": round(change_share(previous, change), 4),
            "names_added": change.added,
            "names_removed": change.removed,
        }
        if why is None:
            features, knn, names = reuse_names(previous, ids, texts, change, config)
            lap("features+knn (incremental)")
            reuse.update(mode="incremental", why=f"{reuse['changed']:.1%} of the distinct names changed")
            return features, knn, names, reuse
    else:
        reuse = {}
    if previous is not None:  # without one, the caller knows why (build.py logs it)
        log.info("name features and kNN computed whole: %s", why)
    reuse.update(mode="full", why=why)
    if before_full is not None:
        before_full()
    features = name_features(ids, config, texts)
    lap("features")
    knn = name_neighbors(features, config)
    return features, knn, name_state(ids, features, knn, config), reuse


def name_neighbors(features: NameFeatures, config: AtlasConfig) -> KnnGraph:
    """The kNN graph a full build computes over `features` (one row per model id) with `config`."""
    return knn_graph(
        features.matrix,
        features.texts,
        min(config.k, max(features.matrix.shape[0] - 1, 1)),
        words=features.words,
        terms=features.word_terms,
        exact_max=config.exact_knn_max,
        window=config.knn_window,
        min_similarity=config.min_similarity,
        minhashes=config.knn_minhash_keys,
        graph_passes=config.knn_graph_passes,
        seed=config.seed,
        workers=worker_count(config.knn_workers),
    )


@dataclass
class NamePart:
    """The name stage's output (map_names): what the rest of the atlas stage reads of the names."""

    models: int  # how many models were mapped
    features: NameFeatures
    knn: KnnGraph
    names: NameState  # what the next build may reuse
    reuse: dict[str, Any]  # which way it went and why (report["reuse"])
    recall: dict[str, Any] | None  # the kNN's recall against exact search on a sample, when it was checked
    signatures: Signatures  # each model's base signature (brand, version, size), also kept in `names`
    graph: NameGraph  # the similarity and signature edges of the community graph
    priority: np.ndarray  # which models the trees take as prototypes first (hierarchy.prototype_priority)
    timings: dict[str, float]
    peaks: dict[str, float | None]


class _Laps:
    """Each step's wall time and, with a running meter, its peak resident memory (the report's
    `timings_s` and `peak_rss_mb`). Calling it with a step's name ends that step and starts the next."""

    def __init__(
        self,
        memory: PeakMeter | None,
        timings: dict[str, float] | None = None,
        peaks: dict[str, float | None] | None = None,
    ) -> None:
        self.timings: dict[str, float] = dict(timings or {})
        self.peaks: dict[str, float | None] = dict(peaks or {})
        self.window = memory.open() if memory is not None else None
        self.clock = time.perf_counter()

    def __call__(self, stage: str) -> None:
        self.timings[stage] = round(time.perf_counter() - self.clock, 3)
        if self.window is not None:
            self.peaks[stage] = self.window.restart()
        # Each step frees GBs of scratch at 3M models (n-gram lists, candidate blocks, edge keys): handed back
        # now, it does not stay resident under the next step's own.
        give_back_memory()
        self.clock = time.perf_counter()


def map_names(
    models: pd.DataFrame,
    config: AtlasConfig,
    previous: NameState | None = None,
    max_change: float = MAX_CHANGE,
    memory: PeakMeter | None = None,
    *,
    before_full: Callable[[], None] | None = None,
    check_recall: bool = True,
) -> NamePart:
    """The name stage of map_atlas: features and kNN graph of the models' ids (reused from `previous` where
    the names did not change, as map_atlas says), the kNN's recall check, the signatures, the names' part of
    the community graph and the trees' prototype priority. It reads the ids, downloads and likes alone, so a build can run it before the
    genealogy stage has finished (build.py). `before_full` is called before
    features and kNN are computed whole (when `previous` cannot be reused), e.g. to wait for work beside it
    to end before the heaviest step. Without `check_recall` the kNN's recall check is left out (`recall` None),
    for the caller to run later (`recall_checked`)."""
    config.validate()
    id_array = _check_ids(models).to_numpy(dtype=object)
    lap = _Laps(memory)
    features, knn, names, reuse = _names_and_neighbors(id_array, config, previous, max_change, lap, before_full)
    lap("knn")
    # The recall check runs now, while little else is held: it copies the searched rows twice (the rows and
    # their transpose), which at 3M models is GBs on top of whatever is alive when it runs.
    recall = None
    if check_recall:
        recall, names = _checked_recall(features, knn, names, config)
        if recall is not None:
            lap("knn_recall")
            lap.timings["knn_recall"] = recall["recall_seconds"]
    # The signatures read the names alone too: on a night whose genealogy runs beside (build.py), they are
    # worked out while it runs.
    known = previous.signatures if previous is not None else None
    signatures = base_signatures(
        id_array, features.texts, config.brand_min_owners, known, names=(names.id_texts, names.texts)
    )
    names = replace(names, signatures=name_signatures(signatures, names.texts, first_ids(names.id_texts, names.size)))
    lap("signatures")
    popularity = _popularity(_numbers(models, "downloads"), _numbers(models, "likes"))
    graph = name_graph(knn, signatures, popularity, config)
    priority = prototype_priority(names.id_texts, popularity, np.diff(features.matrix.indptr) == 0)
    lap("name graph")
    if lap.window is not None:
        lap.window.close()
    return NamePart(
        len(id_array), features, knn, names, reuse, recall, signatures, graph, priority, lap.timings, lap.peaks
    )


def recall_checked(part: NamePart, config: AtlasConfig, *, threads: bool = True) -> NamePart:
    """`part` (map_names run with `check_recall=False`) with the kNN's recall check done: its `recall` report,
    its state's figure and the check's time. A nightly build runs it in a forked child (`threads` False:
    knn.knn_recall) beside the atlas stage, which leaves one core idle (build.py); the check reads the
    features and the graph alone, and nothing in the atlas depends on it."""
    recall, names = _checked_recall(part.features, part.knn, part.names, config, threads)
    if recall is None:
        return part
    return replace(part, recall=recall, names=names, timings={**part.timings, "knn_recall": recall["recall_seconds"]})


def map_atlas(
    models: pd.DataFrame,
    lineage_edges: pd.DataFrame,
    config: AtlasConfig,
    previous: NameState | None = None,
    max_change: float = MAX_CHANGE,
    memory: PeakMeter | None = None,
    seeds: CommunitySeeds | None = None,
    names_part: NamePart | None = None,
    similar_edges: pd.DataFrame | None = None,
) -> AtlasMap:
    """Map the models by their names: features, kNN graph, communities, hierarchy and layout.

    `previous`, the state the last build left (AtlasMap.names), is reused when at most `max_change` of the
    distinct names changed and its settings are this config's (reuse.refusal); else everything is computed.
    With a running `memory` meter, the report's `peak_rss_mb` holds each step's peak resident memory.
    `seeds`, the last build's communities and trees (seeds.py), hold its communities together and give each
    kept member's prototype when the names were reused and `config.seed_communities` is on. `names_part`, the
    name stage already run on these models (map_names), is used instead of running it here, and with it
    `similar_edges`, its similarity edges frame (`similarity_edges`), when the caller made it ahead."""
    config.validate()
    # Ids a name stage already mapped were checked there (1–2 s at 3M models, on the nightly path).
    ids = _check_ids(models, values=names_part is None)
    # The labels read a few ids by position; the tables take theirs in Arrow: no Python string per model.
    id_values, id_strings = ids.array, string_values(ids)
    n = len(ids)
    if names_part is None:
        names_part = map_names(models, config, previous, max_change, memory)
    elif names_part.models != n:
        raise AtlasError(f"the name stage mapped {names_part.models} models, but {n} were given to map")
    features, knn, names, reuse, recall = (
        names_part.features,
        names_part.knn,
        names_part.names,
        names_part.reuse,
        names_part.recall,
    )
    lap = _Laps(memory, names_part.timings, names_part.peaks)
    timings, peaks, window = lap.timings, lap.peaks, lap.window
    knn_report = {
        "method": knn.method,
        "k": int(knn.neighbors.shape[1]),
        "distinct_names_searched": int(len(knn.distinct)) if knn.distinct is not None else n,
    }
    downloads = _numbers(models, "downloads")
    likes = _numbers(models, "likes")
    popularity = _popularity(downloads, likes)
    signatures, priority = names_part.signatures, names_part.priority
    ends = lineage_ends(ids, lineage_edges) if len(lineage_edges) else None  # for the graph and the families
    edges_in = _graph_edges(names_part.graph, ids, lineage_edges, config, ends)
    del names_part, knn  # its features are let go below once used; what is left of the kNN is in `edges_in`
    similar = edges_in.similar
    keep_families = config.keep_declared_families and config.lineage_weight > 0
    groups = declared_families(ids, lineage_edges, ends) if keep_families else None
    del ends
    resolution = config.community_resolution(families_kept=_families_kept(groups) > 0)
    why_not_seeded = seeding_refusal(seeds, reuse.get("mode") == "incremental") if config.seed_communities else "off"
    seeded = seeds if why_not_seeded is None else None
    partition = detect_communities(
        n,
        *edges_in.graph,
        algorithm=config.community_algorithm,
        resolution=resolution,
        seed=config.seed,
        groups=groups if seeded is None else seeded_groups(seeded, groups),
    )
    membership = partition.membership
    n_communities = int(membership.max()) + 1
    graph_counts = {
        "lineage_edges_in_graph": int(edges_in.lineage),
        "signature_edges_in_graph": int(edges_in.signature),
        "similarity_edges_scaled_for_signature_conflict": int(edges_in.conflicts),
    }
    del edges_in  # the community graph's edges (one more copy of every similarity edge)
    lap("communities")
    heads = representatives(membership, popularity)
    terms = community_terms(features.words, features.word_terms, membership, config.label_terms)
    families = family_labels(id_values, membership, signatures, popularity)
    labels = community_labels(id_values, membership, terms, heads, partition.unmatched, families)
    lap("labels")
    hierarchy = build_hierarchy(
        features.matrix,
        membership,
        priority,
        exact_max=config.exact_linkage_max,
        leaf_cap=config.tree_leaf_cap,
        method=config.linkage_method,
        cut_levels=config.cut_levels,
        heads=previous_heads(seeded, membership) if seeded is not None else None,
        workers=worker_count(config.knn_workers),
    )
    tables = as_tables(hierarchy, ids, membership, labels)
    features_report = {
        "columns": int(features.matrix.shape[1]),
        "word_terms": int(features.words.shape[1]),
        "nonzeros_per_model": round(features.matrix.nnz / n, 2),
        "models_without_features": int(len(features.empty_rows)),
    }
    del features  # the feature rows the next build may reuse are copied into `names`
    lap("hierarchy")
    layout = layout_atlas(model_order(hierarchy, membership), membership, seed=config.seed, gap=config.layout_gap)
    lap("layout")

    out = models.reset_index(drop=True)  # copy-on-write: the new columns below leave `models` as it was
    out["community"] = membership.astype(np.int64)
    out["community_label"] = label_column(labels, membership)
    out["cluster"] = hierarchy.clusters[float(config.default_cut)].astype(np.int64)
    out["x"] = layout.x
    out["y"] = layout.y

    sizes = np.bincount(membership, minlength=n_communities)
    family, family_share = _top_family(models, membership, n_communities)
    communities = pd.DataFrame(
        {
            "community": np.arange(n_communities, dtype=np.int64),
            "label": pd.array(labels, dtype="string"),
            "size": sizes.astype(np.int64),
            "downloads": np.bincount(membership, weights=downloads, minlength=n_communities).astype(np.int64),
            "likes": np.bincount(membership, weights=likes, minlength=n_communities).astype(np.int64),
            "top_family": pd.array(family, dtype="string"),
            "top_family_share": family_share,
            "top_terms": pd.array([" ".join(t) for t in terms], dtype="string"),
            "representative": taken_strings(id_strings, heads),
            "clusters": _clusters_per_community(membership, out["cluster"].to_numpy(), n_communities),
            "unmatched": np.arange(n_communities) == (partition.unmatched if partition.unmatched is not None else -1),
            "x": layout.centers[:, 0],
            "y": layout.centers[:, 1],
            "radius": layout.radii,
        }
    )
    if similar_edges is None:
        edges = similarity_frame(id_strings, *similar)  # the ids' own Arrow buffers: no Python string
    elif len(similar_edges) == len(similar[0]):
        edges = similar_edges
    else:
        raise AtlasError(f"{len(similar_edges)} similarity edges were given for the {len(similar[0])} of the names")
    lap("tables")

    capped = tables["community_trees"]["capped"]
    report: dict[str, Any] = {
        "models": n,
        "features": features_report,
        "knn": {
            **knn_report,
            "similarity_edges": int(len(similar[0])),
            "window": config.knn_window if knn_report["method"] == "windowed" else None,
            "minhash_keys": config.knn_minhash_keys if knn_report["method"] == "windowed" else None,
            "graph_passes": config.knn_graph_passes if knn_report["method"] == "windowed" else None,
            "workers": worker_count(config.knn_workers) if knn_report["method"] == "windowed" else None,
            **(recall or {}),
        },
        "communities": {
            "algorithm": partition.algorithm,
            "resolution": resolution,
            "lineage_weight": config.lineage_weight,
            "lineage_edges_in_graph": graph_counts["lineage_edges_in_graph"],
            "declared_families_kept_whole": _families_kept(groups),
            "signatures": signatures.count,
            "models_with_signature": int((signatures.codes >= 0).sum()),
            "signature_edges_in_graph": graph_counts["signature_edges_in_graph"],
            "similarity_edges_scaled_for_signature_conflict": graph_counts[
                "similarity_edges_scaled_for_signature_conflict"
            ],
            "family_labels": int(sum(1 for label in families if label)),
            "count": n_communities,
            "modularity": round(partition.modularity, 4),
            "models_without_similar_names": int(sizes[partition.unmatched]) if partition.unmatched is not None else 0,
            "seeded": seeded is not None,
            "seeded_why_not": why_not_seeded,
            "models_unseeded": round(seeds.unseeded, 4) if seeds is not None else None,
        },
        "hierarchy": {
            "atlas_tree_over": hierarchy.atlas_level,
            "atlas_tree_capped": bool(hierarchy.atlas.capped),
            "capped_community_trees": int(capped.sum()),
            "leaves_from_yesterday": seeded is not None,
            "models_in_capped_trees": int(sizes[np.asarray(capped, dtype=bool)].sum()),
            "cut_levels": list(config.cut_levels),
            "clusters": {cluster_column(level): int(c.max()) + 1 for level, c in hierarchy.clusters.items()},
        },
        "reuse": reuse,
        "timings_s": timings,
    }
    if window is not None:
        report["peak_rss_mb"] = peaks
    log.info(
        "atlas: %d models, %d similarity edges, %d communities (%s), %d clusters",
        n,
        len(similar[0]),
        n_communities,
        partition.algorithm,
        int(out["cluster"].max()) + 1,
    )
    if window is not None:
        window.close()
    return AtlasMap(
        models=out,
        edges=edges,
        communities=communities,
        hierarchy=tables,
        report=report,
        names=names,
        similar=similar_rows(similar),
    )


def similarity_edges(ids: pd.Series, graph: NameGraph) -> pd.DataFrame:
    """The similarity edges of the name graph as edges.parquet holds them (frames.similarity_frame), named by
    the models' `ids`: map_atlas's `similar_edges`. They read the names alone, so a nightly build makes them
    while the genealogy runs (build.py): at 3M models, taking the ids of 17M edge ends is most of ~12 s of the
    atlas stage's tables."""
    return similarity_frame(string_values(ids), *graph.similar)


def similar_rows(similar: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The similarity edges (NameGraph.similar) as AtlasMap.similar holds them: their ends as int32 rows (n <
    2**31: half the memory), their weights as they are."""
    return similar[0].astype(np.int32), similar[1].astype(np.int32), similar[2]
