"""History across snapshots, queried with DuckDB over the snapshot files."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from constellation.contract import DataLayout
from constellation.errors import SnapshotNotFound
from constellation.history import model_history, snapshot_diff
from crawler.importer import import_file


@pytest.fixture
def layout_with_three_snapshots(tmp_path) -> DataLayout:
    layout = DataLayout.at(tmp_path / "data")
    nights = {
        "2026-07-24": [("a/one", 10, 1), ("b/two", 5, 0)],
        "2026-07-25": [("a/one", 12, 2), ("b/two", 6, 0), ("c/three", 1, 0)],
        "2026-07-26": [("a/one", 15, 4), ("c/three", 2, 1)],
    }
    for day, models in nights.items():
        path = tmp_path / f"{day}.jsonl"
        path.write_text("".join(f'{{"id": "{i}", "downloads": {d}, "likes": {n}}}\n' for i, d, n in models))
        import_file(layout, path, as_of=datetime.fromisoformat(day).replace(tzinfo=UTC))
    return layout


def test_model_history_lists_every_snapshot_oldest_first(layout_with_three_snapshots):
    frame = model_history(layout_with_three_snapshots, "a/one")
    assert list(frame.columns) == ["snapshot_id", "date", "downloads", "likes"]
    assert frame["snapshot_id"].tolist() == ["20260724T000000Z", "20260725T000000Z", "20260726T000000Z"]
    assert frame["date"].tolist() == [pd.Timestamp(f"2026-07-{d}", tz="UTC") for d in (24, 25, 26)]
    assert frame["downloads"].tolist() == [10, 12, 15] and frame["likes"].tolist() == [1, 2, 4]


def test_model_history_skips_snapshots_without_the_model(layout_with_three_snapshots):
    assert model_history(layout_with_three_snapshots, "b/two")["snapshot_id"].tolist() == [
        "20260724T000000Z", "20260725T000000Z",
    ]  # fmt: skip
    empty = model_history(layout_with_three_snapshots, "nobody/none")
    assert empty.empty and list(empty.columns) == ["snapshot_id", "date", "downloads", "likes"]


def test_model_history_of_an_empty_data_dir_is_empty(tmp_path):
    assert model_history(DataLayout.at(tmp_path), "a/one").empty


def test_snapshot_diff_names_models_that_came_and_went(layout_with_three_snapshots):
    layout = layout_with_three_snapshots
    assert snapshot_diff(layout, "20260724T000000Z", "20260726T000000Z") == (["c/three"], ["b/two"])
    assert snapshot_diff(layout, "20260725T000000Z", "20260726T000000Z") == ([], ["b/two"])


def test_snapshot_diff_of_an_unknown_snapshot_is_a_clear_error(layout_with_three_snapshots):
    with pytest.raises(SnapshotNotFound, match="snapshot 20990101T000000Z is not published"):
        snapshot_diff(layout_with_three_snapshots, "20260724T000000Z", "20990101T000000Z")


def test_history_reads_the_paper_snapshot_with_its_extra_column(tmp_path):
    layout = DataLayout.at(tmp_path / "data")
    csv = tmp_path / "paper.csv"
    csv.write_text(",Unnamed: 0,rank,model_name,link,downloads,likes,ReadMeLink,params_millions\n"
                   "0,0,1,one,https://huggingface.co/a/one,100.0,3.0,x,7000.0\n")  # fmt: skip
    import_file(layout, csv)
    path = tmp_path / "later.jsonl"
    path.write_text('{"id": "a/one", "downloads": 900, "likes": 30}\n')
    import_file(layout, path, as_of=datetime(2026, 7, 26, tzinfo=UTC))
    assert model_history(layout, "a/one")["downloads"].tolist() == [100, 900]


def test_all_names_every_public_function_sorted():
    import inspect

    import constellation.history as history

    public = [
        name
        for name, value in vars(history).items()
        if not name.startswith("_") and inspect.isfunction(value) and value.__module__ == history.__name__
    ]
    assert history.__all__ == sorted(history.__all__)
    assert set(public) | {"HISTORY_COLUMNS"} == set(history.__all__)
