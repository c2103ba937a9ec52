"""Community seeds: yesterday's communities lined up with today's ids, Louvain over them (a sound partition
that keeps yesterday's communities whole), the fallback to a whole computation, and capped trees whose leaves
come from yesterday's heads equal to trees computed whole."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from constellation.atlas.communities import detect_communities
from constellation.atlas.hierarchy import build_hierarchy, capped_tree
from constellation.atlas.seeds import (
    MAX_UNSEEDED,
    CommunitySeeds,
    align_seeds,
    previous_heads,
    seeded_groups,
    seeding_refusal,
)


def seeds_of(community, leaf=None, prototype=None, unmatched=None) -> CommunitySeeds:
    community = np.asarray(community, dtype=np.int64)
    n = len(community)
    return CommunitySeeds(
        community=community,
        leaf=np.asarray(leaf if leaf is not None else np.where(community >= 0, 0, -1), dtype=np.int64),
        prototype=np.asarray(prototype if prototype is not None else np.zeros(n, dtype=bool), dtype=bool),
        unmatched=unmatched,
        communities=int(community.max(initial=-1)) + 1,
    )


def test_align_seeds_lines_yesterday_up_with_todays_ids_by_id():
    members = pd.DataFrame(
        {"id": ["a/x", "b/y", "c/z"], "community": [1, 0, 0], "leaf": [0, 1, 0], "prototype": [True, False, True]}
    )
    seeds = align_seeds(pd.Series(["c/z", "new/one", "a/x"]), members, None)
    assert seeds.community.tolist() == [0, -1, 1]
    assert seeds.leaf.tolist() == [0, -1, 0]
    assert seeds.prototype.tolist() == [True, False, True]
    assert seeds.communities == 2
    assert seeds.unseeded == 1 / 3


def test_seeded_groups_hold_yesterdays_communities_and_todays_families_together():
    # yesterday: {0, 1, 2} and {3, 4}; 5 is new, 6 was in the catch-all; the family of 4 and 5 is declared today
    seeds = seeds_of([0, 0, 0, 1, 1, -1, 2], unmatched=2)
    groups = seeded_groups(seeds, np.array([0, 1, 2, 3, 4, 4, 5]))
    assert len(set(groups[[0, 1, 2]])) == 1
    assert groups[3] == groups[4] == groups[5]  # the new model joins its family, and so its community
    assert groups[0] != groups[3]
    assert groups[6] not in groups[:6]  # the catch-all's model is free
    alone = seeded_groups(seeds, None)
    assert alone[5] != alone[4] and alone[6] not in alone[:6]


def chains():
    # two cliques {0..4} and {5..9}; node 10 (new today) is tied to the first, node 11 to the second
    pairs = [(a, b) for a in range(5) for b in range(a + 1, 5)] + [
        (a, b) for a in range(5, 10) for b in range(a + 1, 10)
    ]
    pairs += [(10, 0), (10, 1), (11, 8), (11, 9), (4, 5)]
    src, dst = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    return 12, src, dst, np.ones(len(pairs))


def test_a_seeded_partition_is_a_sound_partition_that_keeps_yesterdays_communities():
    n, src, dst, weight = chains()
    seeds = seeds_of([0] * 5 + [1] * 5 + [-1, -1])
    seeded = detect_communities(n, src, dst, weight, groups=seeded_groups(seeds, None))
    whole = detect_communities(n, src, dst, weight)
    membership = seeded.membership
    assert membership.shape == (n,) and sorted(set(membership.tolist())) == [0, 1]  # every model, numbered 0..m-1
    assert len(set(membership[:5])) == 1 and len(set(membership[5:10])) == 1  # yesterday's kept whole
    assert membership[10] == membership[0] and membership[11] == membership[9]  # new models join their neighbours
    assert seeded.modularity == whole.modularity  # here the same partition as from singletons


def test_seeds_never_split_yesterdays_community_but_a_full_build_may():
    n, src, dst, weight = chains()
    seeds = seeds_of([0] * 10 + [-1, -1])  # yesterday put both cliques in one community
    seeded = detect_communities(n, src, dst, weight, groups=seeded_groups(seeds, None))
    assert len(set(seeded.membership[:10])) == 1
    assert len(set(detect_communities(n, src, dst, weight).membership[:10])) == 2
    assert seeded.modularity < detect_communities(n, src, dst, weight).modularity


def test_seeding_falls_back_to_a_whole_computation_and_says_why():
    seeds = seeds_of([0, 0, 1, 1])
    assert seeding_refusal(seeds, names_reused=True) is None
    assert seeding_refusal(None, names_reused=True) == "no community seeds from the previous atlas"
    assert seeding_refusal(seeds, names_reused=False) == "the name features were computed whole"
    many_new = seeds_of([0] * 90 + [-1] * 10)
    assert many_new.unseeded > MAX_UNSEEDED
    assert seeding_refusal(many_new, names_reused=True) == "10.0% of the models are new, more than 5%"


def test_previous_heads_point_at_the_prototype_of_yesterdays_leaf():
    # yesterday's community 0: prototypes 0 (leaf 0) and 2 (leaf 1); 1 in leaf 0, 3 in leaf 1; 4 in leaf 2,
    # whose prototype is gone; 5 is new; 6 came from community 1 into today's community 0 (a merge, minority)
    seeds = seeds_of(
        [0, 0, 0, 0, 0, -1, 1],
        leaf=[0, 0, 1, 1, 2, -1, 0],
        prototype=[True, False, True, False, False, False, True],
    )
    heads = previous_heads(seeds, np.zeros(7, dtype=np.int64))
    assert heads.tolist() == [0, 0, 2, 2, -1, -1, -1]
    assert previous_heads(seeds, np.array([0, 0, 0, 0, 0, 0, 1]))[6] == 6  # its own community: its own head


def clustered_rows(n: int, seed: int) -> sp.csr_matrix:
    """Rows in a few clusters (shared columns) plus noise, L2-normalised."""
    rng = np.random.default_rng(seed)
    dense = rng.random((n, 40)) * (rng.random((n, 40)) < 0.15)
    dense[np.arange(n), rng.integers(0, 5, n)] += 2.0
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    return sp.csr_matrix(dense.astype(np.float32))


def test_leaves_from_yesterdays_heads_equal_a_whole_search():
    vectors = clustered_rows(400, seed=1)
    rng = np.random.default_rng(2)
    yesterday_popularity = rng.random(400)
    yesterday = capped_tree(vectors, yesterday_popularity, cap=30, method="average")
    heads = yesterday.prototypes[yesterday.leaf_of]
    heads[rng.choice(400, 40, replace=False)] = -1  # new models: no head
    today_popularity = yesterday_popularity.copy()
    today_popularity[rng.choice(400, 60, replace=False)] = rng.random(60) * 2  # some ranks move past the cap
    whole = capped_tree(vectors, today_popularity, cap=30, method="average")
    seeded = capped_tree(vectors, today_popularity, cap=30, method="average", heads=heads)
    assert not np.array_equal(whole.prototypes, yesterday.prototypes)  # the case to test: prototypes changed
    np.testing.assert_array_equal(seeded.prototypes, whole.prototypes)
    np.testing.assert_array_equal(seeded.linkage, whole.linkage)
    np.testing.assert_array_equal(seeded.leaf_of, whole.leaf_of)


def test_build_hierarchy_with_heads_equals_it_without():
    vectors = clustered_rows(600, seed=3)
    membership = np.repeat([0, 1, 2], 200)
    popularity = np.random.default_rng(4).random(600)
    whole = build_hierarchy(
        vectors, membership, popularity, exact_max=10, leaf_cap=50, method="average", cut_levels=(0.5,), progress=False
    )
    heads = np.concatenate(
        [np.flatnonzero(membership == c)[t.prototypes[t.leaf_of]] for c, t in enumerate(whole.community_trees)]
    )
    heads = heads[np.argsort(np.argsort(membership, kind="stable"))]  # back to model order
    seeded = build_hierarchy(
        vectors,
        membership,
        popularity,
        exact_max=10,
        leaf_cap=50,
        method="average",
        cut_levels=(0.5,),
        progress=False,
        heads=heads,
    )
    np.testing.assert_array_equal(seeded.clusters[0.5], whole.clusters[0.5])
    np.testing.assert_array_equal(seeded.leaf_rank, whole.leaf_rank)
