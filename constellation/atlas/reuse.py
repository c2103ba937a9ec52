"""Nightly reuse: yesterday's name features and neighbour lists, with only what changed computed again.

A night changes one or two percent of the Hub's names, so the two costly steps of the atlas over names,
TF-IDF features and the kNN graph, need not start from zero. A build saves its `NameState` beside the
atlas (`reuse/`: the distinct normalised names, the learnt vocabularies, each name's feature rows,
neighbour list and base-model signature), and the next build, through `reuse_names`:

- keeps the rows of every name it saw yesterday, and computes rows of new names with yesterday's
  vocabulary and IDF (features.transform_names): a kept row is exactly the row the state holds;
- keeps the neighbour list of every kept name, except lists that held a name gone since: with the exact
  kNN those names are searched again; with the windowed one (above `exact_knn_max`) their lists are refilled
  from the lists of their closest neighbours, scored exactly, as the full build's neighbour-of-neighbour
  pass would (`_refill`), because at 1M names they are 7× as many as the new names;
- searches every new name against all names (exactly, or in the windows of the windowed kNN's sort keys, the
  MinHash keys of kept names and the kept names' order under the text keys kept in the state) for its 2k best,
  keeps its k best, and offers it to the lists of the names it found, which keep their k best (the similarity
  is symmetric, so a new name that is among an old name's k best usually finds that old name among its own 2k
  best).
The searches and the refill run in `knn_workers` forked processes (workers.py), merged in a fixed order, so
the lists do not depend on their number.

Tolerance (what an incremental build may differ in from a full one; tests/constellation/atlas/test_reuse.py):
- the vocabulary and IDF are yesterday's, so similarities differ slightly from a refit's, and terms first
  seen in new names are left out until the next refit; a refit (a full build) happens when a night's change
  exceeds `max_change` (5 %) or the changes since the last fit add up to more than `MAX_DRIFT` (20 %);
- an old name misses a new name that is among its k best but not among the new name's own 2k best;
- the windowed kNN is approximate in both builds, and compares different windows in each; the
  neighbour-of-neighbour pass (`knn_graph_passes`) runs over the whole graph in a full build only, so new
  names' lists come from their windows alone (their MinHash keys included) until the next refit, and a
  refilled list finds only what its closest neighbours' lists hold.
The recall check of an incremental build (map_atlas) samples the lists it searched or refilled
(`recall_rows`, `recall_sample_size`) and counts the kept ones at the previous build's figure, which the
state keeps (`blended_recall`).
Measured at 100k synthetic models after a 2 % change: see docs/benchmarks.md (bench/bench_incremental.py).
Families, params and lineage come from the genealogy stage, which always runs whole, so they are exact.

Whether a state may be used at all (same settings, same kNN method, small enough change) is `refusal`;
`None` means reuse.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from sparse_dot_topn import sp_matmul_topn

from constellation.arrow_strings import string_values
from constellation.atlas.config import AtlasConfig
from constellation.atlas.features import (
    NameFeatures,
    NameRows,
    NameVocabulary,
    TermWeights,
    expand_rows,
    name_texts,
    transform_names,
)
from constellation.atlas.knn import TEXT_KEYS, KnnGraph, key_orders, minhash_keys, row_similarities, text_keys
from constellation.atlas.signatures import SIGNATURE_RULES, NameSignatures
from constellation.atlas.workers import forked_map, worker_count
from constellation.errors import AtlasError

log = logging.getLogger(__name__)

MAX_CHANGE = 0.05  # a night changing more distinct names than this share refits (a full build)
MAX_DRIFT = 0.20  # changes since the vocabulary was fitted, added up, beyond which a build refits
# The settings a state was computed with; any difference makes it unusable.
SETTINGS = (
    "include_owner",
    "word_ngram_range",
    "char_ngram_range",
    "min_df",
    "word_weight",
    "k",
    "min_similarity",
    "exact_knn_max",
    "knn_window",
    "knn_minhash_keys",
    "knn_graph_passes",
    "seed",
)
STATE_VERSION = 1
_BATCH = 64  # windowed search: new names per product (their windows overlap, so batches share candidates)
_EXACT_BLOCK = 2048  # exact search: query rows per product
MIN_RECALL_SAMPLE = 100  # an incremental build's recall check: names, at least (recall_sample_size)


@dataclass(frozen=True)
class NameState:
    """Everything about the distinct names of a build that the next build can reuse."""

    texts: np.ndarray  # object: the distinct normalised names, in order
    # The model ids of the build, so a kept id need not be tokenised again: object, or Arrow strings as read
    # back from the files (compare_ids only looks them up, in Arrow: 3M Python strings cost seconds).
    ids: np.ndarray | pa.Array
    id_texts: np.ndarray  # int32: each id's position in `texts`
    rows: NameRows  # their feature rows (featureless names: empty rows)
    vocabulary: NameVocabulary
    neighbors: np.ndarray  # (names, k) int32: positions in `texts`, best first, −1 pads
    similarities: np.ndarray  # (names, k) float32, 0 where there is no neighbour
    method: str  # the kNN method: "exact" or "windowed"
    settings: dict[str, Any]  # `settings_of(config)` of the build that made it
    drift: float  # share of names changed since the vocabulary was fitted, added up night by night
    # (names, knn_minhash_keys) uint64: each name's MinHash sort keys (knn.minhash_keys), which depend on its
    # row alone, so kept names' keys are kept: hashing every name's n-grams is most of the sort keys' cost.
    # None when the build searched without them (exact kNN) or the state predates them.
    minhashes: np.ndarray | None = None
    # The names whose lists this build searched (positions in `texts`; None: all, a full build), for the
    # recall check of an incremental build (`recall_rows`); not kept in the files.
    searched: np.ndarray | None = None
    # recall@k of this build's lists (map_atlas's check; see `blended_recall`), kept so the next build can
    # count it for the lists it keeps; None when unmeasured (exact kNN, check off).
    recall: float | None = None
    # Each name's base-model signature and the brands it was read with (signatures.NameSignatures, over
    # `texts`), so the next build reads only new names when its brands are the same; None: not kept.
    signatures: NameSignatures | None = None
    # (TEXT_KEYS, names) int32: the names in the order of each windowed sort key that depends on a name's
    # text alone (knn.text_keys), so the next build merges its new names in instead of sorting 3M strings
    # again (`_text_orders`). None: not kept (the exact kNN's, or an older state).
    text_orders: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.texts)


def settings_of(config: AtlasConfig) -> dict[str, Any]:
    """The settings a state depends on, JSON-shaped (tuples as lists) so a read-back state compares equal."""
    values = config.as_dict()
    return {name: list(values[name]) if isinstance(values[name], tuple) else values[name] for name in SETTINGS}


def _knn_method(keys: int, config: AtlasConfig) -> str:
    """knn.knn_graph's choice for this many searched names. It counts each id without features alone; so
    few names have none that `refusal` counts distinct names only."""
    return "exact" if keys <= config.exact_knn_max else "windowed"


def name_state(
    ids: Sequence[str], features: NameFeatures, knn: KnnGraph, config: AtlasConfig, drift: float = 0.0
) -> NameState:
    """The state a build leaves for the next one: its names' rows and lists, by distinct name."""
    if features.vocabulary is None:
        raise AtlasError("name features without their vocabulary cannot be kept for reuse; use name_features")
    codes, distinct = pd.factorize(pd.Series(features.texts, dtype=object))
    _, first = np.unique(codes, return_index=True)
    found = knn.neighbors[first]
    neighbors = np.where(found >= 0, codes[np.maximum(found, 0)], -1).astype(np.int32)
    similarities = np.where(found >= 0, knn.similarities[first], 0).astype(np.float32)
    rows = NameRows(features.matrix[first], features.words[first])
    minhashes = None
    if knn.minhashes is not None and knn.distinct is not None:
        # Every name has a searched row (its first id; each featureless id is one), and rows of one name
        # are equal, so they hold equal keys.
        minhashes = np.empty((len(distinct), knn.minhashes.shape[1]), dtype=np.uint64)
        minhashes[codes[knn.distinct]] = knn.minhashes
    text_orders = None
    if knn.text_orders is not None and knn.distinct is not None:
        # The searched rows in key order, each name at its first id's row: a name's other rows (ids
        # without features are searched one by one) tie with it and come later, as a stable sort of the
        # names (numbered by first id, as the rows are) puts them.
        head = np.zeros(len(codes), dtype=bool)
        head[first] = True
        in_order = [knn.distinct[order] for order in knn.text_orders]
        text_orders = np.stack([codes[rows[head[rows]]] for rows in in_order]).astype(np.int32)
    return NameState(
        texts=np.asarray(distinct, dtype=object),
        ids=np.asarray(ids, dtype=object),
        id_texts=codes.astype(np.int32),
        rows=rows,
        vocabulary=features.vocabulary,
        neighbors=neighbors,
        similarities=similarities,
        method=knn.method,
        settings=settings_of(config),
        drift=float(drift),
        minhashes=minhashes,
        text_orders=text_orders,
    )


