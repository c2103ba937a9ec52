"""`constellation import FILE`: turn an external model list into a published snapshot.

Two inputs:
- the Constellation paper's CSV (Gao & Gao 2023, ../shared/data/constellation/): 15,821 text-generation
  models as of 2023-07-19, with `link`, `downloads`, `likes` and the authors' `params_millions`;
- a JSONL (or JSONL.gz) dump of `/api/models` records, validated exactly as the crawl validates pages.

`params_millions` is the paper's regex guess from the name, not a count: it goes into an extra column,
`paper_params_millions`, never into `params_safetensors`/`params_gguf`.

It also reads the reference model lists of ../shared/data (`load_reference_snapshots`) into snapshot-shaped
frames in memory, so `constellation evaluate` can score real Hub metadata without a crawl.
"""

from __future__ import annotations

import ast
import contextlib
import gzip
import hashlib
import io
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import huggingface_hub
import pandas as pd
import pyarrow as pa

import constellation
from constellation.contract import SNAPSHOT_SCHEMA, DataLayout, snapshot_id_for
from constellation.errors import ImportFailed, WriteFailed
from constellation.store import writing
from crawler.checkpoint import write_part
from crawler.publish import publish
from crawler.records import ConvertedPage, Rejection, convert_items, is_model_id, snapshot_frame_from_records

log = logging.getLogger(__name__)

FORMATS = ("constellation-csv", "jsonl")
PAPER_AS_OF = datetime(2023, 7, 19, tzinfo=UTC)  # the paper's crawl (SOURCE.md)
PAPER_COLUMNS = ("link", "downloads", "likes")
PAPER_PARAMS_COLUMN = "paper_params_millions"
PAPER_SCHEMA = SNAPSHOT_SCHEMA.append(pa.field(PAPER_PARAMS_COLUMN, pa.float64()))
HUB_URL_PREFIXES = ("https://huggingface.co/", "http://huggingface.co/")
CHUNK_ROWS = 20_000
MAX_CLOCK_SKEW = timedelta(hours=1)


@dataclass(frozen=True)
class ImportResult:
    snapshot_id: str
    manifest: dict[str, Any]


def check_not_future(as_of: datetime, now: datetime | None = None) -> None:
    """Refuse a date in the future: snapshot ids sort by date, so a snapshot of 2099 would stay the newest
    for good. MAX_CLOCK_SKEW allows for a file written on a machine whose clock runs a little ahead."""
    now = now or datetime.now(UTC)
    if as_of > now + MAX_CLOCK_SKEW:
        raise ImportFailed(
            f"the date of the data, {as_of.isoformat()}, is in the future (now {now.isoformat(timespec='seconds')}); "
            "pass the date the list was made with --as-of YYYY-MM-DD"
        )


def detect_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".csv"):
        return "constellation-csv"
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".json.gz", ".json")):
        return "jsonl"
    raise ImportFailed(
        f"cannot tell the format of {path.name}; name it .csv (the Constellation paper's CSV) or .jsonl/.jsonl.gz "
        "(/api/models records), or pass --format"
    )


