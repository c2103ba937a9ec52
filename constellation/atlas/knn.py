"""The k-nearest-neighbour cosine graph over name features, without a dense n×n matrix.

Two ways, one result type (`KnnGraph`: for each row, its k best neighbours and their similarities):

- `exact_knn`: every row against every row, in row blocks, with sparse_dot_topn's `sp_matmul_topn`, which
  keeps only the top k of each product row. O(n²) time but O(n·k) memory: 1.5 s at 15k names, but about
  two minutes at 100k (docs: ../shared/docs/scale-notes.md), so it is used below `exact_max` rows.
- `windowed_knn`, approximate: names are sorted by a few keys (`sort_keys`: the name; the name without its
  first token; its tokens in alphabetical order; its rarest and second-rarest token, then the name; and
  `minhash_keys`: MinHash values of its n-grams), and each block of the sorted order is compared exactly
  with the window around it. Near-duplicate names share a prefix, a tail, a set of tokens, a rare token
  or many n-grams, so they meet in some window. Time is O(n·window) per key, memory O(n·k).
- `refine_knn`: a neighbour-of-neighbour pass over a graph (the neighbours of a row's neighbours are
  scored exactly, the best k kept), in row blocks: it finds the neighbours no sort key put in a window.

`knn_recall` measures how many exact neighbours a graph holds on a sample (map_atlas reports it). On the
Hub-like synthetic names of 2026-12 (window 512, k 10, 2,000 sampled names; docs/benchmarks.md): the five
text keys alone 0.83 at 81k distinct names; with four MinHash keys 0.95.

`knn_graph` picks between them by the number of distinct names, and searches each distinct name once
(re-uploads of one name are "twins" joined to its first copy; see there).

The windowed search, the refinement and the recall check share their rows out among forked worker processes
(`workers`; workers.py): each piece of work is independent and the pieces' results are merged in the same
order as with one process, so the graph is identical with any number of workers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from sparse_dot_topn import sp_matmul_topn
from tqdm import tqdm

from constellation.atlas.workers import forked_map

log = logging.getLogger(__name__)

_NO_NEIGHBOUR = -1


@dataclass(frozen=True)
class KnnGraph:
    """Directed kNN lists: row i's neighbours are `neighbors[i]` (−1 pads), best first."""

    neighbors: np.ndarray  # (n, k) int32
    similarities: np.ndarray  # (n, k) float32; 0 where there is no neighbour
    method: str  # "exact" or "windowed"
    distinct: np.ndarray | None = None  # rows searched (one per distinct name), when twins were folded
    searched: KnnGraph | None = None  # the graph among those rows, in their order (for `knn_recall`)
    # (searched rows, keys) uint64: the windowed search's MinHash sort keys, in the order of `distinct`, kept
    # so a nightly build need not hash every name again (reuse.py); None when it used none.
    minhashes: np.ndarray | None = None
    # The windowed search's orders of the searched rows under its `TEXT_KEYS` text sort keys, kept so the
    # state of a full build holds each name's place in them (reuse.name_state); None for the exact search.
    text_orders: list[np.ndarray] | None = None

    @property
    def n(self) -> int:
        return int(self.neighbors.shape[0])

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Undirected edges (i < j), each once, with its cosine similarity: in order of (i, j), each at the
        similarity its first list entry holds (row by row, then slot by slot).

        No sort of every entry: an entry i → j with j ≥ i is already in row order, so only its row's slots
        are ordered; the entries j → i below are ordered by (i, j) with a counting sort (a CSR to CSC
        conversion), and the two sorted runs merged (a stable sort of two runs is one merge)."""
        n, k = self.neighbors.shape
        neighbors, similarities = self.neighbors, self.similarities
        rows = np.arange(n, dtype=np.int64)[:, None]
        upper = neighbors >= rows
        slots = np.argsort(np.where(upper, neighbors, n), axis=1, kind="stable")
        upper = np.take_along_axis(upper, slots, axis=1)
        up_lo = np.broadcast_to(rows, (n, k))[upper]
        up_hi = np.take_along_axis(neighbors, slots, axis=1)[upper].astype(np.int64)
        up_sims = np.take_along_axis(similarities, slots, axis=1)[upper]
        del slots, upper
        lower = np.flatnonzero(((neighbors >= 0) & (neighbors < rows)).ravel())
        ends = neighbors.ravel()[lower]
        by_end = sp.csr_matrix(
            (np.arange(len(lower), dtype=np.int64), ends, np.r_[0, np.cumsum(np.bincount(lower // k, minlength=n))]),
            shape=(n, n),
        ).tocsc()
        lower = lower[by_end.data]  # by (end, row): a stable counting sort by end of entries in row order
        del by_end, ends
        key = np.concatenate([up_lo * n + up_hi, neighbors.ravel()[lower].astype(np.int64) * n + lower // k])
        sims = np.concatenate([up_sims, similarities.ravel()[lower]])
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.empty(0, dtype=bool)
        key = key[first]
        return key // n, key % n, sims[order][first]


def _threads() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def _empty(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((n, k), _NO_NEIGHBOUR, dtype=np.int32), np.full((n, k), -np.inf, dtype=np.float32)


def _block_topn(
    queries: sp.csr_matrix, candidates_t: sp.csr_matrix, top_n: int, min_similarity: float, *, threads: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Top-n of queries × candidates as padded (rows, top_n) arrays of candidate positions and scores.
    Threads only pay off on big products: on a 256×512 window block they cost 5 ms against 0.7 ms alone."""
    product = sp_matmul_topn(
        queries,
        candidates_t,
        top_n=top_n,
        threshold=min_similarity,
        sort=True,
        n_threads=_threads() if threads else None,
    )
    cols, sims = _empty(queries.shape[0], top_n)
    counts = np.diff(product.indptr)
    rows = np.repeat(np.arange(queries.shape[0]), counts)
    slot = np.arange(product.nnz) - np.repeat(product.indptr[:-1], counts)
    cols[rows, slot] = product.indices
    sims[rows, slot] = product.data
    return cols, sims


