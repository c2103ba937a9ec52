"""Community seeds: yesterday's communities and tree leaves, so a nightly build redoes only what changed.

    yesterday's hierarchy/members.parquet + today's ids ─► align_seeds
        ─► seeded_groups ─► communities.detect_communities(groups=...)  (Louvain over yesterday's communities)
        ─► previous_heads ─► hierarchy.build_hierarchy(heads=...)        (each member's prototype yesterday)

Communities: each of yesterday's communities is contracted to one node (with the declared families of its
members, which Louvain keeps whole anyway), and today's new models stay nodes of their own; Louvain then runs
over that graph as it runs over its own aggregated levels. The result is a sound partition of today's
graph: every move raised its modularity, which is measured on today's whole graph. New models join the
community they fit best, and yesterday's communities may merge but never split, so labels stay put night
after night: on synthetic 2 % nights 96 % of the kept models stay with yesterday's community (a from-scratch
Louvain keeps 82 %) and 86-88 % keep yesterday's label (53-55 %). Numbers go by size (contract: 0 is the
largest), so they move more (18-37 % kept). Leiden from yesterday's partition (igraph's `initial_membership`)
was tried too: slower (0.6 s against 0.1 s at 100k) and its refinement reshuffled the communities.
Tolerance: the partition is not the one a full build finds, and its modularity is a little lower (0.820
against 0.826 there, docs/benchmarks.md); it starts again from singletons whenever the names are refitted
(reuse.refusal: `--full`, a night past `max_change`, or drift past reuse.MAX_DRIFT), so errors do not
accumulate for long.

Trees: a capped community tree (over 1,000 members: at 1M-3M models nearly every one) compared each member with
each of its 1,000 prototypes, most of the hierarchy's time. Rows of kept models are yesterday's rows (reuse.py),
so a member whose prototype of yesterday (its head, `previous_heads`) is still a prototype of its community
need only be compared with its head and the prototypes new today: every other one was farther yesterday.
The prototypes (today's most popular members) and their linkage are computed as in a full build, so the
trees equal a whole search's over the same communities, but for ties between equally similar prototypes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from constellation.arrow_strings import rows_of

# A night where more than this share of the models is new (or unplaced yesterday) starts from singletons.
MAX_UNSEEDED = 0.05


@dataclass(frozen=True)
class CommunitySeeds:
    """Yesterday's communities and tree leaves, aligned with today's models (row i = today's model i)."""

    community: np.ndarray  # (n,) int64 yesterday's community of each model, −1 when it is new
    leaf: np.ndarray  # (n,) int64 its leaf in that community's tree, −1 when new
    prototype: np.ndarray  # (n,) bool: it was a prototype (a leaf of its own) of that tree
    unmatched: int | None  # yesterday's catch-all community of models without a similar name
    communities: int  # how many communities yesterday had

    @property
    def unseeded(self) -> float:
        """Share of today's models without a place in yesterday's communities."""
        return float((self.community < 0).mean()) if len(self.community) else 1.0


def align_seeds(ids: pd.Series, members: pd.DataFrame, unmatched: int | None) -> CommunitySeeds:
    """Yesterday's hierarchy `members` table (id, community, leaf, prototype) lined up with today's `ids`."""
    at = rows_of(ids, members["id"])  # an Arrow hash join: a pandas index of 3M ids took seconds
    known = at >= 0
    pick = np.maximum(at, 0)

    def take(column: str, fill: int | bool, dtype: type) -> np.ndarray:
        values = members[column].to_numpy(dtype=dtype)
        return np.where(known, values[pick], fill) if len(values) else np.full(len(at), fill, dtype=dtype)

    return CommunitySeeds(
        community=take("community", -1, np.int64),
        leaf=take("leaf", -1, np.int64),
        prototype=take("prototype", False, bool),
        unmatched=unmatched,
        communities=int(members["community"].max()) + 1 if len(members) else 0,
    )


def seeded_groups(seeds: CommunitySeeds, groups: np.ndarray | None) -> np.ndarray:
    """Groups for communities.detect_communities that hold yesterday's communities together: the models of
    one community of yesterday are one group, joined with the declared family (`groups`, or none) of each
    of them; a new model, or one of yesterday's catch-all community (those share no edge, only a label),
    is a group of its own or of its family. Louvain over these groups places the new models and may merge
    yesterday's communities, never split them."""
    n = len(seeds.community)
    anchor = np.where(seeds.community == (seeds.unmatched if seeds.unmatched is not None else -1), -1, seeds.community)
    anchored = np.flatnonzero(anchor >= 0)
    family = np.arange(n) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1].ravel()
    families = int(family.max(initial=-1)) + 1
    # A bipartite graph of models, families and yesterday's communities: its components are the groups.
    rows = np.r_[np.arange(n), anchored]
    cols = np.r_[n + family, n + families + anchor[anchored]]
    size = n + families + seeds.communities
    links = sp.coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))
    return connected_components(links, directed=False)[1][:n].astype(np.int64)


def previous_heads(seeds: CommunitySeeds, membership: np.ndarray) -> np.ndarray:
    """Per model, the position of the prototype whose leaf it was in yesterday (itself for a prototype); −1
    for a new model, a model whose prototype is gone, and a model that came from another community of
    yesterday's than most of today's community did (a merge): its head was nearest among other prototypes
    than the rest's, so it is compared with all of today's (hierarchy.capped_tree's `heads`)."""
    community = np.where(_main_source(seeds.community, membership)[membership] == seeds.community, seeds.community, -1)
    leaf = seeds.leaf
    width = int(leaf.max(initial=0)) + 1
    key = np.where(community >= 0, community * width + leaf, -1)
    heads = np.flatnonzero(seeds.prototype & (community >= 0))
    head_keys = key[heads]
    sort = np.argsort(head_keys, kind="stable")
    head_keys, heads = head_keys[sort], heads[sort]
    at = np.searchsorted(head_keys, key)
    found = (key >= 0) & (at < len(head_keys))
    found[found] = head_keys[at[found]] == key[found]
    return np.where(found, heads[np.minimum(at, max(len(heads) - 1, 0))], -1).astype(np.int64)


def _main_source(community: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Per community of today's `membership`, the community of yesterday's most of its kept models were
    in (ties: the lower one); −1 when none was kept."""
    today = int(membership.max(initial=-1)) + 1
    seeded = community >= 0
    width = int(community.max(initial=0)) + 1
    pairs, counts = np.unique(membership[seeded] * width + community[seeded], return_counts=True)
    owner, source = pairs // width, pairs % width
    best = np.lexsort((source, -counts, owner))
    first = best[np.r_[True, owner[best][1:] != owner[best][:-1]]] if len(best) else best
    out = np.full(today, -1, dtype=np.int64)
    out[owner[first]] = source[first]
    return out


def seeding_refusal(seeds: CommunitySeeds | None, names_reused: bool, max_unseeded: float = MAX_UNSEEDED) -> str | None:
    """Why yesterday's communities cannot seed today's (None: they can), in words for the log and report.
    Seeds need the names reused: a kept tree is only yesterday's tree when its members' rows are yesterday's."""
    if seeds is None:
        return "no community seeds from the previous atlas"
    if not names_reused:
        return "the name features were computed whole"
    if seeds.unseeded > max_unseeded:
        return f"{seeds.unseeded:.1%} of the models are new, more than {max_unseeded:.0%}"
    return None
