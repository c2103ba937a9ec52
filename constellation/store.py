"""The one reader and writer of what the pipeline keeps on disk: snapshots, their manifests, atlases.

The crawler writes snapshots through `crawler.publish`; everything else reads them here. An atlas folder,
`atlas/<snapshot-id>/` (layout in docs/data.md), is written whole under a temporary name and renamed into
place; `atlas/LATEST` moves last. The atomic writers at the bottom are the ones the crawler and the exports
use too, so no reader ever sees a half-written file.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from constellation.contract import (
    ATLAS_FILES,
    ATLAS_INTEGER_COLUMNS,
    EDGE_COLUMNS,
    EDGE_SCHEMA,
    SNAPSHOT_COLUMNS,
    DataLayout,
)
from constellation.errors import AtlasNotFound, ContractError, CorruptFile, SnapshotNotFound, WriteFailed

log = logging.getLogger(__name__)


def resolve_snapshot_id(layout: DataLayout, snapshot_id: str | None) -> str:
    """`snapshot_id` if it is published, else the newest one; a clear error when there is none."""
    if snapshot_id is None:
        ids = layout.snapshot_ids()
        if not ids:
            raise SnapshotNotFound(
                f"no snapshot in {layout.snapshots}. Run `make crawl` (real Hub), `make demo` (offline) "
                "or `constellation import FILE` first."
            )
        for candidate in reversed(ids):
            if read_manifest(layout, candidate).get("status", "ok") != "suspect":
                return candidate
            log.warning(
                "skipping snapshot %s: its manifest marks it suspect (the model count dropped); "
                "name it with --snapshot to use it anyway",
                candidate,
            )
        raise SnapshotNotFound(
            f"every snapshot in {layout.snapshots} is marked suspect; name one with --snapshot to use it anyway"
        )
    if not layout.snapshot(snapshot_id).is_file() or not layout.manifest(snapshot_id).is_file():
        known = ", ".join(layout.snapshot_ids()[-5:]) or "none"
        raise SnapshotNotFound(f"snapshot {snapshot_id} is not published in {layout.snapshots} (latest: {known})")
    return snapshot_id


# --------------------------------------------------------------------------------------------------
# Scopes: which snapshots the site may show
# --------------------------------------------------------------------------------------------------


def partial_scope(manifest: dict[str, Any]) -> str | None:
    """Why a snapshot is not a full listing (a trial, filtered or imported one), in words; None when it is.

    A full listing is a crawl of a whole pipeline tag (or of the whole Hub) with no --limit, --author,
    --search or --filter. Manifests without a scope (written before scopes were recorded) count as full.
    """
    scope = manifest.get("scope")
    if not isinstance(scope, dict):
        return None
    if "import" in scope or str(manifest.get("scope_key", "")).startswith("import:"):
        return f"an import ({scope.get('import', 'file')})"
    narrowing = [
        f"--{name} {scope[name]}" for name in ("limit", "author", "search") if scope.get(name) not in (None, "")
    ]
    narrowing += [f"--filter {value}" for value in scope.get("filters") or ()]
    if narrowing:
        return f"a partial crawl ({' '.join(narrowing)})"
    return None


def manifest_or_empty(layout: DataLayout, snapshot_id: str) -> dict[str, Any]:
    """The manifest, or {} when it is missing or unreadable (callers that only classify snapshots)."""
    try:
        return read_manifest(layout, snapshot_id)
    except (OSError, ContractError):
        return {}


def site_scope_key(layout: DataLayout) -> str | None:
    """The scope key of the snapshot behind atlas/LATEST when it is a full listing: the nightly scope.
    None when there is no such atlas yet (then any full listing may become the site's)."""
    try:
        latest = layout.latest_atlas_id()
    except ContractError:
        return None
    if latest is None:
        return None
    manifest = manifest_or_empty(layout, latest)
    if not manifest or partial_scope(manifest) is not None:
        return None
    key = manifest.get("scope_key")
    return key if isinstance(key, str) else None


def in_nightly_scope(manifest: dict[str, Any], site_key: str | None) -> bool:
    """A full listing of the site's scope (any full listing while the site has none)."""
    if partial_scope(manifest) is not None:
        return False
    return site_key is None or manifest.get("scope_key") in (None, site_key)


def not_nightly(manifest: dict[str, Any], site_key: str | None) -> str | None:
    """Why a snapshot is not an `ok` snapshot of the nightly scope, in words; None when it is one."""
    reason = partial_scope(manifest)
    if reason is None and not in_nightly_scope(manifest, site_key):
        reason = "a full listing of another scope than the site's"
    if reason is None and manifest.get("status", "ok") != "ok":
        reason = f"marked {manifest.get('status')}"
    return reason


def same_scope_snapshot_ids(layout: DataLayout, snapshot_id: str) -> list[str]:
    """Published snapshots of the same scope and endpoint as `snapshot_id` (manifest `scope_key`), oldest
    first: the ones whose counts and downloads compare with it (trends, growth). Manifests without a
    scope_key (written before it existed) form one scope."""
    key = manifest_or_empty(layout, snapshot_id).get("scope_key")
    return [sid for sid in layout.snapshot_ids() if manifest_or_empty(layout, sid).get("scope_key") == key]


def publishes_by_default(layout: DataLayout, snapshot_id: str) -> tuple[bool, str]:
    """Whether building `snapshot_id` moves atlas/LATEST without --publish, and why (for the log).

    It does when the site shows nothing yet or already shows this snapshot's atlas (a rebuild), or when the
    snapshot is an `ok` full listing of the site's scope no older than what the site shows. A trial,
    filtered, imported, suspect or older snapshot gets its atlas written, and the site keeps what it shows.
    """
    try:
        latest = layout.latest_atlas_id()
    except ContractError:
        latest = None
    if latest is None:
        return True, "the site shows no atlas yet"
    if snapshot_id == latest:  # a rebuild (--force, new code) of what the site shows: it stays shown
        return True, f"the site already shows atlas {snapshot_id}"
    reason = not_nightly(manifest_or_empty(layout, snapshot_id), site_scope_key(layout))
    if reason is None and snapshot_id < latest:
        reason = f"older than the atlas the site shows ({latest})"
    if reason is not None:
        return False, f"snapshot {snapshot_id} is {reason}"
    return True, f"snapshot {snapshot_id} is the newest of the nightly scope"


def nightly_snapshot_id(layout: DataLayout) -> str:
    """The newest `ok` snapshot of the nightly scope: what `build` builds when no snapshot is named.

    Trial, filtered and imported snapshots, suspect ones and full listings of another scope than the site's
    are passed over, each with a log line; SnapshotNotFound says what there is when nothing qualifies.
    """
    ids = layout.snapshot_ids()
    if not ids:
        return resolve_snapshot_id(layout, None)  # the "no snapshot yet" message
    site_key = site_scope_key(layout)
    passed: list[str] = []
    imports: list[str] = []  # ok imports, newest first
    for candidate in reversed(ids):
        manifest = manifest_or_empty(layout, candidate)
        reason = not_nightly(manifest, site_key)
        if reason is None:
            return candidate
        if reason.startswith("an import") and manifest.get("status", "ok") == "ok":
            imports.append(candidate)
        passed.append(f"{candidate} ({reason})")
        log.info("passing over snapshot %s: %s; name it with --snapshot to build it", candidate, reason)
    if imports and len(imports) == len(ids):
        # A data directory that only holds imports is an analyst's library (`constellation import` then
        # `constellation build`), not a nightly site: its newest import is what there is to build.
        log.info("no crawl in %s, only imports: building the newest, %s", layout.snapshots, imports[0])
        return imports[0]
    raise SnapshotNotFound(
        f"no ok snapshot of the nightly scope (a full listing) in {layout.snapshots}; passed over "
        f"{', '.join(passed[:3])}{' …' if len(passed) > 3 else ''}. Build one of them with --snapshot ID "
        "(add --publish to show it on the site)"
    )


def read_snapshot(
    layout: DataLayout, snapshot_id: str, columns: list[str] | None = None, *, arrow_lists: bool = False
) -> pd.DataFrame:
    """The snapshot as a DataFrame with the contract's columns (extra columns kept). `arrow_lists`: its list
    columns (tags, base_models) as `pd.ArrowDtype` over the file's own buffers instead of an array per row, for
    a reader that takes them in Arrow (the build: 5 s less at 3M models, where the rows' arrays were made and
    then converted back)."""
    path = layout.snapshot(snapshot_id)
    with reading_snapshot(layout, snapshot_id):
        table = pq.read_table(path, columns=columns)
    missing = [c for c in (columns or SNAPSHOT_COLUMNS) if c not in table.column_names]
    if missing:
        raise ContractError(f"{path} lacks the contract's columns {missing}; was it written by another tool?")
    if arrow_lists:
        return table.to_pandas(types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_nested(t) else None)
    return table.to_pandas()


def snapshot_fix(layout: DataLayout, snapshot_id: str) -> str:
    """What to do about a snapshot that cannot be read."""
    return (
        f"restore it from a backup, or delete it and {layout.manifest(snapshot_id).name} (snapshots are immutable: "
        "crawl or import again); `--snapshot ID` builds an older one meanwhile"
    )


def atlas_fix(snapshot_id: str) -> str:
    """What to do about an atlas file that cannot be read."""
    return f"rebuild it with `constellation build --snapshot {snapshot_id} --force`"


def parquet_problem(path: Path) -> str | None:
    """Why `path` is not a readable Parquet file (None when its footer and schema read). Reads the footer
    only, so it is cheap enough to run over every snapshot; damage inside a data page shows on reading."""
    try:
        pq.read_metadata(path)
    except (OSError, pa.ArrowException) as exc:
        return _reason(exc)
    return None


def snapshot_files(layout: DataLayout, ids: Sequence[str] | None = None) -> list[tuple[str, Path]]:
    """(id, path) of the snapshots `ids` (default: every published one), as given."""
    ids = layout.snapshot_ids() if ids is None else list(ids)
    return [(sid, layout.snapshot(sid)) for sid in ids]


def readable_snapshot_files(layout: DataLayout, ids: Sequence[str] | None = None) -> list[tuple[str, Path]]:
    """(id, path) of the snapshots among `ids` (default: all) whose Parquet footer reads. A damaged one is
    left out with a warning naming it and the fix: one bad night must not take years of history down."""
    files = []
    for sid, path in snapshot_files(layout, ids):
        problem = parquet_problem(path)
        if problem is None:
            files.append((sid, path))
        else:
            log.warning("left out snapshot %s: it cannot be read (%s); %s", path, problem, snapshot_fix(layout, sid))
    return files


@contextmanager
def reading_snapshot(layout: DataLayout, snapshot_id: str) -> Iterator[None]:
    """A damaged snapshot file as CorruptFile naming it and the fix, never a pyarrow traceback."""
    path = layout.snapshot(snapshot_id)
    try:
        yield
    except (OSError, pa.ArrowException) as exc:
        raise CorruptFile(
            f"snapshot {path} cannot be read ({_reason(exc)}); {snapshot_fix(layout, snapshot_id)}"
        ) from None


@contextmanager
def reading_snapshots(layout: DataLayout) -> Iterator[None]:
    """Damage that the footer check cannot see (inside a data page) as CorruptFile, not a DuckDB traceback.
    DuckDB's message names the file."""
    try:
        yield
    except (duckdb.IOException, duckdb.InvalidInputException) as exc:  # e.g. a failed decompression
        first = str(exc).strip().splitlines()[0]
        raise CorruptFile(
            f"a snapshot in {layout.snapshots} cannot be read ({first}); restore it from a backup, or delete it "
            "and its manifest"
        ) from None


@contextmanager
def reading_atlas(snapshot_id: str, path: Path) -> Iterator[None]:
    """A damaged atlas file as CorruptFile naming the file and the fix."""
    try:
        yield
    except (OSError, pa.ArrowException, ValueError) as exc:
        if isinstance(exc, ContractError):
            raise
        raise CorruptFile(f"atlas file {path} cannot be read ({_reason(exc)}); {atlas_fix(snapshot_id)}") from None


def _reason(exc: BaseException) -> str:
    """An OS or Arrow error as a short clause: its first line, without the exception's class."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@contextmanager
def writing(what: str, where: Path) -> Iterator[None]:
    """An OSError while writing (disk full, file too large, a file where a folder should be, no permission)
    as a WriteFailed that says what was being written, where, and what to do."""
    try:
        yield
    except OSError as exc:
        place = exc.filename or where
        raise WriteFailed(
            f"{what} failed: {_reason(exc)} ({place}). Nothing half-written was kept; free space, make room "
            "(file size limit) or fix the path or its permissions, then run again"
        ) from None


def read_manifest(layout: DataLayout, snapshot_id: str) -> dict[str, Any]:
    return _read_json(layout.manifest(snapshot_id))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ContractError(f"{path} is not valid JSON: {exc}") from None


# --------------------------------------------------------------------------------------------------
# Atlases
# --------------------------------------------------------------------------------------------------


@dataclass
class AtlasTables:
    snapshot_id: str
    models: pd.DataFrame
    edges: pd.DataFrame
    communities: pd.DataFrame
    build: dict[str, Any]
    hierarchy: dict[str, np.ndarray | pd.DataFrame] = field(default_factory=dict)
    # saved under reuse/ (write_reuse_files); or the folder it was written to already, moved in
    reuse: dict[str, Any] | Path = field(default_factory=dict)
    # The models' list columns (tags, base models) in Arrow, as `split_lists` keeps them; `models` then lacks
    # them. At 3M models they are GBs of Python lists in pandas, and converting them back for the write takes
    # seconds: the build holds them here instead, and `models_table` puts them back in place.
    lists: pa.Table | None = None

    @property
    def synthetic(self) -> bool:
        return bool(self.build.get("synthetic", False))


def edges_table(edges: pd.DataFrame) -> pa.Table:
    """Edges in the contract's column order and types, whatever the stage produced."""
    frame = edges.reindex(columns=list(EDGE_COLUMNS))
    return pa.Table.from_pandas(frame, schema=EDGE_SCHEMA, preserve_index=False)


def split_lists(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """`table` (models, as pa.Table.from_pandas made it) as a table of its flat columns and one of its list
    columns, whose schema keeps the pandas metadata of every column (`models_table` reads it)."""
    nested = [f.name for f in table.schema if pa.types.is_nested(f.type)]
    return table.drop_columns(nested), table.select(nested).replace_schema_metadata(table.schema.metadata)


def models_table(models: pd.DataFrame, lists: pa.Table | None) -> pa.Table:
    """models.parquet's table: `models` with the list columns `split_lists` kept back, each in its place and
    with its pandas metadata, so the file is the one `pa.Table.from_pandas` of the whole frame writes."""
    flat = pa.Table.from_pandas(models, preserve_index=False)
    if lists is None or not lists.num_columns:
        return flat
    meta = json.loads(flat.schema.metadata[b"pandas"])
    before = json.loads(lists.schema.metadata[b"pandas"])["columns"]  # every column split_lists was given
    entries = {c["name"]: c for c in [*before, *meta["columns"]]}
    names = [c["name"] for c in before] + [c for c in flat.column_names if c not in {e["name"] for e in before}]
    arrays = {**{n: flat.column(n) for n in flat.column_names}, **{n: lists.column(n) for n in lists.column_names}}
    fields = {**{f.name: f for f in flat.schema}, **{f.name: f for f in lists.schema}}
    meta["columns"] = [entries[n] for n in names]
    schema = pa.schema([fields[n] for n in names], metadata={b"pandas": json.dumps(meta).encode()})
    return pa.Table.from_arrays([arrays[n] for n in names], schema=schema)


def write_atlas(layout: DataLayout, tables: AtlasTables) -> Path:
    """Write every output of a build, then swap the folder into place. Does not move LATEST."""
    final = layout.atlas(tables.snapshot_id)
    with writing(f"writing atlas {tables.snapshot_id}", layout.atlases):
        layout.atlases.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{tables.snapshot_id}.", suffix=".tmp", dir=layout.atlases))
        try:
            _write_atlas_files(work, tables)
            share_tree(work)
            _swap_in(work, final)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return final


def _write_atlas_files(work: Path, tables: AtlasTables) -> None:
    """Every output of a build into `work`; build.json last, as its presence marks the folder complete."""
    pq.write_table(models_table(tables.models, tables.lists), work / ATLAS_FILES.models)
    pq.write_table(edges_table(tables.edges), work / ATLAS_FILES.edges)
    pq.write_table(pa.Table.from_pandas(tables.communities, preserve_index=False), work / ATLAS_FILES.communities)
    hierarchy_dir = work / ATLAS_FILES.hierarchy
    hierarchy_dir.mkdir()
    for name, value in tables.hierarchy.items():
        if isinstance(value, pd.DataFrame):
            pq.write_table(pa.Table.from_pandas(value, preserve_index=False), hierarchy_dir / f"{name}.parquet")
        else:
            np.save(hierarchy_dir / f"{name}.npy", np.asarray(value), allow_pickle=False)
    if isinstance(tables.reuse, Path):
        tables.reuse.rename(work / ATLAS_FILES.reuse)
    elif tables.reuse:
        write_reuse_files(work / ATLAS_FILES.reuse, tables.reuse)
    (work / ATLAS_FILES.build).write_text(json.dumps(tables.build, indent=2, sort_keys=True, default=str) + "\n")


def write_reuse_files(folder: Path, files: dict[str, Any]) -> None:
    """The reuse state (reuse.state_files) into `folder`: frames as Parquet, sparse matrices as .npz,
    arrays as .npy, the one dict as state.json (written last: the folder is complete when it is there)."""
    folder.mkdir()
    meta: dict[str, Any] | None = None
    for name, value in files.items():
        if isinstance(value, pd.DataFrame):
            pq.write_table(pa.Table.from_pandas(value, preserve_index=False), folder / f"{name}.parquet")
        elif sp.issparse(value):
            sp.save_npz(folder / f"{name}.npz", sp.csr_matrix(value), compressed=False)  # speed over size
        elif isinstance(value, dict):
            meta = value
        else:
            np.save(folder / f"{name}.npy", np.asarray(value), allow_pickle=False)
    (folder / "state.json").write_text(json.dumps(meta or {}, indent=2, sort_keys=True) + "\n")


def read_reuse_files(layout: DataLayout, snapshot_id: str) -> dict[str, Any] | None:
    """The reuse state an atlas saved (the dict `write_reuse_files` was given); None when it saved none.
    A damaged file raises CorruptFile naming it: the build then computes everything (and says why)."""
    folder = layout.atlas(snapshot_id) / ATLAS_FILES.reuse
    if not (folder / "state.json").is_file():
        return None
    files: dict[str, Any] = {}
    for path in sorted(folder.iterdir()):
        with reading_atlas(snapshot_id, path), _unzipping(snapshot_id, path):
            if path.suffix == ".parquet":
                files[path.stem] = pq.read_table(path).to_pandas()
            elif path.suffix == ".npz":
                files[path.stem] = sp.load_npz(path).tocsr()
            elif path.suffix == ".npy":
                files[path.stem] = np.load(path, allow_pickle=False)
            elif path.name == "state.json":
                files["state"] = _read_json(path)
    return files


@contextmanager
def _unzipping(snapshot_id: str, path: Path) -> Iterator[None]:
    """numpy's .npz and .npy readers fail in their own ways on a damaged file; as CorruptFile."""
    try:
        yield
    except (zipfile.BadZipFile, EOFError, KeyError, pickle.UnpicklingError) as exc:
        raise CorruptFile(f"atlas file {path} cannot be read ({exc}); {atlas_fix(snapshot_id)}") from None


def _swap_in(work: Path, final: Path) -> None:
    """Rename the complete `work` folder to `final`; an earlier build of the same id is put back when the
    rename fails, so the id never goes missing."""
    if not final.exists():
        work.rename(final)
        return
    old = final.with_name(f".{final.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    final.rename(old)
    try:
        work.rename(final)
    except OSError:
        old.rename(final)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _nullable_integers(arrow_type: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    """pandas would turn an int64 column with nulls into float64 (7e9 for 7000000000); keep integers."""
    return pd.Int64Dtype() if pa.types.is_integer(arrow_type) else None


def restore_integers(models: pd.DataFrame) -> pd.DataFrame:
    """`models` with the contract's integer columns as nullable Int64 where pandas made them float.

    The build writes some of them as float64 (a pandas column with nulls), so `_nullable_integers` alone,
    which maps Parquet integers, cannot see them.
    """
    out = models
    for name in ATLAS_INTEGER_COLUMNS:
        if name in out.columns and pd.api.types.is_float_dtype(out[name].dtype):
            values = out[name]
            if ((values.dropna() % 1) == 0).all():
                out = out.copy() if out is models else out
                out[name] = values.astype("Int64")
    return out


def _read_parquet(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas(types_mapper=_nullable_integers)


def read_build_info(layout: DataLayout, snapshot_id: str) -> dict[str, Any] | None:
    path = layout.atlas_file(snapshot_id, ATLAS_FILES.build)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):  # no build yet (or atlas/ is not a folder: the write says so)
        return None
    except json.JSONDecodeError as exc:
        raise ContractError(f"{path} is not valid JSON: {exc}") from None


def build_stamp(layout: DataLayout, snapshot_id: str) -> tuple[int, int] | None:
    """(inode, mtime in ns) of the atlas's build.json: changes with every build, the same id rebuilt with
    --force included (write_atlas swaps in a new folder). None when there is no build.json."""
    try:
        stat = layout.atlas_file(snapshot_id, ATLAS_FILES.build).stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def latest_atlas_id(layout: DataLayout) -> str:
    """The id atlas/LATEST names; AtlasNotFound, with the commands to run, when no build has completed."""
    snapshot_id = layout.latest_atlas_id()
    if snapshot_id is None:
        raise AtlasNotFound(
            f"no atlas in {layout.atlases} yet. Run `make demo` for an offline demo, or `make crawl` then `make build`."
        )
    complete_build_info(layout, snapshot_id)
    return snapshot_id


def complete_build_info(layout: DataLayout, snapshot_id: str) -> dict[str, Any]:
    """build.json of the atlas of `snapshot_id`; AtlasNotFound when the build never completed."""
    build = read_build_info(layout, snapshot_id)
    if build is None:
        raise AtlasNotFound(f"atlas {snapshot_id} is incomplete or missing in {layout.atlases}; run `make build`")
    return build


def read_models_file(path: Path, columns: Sequence[str] | None = None, categorical: Sequence[str] = ()) -> pd.DataFrame:
    """A models.parquet, lean: the `columns` it has (every one when None), rows sorted by id, the
    `categorical` strings as pandas categoricals, integers as nullable integers.

    The explorer reads the atlas this way: at 3M models, leaving the tag lists on disk and reading repeated
    strings as dictionaries takes about a third of the memory of `read_atlas`.
    """
    present = pq.read_schema(path).names
    wanted = [c for c in (columns if columns is not None else present) if c in present]
    table = pq.read_table(path, columns=wanted, read_dictionary=[c for c in categorical if c in wanted])
    if "id" in wanted:
        table = table.sort_by("id")
    return table.to_pandas(self_destruct=True, types_mapper=_nullable_integers)


def read_atlas_models(
    layout: DataLayout,
    snapshot_id: str | None = None,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
) -> pd.DataFrame:
    """models.parquet of the atlas of `snapshot_id` (else the one atlas/LATEST points at), as `read_models_file`."""
    snapshot_id = snapshot_id or latest_atlas_id(layout)
    complete_build_info(layout, snapshot_id)
    path = layout.atlas_file(snapshot_id, ATLAS_FILES.models)
    with reading_atlas(snapshot_id, path):
        return read_models_file(path, columns, categorical)


def read_community_files(layout: DataLayout, snapshot_id: str) -> dict[str, Any] | None:
    """What the next build's community seeds need of an atlas (constellation.atlas.seeds): the hierarchy's
    `members` (id, community, leaf, prototype) and `unmatched`, its catch-all community (None when it has
    none). None when the atlas has no hierarchy; a damaged file raises CorruptFile naming it."""
    folder = layout.atlas(snapshot_id)
    paths = {
        "members": folder / ATLAS_FILES.hierarchy / "members.parquet",
        "communities": folder / ATLAS_FILES.communities,
    }
    if not all(path.is_file() for path in paths.values()):
        return None
    columns = {"members": ["id", "community", "leaf", "prototype"], "communities": ["community", "unmatched"]}
    files: dict[str, Any] = {}
    for name, path in paths.items():
        with reading_atlas(snapshot_id, path):
            files[name] = pq.read_table(path, columns=columns[name]).to_pandas()
    flagged = files.pop("communities")
    unmatched = flagged.loc[flagged["unmatched"].to_numpy(dtype=bool), "community"]
    files["unmatched"] = int(unmatched.iloc[0]) if len(unmatched) else None
    return files


def read_atlas(layout: DataLayout, snapshot_id: str | None = None, *, hierarchy: bool = True) -> AtlasTables:
    """The atlas of `snapshot_id`, else the one atlas/LATEST points at."""
    snapshot_id = snapshot_id or latest_atlas_id(layout)
    build = complete_build_info(layout, snapshot_id)
    folder = layout.atlas(snapshot_id)
    hier: dict[str, np.ndarray | pd.DataFrame] = {}

    def read(path: Path) -> Any:
        with reading_atlas(snapshot_id, path):
            return np.load(path, allow_pickle=False) if path.suffix == ".npy" else _read_parquet(path)

    if hierarchy and (folder / ATLAS_FILES.hierarchy).is_dir():
        for path in sorted((folder / ATLAS_FILES.hierarchy).iterdir()):
            if path.suffix in (".npy", ".parquet"):
                hier[path.stem] = read(path)
    return AtlasTables(
        snapshot_id=snapshot_id,
        models=read(folder / ATLAS_FILES.models),
        edges=read(folder / ATLAS_FILES.edges),
        communities=read(folder / ATLAS_FILES.communities),
        build=build,
        hierarchy=hier,
    )


def set_latest_atlas(layout: DataLayout, snapshot_id: str) -> None:
    """Point atlas/LATEST at a complete build. Call only after every output is written.

    The id LATEST named before goes to atlas/PREVIOUS: a running site may still be reading that atlas
    (the similarity edges are opened on first use), so `prune` keeps it until the next move.
    """
    if not layout.atlas(snapshot_id).is_dir():
        raise ContractError(f"cannot point LATEST at {snapshot_id}: {layout.atlas(snapshot_id)} does not exist")
    try:
        before = layout.latest_atlas_id()
    except ContractError:
        before = None
    with writing(f"pointing {layout.latest_pointer} at {snapshot_id}", layout.latest_pointer):
        if before is not None and before != snapshot_id:
            write_text_atomic(layout.previous_pointer, before + "\n")
        write_text_atomic(layout.latest_pointer, snapshot_id + "\n")


def share_tree(root: Path) -> None:
    """Make a folder readable by a site running as another user: folders 0755, files 0644 (tempfile.mkdtemp
    makes 0700). Atlases hold public Hub metadata only, so nothing is lost by letting every user read them."""
    for folder, _, files in os.walk(root):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)


# --------------------------------------------------------------------------------------------------
# Atomic writes: readers see the old file or the new one, never a half-written one.
# --------------------------------------------------------------------------------------------------


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success fsync it and rename it over `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        # mkstemp creates 0600; published files are for every reader (the site may run as another user).
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(target: Path, payload: Any) -> None:
    write_text_atomic(target, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
