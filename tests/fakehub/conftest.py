"""Fixtures for the fake Hub tests: hand-made /api/models records and a running FakeHub on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from fakehub.server import FakeHub

N_MODELS = 23  # with PAGE_SIZE 5: five pages, the last one short
PAGE_SIZE = 5


def make_records(n: int = N_MODELS) -> list[dict[str, Any]]:
    """Records with ties in every sort key (so `_id` breaks them), unknown values, lineage and nested keys.
    `_id`s run backwards from the ids, so that `_id` order differs from id order."""
    records = []
    for i in range(n):
        record: dict[str, Any] = {
            "_id": f"{n - i:024x}",
            "id": "gpt2" if i == 3 else f"org{i % 3}/Model-{i:02d}",
            "likes": i % 4,
            "trendingScore": i % 5,
            "private": False,
            "downloads": (i * 7) % 11,
            "downloadsAllTime": 100 + i,
            "tags": ["transformers", "safetensors", f"license:{'mit' if i % 2 else 'apache-2.0'}", f"group:{i % 3}"],
            "pipeline_tag": "text-generation" if i % 4 else "text-classification",
            "library_name": "transformers",
            "createdAt": f"2024-01-{1 + i % 9:02d}T10:00:00.000Z",
            "lastModified": f"2024-03-{1 + (i * 5) % 17:02d}T08:30:00.000Z",
            "author": "gpt2" if i == 3 else f"org{i % 3}",
            "gated": ["auto", "manual"][i % 2] if i % 6 == 1 else False,
            "disabled": False,
            "sha": f"{i:040x}",
            "siblings": [{"rfilename": ".gitattributes"}, {"rfilename": "config.json"}],
            "config": {"model_type": "llama", "architectures": ["LlamaForCausalLM"]},
            "cardData": {"license": "mit" if i % 2 else "apache-2.0"},
            "safetensors": {"parameters": {"BF16": 1000 * (i + 1)}, "total": 1000 * (i + 1)},
        }
        if i % 7 == 2:  # unknown task and library: the keys must be absent, not null
            record["pipeline_tag"] = None
            record["library_name"] = None
        if i >= 12:  # fine-tunes of model 0, declared through the Hub's tag pair
            record["tags"] += ["base_model:org0/Model-00", "base_model:finetune:org0/Model-00"]
        if i == 20:  # a merge of two parents
            record["tags"] += [
                "base_model:org1/Model-01", "base_model:merge:org1/Model-01",
                "base_model:org2/Model-02", "base_model:merge:org2/Model-02",
            ]  # fmt: skip
        if i == 21:  # quantized from one of the fine-tunes
            record["tags"] += ["base_model:org0/Model-12", "base_model:quantized:org0/Model-12"]
        records.append(record)
    return records


def expected_order(records: list[dict[str, Any]], key: str) -> list[str]:
    """The Hub's listing order, written independently of the store: key desc, then _id asc. (Hub dates
    sort as text; Python's sort is stable, also with reverse=True.)"""
    by_id = sorted(records, key=lambda r: r["_id"])
    return [r["id"] for r in sorted(by_id, key=lambda r: r[key], reverse=True)]


@pytest.fixture
def records() -> list[dict[str, Any]]:
    return make_records()


@pytest.fixture
def hub(records: list[dict[str, Any]]) -> Iterator[FakeHub]:
    with FakeHub(records, page_size=PAGE_SIZE) as server:
        yield server


class SleepRecorder:
    """Stands in for the `time` module inside huggingface_hub.utils._http: records the backoff sleeps
    instead of waiting them (1, 2, 4, 8, 8 s per exhausted request), and passes everything else through."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def backoff_sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    """Stubs the client's backoff timer (only there: the server's own sleeps stay real)."""
    from huggingface_hub.utils import _http

    recorder = SleepRecorder()
    monkeypatch.setattr(_http, "time", recorder)
    return recorder


@pytest.fixture(autouse=True)
def _fresh_client_session() -> Iterator[None]:
    """Each test starts with a fresh shared httpx client: connections to a stopped fake Hub must not leak."""
    from huggingface_hub.utils import close_session

    close_session()
    yield
    close_session()
