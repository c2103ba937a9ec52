import pandas as pd

from constellation.app.data import load_atlas
from constellation.app.overview import atlas_counts, params_text, top_groups
from constellation.contract import DataLayout
from constellation.history import group_downloads_over_snapshots, snapshot_growth
from constellation.site_summary import new_models_per_week
from constellation.site_views import community_labels
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
