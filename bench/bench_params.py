"""Speed of parameter counts: `params_from_name` (names/s, cold cache) and `estimate_params` on a frame.

Names are real Hub names from ../shared/data made unique with a random owner and suffix, so the
per-name cache does not flatter the figure (on the Hub most names are distinct too). Falls back to a
small built-in list when ../shared/data is absent.

    python -m bench.bench_params --n 1000000
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import parser, peak_rss_mb, timer, write_results

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_FALLBACK = ["meta-llama/Llama-2-7b-hf", "TheBloke/Mixtral-8x7B-v0.1-GGUF", "Qwen/Qwen3-30B-A3B", "gpt2"]
_SUFFIXES = ["", "-GGUF", "-AWQ", "-sft", "-v0.1", "-dpo-lr1e-5", "-4bit", "-Q4_K_M", "-32k", "-2407"]


def real_names() -> list[str]:
    trees = SHARED / "hf-model-trees" / "model_trees_metadata.jsonl.gz"
    top = SHARED / "hf-top-downloads-2024-09" / "hf_models.csv"
    paper = SHARED / "constellation" / "HuggingFaceLLMsWithParamsAndReadmeLinks.csv"
    names: list[str] = []
    if top.is_file():
        names += pd.read_csv(top, usecols=["modelId"])["modelId"].tolist()
    if paper.is_file():
        links = pd.read_csv(paper, usecols=["link"])["link"].astype(str)
        names += links.str.replace("https://huggingface.co/", "", regex=False).tolist()
    if trees.is_file():
        with gzip.open(trees, "rt", encoding="utf-8") as handle:
            names += [json.loads(line)["metadata"]["id"] for line in handle]
    return sorted(set(names)) or _FALLBACK


def synthetic_names(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    base = [name.rsplit("/", 1)[-1] for name in real_names()]
    picks = rng.integers(0, len(base), n)
    suffix = rng.integers(0, len(_SUFFIXES), n)
    return [f"user{i}/{base[p]}{_SUFFIXES[s]}-{i}" for i, (p, s) in enumerate(zip(picks, suffix))]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="number of models (default 1,000,000)")
    args = p.parse_args(argv)

    from constellation import names as vocabulary
    from constellation.genealogy import params as params_module

    results: dict[str, Any] = {"benchmark": "params", "n": args.n}
    names = synthetic_names(args.n)
    vocabulary._parse.cache_clear()
    with timer(results, "params_from_name_s"):
        for name in names:
            vocabulary.params_from_name(name)
    results["names_per_s"] = round(args.n / results["params_from_name_s"])

    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "id": names,
            "name": [n.rsplit("/", 1)[-1] for n in names],
            "tags": [["transformers", "4-bit"] if i % 10 == 0 else ["transformers"] for i in range(args.n)],
            "params_safetensors": pd.array(
                np.where(rng.random(args.n) < 0.4, rng.integers(10**8, 10**11, args.n), -1), dtype="Int64"
            ),
            "params_gguf": pd.array([None] * args.n, dtype="Int64"),
        }
    )
    frame.loc[frame["params_safetensors"] < 0, "params_safetensors"] = pd.NA
    parent = pd.Series(np.where(rng.random(args.n) < 0.4, np.array(names)[rng.integers(0, args.n, args.n)], None))
    vocabulary._parse.cache_clear()
    with timer(results, "estimate_params_s"):
        out = params_module.estimate_params(frame, parent)
    results["estimate_rows_per_s"] = round(args.n / results["estimate_params_s"])
    results["sources"] = out["params_source"].value_counts().to_dict()
    results["peak_rss_mb"] = round(peak_rss_mb())
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main()
