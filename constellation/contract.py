"""The data contract: where every file lives and what columns it holds.

This is the one place that knows the layout of the data directory. Crawler, build, exports and the app
all go through it, so a path or a column name never has to be spelled twice. `docs/data.md` documents it
for people; `tests/constellation/test_contract.py` keeps the two honest.

    $CONSTELLATION_DATA (else ./data)
    ├── snapshots/
    │   ├── <snapshot-id>.parquet      one row per model (SNAPSHOT_SCHEMA)
    │   ├── <snapshot-id>.json         the manifest: scope, counts, rejected records, timings
    │   └── .staging/                  the crawl in progress: checkpoint and pages; never read by others
    └── atlas/
        ├── LATEST                     the id of the atlas the site shows (newest of the nightly scope)
        ├── PREVIOUS                   the id LATEST named before its last move (kept by prune)
        └── <snapshot-id>/             one build of one snapshot (ATLAS_FILES)

A snapshot id is the crawl's UTC start time, YYYYMMDDTHHMMSSZ, so ids sort in time order.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from constellation.errors import ContractError

DATA_ENV = "CONSTELLATION_DATA"
DEFAULT_DATA_DIR = Path("data")

SNAPSHOT_ID_FORMAT = "%Y%m%dT%H%M%SZ"
_SNAPSHOT_ID_RE = re.compile(r"^\d{8}T\d{6}Z$")

# Relations the Hub writes in `base_model:<relation>:<id>` tags.
RELATIONS: tuple[str, ...] = ("finetune", "adapter", "quantized", "merge")

# Kinds of edge in an atlas: lineage declared by the model's author, lineage inferred by Constellation,
# and name similarity. They are never mixed: every edge row carries its kind.
EDGE_KINDS: tuple[str, ...] = ("declared", "inferred", "similarity")


# --------------------------------------------------------------------------------------------------
# Snapshot ids
# --------------------------------------------------------------------------------------------------


def snapshot_id_for(moment: datetime) -> str:
    """The snapshot id of a crawl that started at `moment` (converted to UTC)."""
    if moment.tzinfo is None:
        raise ContractError("snapshot ids are made from timezone-aware datetimes; got a naive one")
    return moment.astimezone(UTC).strftime(SNAPSHOT_ID_FORMAT)


def parse_snapshot_id(snapshot_id: str) -> datetime:
    """The UTC start time a snapshot id stands for. Raises ContractError on a malformed id."""
    if not isinstance(snapshot_id, str) or not _SNAPSHOT_ID_RE.match(snapshot_id):
        raise ContractError(f"{snapshot_id!r} is not a snapshot id; expected YYYYMMDDTHHMMSSZ, e.g. 20260726T021500Z")
    try:
        return datetime.strptime(snapshot_id, SNAPSHOT_ID_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ContractError(f"{snapshot_id!r} is not a valid date and time: {exc}") from None


# --------------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------------

BASE_MODEL_TYPE = pa.struct([("id", pa.string()), ("relation", pa.string())])
_TS = pa.timestamp("us", tz="UTC")

# One row per model. Missing values stay null, never 0 or "". More columns may be appended later;
# readers select by name.
SNAPSHOT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),  # "owner/name"; a few legacy ids have no owner
        ("author", pa.string()),  # the namespace; null for legacy ids without one
        ("name", pa.string()),  # the part after the owner
        ("downloads", pa.int64()),  # last 30 days
        ("downloads_all_time", pa.int64()),
        ("likes", pa.int64()),
        ("trending_score", pa.float64()),
        ("created_at", _TS),
        ("last_modified", _TS),
        ("pipeline_tag", pa.string()),
        ("library_name", pa.string()),
        ("license", pa.string()),  # from the `license:<x>` tag, else cardData.license
        ("gated", pa.string()),  # "false", "auto" or "manual", as the Hub says it
        ("tags", pa.list_(pa.string())),
        ("base_models", pa.list_(BASE_MODEL_TYPE)),  # declared parents; relation may be null
        ("params_safetensors", pa.int64()),  # safetensors.total
        ("params_gguf", pa.int64()),  # gguf.total
        ("crawled_at", _TS),
    ]
)
SNAPSHOT_COLUMNS: tuple[str, ...] = tuple(SNAPSHOT_SCHEMA.names)


@dataclass(frozen=True)
class AtlasFiles:
    """File names inside `atlas/<snapshot-id>/`. Columns are documented in docs/data.md."""

    models: str = "models.parquet"  # one row per model: ATLAS_MODEL_SCHEMA
    edges: str = "edges.parquet"  # source, target, kind, relation, confidence, weight, evidence
    communities: str = "communities.parquet"  # community, label, size, downloads, ...
    hierarchy: str = "hierarchy"  # folder: linkage matrices for the dendrogram views
    build: str = "build.json"  # config, fingerprint, counts, timings, reports of every stage
    site: str = "site"  # folder: what the site shows of the whole atlas, precomputed (constellation.site_summary)
    reuse: str = "reuse"  # folder: the name state the next build may reuse (constellation/atlas/reuse.py)


ATLAS_FILES = AtlasFiles()

EDGE_COLUMNS: tuple[str, ...] = (
    "source",
    "target",
    "kind",
    "relation",
    "confidence",
    "weight",
    "evidence",
)
EDGE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),  # parent (lineage) or one end (similarity)
        ("target", pa.string()),  # child (lineage) or the other end (similarity)
        ("kind", pa.string()),  # one of EDGE_KINDS
        ("relation", pa.string()),  # one of RELATIONS; null for similarity
        ("confidence", pa.float64()),  # inferred edges only, in [0, 1]
        ("weight", pa.float64()),  # similarity edges only: cosine similarity
        ("evidence", pa.string()),  # inferred edges only: why, in words
    ]
)


# models.parquet of an atlas: the snapshot's columns, then the columns each build stage adds, in this order.
# Stages write their group; readers (store, exports, the site) derive what they need from these schemas.
LINEAGE_SCHEMA = pa.schema(  # constellation.genealogy.declared
    [
        ("parent", pa.string()),  # the primary declared parent (for a merge, the most-downloaded line)
        ("relation", pa.string()),  # relation to `parent`, one of RELATIONS
        ("family", pa.string()),  # root ancestor of the declared lineage (itself for a root)
        ("depth", pa.int32()),  # edges from the root
        ("n_finetune", pa.int64()),  # descendants by the relation of their own edge
        ("n_adapter", pa.int64()),
        ("n_quantized", pa.int64()),
        ("n_merge", pa.int64()),
        ("n_descendants", pa.int64()),
    ]
)
PARAMS_SCHEMA = pa.schema(  # constellation.genealogy.params
    [
        ("params", pa.int64()),  # best estimate of the total parameter count
        ("params_source", pa.string()),  # safetensors, gguf, name, base_model or none
        ("params_from_name", pa.int64()),  # the size the name states
        ("active_params", pa.int64()),  # active parameters of a mixture of experts
        ("params_flag", pa.string()),  # why the metadata was overruled
    ]
)
INFERRED_SCHEMA = pa.schema(  # constellation.genealogy.inferred
    [
        ("inferred_parent", pa.string()),  # only for a model that declares no parent
        ("inferred_relation", pa.string()),
        ("inferred_confidence", pa.float64()),  # in [0, 1]
    ]
)
MAP_SCHEMA = pa.schema(  # constellation.atlas
    [
        ("community", pa.int64()),  # community of the name-similarity graph; 0 is the largest
        ("community_label", pa.string()),
        ("cluster", pa.int64()),  # flat cluster of the hierarchy at the default cut
        ("x", pa.float32()),  # 2-D layout coordinates
        ("y", pa.float32()),
    ]
)
ATLAS_MODEL_SCHEMA = pa.schema([*SNAPSHOT_SCHEMA, *LINEAGE_SCHEMA, *PARAMS_SCHEMA, *INFERRED_SCHEMA, *MAP_SCHEMA])

LINEAGE_COLUMNS: tuple[str, ...] = tuple(LINEAGE_SCHEMA.names)
PARAMS_COLUMNS: tuple[str, ...] = tuple(PARAMS_SCHEMA.names)
INFERRED_COLUMNS: tuple[str, ...] = tuple(INFERRED_SCHEMA.names)
MAP_COLUMNS: tuple[str, ...] = tuple(MAP_SCHEMA.names)
ATLAS_MODEL_COLUMNS: tuple[str, ...] = tuple(ATLAS_MODEL_SCHEMA.names)
# Columns that hold integers. pandas reads an integer column with nulls as float64 (7e9 for 7000000000);
# store.restore_integers turns them back.
ATLAS_INTEGER_COLUMNS: tuple[str, ...] = tuple(f.name for f in ATLAS_MODEL_SCHEMA if pa.types.is_integer(f.type))


# --------------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------------


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: `override`, else $CONSTELLATION_DATA, else ./data."""
    if override is not None:
        return Path(override)
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else DEFAULT_DATA_DIR


