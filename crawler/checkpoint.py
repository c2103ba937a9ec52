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

from constellation.contract import DataLayout, atomic_path, write_json_atomic
from crawler.errors import CrawlLocked, StorageError
from crawler.records import LineageRejection, Rejection

log = logging.getLogger(__name__)

CHECKPOINT_VERSION = 1
_REJECTED_KEY = b"constellation.rejected"
_REJECTED_LINEAGE_KEY = b"constellation.rejected_lineage"
_SEEN_KEY = b"constellation.seen"
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
        self.root.mkdir(parents=True, exist_ok=True)
        # The lock lives as long as the open file: closing it (leaving the block) releases the flock.
        with open(self.lock_path, "a+") as handle:
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
        try:
            data = json.loads(self.checkpoint_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            log.warning("ignoring an unreadable checkpoint %s (%s); starting over", self.checkpoint_path, exc)
            return None
        if data.get("version") != CHECKPOINT_VERSION:
            log.warning("ignoring a checkpoint of another version (%s); starting over", data.get("version"))
            return None
        try:
            return Checkpoint(**data)
        except TypeError as exc:
            log.warning("ignoring a checkpoint with unexpected fields (%s); starting over", exc)
            return None

    def save(self, checkpoint: Checkpoint) -> None:
        checkpoint.updated_at = datetime.now(UTC).isoformat()
        with storage("writing the checkpoint"):
            write_json_atomic(self.checkpoint_path, asdict(checkpoint))

    def clear(self) -> None:
        """Remove the checkpoint and every staged page (the lock file stays: it may be held)."""
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
    ) -> None:
        with storage(f"writing page {page_index}"):
            write_part(self.part_path(page_index), table, seen, rejected, rejected_lineage)

    def part_paths(self, pages: int) -> list[Path]:
        return [self.part_path(i) for i in range(pages)]

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
) -> None:
    """One page's rows, with how many items it had and what was set aside, in one atomic file."""
    metadata = dict(table.schema.metadata or {})
    metadata[_SEEN_KEY] = str(seen).encode()
    metadata[_REJECTED_KEY] = json.dumps([r.to_dict() for r in rejected]).encode()
    metadata[_REJECTED_LINEAGE_KEY] = json.dumps([r.to_dict() for r in rejected_lineage], default=str).encode()
    with atomic_path(path) as tmp:
        pq.write_table(table.replace_schema_metadata(metadata), tmp)


def read_part_extras(path: Path) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """(items seen, rejected, rejected lineage) of one staged part."""
    metadata = pq.read_schema(path).metadata or {}
    seen = int(metadata.get(_SEEN_KEY, b"0"))
    rejected = json.loads(metadata.get(_REJECTED_KEY, b"[]"))
    lineage = json.loads(metadata.get(_REJECTED_LINEAGE_KEY, b"[]"))
    return seen, rejected, lineage
