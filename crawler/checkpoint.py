"""The staging folder of a crawl in progress: one Parquet part per page, then a checkpoint.

    snapshots/.staging/
    ├── lock                   held (flock) by the running crawl; the kernel drops it if the crawl dies
    ├── checkpoint.json        where the listing stands; rewritten atomically after every page
    └── pages/part-000042.parquet
                               the validated rows of page 42; the page's rejected items ride along in the
                               file's metadata, so a page is one atomic write

Order of writes per page: the part (fsync, rename), then the checkpoint (fsync, rename). A crawl killed in
between leaves a part the checkpoint does not count; the resumed crawl fetches that page again and
overwrites it. So the staged pages are always exactly pages 0..checkpoint.pages-1.

Broken local files never need a human: a checkpoint that is not JSON or has the wrong shape is discarded
with one line (the crawl starts over), and `first_bad_part` finds a staged page that cannot be read back
(cut short, corrupt, another schema) so that the crawl resumes from the page before it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from constellation.contract import SNAPSHOT_SCHEMA, DataLayout, parse_snapshot_id
from constellation.errors import CrawlLocked, StorageError
from constellation.store import atomic_path, write_json_atomic
from crawler.records import LineageRejection, Rejection, ValueFixes

log = logging.getLogger(__name__)

CHECKPOINT_VERSION = 1
_REJECTED_KEY = b"constellation.rejected"
_REJECTED_LINEAGE_KEY = b"constellation.rejected_lineage"
_SEEN_KEY = b"constellation.seen"
_FIXED_KEY = b"constellation.fixed_values"
KEEP_CURSORS = 4  # start URLs of the last pages, for restarting after a rejected cursor


@dataclass
class Checkpoint:
    snapshot_id: str
    scope: dict[str, Any]
    scope_key: str
    endpoint: str
    started_at: str  # ISO UTC; the snapshot id is made from it
    next_url: str | None  # None once the listing has ended
    pages: int = 0  # complete pages staged: parts 0..pages-1
    page_urls: dict[str, str] = field(default_factory=dict)  # page index -> URL it was fetched from (last few)
    seen: int = 0
    stored: int = 0
    rejected: int = 0
    requests: int = 0
    retries: dict[str, int] = field(default_factory=dict)
    cursor_restarts: int = 0
    synthetic: bool = False
    last_page_full: bool = False  # the listing ended on a page as full as asked, without a Link
    runs: int = 1
    active_s: float = 0.0  # seconds spent crawling, summed over runs
    updated_at: str = ""
    version: int = CHECKPOINT_VERSION

    @property
    def done(self) -> bool:
        return self.next_url is None

    def age_s(self, now: datetime) -> float:
        """Seconds since the crawl started: a resumed snapshot never mixes pages further apart than this."""
        return (now - datetime.fromisoformat(self.started_at)).total_seconds()

    def remember_url(self, page_index: int, url: str) -> None:
        self.page_urls[str(page_index)] = url
        for key in sorted(self.page_urls, key=int)[:-KEEP_CURSORS]:
            del self.page_urls[key]


# The type each checkpoint field must have (bool is refused where int is expected).
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "snapshot_id": (str,),
    "scope": (dict,),
    "scope_key": (str,),
    "endpoint": (str,),
    "started_at": (str,),
    "next_url": (str, type(None)),
    "pages": (int,),
    "page_urls": (dict,),
    "seen": (int,),
    "stored": (int,),
    "rejected": (int,),
    "requests": (int,),
    "retries": (dict,),
    "cursor_restarts": (int,),
    "synthetic": (bool,),
    "last_page_full": (bool,),
    "runs": (int,),
    "active_s": (int, float),
    "updated_at": (str,),
    "version": (int,),
}


def checkpoint_from_dict(data: Any) -> Checkpoint:
    """A checkpoint read back from JSON. Raises ValueError naming the first thing of the wrong shape."""
    if not isinstance(data, dict):
        raise ValueError(f"it is a JSON {type(data).__name__}, not an object")
    if data.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"it is of another version ({str(data.get('version'))[:40]})")
    unknown = sorted(set(data) - set(_FIELD_TYPES))
    if unknown:
        raise ValueError(f"unexpected fields {', '.join(unknown)[:80]}")
    for name, types in _FIELD_TYPES.items():
        if name not in data:
            if name in ("snapshot_id", "scope", "scope_key", "endpoint", "started_at", "next_url"):
                raise ValueError(f"field {name} is missing")
            continue
        value = data[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise ValueError(f"field {name} is a {type(value).__name__}")
    checkpoint = Checkpoint(**data)
    if min(checkpoint.pages, checkpoint.seen, checkpoint.stored, checkpoint.rejected) < 0:
        raise ValueError("a count is negative")
    if not all(isinstance(k, str) and k.isdigit() and isinstance(v, str) for k, v in checkpoint.page_urls.items()):
        raise ValueError("page_urls is not a map of page numbers to URLs")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in checkpoint.retries.values()):
        raise ValueError("retries is not a map of counts")
    try:
        parse_snapshot_id(checkpoint.snapshot_id)
        started = datetime.fromisoformat(checkpoint.started_at)
    except ValueError as exc:  # ContractError is a ValueError
        raise ValueError(str(exc)) from None
    if started.tzinfo is None:
        raise ValueError("started_at has no time zone")
    return checkpoint


class Staging:
    """The staging folder of one data directory."""

    def __init__(self, layout: DataLayout) -> None:
        self.root = layout.staging
        self.pages = self.root / "pages"
        self.checkpoint_path = self.root / "checkpoint.json"
        self.lock_path = self.root / "lock"

    # lock ---------------------------------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[None]:
        with storage(f"creating the staging folder {self.root}"):
            self.root.mkdir(parents=True, exist_ok=True)
            handle = open(self.lock_path, "a+")  # noqa: SIM115 (closed by the `with` below)
        # The lock lives as long as the open file: closing it (leaving the block) releases the flock.
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                owner = handle.read().strip() or "unknown"
                raise CrawlLocked(
                    f"another crawl (pid {owner}) is running on {self.root.parent.parent}; wait for it to finish, "
                    "or use another --data-dir"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield

    # checkpoint ---------------------------------------------------------------------------------
    def load(self) -> Checkpoint | None:
        """The checkpoint, or None when there is none or it cannot be used (said in one log line)."""
        try:
            data = json.loads(self.checkpoint_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            log.warning("ignoring an unreadable checkpoint %s (%s); starting over", self.checkpoint_path, exc)
            return None
        except OSError as exc:
            log.warning("ignoring a checkpoint that cannot be read: %s (%s); starting over", self.checkpoint_path, exc)
            return None
        try:
            return checkpoint_from_dict(data)
        except (TypeError, ValueError) as exc:
            log.warning("ignoring a checkpoint of the wrong shape %s (%s); starting over", self.checkpoint_path, exc)
            return None

    def save(self, checkpoint: Checkpoint) -> None:
        checkpoint.updated_at = datetime.now(UTC).isoformat()
        with storage("writing the checkpoint"):
            write_json_atomic(self.checkpoint_path, asdict(checkpoint))

    def clear(self) -> None:
        """Remove the checkpoint and every staged page (the lock file stays: it may be held)."""
        if self.checkpoint_path.is_dir() and not self.checkpoint_path.is_symlink():
            shutil.rmtree(self.checkpoint_path, ignore_errors=True)
        else:
            self.checkpoint_path.unlink(missing_ok=True)
        shutil.rmtree(self.pages, ignore_errors=True)

    # pages --------------------------------------------------------------------------------------
    def part_path(self, page_index: int) -> Path:
        return self.pages / f"part-{page_index:06d}.parquet"

    def write_part(
        self,
        page_index: int,
        table: pa.Table,
        seen: int,
        rejected: list[Rejection],
        rejected_lineage: list[LineageRejection],
        fixed: ValueFixes | None = None,
    ) -> None:
        with storage(f"writing page {page_index}"):
            write_part(self.part_path(page_index), table, seen, rejected, rejected_lineage, fixed)

    def part_paths(self, pages: int) -> list[Path]:
        return [self.part_path(i) for i in range(pages)]

    def first_bad_part(self, pages: int) -> tuple[int, str] | None:
        """The first of parts 0..pages-1 that cannot be read back whole, and why; None if all can.

        Each part is read in full (not only its footer): a resume reads what it will publish."""
        for index, path in enumerate(self.part_paths(pages)):
            reason = part_problem(path)
            if reason is not None:
                return index, reason
        return None

    def drop_parts_from(self, page_index: int) -> None:
        for path in self.pages.glob("part-*.parquet"):
            if int(path.stem.split("-")[1]) >= page_index:
                path.unlink()


@contextmanager
def storage(doing: str) -> Iterator[None]:
    """Disk errors as a StorageError that says what was being written (no traceback for a full disk)."""
    try:
        yield
    except OSError as exc:
        raise StorageError(
            f"{doing} failed: {exc.strerror or exc}. Staged pages are kept; free space or fix permissions on "
            f"{exc.filename or 'the data directory'} and run again to resume."
        ) from None


def write_part(
    path: Path,
    table: pa.Table,
    seen: int,
    rejected: list[Rejection],
    rejected_lineage: list[LineageRejection],
    fixed: ValueFixes | None = None,
) -> None:
    """One page's rows, with how many items it had, what was set aside and what was fixed, in one atomic
    file."""
    metadata = dict(table.schema.metadata or {})
    metadata[_SEEN_KEY] = str(seen).encode()
    metadata[_REJECTED_KEY] = json.dumps([r.to_dict() for r in rejected]).encode()
    metadata[_REJECTED_LINEAGE_KEY] = json.dumps([r.to_dict() for r in rejected_lineage], default=str).encode()
    metadata[_FIXED_KEY] = json.dumps(fixed.to_dict() if fixed is not None else {}).encode()
    with atomic_path(path) as tmp:
        pq.write_table(table.replace_schema_metadata(metadata), tmp)


@dataclass
class PartExtras:
    """What a staged part carries besides its rows."""

    seen: int
    rejected: list[dict[str, Any]]
    rejected_lineage: list[dict[str, Any]]
    fixed: dict[str, Any]  # ValueFixes.to_dict()


def read_part_extras(path: Path) -> PartExtras:
    """Items seen, rejected, rejected lineage and fixed values of one staged part."""
    metadata = pq.read_schema(path).metadata or {}
    return PartExtras(
        seen=int(metadata.get(_SEEN_KEY, b"0")),
        rejected=json.loads(metadata.get(_REJECTED_KEY, b"[]")),
        rejected_lineage=json.loads(metadata.get(_REJECTED_LINEAGE_KEY, b"[]")),
        fixed=json.loads(metadata.get(_FIXED_KEY, b"{}")),
    )


def part_problem(path: Path, schema: pa.Schema = SNAPSHOT_SCHEMA) -> str | None:
    """Why a staged part cannot be used (missing, cut short, corrupt, another schema), or None."""
    if not path.is_file():
        return f"{path.name} is missing"
    try:
        table = pq.read_table(path)
        extras = read_part_extras(path)
    except (OSError, pa.ArrowException, ValueError, TypeError) as exc:  # ValueError: bad JSON, bad seen
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"{path.name} cannot be read ({text[:120]})"
    if not table.schema.equals(schema, check_metadata=False):
        return f"{path.name} does not have the snapshot columns"
    shapes = (extras.rejected, list), (extras.rejected_lineage, list), (extras.fixed, dict)
    if not all(isinstance(value, kind) for value, kind in shapes):
        return f"{path.name} has unreadable metadata"
    if extras.seen < table.num_rows:
        return f"{path.name} says it saw {extras.seen} items but holds {table.num_rows} rows"
    return None