@dataclass(frozen=True)
class DataLayout:
    """Every path of the data directory, derived from its root."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @classmethod
    def at(cls, override: str | os.PathLike[str] | None = None) -> DataLayout:
        return cls(data_dir(override))

    # snapshots --------------------------------------------------------------------------------
    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    @property
    def staging(self) -> Path:
        """Work area of a crawl in progress. Nothing outside the crawler reads it."""
        return self.snapshots / ".staging"

    def snapshot(self, snapshot_id: str) -> Path:
        parse_snapshot_id(snapshot_id)
        return self.snapshots / f"{snapshot_id}.parquet"

    def manifest(self, snapshot_id: str) -> Path:
        parse_snapshot_id(snapshot_id)
        return self.snapshots / f"{snapshot_id}.json"

    def snapshot_ids(self) -> list[str]:
        """Ids of published snapshots (both files present), oldest first."""
        if not self.snapshots.is_dir():
            return []
        ids = []
        for path in self.snapshots.glob("*.parquet"):
            sid = path.stem
            if _SNAPSHOT_ID_RE.match(sid) and (self.snapshots / f"{sid}.json").is_file():
                ids.append(sid)
        return sorted(ids)

    @property
    def last_crawl(self) -> Path:
        """How the most recent crawl attempt ended (published, suspect or failed with its exit code): the one
        trace of a crawl that failed before it staged a page."""
        return self.root / "last_crawl.json"

    def latest_snapshot_id(self) -> str | None:
        ids = self.snapshot_ids()
        return ids[-1] if ids else None

    # atlas ------------------------------------------------------------------------------------
    @property
    def atlases(self) -> Path:
        return self.root / "atlas"

    @property
    def latest_pointer(self) -> Path:
        return self.atlases / "LATEST"

    @property
    def previous_pointer(self) -> Path:
        """The id LATEST named before its last move (a running site may still read that atlas)."""
        return self.atlases / "PREVIOUS"

    def previous_atlas_id(self) -> str | None:
        try:
            text = self.previous_pointer.read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return text if _SNAPSHOT_ID_RE.match(text) else None

    def atlas(self, snapshot_id: str) -> Path:
        parse_snapshot_id(snapshot_id)
        return self.atlases / snapshot_id

    def atlas_file(self, snapshot_id: str, name: str) -> Path:
        return self.atlas(snapshot_id) / name

    def latest_atlas_id(self) -> str | None:
        """The id in atlas/LATEST, or None when no build has completed yet."""
        try:
            text = self.latest_pointer.read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):  # atlas/ not a folder: the build's write says so
            return None
        parse_snapshot_id(text)
        if not self.atlas(text).is_dir():
            raise ContractError(f"{self.latest_pointer} points to {text}, but {self.atlas(text)} is missing")
        return text

    def atlas_ids(self) -> list[str]:
        if not self.atlases.is_dir():
            return []
        return sorted(p.name for p in self.atlases.iterdir() if p.is_dir() and _SNAPSHOT_ID_RE.match(p.name))


def empty_snapshot_table() -> pa.Table:
    return SNAPSHOT_SCHEMA.empty_table()
