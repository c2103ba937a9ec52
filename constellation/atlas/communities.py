"""Louvain communities of the name-similarity graph, and their labels.

Algorithms (`COMMUNITY_ALGORITHMS`), each maximising modularity at a `resolution`:

- "louvain": python-louvain's `best_partition`, the faithful reproduction of the Constellation paper. Pure
  Python: about 4 s at 15k nodes and a minute at 100k (../shared/docs/scale-notes.md). Runs only when asked
  for (`constellation build --community-algorithm louvain`); constellation/evaluate/baseline.py keeps it for
  the paper's baseline.
- "multilevel": igraph's C implementation of the same Louvain method: 0.2 s at 15k, 3.5 s at 100k.
- "leiden": igraph's Leiden (modularity objective, run to convergence): equal or better modularity, and
  the fastest at millions of nodes.
- "auto" (the default): "multilevel" at every size. Same method as python-louvain, 10–20× faster; on the
  reference lists its communities score as well against declared lineage (docs/benchmarks.md).

The same graph, resolution and seed give the same communities: python-louvain takes the seed as its
`random_state`; igraph draws from a `random.Random(seed)` installed for the call.

Names with no similar name (no edge) are not communities of one: they share one catch-all community,
labelled `UNMATCHED_LABEL`, numbered last. The others are numbered by size, largest first.

Declared families are kept whole (`groups`, from `declared_families`): the models one family's declared
lineage joins are contracted to one node before Louvain, their edges summed (an edge inside the family
becomes a self-loop, so every node keeps its weighted degree and modularity is the original graph's), and
the family's community is the community of that node. Louvain cannot then split a family because its
fine-tunes are named after their purpose; models without declared lineage (such as children whose
declaration is missing) still join by their name, signature and inferred edges.
"""

from __future__ import annotations

import logging
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from constellation.arrow_strings import rows_of, string_values
from constellation.atlas.algorithms import COMMUNITY_ALGORITHMS
from constellation.atlas.signatures import NO_SIGNATURE, Signatures, signature_label
from constellation.errors import CommunityError
from constellation.names import split_id, tokenize_id

if TYPE_CHECKING:
    import igraph as ig

log = logging.getLogger(__name__)

UNMATCHED_LABEL = "(no similar names)"
LABEL_SEPARATOR = " · "


@dataclass(frozen=True)
class Partition:
    membership: np.ndarray  # (n,) int64 community of each node; 0 is the largest
    algorithm: str  # the algorithm that ran ("louvain", "multilevel" or "leiden"), never "auto"
    modularity: float  # of the partition on the graph it was found in
    unmatched: int | None  # the catch-all community of nodes without edges, or None when every node has one


def resolve_algorithm(algorithm: str) -> str:
    """The algorithm that runs for a configured one: "auto" is igraph's "multilevel" at every size."""
    if algorithm not in COMMUNITY_ALGORITHMS:
        choices = ", ".join(COMMUNITY_ALGORITHMS)
        raise CommunityError(f"unknown community algorithm {algorithm!r}; choose one of {choices}")
    return "multilevel" if algorithm == "auto" else algorithm