def _best_k(cols: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: drop repeated neighbours, keep the k most similar (ties by smaller index)."""
    by_col = np.argsort(cols, axis=1, kind="stable")
    cols = np.take_along_axis(cols, by_col, axis=1)
    sims = np.take_along_axis(sims, by_col, axis=1)
    repeated = (cols[:, 1:] == cols[:, :-1]) & (cols[:, 1:] >= 0)
    sims[:, 1:][repeated] = -np.inf
    best = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    cols = np.take_along_axis(cols, best, axis=1)
    sims = np.take_along_axis(sims, best, axis=1)
    cols[~np.isfinite(sims)] = _NO_NEIGHBOUR
    return cols, sims


def _finish(cols: np.ndarray, sims: np.ndarray, method: str) -> KnnGraph:
    sims = np.where(cols >= 0, sims, 0.0).astype(np.float32)
    return KnnGraph(neighbors=cols.astype(np.int32), similarities=sims, method=method)


def exact_knn(
    matrix: sp.csr_matrix, k: int, *, min_similarity: float = 0.0, block_rows: int = 2048, progress: bool = True
) -> KnnGraph:
    """The exact k nearest neighbours (cosine, rows L2-normalised) of every row, self excluded."""
    n = matrix.shape[0]
    cols, sims = _empty(n, k)
    transposed = matrix.T.tocsr()
    for start in tqdm(range(0, n, block_rows), desc="kNN (exact)", unit="block", disable=not progress or None):
        stop = min(n, start + block_rows)
        block_cols, block_sims = _block_topn(matrix[start:stop], transposed, k + 1, min_similarity, threads=True)
        block_sims[block_cols == np.arange(start, stop)[:, None]] = -np.inf
        cols[start:stop], sims[start:stop] = _best_k(block_cols, block_sims, k)
    return _finish(cols, sims, "exact")


def sort_keys(
    texts: Sequence[str],
    words: sp.csr_matrix | None = None,
    terms: np.ndarray | None = None,
    *,
    matrix: sp.csr_matrix | None = None,
    minhashes: int = 0,
    seed: int = 0,
) -> list[pa.Array]:
    """The orders `windowed_knn` compares neighbours in:
    - the name, so names with a common prefix meet;
    - the name without its first token, so "meta llama 3 8b" meets "llama 3 8b";
    - its tokens in alphabetical order, so word order does not matter;
    - given the word TF-IDF matrix, its rarest and second-rarest shared token, then the name: every name
      holding "xgen" sits in one run, sorted, however it begins;
    - given the feature matrix, `minhashes` MinHash keys of its n-grams (`minhash_keys`).
    """
    keys = text_keys(texts)
    names = keys[0]
    if words is not None and terms is not None and words.nnz:
        for rank_tokens in _rarest_tokens(words, terms, 2):
            keys.append(pc.binary_join_element_wise(rank_tokens, names, pa.scalar("\x00", pa.large_string())))
    if matrix is not None and minhashes:
        keys.extend(minhash_keys(matrix, minhashes, seed=seed))
    return keys


TEXT_KEYS = 3  # the first sort keys, which depend on a name's text alone: the name, its tail, its bag of tokens


def text_keys(texts: Sequence[str], which: Sequence[int] = range(TEXT_KEYS)) -> list[pa.Array]:
    """`sort_keys`' keys `which` of the first `TEXT_KEYS`, those that depend on each name's text alone."""
    names = pa.array(texts, type=pa.large_string())
    built = {
        0: lambda: names,
        1: lambda: pc.replace_substring_regex(names, pattern=r"^\S+\s*", replacement=""),
        2: lambda: pa.array([" ".join(sorted(text.split())) for text in texts], type=pa.large_string()),
    }
    return [built[key]() for key in which]


# A Mersenne prime above every column index: h(x) = (a·x + b) mod P is a universal hash family.
_MERSENNE_61 = np.uint64(2**61 - 1)
_NO_FEATURE = np.uint64(2**32 - 1)  # a featureless row's MinHash: they all sort last


def minhash_keys(matrix: sp.csr_matrix, count: int, *, seed: int = 0) -> list[pa.Array]:
    """`count` sort keys whose order puts names with many common n-grams (word and character terms:
    the matrix's columns) next to each other, however the names begin.

    Each key packs two MinHash values of a row's set of columns into one uint64: the minimum of a seeded
    hash over the columns. Two names share one MinHash value with probability equal to the Jaccard
    similarity of their n-gram sets; sorting by (first value, second value) forms runs of names that share
    the first, ordered within a run by the second, so the most similar names of a run sit side by side.
    Vectorised over the CSR arrays: O(nnz) per value, no Python loop over rows.
    """
    rng = np.random.default_rng(seed)
    columns = matrix.indices.astype(np.uint64)
    filled = np.diff(matrix.indptr) > 0
    starts = matrix.indptr[:-1][filled]
    values = []
    for _ in range(2 * count):
        a = np.uint64(rng.integers(1, 2**31))
        b = np.uint64(rng.integers(0, 2**31))
        # a·x + b stays below 2**63 for column indices below 2**32: no overflow before the modulo.
        hashed = ((columns * a + b) % _MERSENNE_61) & _NO_FEATURE
        value = np.full(matrix.shape[0], _NO_FEATURE, dtype=np.uint64)
        if len(starts):
            value[filled] = np.minimum.reduceat(hashed, starts)
        values.append(value)
    return [pa.array((values[2 * i] << np.uint64(32)) | values[2 * i + 1]) for i in range(count)]


def _rarest_tokens(words: sp.csr_matrix, terms: np.ndarray, how_many: int) -> list[pa.Array]:
    """Per row, its rarest unigram seen in at least two names, then the next rarest ("" when none); ties by
    column (`_rarest_columns`, as terms)."""
    vocabulary = pa.array(list(terms) + [""], type=pa.large_string())
    return [vocabulary.take(pa.array(chosen)) for chosen in _rarest_columns(words, terms, how_many)]


def _rarest_columns(words: sp.csr_matrix, terms: np.ndarray, how_many: int) -> list[np.ndarray]:
    """`_rarest_tokens` as columns of `words` (len(terms) when none). Each row's entries are ranked by (df,
    column) packed in one integer, the best `how_many` taken by a minimum over each row's run of entries
    (they are in row order): no sort of all entries, which (a three-key lexsort) was most of the sort keys'
    cost at 2M names."""
    unigram = np.array([" " not in term for term in terms], dtype=bool)
    df = np.bincount(words.indices, minlength=words.shape[1]).astype(np.int64)
    rows = np.repeat(np.arange(words.shape[0]), np.diff(words.indptr))
    cols = words.indices
    keep = unigram[cols] & (df[cols] >= 2)
    rows, cols = rows[keep], cols[keep].astype(np.int64)
    shift = max(1, int(words.shape[1]).bit_length())
    if len(rows) and (int(df.max()) + 1).bit_length() + shift > 62:  # no room to pack: sort instead
        return _rarest_by_sort(rows, cols, df, words.shape[0], len(terms), how_many)
    rank = (df[cols] << shift) | cols
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.empty(0, dtype=np.int64)
    counts = np.diff(np.r_[starts, len(rows)])
    out = []
    none = np.iinfo(np.int64).max
    for r in range(how_many):
        chosen = np.full(words.shape[0], len(terms), dtype=np.int64)
        if len(starts):
            best = np.minimum.reduceat(rank, starts)
            found = best != none
            chosen[rows[starts][found]] = best[found] & ((1 << shift) - 1)
            if r + 1 < how_many:
                # The entry taken leaves the race; a column held twice by a row (never, in a canonical
                # matrix) would be taken twice, as a sort gives it.
                taken = rank == np.repeat(best, counts)
                again = np.add.reduceat(taken.astype(np.int64), starts) > 1
                rank = np.where(taken & ~np.repeat(again, counts), none, rank)
                if again.any():
                    first_taken = np.flatnonzero(taken & np.repeat(again, counts))
                    lead = np.r_[True, rows[first_taken][1:] != rows[first_taken][:-1]]
                    rank[first_taken[lead]] = none
        out.append(chosen)
    return out


def _rarest_by_sort(
    rows: np.ndarray,
    cols: np.ndarray,
    df: np.ndarray,
    n: int,
    terms: int,
    how_many: int,
) -> list[np.ndarray]:
    order = np.lexsort((cols, df[cols], rows))
    rows, cols = rows[order], cols[order]
    first = np.r_[0, np.flatnonzero(np.diff(rows)) + 1]
    rank = np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first, len(rows)]))
    out = []
    for r in range(how_many):
        chosen = np.full(n, terms, dtype=np.int64)
        at = rank == r
        chosen[rows[at]] = cols[at]
        out.append(chosen)
    return out


def key_orders(
    texts: Sequence[str],
    words: sp.csr_matrix | None,
    terms: np.ndarray | None,
    known: Sequence[np.ndarray] | None = None,
) -> list[np.ndarray]:
    """The orders of `sort_keys(texts, words, terms)` (pc.sort_indices, stable), with the rarest-token keys
    sorted as (token's rank, name's rank) integer pairs instead of joined strings: the same order, since a
    byte "\\x00" joins them and no term holds one (else they are joined), and at 2M names each string sort
    cost about 1.7 s. `known`: the orders of the `TEXT_KEYS` text keys, when the caller has them."""
    if words is None or terms is None or not words.nnz or any("\x00" in term for term in terms):
        return [pc.sort_indices(key).to_numpy().astype(np.int64) for key in sort_keys(texts, words, terms)]
    vocabulary = pa.array(list(terms) + [""], type=pa.large_string())
    if known is None:
        keys = text_keys(texts)
        names, orders = keys[0], [pc.sort_indices(key).to_numpy().astype(np.int64) for key in keys]
    else:
        names, orders = text_keys(texts, [0])[0], [np.asarray(order, dtype=np.int64) for order in known]
    token_rank = _dense_ranks(vocabulary, pc.sort_indices(vocabulary).to_numpy().astype(np.int64))
    name_rank = _dense_ranks(names, orders[0])
    width = int(name_rank.max(initial=0)) + 1
    for chosen in _rarest_columns(words, terms, 2):
        orders.append(np.argsort(token_rank[chosen] * width + name_rank, kind="stable"))
    return orders


def _dense_ranks(values: pa.Array, order: np.ndarray) -> np.ndarray:
    """Each value's rank among the distinct `values` (`order`: their sort), equal values sharing one."""
    ranked = values.take(pa.array(order))
    steps = pc.not_equal(ranked[1:], ranked[:-1]).to_numpy(zero_copy_only=False).astype(np.int64)
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.r_[0, np.cumsum(steps)] if len(order) else steps
    return ranks


def _spans(n: int, step: int) -> list[tuple[int, int]]:
    return [(start, min(n, start + step)) for start in range(0, n, step)]


@dataclass(frozen=True)
class _WindowInputs:
    """What each piece of the windowed search reads (shared with forked workers, never written)."""

    matrix: sp.csr_matrix
    orders: list[np.ndarray]  # per sort key, the rows in its order
    k: int
    window: int
    min_similarity: float


def _window_piece(inputs: _WindowInputs, piece: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The k+1 best of the sorted positions [start, stop) under sort key `key`, each against its window:
    (stop − start, k+1) arrays of neighbour rows and similarities, self excluded."""
    key, start, stop = piece
    order, n, window = inputs.orders[key], inputs.matrix.shape[0], inputs.window
    block = max(1, window // 2)
    cols, sims = _empty(stop - start, inputs.k + 1)
    for first in range(start, stop, block):
        last = min(stop, first + block)
        lo, hi = max(0, first - (window - block) // 2), min(n, last + (window - block) // 2)
        # Gathering the window's rows (instead of slicing a permuted copy of the matrix) saves a copy of the
        # whole matrix per sort key; the rows, so the products, are the same.
        around = inputs.matrix[order[lo:hi]]
        block_cols, block_sims = _block_topn(
            around[first - lo : last - lo], around.T.tocsr(), inputs.k + 1, inputs.min_similarity
        )
        block_sims[block_cols + lo == np.arange(first, last)[:, None]] = -np.inf
        found = block_cols >= 0
        block_cols[found] = order[block_cols[found] + lo]
        cols[first - start : last - start], sims[first - start : last - start] = block_cols, block_sims
    return cols, sims


# Rows per piece of work sent to a worker: big enough that sending the piece and its result back costs
# little beside the search (about 1.4 MB of result per piece), small enough to share the work out evenly
# (a neighbour-of-neighbour pass over 81k names is five pieces).
_PIECE_ROWS = 16_384


def windowed_knn(
    matrix: sp.csr_matrix,
    k: int,
    keys: Iterable[pa.Array],
    *,
    window: int = 1024,
    min_similarity: float = 0.0,
    progress: bool = True,
    workers: int = 1,
) -> KnnGraph:
    """Approximate kNN: under each sort key, each block of window/2 rows against the window around it.
    The blocks are shared out among `workers` forked processes; the graph does not depend on their number."""
    orders = [pc.sort_indices(key).to_numpy().astype(np.int64) for key in keys]
    return _windowed_knn(matrix, k, orders, window, min_similarity, progress, workers)


def _windowed_knn(
    matrix: sp.csr_matrix,
    k: int,
    orders: list[np.ndarray],
    window: int,
    min_similarity: float,
    progress: bool,
    workers: int,
) -> KnnGraph:
    """`windowed_knn` over the keys' orders."""
    n = matrix.shape[0]
    block = max(1, window // 2)
    cols, sims = _empty(n, k)
    inputs = _WindowInputs(matrix, orders, k, window, min_similarity)
    step = max(block, _PIECE_ROWS // block * block)
    pieces = [(key, start, stop) for key in range(len(orders)) for start, stop in _spans(n, step)]
    bar = tqdm(
        total=len(pieces) and len(orders) * n,
        desc="kNN (windowed)",
        unit="name",
        unit_scale=True,
        disable=not progress or None,
    )
    results = forked_map(_window_piece, inputs, pieces, workers, what="the windowed kNN search")
    key_cols, key_sims = _empty(0, k + 1)
    for (key, start, stop), (piece_cols, piece_sims) in zip(pieces, results, strict=True):
        if start == 0:
            key_cols, key_sims = _empty(n, k + 1)
        key_cols[orders[key][start:stop]], key_sims[orders[key][start:stop]] = piece_cols, piece_sims
        bar.update(stop - start)
        if stop == n:  # every position of this key is in: merge it, in key order as with one process
            cols, sims = _best_k(np.hstack([cols, key_cols]), np.hstack([sims, key_sims]), k)
    bar.close()
    return _finish(cols, sims, "windowed")


def row_similarities(
    matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray, *, max_pairs: int = 262_144
) -> np.ndarray:
    """The cosine of each pair (rows[i], cols[i]) of L2-normalised rows, `max_pairs` pairs at a time
    (each step holds two matrices of max_pairs rows: about 130 MB at 60 non-zeros per row)."""
    out = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), max_pairs):
        stop = min(len(rows), start + max_pairs)
        product = matrix[rows[start:stop]].multiply(matrix[cols[start:stop]])
        out[start:stop] = np.asarray(product.sum(axis=1)).ravel()
    return out


@dataclass(frozen=True)
class _RefineInputs:
    """What each piece of a neighbour-of-neighbour pass reads (shared with forked workers, never written)."""

    matrix: sp.csr_matrix
    cols: np.ndarray  # the previous pass's graph
    sims: np.ndarray
    block_rows: int
    min_similarity: float


def _refine_piece(inputs: _RefineInputs, span: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The refined lists of rows [start, stop), `block_rows` rows at a time."""
    before, k = inputs.cols, inputs.cols.shape[1]
    start, stop = span
    new_cols, new_sims = before[start:stop].copy(), inputs.sims[start:stop].copy()
    for first in range(start, stop, inputs.block_rows):
        last = min(stop, first + inputs.block_rows)
        rows = np.arange(first, last)
        own = before[first:last]
        candidates = np.where(own[:, :, None] >= 0, before[np.maximum(own, 0)], _NO_NEIGHBOUR)
        candidates = candidates.reshape(len(rows), k * k)
        # Drop self, padding, repeats and the neighbours already known: only new pairs are scored.
        candidates = np.sort(candidates, axis=1)
        useless = (candidates < 0) | (candidates == rows[:, None])
        useless[:, 1:] |= candidates[:, 1:] == candidates[:, :-1]
        useless |= (candidates[:, :, None] == own[:, None, :]).any(axis=2)
        pair_row, pair_slot = np.nonzero(~useless)
        scores = np.full(candidates.shape, -np.inf, dtype=np.float32)
        if len(pair_row):
            found = row_similarities(inputs.matrix, rows[pair_row], candidates[pair_row, pair_slot])
            scores[pair_row, pair_slot] = np.where(found >= inputs.min_similarity, found, -np.inf)
        candidates[~np.isfinite(scores)] = _NO_NEIGHBOUR
        new_cols[first - start : last - start], new_sims[first - start : last - start] = _best_k(
            np.hstack([own, candidates]), np.hstack([inputs.sims[first:last], scores]), k
        )
    return new_cols, new_sims


def refine_knn(
    matrix: sp.csr_matrix,
    graph: KnnGraph,
    *,
    passes: int = 1,
    block_rows: int = 2048,
    min_similarity: float = 0.0,
    progress: bool = True,
    workers: int = 1,
) -> KnnGraph:
    """Neighbour-of-neighbour refinement: each row's candidates are its neighbours' neighbours (k² at
    most), scored exactly (`row_similarities`) and merged with its neighbours; the best k stay. If a is
    near b and b near c, a is likely near c, so a neighbour that no sort key put in a's window is found
    through one that was. Rows are taken `block_rows` at a time and each pass reads the previous pass's
    graph, so the result depends neither on the block size nor on the number of `workers` (forked
    processes sharing the rows out); memory is O(block_rows·k²) per worker, never n×n."""
    if block_rows < 1:
        raise ValueError(f"block_rows={block_rows}: needs at least 1")
    n = graph.neighbors.shape[0]
    cols, sims = graph.neighbors.astype(np.int32), np.where(graph.neighbors >= 0, graph.similarities, -np.inf)
    sims = sims.astype(np.float32)
    spans = _spans(n, max(block_rows, _PIECE_ROWS // block_rows * block_rows))
    bar = tqdm(total=passes * n, desc="kNN (refine)", unit="name", unit_scale=True, disable=not progress or None)
    for _ in range(passes):
        inputs = _RefineInputs(matrix, cols, sims, block_rows, min_similarity)
        new_cols, new_sims = np.empty_like(cols), np.empty_like(sims)
        results = forked_map(_refine_piece, inputs, spans, workers, what="the kNN's neighbour-of-neighbour pass")
        for (start, stop), (piece_cols, piece_sims) in zip(spans, results, strict=True):
            new_cols[start:stop], new_sims[start:stop] = piece_cols, piece_sims
            bar.update(stop - start)
        cols, sims = new_cols, new_sims
    bar.close()
    return _finish(cols, sims, graph.method)


@dataclass(frozen=True)
class _ExactInputs:
    """What each piece of the recall check's exact search reads (shared with forked workers)."""

    matrix: sp.csr_matrix
    transposed: sp.csr_matrix
    sample: np.ndarray
    k: int
    min_similarity: float
    threads: bool


def _exact_piece(inputs: _ExactInputs, span: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The exact k best of sample rows [start, stop), self excluded."""
    rows = inputs.sample[span[0] : span[1]]
    cols, sims = _block_topn(
        inputs.matrix[rows], inputs.transposed, inputs.k + 1, inputs.min_similarity, threads=inputs.threads
    )
    sims[cols == rows[:, None]] = -np.inf
    return _best_k(cols, sims, inputs.k)


def knn_recall(
    matrix: sp.csr_matrix,
    graph: KnnGraph,
    sample: np.ndarray,
    *,
    min_similarity: float = 0.0,
    workers: int = 1,
    threads: bool = True,
) -> float:
    """Share of the exact k nearest neighbours of the `sample` rows that `graph` found. Ties count as found:
    a neighbour as similar as the exact k-th one is as good as it. The exact search is shared out among
    `workers` forked processes (one worker: this process, on all its cores unless `threads` is False: a
    forked child of a process that ran OpenMP threads hangs in its own, as libgomp's pool does not survive
    a fork). The same figure either way."""
    k = graph.neighbors.shape[1]
    inputs = _ExactInputs(matrix, matrix.T.tocsr(), sample, k, min_similarity, threads=workers <= 1 and threads)
    spans = _spans(len(sample), max(1, -(-len(sample) // (4 * workers))))
    results = list(forked_map(_exact_piece, inputs, spans, workers, what="the kNN recall check"))
    exact_cols = np.vstack([cols for cols, _ in results]) if results else np.empty((0, k), dtype=np.int32)
    exact_sims = np.vstack([sims for _, sims in results]) if results else np.empty((0, k), dtype=np.float32)
    wanted = (exact_cols >= 0).sum(axis=1)
    kth = np.where(wanted > 0, exact_sims[np.arange(len(sample)), np.maximum(wanted - 1, 0)], np.inf)
    found_sims = np.where(graph.neighbors[sample] >= 0, graph.similarities[sample], -np.inf)
    found = np.minimum((found_sims >= kth[:, None] - 1e-5).sum(axis=1), wanted)
    return float(found.sum() / wanted.sum()) if wanted.sum() else 1.0


def knn_graph(
    matrix: sp.csr_matrix,
    texts: Sequence[str],
    k: int,
    *,
    words: sp.csr_matrix | None = None,
    terms: np.ndarray | None = None,
    exact_max: int,
    window: int,
    min_similarity: float = 0.0,
    progress: bool = True,
    minhashes: int = 0,
    graph_passes: int = 0,
    seed: int = 0,
    workers: int = 1,
) -> KnnGraph:
    """kNN of every row: exact up to `exact_max` distinct names, windowed above (with `minhashes` MinHash
    sort keys besides the text ones, seeded by `seed`, then `graph_passes` passes of `refine_knn`).

    Identical names (the same normalised text, so the same feature row) are searched once: the Hub holds
    hundreds of re-uploads of popular names ("llama 3.2 1b instruct gguf"). The first of each set of twins
    gets the kNN of the name; every other twin gets that first one as its single neighbour, at similarity 1,
    so twins form a star instead of a clique of k-sized lists of each other. Names without features are
    never twins. The windowed search and its passes run in `workers` forked processes (the same graph with
    any number).
    """
    n = matrix.shape[0]
    featureless = np.diff(matrix.indptr) == 0
    keys = pd.Series(texts, dtype=object).where(~featureless, pd.Series(np.arange(n)).astype(str) + "\x00")
    codes, _ = pd.factorize(keys)
    _, distinct = np.unique(codes, return_index=True)
    sub = matrix[distinct] if len(distinct) < n else matrix
    hashed, text_orders = None, None
    if len(distinct) <= exact_max:
        inner = exact_knn(sub, k, min_similarity=min_similarity, progress=progress)
    else:
        sub_texts = [texts[i] for i in distinct]
        sub_words = words[distinct] if words is not None else None
        hashes = minhash_keys(sub, minhashes, seed=seed) if minhashes else []
        if hashes:
            hashed = np.column_stack([key.to_numpy() for key in hashes])
        # The orders of sort_keys(sub_texts, sub_words, terms) + hashes, as the nightly search makes them.
        orders = key_orders(sub_texts, sub_words, terms)
        orders += [pc.sort_indices(key).to_numpy().astype(np.int64) for key in hashes]
        text_orders = orders[:TEXT_KEYS]
        inner = _windowed_knn(sub, k, orders, window, min_similarity, progress, workers)
        if graph_passes:
            inner = refine_knn(
                sub, inner, passes=graph_passes, min_similarity=min_similarity, progress=progress, workers=workers
            )
    if len(distinct) == n:
        return KnnGraph(inner.neighbors, inner.similarities, inner.method, distinct, inner, hashed, text_orders)
    neighbors = np.full((n, k), _NO_NEIGHBOUR, dtype=np.int32)
    similarities = np.zeros((n, k), dtype=np.float32)
    found = inner.neighbors >= 0
    neighbors[distinct] = np.where(found, distinct[np.maximum(inner.neighbors, 0)], _NO_NEIGHBOUR)
    similarities[distinct] = inner.similarities
    twins = np.ones(n, dtype=bool)
    twins[distinct] = False
    neighbors[twins, 0] = distinct[codes[twins]]
    similarities[twins, 0] = 1.0
    return KnnGraph(neighbors, similarities, inner.method, distinct, inner, hashed, text_orders)