@dataclass(frozen=True)
class Change:
    """How today's distinct names compare with the state's."""

    texts: np.ndarray  # today's distinct names: kept ones in the state's order, then new ones
    codes: np.ndarray  # each id's position in `texts`
    old: np.ndarray  # each of today's names' position in the state, −1 for a new name
    added: int
    removed: int

    @property
    def changed(self) -> int:
        return self.added + self.removed


def known_texts(previous: NameState, ids: Sequence[str], config: AtlasConfig) -> list[str]:
    """The normalised name of every id (features.name_texts), read from the state for the ids it holds:
    tokenising is a third of the cost of features at 100k names. Only for a state of the same settings."""
    return compare_ids(previous, ids, config)[0]


def compare_ids(previous: NameState, ids: Sequence[str], config: AtlasConfig) -> tuple[list[str], Change]:
    """`known_texts` and `compare_names` of today's ids in one pass: an id the state holds brings its name's
    position in the state along, so only the names of new ids are looked up among the state's names. At
    1M ids, hashing every id's name again (factorize, then a lookup of each distinct name) cost more than
    the rest of the comparison. Only for a state of the same settings."""
    if previous.settings != settings_of(config):
        raise AtlasError("a state of other settings cannot give today's names; call features.name_texts")
    at = _positions(ids, previous.ids)
    old_of_id = np.where(at >= 0, previous.id_texts[np.maximum(at, 0)], -1).astype(np.int64)
    new_ids = np.flatnonzero(at < 0)
    new_texts = np.asarray(name_texts([ids[int(i)] for i in new_ids], config), dtype=object)
    old_of_id[new_ids] = _positions(new_texts, previous.texts)  # a new id may carry a name the state holds
    fresh = old_of_id < 0
    fresh_codes, fresh_names = pd.factorize(pd.Series(new_texts[fresh[new_ids]], dtype=object))
    kept = np.zeros(previous.size, dtype=bool)
    kept[old_of_id[~fresh]] = True
    kept_old = np.flatnonzero(kept)  # kept names first, in the state's order, as compare_names puts them
    position = np.full(previous.size, -1, dtype=np.int64)
    position[kept_old] = np.arange(len(kept_old))
    codes = np.empty(len(old_of_id), dtype=np.int64)
    codes[~fresh] = position[old_of_id[~fresh]]
    codes[fresh] = len(kept_old) + fresh_codes
    texts = np.concatenate([previous.texts[kept_old], np.asarray(fresh_names, dtype=object)])
    old = np.concatenate([kept_old, np.full(len(fresh_names), -1, dtype=np.int64)])
    change = Change(texts, codes, old, len(fresh_names), previous.size - len(kept_old))
    return texts[codes].tolist(), change


