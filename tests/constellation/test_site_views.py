"""The build's precomputed views (constellation.site_views) hold what the site draws from the whole atlas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from constellation.contract import ATLAS_FILES
from constellation.site_views import (
    COMMUNITY_TOP_FILE,
    FILTER_COUNTS_FILE,
    SCATTER_AXES,
    VERSION_FILE,
    _group_codes,
    _sample_by_labels,
    centroid_tree,
    community_top,
    member_trees,
    rank_in_groups,
    read_views,
    sample_per_group,
    scatter_sample,
    write_views,
)

CAP = 400


def _models(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Models in build order (not sorted by id), a few communities of uneven size, gaps in every axis."""
    rng = np.random.default_rng(seed)
    community = rng.choice(7, n, p=[0.4, 0.2, 0.15, 0.1, 0.08, 0.05, 0.02])
    params = rng.lognormal(20, 2, n)
    params[rng.random(n) < 0.2] = np.nan
    likes = pd.array(rng.integers(0, 500, n), dtype="Int64")
    likes[rng.random(n) < 0.1] = pd.NA
    return pd.DataFrame(
        {
            "id": [f"user{i % 97}/model-{i:05d}" for i in rng.permutation(n)],
            "downloads": pd.array(rng.integers(0, 10**6, n), dtype="Int64"),
            "likes": likes,
            "params": params,
            "created_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
            "community": community.astype("int64"),
            "community_label": [f"label {c}" for c in community],
            "family": [f"fam{i % 31}" for i in range(n)],
            "relation": rng.choice(np.array(["finetune", "adapter", None], dtype=object), n),
            "parent": None,
            "x": rng.normal(community * 10.0, 1.0),
            "y": rng.normal(-community * 5.0, 1.0),
        }
    )


def _site(tmp_path: Path, models: pd.DataFrame) -> Path:
    """An atlas folder with the two files the views are stamped with, and its site/ folder of views."""
    atlas = tmp_path / "atlas"
    atlas.mkdir()
    (atlas / ATLAS_FILES.models).write_bytes(b"models")
    (atlas / ATLAS_FILES.edges).write_bytes(b"edges")
    communities = pd.DataFrame({"community": range(7), "label": [f"label {c}" for c in range(7)]})
    write_views(atlas / ATLAS_FILES.site, models, communities, {}, scatter_cap=CAP)
    return atlas / ATLAS_FILES.site


@pytest.mark.parametrize("kind", list(SCATTER_AXES))
def test_the_scatter_view_is_the_sample_the_site_draws_from_the_whole_atlas(tmp_path, kind):
    models = _models()
    views = read_views(_site(tmp_path, models))
    assert views is not None
    got = views.scatter(kind)
    # The site holds the models sorted by id, index 0..n-1 (its rows), and samples in that order.
    site_rows = models.sort_values("id").reset_index(drop=True)
    want = scatter_sample(site_rows, kind, site_rows["community"], CAP)
    assert got.points["id"].tolist() == want.points["id"].tolist()  # the same points, in draw order
    assert got.points.index.tolist() == want.points.index.tolist()  # each point's row in the site
    assert (got.plottable, got.total) == (want.plottable, len(models))
    assert len(got.points) < got.plottable  # sampled: the cap was reached
    assert set(got.points["community"]) == set(range(7))  # the smallest community stays visible
    for column in ("downloads", "likes", "family"):
        assert got.points[column].astype(str).tolist() == want.points[column].astype(str).tolist()


def test_the_dendrogram_view_without_a_saved_tree_is_the_centroid_tree(tmp_path):
    models = _models()
    views = read_views(_site(tmp_path, models))
    tree = views.community_tree()
    want = centroid_tree(models.sort_values("id"), {c: f"label {c}" for c in range(7)})
    assert tree is not None and want is not None
    np.testing.assert_allclose(tree.linkage, want.linkage)
    assert tree.keys == want.keys == models["community"].value_counts().index.tolist()
    assert tree.labels[0] == "0: label 0" and tree.source == want.source
    assert views.member_tree(0) is None  # no saved hierarchy: no community's tree


def test_the_community_top_list_is_the_most_downloaded_members(tmp_path):
    models = _models()
    views = read_views(_site(tmp_path, models))
    for community in (0, 6):
        members = models[models["community"] == community]
        want = members.sort_values(["downloads", "id"], ascending=[False, True])["id"].tolist()
        got = views.community_members(community)
        assert got["id"].tolist() == want  # fewer than TOP_MEMBERS: all of them
        assert got["downloads"].is_monotonic_decreasing
    assert views.community_members(99) is None


