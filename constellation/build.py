"""`constellation build`: snapshot → atlas. Reads once, runs the pure stages, writes once.

    read snapshot ─► genealogy.annotate ─► atlas.map_atlas ─► atlas_store.write_atlas ─► atlas/LATEST

A build is skipped when `atlas/<id>/build.json` already holds the same fingerprint: the snapshot's content,
the whole build config (genealogy and atlas settings) and the source of this package. build.json records
the three parts separately, so the log can say which one changed when a build runs again.

Nightly reuse: the atlas the site shows (atlas/LATEST) keeps its name state under `reuse/`. When it was
built with the same config and code, the next build reuses its name features and neighbour lists where the
names did not change (constellation/atlas/reuse.py) and computes the rest; `full=True` (`build --full`)
computes everything. build.json records which way a build went: `mode` ("full" or "incremental") and
`reuse` (why, the share of distinct names that changed, the atlas reused). The genealogy always runs in a
forked child (forked_call.py), from the moment the snapshot is read, while this process sets the snapshot's
columns aside and reads the reuse state. When it may reuse the names, this process then computes the name
stage (atlas.map_names: features, kNN, signatures and the names' part of the community graph), which reads the
ids, downloads and likes alone, and reads the last atlas's community seeds: the night's two longest parts take
the two cores. Otherwise it waits for the genealogy before the whole kNN, which takes both cores itself. On a
night that reuses the names, it names the similarity edges' ends while it waits for the genealogy, and what else
the names give that the atlas stage does not read (the kNN's recall check, the name state for the next night, the
site's lookups of the ids alone and its word cloud) goes to a second child, which runs on beside the atlas stage,
where one core is otherwise idle.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from constellation import __version__
from constellation.atlas.config import RUN_ONLY_SETTINGS
from constellation.atlas.reuse import MAX_CHANGE, NameState, state_files, state_from_files
from constellation.atlas.seeds import CommunitySeeds, align_seeds
from constellation.atlas.stage import (
    READS,
    AtlasConfig,
    NamePart,
    map_atlas,
    map_names,
    recall_checked,
    similar_rows,
    similarity_edges,
)
from constellation.contract import ATLAS_FILES, MAP_COLUMNS, DataLayout
from constellation.errors import AtlasError, BuildError, ContractError
from constellation.forked_call import ChildDied, Deferred, ForkedCall
from constellation.genealogy.stage import GenealogyConfig, annotate
from constellation.peak_memory import PeakMeter, give_back_memory, read_status_kb
from constellation.site_downloads import write_downloads
from constellation.site_lookup import (
    SimilarRows,
    id_order,
    stamp_lookup,
    write_id_lookups,
    write_lookup_files,
    write_page_lookups,
)
from constellation.site_summary import word_cloud, write_summary
from constellation.site_trends import write_trends
from constellation.site_views import stamp_views, write_community_views, write_row_views
from constellation.store import (
    AtlasTables,
    nightly_snapshot_id,
    publishes_by_default,
    read_build_info,
    read_community_files,
    read_manifest,
    read_reuse_files,
    read_snapshot,
    resolve_snapshot_id,
    set_latest_atlas,
    split_lists,
    write_atlas,
    write_reuse_files,
    writing,
)

log = logging.getLogger(__name__)

# The whole package, not just genealogy/ and atlas/: a stage's output also depends on what it imports
# (contract, names, store), and following imports by hand would go stale the day someone adds one. Hashing
# ~100 small files takes milliseconds; a needless rebuild after an edit to app/ costs minutes, a wrong skip
# serves a stale atlas without a word.
PACKAGE_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class BuildResult:
    snapshot_id: str
    skipped: bool  # True when an identical build was already there
    models: int
    seconds: float
    info: dict[str, Any]
    published: bool = True  # whether atlas/LATEST now names this atlas


@dataclass(frozen=True)
class BuildConfig:
    """Every setting of a build: the genealogy stage's and the atlas stage's."""

    atlas: AtlasConfig = field(default_factory=AtlasConfig)
    genealogy: GenealogyConfig = field(default_factory=GenealogyConfig)

    def as_dict(self) -> dict[str, Any]:
        return {"atlas": self.atlas.as_dict(), "genealogy": self.genealogy.as_dict()}

    def validate(self) -> None:
        """Raise AtlasError or BuildError naming the first setting out of range."""
        self.atlas.validate()
        if not 0.0 <= self.genealogy.min_confidence <= 1.0:
            raise BuildError(
                f"invalid genealogy config: min_confidence={self.genealogy.min_confidence}: "
                "needs a confidence in [0, 1] (default 0.6)"
            )
        genealogy = self.genealogy
        if not 0.0 < genealogy.target_precision <= 1.0:
            raise BuildError(
                f"invalid genealogy config: target_precision={genealogy.target_precision}: "
                "needs a precision in (0, 1] (default 0.9)"
            )
        if genealogy.calibration_sample < 1 or genealogy.calibration_min_support < 1:
            raise BuildError(
                "invalid genealogy config: calibration needs calibration_sample ≥ 1 and calibration_min_support ≥ 1; "
                f"got {genealogy.calibration_sample} and {genealogy.calibration_min_support}"
            )


@dataclass(frozen=True)
class Fingerprint:
    """What a build depends on, as three sha256 digests; a build is reused only when all three match."""

    snapshot: str  # the snapshot file's bytes
    config: str  # BuildConfig.as_dict(), as sorted JSON
    code: str  # every .py file of the package (code_digest)

    @property
    def combined(self) -> str:
        return hashlib.sha256(f"{self.snapshot}:{self.config}:{self.code}".encode()).hexdigest()

    def as_dict(self) -> dict[str, str]:
        return {**asdict(self), "combined": self.combined}

    def changes_since(self, recorded: Any) -> list[str]:
        """The parts ("snapshot", "config", "code") that differ from a fingerprint read from build.json."""
        if not isinstance(recorded, dict):  # no build yet, or one from before the fingerprint had parts
            return ["snapshot", "config", "code"]
        return [part for part, digest in asdict(self).items() if recorded.get(part) != digest]


def code_digest(root: Path = PACKAGE_ROOT) -> str:
    """sha256 over every .py file under `root`, by relative path and content, in sorted order.

    Relative paths make a copy of the package hash like the original, so tests can edit a copy.
    """
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py"), key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def config_digest(config: BuildConfig) -> str:
    """sha256 of the settings that shape the atlas: the run-only ones (RUN_ONLY_SETTINGS, e.g. the kNN's
    worker count) are left out, so changing them does not rebuild an identical atlas."""
    settings = config.as_dict()
    for name in RUN_ONLY_SETTINGS:
        settings["atlas"].pop(name, None)
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def fingerprint(
    layout: DataLayout, snapshot_id: str, config: BuildConfig, code_root: Path = PACKAGE_ROOT
) -> Fingerprint:
    """The fingerprint of building `snapshot_id` with `config` and the source under `code_root`."""
    with open(layout.snapshot(snapshot_id), "rb") as handle:
        snapshot = hashlib.file_digest(handle, "sha256").hexdigest()
    return Fingerprint(snapshot, config_digest(config), code_digest(code_root))


def previous_names(layout: DataLayout, print_: Fingerprint) -> tuple[NameState | None, str]:
    """The name state of the atlas the site shows, when this build may reuse it; else None and why not."""
    try:
        latest = layout.latest_atlas_id()
    except ContractError as exc:
        return None, f"atlas/LATEST cannot be read ({exc})"
    if latest is None:
        return None, "no atlas was built before"
    try:
        info = read_build_info(layout, latest)
    except ContractError as exc:
        return None, f"the build.json of atlas {latest} cannot be read ({exc})"
    if info is None:
        return None, f"atlas {latest} is incomplete"
    changed = [part for part in print_.changes_since(info.get("fingerprint")) if part != "snapshot"]
    if changed:
        return None, f"the {' and '.join(changed)} changed since atlas {latest} was built"
    try:
        files = read_reuse_files(layout, latest)
        if files is None:
            return None, f"atlas {latest} kept no reuse state (reuse/ is missing)"
        return state_from_files(files), f"atlas {latest}"
    except (ContractError, AtlasError) as exc:  # CorruptFile is a ContractError
        log.warning("the reuse state of atlas %s is damaged, so everything is computed: %s", latest, exc)
        return None, f"the reuse state of atlas {latest} is damaged ({exc})"


def previous_seeds(layout: DataLayout, latest: str, ids: pd.Series) -> CommunitySeeds | None:
    """The communities and tree leaves of atlas `latest` lined up with today's `ids`, for a build that
    reuses its names; None (and a warning) when they are missing or damaged: communities then start afresh."""
    try:
        files = read_community_files(layout, latest)
        if files is None:
            log.warning("atlas %s has no hierarchy to seed communities from", latest)
            return None
        return align_seeds(ids, files["members"], files["unmatched"])
    except (ContractError, AtlasError, KeyError, ValueError) as exc:  # CorruptFile is a ContractError
        log.warning("the communities of atlas %s cannot seed this build, so they start afresh: %s", latest, exc)
        return None


def deduplicate(snapshot: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Keep the last row of each id (the one crawled last). Returns the frame and how many were dropped."""
    repeated = snapshot["id"].duplicated(keep="last").to_numpy(dtype=bool)
    dropped = int(repeated.sum())
    # Most snapshots repeat no id: then no row is copied (at 3M models a copy of every row is GBs and seconds).
    unique = snapshot[~repeated] if dropped else snapshot
    return unique.reset_index(drop=True), dropped


