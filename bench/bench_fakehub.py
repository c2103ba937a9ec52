"""Serving speed of the fake Hub: models per second listed through the real huggingface_hub client.

    python -m bench.bench_fakehub --models 100000            # synthetic Hub (fakehub.synthetic)
    python -m bench.bench_fakehub --models 100000 --handmade  # simple hand-made records, no generator

Three passes over the whole Hub with 1000-model pages: the client's `list_models()` (default projection,
every item becomes a ModelInfo), the same with the crawler's `expand` list, and raw pages (`http_backoff`
+ `r.json()`, no ModelInfo), which is the closest to the server's own speed. Runs at >= 500k models go
under `flock /tmp/constellation-bench.lock`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from typing import Any

os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="bench-fakehub-hf-home-"))
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

from bench.common import parser, peak_rss_mb, timer, write_results  # noqa: E402

# The fields the crawler asks for (../shared/docs/hub-api.md §5, "Crawler").
CRAWLER_EXPAND = [
    "author", "downloads", "downloadsAllTime", "likes", "createdAt", "lastModified", "tags", "pipeline_tag",
    "library_name", "private", "gated", "safetensors", "cardData", "trendingScore", "sha",
]  # fmt: skip


def handmade_records(n: int) -> list[dict[str, Any]]:
    return [
        {
            "_id": f"{i:024x}",
            "id": f"org{i % 5000}/model-{i}",
            "likes": i % 1000,
            "trendingScore": i % 97,
            "private": False,
            "downloads": (i * 7919) % 1_000_003,
            "tags": ["transformers", "safetensors", "text-generation", "license:apache-2.0", "region:us"],
            "pipeline_tag": "text-generation",
            "library_name": "transformers",
            "createdAt": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00.000Z",
        }
        for i in range(n)
    ]


def main(argv: list[str]) -> dict:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--models", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--handmade", action="store_true", help="hand-made records instead of fakehub.synthetic")
    args = p.parse_args(argv)

    from huggingface_hub import HfApi
    from huggingface_hub.utils import http_backoff

    from fakehub.server import FakeHub
    from fakehub.store import HubStore

    results: dict[str, Any] = {"models": args.models, "source": "handmade" if args.handmade else "synthetic"}
    with timer(results, "source_s"):
        if args.handmade:
            source: Any = handmade_records(args.models)
        else:
            from fakehub.synthetic import generate

            source = generate(args.models, args.seed)
    with timer(results, "store_s"):
        store = HubStore.from_records(source) if args.handmade else HubStore(source)
    del source

    with FakeHub(store, page_size=1000) as hub:
        api = HfApi(endpoint=hub.url)
        for name, kwargs in (("client_default", {}), ("client_expand", {"expand": CRAWLER_EXPAND})):
            started = time.perf_counter()
            count = sum(1 for _ in api.list_models(**kwargs))
            elapsed = time.perf_counter() - started
            assert count == args.models, f"{name}: listed {count} of {args.models}"
            results[f"{name}_s"] = round(elapsed, 2)
            results[f"{name}_models_per_s"] = round(count / elapsed)

        started = time.perf_counter()
        count, pages, url = 0, 0, hub.url + "/api/models?" + "&".join(f"expand={e}" for e in CRAWLER_EXPAND)
        while url:
            response = http_backoff("GET", url, timeout=60)
            count += len(response.json())
            pages += 1
            url = response.links.get("next", {}).get("url")
        elapsed = time.perf_counter() - started
        assert count == args.models
        results["raw_pages_s"] = round(elapsed, 2)
        results["raw_pages_models_per_s"] = round(count / elapsed)
        results["raw_ms_per_page"] = round(1000 * elapsed / pages, 1)
    results["peak_rss_mb"] = round(peak_rss_mb())
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
