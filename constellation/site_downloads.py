"""Each model's downloads in each snapshot of the atlas's scope, by the site's row: a filtered Trends view
counted with numpy.

The Trends page draws today's top groups of the selection across the snapshots. With a filter set, counting
them meant joining the members' ids (24k–500k strings at 3M) with every snapshot in DuckDB (0.3 s with two
snapshots at 3M, growing with each night kept). The build maps every snapshot's ids to the atlas's rows once
(`write_downloads`): per snapshot, how many of its rows list each model (`<id>.listed.npy`, uint8: a snapshot
may list an id twice, and the live count counts both) and their downloads (`<id>.downloads.npy`, uint32 when
they fit), in the site's id order (site_lookup.id_order), so the page sums the members' rows
(`count_rows`) and reads no snapshot. `downloads.json` names the snapshots held and the models.parquet they
were mapped for.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from constellation.contract import ATLAS_FILES, DataLayout
from constellation.errors import CorruptFile
from constellation.site_lookup import string_array
from constellation.site_summary import group_sums, read_stamped, versioned_fields
from constellation.store import readable_snapshot_files, reading_snapshots, same_scope_snapshot_ids, write_text_atomic

log = logging.getLogger(__name__)

DOWNLOADS_DIR = "downloads"  # inside ATLAS_FILES.site: two .npy files per snapshot
INDEX_FILE = "downloads.json"  # inside ATLAS_FILES.site
VERSION = 1  # bump when the files change: an older folder is then ignored (the page counts in DuckDB)
COUNTED = ["snapshot_id", "group", "models", "downloads"]  # site_trends' counted rows


@dataclass(frozen=True)
class DownloadsIndex:
    """Which snapshots `DOWNLOADS_DIR` holds, for an atlas of `rows` models."""

    rows: int
    snapshot_ids: list[str] = field(default_factory=list)  # oldest first
    models_file_bytes: int | None = None  # size of the models.parquet mapped: a rewritten file voids it
    version: int = VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> DownloadsIndex:
        return cls(**versioned_fields(text, VERSION, "downloads"))


@dataclass(frozen=True)
class SnapshotRows:
    """One snapshot by the atlas's rows: `listed` rows of the snapshot hold each model (0: not listed), with
    `downloads` in total (missing as 0)."""

    listed: np.ndarray
    downloads: np.ndarray


# --------------------------------------------------------------------------------------------------
# Mapping (the build)
# --------------------------------------------------------------------------------------------------


def map_snapshot(con: duckdb.DuckDBPyConnection, path: Path, rows: int) -> SnapshotRows:
    """The snapshot at `path` by the rows of the ids registered in `con` as table `atlas` (id, row)."""
    downloads = "coalesce(s.downloads, 0)" if "downloads" in pq.read_schema(path).names else "0"
    found = con.execute(
        f"SELECT a.row, {downloads} FROM read_parquet(?) AS s JOIN atlas AS a USING (id)", [str(path)]
    ).fetchnumpy()
    at, values = (np.asarray(v, dtype=np.int64) for v in found.values())
    listed = np.bincount(at, minlength=rows)
    if len(at) and int(listed.max()) > np.iinfo(np.uint8).max:
        raise CorruptFile(f"snapshot {path} lists one id {int(listed.max())} times")
    if int(listed.max(initial=0)) <= 1:
        summed = np.zeros(rows, dtype=np.int64)
        summed[at] = values
    else:
        summed = group_sums(at, values, rows)
    small = summed.min(initial=0) >= 0 and summed.max(initial=0) < 2**32  # half the bytes of int64
    return SnapshotRows(listed.astype(np.uint8), summed.astype(np.uint32) if small else summed)


def write_downloads(
    site: Path, layout: DataLayout, snapshot_id: str, models: pd.DataFrame, order: np.ndarray
) -> Path | None:
    """Map every readable snapshot of the scope of atlas `snapshot_id` (holding `models`, `order` its
    `site_lookup.id_order`) to the site's rows into `site`/downloads/ and write `site`/downloads.json; None,
    with a warning and no index, when a snapshot cannot be read (the page then counts in DuckDB)."""
    folder = site / DOWNLOADS_DIR
    (site / INDEX_FILE).unlink(missing_ok=True)  # first: a site reading the old index never meets a missing file
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rows = len(models)
    atlas = pa.table({"id": pc.take(string_array(models["id"]), order), "row": np.arange(rows, dtype=np.int64)})
    files = readable_snapshot_files(layout, same_scope_snapshot_ids(layout, snapshot_id))
    con = duckdb.connect()
    try:
        con.register("atlas", atlas)
        with reading_snapshots(layout):
            for sid, path in files:
                mapped = map_snapshot(con, path, rows)
                np.save(folder / f"{sid}.listed.npy", mapped.listed, allow_pickle=False)
                np.save(folder / f"{sid}.downloads.npy", mapped.downloads, allow_pickle=False)
    except CorruptFile as exc:
        log.warning("wrote no %s: %s", INDEX_FILE, exc)
        return None
    finally:
        con.close()
    index = DownloadsIndex(rows, [sid for sid, _ in files], (site.parent / ATLAS_FILES.models).stat().st_size)
    path = site / INDEX_FILE
    write_text_atomic(path, index.to_json())
    return path


# --------------------------------------------------------------------------------------------------
# Reading and counting (the site)
# --------------------------------------------------------------------------------------------------


class SnapshotDownloads:
    """The build's mapped snapshots of one atlas, each opened (memory-mapped) on first use."""

    def __init__(self, site: Path, index: DownloadsIndex):
        self.folder = site / DOWNLOADS_DIR
        self.index = index
        self._open: dict[str, SnapshotRows] = {}

    def held(self, snapshot_ids: Sequence[str]) -> list[str]:
        """Those of `snapshot_ids` mapped by the build."""
        mapped = set(self.index.snapshot_ids)
        return [s for s in snapshot_ids if s in mapped]

    def rows_of(self, snapshot_id: str) -> SnapshotRows:
        if snapshot_id not in self._open:
            listed, downloads = (
                np.load(self.folder / f"{snapshot_id}.{part}.npy", mmap_mode="r", allow_pickle=False)
                for part in ("listed", "downloads")
            )
            self._open[snapshot_id] = SnapshotRows(listed, downloads)
        return self._open[snapshot_id]


