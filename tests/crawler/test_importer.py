"""`constellation import`: the Constellation paper's CSV and JSONL dumps of /api/models records."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

from constellation.contract import SNAPSHOT_COLUMNS
from constellation.errors import ImportFailed
from crawler.importer import PAPER_PARAMS_COLUMN, import_file

PAPER_HEADER = ",Unnamed: 0,rank,model_name,link,downloads,likes,ReadMeLink,params_millions\n"


def write_paper_csv(path, lines):
    path.write_text(PAPER_HEADER + "".join(line + "\n" for line in lines))
    return path


def test_paper_csv_becomes_the_snapshot_of_2023_07_19(tmp_path, layout):
    csv = write_paper_csv(tmp_path / "paper.csv", [
        "0,0,1,gpt2,https://huggingface.co/gpt2,13600000.0,1260.0,https://huggingface.co/gpt2/raw/main/README.md,",
        "1,1,2,mpt-7b-instruct,https://huggingface.co/mosaicml/mpt-7b-instruct,3050000.0,418.0,x,7000.0",
        "2,2,3,broken,ftp://elsewhere/x,1.0,1.0,x,",
    ])  # fmt: skip
    result = import_file(layout, csv)

    assert result.snapshot_id == "20230719T000000Z"
    table = pq.read_table(layout.snapshot(result.snapshot_id))
    assert tuple(table.schema.names) == (*SNAPSHOT_COLUMNS, PAPER_PARAMS_COLUMN)
    rows = table.to_pylist()
    assert [(r["id"], r["author"], r["name"], r["downloads"], r["likes"]) for r in rows] == [
        ("gpt2", None, "gpt2", 13_600_000, 1260),
        ("mosaicml/mpt-7b-instruct", "mosaicml", "mpt-7b-instruct", 3_050_000, 418),
    ]
    # The paper's guess from the name is not a parameter count: kept apart.
    assert [r[PAPER_PARAMS_COLUMN] for r in rows] == [None, 7000.0]
    assert all(r["params_safetensors"] is None and r["params_gguf"] is None for r in rows)
    assert {r["pipeline_tag"] for r in rows} == {"text-generation"}
    assert rows[0]["crawled_at"] == datetime(2023, 7, 19, tzinfo=UTC)
    assert rows[0]["tags"] is None and rows[0]["base_models"] is None  # unknown, not empty

    m = result.manifest
    assert m["counts"] == {
        "seen": 3,
        "stored": 2,
        "rejected": 1,
        "duplicates": 0,
        "rejected_lineage": 0,
        "fixed_values": 0,
    }
    assert m["rejected"] == [
        {"id": None, "reason": "link 'ftp://elsewhere/x' is not a https://huggingface.co/<id> address"}
    ]
    assert m["source"]["format"] == "constellation-csv" and len(m["source"]["sha256"]) == 64
    assert m["status"] == "ok" and m["synthetic"] is False


def test_the_real_paper_csv_has_15821_models(shared_data, layout):
    result = import_file(layout, shared_data / "constellation" / "HuggingFaceLLMsWithParamsAndReadmeLinks.csv")
    assert result.manifest["counts"]["stored"] == 15_821
    assert result.manifest["counts"]["rejected"] == 0


def test_jsonl_records_are_validated_like_crawled_pages(tmp_path, layout):
    records = [
        {
            "id": "a/b",
            "downloads": 5,
            "tags": ["base_model:finetune:c/d", "license:mit"],
            "createdAt": "2024-01-02T00:00:00.000Z",
        },
        {"modelId": "old/legacy-key", "downloads": 1},  # 2022 dumps have no "id"
        {"id": "x/y", "createdAt": "yesterday"},
        {"id": "a/b", "downloads": 6},  # listed twice: the last row wins
    ]  # fmt: skip
    path = tmp_path / "dump.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
        handle.write("{not json\n\n")
    result = import_file(layout, path, as_of=datetime(2026, 8, 22, tzinfo=UTC))

    assert result.snapshot_id == "20260822T000000Z"
    rows = pq.read_table(layout.snapshot(result.snapshot_id)).to_pylist()
    assert [(r["id"], r["downloads"]) for r in rows] == [("old/legacy-key", 1), ("a/b", 6)]
    m = result.manifest
    assert m["counts"] == {
        "seen": 5,
        "stored": 2,
        "rejected": 2,
        "duplicates": 1,
        "rejected_lineage": 0,
        "fixed_values": 0,
    }
    assert [r["reason"] for r in m["rejected"]] == [
        "line 5 is not JSON (Expecting property name enclosed in double quotes)",
        "createdAt 'yesterday' is not a Hub date (YYYY-MM-DDTHH:MM:SS.mmmZ)",
    ]


def test_a_file_without_model_records_is_refused_and_nothing_is_published(tmp_path, layout):
    path = tmp_path / "trees.jsonl"
    path.write_text(json.dumps({"metadata": {"id": "a/b"}}) + "\n")
    with pytest.raises(ImportFailed, match="holds no usable model record .*first problem: item has no id"):
        import_file(layout, path, as_of=datetime(2025, 4, 1))
    assert layout.snapshot_ids() == [] and list(layout.snapshots.iterdir()) == []


def test_importing_over_an_existing_snapshot_is_refused(tmp_path, layout):
    csv = write_paper_csv(tmp_path / "paper.csv", ["0,0,1,gpt2,https://huggingface.co/gpt2,1.0,1.0,x,"])
    import_file(layout, csv)
    with pytest.raises(ImportFailed, match="snapshot 20230719T000000Z already exists.*--as-of"):
        import_file(layout, csv)


def test_unknown_file_kinds_and_columns_are_named(tmp_path, layout):
    with pytest.raises(ImportFailed, match="cannot tell the format of list.txt"):
        import_file(layout, _touch(tmp_path / "list.txt"))
    other = tmp_path / "other.csv"
    other.write_text("repo,count\na/b,1\n")
    with pytest.raises(ImportFailed, match=r"lacks the Constellation paper's columns \['link', 'downloads', 'likes'\]"):
        import_file(layout, other)


def _touch(path):
    path.write_text("x\n")
    return path


def test_paper_rows_with_unreadable_numbers_are_rejected_and_counted(tmp_path, layout):
    csv = write_paper_csv(tmp_path / "paper.csv", [
        "0,0,1,gpt2,https://huggingface.co/gpt2,13600000.0,1260.0,x,",
        "1,1,2,odd,https://huggingface.co/a/odd,many,3.0,x,",
    ])  # fmt: skip
    m = import_file(layout, csv).manifest
    assert (m["counts"]["seen"], m["counts"]["stored"]) == (2, 1)
    assert m["rejected"] == [{"id": "a/odd", "reason": "downloads 'many' or likes 3.0 is not a number"}]


def test_a_csv_broken_mid_file_is_refused_without_a_traceback(tmp_path, layout):
    csv = write_paper_csv(tmp_path / "paper.csv", ['0,0,1,gpt2,"https://huggingface.co/gpt2,1.0,1.0,x,'])
    with pytest.raises(ImportFailed, match="paper.csv is not a readable CSV: Error tokenizing data"):
        import_file(layout, csv)
    assert layout.snapshot_ids() == []


def test_jsonl_values_that_cannot_be_stored_are_fixed_and_counted(tmp_path, layout):
    path = tmp_path / "dump.jsonl"
    path.write_text(
        '{"id": "a/b", "downloads": 9223372036854775808, "tags": ["x\\ud800"]}\n{"id": "c/d", "trendingScore": NaN}\n'
    )
    result = import_file(layout, path, as_of=datetime(2026, 8, 22, tzinfo=UTC))
    rows = pq.read_table(layout.snapshot(result.snapshot_id)).to_pylist()
    assert [(r["id"], r["downloads"], r["tags"], r["trending_score"]) for r in rows] == [
        ("a/b", None, ["x\ufffd"], None), ("c/d", None, [], None),
    ]  # fmt: skip
    assert result.manifest["counts"]["fixed_values"] == 3
    assert sorted(result.manifest["fixed_values"]) == ["downloads", "tags", "trending_score"]