def build(
    layout: DataLayout,
    snapshot_id: str | None = None,
    config: BuildConfig | None = None,
    *,
    force: bool = False,
    publish: bool = False,
    full: bool = False,
    max_change: float = MAX_CHANGE,
    code_root: Path = PACKAGE_ROOT,
) -> BuildResult:
    """Build (or reuse) the atlas of one snapshot and, when it belongs on the site, point atlas/LATEST at it.

    Without `snapshot_id`, the newest `ok` snapshot of the nightly scope (store.nightly_snapshot_id). A named
    snapshot moves LATEST only when it is the newest full listing of the site's scope, when the site shows
    nothing yet, or with `publish=True` (store.publishes_by_default). `code_root` is the source tree hashed
    into the fingerprint; only tests point it elsewhere.

    The name features and neighbour lists of the atlas the site shows are reused where the names did not
    change, when at most `max_change` of the distinct names changed (module docstring); `full=True`
    computes everything.
    """
    config = config or BuildConfig()
    config.validate()
    snapshot_id = nightly_snapshot_id(layout) if snapshot_id is None else resolve_snapshot_id(layout, snapshot_id)
    moves, why = (True, "--publish") if publish else publishes_by_default(layout, snapshot_id)

    def point_latest() -> None:
        if moves:
            set_latest_atlas(layout, snapshot_id)
        else:
            log.warning(
                "atlas/LATEST stays at %s: %s; add --publish to show it on the site", layout.latest_atlas_id(), why
            )

    started = time.perf_counter()
    print_ = fingerprint(layout, snapshot_id, config, code_root)
    existing = read_build_info(layout, snapshot_id)
    changed = print_.changes_since(existing.get("fingerprint") if existing else None)
    if not force and existing is not None and not changed:
        log.info("atlas %s is up to date (same snapshot, config and code); nothing to do", snapshot_id)
        point_latest()
        models = int(existing.get("counts", {}).get("models", 0))
        return BuildResult(snapshot_id, True, models, 0.0, existing, published=moves)
    if force:
        log.info("building atlas %s: forced", snapshot_id)
    elif existing is None:
        log.info("building atlas %s: no earlier build of this snapshot", snapshot_id)
    else:
        log.info("rebuilding atlas %s: the %s changed since the last build", snapshot_id, " and ".join(changed))

    with PeakMeter() as meter:
        info, models = _run_stages(layout, snapshot_id, config, print_, full, max_change, meter)
    point_latest()
    seconds = time.perf_counter() - started
    log.info("atlas %s: %d models in %.1f s → %s", snapshot_id, models, seconds, layout.atlas(snapshot_id))
    return BuildResult(snapshot_id, False, models, seconds, info, published=moves)


