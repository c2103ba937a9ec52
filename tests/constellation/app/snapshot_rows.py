"""A small, hand-shaped Hub snapshot for the explorer's tests, built into an atlas by the real pipeline.

Rows follow SNAPSHOT_SCHEMA. Families look like the Hub's (a base model, its fine-tunes, adapters,
quantizations and merges), names are varied enough for communities to form, and a few rows carry
hostile strings (HTML, markdown, LaTeX) in fields the Hub lets anyone write.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from constellation.contract import SNAPSHOT_SCHEMA, DataLayout

BASES = [
    ("meta-llama", "Llama-3-8B", 8_000_000_000, "text-generation", "llama3"),
    ("mistralai", "Mistral-7B-v0.1", 7_240_000_000, "text-generation", "apache-2.0"),
    ("Qwen", "Qwen2.5-1.5B", 1_540_000_000, "text-generation", "apache-2.0"),
    ("google-bert", "bert-base-uncased", 110_000_000, "fill-mask", "apache-2.0"),
    ("openai", "whisper-small", 244_000_000, "automatic-speech-recognition", "mit"),
    ("stabilityai", "stable-diffusion-xl-base-1.0", None, "text-to-image", "openrail++"),
]
OWNERS = ["alice", "bob-ai", "carol-lab", "TheBloke", "unsloth", "nlp-uni", "dave", "erin-research"]
SUFFIXES = ["instruct", "chat", "sft", "dpo", "code", "math", "de", "fr", "medical", "legal", "uncensored", "v2"]
HOSTILE_ID = "hostile/evil-model"
HOSTILE_LICENSE = "<img src=x onerror=alert(1)>**bold** [x](javascript:alert(1)) $x^2$"
START = datetime(2026, 1, 5, tzinfo=UTC)


def snapshot_rows(
    seed: int = 0, scale: float = 1.0, crawled_at: datetime | None = None, legacy: bool = False
) -> list[dict]:
    """About 330 models in six families; `scale` multiplies downloads (an earlier snapshot uses < 1)."""
    rng = np.random.default_rng(seed)
    crawled_at = crawled_at or datetime(2026, 11, 20, 2, 15, tzinfo=UTC)
    rows: list[dict] = []

    def add(
        model_id,
        downloads,
        likes,
        pipeline,
        license_,
        params=None,
        base=None,
        relation=None,
        tags=(),
        days=0,
        also=None,
    ):
        author, _, name = model_id.partition("/")
        rows.append(
            {
                "id": model_id,
                "author": author if name else None,
                "name": name or model_id,
                "downloads": int(downloads * scale),
                "downloads_all_time": int(downloads * scale * 7),
                "likes": int(likes),
                "trending_score": float(likes) / 10,
                "created_at": START + timedelta(days=int(days)),
                "last_modified": START + timedelta(days=int(days) + 3),
                "pipeline_tag": pipeline,
                "library_name": "transformers",
                "license": license_,
                "gated": "false",
                "tags": list(tags),
                "base_models": ([{"id": base, "relation": relation}] if base else [])
                + ([{"id": also, "relation": relation}] if also else []),
                "params_safetensors": params,
                "params_gguf": None,
                "crawled_at": crawled_at,
            }
        )

    for b, (owner, name, params, pipeline, license_) in enumerate(BASES):
        base_id = f"{owner}/{name}"
        add(base_id, 5_000_000 // (b + 1), 4000 // (b + 1), pipeline, license_, params, days=b)
        children = []
        for i in range(30):
            suffix = SUFFIXES[(i + b) % len(SUFFIXES)]
            child = f"{OWNERS[i % len(OWNERS)]}/{name}-{suffix}-{i}"
            add(child, int(rng.integers(10, 50_000)), int(rng.integers(0, 300)), pipeline, license_, params,
                base_id, "finetune", days=20 + i * 5 + b)  # fmt: skip
            children.append(child)
        for i in range(8):
            add(f"{OWNERS[(i + 3) % len(OWNERS)]}/{name}-lora-{SUFFIXES[i]}", int(rng.integers(0, 3000)), int(rng.integers(0, 20)),
                pipeline, license_, None, children[i], "adapter", days=60 + i * 7)  # fmt: skip
        for i in range(10):
            add(f"TheBloke/{name}-{SUFFIXES[i]}-{i}-GGUF", int(rng.integers(100, 90_000)), int(rng.integers(0, 50)),
                pipeline, license_, None, children[i], "quantized", days=70 + i * 4)  # fmt: skip
        for i in range(4):
            add(f"mergekit-fan/{name}-merge-{i}", int(rng.integers(0, 900)), int(rng.integers(0, 9)), pipeline, license_,
                params, children[i], "merge", days=90 + i * 9, also=children[i + 1])  # fmt: skip
    # A legacy id without owner (author null). Off by default: at the time of writing the inference stage
    # (constellation/genealogy/inferred.py) raised "boolean value of NA is ambiguous" on a null author.
    if legacy:
        add("gpt2", 9_000_000, 2500, "text-generation", "mit", 124_000_000, days=0)
    add(HOSTILE_ID, 123, 1, "text-generation", HOSTILE_LICENSE, None, days=200)
    return rows


def write_snapshot(layout: DataLayout, snapshot_id: str, rows: list[dict], synthetic: bool = True) -> None:
    layout.snapshots.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=SNAPSHOT_SCHEMA)
    pq.write_table(table, layout.snapshot(snapshot_id))
    manifest = {
        "snapshot_id": snapshot_id,
        "scope": {"limit": None},
        "endpoint": "http://127.0.0.1/test",
        "client": "tests",
        "synthetic": synthetic,
        "counts": {"seen": len(rows), "stored": len(rows), "rejected": 0, "duplicates": 0},
        "rejected": [],
        "rejected_lineage": [],
        "status": "ok",
    }
    Path(layout.manifest(snapshot_id)).write_text(json.dumps(manifest), encoding="utf-8")