def _positions(values: Sequence[str] | np.ndarray, among: np.ndarray | pa.Array) -> np.ndarray:
    """Each value's position in `among` (distinct strings), −1 when absent; hashed in Arrow, which at 1M
    strings takes a fraction of pandas' lookup of Python strings."""
    found = pc.index_in(pa.array(values, pa.large_string()), value_set=string_values(among))
    return found.fill_null(-1).to_numpy().astype(np.int64)


def compare_names(previous: NameState, texts: Sequence[str]) -> Change:
    """Match today's names (one per id) against the state's distinct names: kept names first, in the
    state's order, so their rows are one gather of the state's (`_rows`), then new names."""
    codes, distinct = pd.factorize(pd.Series(list(texts), dtype=object))
    old = pd.Index(previous.texts).get_indexer(distinct).astype(np.int64)
    kept = np.flatnonzero(old >= 0)
    order = np.concatenate([kept[np.argsort(old[kept], kind="stable")], np.flatnonzero(old < 0)])
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    texts_ = np.asarray(distinct, dtype=object)[order]
    return Change(texts_, position[codes], old[order], len(distinct) - len(kept), previous.size - len(kept))


def change_share(previous: NameState, change: Change) -> float:
    """Names added and removed, as a share of the state's distinct names."""
    return change.changed / max(1, previous.size)


def refusal(
    previous: NameState, change: Change, config: AtlasConfig, ids: int, max_change: float = MAX_CHANGE
) -> str | None:
    """Why `previous` cannot be reused for today's names (None: it can), in words for the log."""
    settings = settings_of(config)
    differ = [name for name in SETTINGS if previous.settings.get(name) != settings[name]]
    if differ:
        return f"the name settings changed ({', '.join(differ)})"
    k = min(config.k, max(ids - 1, 1))
    if previous.neighbors.shape[1] != k:
        return f"the neighbour lists hold {previous.neighbors.shape[1]} names, this build wants {k}"
    method = _knn_method(len(change.texts), config)
    if method != previous.method:
        return f"the kNN method changes at this size ({previous.method} → {method})"
    share = change_share(previous, change)
    if share > max_change:
        return f"{share:.1%} of the distinct names changed, more than max_change {max_change:.0%}"
    if previous.drift + share > MAX_DRIFT:
        return (
            f"the names changed by {previous.drift + share:.1%} since the vocabulary was fitted, more than "
            f"{MAX_DRIFT:.0%}: time to refit"
        )
    return None


def reuse_names(
    previous: NameState, ids: Sequence[str], texts: list[str], change: Change, config: AtlasConfig
) -> tuple[NameFeatures, KnnGraph, NameState]:
    """Today's name features and kNN graph (as features.name_features and knn.knn_graph give them), with
    yesterday's rows and lists kept where the names did not change; and the state for tomorrow."""
    kept = change.old >= 0
    rows = _rows(previous, change, config)
    featured = np.diff(rows.matrix.indptr) > 0
    method = previous.method  # `refusal` saw it is still the one knn.knn_graph picks at this size
    k = previous.neighbors.shape[1]
    neighbors, similarities, dirty = _kept_lists(previous, change, k)
    # Old lists that held a gone name are searched again with the exact kNN (cheap below exact_knn_max);
    # above it they are refilled from their neighbours' lists (`_refill`), as the full build's
    # neighbour-of-neighbour pass would: at 1M names they are 7× the new names, and a window search
    # costs each of them seven sort keys' products.
    windowed = method == "windowed"
    queries = np.flatnonzero(featured & (~kept | (dirty & ~windowed)))
    minhashes = _minhashes(previous, change, rows, config) if windowed else None
    orders = None
    if minhashes is not None:
        known = _text_orders(previous, change)
        orders = key_orders(list(change.texts), rows.words, previous.vocabulary.words.terms, known)
        orders += [pc.sort_indices(pa.array(column)).to_numpy().astype(np.int64) for column in minhashes.T]
    searched = _search(rows, queries, 2 * k, config, orders)
    neighbors, similarities = _merge(neighbors, similarities, queries, searched, k)
    refilled = np.flatnonzero(featured & dirty & kept) if windowed else np.empty(0, dtype=np.int64)
    workers = worker_count(config.knn_workers)
    neighbors, similarities = _refill(rows.matrix, neighbors, similarities, refilled, config.min_similarity, workers)
    log.info(
        "nightly reuse: %d names kept, %d new, %d gone; %d lists searched, %d old lists that held a gone name %s",
        int(kept.sum()),
        change.added,
        change.removed,
        len(queries),
        int((dirty & featured).sum()),
        "refilled from their neighbours' lists" if windowed else "among them",
    )
    state = NameState(
        texts=change.texts,
        ids=np.asarray(ids, dtype=object),
        id_texts=change.codes.astype(np.int32),
        rows=rows,
        vocabulary=previous.vocabulary,
        neighbors=neighbors,
        similarities=similarities,
        method=method,
        settings=settings_of(config),
        drift=previous.drift + change_share(previous, change),
        minhashes=minhashes,
        text_orders=np.stack(orders[:TEXT_KEYS]).astype(np.int32) if orders is not None else None,
        searched=np.union1d(queries, refilled),
        recall=previous.recall,
    )
    features = expand_rows(texts, change.codes, rows, previous.vocabulary)
    return features, id_graph(change.codes, featured, neighbors, similarities, method), state


def _rows(previous: NameState, change: Change, config: AtlasConfig) -> NameRows:
    """Kept names' rows from the state, new names' rows with the state's vocabulary."""
    kept = change.old >= 0
    new = np.flatnonzero(~kept)
    fresh = transform_names([change.texts[i] for i in new], previous.vocabulary, config)
    order = np.empty(len(change.texts), dtype=np.int64)  # row of each name in [kept rows; fresh rows]
    order[np.flatnonzero(kept)] = np.arange(int(kept.sum()))
    order[new] = int(kept.sum()) + np.arange(len(new))
    in_place = bool((order == np.arange(len(order))).all())  # compare_names puts kept names first

    def stack(old: sp.csr_matrix, added: sp.csr_matrix) -> sp.csr_matrix:
        both = _stacked(old, change.old[kept], added)
        # Each copy of the rows is about 1.8 GB at 3M models: no reordering copy when none is needed.
        return sp.csr_matrix(both if in_place else both[order], dtype=np.float32)

    return NameRows(stack(previous.rows.matrix, fresh.matrix), stack(previous.rows.words, fresh.words))


