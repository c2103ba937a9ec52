from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from constellation.app.data import load_atlas, read_models
from constellation.app.filters import Filters, kept_rows
from constellation.app.overview import atlas_counts, coded_counts, coded_top_groups, params_text, top_groups
from constellation.contract import DataLayout
from constellation.history import group_downloads_over_snapshots, snapshot_growth
from constellation.site_summary import new_models_per_week
from constellation.site_views import FilterCounts, community_labels, read_filter_counts, write_filter_counts
from tests.constellation.app.conftest import EARLIER, LATEST


def test_counts(atlas_root):
    atlas = load_atlas(DataLayout(atlas_root))
    counts = atlas_counts(atlas.models, atlas.snapshot_id)
    assert counts.models == 319
    assert counts.families == atlas.models["family"].nunique()
    assert counts.communities == atlas.models["community"].nunique()
    assert counts.known_size == int(atlas.models["params"].notna().sum())
    assert counts.snapshot_date == "2026-11-20 02:15 UTC"


def test_top_groups_by_downloads():
    frame = pd.DataFrame(
        {
            "family": ["a", "a", "b", None],
            "downloads": pd.array([5, None, 7, 100], dtype="Int64"),
            "likes": [1, 2, 3, 4],
        }
    )
    top = top_groups(frame, "family", 5, label=pd.Series({"a": "A", "b": "B"}))
    assert top.to_dict("records") == [
        {"family": "b", "label": "B", "models": 1, "downloads": 7, "likes": 3},
        {"family": "a", "label": "A", "models": 2, "downloads": 5, "likes": 3},
    ]
    assert top_groups(frame.drop(columns="family"), "family").empty


def test_community_labels_prefer_communities_table(atlas_root):
    atlas = load_atlas(DataLayout(atlas_root))
    labels = community_labels(atlas.models, atlas.communities)
    assert labels.loc[0] == atlas.communities.set_index("community").loc[0, "label"]


def test_growth_between_snapshots(atlas_root):
    growth = snapshot_growth(DataLayout(atlas_root))
    # The earlier snapshot lacks the 60 GGUF quantizations and the 6 fourth merges.
    assert growth == {
        "previous": EARLIER,
        "current": LATEST,
        "models_now": 319,
        "models_before": 253,
        "added": 66,
        "removed": 0,
    }
    assert snapshot_growth(DataLayout(atlas_root), EARLIER) is None


def test_family_downloads_across_snapshots(atlas_root):
    layout = DataLayout(atlas_root)
    atlas = load_atlas(layout)
    members = atlas.models.loc[atlas.models["family"] == "meta-llama/Llama-3-8B", ["id", "family"]]
    frame = group_downloads_over_snapshots(layout, members, "family")
    assert frame["snapshot"].dt.strftime("%Y%m%dT%H%M%SZ").tolist() == [EARLIER, LATEST]
    latest = atlas.models.loc[atlas.models["family"] == "meta-llama/Llama-3-8B", "downloads"].sum()
    assert frame["downloads"].iloc[1] == latest
    assert frame["models"].tolist() == [len(members) - 10 - 1, len(members)]


def test_new_models_per_week():
    frame = pd.DataFrame(
        {
            "family": ["a", "a", "b", "a"],
            "created_at": pd.to_datetime(["2026-01-05", "2026-01-11", "2026-01-06", "2026-01-12"], utc=True),
        }
    )
    weekly = new_models_per_week(frame, "family", ["a", "b"])
    assert weekly.assign(week=weekly["week"].dt.strftime("%Y-%m-%d")).to_dict("records") == [
        {"week": "2026-01-05", "family": "a", "models": 2},
        {"week": "2026-01-05", "family": "b", "models": 1},
        {"week": "2026-01-12", "family": "a", "models": 1},
    ]
    assert new_models_per_week(frame, "family", []).empty


def test_params_text():
    assert [params_text(v) for v in (7.24e9, 1.25e8, 1.1e12, 3e3, 12)] == ["7.24B", "125M", "1.1T", "3K", "12"]


