"""The carry-over of site/downloads/ from the previous atlas: over several nights (ids removed and back, an id
listed twice, a snapshot pruned, a rebuild) the carried files equal a mapping from scratch byte for byte, and
each reason not to carry maps every snapshot whole and says why."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from constellation import site_downloads, site_lookup, site_trends
from constellation.contract import ATLAS_FILES, EDGE_COLUMNS, DataLayout
from tests.constellation.app.snapshot_rows import write_snapshot

NIGHTS = [f"202611{day:02d}T021500Z" for day in range(1, 8)]
WHOLE = "every snapshot mapped whole"


def _ids(*ranges: range) -> list[str]:
    return [f"org{i % 3}/model-{i:03d}" for r in ranges for i in r]


def _rows(ids: list[str], night: int) -> list[dict]:
    return [{"id": m, "downloads": (i * 7 + night) if i % 5 else None} for i, m in enumerate(ids)]


def _write_atlas(layout: DataLayout, sid: str, ids: list[str]) -> tuple[Path, pd.DataFrame, np.ndarray]:
    """What write_downloads needs of an atlas: models.parquet (ids deduplicated, as the build keeps them),
    edges.parquet and the site's lookups of ids (ids.arrow, row_order.npy, their stamp)."""
    folder = layout.atlas(sid)
    site = folder / ATLAS_FILES.site
    site.mkdir(parents=True, exist_ok=True)
    models = pd.DataFrame({"id": list(dict.fromkeys(reversed(ids)))[::-1]})
    models.to_parquet(folder / ATLAS_FILES.models)
    pd.DataFrame({"source": [], "target": []}).to_parquet(folder / ATLAS_FILES.edges)
    order = site_lookup.id_order(models)
    site_lookup.write_lookup(site, models, pd.DataFrame(columns=list(EDGE_COLUMNS)), order)  # ids.arrow, row order
    return site, models, order


def _night(roots: tuple[Path, Path], sid: str, rows: list[dict], publish: bool = True) -> None:
    """Tonight's snapshot and atlas in both data dirs, the downloads of `carried` carried over from its LATEST
    and those of `scratch` mapped whole (it has no LATEST); the files must be the same."""
    carried, scratch = (DataLayout(r) for r in roots)
    for layout in (carried, scratch):
        if not layout.snapshot(sid).exists():
            write_snapshot(layout, sid, rows)
        site, models, order = _write_atlas(layout, sid, [r["id"] for r in rows])
        assert site_downloads.write_downloads(site, layout, sid, models, order) is not None
    _assert_same(carried, scratch, sid)
    if publish:
        _publish(carried, sid)


def _publish(layout: DataLayout, sid: str) -> None:
    """Move atlas/LATEST to `sid`, as the build does after the site's files."""
    latest = layout.latest_atlas_id()
    if latest is not None and latest != sid:
        layout.previous_pointer.write_text(latest)
    layout.latest_pointer.write_text(sid)


def _assert_same(carried: DataLayout, scratch: DataLayout, sid: str) -> None:
    """The downloads folders and indexes of atlas `sid` in both data dirs hold the same files, byte for byte."""
    a, b = (layout.atlas(sid) / ATLAS_FILES.site for layout in (carried, scratch))
    assert (a / site_downloads.INDEX_FILE).read_bytes() == (b / site_downloads.INDEX_FILE).read_bytes()
    files = [{p.relative_to(f): p.read_bytes() for p in (f / "downloads").rglob("*") if p.is_file()} for f in (a, b)]
    assert sorted(files[0]) == sorted(files[1])
    for name, content in files[1].items():
        assert files[0][name] == content, name


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "carried", tmp_path / "scratch"