def detect_communities(
    n: int,
    sources: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray,
    *,
    algorithm: str = "auto",
    resolution: float = 1.0,
    seed: int = 42,
    groups: np.ndarray | None = None,
) -> Partition:
    """Communities of the undirected weighted graph on nodes 0..n-1 with the given edges. With `groups`
    (one group id per node, e.g. `declared_families`), the nodes of a group always share a community."""
    if not resolution > 0:
        raise CommunityError(f"resolution must be positive, got {resolution}; 1.0 is standard modularity")
    ran = resolve_algorithm(algorithm)
    sources, targets = np.asarray(sources, dtype=np.int64), np.asarray(targets, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    connected = np.zeros(n, dtype=bool)
    connected[sources] = True
    connected[targets] = True
    node = _group_nodes(groups, n) if groups is not None else None
    if node is not None and len(node) and node.max() + 1 == n:
        node = None  # every group of one (a snapshot without declared lineage): the graph as it is
    if node is not None:
        connected = (np.bincount(node, weights=connected) > 0)[node]  # a group with an edge has it for all
        n, sources, targets, weights = contract_graph(node, sources, targets, weights)
    graph = igraph_graph(n, sources, targets)
    if ran == "louvain":
        raw = _python_louvain(n, sources, targets, weights, resolution, seed)
    else:
        raw = _igraph(graph, weights, ran, resolution, seed)
    modularity = float(graph.modularity(raw.tolist(), weights=weights, resolution=resolution)) if len(sources) else 0.0
    membership, unmatched = _renumber(raw if node is None else raw[node], connected)
    log.info("%s: %d communities (modularity %.3f)", ran, membership.max(initial=-1) + 1, modularity)
    return Partition(membership=membership, algorithm=ran, modularity=modularity, unmatched=unmatched)


def _group_nodes(groups: np.ndarray, n: int) -> np.ndarray:
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise CommunityError(f"groups must give one group per node ({n}), got shape {groups.shape}")
    return np.unique(groups, return_inverse=True)[1].ravel().astype(np.int64)


def contract_graph(
    node: np.ndarray, sources: np.ndarray, targets: np.ndarray, weights: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """The graph whose nodes are the groups `node` maps each original node to (0..m-1): edges between two
    groups summed into one, and edges inside a group kept as its self-loop, as Louvain's own aggregation
    does, so that each group's weighted degree, and any partition's modularity, are the original graph's."""
    m = int(node.max()) + 1 if len(node) else 0
    a, b = node[sources], node[targets]
    key = np.minimum(a, b) * m + np.maximum(a, b)
    keys, inverse = sorted_codes(key, few=m < len(node) // 4)
    summed = np.bincount(inverse, weights=weights, minlength=len(keys))
    return m, keys // m, keys % m, summed


def sorted_codes(values: np.ndarray, *, few: bool) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(values, return_inverse=True)`, flat. With `few` (the values are expected to repeat a lot:
    the edges of a graph whose nodes were contracted into a few groups, as seeded communities are), pandas'
    hash table finds them instead of a sort of every value: 0.05 against 0.7 s for 3M edges into 6k groups. A
    sort stays the better way when most values are distinct, and come nearly sorted (0.05 against 0.6 s)."""
    if few:
        inverse, keys = pd.factorize(values, sort=True)
        return np.asarray(keys, dtype=values.dtype), inverse.astype(np.int64, copy=False)
    keys, inverse = np.unique(values, return_inverse=True)
    return keys, inverse.ravel()


def declared_families(
    ids: pd.Series, lineage_edges: pd.DataFrame | None, ends: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Per model of `ids`, the id of its declared family: the connected component of the declared lineage
    edges between models of `ids`, merges left out. A model with no declared edge is a family of its own.

    Merge edges are left out because a merge declares a parent in each family it merges: one merge would
    fuse them all (on hf-top-downloads-2024-09, 19 components held 2 to 12 root families, 405 models; none
    without merges). A merge still joins the community of its parents by its weighted lineage edges.
    Inferred edges do not count: they are guesses, and a wrong one would fuse two families for good.
    `ends`: the edges' rows in `ids` (lineage_ends), when already looked up."""
    n = len(ids)
    empty = np.empty(0, dtype=np.int64)
    parents, children = empty, empty
    if lineage_edges is not None and not lineage_edges.empty:
        if "relation" in lineage_edges.columns:
            merge = lineage_edges["relation"].astype("string").eq("merge").fillna(False).to_numpy(dtype=bool)
            lineage_edges = lineage_edges[~merge]
            ends = None if ends is None else (ends[0][~merge], ends[1][~merge])
        parents, children, _ = lineage_links(ids, lineage_edges, 1.0, ends=ends)
    adjacency = sp.coo_matrix((np.ones(len(parents)), (parents, children)), shape=(n, n))
    return connected_components(adjacency, directed=False)[1].astype(np.int64)


def _python_louvain(n, sources, targets, weights, resolution, seed) -> np.ndarray:
    import community as community_louvain  # python-louvain
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from(zip(sources.tolist(), targets.tolist(), weights.tolist()))
    found = community_louvain.best_partition(graph, weight="weight", resolution=resolution, random_state=seed)
    return np.fromiter((found[i] for i in range(n)), dtype=np.int64, count=n)


def igraph_graph(n: int, sources: np.ndarray, targets: np.ndarray) -> ig.Graph:
    """An undirected igraph graph from edge arrays (add_edges from one array: fastest measured way)."""
    ig = _import_igraph()
    graph = ig.Graph(n=n, directed=False)
    graph.add_edges(np.column_stack([sources, targets]))
    return graph


def _import_igraph() -> ModuleType:
    """igraph, imported here so that `constellation build --help` starts without it, and without letting it
    import matplotlib.pyplot: igraph's drawing module does so on import whenever matplotlib is installed (the
    `app` extra brings it), over a second of a 15k build's start-up for plots we never draw."""
    if "igraph" in sys.modules or "matplotlib" in sys.modules:
        import igraph

        return igraph
    sys.modules["matplotlib"] = None  # type: ignore[assignment]  # None in sys.modules: "not installed"
    try:
        import igraph
    finally:
        del sys.modules["matplotlib"]
    return igraph


def _igraph(graph: ig.Graph, weights, algorithm, resolution, seed) -> np.ndarray:
    ig = _import_igraph()
    ig.set_random_number_generator(random.Random(seed))
    try:
        if algorithm == "multilevel":
            clustering = graph.community_multilevel(weights=weights, resolution=resolution)
        else:
            clustering = graph.community_leiden(
                objective_function="modularity", weights=weights, resolution=resolution, n_iterations=-1
            )
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(clustering.membership, dtype=np.int64)


def _renumber(raw: np.ndarray, connected: np.ndarray) -> tuple[np.ndarray, int | None]:
    """Communities by size, largest first (ties: the one whose first node comes first); nodes without
    edges all go to one catch-all community, numbered last."""
    n = len(raw)
    if n == 0:
        return raw.astype(np.int64), None
    raw = np.where(connected, raw, -1)
    labels, first, inverse, counts = np.unique(raw, return_index=True, return_inverse=True, return_counts=True)
    real = labels >= 0
    order = np.lexsort((first[real], -counts[real]))
    new_id = np.full(len(labels), -1, dtype=np.int64)
    new_id[np.flatnonzero(real)[order]] = np.arange(real.sum())
    unmatched = None
    if not real.all():
        unmatched = int(real.sum())
        new_id[~real] = unmatched
    return new_id[inverse.ravel()], unmatched


def lineage_ends(ids: pd.Series, lineage_edges: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The row in `ids` of each lineage edge's source and target (−1 where absent). One Arrow hash join for
    both ends: at 3M ids a pandas index of them took 5 s to build and search."""
    ends = rows_of(
        pa.concat_arrays([string_values(lineage_edges["source"]), string_values(lineage_edges["target"])]), ids
    )
    return ends[: len(lineage_edges)], ends[len(lineage_edges) :]


def lineage_links(
    ids: pd.Series,
    lineage_edges: pd.DataFrame | None,
    weight: float,
    *,
    inferred: bool = False,
    ends: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions (parent, child) and graph weight of the lineage edges whose two ends are both in `ids`:
    declared edges at `weight`; with `inferred`, inferred edges too, at `weight` × their confidence (an
    inferred parent 0.9 sure pulls nine tenths as hard as a declared one). `ends`: the edges' rows in `ids`
    (lineage_ends), when already looked up."""
    empty = np.empty(0, dtype=np.int64)
    if lineage_edges is None or lineage_edges.empty or weight <= 0:
        return empty, empty, np.empty(0, dtype=np.float64)
    kinds = ("declared", "inferred") if inferred else ("declared",)
    wanted = lineage_edges["kind"].isin(kinds).to_numpy(dtype=bool)
    chosen = lineage_edges[wanted]
    if ends is None:
        parents, children = lineage_ends(ids, chosen)
    else:
        parents, children = ends[0][wanted], ends[1][wanted]
    confidence = (
        pd.to_numeric(chosen["confidence"], errors="coerce").to_numpy(dtype=np.float64)
        if "confidence" in chosen.columns
        else np.full(len(chosen), np.nan)
    )
    strength = np.where((chosen["kind"] == "inferred").to_numpy(), np.nan_to_num(confidence, nan=0.0), 1.0)
    keep = (parents >= 0) & (children >= 0) & (parents != children) & (strength > 0)
    return parents[keep].astype(np.int64), children[keep].astype(np.int64), weight * strength[keep]


def community_terms(words: sp.csr_matrix, terms: np.ndarray, membership: np.ndarray, how_many: int) -> list[list[str]]:
    """The most distinctive word tokens of each community: the share of its names holding the token, times
    the token's inverse document frequency over the whole atlas. Tokens held by a single name of a
    community of several are not distinctive of it."""
    n_communities = int(membership.max(initial=-1)) + 1
    unigram = np.flatnonzero([" " not in term for term in terms])
    if n_communities == 0:
        return []
    if len(unigram) == 0:
        return [[] for _ in range(n_communities)]
    present = words[:, unigram].tocsr()
    present.data[:] = 1.0
    n = present.shape[0]
    df = np.bincount(present.indices, minlength=present.shape[1])
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    indicator = sp.csr_matrix((np.ones(n, dtype=np.float32), (membership, np.arange(n))), shape=(n_communities, n))
    counts = (indicator @ present).tocsr()
    sizes = np.bincount(membership, minlength=n_communities)
    out: list[list[str]] = []
    for c in range(n_communities):
        row = slice(counts.indptr[c], counts.indptr[c + 1])
        cols, held = counts.indices[row], counts.data[row]
        if sizes[c] > 1:
            keep = held >= 2
            cols, held = cols[keep], held[keep]
        score = held / sizes[c] * idf[cols]
        best = np.lexsort((cols, -score))[:how_many]
        out.append([str(terms[unigram[j]]) for j in cols[best]])
    return out


def community_labels(
    ids: Sequence[str],
    membership: np.ndarray,
    terms_by_community: list[list[str]],
    representative: np.ndarray,
    unmatched: int | None,
    family_labels: Sequence[str | None] | None = None,
) -> list[str]:
    """Labels that read like a family: `family_labels[c]` when the community has one ("Qwen2.5 · 7B", from
    the base-model signature of its members, see `family_labels`); otherwise, such as "llama · 3.1 · 8b ·
    instruct", the distinctive tokens in the order the community's representative name (e.g. its most
    downloaded) spells them; tokens it lacks follow by score."""
    labels = []
    for c, chosen in enumerate(terms_by_community):
        if c == unmatched:
            labels.append(UNMATCHED_LABEL)
            continue
        if family_labels is not None and family_labels[c]:
            labels.append(str(family_labels[c]))
            continue
        model_id = ids[int(representative[c])]
        if not chosen:
            labels.append(model_id)
            continue
        spelled = tokenize_id(model_id)
        position = {token: i for i, token in reversed(list(enumerate(spelled)))}
        ordered = sorted(chosen, key=lambda t: (position.get(t, len(spelled)), chosen.index(t)))
        labels.append(LABEL_SEPARATOR.join(ordered))
    return labels


def family_labels(
    ids: Sequence[str],
    membership: np.ndarray,
    signatures: Signatures,
    popularity: np.ndarray,
    *,
    min_share: float = 0.3,
    spellings: int = 5,
) -> list[str | None]:
    """Per community, the label of the base-model signature most of its members carry ("Llama 3.1 · 8B"),
    when at least `min_share` of them carry it; else None. Ties go to the more popular signature. The
    brand and version are spelled as the signature's `spellings` most popular members of the community
    spell them."""
    n_communities = int(membership.max(initial=-1)) + 1
    out: list[str | None] = [None] * n_communities
    has = np.flatnonzero(signatures.codes != NO_SIGNATURE)
    if len(has) == 0 or n_communities == 0:
        return out
    frame = pd.DataFrame(
        {"community": membership[has], "code": signatures.codes[has], "popularity": popularity[has], "row": has}
    )
    counts = frame.groupby(["community", "code"], sort=False).agg(n=("row", "size"), pop=("popularity", "sum"))
    counts = counts.reset_index().sort_values(["community", "n", "pop", "code"], ascending=[True, False, False, True])
    best = counts.drop_duplicates("community")
    sizes = np.bincount(membership, minlength=n_communities)
    best = best[best["n"].to_numpy() >= min_share * sizes[best["community"].to_numpy()]]
    chosen = frame.merge(best[["community", "code"]], on=["community", "code"])
    chosen = chosen.sort_values(["community", "popularity", "row"], ascending=[True, False, True])
    for (community, code), rows in chosen.groupby(["community", "code"], sort=False)["row"]:
        names = [split_id(ids[int(r)])[1] for r in rows.to_numpy()[:spellings]]
        out[int(community)] = signature_label(signatures.keys[int(code)], names)
    return out


def representatives(membership: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """Per community, the position of its most popular member (ties: the first)."""
    n_communities = int(membership.max(initial=-1)) + 1
    order = np.lexsort((np.arange(len(membership)), -popularity, membership))
    first = np.r_[0, np.flatnonzero(np.diff(membership[order])) + 1] if len(order) else np.empty(0, dtype=np.int64)
    out = np.zeros(n_communities, dtype=np.int64)
    out[membership[order[first]]] = order[first]
    return out