def _stacked(old: sp.csr_matrix, keep: np.ndarray, added: sp.csr_matrix) -> sp.csr_matrix:
    """The rows `keep` of `old`, then the rows of `added`, in one copy (a gather, then a vstack, made two).
    `keep` rises, as compare_names orders kept names, and a night drops few names: the kept rows are a few
    long runs, each one slice of `old`'s arrays."""
    if len(keep) and (np.diff(keep) <= 0).any():
        return sp.vstack([old[keep], added], format="csr")
    starts, stops = old.indptr[keep], old.indptr[keep + 1]
    cuts = np.flatnonzero(np.diff(keep) != 1) + 1
    spans = zip(starts[np.r_[0, cuts]], stops[np.r_[cuts, len(keep)] - 1], strict=True) if len(keep) else iter(())
    pieces = [(old.data[a:b], old.indices[a:b]) for a, b in spans]
    data = np.concatenate([*(d for d, _ in pieces), added.data.astype(old.data.dtype, copy=False)])
    indices = np.concatenate([*(i for _, i in pieces), added.indices.astype(old.indices.dtype, copy=False)])
    indptr = np.concatenate([[0], np.cumsum(np.concatenate([stops - starts, np.diff(added.indptr)]))])
    return sp.csr_matrix((data, indices, indptr), shape=(len(keep) + added.shape[0], old.shape[1]))


def _minhashes(previous: NameState, change: Change, rows: NameRows, config: AtlasConfig) -> np.ndarray:
    """Each of today's names' MinHash sort keys: kept names' from the state, new names' hashed."""
    count = config.knn_minhash_keys

    def hashed(matrix: sp.csr_matrix) -> np.ndarray:
        keys = minhash_keys(matrix, count, seed=config.seed)
        return np.column_stack([key.to_numpy() for key in keys]) if keys else np.empty((matrix.shape[0], 0), np.uint64)

    if previous.minhashes is None or previous.minhashes.shape[1] != count:
        return hashed(rows.matrix)
    kept = change.old >= 0
    out = np.empty((len(change.texts), count), dtype=np.uint64)
    out[kept] = previous.minhashes[change.old[kept]]
    new = np.flatnonzero(~kept)
    out[new] = hashed(rows.matrix[new])
    return out


