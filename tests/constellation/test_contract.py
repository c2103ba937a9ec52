import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest

from constellation.contract import (
    ATLAS_INTEGER_COLUMNS,
    ATLAS_MODEL_COLUMNS,
    ATLAS_MODEL_SCHEMA,
    INFERRED_COLUMNS,
    LINEAGE_COLUMNS,
    MAP_COLUMNS,
    PARAMS_COLUMNS,
    SNAPSHOT_COLUMNS,
    DataLayout,
    data_dir,
    parse_snapshot_id,
    snapshot_id_for,
)
from constellation.errors import ContractError
from tests.paths import REPO

DOCS = REPO / "docs" / "data.md"


def test_snapshot_id_is_the_utc_start_time():
    moment = datetime(2026, 7, 26, 4, 15, 0, tzinfo=timezone(timedelta(hours=2)))
    assert snapshot_id_for(moment) == "20260726T021500Z"
    assert parse_snapshot_id("20260726T021500Z") == datetime(2026, 7, 26, 2, 15, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["2026-07-26", "20260726T021500", "20261326T021500Z", "../etc", ""])
def test_malformed_snapshot_ids_are_refused_with_the_expected_form(bad):
    with pytest.raises(ContractError, match="YYYYMMDDTHHMMSSZ|not a valid date"):
        parse_snapshot_id(bad)


def test_naive_datetimes_are_refused():
    with pytest.raises(ContractError, match="timezone-aware"):
        snapshot_id_for(datetime(2026, 1, 1))


def test_data_dir_comes_from_the_environment_else_dot_data(monkeypatch):
    monkeypatch.delenv("CONSTELLATION_DATA", raising=False)
    assert data_dir() == Path("data")
    monkeypatch.setenv("CONSTELLATION_DATA", "/srv/atlas")
    assert data_dir() == Path("/srv/atlas")
    assert data_dir("elsewhere") == Path("elsewhere")


def test_a_snapshot_counts_only_when_both_files_are_published(tmp_path):
    layout = DataLayout(tmp_path)
    layout.snapshots.mkdir(parents=True)
    layout.snapshot("20260101T000000Z").write_bytes(b"x")
    layout.manifest("20260101T000000Z").write_text("{}")
    layout.snapshot("20260102T000000Z").write_bytes(b"x")  # no manifest: still being published
    (layout.snapshots / "notes.parquet").write_bytes(b"x")
    assert layout.snapshot_ids() == ["20260101T000000Z"]
    assert layout.latest_snapshot_id() == "20260101T000000Z"


def test_docs_list_every_snapshot_column():
    text = DOCS.read_text()
    missing = [c for c in SNAPSHOT_COLUMNS if f"`{c}`" not in text]
    assert missing == []


def _atlas_models_table() -> dict[str, tuple[str, str]]:
    """column -> (type, stage) from docs/data.md's `models.parquet` table; a row may name several columns."""
    text = DOCS.read_text()
    section = text[text.index("### `models.parquet`") :]
    section = section[: section.index("\n### ", 1)]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`(\w+)`", cells[0])
        types = [t.strip() for t in cells[1].split(",")]
        for name, kind in zip(names, types if len(types) == len(names) else types * len(names), strict=True):
            rows[name] = (kind, cells[2])
    return rows


def _doc_type(arrow_type: pa.DataType) -> str:
    return {"double": "float64", "float": "float32"}.get(str(arrow_type), str(arrow_type))


def test_docs_give_every_atlas_model_column_its_type_and_stage():
    stage = dict.fromkeys(LINEAGE_COLUMNS + PARAMS_COLUMNS + INFERRED_COLUMNS, "genealogy")
    stage |= dict.fromkeys(MAP_COLUMNS, "atlas")
    added = [f for f in ATLAS_MODEL_SCHEMA if f.name not in SNAPSHOT_COLUMNS]
    assert _atlas_models_table() == {f.name: (_doc_type(f.type), stage[f.name]) for f in added}


def test_atlas_model_schema_is_the_snapshot_then_each_stage_group_in_order():
    assert ATLAS_MODEL_COLUMNS == SNAPSHOT_COLUMNS + LINEAGE_COLUMNS + PARAMS_COLUMNS + INFERRED_COLUMNS + MAP_COLUMNS
    assert "depth" in ATLAS_INTEGER_COLUMNS and "params" in ATLAS_INTEGER_COLUMNS and "x" not in ATLAS_INTEGER_COLUMNS