def test_views_of_other_files_are_ignored(tmp_path):
    site = _site(tmp_path, _models(500))
    assert read_views(site) is not None
    with (site.parent / ATLAS_FILES.models).open("ab") as f:  # models.parquet rewritten since the build
        f.write(b"\0")
    assert read_views(site) is None
    (site / VERSION_FILE).write_text("not a version")
    assert read_views(site) is None
    (site / VERSION_FILE).unlink()
    assert read_views(site) is None
    assert (site / COMMUNITY_TOP_FILE).is_file()  # the files stay; the site just does not trust them


def test_filter_counts_hold_each_model_s_codes_and_numbers_in_the_site_s_id_order(tmp_path):
    models = _models()
    models.loc[models.index[:5], "family"] = None
    views = read_views(_site(tmp_path, models))
    assert views is not None
    counts = views.filter_counts()
    assert counts is not None
    by_id = models.sort_values("id").reset_index(drop=True)
    family = counts.codes["family"]
    named = counts.names("family", np.maximum(family, 0)).to_numpy(dtype=object)
    assert np.where(family >= 0, named, None).tolist() == [f if isinstance(f, str) else None for f in by_id["family"]]
    assert counts.codes["community"].tolist() == by_id["community"].tolist()
    assert counts.numbers["downloads"].tolist() == by_id["downloads"].fillna(0).tolist()
    assert counts.numbers["likes"].tolist() == by_id["likes"].fillna(0).tolist()
    np.testing.assert_array_equal(counts.numbers["params"], by_id["params"].to_numpy(dtype="float64"))


def test_no_filter_counts_without_their_files(tmp_path):
    site = _site(tmp_path, _models())
    (site / FILTER_COUNTS_FILE).unlink()
    views = read_views(site)
    assert views is not None and views.filter_counts() is None


def test_the_callers_id_order_writes_the_same_views(tmp_path):
    from constellation.site_lookup import id_order

    models = _models()
    own = _site(tmp_path, models)
    given = tmp_path / "given"
    given.mkdir()
    for name in (ATLAS_FILES.models, ATLAS_FILES.edges):
        (given / name).write_bytes((own.parent / name).read_bytes())
    communities = pd.DataFrame({"community": range(7), "label": [f"label {c}" for c in range(7)]})
    write_views(given / ATLAS_FILES.site, models, communities, {}, scatter_cap=CAP, order=id_order(models))
    names = sorted(p.name for p in own.iterdir())
    assert names == sorted(p.name for p in (given / ATLAS_FILES.site).iterdir()) and names
    for name in names:
        assert (own / name).read_bytes() == (given / ATLAS_FILES.site / name).read_bytes(), name


def test_rank_in_groups_is_pandas_grouped_first_rank_and_group_size():
    rng = np.random.default_rng(3)
    for _ in range(30):
        n = int(rng.integers(0, 400))
        keys = pd.Series(rng.choice([0, 1, 2.0, "", 5], n)).astype("object")
        values = rng.choice([0.25, 0.5, 0.75], n) if rng.random() < 0.5 else rng.random(n)  # ties, or none
        codes, _ = pd.factorize(keys.to_numpy(), use_na_sentinel=False)
        rank, size = rank_in_groups(codes, values)
        want = pd.Series(values).groupby(keys.to_numpy(), sort=False).rank(method="first")
        assert rank.tolist() == want.astype("int64").tolist()
        assert size.tolist() == keys.map(keys.value_counts()).astype("int64").tolist()


def test_rank_in_groups_is_the_lexsort_of_groups_then_values():
    rng = np.random.default_rng(5)
    # Few groups (sorted as uint16), the most uint16 holds, and more (sorted as int64).
    for codes in (rng.integers(0, 50, 5_000), rng.integers(2**16 - 3, 2**16, 5_000), rng.integers(0, 2**17, 5_000)):
        for values in (rng.random(5_000), rng.choice([0.5, -0.0, 0.0, np.nan, 1.0], 5_000)):
            order = np.lexsort((values, codes))
            starts = np.cumsum(np.bincount(codes)) - np.bincount(codes)
            expected = np.empty(5_000, dtype=np.int64)
            expected[order] = np.arange(5_000) - starts[codes[order]] + 1
            assert rank_in_groups(codes, values)[0].tolist() == expected.tolist()


@pytest.mark.parametrize(
    "groups",
    [
        pd.Series([3, 1, 3, 0, 1, 7]),
        pd.Series([3.0, np.nan, 3.0, 0.0, np.nan, -0.0]),
        pd.Series([3, None, 3, 0, None, 2], dtype="Int64"),
        pd.Series(["a", None, "a", "", "b", "b"]),
        pd.Series([True, False, True, False, True, True]),
        pd.Series([2**60, 2**60 + 1, 2**60, 1, 1, 2]),
    ],
)
def test_group_codes_form_the_groups_of_the_object_keys(groups):
    expected = pd.factorize(groups.astype("object").fillna("").to_numpy(), use_na_sentinel=False)[0]
    codes = _group_codes(groups)
    # The same partition: equal codes exactly where the object keys' codes are equal.
    assert (codes[:, None] == codes[None, :]).tolist() == (expected[:, None] == expected[None, :]).tolist()