def _kept_lists(previous: NameState, change: Change, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each name's list carried over (renumbered to today's names), and which kept lists lost a name."""
    n = len(change.texts)
    today = np.full(previous.size, -1, dtype=np.int64)
    kept = np.flatnonzero(change.old >= 0)
    today[change.old[kept]] = kept
    neighbors = np.full((n, k), -1, dtype=np.int32)
    similarities = np.zeros((n, k), dtype=np.float32)
    old_lists = previous.neighbors[change.old[kept]]
    mapped = np.where(old_lists >= 0, today[np.maximum(old_lists, 0)], -1)
    dirty = np.zeros(n, dtype=bool)
    dirty[kept] = ((old_lists >= 0) & (mapped < 0)).any(axis=1)
    neighbors[kept] = mapped
    similarities[kept] = np.where(mapped >= 0, previous.similarities[change.old[kept]], 0)
    return neighbors, similarities, dirty


@dataclass(frozen=True)
class _Found:
    rows: np.ndarray  # query name
    cols: np.ndarray  # neighbour name
    sims: np.ndarray


def _concat(parts: Sequence[_Found]) -> _Found:
    if not parts:
        return _Found(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))
    return _Found(
        np.concatenate([p.rows for p in parts]),
        np.concatenate([p.cols for p in parts]),
        np.concatenate([p.sims for p in parts]),
    )


def _products(queries: sp.csr_matrix, candidates_t: sp.csr_matrix, top: int, min_similarity: float) -> sp.csr_matrix:
    return sp_matmul_topn(queries, candidates_t, top_n=top, threshold=min_similarity, sort=True)


@dataclass(frozen=True)
class _SearchInputs:
    """What each piece of the search reads (shared with forked workers, never written)."""

    matrix: sp.csr_matrix
    transposed: sp.csr_matrix | None  # the whole matrix transposed (exact search only)
    orders: list[np.ndarray]  # windowed: per sort key, all names in its order
    at: list[np.ndarray]  # windowed: per sort key, the queries' sorted positions in that order; exact: [queries]
    top: int
    half: int
    min_similarity: float


def _search_piece(inputs: _SearchInputs, piece: tuple[int, int, int]) -> _Found:
    """The `top` best of queries [start, stop) of `inputs.at[key]`: exact against all names, or each batch
    of `_BATCH` queries against the union of their windows under sort key `key`, `_GROUP` batches a product."""
    key, start, stop = piece
    matrix = inputs.matrix
    if inputs.transposed is not None:
        block = inputs.at[key][start:stop]
        product = _products(matrix[block], inputs.transposed, inputs.top, inputs.min_similarity)
        return _triples(product, block, np.arange(matrix.shape[0]))
    order, at = inputs.orders[key], inputs.at[key][start:stop]
    bounds = _batch_bounds(at, 2 * inputs.half)
    slots = np.full(matrix.shape[1], -1, dtype=np.int32)
    parts = []
    for first in range(0, len(bounds) - 1, _GROUP):
        group = bounds[first : first + _GROUP + 1]
        parts.append(_group_product(inputs, order, at[group[0] : group[-1]], group - group[0], slots))
    return _concat(parts)


_GROUP = 8  # batches multiplied in one product (`_group_product`)


def _group_product(
    inputs: _SearchInputs, order: np.ndarray, positions: np.ndarray, bounds: np.ndarray, slots: np.ndarray
) -> _Found:
    """Each query at `positions` (sorted positions in `order`, cut into batches at `bounds`) against the
    union of its batch's windows, for a few batches in one product: one call instead of one per batch,
    whose scipy and sparse_dot_topn overheads were most of a batch's cost.

    The product's columns are (query term, batch) cells, so a query row meets its own batch's candidates
    alone, as if multiplied alone: each pair sums the same terms in the query row's order, and each row's
    candidates reach its top-n heap in the same order (a cell's candidates rise, as a batch's transposed
    rows list them), so the products are the same floats and the top lists the same, ties included. A
    batch's queries lie within 2·half of its first, so the union of their windows is one run of the order.
    `slots`: a scratch array of −1, one per column, left as it was found."""
    matrix, n = inputs.matrix, len(order)
    batches = len(bounds) - 1
    lo = np.maximum(positions[bounds[:-1]] - inputs.half, 0)
    hi = np.minimum(positions[bounds[1:] - 1] + inputs.half + 1, n)
    spans = hi - lo
    candidates = order[np.repeat(lo - np.r_[0, np.cumsum(spans)[:-1]], spans) + np.arange(int(spans.sum()))]
    queries = order[positions]
    rows = matrix[queries]
    used = np.unique(rows.indices)  # the queries' terms: a candidate's other entries add to no product
    around = matrix[candidates]
    slots[used] = np.arange(len(used), dtype=np.int32)
    try:
        local = slots[around.indices]
        term_of_entry = slots[rows.indices].astype(np.int64)
    finally:
        slots[used] = -1
    # Few entries are kept (a tenth at 300k models): their positions, then two takes, cost less than two
    # boolean selections and a running count over every entry.
    keep = np.flatnonzero(local >= 0)
    pointers = np.searchsorted(keep, around.indptr)
    postings = sp.csr_matrix((around.data[keep], local[keep], pointers), shape=(len(candidates), len(used))).T.tocsr()
    batch_of_candidate = np.repeat(np.arange(batches, dtype=np.int64), spans)
    cells = np.repeat(np.arange(len(used), dtype=np.int64) * batches, np.diff(postings.indptr))
    cells += batch_of_candidate[postings.indices]
    indptr = np.r_[0, np.cumsum(np.bincount(cells, minlength=len(used) * batches))]
    by_cell = sp.csr_matrix((postings.data, postings.indices, indptr), shape=(len(used) * batches, len(candidates)))
    batch_of_entry = np.repeat(np.repeat(np.arange(batches, dtype=np.int64), np.diff(bounds)), np.diff(rows.indptr))
    rows = sp.csr_matrix(
        (rows.data, term_of_entry * batches + batch_of_entry, rows.indptr), shape=(len(queries), len(used) * batches)
    )
    return _triples(_products(rows, by_cell, inputs.top, inputs.min_similarity), queries, candidates)


# Queries per piece of work sent to a worker: a few hundred products, so sending the piece and its result
# (about 1 MB) costs little beside them, and enough pieces to share evenly (7 keys × 7k new names at 1M: 56).
_PIECE_QUERIES = 1024


def _search(
    rows: NameRows, queries: np.ndarray, top: int, config: AtlasConfig, orders: list[np.ndarray] | None
) -> _Found:
    """The `top` best neighbours of each query name among all names (self excluded), as triples: exactly
    when `orders` is None, else in the windows of the windowed kNN's sort keys (`orders`: all names in the
    order of each key, knn.key_orders then the MinHash keys). The pieces run in `config.knn_workers` forked
    processes and are merged in their order, so the result does not depend on the number of workers."""
    matrix = rows.matrix
    if orders is None:
        inputs = _SearchInputs(matrix, matrix.T.tocsr(), [], [queries], top + 1, 0, config.min_similarity)
        step = _EXACT_BLOCK
    else:
        at = []
        for order in orders:
            position = np.empty_like(order)
            position[order] = np.arange(len(order))
            at.append(np.sort(position[queries]))
        inputs = _SearchInputs(matrix, None, orders, at, top + 1, config.knn_window // 2, config.min_similarity)
        step = _PIECE_QUERIES
    pieces = [
        (key, start, min(len(queries), start + step))
        for key in range(len(inputs.at))
        for start in range(0, len(queries), step)
    ]
    workers = worker_count(config.knn_workers)
    found = _concat(list(forked_map(_search_piece, inputs, pieces, workers, what="the nightly kNN search")))
    keep = found.rows != found.cols
    return _Found(found.rows[keep], found.cols[keep], found.sims[keep])


def _text_orders(previous: NameState, change: Change) -> list[np.ndarray] | None:
    """Today's names in the order of each text key (knn.text_keys), from the state's orders: kept names keep
    their order (they keep their relative positions too, as compare_ids numbers them), and each new name goes
    after every kept name whose key is at most its own, found by a binary search that builds the keys of the
    names it probes only: a stable sort of all names' keys, without building and sorting 2M strings per key.
    None when the state kept no orders."""
    if previous.text_orders is None:
        return None
    kept = np.flatnonzero(change.old >= 0)
    new = np.flatnonzero(change.old < 0)  # after the kept names (compare_ids)
    today = np.full(previous.size, -1, dtype=np.int64)
    today[change.old[kept]] = kept
    texts = change.texts
    orders = []
    for key, old_order in enumerate(previous.text_orders):
        kept_order = today[old_order]
        kept_order = kept_order[kept_order >= 0]
        new_keys = text_keys(texts[new].tolist(), [key])[0]
        ranked = pc.sort_indices(new_keys).to_numpy().astype(np.int64)  # stable: equal keys by position
        new_keys = new_keys.take(pa.array(ranked))
        lo, hi = np.zeros(len(new), dtype=np.int64), np.full(len(new), len(kept_order), dtype=np.int64)
        while (open_ := np.flatnonzero(lo < hi)).size:
            mid = (lo[open_] + hi[open_]) // 2
            probed = text_keys(texts[kept_order[mid]].tolist(), [key])[0]
            # Arrow compares strings as its sort does (bytewise).
            below = pc.less_equal(probed, new_keys.take(pa.array(open_))).to_numpy(zero_copy_only=False)
            lo[open_] = np.where(below, mid + 1, lo[open_])
            hi[open_] = np.where(below, hi[open_], mid)
        order = np.empty(len(texts), dtype=np.int64)
        order[lo + np.arange(len(new))] = new[ranked]
        order[np.arange(len(kept_order)) + np.searchsorted(lo, np.arange(len(kept_order)), side="right")] = kept_order
        orders.append(order)
    return orders


def _batch_bounds(positions: np.ndarray, span: int) -> np.ndarray:
    """Where `positions` (sorted) are cut into runs of at most `_BATCH` that each lie within `span` of its
    first (the runs' starts, then len(positions)): a batch is compared with the union of its windows, so
    far-apart queries would each pay for all of them (at 1 % of the names searched, 64 queries spread over
    6,400 positions)."""
    bounds, first = [0], 0
    while first < len(positions):
        first = min(len(positions), first + _BATCH, int(np.searchsorted(positions, positions[first] + span, "right")))
        bounds.append(first)
    return np.asarray(bounds, dtype=np.int64)


def _triples(product: sp.csr_matrix, query_rows: np.ndarray, candidate_rows: np.ndarray) -> _Found:
    counts = np.diff(product.indptr)
    return _Found(
        np.repeat(query_rows, counts).astype(np.int64),
        candidate_rows[product.indices].astype(np.int64),
        product.data.astype(np.float32),
    )


def _top_lists(
    rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, row_ids: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per row of `row_ids`, its k most similar distinct cols (ties by smaller col), −1/0 padded. The
    similarities are cosines of non-negative rows, so ≥ 0."""
    # One sort by (row, col) keeps each pair's best copy; then a stable sort by row and falling similarity
    # (non-negative floats order as their bits, flipped for "most similar first") leaves equal similarities
    # in col order. Two integer sorts: a lexsort over three columns took 6× as long at 3.5M triples.
    pair = rows * (int(cols.max(initial=0)) + 1) + cols
    order = np.argsort(pair)
    pair = pair[order]
    heads = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]]) if len(pair) else np.empty(0, dtype=np.int64)
    best = np.maximum.reduceat(sims[order], heads) if len(pair) else sims[:0]
    rows, cols, sims = rows[order[heads]], cols[order[heads]], best.astype(np.float32) + np.float32(0)  # no −0
    flipped = (np.uint32(0xFFFFFFFF) - sims.view(np.uint32)).astype(np.uint64)
    by = np.argsort((rows.astype(np.uint64) << np.uint64(32)) | flipped, kind="stable")
    rows, cols, sims = rows[by], cols[by], sims[by]
    starts = np.r_[0, np.flatnonzero(np.diff(rows)) + 1] if len(rows) else np.empty(0, dtype=np.int64)
    rank = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    keep = rank < k
    slot = np.searchsorted(row_ids, rows[keep])
    out_cols = np.full((len(row_ids), k), -1, dtype=np.int32)
    out_sims = np.zeros((len(row_ids), k), dtype=np.float32)
    out_cols[slot, rank[keep]] = cols[keep]
    out_sims[slot, rank[keep]] = sims[keep]
    return out_cols, out_sims