def test_the_summary_holds_the_trends_of_a_lone_snapshot_and_the_weeks(atlas_root):
    from constellation.app.trends import lone_snapshot

    layout = DataLayout(atlas_root)
    atlas = load_atlas(layout)
    models = atlas.frame(["id", "family", "community", "downloads", "likes", "created_at"])
    for column in ("family", "community"):
        top = top_groups(models, column, 5)[column].tolist()
        members = models.loc[models[column].isin(top).to_numpy(dtype=bool), ["id", column]]
        scanned = group_downloads_over_snapshots(layout, members, column, [atlas.snapshot_id])
        scanned[column] = scanned[column].astype(str)
        scanned = scanned.sort_values(column, kind="stable").reset_index(drop=True)
        summarized = lone_snapshot(atlas.summary, atlas.snapshot_id, column, 5)
        assert summarized is not None and len(summarized) == 5
        pd.testing.assert_frame_equal(summarized, scanned, check_dtype=False)
    families = top_groups(models, "family", 4)["family"].tolist()
    counted = new_models_per_week(models, "family", families)
    weekly = atlas.summary.weekly_frame(4)
    assert weekly is not None and len(weekly) == len(counted) > 0
    assert weekly["models"].tolist() == counted["models"].tolist()
    assert weekly["family"].tolist() == counted["family"].astype(str).tolist()
    assert (weekly["week"] == counted["week"]).all()
    assert atlas.summary.weekly_frame(21) is None  # the page offers at most TRENDS_N groups


def _coded_atlas(tmp_path: Path, n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, FilterCounts]:
    """Models as the site holds them (read back from Parquet: sorted by id, families categorical) and the
    build's filter counts of the same models (written from build order): many tied totals, gaps everywhere."""
    rng = np.random.default_rng(seed)
    downloads = pd.array(rng.choice([0, 1, 5, 100, 2**40], n), dtype="Int64")  # ties, and sums past 2**53
    downloads[rng.random(n) < 0.1] = pd.NA
    community = pd.array(rng.integers(0, 40, n), dtype="Int64")
    community[rng.random(n) < 0.05] = pd.NA
    params = pd.array(rng.integers(1, 10**11, n), dtype="Int64")
    params[rng.random(n) < 0.3] = pd.NA
    built = pd.DataFrame(
        {
            "id": [f"user{i % 53}/m-{i:05d}" for i in rng.permutation(n)],
            "family": rng.choice(np.array([f"fam{i}" for i in range(300)] + [None], dtype=object), n),
            "community": community,
            "downloads": downloads,
            "likes": pd.array(rng.integers(0, 3, n), dtype="Int64"),
            "params": params,
        }
    )
    path = tmp_path / "models.parquet"
    pq.write_table(pa.Table.from_pandas(built, preserve_index=False), path)
    write_filter_counts(tmp_path, built, np.argsort(built["id"].to_numpy(dtype=str), kind="stable"))
    counts = read_filter_counts(tmp_path)
    assert counts is not None
    return read_models(path), counts


FILTER_STATES = [
    Filters(min_downloads=1),
    Filters(min_downloads=100),
    Filters(params_min_b=1, params_max_b=50),
    Filters(min_downloads=5, params_max_b=10),
    Filters(min_downloads=2**41),  # keeps nothing
]


@pytest.mark.parametrize("filters", FILTER_STATES, ids=str)
def test_the_build_s_codes_give_the_overview_of_the_models_exactly(tmp_path, filters):
    models, counts = _coded_atlas(tmp_path)
    rows = kept_rows(models, filters)
    # The filters read the build's numbers as they read the models' columns.
    numbers = pd.DataFrame({c: counts.numbers[c] for c in filters.columns})
    np.testing.assert_array_equal(kept_rows(numbers, filters), rows)
    kept = models.take(rows)
    assert coded_counts(counts, rows, "20261120T021500Z") == atlas_counts(kept, "20261120T021500Z")
    labels = pd.Series({c: f"label {c}" for c in range(40)}, dtype="object")
    for column, label in (("family", None), ("community", labels)):
        for n in (1, 3, 15, 50):
            pd.testing.assert_frame_equal(
                coded_top_groups(counts, column, rows, n, label=label), top_groups(kept, column, n, label=label)
            )


def test_the_build_s_codes_hold_no_community_that_is_not_a_code(tmp_path):
    models, _ = _coded_atlas(tmp_path)
    models = models.assign(community=models["community"] - 1)  # -1 would read as "none"
    write_filter_counts(tmp_path, models, np.arange(len(models)))
    counts = read_filter_counts(tmp_path)
    assert counts is not None and "community" not in counts.codes and "family" in counts.codes