def test_carried_nights_equal_a_mapping_from_scratch(roots, caplog):
    caplog.set_level(logging.INFO, logger="constellation.site_downloads")
    first = _ids(range(0, 40))
    twice = [{"id": first[1], "downloads": 5}, {"id": first[10], "downloads": None}]  # ids listed twice
    _night(roots, NIGHTS[0], _rows(first, 0) + twice)
    assert "no earlier atlas" in caplog.text
    second = _ids(range(5, 40), range(40, 48))  # 0–4 removed, 40–47 new
    _night(roots, NIGHTS[1], _rows(second, 1))
    assert f"carried over from atlas {NIGHTS[0]}" in caplog.text
    third = _ids(range(0, 3), range(8, 40), range(48, 50))  # 0–2 back (listed in night 0), 5–7 and 40–47 gone
    _night(roots, NIGHTS[2], _rows(third, 2) + [{"id": third[-1], "downloads": 2**33}])  # twice, beyond uint32
    fourth = _ids(range(0, 3), range(5, 8), range(9, 40), range(40, 44))  # 5–7 and 40–43 back
    _night(roots, NIGHTS[3], _rows(fourth, 3))
    assert f"carried over from atlas {NIGHTS[2]}" in caplog.text
    carried = DataLayout(roots[0])
    downloads = np.load(carried.atlas(NIGHTS[2]) / "site/downloads" / f"{NIGHTS[2]}.downloads.npy")
    assert downloads.dtype == np.int64 and int(downloads.max()) > 2**32
    listed = np.load(carried.atlas(NIGHTS[3]) / "site/downloads" / f"{NIGHTS[0]}.listed.npy")
    assert int((listed == 2).sum()) == 2  # listed twice in night 0: one carried three nights, one back

    for root in roots:  # night 0 pruned: ids listed there alone are listed nowhere now
        layout = DataLayout(root)
        layout.snapshot(NIGHTS[0]).unlink()
        layout.manifest(NIGHTS[0]).unlink()
    fifth = _ids(range(3, 5), range(9, 40), range(44, 46))  # 3–4 back, last listed in the pruned night
    _night(roots, NIGHTS[4], _rows(fifth, 4))
    index = json.loads((carried.atlas(NIGHTS[4]) / "site" / site_downloads.INDEX_FILE).read_text())
    assert index["snapshot_ids"] == NIGHTS[1:5]
    caplog.clear()
    _night(roots, NIGHTS[4], _rows(fifth, 4))  # a rebuild of the atlas the site shows carries from PREVIOUS
    assert f"carried over from atlas {NIGHTS[3]}" in caplog.text


def _two_nights(roots: tuple[Path, Path]) -> list[dict]:
    _night(roots, NIGHTS[0], _rows(_ids(range(0, 30)), 0))
    return _rows(_ids(range(4, 30), range(30, 34), range(0, 2)), 1)


def _break_index(site: Path) -> None:
    (site / site_downloads.INDEX_FILE).write_text("{not json")


def _older_format(site: Path) -> None:
    index = json.loads((site / site_downloads.INDEX_FILE).read_text())
    del index["carry"], index["order_digest"]
    (site / site_downloads.INDEX_FILE).write_text(json.dumps(index))


def _damage_arrays(site: Path) -> None:
    (site / site_downloads.DOWNLOADS_DIR / f"{NIGHTS[0]}.listed.npy").write_bytes(b"not numpy")


def _drop_others(site: Path) -> None:
    (site / site_downloads.DOWNLOADS_DIR / site_downloads.OTHERS_FILE).unlink()


def _reorder(site: Path) -> None:
    order = np.load(site / site_lookup.ROW_ORDER_FILE)
    np.save(site / site_lookup.ROW_ORDER_FILE, order[::-1], allow_pickle=False)


def _stale_lookups(site: Path) -> None:
    (site / site_lookup.VERSION_FILE).write_text("0\n0 0\n")


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda site: (site / site_downloads.INDEX_FILE).unlink(), "has no readable downloads.json"),
        (_break_index, "has no readable downloads.json"),
        (_older_format, "of another format"),
        (_damage_arrays, "cannot be read"),
        (_drop_others, "cannot be read"),
        (_reorder, "another row order"),
        (_stale_lookups, "lookups of atlas"),
    ],
)
def test_each_reason_not_to_carry_maps_whole(roots, caplog, damage, why):
    tonight = _two_nights(roots)
    damage(DataLayout(roots[0]).atlas(NIGHTS[0]) / ATLAS_FILES.site)
    caplog.set_level(logging.INFO, logger="constellation.site_downloads")
    _night(roots, NIGHTS[1], tonight)
    assert WHOLE in caplog.text and why in caplog.text


def test_an_atlas_of_another_scope_is_not_carried(roots, caplog):
    tonight = _two_nights(roots)
    for root in roots:
        manifest = DataLayout(root).manifest(NIGHTS[1])
        write_snapshot(DataLayout(root), NIGHTS[1], tonight)
        manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "scope_key": "other"}))
    caplog.set_level(logging.INFO, logger="constellation.site_downloads")
    _night(roots, NIGHTS[1], tonight)
    assert "of another scope" in caplog.text
    index = json.loads((DataLayout(roots[0]).atlas(NIGHTS[1]) / "site" / site_downloads.INDEX_FILE).read_text())
    assert index["snapshot_ids"] == [NIGHTS[1]]