def _set_aside(snapshot: pd.DataFrame, folder: Path) -> None:
    """Write the snapshot's columns to Arrow files in `folder`, while the genealogy's child writes the columns
    it adds (`_genealogy_to_files`): a folder of the atlases', on disk (/tmp may be memory), named like
    write_atlas's work folders so `constellation prune` removes it if a build dies. The list columns go to a
    file of their own, so taking them back holds them alone (store.split_lists)."""
    table = _lists_as_objects(pa.Table.from_pandas(snapshot, preserve_index=False))  # as write_atlas converts it
    flat, lists = split_lists(table)
    _write_ipc(folder / _ASIDE[0], flat)
    # In one piece, as converting arrays per row made them: models.parquet's pages, and so its bytes, are the same.
    _write_ipc(folder / _ASIDE[1], lists.combine_chunks())


def _lists_as_objects(table: pa.Table) -> pa.Table:
    """`table` with the pandas metadata of its list columns saying "object", as a frame holding them as arrays
    per row records them. The build reads the snapshot's lists in Arrow (read_snapshot(arrow_lists=True)), yet
    models.parquet must read back as it always has: lists as arrays, not `pd.ArrowDtype`."""
    meta = json.loads(table.schema.metadata[b"pandas"])
    nested = {f.name for f in table.schema if pa.types.is_nested(f.type)}
    for column in meta["columns"]:
        if column["name"] in nested:
            column["numpy_type"] = "object"
    return table.replace_schema_metadata({**table.schema.metadata, b"pandas": json.dumps(meta).encode()})


