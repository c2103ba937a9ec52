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

Mapping every snapshot every night cost about 0.4 s of CPU per snapshot at 1M models, so a night grew with
the nights kept (54 by default: about 65 s at 3M). The build therefore carries the previous atlas's mapping
over (`carried_from`): a snapshot it mapped keeps each model's numbers (a snapshot never changes), moved from
yesterday's rows to today's by id, and only the snapshots it did not map (tonight's) are read. An id new to the
atlas may still be listed in an older snapshot (a model removed from the Hub and back): so the folder also maps
every snapshot by the ids that the snapshots list and the atlas does not (`others.arrow`, and `others/` by its
rows), carried over alike, and the files equal a mapping from scratch byte for byte. Without a usable previous
mapping (none, unreadable, another scope, another format, another row order) every snapshot is mapped, and the
log says why.
"""

from __future__ import annotations

import hashlib
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

from constellation import site_lookup
from constellation.contract import ATLAS_FILES, DataLayout
from constellation.errors import ContractError, CorruptFile
from constellation.site_lookup import read_mapped, stamp_current, string_array
from constellation.site_summary import group_sums, read_stamped, versioned_fields
from constellation.store import readable_snapshot_files, reading_snapshots, same_scope_snapshot_ids, write_text_atomic

log = logging.getLogger(__name__)

DOWNLOADS_DIR = "downloads"  # inside ATLAS_FILES.site: two .npy files per snapshot, and OTHERS_FILE
INDEX_FILE = "downloads.json"  # inside ATLAS_FILES.site
OTHERS_FILE = "others.arrow"  # inside DOWNLOADS_DIR: ids held snapshots list and the atlas does not (carry-over)
OTHERS_DIR = "others"  # inside DOWNLOADS_DIR: each snapshot by the rows of OTHERS_FILE (carry-over)
VERSION = 1  # bump when the files change: an older folder is then ignored (the page counts in DuckDB)
CARRY = 1  # bump when OTHERS_FILE or the carried arrays change meaning: an older folder is then mapped whole
COUNTED = ["snapshot_id", "group", "models", "downloads"]  # site_trends' counted rows


@dataclass(frozen=True)
class DownloadsIndex:
    """Which snapshots `DOWNLOADS_DIR` holds, for an atlas of `rows` models."""

    rows: int
    snapshot_ids: list[str] = field(default_factory=list)  # oldest first
    models_file_bytes: int | None = None  # size of the models.parquet mapped: a rewritten file voids it
    version: int = VERSION
    order_digest: str | None = None  # of the row order the arrays follow (`order_digest`), for the carry-over
    carry: int = 0  # CARRY of OTHERS_FILE; 0: written before the carry-over, without it

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


def order_digest(order: np.ndarray) -> str:
    """A digest of a site row order (`site_lookup.id_order`): the carry-over checks that yesterday's arrays
    follow the order of yesterday's ids.arrow."""
    return hashlib.blake2b(np.ascontiguousarray(order, dtype=np.int64).tobytes(), digest_size=16).hexdigest()


# --------------------------------------------------------------------------------------------------
# Mapping one snapshot
# --------------------------------------------------------------------------------------------------


def _downloads_sql(path: Path) -> str:
    return "coalesce(s.downloads, 0)" if "downloads" in pq.read_schema(path).names else "0"


def _arrow(con: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any] | None = None) -> pa.Table:
    table = con.sql(sql, params=parameters).to_arrow_table()
    assert table is not None  # a SELECT always has a result
    return table