def import_file(
    layout: DataLayout, path: Path, *, as_of: datetime | None = None, fmt: str | None = None
) -> ImportResult:
    """Publish `path` as the snapshot of `as_of` (default: 2023-07-19 for the paper, else the file's date)."""
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"{path} does not exist or is not a file")
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise ImportFailed(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if as_of is None:
        as_of = PAPER_AS_OF if fmt == "constellation-csv" else _file_date(path)
    elif as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    check_not_future(as_of)
    snapshot_id = snapshot_id_for(as_of)
    if layout.snapshot(snapshot_id).exists() or layout.manifest(snapshot_id).exists():
        raise ImportFailed(
            f"snapshot {snapshot_id} already exists in {layout.snapshots}; snapshots are immutable. Delete it "
            "first, or import as of another date with --as-of"
        )

    started = time.monotonic()
    work = layout.snapshots / f".import-{snapshot_id}"
    try:
        with writing(f"importing {path.name} as snapshot {snapshot_id}", layout.snapshots):
            assembled, manifest = _import_pages(layout, path, fmt, as_of, snapshot_id, work, started)
    except (ImportFailed, WriteFailed):
        # Nothing half-published: a snapshot file without its manifest would be listed by no one but
        # would block the next import of the same date.
        if not layout.manifest(snapshot_id).is_file():
            with contextlib.suppress(OSError):
                layout.snapshot(snapshot_id).unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info(
        "imported %s as snapshot %s: %s models (%d rejected, %d duplicates)",
        path.name,
        snapshot_id,
        f"{assembled.stored:,}",
        len(assembled.rejected),
        assembled.duplicates,
    )
    return ImportResult(snapshot_id, manifest)


def _import_pages(
    layout: DataLayout, path: Path, fmt: str, as_of: datetime, snapshot_id: str, work: Path, started: float
) -> tuple[Any, dict[str, Any]]:
    """Stage `path` page by page into `work`, then publish it as `snapshot_id`."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    pages = _paper_pages(path, as_of) if fmt == "constellation-csv" else _jsonl_pages(path, as_of)
    parts = []
    for index, page in enumerate(pages):
        part = work / f"part-{index:06d}.parquet"
        write_part(part, page.table, page.seen, page.rejected, page.rejected_lineage, page.fixed)
        parts.append(part)
    manifest = {
        "snapshot_id": snapshot_id,
        "source": {"path": str(path), "format": fmt, "sha256": _sha256(path), "bytes": path.stat().st_size},
        "scope": {"import": fmt},
        "scope_key": f"import:{fmt}",
        "endpoint": None,
        "client": {"huggingface_hub": huggingface_hub.__version__, "constellation": constellation.__version__},
        "synthetic": False,
        "started_at": as_of.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "duration_s": None,
        "pages": len(parts),
        "requests": 0,
        "retries": {},
        "status": "ok",
    }
    schema = PAPER_SCHEMA if fmt == "constellation-csv" else SNAPSHOT_SCHEMA

    def decide(assembled: Any) -> dict[str, Any]:
        if assembled.stored == 0:
            first = assembled.rejected[0]["reason"] if assembled.rejected else "the file is empty"
            raise ImportFailed(
                f"{path.name} holds no usable model record ({assembled.seen} read; first problem: {first}); "
                f"is it really {fmt}?"
            )
        return {"duration_s": round(time.monotonic() - started, 3)}

    return publish(layout, snapshot_id, parts, manifest, decide, schema=schema)


# --------------------------------------------------------------------------------------------------
# The paper's CSV
# --------------------------------------------------------------------------------------------------


def _paper_pages(path: Path, as_of: datetime) -> Iterator[ConvertedPage]:
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"{path.name} is not a readable CSV: {exc}") from None
    missing = [c for c in PAPER_COLUMNS if c not in header]
    if missing:
        raise ImportFailed(
            f"{path.name} lacks the Constellation paper's columns {missing} (it has {list(header)[:10]}); "
            "only that CSV is supported, or use a JSONL dump of /api/models records"
        )
    columns = [c for c in (*PAPER_COLUMNS, "params_millions") if c in header]
    try:
        for chunk in pd.read_csv(path, usecols=columns, chunksize=CHUNK_ROWS, dtype={"link": "string"}):
            yield _paper_chunk(chunk, as_of)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"{path.name} is not a readable CSV: {exc}") from None


def _paper_chunk(chunk: pd.DataFrame, as_of: datetime) -> ConvertedPage:
    rows: dict[str, list[Any]] = {name: [] for name in PAPER_SCHEMA.names}
    rejected: list[Rejection] = []
    params = chunk["params_millions"] if "params_millions" in chunk else pd.Series(pd.NA, index=chunk.index)
    for link, downloads, likes, millions in zip(chunk["link"], chunk["downloads"], chunk["likes"], params):
        model_id = _id_from_link(link)
        if model_id is None:
            rejected.append(Rejection(None, f"link {link!r} is not a https://huggingface.co/<id> address"))
            continue
        try:
            downloads, likes = _whole(downloads), _whole(likes)
        except ValueError:
            rejected.append(Rejection(model_id, f"downloads {downloads!r} or likes {likes!r} is not a number"))
            continue
        owner, _, name = model_id.rpartition("/")
        row = dict.fromkeys(PAPER_SCHEMA.names)
        row.update(
            id=model_id,
            author=owner or None,
            name=name,
            downloads=downloads,  # the Hub list's rounded display value, e.g. 13600000.0
            likes=likes,
            pipeline_tag="text-generation",  # the paper's scope
            crawled_at=as_of,
            paper_params_millions=None if pd.isna(millions) else float(millions),
        )
        for key in rows:
            rows[key].append(row[key])
    table = pa.Table.from_pydict(rows, schema=PAPER_SCHEMA)
    return ConvertedPage(table=table, seen=len(chunk), rejected=rejected)


def _id_from_link(link: Any) -> str | None:
    if not isinstance(link, str):
        return None
    for prefix in HUB_URL_PREFIXES:
        if link.startswith(prefix):
            model_id = link[len(prefix) :].strip().strip("/")
            return model_id if is_model_id(model_id) else None
    return None


def _whole(value: Any) -> int | None:
    return None if pd.isna(value) else int(round(float(value)))


# --------------------------------------------------------------------------------------------------
# JSONL of /api/models records
# --------------------------------------------------------------------------------------------------


def _jsonl_pages(path: Path, as_of: datetime) -> Iterator[ConvertedPage]:
    batch: list[Any] = []
    bad: list[Rejection] = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(Rejection(None, f"line {number} is not JSON ({exc.msg})"))
            continue
        if isinstance(item, dict) and "id" not in item and isinstance(item.get("modelId"), str):
            item["id"] = item["modelId"]  # dumps from before 2022 carry only the legacy key
        batch.append(item)
        if len(batch) >= CHUNK_ROWS:
            yield _page(batch, bad, as_of)
            batch, bad = [], []
    if batch or bad:
        yield _page(batch, bad, as_of)


def _page(items: list[Any], bad: list[Rejection], as_of: datetime) -> ConvertedPage:
    page = convert_items(items, as_of)
    page.seen += len(bad)
    page.rejected = bad + page.rejected
    return page


def _lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as raw:
            yield from io.TextIOWrapper(raw, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"cannot read {path.name}: {exc}") from None


# --------------------------------------------------------------------------------------------------
# Reference data from ../shared/data as snapshot-shaped frames (read in memory, never published)
# --------------------------------------------------------------------------------------------------


def load_top_downloads(path: Path) -> pd.DataFrame:
    """hf-top-downloads-2024-09/hf_models.csv as a snapshot frame (no creation dates in that source)."""
    raw = pd.read_csv(path)
    records = pd.DataFrame(
        {
            "id": raw["modelId"],
            "downloads": raw["downloads"],
            "last_modified": raw["lastModified"],
            "pipeline_tag": raw["pipeline_tag"],
            "tags": raw["tags"].map(ast.literal_eval),
        }
    )
    return snapshot_frame_from_records(records)


def _literal(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return None
    return None if value in ("None", "") else value


def load_model_trees(path: Path) -> pd.DataFrame:
    """hf-model-trees/model_trees_metadata.jsonl.gz (model_info records) as a snapshot frame."""
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            meta = json.loads(line).get("metadata")
            if not meta:
                continue
            tags = _literal(meta.get("tags")) if isinstance(meta.get("tags"), str) else meta.get("tags")
            safetensors = meta.get("safetensors")
            safetensors = _literal(safetensors) if isinstance(safetensors, str) else safetensors
            rows.append(
                {
                    "id": meta["id"],
                    "downloads": _literal(meta.get("downloads")),
                    "likes": _literal(meta.get("likes")),
                    "created_at": _literal(meta.get("created_at")),
                    "last_modified": _literal(meta.get("last_modified")),
                    "pipeline_tag": _literal(meta.get("pipeline_tag")),
                    "library_name": _literal(meta.get("library_name")),
                    "tags": tags or [],
                    "params_safetensors": (safetensors or {}).get("total") if isinstance(safetensors, dict) else None,
                }
            )
    return snapshot_frame_from_records(pd.DataFrame(rows))


REFERENCE_SOURCES: dict[str, tuple[str, Callable[[Path], pd.DataFrame]]] = {
    "hf-top-downloads-2024-09": ("hf-top-downloads-2024-09/hf_models.csv", load_top_downloads),
    "hf-model-trees": ("hf-model-trees/model_trees_metadata.jsonl.gz", load_model_trees),
}


def load_reference_snapshots(shared_data: Path) -> dict[str, pd.DataFrame]:
    """The reference sets found under `shared_data`, by name."""
    out = {}
    for name, (relative, loader) in REFERENCE_SOURCES.items():
        path = Path(shared_data) / relative
        if path.is_file():
            out[name] = loader(path)
    if not out:
        raise ImportFailed(
            f"no reference data under {shared_data}; expected e.g. {list(REFERENCE_SOURCES.values())[0][0]}"
        )
    return out


CARD_PARENTS_DIR = "model-atlas-card-parents"
CARD_PARENTS_COLUMNS = ("child", "parent", "label")


def load_card_parents(shared_data: Path) -> pd.DataFrame | None:
    """model-atlas-card-parents as one truth table: child, parent, label (None when the folder is absent).

    `card_parents.csv` rows get label `card` (the parent the child's model card names); the hand-labelled
    rows of `manual_annotations.csv` keep their label (`merge`, `source`, `unknown_annotated`, `unknown`),
    one row per named parent, and a row with parent None for roots and "no parent" models (SOURCE.md).
    """
    folder = Path(shared_data) / CARD_PARENTS_DIR
    cards, manual = folder / "card_parents.csv", folder / "manual_annotations.csv"
    if not (cards.is_file() and manual.is_file()):
        return None
    card = pd.read_csv(cards, dtype="string").dropna(subset=["child", "parent"])
    card = card.assign(label="card")
    hand = pd.read_csv(manual, dtype="string").dropna(subset=["model"])
    parents = hand["parents"].fillna("").str.split(",").map(lambda ps: [p.strip().rstrip("/") for p in ps if p.strip()])
    hand = hand.assign(parent=parents.map(lambda ps: ps or [None])).explode("parent")
    hand = hand.rename(columns={"model": "child"})[list(CARD_PARENTS_COLUMNS)]
    out = pd.concat([card[list(CARD_PARENTS_COLUMNS)], hand], ignore_index=True)
    return out.astype({"child": object, "parent": object, "label": object}).drop_duplicates(ignore_index=True)


def card_parents_snapshot(references: dict[str, pd.DataFrame], truth: pd.DataFrame) -> pd.DataFrame:
    """The snapshot the card set is inferred on: every model of the reference sets, plus id-only rows for the
    card set's children and parents that none of them holds. The children's own declared lineage (some
    declared a parent on the Hub later) is removed, as they declared none when their cards were read."""
    frames = list(references.values())
    known = pd.concat(frames, ignore_index=True) if frames else None
    ids = pd.concat([truth["child"], truth["parent"]]).dropna().astype(str).drop_duplicates()
    if known is not None:
        ids = ids[~ids.str.lower().isin(set(known["id"].astype(str).str.lower()))]
    extra = snapshot_frame_from_records(pd.DataFrame({"id": ids.to_numpy(), "tags": [[] for _ in range(len(ids))]}))
    snapshot = extra if known is None else pd.concat([known, extra], ignore_index=True)
    snapshot = snapshot.drop_duplicates("id", keep="first").reset_index(drop=True)
    is_child = snapshot["id"].astype(str).str.lower().isin(set(truth["child"].astype(str).str.lower()))
    position = snapshot.index[is_child.to_numpy()]
    snapshot.loc[position, "base_models"] = pd.Series([[] for _ in position], index=position, dtype=object)
    snapshot.loc[position, "tags"] = pd.Series(
        [
            [t for t in (tags if tags is not None else []) if not str(t).startswith("base_model:")]
            for tags in snapshot.loc[position, "tags"]
        ],
        index=position,
        dtype=object,
    )
    return snapshot


# --------------------------------------------------------------------------------------------------


def _file_date(path: Path) -> datetime:
    moment = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).replace(microsecond=0)
    log.info("no --as-of given: using the file's modification time, %s", moment.isoformat())
    return moment


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