def test_a_snapshot_damaged_inside_writes_no_index(roots, monkeypatch):
    tonight = _two_nights(roots)
    layout = DataLayout(roots[0])
    write_snapshot(layout, NIGHTS[1], tonight)
    pq.write_table(pa.table({"id": ["org0/model-000"] * 300}), layout.snapshot(NIGHTS[1]))  # one id 300 times
    site, models, order = _write_atlas(layout, NIGHTS[1], [r["id"] for r in tonight])
    assert site_downloads.write_downloads(site, layout, NIGHTS[1], models, order) is None
    assert not (site / site_downloads.INDEX_FILE).exists()


def test_yesterday_s_folder_is_left_as_it_was(roots):
    tonight = _two_nights(roots)
    before = DataLayout(roots[0]).atlas(NIGHTS[0]) / "site"
    files = {p: p.read_bytes() for p in before.rglob("*") if p.is_file()}
    _night(roots, NIGHTS[1], tonight)
    assert {p: p.read_bytes() for p in before.rglob("*") if p.is_file()} == files
    shutil.rmtree(roots[1])


def _models(ids: list[str]) -> pd.DataFrame:
    """An atlas's models as the Trends counts read them: families by owner, communities by number."""
    unique = list(dict.fromkeys(ids))
    numbers = np.array([int(m.rsplit("-", 1)[1]) for m in unique])
    return pd.DataFrame(
        {
            "id": unique,
            "family": [m.split("/")[0] for m in unique],
            "community": numbers % 4,
            "downloads": numbers * 3,
            "likes": numbers % 7,
        }
    )


def test_trends_counted_from_carried_rows_equal_the_duckdb_count(roots, caplog):
    nights = [
        _rows(_ids(range(0, 40)), 0) + [{"id": "org1/model-001", "downloads": 5}],
        _rows(_ids(range(5, 48)), 1),
        _rows(_ids(range(0, 3), range(8, 50)), 2),  # 0–2 back from night 0
    ]
    labels = pd.Series({0: "zero", 1: "one", 2: "two", 3: "three"})
    caplog.set_level(logging.INFO, logger="constellation.site_downloads")
    for night, rows in enumerate(nights):
        _night(roots, NIGHTS[night], rows, publish=False)  # the trends are counted before LATEST moves
        models = _models([r["id"] for r in rows])
        carried, scratch = (site_trends.count_trends(DataLayout(r), NIGHTS[night], models, labels, 2) for r in roots)
        assert carried == scratch
        assert set(carried.counts) == {"family", "community"} and carried.counts["family"]
        _publish(DataLayout(roots[0]), NIGHTS[night])
    assert f"site trends: carried over from atlas {NIGHTS[1]}" in caplog.text


def test_the_build_carries_the_previous_atlas_over(tmp_path, caplog):
    """Two real builds: the second carries the first's folder over (its lookups name the rows), and its files
    equal those that the same data dir without atlas/LATEST maps from scratch."""
    from constellation.build import build
    from tests.constellation.app.snapshot_rows import snapshot_rows

    layout = DataLayout(tmp_path / "data")
    earlier = [r for r in snapshot_rows(seed=1, scale=0.5) if not r["id"].endswith("-merge-3")]
    write_snapshot(layout, NIGHTS[0], [*earlier, {**earlier[0], "downloads": 7}])
    build(layout, NIGHTS[0])
    write_snapshot(layout, NIGHTS[1], snapshot_rows(seed=0))
    caplog.set_level(logging.INFO, logger="constellation.site_downloads")
    build(layout, NIGHTS[1])
    assert f"site downloads: carried over from atlas {NIGHTS[0]}" in caplog.text
    assert f"site trends: carried over from atlas {NIGHTS[0]}" in caplog.text
    bare = DataLayout(tmp_path / "bare")
    (bare.root / "atlas").mkdir(parents=True)
    (bare.root / "snapshots").symlink_to(layout.snapshots)
    shutil.copytree(layout.atlas(NIGHTS[1]), bare.atlas(NIGHTS[1]))
    models = pd.read_parquet(layout.atlas_file(NIGHTS[1], ATLAS_FILES.models))
    site = bare.atlas(NIGHTS[1]) / ATLAS_FILES.site
    assert site_downloads.write_downloads(site, bare, NIGHTS[1], models, site_lookup.id_order(models)) is not None
    _assert_same(layout, bare, NIGHTS[1])
    communities = pd.read_parquet(layout.atlas_file(NIGHTS[1], ATLAS_FILES.communities))
    assert site_trends.write_trends(site, bare, NIGHTS[1], models, communities) is not None  # counted in DuckDB
    carried_trends = (layout.atlas(NIGHTS[1]) / ATLAS_FILES.site / site_trends.TRENDS_FILE).read_bytes()
    assert (site / site_trends.TRENDS_FILE).read_bytes() == carried_trends