def _community_top_by_groupby(models, communities, id_rank, n):
    """community_top as it took every member's row, then the first `n` of each group: the reference."""
    columns = [c for c in ("id", "community", "downloads", "params", "family", "community_label") if c in models]
    downloads = pd.to_numeric(models["downloads"], errors="coerce").fillna(-1).to_numpy(dtype="float64")
    community = models["community"].to_numpy(dtype="float64", na_value=np.nan)
    rows = np.flatnonzero(models["community"].isin(communities).to_numpy(dtype=bool))
    rows = rows[np.lexsort((id_rank[rows], -downloads[rows], community[rows]))]
    frame = models[columns].take(rows).reset_index(drop=True)
    frame = frame.groupby("community", sort=False).head(n).reset_index(drop=True)
    return frame.assign(id=frame["id"].astype(str), community=frame["community"].astype("int64"))


def test_community_top_keeps_the_first_members_of_each_community_as_a_groupby_head():
    rng = np.random.default_rng(8)
    models = pd.DataFrame(
        {
            "id": pd.array([f"m{i}" for i in rng.permutation(3_000)], dtype="str"),
            "community": rng.integers(0, 12, 3_000),
            "downloads": rng.integers(0, 5, 3_000),
            "family": pd.array(rng.choice(["a", "b", None], 3_000), dtype="string"),
        }
    )
    id_rank = np.argsort(np.argsort(models["id"].to_numpy(dtype=object)))
    for communities, n in (([3, 0, 7], 5), ([11], 1_000), ([], 3), ([5, 99], 1)):
        got = community_top(models, communities, id_rank, n)
        pd.testing.assert_frame_equal(got, _community_top_by_groupby(models, communities, id_rank, n))


def test_member_trees_name_each_leaf_by_its_prototype_and_its_count():
    members = pd.DataFrame(
        {
            "id": np.array(["a/x", "a/y", "b/z", "c/w", "c/v", "d/u", "é/t"], dtype=object),
            "community": np.array([0, 0, 0, 1, 1, 2, 2], dtype=np.int64),
            "leaf": np.array([0, 0, 1, 0, 1, 0, 0], dtype=np.int64),
            "prototype": np.array([False, True, True, True, True, True, False]),
        }
    )
    hierarchy = {
        "members": members,
        "community_trees": pd.DataFrame({"community": [0, 1, 2], "start": [0, 1, 2], "leaves": [2, 2, 1]}),
        "community_linkage": np.array([[0, 1, 0.5, 3], [0, 1, 0.25, 2]], dtype=np.float64),
    }
    trees = member_trees(hierarchy, [2, 0, 5, 1])
    assert trees["community"].tolist() == [2, 0, 1]
    assert trees["labels"].tolist() == [["d/u (+1 similar)"], ["a/y (+1 similar)", "b/z"], ["c/w", "c/v"]]
    assert trees["linkage"].tolist() == [[], [0.0, 1.0, 0.5, 3.0], [0.0, 1.0, 0.25, 2.0]]


def test_sample_per_group_by_positions_is_the_sample_by_labels():
    """A frame of sorted distinct labels is sampled by positions: the rows, in the order, taken by labels."""
    rng = np.random.default_rng(1)
    for t in range(120):
        n = int(rng.integers(1, 3000))
        downloads = rng.choice([0, 1, 5, 100, np.nan], n) if t % 3 == 0 else rng.integers(0, 50, n).astype(float)
        frame = pd.DataFrame({"downloads": downloads, "x": rng.random(n)})
        if t % 4 == 1:  # sorted labels with gaps
            frame.index = np.sort(rng.choice(10 * n, n, replace=False))
        elif t % 4 == 2:  # the plottable rows of a frame, as scatter_sample gives them
            frame = frame.iloc[np.flatnonzero(rng.random(n) < 0.7)]
        elif t % 4 == 3:  # unsorted labels: by labels
            frame.index = rng.permutation(n)
        if t % 5 == 0:
            frame = frame.drop(columns="downloads")
        groups = pd.Series(rng.integers(0, 30, len(frame)), index=frame.index)
        if t % 7 == 0:
            groups = groups.astype(float)
            groups.iloc[::5] = np.nan
        cap, keep = int(rng.integers(1, 600)), int(rng.integers(0, 50))
        expected = _sample_by_labels(frame, groups, cap, t, keep) if len(frame) > cap else frame
        pd.testing.assert_frame_equal(sample_per_group(frame, groups, cap, seed=t, keep_top=keep), expected)