def _numbers(at: np.ndarray, values: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """How many hits each of `rows` rows has, and their values summed (int64 both)."""
    listed = np.bincount(at, minlength=rows)
    if int(listed.max(initial=0)) <= 1:
        summed = np.zeros(rows, dtype=np.int64)
        summed[at] = values
    else:
        summed = group_sums(at, values, rows)
    return listed, summed


def packed(listed: np.ndarray, summed: np.ndarray, path: Path) -> SnapshotRows:
    """Counts and sums as the files hold them: uint8 counts, uint32 sums when they fit, else int64."""
    if int(listed.max(initial=0)) > np.iinfo(np.uint8).max:
        raise CorruptFile(f"snapshot {path} lists one id {int(listed.max())} times")
    small = summed.min(initial=0) >= 0 and summed.max(initial=0) < 2**32  # half the bytes of int64
    downloads = summed.astype(np.uint32, copy=False) if small else summed.astype(np.int64, copy=False)
    return SnapshotRows(listed.astype(np.uint8, copy=False), downloads)


def looked_up(con: duckdb.DuckDBPyConnection, path: Path, table: str, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The counts and summed downloads (int64, by row) in the snapshot at `path` of the ids registered in `con`
    as `table` (id, row)."""
    found = con.execute(
        f"SELECT a.row, {_downloads_sql(path)} FROM read_parquet(?) AS s JOIN {table} AS a USING (id)", [str(path)]
    ).fetchnumpy()
    at, values = (np.asarray(v, dtype=np.int64) for v in found.values())
    return _numbers(at, values, rows)


def map_snapshot(con: duckdb.DuckDBPyConnection, path: Path, rows: int) -> SnapshotRows:
    """The snapshot at `path` by the rows of the ids registered in `con` as table `atlas` (id, row)."""
    return packed(*looked_up(con, path, "atlas", rows), path)


def map_with_others(con: duckdb.DuckDBPyConnection, path: Path, rows: int) -> tuple[SnapshotRows, pa.Array, np.ndarray]:
    """`map_snapshot`, and the ids the snapshot lists that `atlas` lacks with their downloads, in one read."""
    found = _arrow(
        con,
        f"SELECT a.row, {_downloads_sql(path)} AS downloads, CASE WHEN a.row IS NULL THEN s.id END AS other "
        "FROM read_parquet(?) AS s LEFT JOIN atlas AS a USING (id)",
        [str(path)],
    )
    inside = pc.is_valid(found["row"])
    outside = pc.invert(inside)
    at = np.asarray(found["row"].filter(inside).to_numpy(), dtype=np.int64)
    values = np.asarray(found["downloads"].filter(inside).to_numpy(), dtype=np.int64)
    others = found["other"].filter(outside).combine_chunks().cast(pa.string())
    other_values = np.asarray(found["downloads"].filter(outside).to_numpy(), dtype=np.int64)
    return packed(*_numbers(at, values, rows), path), others, other_values


# --------------------------------------------------------------------------------------------------
# Yesterday's mapping (the carry-over)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Carried:
    """The mapping of an earlier atlas of the scope: the snapshots it mapped, by `ids`: its site rows' ids (in
    the order of its arrays), then those of its OTHERS_FILE (`atlas_rows` of the first)."""

    atlas_id: str
    folder: Path
    snapshot_ids: frozenset[str]
    ids: pa.Array
    atlas_rows: int

    def rows_of(self, snapshot_id: str) -> tuple[SnapshotRows, SnapshotRows]:
        """Snapshot `snapshot_id` by the site's rows, and by the others' (memory-mapped)."""
        parts = []
        for folder, rows in (
            (self.folder, self.atlas_rows),
            (self.folder / OTHERS_DIR, len(self.ids) - self.atlas_rows),
        ):
            listed, downloads = (
                np.load(folder / f"{snapshot_id}.{part}.npy", mmap_mode="r", allow_pickle=False)
                for part in ("listed", "downloads")
            )
            if len(listed) != rows or len(downloads) != rows:
                raise ValueError(f"{folder / snapshot_id} maps {len(listed)} rows, not {rows}")
            parts.append(SnapshotRows(listed, downloads))
        return parts[0], parts[1]

    def at(self, snapshot_id: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The counts and downloads (int64) of snapshot `snapshot_id` at `rows` of `ids`."""
        atlas, others = self.rows_of(snapshot_id)
        inside = rows < self.atlas_rows
        listed = np.empty(len(rows), dtype=np.int64)
        summed = np.empty(len(rows), dtype=np.int64)
        listed[inside], summed[inside] = atlas.listed[rows[inside]], atlas.downloads[rows[inside]]
        outside = rows[~inside] - self.atlas_rows
        listed[~inside], summed[~inside] = others.listed[outside], others.downloads[outside]
        return listed, summed


def earlier_atlas_id(layout: DataLayout, snapshot_id: str) -> str | None:
    """The atlas whose mapping tonight's build carries over: the one the site shows (the build writes the site
    files before it moves LATEST), or, for a rebuild of that one, the one it showed before."""
    try:
        latest = layout.latest_atlas_id()
    except ContractError:
        latest = None
    return latest if latest not in (None, snapshot_id) else layout.previous_atlas_id()


def carried_from(layout: DataLayout, snapshot_id: str, scope: Sequence[str]) -> tuple[Carried | None, str]:
    """The previous atlas's mapping for atlas `snapshot_id` (whose scope holds the snapshots `scope`), or None
    and why it cannot be carried over."""
    source = earlier_atlas_id(layout, snapshot_id)
    if source is None or source == snapshot_id:
        return None, "no earlier atlas"
    if source not in scope:
        return None, f"atlas {source} is of another scope (or its snapshot is gone)"
    site = layout.atlas(source) / ATLAS_FILES.site
    index = read_stamped(site / INDEX_FILE, site.parent / ATLAS_FILES.models, DownloadsIndex.from_json)
    if index is None:
        return None, f"atlas {source} has no readable {INDEX_FILE} for its models.parquet"
    if index.carry != CARRY or index.order_digest is None:
        return None, f"the {INDEX_FILE} of atlas {source} is of another format (carry {index.carry}, not {CARRY})"
    if not stamp_current(site, site_lookup.VERSION_FILE, site_lookup.VERSION, "lookups"):
        return None, f"the lookups of atlas {source} are missing or stale (its ids.arrow names the rows)"
    try:
        if order_digest(np.load(site / site_lookup.ROW_ORDER_FILE, allow_pickle=False)) != index.order_digest:
            return None, f"the {DOWNLOADS_DIR} of atlas {source} follow another row order than its lookups"
        ids = site_lookup.single_array(read_mapped(site / site_lookup.IDS_FILE)["id"]).cast(pa.string())
        others = read_mapped(site / DOWNLOADS_DIR / OTHERS_FILE)
        both = pa.concat_arrays([ids, site_lookup.single_array(others["id"]).cast(pa.string())])
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        return None, f"the {DOWNLOADS_DIR} of atlas {source} cannot be read ({exc})"
    if len(ids) != index.rows:
        return None, f"the {DOWNLOADS_DIR} of atlas {source} do not match its ids ({len(ids)} ≠ {index.rows} rows)"
    return Carried(source, site / DOWNLOADS_DIR, frozenset(index.snapshot_ids), both, len(ids)), f"atlas {source}"


@dataclass(frozen=True)
class RowMap:
    """Yesterday's rows (`Carried.ids`) to today's `ids`: today's rows `kept` were yesterday's rows `before`
    (an id new to both is listed in no snapshot yesterday mapped); yesterday's rows `gone` are not today's."""

    kept: np.ndarray
    before: np.ndarray
    gone: np.ndarray


def row_map(ids: pa.Array, carried: Carried) -> RowMap:
    at = np.asarray(pc.fill_null(pc.index_in(ids.cast(pa.string()), value_set=carried.ids), -1).to_numpy(), np.int64)
    kept = np.flatnonzero(at >= 0)
    gone = np.ones(len(carried.ids), dtype=bool)
    gone[at[kept]] = False
    return RowMap(kept, at[kept], np.flatnonzero(gone))


def moved(carried: Carried, snapshot_id: str, rows: RowMap, size: int, path: Path) -> SnapshotRows:
    """Snapshot `snapshot_id` as `carried` mapped it, by today's `size` rows."""
    atlas, others = carried.rows_of(snapshot_id)
    # Yesterday's dtypes, not int64: at 3M rows a night moves 5 bytes a model for every snapshot kept.
    listed = np.zeros(size, dtype=np.uint8)
    summed = np.zeros(size, dtype=np.result_type(atlas.downloads.dtype, others.downloads.dtype))
    inside = rows.before < carried.atlas_rows
    kept, before = rows.kept[inside], rows.before[inside]
    listed[kept], summed[kept] = atlas.listed[before], atlas.downloads[before]
    kept, before = rows.kept[~inside], rows.before[~inside] - carried.atlas_rows
    listed[kept], summed[kept] = others.listed[before], others.downloads[before]
    return packed(listed, summed, path)


# --------------------------------------------------------------------------------------------------
# The build's files
# --------------------------------------------------------------------------------------------------


def write_downloads(
    site: Path, layout: DataLayout, snapshot_id: str, models: pd.DataFrame, order: np.ndarray
) -> Path | None:
    """Map every readable snapshot of the scope of atlas `snapshot_id` (holding `models`, `order` its
    `site_lookup.id_order`) to the site's rows into `site`/downloads/ and write `site`/downloads.json; None,
    with a warning and no index, when a snapshot cannot be read (the page then counts in DuckDB). The
    previous atlas's mapping is carried over when it can be (module docstring); the files are the same."""
    folder = site / DOWNLOADS_DIR
    (site / INDEX_FILE).unlink(missing_ok=True)  # first: a site reading the old index never meets a missing file
    ids = pc.take(string_array(models["id"]), order)
    scope = same_scope_snapshot_ids(layout, snapshot_id)
    files = readable_snapshot_files(layout, scope)
    carried, why = carried_from(layout, snapshot_id, scope)
    if carried is None:
        log.info("site downloads: every snapshot mapped whole: %s", why)
    try:
        map_carrying(folder, layout, files, ids, carried)
    except CorruptFile as exc:
        log.warning("wrote no %s: %s", INDEX_FILE, exc)
        return None
    models_bytes = (site.parent / ATLAS_FILES.models).stat().st_size
    index = DownloadsIndex(len(ids), [sid for sid, _ in files], models_bytes, VERSION, order_digest(order), CARRY)
    path = site / INDEX_FILE
    write_text_atomic(path, index.to_json())
    return path


def map_carrying(
    folder: Path, layout: DataLayout, files: list[tuple[str, Path]], ids: pa.Array, carried: Carried | None
) -> None:
    """`map_snapshots` carrying `carried` over, and whole when yesterday's files break while read."""
    if carried is not None:
        try:
            map_snapshots(folder, layout, files, ids, carried)
            return
        except CorruptFile:  # a snapshot's damage: a whole mapping would meet it too
            raise
        except (OSError, ValueError, pa.ArrowException) as exc:
            log.warning(
                "site downloads: every snapshot mapped whole: atlas %s's cannot be read (%s)", carried.atlas_id, exc
            )
    map_snapshots(folder, layout, files, ids, None)


def map_snapshots(
    folder: Path, layout: DataLayout, files: list[tuple[str, Path]], ids: pa.Array, carried: Carried | None
) -> None:
    """Write each snapshot of `files` (oldest first) by the rows of `ids` into `folder` (emptied first), carrying
    over what `carried` mapped, and the ids they list outside `ids` (OTHERS_FILE) with each snapshot by them
    (OTHERS_DIR)."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / OTHERS_DIR).mkdir(parents=True)
    rows = len(ids)
    moves = row_map(ids, carried) if carried is not None else None
    if carried is not None:
        log.info("site downloads: carried over from atlas %s", carried.atlas_id)
    listed_gone = np.zeros(len(moves.gone) if moves is not None else 0, dtype=bool)  # yesterday's, listed still
    outside: dict[str, tuple[pa.Array, np.ndarray]] = {}  # the snapshots read tonight: ids outside, downloads
    con = duckdb.connect()
    try:
        con.register("atlas", pa.table({"id": ids, "row": np.arange(rows, dtype=np.int64)}))
        with reading_snapshots(layout):
            for sid, path in files:
                if carried is not None and moves is not None and sid in carried.snapshot_ids:
                    mapped = moved(carried, sid, moves, rows, path)
                    listed_gone |= carried.at(sid, moves.gone)[0] > 0
                else:
                    mapped, other_ids, other_values = map_with_others(con, path, rows)
                    outside[sid] = (other_ids, other_values)
                np.save(folder / f"{sid}.listed.npy", mapped.listed, allow_pickle=False)
                np.save(folder / f"{sid}.downloads.npy", mapped.downloads, allow_pickle=False)
    finally:
        con.close()
    kept_gone = moves.gone[listed_gone] if moves is not None else np.zeros(0, dtype=np.int64)
    others = sorted_unique(
        [carried.ids.take(pa.array(kept_gone))] if carried is not None else [], [o for o, _ in outside.values()]
    )
    with (
        pa.OSFile(str(folder / OTHERS_FILE), "wb") as sink,
        pa.ipc.new_file(sink, pa.schema([("id", pa.string())])) as writer,
    ):
        writer.write_table(pa.table({"id": others}))
    if carried is not None:
        at = np.asarray(pc.index_in(carried.ids.take(pa.array(kept_gone)), value_set=others).to_numpy(), np.int64)
        still = RowMap(at, kept_gone, np.zeros(0, dtype=np.int64))
    for sid, path in files:
        if sid in outside:
            other_ids, other_values = outside[sid]
            at = np.asarray(pc.index_in(other_ids, value_set=others).to_numpy(), dtype=np.int64)
            mapped = packed(*_numbers(at, other_values, len(others)), path)
        else:
            assert carried is not None  # a snapshot not read tonight was carried
            mapped = moved(carried, sid, still, len(others), path)
        np.save(folder / OTHERS_DIR / f"{sid}.listed.npy", mapped.listed, allow_pickle=False)
        np.save(folder / OTHERS_DIR / f"{sid}.downloads.npy", mapped.downloads, allow_pickle=False)


def sorted_unique(*parts: list[pa.Array]) -> pa.Array:
    """The strings of `parts` once each, sorted (by UTF-8 bytes)."""
    arrays = [a.cast(pa.string()) for group in parts for a in group]
    if not arrays:
        return pa.array([], pa.string())
    unique = pc.unique(pa.concat_arrays(arrays))
    return unique.take(pc.sort_indices(unique))


class MemberRows:
    """Snapshots by the rows of some models of the atlas (`carried_members`), read as SnapshotDownloads reads
    them by the site's rows (`count_rows`)."""

    def __init__(self, mapped: dict[str, SnapshotRows]):
        self.mapped = mapped

    def rows_of(self, snapshot_id: str) -> SnapshotRows:
        return self.mapped[snapshot_id]


def carried_members(layout: DataLayout, snapshot_id: str, ids: pa.Array) -> MemberRows | None:
    """Each readable snapshot of the scope of atlas `snapshot_id` by `ids` (some of its models), carried over from
    the previous atlas's mapping as `write_downloads` carries it (only the snapshots it did not map are read);
    None, and the log says why, when there is none to carry over (the caller then counts in DuckDB)."""
    scope = same_scope_snapshot_ids(layout, snapshot_id)
    carried, why = carried_from(layout, snapshot_id, scope)
    if carried is None:
        log.info("site trends: every snapshot counted whole: %s", why)
        return None
    files = readable_snapshot_files(layout, scope)
    rows = len(ids)
    try:
        moves = row_map(ids, carried)
        mapped: dict[str, SnapshotRows] = {}
        con = duckdb.connect()
        try:
            con.register("atlas", pa.table({"id": ids, "row": np.arange(rows, dtype=np.int64)}))
            with reading_snapshots(layout):
                for sid, path in files:
                    if sid in carried.snapshot_ids:
                        mapped[sid] = moved(carried, sid, moves, rows, path)
                    else:
                        mapped[sid] = map_snapshot(con, path, rows)
        finally:
            con.close()
    except CorruptFile:
        raise
    except (OSError, ValueError, pa.ArrowException) as exc:
        log.warning("site trends: every snapshot counted whole: atlas %s's cannot be read (%s)", carried.atlas_id, exc)
        return None
    log.info("site trends: carried over from atlas %s", carried.atlas_id)
    return MemberRows(mapped)


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
    downloads: SnapshotDownloads | MemberRows,
    snapshot_ids: Sequence[str],
    rows: np.ndarray,
    groups: np.ndarray,
    names: list[str],
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
