"""Fixtures for crawler tests: a real fake Hub on 127.0.0.1 and crawl settings with short waits."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import Message
from typing import Any

import pyarrow.parquet as pq
import pytest

from constellation.contract import DataLayout
from crawler.scope import CrawlSettings
from fakehub.server import FakeHub

N_MODELS = 47  # with PAGE_SIZE 5: ten pages, the last one short
PAGE_SIZE = 5


def make_records(n: int = N_MODELS) -> list[dict[str, Any]]:
    """Raw /api/models records, text-generation except every 10th, with every lineage shape of
    hub-api.md §2 among the first ones. Ranked by trendingScore = n - i, so the listing order is fixed."""
    records = []
    for i in range(n):
        model_id = "gpt2" if i == 3 else f"org{i % 4}/model-{i:03d}"
        record: dict[str, Any] = {
            "_id": f"{i + 1:024x}",
            "id": model_id,
            "author": None if i == 3 else f"org{i % 4}",
            "downloads": 10 * (n - i),
            "downloadsAllTime": 100 * (n - i),
            "likes": i,
            "trendingScore": n - i,
            "createdAt": f"2024-01-{1 + i % 28:02d}T10:00:00.000Z",
            "lastModified": f"2024-02-{1 + i % 28:02d}T10:00:00.000Z",
            "private": False,
            "gated": "manual" if i == 1 else False,
            "pipeline_tag": "text-classification" if i % 10 == 9 else "text-generation",
            "library_name": "transformers",
            "tags": ["transformers", "safetensors", "license:apache-2.0" if i % 2 else "license:mit"],
            "sha": f"{i:040x}",
        }
        if i % 3 == 0:
            record["safetensors"] = {"parameters": {"BF16": 1000 * (i + 1)}, "total": 1000 * (i + 1)}
        if i % 5 == 0:
            record["gguf"] = {"total": 2000 * (i + 1), "architecture": "llama", "context_length": 4096}
        if i >= 10:  # a fine-tune of model 0, through tags
            parent = "org0/model-000"
            record["tags"] += [f"base_model:{parent}", f"base_model:finetune:{parent}"]
        if i == 5:
            record["cardData"] = {"base_model": "org1/model-001", "license": "llama2"}
            record["tags"] = ["transformers"]  # license only in the card
        if i == 6:
            record["cardData"] = {"base_model": ["org1/model-001", "org2/model-002"], "base_model_relation": "merge"}
        if i == 7:
            record["cardData"] = {"base_model": "https://huggingface.co/org1/model-001"}
        if i == 8:
            record["tags"] += ["base_model:org0/model-008"]  # names itself
        records.append(record)
    return records


@pytest.fixture
def records() -> list[dict[str, Any]]:
    return make_records()


@pytest.fixture
def hub(records: list[dict[str, Any]]) -> Iterator[FakeHub]:
    with FakeHub(records, page_size=PAGE_SIZE) as server:
        yield server


@pytest.fixture
def request_headers(monkeypatch: pytest.MonkeyPatch) -> list[Message]:
    """The headers of every request any FakeHub of the test received (the fake does not keep headers)."""
    from fakehub import server

    seen: list[Message] = []
    original = server._Handler.do_GET

    def recording(handler: server._Handler) -> None:
        seen.append(handler.headers)
        original(handler)

    monkeypatch.setattr(server._Handler, "do_GET", recording)
    return seen


@pytest.fixture
def settings() -> CrawlSettings:
    """Production behaviour with test-sized waits."""
    return CrawlSettings(
        page_size=PAGE_SIZE,
        request_timeout_s=1.0,  # loose enough for a loaded CI machine; slow faults sleep longer
        max_retries=2,
        base_wait_s=0.01,
        max_wait_s=0.05,
        page_attempts=2,
        exhausted_wait_s=0.01,
        budget_s=30.0,
    )


@pytest.fixture
def layout(data_dir) -> DataLayout:
    return DataLayout.at(data_dir)


def snapshot_rows(layout: DataLayout, snapshot_id: str) -> list[dict[str, Any]]:
    """The snapshot's rows without `crawled_at` (the only column that depends on when pages came)."""
    table = pq.read_table(layout.snapshot(snapshot_id))
    return table.drop(["crawled_at"]).to_pylist()


def text_generation_ids(records: list[dict[str, Any]]) -> list[str]:
    """The ids a default crawl must store, in listing order."""
    kept = [r for r in records if r["pipeline_tag"] == "text-generation"]
    return [r["id"] for r in sorted(kept, key=lambda r: -r["trendingScore"])]
