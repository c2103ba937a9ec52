"""Nightly reuse of name features and neighbour lists (constellation/atlas/reuse.py).

The incremental result is checked against what a full computation gives: exactly where nothing changed,
within the stated tolerance after a 2 % night (fakehub.nightly), in both kNN methods.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow.compute as pc
import pytest
import scipy.sparse as sp

from constellation.atlas.config import AtlasConfig
from constellation.atlas.features import name_features, name_texts
from constellation.atlas.knn import exact_knn, knn_graph, knn_recall, minhash_keys, text_keys
from constellation.atlas.reuse import (
    MAX_DRIFT,
    MIN_RECALL_SAMPLE,
    Change,
    NameState,
    _batch_bounds,
    _Found,
    _group_product,
    _merge,
    _products,
    _SearchInputs,
    _stacked,
    _text_orders,
    blended_recall,
    compare_ids,
    compare_names,
    first_ids,
    known_texts,
    name_state,
    recall_rows,
    recall_sample_size,
    refusal,
    reuse_names,
    state_files,
    state_from_files,
)
from constellation.atlas.signatures import base_signatures, name_signatures
from constellation.errors import AtlasError
from fakehub.nightly import next_night
from fakehub.synthetic import generate

# A 2 % night of a 3,000-model synthetic Hub: about 3 % of its ~2,400 distinct names come or go.
N, SEED, NIGHT_SEED = 3000, 11, 5
# Tolerances (reuse.py's docstring says where differences come from), a little below what this night gives:
# share of an exact search's neighbours (over the incremental features) the incremental lists hold: 0.998;
OWN_RECALL = 0.99
# share of a full rebuild's similarity pairs (refitted vocabulary) the incremental build finds: 0.986 with
# exact kNN, 0.977 windowed (exact_knn_max=100).
EXACT_OVERLAP = 0.97
WINDOWED_OVERLAP = 0.95


def _full(ids: list[str], config: AtlasConfig):
    features = name_features(ids, config)
    knn = knn_graph(
        features.matrix,
        features.texts,
        min(config.k, len(ids) - 1),
        words=features.words,
        terms=features.word_terms,
        exact_max=config.exact_knn_max,
        window=config.knn_window,
        min_similarity=config.min_similarity,
        minhashes=config.knn_minhash_keys,
        seed=config.seed,
        progress=False,
    )
    return features, knn


def _incremental(previous_ids: list[str], ids: list[str], config: AtlasConfig):
    state = name_state(previous_ids, *_full(previous_ids, config), config)
    texts = known_texts(state, ids, config)
    assert texts == name_texts(ids, config)
    change = compare_names(state, texts)
    assert refusal(state, change, config, len(ids)) is None
    return state, change, *reuse_names(state, ids, texts, change, config)


@pytest.fixture(scope="module")
def nights() -> tuple[list[str], list[str]]:
    first = generate(N, SEED)
    return first["id"].astype(str).tolist(), next_night(first, 0.02, NIGHT_SEED)["id"].astype(str).tolist()


def _pairs(knn) -> set[tuple[int, int]]:
    src, dst, _ = knn.pairs()
    return set(zip(src.tolist(), dst.tolist()))


def test_unchanged_names_give_the_full_computation_exactly():
    ids = ["meta-llama/Llama-2-7b-hf", "a/llama-2-7b-chat", "b/Llama-2-7b-hf", "c/🤗", "d/🤗", "gpt2", "e/gpt2-xl"]
    config = AtlasConfig(min_df=1)
    features, knn = _full(ids, config)
    _, change, again, graph, state = _incremental(ids, ids, config)
    assert change.changed == 0
    assert (again.matrix != features.matrix).nnz == 0 and (again.words != features.words).nnz == 0
    assert np.array_equal(graph.neighbors, knn.neighbors)
    assert np.array_equal(graph.similarities, knn.similarities)
    assert np.array_equal(graph.distinct, knn.distinct)  # twins ("b/Llama-2-7b-hf") and featureless ids alike
    assert np.array_equal(graph.searched.neighbors, knn.searched.neighbors)
    assert state.drift == 0.0


def test_kept_names_keep_their_rows_and_new_names_use_the_old_vocabulary(nights):
    before, after = nights
    config = AtlasConfig()
    state, change, features, _, _ = _incremental(before, after, config)
    assert change.added > 0 and change.removed > 0
    kept = np.flatnonzero(change.old >= 0)
    rows = features.matrix[np.unique(change.codes, return_index=True)[1]]
    assert (rows[kept] != state.rows.matrix[change.old[kept]]).nnz == 0
    assert features.matrix.shape[1] == state.rows.matrix.shape[1]
    assert list(features.word_terms) == list(state.vocabulary.words.terms)


@pytest.mark.parametrize(
    ("exact_max", "method", "overlap"), [(50_000, "exact", EXACT_OVERLAP), (100, "windowed", WINDOWED_OVERLAP)]
)
def test_a_two_percent_night_matches_a_full_rebuild_within_tolerance(nights, exact_max, method, overlap):
    before, after = nights
    config = AtlasConfig(exact_knn_max=exact_max)
    _, _, features, graph, state = _incremental(before, after, config)
    assert graph.method == state.method == method
    _, full = _full(after, config)
    ours, theirs = _pairs(graph), _pairs(full)
    assert len(ours & theirs) / len(theirs) >= overlap
    assert 0.9 <= len(ours) / len(theirs) <= 1.1


def test_incremental_lists_are_the_exact_neighbours_of_their_own_features(nights):
    before, after = nights
    config = AtlasConfig()
    _, _, features, graph, _ = _incremental(before, after, config)
    searched = features.matrix[graph.distinct]
    exact = exact_knn(searched, graph.searched.neighbors.shape[1], min_similarity=config.min_similarity, progress=False)
    found = graph.searched.neighbors
    hits = sum(
        len(set(found[i][found[i] >= 0]) & set(exact.neighbors[i][exact.neighbors[i] >= 0])) for i in range(len(found))
    )
    assert hits / (exact.neighbors >= 0).sum() >= OWN_RECALL


def test_comparing_ids_gives_the_change_comparing_their_names_gives(nights):
    before, after = nights
    config = AtlasConfig()
    state = name_state(before, *_full(before, config), config)
    # A re-upload under a new owner: a new id with a name the state holds is a kept name, not an added one.
    renamed = [*after, "someone-new/" + before[0].split("/")[-1]]
    texts, change = compare_ids(state, renamed, config)
    expected = compare_names(state, name_texts(renamed, config))
    assert texts == name_texts(renamed, config)
    assert change.texts.tolist() == expected.texts.tolist()
    assert change.codes.tolist() == expected.codes.tolist()
    assert change.old.tolist() == expected.old.tolist()
    assert (change.added, change.removed) == (expected.added, expected.removed)
    assert change.added > 0 and change.removed > 0
    assert change.old[change.codes[-1]] >= 0  # the re-upload's name is yesterday's


def test_a_state_is_refused_for_other_settings_a_big_change_or_too_much_drift(nights):
    before, after = nights
    config = AtlasConfig()
    state = name_state(before, *_full(before, config), config)
    texts = name_texts(after, config)
    change = compare_names(state, texts)
    assert "min_df" in refusal(state, change, replace(config, min_df=3), len(after))
    assert "max_change 1%" in refusal(state, change, config, len(after), max_change=0.01)
    assert "refit" in refusal(replace(state, drift=MAX_DRIFT), change, config, len(after))


def test_a_state_is_refused_when_the_knn_method_changes_at_the_new_size(nights):
    before, _ = nights
    fewer = before[:2900]
    config = AtlasConfig(exact_knn_max=len(set(name_texts(fewer, AtlasConfig()))))  # exact now, windowed after
    state = name_state(fewer, *_full(fewer, config), config)
    change = compare_names(state, name_texts(before, config))
    assert state.method == "exact"
    assert refusal(state, change, config, len(before)) == "the kNN method changes at this size (exact → windowed)"


def test_the_state_survives_its_files_and_refuses_damaged_ones(nights):
    before, _ = nights
    config = AtlasConfig()
    state = name_state(before[:500], *_full(before[:500], config), config)
    back = state_from_files(state_files(state))
    assert list(back.texts) == list(state.texts) and back.settings == state.settings
    assert (back.rows.matrix != state.rows.matrix).nnz == 0
    assert np.array_equal(back.neighbors, state.neighbors) and np.array_equal(back.similarities, state.similarities)
    assert list(back.vocabulary.chars.terms) == list(state.vocabulary.chars.terms)
    files = state_files(state)
    files["neighbors"] = files["neighbors"][:10]
    with pytest.raises(AtlasError, match="disagree"):
        state_from_files(files)
    del files["matrix"]
    with pytest.raises(AtlasError, match="incomplete"):
        state_from_files(files)
    files = state_files(state)
    files["state"] = {**files["state"], "version": 0}
    with pytest.raises(AtlasError, match="version"):
        state_from_files(files)


def test_the_state_keeps_the_signatures_of_its_names_through_its_files(nights):
    before, _ = nights
    config = AtlasConfig()
    state = name_state(before[:500], *_full(before[:500], config), config)
    texts = name_texts(before[:500], config)
    sigs = base_signatures(np.asarray(before[:500], dtype=object), texts, config.brand_min_owners)
    kept = name_signatures(sigs, state.texts, first_ids(state.id_texts, state.size))
    assert sigs.count > 0 and kept.brands
    back = state_from_files(state_files(replace(state, signatures=kept))).signatures
    assert back is not None and list(back.texts) == list(state.texts)
    assert back.keys == kept.keys and back.codes.tolist() == kept.codes.tolist() and back.brands == kept.brands
    assert state_from_files(state_files(state)).signatures is None  # a state from before keeps none
    # Signatures read by other rules (a state written before SIGNATURE_RULES 2) are read again, not kept.
    files = state_files(replace(state, signatures=kept))
    assert files["state"]["signature_rules"] == 2
    del files["state"]["signature_rules"]
    assert state_from_files(files).signatures is None


# The windowed kNN on the 3,000-model night: 2,400 distinct names, so exact_knn_max=100 makes it windowed.
WINDOWED = AtlasConfig(exact_knn_max=100)


def _hashed(matrix) -> np.ndarray:
    keys = minhash_keys(matrix, WINDOWED.knn_minhash_keys, seed=WINDOWED.seed)
    return np.column_stack([key.to_numpy() for key in keys])


def test_the_state_keeps_each_names_minhash_keys_and_the_next_one_hashes_only_new_names(nights):
    before, after = nights
    state, change, _, _, tomorrow = _incremental(before, after, WINDOWED)
    # What a full build's windowed search hashed, by name; and tonight's: kept names' keys and new ones'.
    assert np.array_equal(state.minhashes, _hashed(state.rows.matrix))
    assert np.array_equal(tomorrow.minhashes, _hashed(tomorrow.rows.matrix))
    back = state_from_files(state_files(tomorrow))
    assert np.array_equal(back.minhashes, tomorrow.minhashes)


def test_a_state_without_minhash_keys_is_still_reused_with_every_name_hashed(nights):
    before, after = nights
    state = replace(name_state(before, *_full(before, WINDOWED), WINDOWED), minhashes=None)
    texts = known_texts(state, after, WINDOWED)
    change = compare_names(state, texts)
    *_, with_keys = _incremental(before, after, WINDOWED)
    _, graph, tomorrow = reuse_names(state, after, texts, change, WINDOWED)
    assert np.array_equal(tomorrow.minhashes, with_keys.minhashes)
    assert np.array_equal(tomorrow.neighbors, with_keys.neighbors)


@pytest.mark.parametrize("exact_max", [50_000, 100])
def test_the_search_gives_the_same_lists_in_one_process_or_two(nights, exact_max):
    before, after = nights
    lists = []
    for workers in (1, 2):
        config = replace(WINDOWED, exact_knn_max=exact_max, knn_workers=workers)
        *_, graph, state = _incremental(before, after, config)
        lists.append((graph.neighbors, graph.similarities, state.neighbors))
    for one, two in zip(*lists, strict=True):
        assert np.array_equal(one, two)


def test_incremental_lists_are_distinct_self_free_and_best_first(nights):
    before, after = nights
    *_, state = _incremental(before, after, WINDOWED)
    found, sims = state.neighbors, state.similarities
    assert not (found == np.arange(len(found))[:, None]).any()
    for row, row_sims in zip(found, sims, strict=True):
        held = row[row >= 0]
        assert len(set(held.tolist())) == len(held) and (row[len(held) :] == -1).all()
        assert (np.diff(row_sims[: len(held)]) <= 0).all()
        ties = np.diff(row_sims[: len(held)]) == 0  # equal similarities: the smaller name first
        assert (np.diff(held)[ties] > 0).all()


def test_an_incremental_recall_check_samples_only_the_lists_it_searched(nights):
    before, after = nights
    state, _, _, graph, tomorrow = _incremental(before, after, WINDOWED)
    assert state.searched is None and len(tomorrow.searched) < tomorrow.size / 5
    size = recall_sample_size(tomorrow, 2000)
    assert size == max(MIN_RECALL_SAMPLE, int(np.ceil(2000 * len(tomorrow.searched) / tomorrow.size)))
    assert recall_sample_size(state, 2000) == 2000  # a full build checks the whole sample
    rows = recall_rows(tomorrow, graph, size, seed=0)
    assert len(rows) == min(size, len(tomorrow.searched))
    names = tomorrow.id_texts[graph.distinct[rows]]
    assert set(names.tolist()) <= set(tomorrow.searched.tolist())
    assert np.array_equal(rows, recall_rows(tomorrow, graph, size, seed=0))  # seeded
    with pytest.raises(AtlasError, match="incremental"):
        recall_rows(state, graph, size, seed=0)


def test_the_blended_recall_counts_kept_lists_at_the_previous_figure(nights):
    before, after = nights
    *_, tomorrow = _incremental(before, after, WINDOWED)
    share = len(tomorrow.searched) / tomorrow.size
    assert blended_recall(tomorrow, 0.9) == 0.9  # nothing measured before: tonight's figure alone
    measured = replace(tomorrow, recall=0.95)
    assert blended_recall(measured, 0.9) == pytest.approx(share * 0.9 + (1 - share) * 0.95)
    assert state_from_files(state_files(measured)).recall == 0.95
    assert state_from_files(state_files(tomorrow)).recall is None


def test_windowed_nights_refill_lists_that_lost_a_name_and_they_hold_their_exact_neighbours(nights):
    before, after = nights
    state, change, features, graph, tomorrow = _incremental(before, after, WINDOWED)
    kept = np.flatnonzero(change.old >= 0)
    gone = np.setdiff1d(np.arange(state.size), change.old[kept])
    lost = kept[np.isin(state.neighbors[change.old[kept]], gone).any(axis=1)]
    assert len(lost) > change.added  # the lists that lost a name outnumber the new names
    assert set(lost.tolist()) <= set(tomorrow.searched.tolist())  # refilled, so checked by the recall check
    assert (tomorrow.neighbors[lost] >= 0).sum(axis=1).mean() >= 9  # refilled, not left a name short
    everything = recall_rows(tomorrow, graph, tomorrow.size, seed=0)
    recall = knn_recall(features.matrix[graph.distinct], graph.searched, everything, min_similarity=0.2)
    assert recall >= 0.9


def test_kept_rows_and_new_rows_stack_as_a_gather_and_a_vstack_would():
    old = sp.random(50, 40, density=0.2, format="csr", dtype=np.float32, random_state=1)
    added = sp.random(3, 40, density=0.2, format="csr", dtype=np.float32, random_state=2)
    for keep in (np.array([0, 1, 2, 5, 6, 9, 49]), np.arange(50), np.array([], dtype=np.int64), np.array([7, 3])):
        got, expected = _stacked(old, keep, added), sp.vstack([old[keep], added], format="csr")
        assert got.shape == expected.shape and (got != expected).nnz == 0


def test_batches_multiplied_together_give_each_batchs_own_product_over_every_column():
    # Unsorted column indices within rows, as the state's rows hold them: the sums follow the query rows' order.
    # Rows repeated, so equal similarities meet at the top-n's edge: the ties must fall as a batch alone has them.
    base = sp.random(100, 3000, density=0.01, format="csr", dtype=np.float32, random_state=3)
    matrix = sp.vstack([base] * 4, format="csr")
    rng = np.random.default_rng(0)
    for row in range(matrix.shape[0]):
        lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
        shuffled = lo + rng.permutation(hi - lo)
        matrix.indices[lo:hi], matrix.data[lo:hi] = matrix.indices[shuffled], matrix.data[shuffled]
    matrix.has_sorted_indices = False
    order = rng.permutation(matrix.shape[0])
    positions = np.sort(rng.choice(matrix.shape[0], size=60, replace=False))
    half, top = 12, 7
    bounds = _batch_bounds(positions, 2 * half)
    assert 10 < len(bounds) - 1 < len(positions)  # batches of one query and of several
    inputs = _SearchInputs(matrix, None, [order], [positions], top, half, 0.0)
    slots = np.full(matrix.shape[1], -1, dtype=np.int32)
    got = _group_product(inputs, order, positions, bounds, slots)
    assert (slots == -1).all()
    expected_rows, expected_cols, expected_sims = [], [], []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        batch = positions[start:stop]
        window = np.arange(max(batch[0] - half, 0), min(batch[-1] + half + 1, len(order)))
        product = _products(matrix[order[batch]], matrix[order[window]].T.tocsr(), top, 0.0)
        expected_rows.append(np.repeat(order[batch], np.diff(product.indptr)))
        expected_cols.append(order[window][product.indices])
        expected_sims.append(product.data)
    assert (got.rows == np.concatenate(expected_rows)).all()
    assert (got.cols == np.concatenate(expected_cols)).all()
    assert (got.sims == np.concatenate(expected_sims)).all()  # the same floats, in the same order
    assert len(got.rows) > top * 50 and len(np.unique(got.sims)) < len(got.sims)  # ties were there to break


def _merged_by_hand(lists, sims, queries, found, k):
    """_merge's lists, one name at a time: a query's k best of what it found; every other name offered a
    query that found it keeps its k best of its list and its offers (best copy of a pair; ties by col)."""
    out_lists, out_sims = lists.copy(), sims.copy()
    offers = {}
    for row, col, sim in zip(found.rows.tolist(), found.cols.tolist(), found.sims.tolist(), strict=True):
        offers.setdefault(row, {})
        offers[row][col] = max(sim, offers[row].get(col, -1.0))
        if col not in set(queries.tolist()):
            offers.setdefault(col, {})
            offers[col][row] = max(sim, offers[col].get(row, -1.0))
    for name, offered in offers.items():
        pool = dict(offered)
        if name not in set(queries.tolist()):
            for col, sim in zip(lists[name].tolist(), sims[name].tolist(), strict=True):
                if col >= 0:
                    pool[col] = max(sim, pool.get(col, -1.0))
        best = sorted(pool.items(), key=lambda item: (-item[1], item[0]))[:k]
        out_lists[name], out_sims[name] = -1, 0
        out_lists[name, : len(best)] = [col for col, _ in best]
        out_sims[name, : len(best)] = [sim for _, sim in best]
    return out_lists, out_sims


def test_merging_offers_only_into_lists_they_can_enter_gives_every_lists_k_best():
    # Canonical lists (best first, ties by col), some with a hole where a gone name was, and offers on
    # coarse similarities so they tie with the lists' last entries.
    rng = np.random.default_rng(5)
    n, k = 60, 4
    lists = np.full((n, k), -1, dtype=np.int32)
    sims = np.zeros((n, k), dtype=np.float32)
    for name in range(n):
        cols = rng.choice(np.setdiff1d(np.arange(n), [name]), size=k, replace=False)
        values = rng.choice(np.arange(1, 9, dtype=np.float32) / 8, size=k)
        order = np.lexsort((cols, -values))
        lists[name], sims[name] = cols[order], values[order]
    holes = rng.random((n, k)) < 0.15
    lists[holes], sims[holes] = -1, 0
    queries = np.array([3, 11, 17, 29, 42, 50])
    rows = np.repeat(queries, 30)
    cols = rng.integers(0, n, size=len(rows))
    keep = (cols != rows) & (cols != 7)
    # Name 7 lost its second neighbour and is offered one name, below all it holds: the hole takes it.
    lists[7], sims[7] = [12, -1, 13, 14], [0.75, 0, 0.5, 0.25]
    found = _Found(
        np.r_[rows[keep], 3].astype(np.int64),
        np.r_[cols[keep], 7].astype(np.int64),
        np.r_[rng.choice(np.arange(1, 9, dtype=np.float32) / 8, size=int(keep.sum())), np.float32(1 / 16)],
    )
    got = _merge(lists, sims, queries, found, k)
    expected = _merged_by_hand(lists, sims, queries, found, k)
    assert (got[0] == expected[0]).all() and (got[1] == expected[1]).all()


def _sorted_text_keys(texts) -> np.ndarray:
    return np.stack([pc.sort_indices(key).to_numpy() for key in text_keys(list(texts))])


def test_the_text_keys_orders_are_kept_and_merged_as_a_sort_of_every_name_gives_them():
    first = generate(N, SEED)
    second = next_night(first, 0.02, NIGHT_SEED)
    third = next_night(second, 0.02, NIGHT_SEED + 1)
    ids = [frame["id"].astype(str).tolist() for frame in (first, second, third)]
    ids[0] = ids[0][:50] + ["f/🤗", "g/🤗"] + ids[0][50:] + ["h/🤗"]  # a featureless name, searched once per id
    state, change, _, graph, tonight = _incremental(ids[0], ids[1], WINDOWED)
    assert not np.diff(state.rows.matrix.indptr)[list(state.texts).index(name_texts(["f/🤗"], WINDOWED)[0])]
    assert np.array_equal(state.text_orders, _sorted_text_keys(state.texts))  # the full build's, by name
    assert np.array_equal(tonight.text_orders, _sorted_text_keys(tonight.texts))
    back = state_from_files(state_files(tonight))
    assert np.array_equal(back.text_orders, tonight.text_orders)
    texts = known_texts(back, ids[2], WINDOWED)
    change = compare_names(back, texts)
    assert change.added and change.removed
    *_, merged = reuse_names(back, ids[2], texts, change, WINDOWED)
    assert np.array_equal(merged.text_orders, _sorted_text_keys(merged.texts))
    *_, sorted_ = reuse_names(replace(back, text_orders=None), ids[2], texts, change, WINDOWED)
    assert np.array_equal(merged.neighbors, sorted_.neighbors)
    assert np.array_equal(merged.similarities, sorted_.similarities)
    files = state_files(tonight)
    files["text_orders"] = np.roll(files["text_orders"], 1, axis=1) % (len(tonight.texts) - 1)  # a name twice
    with pytest.raises(AtlasError, match="text_orders"):
        state_from_files(files)


def test_merged_text_orders_place_equal_keys_as_a_stable_sort_does():
    # Tails and bags repeat ("x a b" and "y a b" share a tail; "a b" and "b a" a bag), and new names equal
    # kept ones' keys: a new name goes after every kept name of its key, new names of one key in their order.
    yesterday = np.array(["x a b", "b a", "y a b", "a b", "z", "q b a"], dtype=object)
    state = NameState(
        yesterday,
        yesterday,
        np.arange(6, dtype=np.int32),
        None,
        None,
        np.zeros((6, 1)),
        np.zeros((6, 1)),  # type: ignore[arg-type]
        "windowed",
        {},
        0.0,
        text_orders=_sorted_text_keys(yesterday).astype(np.int32),
    )
    texts = np.array(["x a b", "b a", "a b", "q b a", "w a b", "a b b", "b a x", "", "a"], dtype=object)
    old = np.array([0, 1, 3, 5, -1, -1, -1, -1, -1])
    orders = _text_orders(state, Change(texts, np.arange(9), old, 5, 2))
    assert orders is not None
    assert np.array_equal(np.stack(orders), _sorted_text_keys(texts))