def read_downloads(site: Path) -> SnapshotDownloads | None:
    """`site`/downloads.json and its folder, or None when missing, of another version or of another
    models.parquet (`site_summary.read_stamped`)."""
    index = read_stamped(site / INDEX_FILE, site.parent / ATLAS_FILES.models, DownloadsIndex.from_json)
    return SnapshotDownloads(site, index) if index is not None else None


def count_rows(
    downloads: SnapshotDownloads, snapshot_ids: Sequence[str], rows: np.ndarray, groups: np.ndarray, names: list[str]
) -> pd.DataFrame:
    """The models and downloads of each group in each of `snapshot_ids` (mapped ones), as
    `site_trends.group_downloads_over_snapshots` counts them before `trend_frame`: `rows` (ascending) are the
    members' site rows, `groups` their group (0..len(names)-1), `names` each group's name. A group none of whose
    members a snapshot lists has no row for it; rows are ordered by snapshot, then name."""
    counted: list[list[Any]] = []
    for sid in snapshot_ids:
        mapped = downloads.rows_of(sid)
        listed = np.asarray(mapped.listed[rows], dtype=np.int64)
        models = group_sums(groups, listed, len(names))
        summed = group_sums(groups, np.asarray(mapped.downloads[rows], dtype=np.int64), len(names))
        counted.extend([sid, names[g], int(models[g]), int(summed[g])] for g in np.flatnonzero(models))
    counted.sort(key=lambda r: (r[0], r[1]))
    return pd.DataFrame(counted, columns=COUNTED)
