"""Every setting of the atlas stage, checked in one place. The stage (stage.py) and each of its steps read it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from constellation.atlas.algorithms import COMMUNITY_ALGORITHMS, CommunityAlgorithm
from constellation.atlas.hierarchy import LINKAGE_METHODS
from constellation.errors import AtlasError

# numpy's and igraph's generators take seeds in [0, 2**32 - 1].
MAX_SEED = 2**32 - 1
# Far above 1, every model is its own community already; Louvain's passes at `inf` never end.
MAX_RESOLUTION = 1000.0
# Similarity edges weigh at most 1: lineage a thousand times heavier is already "lineage only".
MAX_LINEAGE_WEIGHT = 1000.0
# Resolution "auto": a contracted family is one heavy node, and at standard modularity (1.0) heavy nodes
# pull whole brands into one community. With families kept whole, 1.75 (1.5 before 2026-12-05) gave the best
# lowest split of hidden children on the shared reference sets of the settings tried: brand-wide communities
# ("Mistral · 7B", SDXL) hold fewer foreign families (docs/quality.md); 1.0 without contracted families.
AUTO_RESOLUTION = 1.0
AUTO_RESOLUTION_WITH_FAMILIES = 1.75
# Each MinHash key or neighbour-of-neighbour pass costs about as much as one sort key's window pass; past
# these, recall no longer moves (0.95 → 0.98 from the first pass) and the time only grows.
MAX_MINHASH_KEYS = 16
MAX_GRAPH_PASSES = 4
# The kNN's worker processes each hold their own results and scratch arrays; far more than the cores only
# adds those up.
MAX_KNN_WORKERS = 64
# Settings that say how the build runs, not what it computes (the graph is the same with any number of kNN
# workers): they are recorded in build.json but left out of the build fingerprint.
RUN_ONLY_SETTINGS = ("knn_workers",)


@dataclass(frozen=True)
class AtlasConfig:
    """Every setting of the atlas stage. Changing any of them changes the build fingerprint."""

    seed: int = 42
    # Name features (constellation/atlas/features.py)
    include_owner: bool = False  # owners pull unrelated models together; copies by many owners should match
    word_ngram_range: tuple[int, int] = (1, 2)
    char_ngram_range: tuple[int, int] = (3, 5)
    min_df: int = 2  # a term in fewer names cannot link two names
    word_weight: float = 0.5  # share of word n-grams in the cosine; the rest is character n-grams
    # Similarity graph (constellation/atlas/knn.py)
    k: int = 10
    min_similarity: float = 0.2  # weaker neighbours are chance overlaps of n-grams, not relatives
    exact_knn_max: int = 50_000  # exact all-pairs kNN up to this many models, windowed above
    # windowed kNN: rows each name is compared with, per sort key. 256 rather than 512: recall@10 0.972 vs 0.982
    # at 300k Hub-like models for 20 % less kNN CPU, which the 3M build's 15-minute budget needs (benchmarks.md).
    knn_window: int = 256
    # Windowed kNN's MinHash sort keys (names sharing many n-grams sort together) and neighbour-of-neighbour
    # passes after it: recall@10 0.83 → 0.95 → 0.98 at 81k distinct Hub-like names (docs/benchmarks.md).
    knn_minhash_keys: int = 4
    knn_graph_passes: int = 1
    knn_recall_sample: int = 2000  # names whose windowed neighbours are checked against exact search; 0 = off
    # Forked processes the windowed search, its passes and the recall check share their rows out among
    # (knn.py, workers.py), and the community trees theirs (hierarchy.py, from 100k models); 0 = one per
    # core. The graph and the trees are identical with any number.
    knn_workers: int = 0
    # Communities (constellation/atlas/communities.py)
    community_algorithm: CommunityAlgorithm = "auto"  # igraph's Louvain at every size; "louvain" is the paper's
    resolution: float | Literal["auto"] = "auto"  # see AUTO_RESOLUTION_WITH_FAMILIES
    # Lineage edges joining the graph communities are found in: declared parent→child edges at this weight
    # (on the cosine scale of the similarity edges), inferred ones at this weight × their confidence.
    # 0 = names only, the Constellation paper's method. (It replaces the old `add_lineage_edges` switch.)
    lineage_weight: float = 8.0  # chosen on hidden children of the shared reference sets (docs/quality.md)
    # With lineage edges on, the models one family's declared lineage joins are one node of the graph, so
    # Louvain never splits a declared family (communities.py). Without lineage edges (names only) it is off.
    keep_declared_families: bool = True
    # Nightly builds that reuse the names run Louvain over the last build's communities (contracted, new models
    # free) and place tree leaves from its prototypes (seeds.py); off = communities and leaves from scratch.
    seed_communities: bool = True
    # Base-model signatures of names (constellation/atlas/signatures.py): each model joined to the
    # `signature_representatives` most popular models of its brand · version · size at `signature_weight`
    # (0 = off), and similarity edges between one brand's different sizes or versions scaled by
    # `signature_conflict_factor` (1 = off). Brands start names under at least `brand_min_owners` owners.
    signature_weight: float = 1.0
    signature_representatives: int = 3
    signature_conflict_factor: float = 0.1
    brand_min_owners: int = 5
    label_terms: int = 4
    # Hierarchy (constellation/atlas/hierarchy.py)
    exact_linkage_max: int = 5_000  # whole-atlas tree over models up to this many, over communities above
    tree_leaf_cap: int = 1_000  # a tree over more items is built over this many prototypes
    linkage_method: str = "average"
    cut_levels: tuple[float, ...] = (0.3, 0.5, 0.7)  # cosine distances at which trees are cut into clusters
    default_cut: float = 0.5  # the cut that gives the models' `cluster` column
    # Layout (constellation/atlas/layout.py)
    layout_gap: float = 0.6  # empty cells after each community, as a share of √size

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def community_resolution(self, families_kept: bool) -> float:
        """The Louvain resolution that runs: the configured one, or for "auto" 1.75 when declared families of
        two or more models were contracted (`keep_declared_families`) and 1.0 otherwise."""
        if self.resolution == "auto":
            return AUTO_RESOLUTION_WITH_FAMILIES if families_kept else AUTO_RESOLUTION
        return float(self.resolution)

    def validate(self) -> None:
        """Raise AtlasError naming the first setting out of range."""
        problems = []
        if self.k < 1:
            problems.append(f"k={self.k}: needs at least 1 neighbour")
        for name in ("word_ngram_range", "char_ngram_range"):
            lo, hi = getattr(self, name)
            if not 1 <= lo <= hi:
                problems.append(f"{name}={(lo, hi)}: needs 1 ≤ low ≤ high, e.g. (1, 2)")
        if self.min_df < 1:
            problems.append(f"min_df={self.min_df}: needs at least 1")
        if not 0.0 <= self.word_weight <= 1.0:
            problems.append(f"word_weight={self.word_weight}: needs a share in [0, 1]")
        if not 0.0 <= self.min_similarity < 1.0:
            problems.append(f"min_similarity={self.min_similarity}: needs a cosine in [0, 1)")
        if self.knn_window < 2:
            problems.append(f"knn_window={self.knn_window}: needs at least 2")
        for name, most in (("knn_minhash_keys", MAX_MINHASH_KEYS), ("knn_graph_passes", MAX_GRAPH_PASSES)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
                problems.append(f"{name}={value!r}: needs an integer in [0, {most}] (0 = off)")
        recall_sample = self.knn_recall_sample
        if isinstance(recall_sample, bool) or not isinstance(recall_sample, int) or recall_sample < 0:
            problems.append(f"knn_recall_sample={recall_sample!r}: needs 0 (off) or a number of names, e.g. 2000")
        workers = self.knn_workers
        if isinstance(workers, bool) or not isinstance(workers, int) or not 0 <= workers <= MAX_KNN_WORKERS:
            problems.append(
                f"knn_workers={workers!r}: needs 0 (one per core) or a number of processes up to {MAX_KNN_WORKERS}"
            )
        if self.community_algorithm not in COMMUNITY_ALGORITHMS:
            choices = ", ".join(COMMUNITY_ALGORITHMS)
            problems.append(f"community_algorithm={self.community_algorithm!r}: choose one of {choices}")
        number = isinstance(self.resolution, (int, float)) and not isinstance(self.resolution, bool)
        if self.resolution != "auto" and not (number and 0 < self.resolution <= MAX_RESOLUTION):  # refuses nan
            problems.append(
                f'resolution={self.resolution!r}: needs "auto" or a number above 0 and at most {MAX_RESOLUTION} '
                "(1.0 is standard modularity)"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            problems.append(f"seed={self.seed!r}: needs an integer in [0, {MAX_SEED}] (numpy's seed range)")
        if not 0 <= self.lineage_weight <= MAX_LINEAGE_WEIGHT:  # also refuses nan
            problems.append(
                f"lineage_weight={self.lineage_weight}: needs 0 (names only) or a weight up to {MAX_LINEAGE_WEIGHT}"
            )
        if not isinstance(self.seed_communities, bool):
            problems.append(f"seed_communities={self.seed_communities!r}: needs True or False")
        if not isinstance(self.keep_declared_families, bool):
            problems.append(f"keep_declared_families={self.keep_declared_families!r}: needs True or False")
        if not self.signature_weight >= 0:
            problems.append(f"signature_weight={self.signature_weight}: needs 0 (off) or a positive weight")
        if self.signature_representatives < 1:
            problems.append(f"signature_representatives={self.signature_representatives}: needs at least 1")
        if not 0.0 <= self.signature_conflict_factor <= 1.0:
            problems.append(f"signature_conflict_factor={self.signature_conflict_factor}: needs a factor in [0, 1]")
        if self.brand_min_owners < 1:
            problems.append(f"brand_min_owners={self.brand_min_owners}: needs at least 1")
        if self.linkage_method not in LINKAGE_METHODS:
            problems.append(f"linkage_method={self.linkage_method!r}: choose one of {', '.join(LINKAGE_METHODS)}")
        if self.tree_leaf_cap < 2:
            problems.append(f"tree_leaf_cap={self.tree_leaf_cap}: needs at least 2")
        if self.default_cut not in self.cut_levels:
            problems.append(f"default_cut={self.default_cut}: must be one of cut_levels {self.cut_levels}")
        if problems:
            raise AtlasError("invalid atlas config: " + "; ".join(problems))