def _merge(
    neighbors: np.ndarray, similarities: np.ndarray, queries: np.ndarray, found: _Found, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Searched names get their k best; the names they found are offered them (symmetric similarity)."""
    neighbors, similarities = neighbors.copy(), similarities.copy()
    queries = np.sort(queries)
    if len(queries):
        neighbors[queries], similarities[queries] = _top_lists(found.rows, found.cols, found.sims, queries, k)
    searched = np.zeros(len(neighbors), dtype=bool)
    searched[queries] = True
    # An offer below a full list's last similarity cannot enter it (its own copy, if the list holds it, is
    # no better than the list's), so only lists with a free slot (kept lists that lost a name have one where
    # the name was) or a better offer are merged again: at 3M models the others were most of the targets.
    holes = np.asarray((neighbors < 0).any(axis=1), dtype=bool)
    offer = ~searched[found.cols] & (holes[found.cols] | (found.sims >= similarities[found.cols, k - 1]))
    targets = np.unique(found.cols[offer])
    if not len(targets):
        return neighbors, similarities
    current = neighbors[targets]
    present = current >= 0
    rows = np.concatenate([np.repeat(targets, k)[present.ravel()], found.cols[offer]])
    cols = np.concatenate([current[present], found.rows[offer]])
    sims = np.concatenate([similarities[targets][present], found.sims[offer]])
    neighbors[targets], similarities[targets] = _top_lists(rows, cols, sims, targets, k)
    return neighbors, similarities


@dataclass(frozen=True)
class _Pairs:
    """Pairs of rows to score (shared with forked workers, never written)."""

    matrix: sp.csr_matrix
    rows: np.ndarray
    cols: np.ndarray


def _score_piece(pairs: _Pairs, span: tuple[int, int]) -> np.ndarray:
    return row_similarities(pairs.matrix, pairs.rows[span[0] : span[1]], pairs.cols[span[0] : span[1]])


_PIECE_PAIRS = 262_144  # pairs scored per piece of work: one step of row_similarities
# A list refilled after losing a name looks among the lists of its `_REFILL_FAN` closest neighbours: the
# name that takes the gone one's place is most often there, and each pair scored costs two row gathers
# (3 of 10 lists: a quarter of the time of all ten; at 300k the incremental lists then hold 0.952 of the
# full build's pairs, against 0.954 with all ten and 0.952 searching them again in the windows).
_REFILL_FAN = 3


def _refill(
    matrix: sp.csr_matrix,
    neighbors: np.ndarray,
    similarities: np.ndarray,
    rows: np.ndarray,
    min_similarity: float,
    workers: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The lists of `rows` (sorted) merged with the neighbours of their `_REFILL_FAN` closest neighbours not yet
    in them, scored exactly
    (knn.row_similarities, in `workers` forked processes) and kept at `min_similarity` or more: what
    knn.refine_knn's pass does, for a few rows."""
    if not len(rows):
        return neighbors, similarities
    neighbors, similarities = neighbors.copy(), similarities.copy()
    k = neighbors.shape[1]
    own = neighbors[rows]
    closest = own[:, :_REFILL_FAN]
    around = np.where(closest[:, :, None] >= 0, neighbors[np.maximum(closest, 0)], -1).reshape(len(rows), -1)
    around = np.sort(around, axis=1)
    useless = (around < 0) | (around == rows[:, None])
    useless[:, 1:] |= around[:, 1:] == around[:, :-1]
    useless |= (around[:, :, None] == own[:, None, :]).any(axis=2)
    at, slot = np.nonzero(~useless)
    pairs = _Pairs(matrix, rows[at].astype(np.int64), around[at, slot].astype(np.int64))
    spans = [(start, min(len(at), start + _PIECE_PAIRS)) for start in range(0, len(at), _PIECE_PAIRS)]
    scored = list(forked_map(_score_piece, pairs, spans, workers, what="the nightly refill of lists"))
    sims = np.concatenate(scored) if scored else np.empty(0, dtype=np.float32)
    good = sims >= min_similarity
    present = own >= 0
    neighbors[rows], similarities[rows] = _top_lists(
        np.concatenate([np.repeat(rows, k)[present.ravel()], pairs.rows[good]]),
        np.concatenate([own[present].astype(np.int64), pairs.cols[good]]),
        np.concatenate([similarities[rows][present], sims[good]]),
        rows,
        k,
    )
    return neighbors, similarities


def first_ids(codes: np.ndarray, names: int) -> np.ndarray:
    """The first id of each name (`codes`: each id's name), as np.unique(return_index) gives it, in O(ids)
    instead of a sort of every id."""
    first = np.full(names, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    return first


def id_graph(
    codes: np.ndarray, featured: np.ndarray, neighbors: np.ndarray, similarities: np.ndarray, method: str
) -> KnnGraph:
    """The KnnGraph over ids from lists over distinct names, shaped as knn.knn_graph shapes it: the first id
    of a name holds its list (to first ids), later ids of the name ("twins") hold the first at similarity 1,
    and ids without features are searched alone and hold nothing."""
    n, k = len(codes), neighbors.shape[1]
    first = first_ids(codes, len(neighbors))
    searched = np.zeros(n, dtype=bool)
    searched[first] = True
    searched[~featured[codes]] = True
    distinct = np.flatnonzero(searched)
    out = np.full((n, k), -1, dtype=np.int32)
    sims = np.zeros((n, k), dtype=np.float32)
    heads = first[featured]
    lists = neighbors[featured]
    out[heads] = np.where(lists >= 0, first[np.maximum(lists, 0)], -1)
    sims[heads] = np.where(lists >= 0, similarities[featured], 0)
    twins = ~searched
    out[twins, 0] = first[codes[twins]]
    sims[twins, 0] = 1.0
    inner = out[distinct]
    row_of = np.full(n, -1, dtype=np.int32)  # each searched id's row among `distinct`
    row_of[distinct] = np.arange(len(distinct), dtype=np.int32)
    inner = np.where(inner >= 0, row_of[np.maximum(inner, 0)], -1).astype(np.int32)
    return KnnGraph(out, sims, method, distinct, KnnGraph(inner, sims[distinct], method))


def recall_rows(state: NameState, knn: KnnGraph, size: int, seed: int) -> np.ndarray:
    """A seeded sample of at most `size` of the names `state`'s build searched, as positions in
    `knn.distinct` (the rows `knn.searched` lists): where an incremental build's recall check looks. The
    lists it kept were checked by the builds that searched them."""
    if knn.distinct is None or state.searched is None:
        raise AtlasError("recall_rows needs the graph and state of an incremental build (reuse_names)")
    tonight = np.zeros(state.size, dtype=bool)
    tonight[state.searched] = True
    # Each searched name's row in `knn.distinct` is its first id's: featureless ids (never searched) aside,
    # a name has one row there.
    rows = np.flatnonzero(tonight[state.id_texts[knn.distinct]])
    return np.sort(np.random.default_rng(seed).choice(rows, size=min(len(rows), size), replace=False))


def recall_sample_size(state: NameState, sample: int) -> int:
    """Names an incremental build checks: `sample` (knn_recall_sample) scaled by the share of names it
    searched, at least `MIN_RECALL_SAMPLE`. The check's exact search costs O(size·names), so a 2 % night
    checks ~160 names instead of 2,000 (29 s → about 3 s at 3M models)."""
    searched = state.size if state.searched is None else len(state.searched)
    return min(sample, max(MIN_RECALL_SAMPLE, int(np.ceil(sample * searched / max(1, state.size)))))


def blended_recall(state: NameState, tonight: float) -> float:
    """The recall of all lists of an incremental build: `tonight`'s (measured on lists it searched) for the
    share it searched, its previous build's figure for the lists it kept (their recall was measured when
    they were searched; the names a night adds are offered to them). Tonight's alone without one."""
    if state.searched is None or state.recall is None:
        return tonight
    share = len(state.searched) / max(1, state.size)
    return share * tonight + (1 - share) * state.recall


# --------------------------------------------------------------------------------------------------
# The state as files (store.py writes and reads them under atlas/<id>/reuse/)
# --------------------------------------------------------------------------------------------------


def state_files(state: NameState) -> dict[str, Any]:
    """The state as named frames, sparse matrices, arrays and one JSON dict, for store.write_atlas."""
    return {
        "names": pd.DataFrame({"text": pd.array(state.texts, dtype="string")}),
        "ids": pd.DataFrame({"id": pd.array(state.ids, dtype="string"), "text": state.id_texts}),
        "matrix": state.rows.matrix,
        "words": state.rows.words,
        "word_terms": _weights_frame(state.vocabulary.words),
        "char_terms": _weights_frame(state.vocabulary.chars),
        "neighbors": state.neighbors,
        "similarities": state.similarities,
        **({"minhashes": state.minhashes} if state.minhashes is not None else {}),
        **({"text_orders": state.text_orders} if state.text_orders is not None else {}),
        **(_signature_files(state.signatures) if state.signatures is not None else {}),
        "state": {
            "version": STATE_VERSION,
            "method": state.method,
            "settings": state.settings,
            "drift": state.drift,
            "names": state.size,
            **({"recall": state.recall} if state.recall is not None else {}),
            **(
                {"brands": sorted(state.signatures.brands), "signature_rules": SIGNATURE_RULES}
                if state.signatures is not None
                else {}
            ),
        },
    }


def _signature_files(signatures: NameSignatures) -> dict[str, Any]:
    keys = pd.DataFrame(signatures.keys, columns=["brand", "version", "size"], dtype=object)
    return {"signatures": signatures.codes, "signature_keys": keys.astype("string")}


def _signatures(files: dict[str, Any], texts: np.ndarray, meta: dict[str, Any]) -> NameSignatures | None:
    """The NameSignatures `_signature_files` wrote, over the state's names; None when the state kept none or
    read them by other rules than signatures.SIGNATURE_RULES (a state from before them: rules 1)."""
    if "signatures" not in files or meta.get("signature_rules", 1) != SIGNATURE_RULES:
        return None
    frame = files["signature_keys"]
    # Over object arrays: iterating pandas' Arrow-backed columns costs a Python call per value.
    columns = (frame[name].to_numpy(dtype=object) for name in ("brand", "version", "size"))
    keys = [(str(b), str(v), str(z)) for b, v, z in zip(*columns, strict=True)]
    codes = np.asarray(files["signatures"], dtype=np.int32)
    if codes.shape != (len(texts),) or (codes >= len(keys)).any():
        raise AtlasError(f"reuse state files disagree: {len(texts)} names but signatures {codes.shape}")
    return NameSignatures(texts, codes, keys, frozenset(str(b) for b in meta["brands"]))


def _weights_frame(weights: TermWeights) -> pd.DataFrame:
    return pd.DataFrame({"term": pd.array(weights.terms, dtype="string"), "idf": weights.idf.astype(np.float64)})


def _weights(frame: pd.DataFrame) -> TermWeights:
    return TermWeights(frame["term"].astype(object).to_numpy(), frame["idf"].to_numpy(dtype=np.float64))


def state_from_files(files: dict[str, Any]) -> NameState:
    """The state `state_files` wrote; AtlasError saying what is wrong when the files do not fit together."""
    try:
        meta = files["state"]
        if meta.get("version") != STATE_VERSION:
            raise AtlasError(f"reuse state version {meta.get('version')!r}, this code reads {STATE_VERSION}")
        texts = files["names"]["text"].astype(object).to_numpy()
        ids = string_values(files["ids"]["id"])
        id_texts = files["ids"]["text"].to_numpy(dtype=np.int32)
        rows = NameRows(sp.csr_matrix(files["matrix"]), sp.csr_matrix(files["words"]))
        vocabulary = NameVocabulary(_weights(files["word_terms"]), _weights(files["char_terms"]))
        neighbors = np.asarray(files["neighbors"], dtype=np.int32)
        similarities = np.asarray(files["similarities"], dtype=np.float32)
        method, settings, drift = str(meta["method"]), dict(meta["settings"]), float(meta["drift"])
        minhashes = np.asarray(files["minhashes"], dtype=np.uint64) if "minhashes" in files else None
        text_orders = np.asarray(files["text_orders"], dtype=np.int32) if "text_orders" in files else None
        recall = float(meta["recall"]) if meta.get("recall") is not None else None
        signatures = _signatures(files, texts, meta)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, AtlasError):
            raise
        raise AtlasError(f"reuse state incomplete or malformed ({type(exc).__name__}: {exc})") from None
    n = len(texts)
    shapes = {
        "matrix": rows.matrix.shape[0],
        "words": rows.words.shape[0],
        "neighbors": neighbors.shape[0],
        "similarities": similarities.shape[0],
        **({"minhashes": minhashes.shape[0]} if minhashes is not None else {}),
    }
    wrong = {name: rows_ for name, rows_ in shapes.items() if rows_ != n}
    if wrong or neighbors.shape != similarities.shape or neighbors.ndim != 2:
        raise AtlasError(f"reuse state files disagree: {n} names but rows {shapes}")
    if rows.words.shape[1] != len(vocabulary.words.terms) or (neighbors >= n).any() or (id_texts >= n).any():
        raise AtlasError("reuse state files disagree: word columns or neighbour positions out of range")
    if text_orders is not None and not _orders_of(text_orders, n):
        raise AtlasError(f"reuse state files disagree: text_orders {text_orders.shape} are not orders of {n} names")
    return NameState(
        texts,
        ids,
        id_texts,
        rows,
        vocabulary,
        neighbors,
        similarities,
        method,
        settings,
        drift,
        minhashes,
        recall=recall,
        signatures=signatures,
        text_orders=text_orders,
    )


def _orders_of(orders: np.ndarray, n: int) -> bool:
    """Whether each row of `orders` lists each of n names once (a wrong order would go unnoticed: the
    search would only find other neighbours)."""
    if orders.shape != (TEXT_KEYS, n) or (orders < 0).any() or (orders >= n).any():
        return False
    return all((np.bincount(row, minlength=n) == 1).all() for row in orders)


__all__ = [
    "MAX_CHANGE",
    "MAX_DRIFT",
    "MIN_RECALL_SAMPLE",
    "Change",
    "NameState",
    "blended_recall",
    "change_share",
    "compare_ids",
    "compare_names",
    "first_ids",
    "id_graph",
    "known_texts",
    "name_state",
    "recall_rows",
    "recall_sample_size",
    "refusal",
    "reuse_names",
    "settings_of",
    "state_files",
    "state_from_files",
]