def _take_back(folder: Path, mapped: pd.DataFrame) -> tuple[pd.DataFrame, pa.Table]:
    """The models set aside in `folder` (the snapshot's columns, then the genealogy's), with the atlas columns
    of `mapped` (map_atlas's models) after them, and their list columns kept in Arrow (AtlasTables.lists): at
    3M models, GBs of Python lists never made."""
    models = _read_models(folder)
    for column in MAP_COLUMNS:
        models[column] = mapped[column].array
    return models, _read_ipc(folder / _ASIDE[1])


def _read_models(folder: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The flat columns of the models set aside in `folder` (or those of `columns` there): the snapshot's, then
    the ones the genealogy added, each converted by its own file's pandas metadata."""
    parts = [_read_ipc(folder / name, columns).to_pandas() for name in (_ASIDE[0], _GENEALOGY)]
    return pd.concat(parts, axis=1)


_ASIDE = ("models.arrow", "lists.arrow")  # the snapshot's flat columns, its list columns
_GENEALOGY = "genealogy.arrow"  # the columns the genealogy stage adds to the snapshot's
_LINEAGE = "lineage.arrow"


def _read_ipc(path: Path, columns: Sequence[str] | None = None) -> pa.Table:
    """The Arrow file at `path`, whole, or its `columns` that exist (read through a memory map: the others
    are never read)."""
    if columns is None:
        with pa.OSFile(str(path), "rb") as source:
            return pa.ipc.open_file(source).read_all()
    with pa.memory_map(str(path), "rb") as source:
        table = pa.ipc.open_file(source).read_all()
        return table.select([c for c in columns if c in table.column_names])


def _write_ipc(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


@dataclass(frozen=True)
class _ChildGenealogy:
    report: dict[str, Any]
    seconds: float
    peak_mb: float | None  # the child's own peak resident memory (VmHWM)


def _genealogy_to_files(snapshot: pd.DataFrame, config: GenealogyConfig, work: Path, what: str) -> _ChildGenealogy:
    """Run in the forked child (_run_stages): the genealogy stage, the columns it adds to the snapshot's and its
    lineage edges written to `work`; only the report comes back. The snapshot's own columns, which the stage
    leaves as they are, the parent sets aside meanwhile (_set_aside)."""
    started = time.perf_counter()
    genealogy = annotate(snapshot, config)
    added = genealogy.models[[c for c in genealogy.models.columns if c not in snapshot.columns]]
    with writing(what, work):
        _write_ipc(work / _GENEALOGY, pa.Table.from_pandas(added, preserve_index=False))
        _write_ipc(work / _LINEAGE, pa.Table.from_pandas(genealogy.edges, preserve_index=False))
    status = read_status_kb()
    return _ChildGenealogy(
        genealogy.report, round(time.perf_counter() - started, 3), round(status[1] / 1024, 1) if status else None
    )


def _beside_genealogy(
    ids: pd.DataFrame,
    wait_for_genealogy: Callable[[], None],
    config: AtlasConfig,
    layout: DataLayout,
    previous: NameState,
    max_change: float,
    meter: PeakMeter,
    timed: Callable[..., Any],
    seeds_from: str | None,
    state: Path,
    what: str,
    children: ExitStack,
) -> _Beside:
    """What a night that reuses yesterday's names works out from the `ids` (id, downloads, likes) while the
    genealogy runs in its child (_Beside): the atlas's name stage (map_names), the site's row order, atlas
    `seeds_from`'s community seeds (when given) and the similarity edges frame. When the names cannot be reused
    after all (too many changed), the genealogy is waited for before the whole kNN starts, so the two never hold
    their memory at once.

    The rest of what the names give, nothing in the atlas stage reads: it goes to a second child, started
    (into `children`) as soon as the name stage ends, which runs on while this process waits for the genealogy
    and maps the atlas, where one core is otherwise idle (_names_beside_atlas)."""
    names = timed(
        "atlas names",
        map_names,
        ids,
        config,
        previous,
        max_change,
        meter,
        before_full=wait_for_genealogy,
        check_recall=False,
    )
    order = timed("site order", id_order, ids)  # the same rows, in the same order, as the atlas's models
    side = children.enter_context(
        ForkedCall(_names_beside_atlas, names, config, state, what, ids["id"], order, what=_NAMES_CHILD)
    )
    seeds = None
    if seeds_from is not None:
        seeds = timed("read community seeds", previous_seeds, layout, seeds_from, ids["id"])
    edges = timed("similarity edges", similarity_edges, ids["id"], names.graph)  # after the fork: not the child's
    return _Beside(names, seeds, order, side, edges)


@dataclass(frozen=True)
class _Beside:
    """What a nightly build works out from the ids while the genealogy runs (_beside_genealogy)."""

    names: NamePart
    seeds: CommunitySeeds | None
    order: np.ndarray  # the site's row order (site_lookup.id_order)
    side: ForkedCall[_ChildNames]  # the child finishing the name stage's work (_names_beside_atlas)
    edges: pd.DataFrame  # the similarity edges (atlas.similarity_edges), for map_atlas


_NAMES_CHILD = "the kNN recall check, the name state, the site's id lookups and word cloud"


@dataclass(frozen=True)
class _ChildNames:
    recall: dict[str, Any] | None  # the kNN's recall report (atlas report's "knn"), when it was checked
    cloud: dict[str, Any]  # the site summary's word cloud (site_summary.word_cloud)
    seconds: dict[str, float]  # each step's wall time
    cpu_s: float  # the steps' CPU time (user + system)
    peak_mb: float | None  # the peak resident memory (VmHWM) of the process they ran in


def _names_beside_atlas(
    names: NamePart, config: AtlasConfig, state: Path, what: str, ids: pd.Series, order: np.ndarray
) -> _ChildNames:
    """Run in a forked child from the end of a nightly name stage (_beside_genealogy): the kNN's recall check
    (atlas.recall_checked), then the name state the next night reuses, which holds its figure, written into
    `state` (for write_atlas to move into the atlas), the site's lookups of the ids alone (into `state`/site/,
    where the site's other lookups join them: _lookups_and_views_to) and the site's word cloud. At 3M models
    they took about 30 s of the build's process; only the report, the cloud and times come back."""
    # Below the genealogy and the atlas stage, which the night waits for: this child takes what they leave of
    # the two cores (the build's process waiting for the genealogy, the atlas stage's single-threaded steps).
    os.nice(10)
    cpu = time.process_time()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    # In one process, on one thread: a daemon child may not fork workers of its own, OpenMP threads hang in a
    # forked child (knn.knn_recall), and it has the one core the build's process leaves meanwhile. The check's
    # figure does not depend on either.
    checked = recall_checked(names, replace(config, knn_workers=1), threads=False)
    seconds["kNN recall check"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    with writing(what, state):
        write_reuse_files(state / ATLAS_FILES.reuse, state_files(checked.names))
    seconds["write reuse state"] = round(time.perf_counter() - started, 3)
    recall = checked.recall
    del checked
    started = time.perf_counter()
    write_id_lookups(state / ATLAS_FILES.site, ids, order, SimilarRows(*similar_rows(names.graph.similar)))
    seconds["site id lookups"] = round(time.perf_counter() - started, 3)
    del names
    started = time.perf_counter()
    cloud = word_cloud(ids, order)
    seconds["site word cloud"] = round(time.perf_counter() - started, 3)
    status = read_status_kb()
    peak = round(status[1] / 1024, 1) if status else None
    return _ChildNames(recall, cloud, seconds, round(time.process_time() - cpu, 3), peak)


def _run_stages(
    layout: DataLayout,
    snapshot_id: str,
    config: BuildConfig,
    print_: Fingerprint,
    full: bool,
    max_change: float,
    meter: PeakMeter,
) -> tuple[dict[str, Any], int]:
    """Read the snapshot, run the stages and write the atlas; returns build.json's content and the model count.
    Each stage's wall time goes to `timings_s`, its peak resident memory to `peak_rss_mb`."""
    manifest = read_manifest(layout, snapshot_id)
    timings: dict[str, float] = {}
    peaks: dict[str, float | None] = {}

    def timed(stage: str, func, *args, **kwargs):
        t0 = time.perf_counter()
        log.info("%s …", stage)
        window = meter.open()
        out = func(*args, **kwargs)
        timings[stage] = round(time.perf_counter() - t0, 3)
        peaks[stage] = window.close()
        log.info("%s done in %.1f s (peak RSS %s MiB)", stage, timings[stage], peaks[stage])
        return out

    snapshot = timed("read snapshot", read_snapshot, layout, snapshot_id, arrow_lists=True)
    snapshot, duplicates = deduplicate(snapshot)
    give_back_memory()  # the Parquet read's pages
    if duplicates:
        log.warning("snapshot %s repeats %d ids; kept the last row of each", snapshot_id, duplicates)
    if snapshot.empty:
        raise BuildError(f"snapshot {snapshot_id} holds no models, so there is nothing to map; crawl again")

    what = f"writing atlas {snapshot_id}"
    with writing(what, layout.atlases):  # a full disk or a bad path: exit 9
        layout.atlases.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{snapshot_id}.models.", suffix=".tmp", dir=layout.atlases))
    children = ExitStack()  # a child started beside the genealogy that outlives it (_beside_genealogy)
    try:
        names_part: NamePart | None = None
        side: ForkedCall[_ChildNames] | None = None
        similar_edges: pd.DataFrame | None = None
        # The folder the name state (reuse/) and the site's id lookups (site/) go to, when written beside the
        # genealogy (_names_beside_atlas).
        state: Path | None = None
        seeds: CommunitySeeds | None = None
        order: np.ndarray | None = None
        cloud: dict[str, Any] | None = None
        # The genealogy runs in a forked child from the start, while this process sets the snapshot's columns
        # aside and reads the reuse state. A night that reuses yesterday's names then runs the name stage
        # (features, kNN, signatures), which reads the ids, downloads and likes alone, beside it: the two take
        # the two cores. A build that computes the names whole waits for the genealogy first, as the full kNN
        # keeps both cores busy and the two peaks would add up.
        with ForkedCall(
            _genealogy_to_files, snapshot, config.genealogy, work, what, what="the genealogy stage"
        ) as genealogy_child:
            with writing(what, work):
                timed("set snapshot aside", _set_aside, snapshot, work)
            ids = snapshot[[c for c in ("id", "downloads", "likes") if c in snapshot.columns]]
            # At 3M models every copy of the rows costs GBs, so each frame is let go as soon as nothing later
            # needs it, and the pages freed memory still holds go back to the system (give_back_memory).
            del snapshot
            give_back_memory()
            previous, source = (None, "--full") if full else timed("read reuse state", previous_names, layout, print_)
            if previous is None:
                log.info("name features and kNN computed whole: %s", source)
            else:
                seeds_from = source.removeprefix("atlas ") if config.atlas.seed_communities else None
                with writing(what, layout.atlases):
                    state = Path(tempfile.mkdtemp(prefix=f".{snapshot_id}.reuse.", suffix=".tmp", dir=layout.atlases))
                beside = _beside_genealogy(
                    ids,
                    genealogy_child.wait,
                    config.atlas,
                    layout,
                    previous,
                    max_change,
                    meter,
                    timed,
                    seeds_from,
                    state,
                    what,
                    children,
                )
                names_part, seeds, order, side = beside.names, beside.seeds, beside.order, beside.side
                similar_edges = beside.edges
                del beside
            del ids
            try:
                genealogy: _ChildGenealogy = timed("genealogy, waited for", genealogy_child.result)
            except ChildDied as exc:
                raise BuildError(f"{exc}; free memory and build again") from None
        timings["genealogy"] = genealogy.seconds
        peaks["genealogy"] = genealogy.peak_mb
        log.info(
            "genealogy (in its own process) done in %.1f s (peak RSS %s MiB)", genealogy.seconds, genealogy.peak_mb
        )
        lineage, genealogy_report = _read_ipc(work / _LINEAGE).to_pandas(), genealogy.report
        give_back_memory()
        # The atlas reads four columns of the models; the others (GBs at 3M, tags and base models among them)
        # wait on disk while the atlas takes their memory, and come back for the write.
        reads = _read_models(work, READS)
        mapped = timed(
            "atlas",
            map_atlas,
            reads,
            lineage,
            config.atlas,
            previous,
            max_change,
            meter,
            seeds,
            names_part,
            similar_edges=similar_edges,
        )
        del reads, seeds, names_part, similar_edges
        if side is not None:
            with writing(what, state or work):  # a write the child could not make, as the build's own would be
                cloud = _join_names_child(side, mapped.report, timed, timings, peaks)
        mapped.models, lists = timed("models back", _take_back, work, mapped.models)
    except BaseException:
        # The child writing the name state into `state` is ended first: removed while it still wrote, the
        # folder came back with what it wrote next, and a failed build left it behind.
        children.close()
        if state is not None:
            shutil.rmtree(state, ignore_errors=True)
        raise
    finally:
        children.close()
        shutil.rmtree(work, ignore_errors=True)
    reused_from = None if previous is None else source.removeprefix("atlas ")
    del previous
    give_back_memory()
    reuse = dict(mapped.report.get("reuse", {}))
    if reused_from is None:
        reuse["why"] = source
    else:
        reuse["previous"] = reused_from
    edges = pd.concat([e for e in (lineage, mapped.edges) if not e.empty] or [lineage])
    del lineage
    mapped.edges = edges.iloc[:0]  # the similarity rows live on in `edges` only
    similar = SimilarRows(*mapped.similar) if mapped.similar is not None else None  # their ends as rows of models
    mapped.similar = None

    info: dict[str, Any] = {
        "snapshot_id": snapshot_id,
        "fingerprint": print_.as_dict(),
        "version": __version__,
        "built_at": datetime.now(UTC).isoformat(),
        "mode": reuse.get("mode", "full"),
        "reuse": reuse,
        # `config` stays the atlas stage's settings, the key the site and the exports read.
        "config": config.atlas.as_dict(),
        "genealogy_config": config.genealogy.as_dict(),
        "synthetic": bool(manifest.get("synthetic", False)),
        "scope": manifest.get("scope"),
        "scope_key": manifest.get("scope_key"),
        "counts": {
            "models": int(len(mapped.models)),
            "duplicate_ids_dropped": int(duplicates),
            "edges": {str(k): int(v) for k, v in edges["kind"].value_counts().items()} if len(edges) else {},
            "communities": int(len(mapped.communities)),
        },
        "reports": {"genealogy": genealogy_report, "atlas": mapped.report},
        "timings_s": timings,
        "peak_rss_mb": peaks,
    }
    names: dict[str, Any] | Path = {}
    if state is not None:
        names = state / ATLAS_FILES.reuse
    elif mapped.names is not None:
        names = state_files(mapped.names)
    tables = AtlasTables(snapshot_id, mapped.models, edges, mapped.communities, info, mapped.hierarchy, names, lists)
    models, communities, hierarchy = mapped.models, mapped.communities, mapped.hierarchy
    listed = {name: lists.column(name).null_count < lists.num_rows for name in lists.column_names}
    if order is None:  # the site's rows by id, sorted once for all its writers
        order = timed("site order", id_order, models)
    # On an incremental night the site's lookups of the model page (those of the ids alone are written already)
    # and community views run in a forked child on the second core while this process writes the atlas, then
    # the summary, the row views (filter counts, scatter), trends and downloads (the summary, trends and
    # downloads read the atlas files' sizes, so they follow its write): at 3M models about half of the tail
    # each. The child writes beside the ids' lookups, and all are moved into site/ and stamped once done. Its writers' own times are stages "site lookups" and "site community views".
    # A full build runs them last, in this process: beside the atlas write, the child's working set took the
    # 3M build's tree from 10.0 to 13.2 GB PSS, over the 12 GB a full build must fit in (docs/benchmarks.md).
    beside = info["mode"] == "incremental"
    ids_written = state is not None  # the site's id lookups, by the child beside the atlas stage
    if state is not None:
        aside = state / ATLAS_FILES.site
    else:
        with writing(what, layout.atlases):
            aside = Path(tempfile.mkdtemp(prefix=f".{snapshot_id}.site.", suffix=".tmp", dir=layout.atlases))
    try:
        with (ForkedCall if beside else Deferred)(
            _lookups_and_views_to,
            aside,
            models,
            edges,
            order,
            similar,
            communities,
            hierarchy,
            ids_written,
            what=_SITE_CHILD,
        ) as child:
            timed("write atlas", write_atlas, layout, tables)
            del tables, names, mapped, lists  # the reuse state and the list columns are written; the site needs neither
            give_back_memory()
            # the site's landing numbers, before LATEST moves
            timed("site summary", write_summary, layout.atlas(snapshot_id), models, listed, order, cloud)
            site = layout.atlas(snapshot_id) / ATLAS_FILES.site  # the other site files go into the same folder
            timed("site row views", write_row_views, site, models, order)  # filter counts, scatter
            timed("site trends", write_trends, site, layout, snapshot_id, models, communities)  # Trends' curves
            # every snapshot by the site's rows: a filtered Trends view sums them instead of joining ids in DuckDB
            timed("site downloads", write_downloads, site, layout, snapshot_id, models, order)
            try:
                with writing(what, aside):  # a write the child could not make, as the build's own would be
                    done: _ChildSite = (
                        timed("site lookups and community views, waited for", child.result)
                        if beside
                        else child.result()
                    )
            except ChildDied as exc:
                raise BuildError(f"{exc}; free memory and build again") from None
        for name in sorted(p.name for p in aside.iterdir()):
            (aside / name).replace(site / name)
    finally:
        shutil.rmtree(aside, ignore_errors=True)
        if state is not None:
            shutil.rmtree(state, ignore_errors=True)
    stamp_lookup(site)
    stamp_views(site)
    timings.update(done.seconds)
    peaks.update(dict.fromkeys(done.seconds, done.peak_mb))
    log.info(
        "%s (%s) done in %.1f s, %.1f s CPU (peak RSS %s MiB)",
        _SITE_CHILD,
        "beside the atlas write and the other site files" if beside else "after the other site files",
        sum(done.seconds.values()),
        done.cpu_s,
        done.peak_mb,
    )
    return info, len(models)


def _join_names_child(
    side: ForkedCall[_ChildNames],
    report: dict[str, Any],
    timed: Callable[..., Any],
    timings: dict[str, float],
    peaks: dict[str, float | None],
) -> dict[str, Any]:
    """Wait for the child finishing the name stage's work (_names_beside_atlas), put its recall report into the
    atlas stage's `report` where map_atlas puts it when it checks the recall itself, and its steps' times into
    the build's; returns the word cloud."""
    try:
        done: _ChildNames = timed(f"{_NAMES_CHILD}, waited for", side.result)
    except ChildDied as exc:
        raise BuildError(f"{exc}; free memory and build again") from None
    if done.recall is not None:
        report["knn"].update(done.recall)
        report["timings_s"]["knn_recall"] = done.recall["recall_seconds"]
        if "peak_rss_mb" in report:  # the child's own peak, as the build's stages run there have
            report["peak_rss_mb"]["knn_recall"] = done.peak_mb
    timings.update(done.seconds)
    peaks.update(dict.fromkeys(done.seconds, done.peak_mb))
    log.info(
        "%s (beside the genealogy and the atlas stage) done in %.1f s, %.1f s CPU (peak RSS %s MiB)",
        _NAMES_CHILD,
        sum(done.seconds.values()),
        done.cpu_s,
        done.peak_mb,
    )
    return done.cloud


_SITE_CHILD = "the site's lookups and community views"


@dataclass(frozen=True)
class _ChildSite:
    seconds: dict[str, float]  # each writer's wall time: "site lookups", "site community views"
    cpu_s: float  # the writers' CPU time (user + system)
    peak_mb: float | None  # the peak resident memory (VmHWM) of the process they ran in


def _lookups_and_views_to(
    folder: Path,
    models: pd.DataFrame,
    edges: pd.DataFrame,
    order: np.ndarray,
    similar: SimilarRows | None,
    communities: pd.DataFrame,
    hierarchy: dict[str, Any],
    ids_written: bool = False,
) -> _ChildSite:
    """The site's lookups and community views into `folder`, unstamped (_run_stages stamps them once they are
    in site/): in a forked child beside the atlas write on an incremental night, where only their times come
    back; in the build's process after the other site files on a full build. With `ids_written`, the lookups of
    the ids alone are already in `folder` (_names_beside_atlas) and only the model page's are written."""
    cpu = time.process_time()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if ids_written:
        write_page_lookups(folder, models, edges, order)
    else:
        write_lookup_files(folder, models, edges, order, similar)
    seconds["site lookups"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    write_community_views(folder, models, communities, hierarchy, order)  # dendrogram, trees, graph
    seconds["site community views"] = round(time.perf_counter() - started, 3)
    status = read_status_kb()
    peak = round(status[1] / 1024, 1) if status else None
    return _ChildSite(seconds, round(time.process_time() - cpu, 3), peak)
