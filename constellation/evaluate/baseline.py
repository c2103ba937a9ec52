"""The Constellation method (Gao & Gao, 2023), re-implemented as the baseline Constellation is measured against.

    names ─► TF-IDF (word tokens of the model name) ─► all-pairs cosine similarity (dense, n²/2 values)
          ├► single linkage on the condensed cosine distances ─► cut into k clusters
          └► graph of the pairs above a similarity threshold ─► Louvain communities

This is the method of the paper that mapped 15,821 models, and it is quadratic on purpose: the condensed
distance matrix holds n(n-1)/2 float64 values, 1 GB at 15,821 models and 6.4 GB at 40,000, so
`BaselineConfig.max_models` refuses larger inputs instead of exhausting memory. That wall is the reason
Constellation's own atlas uses a sparse kNN graph instead.

With `dense=True` (the paper's way, used by bench/bench_baseline.py) the TF-IDF matrix is densified and
the similarities come from dense matrix products; with `dense=False` they come from sparse row blocks.
Both give the same similarities; the sparse way is only faster, and is what the quality evaluation uses.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import community as community_louvain
import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.feature_extraction.text import TfidfVectorizer
from tqdm import tqdm

from constellation.errors import BaselineTooLarge

log = logging.getLogger(__name__)

# Above this the condensed distances alone need more than 6.4 GB (n²/2 float64) and linkage copies them.
BASELINE_MAX_MODELS = 40_000
DEFAULT_THRESHOLDS: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class BaselineConfig:
    max_models: int = BASELINE_MAX_MODELS
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS  # similarity thresholds tried for the Louvain graph
    max_graph_edges: int = 5_000_000  # thresholds giving a denser graph are skipped: networkx would need > 5 GB
    dense: bool = False  # densify the TF-IDF matrix as the paper did (same result, slower, more memory)
    block_rows: int = 2048  # rows of the similarity matrix computed at a time
    seed: int = 42
    progress: bool = False


@dataclass
class PairwiseSimilarities:
    """Everything the baseline derives from the all-pairs similarities, computed in one pass."""

    condensed_distances: np.ndarray  # float64, n(n-1)/2: 1 - cosine similarity, as scipy expects
    pairs: np.ndarray  # (m, 2) int32: i < j with similarity >= the lowest threshold
    similarities: np.ndarray  # (m,) float32: their similarities


def name_tfidf(names: Sequence[str]) -> sp.csr_matrix:
    """TF-IDF of model names as the paper computed it: scikit-learn's default word tokens, L2-normalised rows."""
    try:
        return sp.csr_matrix(TfidfVectorizer().fit_transform([str(n) for n in names]), dtype=np.float64)
    except ValueError:  # no name has a token of two or more letters or digits
        return sp.csr_matrix((len(names), 0), dtype=np.float64)


def check_size(n: int, config: BaselineConfig) -> None:
    if n > config.max_models:
        raise BaselineTooLarge(
            f"the Constellation baseline needs n²/2 distances: {n:,} models would take "
            f"{n * (n - 1) / 2 * 8 / 1e9:.1f} GB for the condensed matrix alone, above the cap of "
            f"{config.max_models:,} models; evaluate a smaller snapshot or raise BaselineConfig.max_models"
        )


def pairwise_similarities(
    features: sp.csr_matrix, config: BaselineConfig, min_similarity: float
) -> PairwiseSimilarities:
    """All-pairs cosine similarities, block by block: condensed distances and the pairs above `min_similarity`."""
    n = features.shape[0]
    check_size(n, config)
    matrix = features.toarray() if config.dense else features
    condensed = np.empty(n * (n - 1) // 2, dtype=np.float64)
    pair_blocks: list[np.ndarray] = []
    sim_blocks: list[np.ndarray] = []
    starts = range(0, n, config.block_rows)
    for start in tqdm(starts, desc="baseline similarities", unit="block", disable=not config.progress, leave=False):
        stop = min(start + config.block_rows, n)
        block = matrix[start:stop] @ matrix.T
        block = np.asarray(block.toarray() if sp.issparse(block) else block, dtype=np.float64)
        for r in range(stop - start):
            i = start + r
            offset = i * n - i * (i + 1) // 2
            condensed[offset : offset + n - i - 1] = 1.0 - block[r, i + 1 :]
        rows, cols = np.nonzero(block >= min_similarity)
        rows = rows + start
        upper = cols > rows
        pair_blocks.append(np.column_stack([rows[upper], cols[upper]]).astype(np.int32))
        sim_blocks.append(block[rows[upper] - start, cols[upper]].astype(np.float32))
    # Rounding can leave 1 - cos slightly negative for identical names; linkage wants distances >= 0.
    np.clip(condensed, 0.0, 2.0, out=condensed)
    pairs = np.concatenate(pair_blocks) if pair_blocks else np.zeros((0, 2), dtype=np.int32)
    sims = np.concatenate(sim_blocks) if sim_blocks else np.zeros(0, dtype=np.float32)
    return PairwiseSimilarities(condensed, pairs, sims)


def single_linkage(condensed_distances: np.ndarray) -> np.ndarray:
    """The scipy linkage matrix of single-linkage clustering over condensed distances."""
    return linkage(condensed_distances, method="single")


def cut_into(tree: np.ndarray, n_clusters: int) -> np.ndarray:
    """Flat cluster ids (from 0) of the cut of `tree` with at most `n_clusters` clusters."""
    return fcluster(tree, t=n_clusters, criterion="maxclust").astype(np.int64) - 1


def threshold_louvain(n: int, pairs: np.ndarray, similarities: np.ndarray, threshold: float, seed: int) -> np.ndarray:
    """Louvain communities (python-louvain) of the graph joining the pairs with similarity >= `threshold`.

    Every model is a node, so a model with no pair above the threshold is a community of its own.
    """
    keep = similarities >= threshold
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from(
        zip(pairs[keep, 0].tolist(), pairs[keep, 1].tolist(), similarities[keep].astype(float).tolist(), strict=True)
    )
    partition = community_louvain.best_partition(graph, weight="weight", random_state=seed)
    return np.fromiter((partition[i] for i in range(n)), dtype=np.int64, count=n)


def cluster_counts(n: int, steps: int = 40) -> list[int]:
    """Numbers of clusters to try when cutting a tree of n leaves: a geometric grid from 2 to n."""
    if n < 2:
        return [1]
    grid = np.unique(np.geomspace(2, n, num=steps).round().astype(int))
    return [int(k) for k in grid]
