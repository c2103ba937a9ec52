"""A SYNTHETIC Hugging Face Hub: `generate(n, seed)` builds a raw Hub frame of n made-up model records.

Nothing in it is real Hub data. The base models carry real ids, dates and sizes (fakehub.synthetic_names) so
that names look like the Hub's; every other record, and every download, like and date, is invented. The
frame says so in `frame.attrs["synthetic"]`, every `_id` carries the marker `SYNTHETIC_ID_MARKER` in its
middle bytes, every `sha` begins with it, and the fake Hub server adds `X-Fake-Hub-Source: synthetic` to its
responses. No "synthetic" tag is put in the Hub tags, since that would pollute the tag and name analyses.

What it imitates (figures measured in ../shared/data and checked by tests/fakehub/test_synthetic.py):
- names: official bases, user fine-tunes that re-spell the base (`someuser/llama-3-8b-medical-sft`),
  quantizer accounts re-publishing `<Base>-GGUF`/`-AWQ`/`-GPTQ`/`-bnb-4bit`/mlx `-4bit`, LoRA adapters,
  mergekit merges, junk names (`user/test-model`), trainer defaults (`lora_model`, `outputs`), runs named
  by their settings (`-lr2e-5-e3`) and bulk accounts (`huggingtweets/<handle>`); names repeat as on the
  Hub (0.82 distinct after the owner at 75k against the real 0.81; 0.77 at 300k) because the pool of
  bases grows with n (composed bases such as `kestrel-ai/Kestrel-2.5-7B-Instruct`, one per 250 models
  above the 301 real ones); owners are Zipf-like (0.28 owners per model, 62 % of them with one model);
- lineage: fine-tunes of bases and of fine-tunes (depth 3), adapters, quantizations and 2–3 parent merges,
  written as Hub tags (`base_model:<id>`, `base_model:<relation>:<id>`) and `cardData.base_model`, declared
  by only part of the models (old models and casual users rarely declare) while their names still show the
  family; a few malformed values (see `ANOMALY_KINDS`) and hostile strings;
- tasks: beside the language models, encoders, embedders, vision, diffusion and speech families whose
  derived models take the family's tasks (a BERT becomes a text classifier) and their domain's words
  (`distilbert-base-uncased-finetuned-imdb`, `sdxl-pixel-art-lora`); the pipeline-tag mix of popular models
  is hf-top-downloads-2024-09's (distance 0.12) and that of the models made by 2022-10 hf-models-2022-10's
  (0.18), the same at any size;
- numbers: heavy-tailed downloads and likes, 2019→2026 growth, children after parents, true and packed
  parameter counts.

The frame has the columns of notes/fakehub-api.md §1: `tags` holds Python lists, the nested keys
(`cardData`, `safetensors`, `gguf`, `config`, `siblings`) JSON text, absent values None or NaN;
`frame.attrs["anomalies"]` lists the ids of the deliberately malformed records, by kind.
The true parents, declared or not, come from `generate_with_truth(n, seed)`, so lineage inference can be
scored. Same (n, seed) → the same frame, byte for byte. Vectorised (numpy over pooled strings): 70–90
thousand models per CPU-second; per-row text lives in Arrow-backed `str` columns and the nested keys are
JSON text, so 3M models fit in a few GB (bench/bench_synthetic.py).
"""

from __future__ import annotations

import gc
import gzip
import json
import math
import string
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from constellation.errors import SyntheticHubError
from fakehub import synthetic_names as pools
from fakehub.synthetic_common import (
    ADAPTER,
    ANOMALY_KINDS,
    BASE,
    FINETUNE,
    LEGACY_CREATED_AT,
    MERGE,
    ORIGINAL,
    QUANTIZED,
    SYNTHETIC_ID_MARKER,
    SyntheticHub,
    cat_strings,
    day_number,
    object_array,
)
from fakehub.synthetic_fields import render

__all__ = [
    "ANOMALY_KINDS",
    "HUB_NOW",
    "LEGACY_CREATED_AT",
    "RELATIONS",
    "SYNTHETIC_ID_MARKER",
    "SyntheticHub",
    "SyntheticHubError",
    "generate",
    "generate_with_truth",
    "to_records",
    "write_jsonl",
]

# The synthetic Hub's "now": fixed, so that a seed always gives the same Hub whatever the wall clock says.
HUB_NOW = "2026-11-01"
RELATIONS = ("finetune", "adapter", "quantized", "merge")
_KIND_RELATION = {FINETUNE: "finetune", ADAPTER: "adapter", QUANTIZED: "quantized", MERGE: "merge"}

_DAY_S = 86400


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def generate(n: int, seed: int = 0) -> pd.DataFrame:
    """The raw Hub frame of a synthetic Hub of `n` models (see the module docstring)."""
    return generate_with_truth(n, seed).frame


def generate_with_truth(n: int, seed: int = 0) -> SyntheticHub:
    """A synthetic Hub of `n` models with its true lineage (declared or not)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise SyntheticHubError(f"n must be a positive whole number of models, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SyntheticHubError(f"seed must be a non-negative whole number, got {seed!r}")
    # Millions of small lists and tuples would wake the cyclic garbage collector again and again; none of
    # them forms a cycle, so it sleeps while the Hub is built.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _Builder(int(n), int(seed)).build()
    finally:
        if was_enabled:
            gc.enable()


def to_records(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """The frame's rows as /api/models JSON objects: absent (None/NaN) keys are left out, JSON-string nested
    columns are decoded."""
    columns = list(frame.columns)
    nested = {c for c in columns if c in _NESTED}
    for values in _rows(frame, columns):
        record: dict[str, Any] = {}
        for key, value in zip(columns, values):
            if _absent(value):
                continue
            if key in nested and isinstance(value, str):
                value = json.loads(value)
            record[key] = value
        yield record


def write_jsonl(frame: pd.DataFrame, path: str | Path) -> int:
    """Write the frame as JSON lines of /api/models records (gzip when the name ends in .gz); returns the number
    of records. Absent values are left out, JSON-string nested columns are embedded as they are."""
    path = Path(path)
    count = 0
    # Level 5: within a few percent of gzip's best size at a third of its time.
    with (
        gzip.open(path, "wt", encoding="utf-8", compresslevel=5)
        if path.suffix == ".gz"
        else open(path, "w", encoding="utf-8")
    ) as out:
        for line in _json_lines(frame):
            out.write(line)
            out.write("\n")
            count += 1
    return count


# --------------------------------------------------------------------------------------------------
# JSON output
# --------------------------------------------------------------------------------------------------

_NESTED = frozenset({"cardData", "safetensors", "gguf", "config", "siblings"})


def _rows(frame: pd.DataFrame, columns: list[str], chunk: int = 50_000) -> Iterator[tuple[Any, ...]]:
    """Row tuples of Python values, converted a chunk at a time (all 3M rows at once would double memory)."""
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start : start + chunk]
        yield from zip(*(part[c].tolist() for c in columns))


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _json_lines(frame: pd.DataFrame) -> Iterator[str]:
    columns = list(frame.columns)
    # Each key is rendered once as `"key":`; nested JSON strings go in verbatim, the rest through json.dumps.
    keys = [json.dumps(c) + ":" for c in columns]
    raw = [c in _NESTED for c in columns]
    dumps = json.dumps
    for values in _rows(frame, columns):
        parts = []
        for key, is_raw, value in zip(keys, raw, values):
            if value is None or (isinstance(value, float) and value != value):
                continue
            if is_raw and isinstance(value, str):
                parts.append(key + value)
            else:
                parts.append(key + dumps(value, ensure_ascii=False))
        yield "{" + ",".join(parts) + "}"


# --------------------------------------------------------------------------------------------------
# Small vectorised helpers
# --------------------------------------------------------------------------------------------------


def _weighted(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k indices drawn with probability proportional to weights (via the cumulative sum: O(k log n))."""
    cum = np.cumsum(weights, dtype=np.float64)
    return np.searchsorted(cum, rng.random(k) * cum[-1], side="right").clip(0, len(weights) - 1)


# --------------------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------------------

# Kinds of record among the children of bases (wave 0) and of other models (later waves). The mix follows
# the children counts the Hub shows for a popular base (e.g. Phi-3.5-mini-instruct: adapter 716, finetune
# 328, quantized 190, merge 19; hub-api.md a.8), while quantizer accounts mostly quantize fine-tunes and
# merges (mradermacher quantizes nearly everything that gets downloaded).
_MIX_BASES = {FINETUNE: 0.50, ADAPTER: 0.30, QUANTIZED: 0.12, MERGE: 0.08}
_MIX_DERIVED = {FINETUNE: 0.30, ADAPTER: 0.12, QUANTIZED: 0.45, MERGE: 0.13}
# Names that say nothing (`results`, `my_model-3`), as casual uploads are named; kept varied, since on the
# real Hub only about one name in nine is shared by two repos (constellation/ list of 2023: 11.6 %).
_JUNK_TEMPLATES = {"{junk}": 2.0, "{junk}-{num}": 3, "{junk}_{topic}": 2, "{topic}-{junk}": 1, "{junk}{num}": 1}
_CANONICAL_ACCOUNTS = (
    "TheBloke",
    "bartowski",
    "mradermacher",
    "QuantFactory",
    "lmstudio-community",
    "MaziyarPanahi",
    "second-state",
)
# One base model per this many models: 301 real bases (fakehub.synthetic_names) serve up to 75k models; above,
# composed bases join them (`_Builder._composed_bases`).
_MODELS_PER_BASE = 250
_COMPOSED_VERSIONS = {
    "": 3, "-2": 2, "-3": 1.5, "2": 1, "3": 1, "-1.5": 1, "-2.5": 1, "-3.1": 0.5, "-v2": 0.5, "-4": 0.5,
}  # fmt: skip
_COMPOSED_TAILS = {"": 3, "-Instruct": 3, "-Base": 1, "-Chat": 1, "-it": 0.5, "-Preview": 0.3}
# Names left as the tutorial or trainer wrote them (`lora_model`, `outputs`), repeated Hub-wide in proportion
# to its size: hf-models-2022-10's `test` is 0.9 % of a 15k sample and 0.8 % of all 74,970.
_TUTORIAL_SHARE = 0.2  # of fine-tunes and adapters
_TUTORIAL_WEIGHTS = 1.0 / np.arange(1, len(pools.TUTORIAL_NAMES) + 1)
_LR_EXP = {"4": 2, "5": 3, "6": 1}
_RUN_TAG_SHARE = 0.5  # fine-tunes and adapters whose names end in training settings
_MAX_USERS = 1_500_000
_USER_ZIPF = 0.9  # exponent of users' activity by rank
_WAVES = (0.62, 0.27, 0.11)  # share of derived models whose parents are bases / depth-1 / depth-2 models
_ORIGINAL_SHARE = 0.05  # models with no parent at all (own pre-training, renamed uploads)
_LLM_TASKS = ("text-generation", "image-text-to-text")  # the families quantized, merged and named with sizes
# Share of the children of pre-2023 models of the other tasks made in their own era (see _growth_dates)
_OTHER_TASK_OLD_ERA = 0.85
_FAVOURITE_EVERY = 10  # one in this many of the other tasks' models gets its family's download boost
_OTHER_TASK_REST = -0.4  # log10 shift of the downloads of the other tasks' derived models that are not favourites
_BULK_SHARE = 0.006  # huggingtweets-style accounts: name-only gpt2 fine-tunes (a quarter of 2023 text-gen)


class _Builder:
    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.rng = np.random.default_rng([seed, 0x5E7E71C])
        self.now = day_number(HUB_NOW)
        self._prepare_bases()
        self._prepare_users()
        # Row columns, filled segment by segment (lists of numpy arrays, concatenated at the end)
        self.cols: dict[str, list[np.ndarray]] = {
            k: []
            for k in ("owner", "name", "kind", "root", "p1", "p2", "p3", "t", "params", "pop", "qfmt", "by_account")
        }
        self.size = 0
        self.lower_ids: set[str] = set()

    # ---- pools -----------------------------------------------------------------------------------

    def _prepare_bases(self) -> None:
        self.bases_real = pools.BASES
        # Language models: one base per _MODELS_PER_BASE models. The other tasks' few bases are all kept (when
        # there is room), so that a small Hub has the same mix of tasks as a large one.
        llm = [pools.FAMILIES[b.family].pipeline in _LLM_TASKS for b in pools.BASES]
        k_llm = min(sum(llm), self.n, max(10, self.n // _MODELS_PER_BASE))
        k_other = min(len(llm) - sum(llm), max(0, (self.n - k_llm) // 20))
        kept = set(self._most_popular([i for i, x in enumerate(llm) if x], k_llm))
        kept |= set(self._most_popular([i for i, x in enumerate(llm) if not x], k_other))
        ids = {pools.BASES[i].id for i in kept}
        bases = [b for i, b in enumerate(pools.BASES) if i in kept and (b.parent is None or b.parent in ids)]
        self.n_real_bases = len(bases)
        bases = bases + self._composed_bases(max(0, self.n // _MODELS_PER_BASE - len(bases)))
        self.bases = bases
        fams = [pools.FAMILIES[b.family] for b in bases]
        self.fams = fams
        fam_keys = sorted(pools.FAMILIES)
        self.fam_index = {k: i for i, k in enumerate(fam_keys)}
        self.fam_list = [pools.FAMILIES[k] for k in fam_keys]
        self.base_fam = np.array([self.fam_index[b.family] for b in bases], dtype=np.int32)
        # Size token spellings: as written, lower case, "_" for ".", upper case.
        variants = []
        for b in bases:
            s = b.size
            variants.append([s, s.lower(), s.replace(".", "_"), s.upper() if "x" not in s else s])
        self.size_var = np.array(variants, dtype=object)
        # Aliases, flattened: per base a run of (prefix, suffix, has_size) triples.
        pre: list[str] = []
        post: list[str] = []
        has_s: list[bool] = []
        off: list[int] = []
        cnt: list[int] = []
        for i, (b, f) in enumerate(zip(bases, fams)):
            short = b.id.split("/", 1)[1]
            # Users mostly keep the size in the name (`Qwen2.5-7B-...`), so sized aliases count three times.
            items = [t for t in f.aliases if "{s}" not in t]
            items += [t for t in f.aliases if "{s}" in t and b.size] * 3
            items += [short, short, short.lower()]
            if i >= self.n_real_bases:
                # A composed base's children mostly spell its own name: `Kestrel-2-7B-medical`, not `llama-7b-...`
                items += [short, short.lower(), short.split("-", 1)[0] + "-{s}"] * (len(items) // 2)
            off.append(len(pre))
            cnt.append(len(items))
            for t in items:
                if "{s}" in t:
                    a, c = t.split("{s}", 1)
                    pre.append(a)
                    post.append(c)
                    has_s.append(True)
                else:
                    pre.append(t)
                    post.append("")
                    has_s.append(False)
        self.alias_pre, self.alias_post = object_array(pre), object_array(post)
        self.alias_has_s = np.array(has_s)
        self.alias_off, self.alias_cnt = np.array(off), np.array(cnt)
        self.base_llm = np.array([f.pipeline in _LLM_TASKS for f in fams])
        self.base_downloads = np.array([f.downloads for f in fams])
        self.base_lora = np.array([f.library == "diffusers" for f in fams])
        # Per base, its domain's word pools (0: the language models' own TOPICS, METHODS and DATASETS)
        domains = ["llm", *pools.DOMAIN_WORDS]
        self.base_domain = np.array([domains.index(f.words) for f in fams], dtype=np.int8)
        self.format_start = np.array([day_number(spec.since) for spec in pools.QUANT_FORMATS.values()])

    @staticmethod
    def _most_popular(candidates: list[int], k: int) -> list[int]:
        """`k` of the real bases `candidates` (indices): the most popular base of each family first (so that
        every era and family has a tree), then the most popular of the rest."""
        bases = pools.BASES
        by_pop = sorted(candidates, key=lambda i: (-bases[i].popularity, i))
        firsts = list({bases[i].family: i for i in reversed(by_pop)}.values())
        firsts.sort(key=lambda i: (-bases[i].popularity, i))
        return (firsts + [i for i in by_pop if i not in set(firsts)])[:k]

    def _composed_bases(self, k: int) -> list[pools.Base]:
        """`k` more base models, made up from the real ones' families and sizes under new brands and versions
        (`kestrel-ai/Kestrel-2.5-7B-Instruct`): the Hub's pool of bases grows with it (one base per
        `_MODELS_PER_BASE` models), or at millions of models the children would pile onto 301 bases and
        their names would repeat far more than the Hub's."""
        if k <= 0:
            return []
        rng = self.rng
        real = [b for b in self.bases_real if b.size and b.parent is None]
        w = np.array([2.0**b.popularity for b in real])
        brands = [*pools.BRANDS, *(x.capitalize() for x in pools.ORG_WORDS)]
        taken = {b.id.split("/", 1)[1].lower() for b in self.bases_real}
        out: list[pools.Base] = []
        now = self.now
        while len(out) < k:
            m = 2 * (k - len(out)) + 16
            tpl = _weighted(rng, w, m)
            brand = object_array(brands)[rng.integers(len(brands), size=m)]
            lower = rng.random(m) < 0.3
            version = self._choose(m, _COMPOSED_VERSIONS)
            tail = self._choose(m, _COMPOSED_TAILS)
            org = cat_strings(self._words(pools.ORG_WORDS, m), self._words(pools.ORG_TAILS, m))
            age = rng.uniform(20, 900, m)
            drop = rng.integers(2, 6, m)
            for j in range(m):
                b = real[int(tpl[j])]
                head = brand[j].lower() if lower[j] else brand[j]
                name = f"{head}{version[j]}-{b.size}{tail[j]}"
                if name.lower() in taken:
                    continue
                taken.add(name.lower())
                born = min(day_number(b.created) + age[j], now - 30)
                created = str(np.datetime64(int(born), "D"))
                popularity = max(1, b.popularity - int(drop[j]))
                out.append(pools.Base(f"{org[j]}/{name}", b.family, b.size, b.params, created, popularity))
                if len(out) == k:
                    break
        return out

    def _prepare_users(self) -> None:
        rng = self.rng
        # As many handles as models (the Hub of 2022-10: 0.27 owners per model, 65 % of owners with one model),
        # drawn Zipf-like below; fewer distinct ones survive the de-duplication.
        u = int(min(_MAX_USERS, max(60, self.n)))
        heads = object_array(pools.HANDLE_HEADS)
        tails = object_array(pools.HANDLE_TAILS)
        words = object_array(pools.ORG_WORDS)
        otails = object_array(pools.ORG_TAILS)
        people = cat_strings(
            heads[rng.integers(len(heads), size=u)],
            object_array(["", "", "-", "_", ""])[rng.integers(5, size=u)],
            heads[rng.integers(len(heads), size=u)],
            tails[rng.integers(len(tails), size=u)],
        )
        orgs = cat_strings(words[rng.integers(len(words), size=u)], otails[rng.integers(len(otails), size=u)])
        digits = rng.integers(0, 1000, size=u).astype(str).astype(object)
        is_org = rng.random(u) < 0.15
        add_digits = rng.random(u) < 0.4
        users = np.where(is_org, orgs, people)
        users = np.where(add_digits & ~is_org, cat_strings(users, digits), users)
        # The Hub forbids some shapes; keep handles simple and distinct from the real accounts used elsewhere.
        users = pd.unique(pd.Series(users).str.strip("-_"))
        reserved = {b.id.split("/")[0] for b in pools.BASES} | {q.account for q in pools.QUANTIZERS}
        self.users = object_array(x for x in users if x and x not in reserved)
        # Zipf-like activity: a few users publish hundreds of models, most publish one or two.
        ranks = np.arange(1, len(self.users) + 1, dtype=np.float64)
        self.user_w = 1.0 / ranks**_USER_ZIPF
        self.user_w = self.user_w[rng.permutation(len(self.users))]

    def _pick_users(self, k: int) -> np.ndarray:
        return self.users[_weighted(self.rng, self.user_w, k)]

    # ---- rows ------------------------------------------------------------------------------------

    def _add(self, **cols: np.ndarray) -> np.ndarray:
        """Append a segment of rows; returns their row indices. Names are made unique (case-insensitively,
        as on the Hub) by suffixing duplicates."""
        k = len(cols["name"])
        reowner = cols["kind"] == QUANTIZED
        cols["owner"], cols["name"] = self._unique_names(np.asarray(cols["owner"], dtype=object), cols["name"], reowner)
        for key in self.cols:
            self.cols[key].append(np.asarray(cols[key]))
        idx = np.arange(self.size, self.size + k)
        self.size += k
        return idx

    def _unique_names(self, owner: np.ndarray, name: np.ndarray, reowner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Quantizations that collide move to another uploader (no one re-quantizes into `-GGUF-2`); other
        names get a version-like suffix."""
        name = _tidy(name)
        suffixes = object_array(["-v2", "-2", "-v3", "_v2", "-new", "-3", "-final", "-v4", "-test", "-1"])
        seen = self.lower_ids
        todo = np.arange(len(name))  # rows still to check
        for attempt in range(12):
            dup = []
            for i, x in zip(todo.tolist(), cat_strings(owner[todo], "/", name[todo]).tolist()):
                x = x.lower()
                if x in seen:
                    dup.append(i)
                else:
                    seen.add(x)
            if not dup:
                break
            todo = np.array(dup)
            move = reowner[todo] & (attempt < 4)
            if move.any():
                owner = owner.copy()
                owner[todo[move]] = self._pick_users(int(move.sum()))
            rest = todo[~move]
            pick = self.rng.integers(len(suffixes), size=len(rest))
            extra = suffixes[pick] if attempt < 3 else cat_strings(suffixes[pick], "-", str(attempt))
            name = name.copy()
            # (cut long names first, or the suffix would fall beyond the Hub's 96 characters)
            name[rest] = _tidy(cat_strings(object_array(x[:84] for x in name[rest]), extra))
        return owner, name

    def _col(self, key: str) -> np.ndarray:
        return np.concatenate(self.cols[key]) if self.cols[key] else np.array([])

    # ---- the Hub, segment by segment ------------------------------------------------------------

    def build(self) -> SyntheticHub:
        n = self.n
        base_idx = self._add_bases()
        rest = n - len(base_idx)
        if rest <= 0:
            return self._finish()
        n_orig = int(round(rest * _ORIGINAL_SHARE))
        n_bulk = int(round(rest * _BULK_SHARE))
        n_derived = rest - n_orig - n_bulk
        self._add_originals(n_orig)
        self._add_bulk(n_bulk)
        sizes = np.floor(np.array(_WAVES) * n_derived).astype(int)
        sizes[0] += n_derived - sizes.sum()
        parents = base_idx
        for wave, k in enumerate(sizes):
            if k <= 0:
                continue
            if len(parents) == 0:
                parents = base_idx
            new = self._add_derived(int(k), parents, wave)
            kinds = self._col("kind")[new]
            parents = new[(kinds == FINETUNE) | (kinds == MERGE)]
        return self._finish()

    def _add_bases(self) -> np.ndarray:
        bases = self.bases
        ids = {b.id: i for i, b in enumerate(bases)}
        k = len(bases)
        p1 = np.array([ids[b.parent] if b.parent else -1 for b in bases], dtype=np.int64)
        t = np.array([day_number(b.created) for b in bases]) + self.rng.random(k)
        pop = np.array([b.popularity for b in bases], dtype=np.float64)
        # log10 of 30-day downloads: popularity 10 is ~6M (Llama-3.1-8B-Instruct's order), 5 is ~25k
        logdl = 2.0 + 0.48 * pop + self.rng.normal(0, 0.25, k)
        return self._add(
            owner=object_array(b.id.split("/")[0] for b in bases),
            name=object_array(b.id.split("/")[1] for b in bases),
            kind=np.full(k, BASE, np.int8),
            root=np.arange(k, dtype=np.int32),
            p1=p1,
            p2=np.full(k, -1),
            p3=np.full(k, -1),
            t=t,
            params=np.array([b.params for b in bases], np.int64),
            pop=logdl,
            qfmt=np.full(k, -1, np.int16),
            by_account=np.zeros(k, bool),
        )

    def _root_weights(self) -> np.ndarray:
        """How many children each base draws: 2**popularity × its family's `children`. Each family draws as
        much as all its real bases would, whichever of them are kept and however many composed bases join
        them, so that the families' shares (hence the pipeline-tag mix) do not drift with the Hub's size."""
        w = np.array([2.0**b.popularity * f.children for b, f in zip(self.bases, self.fams)])
        per_family = np.bincount(self.base_fam, weights=w, minlength=len(self.fam_list))
        full = np.zeros(len(self.fam_list))
        for b in pools.BASES:
            f = pools.FAMILIES[b.family]
            full[self.fam_index[b.family]] += 2.0**b.popularity * f.children
        scale = np.divide(full, per_family, out=np.ones_like(per_family), where=per_family > 0)
        return w * scale[self.base_fam]

    def _growth_dates(
        self, start: np.ndarray, rate_days: float = 600.0, old_era: float | np.ndarray = 0.35
    ) -> np.ndarray:
        """Dates after `start`, denser towards HUB_NOW (the Hub's growth), or in the parent's own era: within
        weeks of a release since 2023 (the rush after a popular release), within a year or two for the
        older models, whose children came when the Hub grew (from mid-2021). `old_era` is the share of an
        older model's children made in its era."""
        rng = self.rng
        k = len(start)
        span = np.maximum(self.now - start, 1.0)
        r = 1.0 / rate_days
        grow = start + np.log1p(rng.random(k) * np.expm1(r * span)) / r
        modern = start >= day_number("2023-01-01")
        era_start = np.where(modern, start, np.maximum(start, day_number("2021-06-01")))
        era = era_start + np.minimum(rng.exponential(np.where(modern, 120.0, 400.0)), self.now - era_start)
        t = np.where(rng.random(k) < np.where(modern, 0.45, old_era), era, grow)
        return t + rng.random(k)

    def _between(self, start: np.ndarray, t: np.ndarray) -> np.ndarray:
        """`t` clipped strictly between its parents' time and HUB_NOW, a few seconds away from both when
        there is room, so that a child is always newer than its parents, even at the second."""
        room = self.now - start
        gap = np.minimum(room * 0.4, np.maximum(room * 1e-3, 5 / 86400))
        return np.clip(t, start + gap, self.now - gap)

    def _add_originals(self, k: int) -> None:
        """Models without a parent: own small pre-trainings, uploads with names that say nothing."""
        if k <= 0:
            return
        rng = self.rng
        root = _weighted(rng, self._root_weights(), k).astype(np.int32)
        t = np.minimum(self._growth_dates(np.full(k, day_number("2019-06-01"))), self.now - self.rng.random(k))
        f = self._name_fields(np.arange(k), root, _filled_str(k))
        f["word"] = self._words(pools.ORG_WORDS, k)
        f["tiny"] = self._choose(
            k, {"50m": 1, "100M": 1, "124M": 1, "350m": 1, "1b": 1, "0.5B": 1, "70M": 1, "160m": 1}
        )
        name, _ = self._render(
            k,
            {
                **_JUNK_TEMPLATES,
                "{brand}-{version}": 4,
                "{brand}-{topic}-{version}": 2,
                "tiny-{word}-{tiny}": 3,
                "{word}-{topic}-{num}": 1,
            },
            f,
        )
        params = (self._col("params")[root] * rng.uniform(0.2, 1.0, k)).astype(np.int64)
        self._add(
            owner=self._pick_users(k),
            name=name,
            kind=np.full(k, ORIGINAL, np.int8),
            root=root,
            p1=np.full(k, -1),
            p2=np.full(k, -1),
            p3=np.full(k, -1),
            t=t,
            params=params,
            pop=rng.normal(0.2, 0.9, k) + self._favourites(root),
            qfmt=np.full(k, -1, np.int16),
            by_account=np.zeros(k, bool),
        )

    def _add_bulk(self, k: int) -> None:
        """huggingtweets-style accounts: thousands of gpt2 fine-tunes named after a person, none declared."""
        gpt2 = [i for i, b in enumerate(self.bases) if b.family in ("gpt2", "distilgpt2")]
        if k <= 0 or not gpt2:
            return
        rng = self.rng
        parent = np.array(gpt2)[rng.integers(len(gpt2), size=k)]
        owner = object_array(pools.BULK_ACCOUNTS)[np.minimum(rng.geometric(0.55, k) - 1, len(pools.BULK_ACCOUNTS) - 1)]
        handles = self.users[rng.integers(len(self.users), size=k)]
        name = cat_strings(
            handles, np.where(rng.random(k) < 0.3, cat_strings("-", rng.integers(1, 99, k).astype(str)), "")
        )
        t = np.clip(day_number("2021-09-01") + rng.exponential(300, k), None, self.now - 1)
        params = self._col("params")[parent]
        self._add(
            owner=owner,
            name=name,
            kind=np.full(k, FINETUNE, np.int8),
            root=self._col("root")[parent].astype(np.int32),
            p1=parent,
            p2=np.full(k, -1),
            p3=np.full(k, -1),
            t=t,
            params=params,
            pop=rng.normal(0.0, 0.7, k),
            qfmt=np.full(k, -1, np.int16),
            by_account=np.zeros(k, bool),
        )

    def _add_derived(self, k: int, parents: np.ndarray, wave: int) -> np.ndarray:
        """k children of `parents` (row indices): kind, parents, date, owner, size, popularity and name."""
        rng = self.rng
        kinds_all = self._col("kind")
        roots_all = self._col("root")
        t_all = self._col("t")
        pop_all = self._col("pop")
        params_all = self._col("params")
        mix = _MIX_BASES if wave == 0 else _MIX_DERIVED
        kind = rng.choice(np.array(list(mix), np.int8), size=k, p=np.array(list(mix.values())))
        # Parents: popular ones attract more children; quantizers go for the most popular.
        ppop = pop_all[parents]
        if wave == 0:
            w_any = self._root_weights()[roots_all[parents]] * np.where(kinds_all[parents] == BASE, 1.0, 0.2)
        else:
            w_any = 10 ** (0.25 * ppop)
        w_quant = w_any * 10 ** (0.2 * ppop)
        p1 = parents[_weighted(rng, w_any, k)]
        is_q = kind == QUANTIZED
        p1[is_q] = parents[_weighted(rng, w_quant, int(is_q.sum()))]
        root = roots_all[p1].astype(np.int32)
        # Encoders, vision and speech models are fine-tuned, not merged or quantized for llama.cpp.
        llm = self.base_llm[root]
        # Diffusion models are extended by LoRAs above all (FLUX.1-dev's children are mostly adapters).
        other = ~llm & ((kind == QUANTIZED) | (kind == MERGE))
        kind[other] = np.where(self.base_lora[root[other]], ADAPTER, FINETUNE)
        # Merges: 2 or 3 parents sharing the first parent's root (same architecture and size).
        p2 = np.full(k, -1, np.int64)
        p3 = np.full(k, -1, np.int64)
        is_m = np.flatnonzero(kind == MERGE)
        if len(is_m):
            proot = roots_all[parents]
            order = np.argsort(proot, kind="stable")
            sorted_roots = proot[order]
            lo = np.searchsorted(sorted_roots, root[is_m], side="left")
            hi = np.searchsorted(sorted_roots, root[is_m], side="right")
            for target in (p2, p3):
                pick = parents[order[lo + (rng.random(len(is_m)) * (hi - lo)).astype(np.int64)]]
                target[is_m] = pick
            p3[is_m[rng.random(len(is_m)) < 0.7]] = -1
            p2[p2 == p1] = -1
            p3[(p3 == p1) | (p3 == p2)] = -1
            shift = (p2 < 0) & (p3 >= 0)
            p2[shift], p3[shift] = p3[shift], -1
            # A merge with a single distinct parent is, in truth, a fine-tune.
            kind[is_m[(p2[is_m] < 0) & (p3[is_m] < 0)]] = FINETUNE
        start = t_all[p1]
        for extra in (p2, p3):
            has = extra >= 0
            start[has] = np.maximum(start[has], t_all[extra[has]])
        # Dates: quantizers follow within days; the rest spread over the Hub's growth.
        # Encoders, vision and speech models were mostly fine-tuned in their own era (the BERT years: 2022's Hub
        # was 14 % text classifiers and 8 % text generators, hf-models-2022-10).
        t = self._growth_dates(start + 0.5, old_era=np.where(llm, 0.35, _OTHER_TASK_OLD_ERA))
        is_q = kind == QUANTIZED
        quick = is_q & (rng.random(k) < 0.75)
        t[quick] = np.minimum(start[quick] + 0.2 + rng.exponential(12.0, int(quick.sum())), self.now - 0.1)
        qfmt, by_account, owner = self._quant_owners(kind, t)
        # No repo predates its format (GGUF appeared in August 2023, MLX in December 2023, ...).
        has_fmt = qfmt >= 0
        floor = self.format_start[qfmt[has_fmt]]
        t[has_fmt] = np.maximum(t[has_fmt], floor + rng.exponential(20.0, int(has_fmt.sum())))
        t = self._between(start, t)
        owner_other = self._pick_users(k)
        owner = np.where(owner == None, owner_other, owner)  # noqa: E711 (object array)
        # Fine-tunes of a model by the same user are often "v2" of it.
        same_user = (kind == FINETUNE) & (kinds_all[p1] != BASE) & (rng.random(k) < 0.25)
        owner[same_user] = self._col("owner")[p1[same_user]] if same_user.any() else owner[same_user]
        params = params_all[p1].copy()
        noise = (kind == FINETUNE) & (rng.random(k) < 0.15)
        params[noise] = (params[noise] * rng.uniform(0.998, 1.004, int(noise.sum()))).astype(np.int64)
        is_a = kind == ADAPTER
        # LoRA adapters: the adapter's own parameters (rank 8–128 over a few projections).
        params[is_a] = (params[is_a] * rng.uniform(0.001, 0.03, int(is_a.sum()))).astype(np.int64)
        name, telling = self._derived_names(kind, qfmt, by_account, owner, p1, p2, root, same_user)
        # Training runs named by their settings (`-lr2e-5-e3`, `-r16`, `-20240514`): the Hub's open vocabulary,
        # which keeps names distinct as it grows (0.86 distinct at 15k, 0.81 at 75k in hf-models-2022-10).
        tagged = np.flatnonzero(((kind == FINETUNE) | (kind == ADAPTER)) & (rng.random(k) < _RUN_TAG_SHARE))
        if len(tagged):
            name[tagged] = cat_strings(name[tagged], "-", self._run_tags(len(tagged)))
        pop = self._popularity(kind, by_account, pop_all[p1], t) - np.where(telling, 0.0, 0.8)
        pop += np.where(kind == ADAPTER, 0.0, self._favourites(root))
        return self._add(
            owner=owner,
            name=name,
            kind=kind,
            root=root,
            p1=p1,
            p2=p2,
            p3=p3,
            t=t,
            params=params,
            pop=pop,
            qfmt=qfmt,
            by_account=by_account,
        )

    def _quant_owners(self, kind: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Quantized rows: a quantizer account active at that date (or a random user), and a format."""
        rng = self.rng
        k = len(kind)
        fmt_keys = list(pools.QUANT_FORMATS)
        qfmt = np.full(k, -1, np.int16)
        by_account = np.zeros(k, bool)
        owner = np.full(k, None, dtype=object)
        rows = np.flatnonzero(kind == QUANTIZED)
        if not len(rows):
            return qfmt, by_account, owner
        qs = pools.QUANTIZERS
        start = np.array([day_number(q.active[0]) for q in qs])
        end = np.array([day_number(q.active[1]) for q in qs])
        weight = np.array([q.weight for q in qs])
        tq = t[rows][:, None]
        w = np.where((tq >= start) & (tq <= end), weight, 0.0)
        # About 60 % of quantized repos come from the known accounts (when any is active), 40 % from users.
        total = w.sum(axis=1)
        from_account = (total > 0) & (rng.random(len(rows)) < 0.6)
        cum = np.cumsum(w, axis=1)
        pick = (cum < (rng.random(len(rows)) * total)[:, None]).sum(axis=1).clip(0, len(qs) - 1)
        acc_rows = rows[from_account]
        acc = pick[from_account]
        owner[acc_rows] = object_array(q.account for q in qs)[acc]
        by_account[acc_rows] = True
        # Each account's own formats, uniformly
        n_fmt = np.array([len(q.formats) for q in qs])
        which = (rng.random(len(acc_rows)) * n_fmt[acc]).astype(int)
        fmt_table = np.array([[fmt_keys.index(q.formats[min(j, len(q.formats) - 1)]) for j in range(4)] for q in qs])
        qfmt[acc_rows] = fmt_table[acc, which]
        user_rows = rows[~from_account]
        names, ws = zip(*pools.USER_QUANT_FORMATS)
        ws = np.array(ws) / sum(ws)
        qfmt[user_rows] = np.array([fmt_keys.index(x) for x in names])[rng.choice(len(names), len(user_rows), p=ws)]
        return qfmt, by_account, owner

    def _popularity(
        self, kind: np.ndarray, by_account: np.ndarray, parent_pop: np.ndarray, t: np.ndarray
    ) -> np.ndarray:
        """log10 of 30-day downloads: casual repos are rarely downloaded, quantizer accounts inherit their
        parent's fame, recent repos are downloaded more than old ones. Adapters are tuned so that they are 13 % of
        the declared relations above 1,193 downloads, as in hf-top-downloads-2024-09."""
        rng = self.rng
        k = len(kind)
        qacct = (kind == QUANTIZED) & by_account
        quse = (kind == QUANTIZED) & ~by_account
        mu = np.select([qacct, quse, kind == ADAPTER, kind == MERGE], [0.76, 0.3, 0.7, 1.0], 0.7)
        sigma = np.select([kind == ADAPTER, kind == QUANTIZED, kind == MERGE], [0.85, 0.9, 1.0], 1.1)
        follow = np.select([qacct, kind == ADAPTER], [0.25, 0.1], 0.1)
        mu = mu + follow * (parent_pop - 2.0)
        age_years = (self.now - t) / 365.0
        mu = mu - 0.25 * np.maximum(age_years - 1.0, 0.0)
        return mu + sigma * rng.standard_normal(k)

    def _favourites(self, root: np.ndarray) -> np.ndarray:
        """The log10 download shift of the other tasks' models: their family's boost (`Family.downloads`) for one
        in _FAVOURITE_EVERY, the few a pipeline, a tutorial or a CI job pulls every day, _OTHER_TASK_REST for
        the rest; 0 for language models. A boost for all of them would fill the Hub's middle (100+ downloads)
        before its top. The caller leaves adapters out: above hf-top-downloads-2024-09's threshold 789 of the
        1,002 text-to-image models declare no parent (merged checkpoints), 151 are adapters."""
        boost = self.base_downloads[root]
        rest = np.where(boost > 0, _OTHER_TASK_REST, 0.0)
        return np.where(self.rng.random(len(root)) * _FAVOURITE_EVERY < 1.0, boost, rest)

    # ---- names -----------------------------------------------------------------------------------

    def _alias(self, root: np.ndarray) -> np.ndarray:
        """The family, re-spelled the way users write it (`llama-3-8b`, `Qwen2.5-1_5B`, `mistral`)."""
        rng = self.rng
        k = len(root)
        a = self.alias_off[root] + (rng.random(k) * self.alias_cnt[root]).astype(np.int64)
        size = self.size_var[root, rng.choice(4, size=k, p=[0.45, 0.35, 0.05, 0.15])]
        return cat_strings(self.alias_pre[a], np.where(self.alias_has_s[a], size, ""), self.alias_post[a])

    def _size_token(self, root: np.ndarray) -> np.ndarray:
        rng = self.rng
        return self.size_var[root, rng.choice(4, size=len(root), p=[0.5, 0.4, 0.03, 0.07])]

    def _derived_names(self, kind, qfmt, by_account, owner, p1, p2, root, same_user) -> tuple[np.ndarray, np.ndarray]:
        k = len(kind)
        names_all = self._col("name")
        owners_all = self._col("owner")
        pname = names_all[p1]
        name = np.empty(k, dtype=object)
        telling = np.ones(k, bool)
        for rows, make in (
            (np.flatnonzero(kind == FINETUNE), lambda r: self._finetune_names(r, pname, root, same_user)),
            (np.flatnonzero(kind == ADAPTER), lambda r: self._adapter_names(r, pname, root)),
            (np.flatnonzero(kind == MERGE), lambda r: self._merge_names(r, pname, names_all, p2, root)),
            (
                np.flatnonzero(kind == QUANTIZED),
                lambda r: self._quant_names(r, pname, owners_all[p1], qfmt, by_account, owner),
            ),
        ):
            if len(rows):
                name[rows], telling[rows] = make(rows)
        return name, telling

    def _run_tags(self, k: int) -> np.ndarray:
        """One or two training settings per row, from a space of millions: `lr2e-5`, `e3-bs16`, `20240514`."""
        rng = self.rng
        days = rng.integers(int(day_number("2022-01-01")), int(self.now), k).astype("datetime64[D]")
        parts = np.stack(
            [
                cat_strings("lr", self._choose(k, {"1": 2, "2": 3, "3": 1, "5": 2}), "e-", self._choose(k, _LR_EXP)),
                cat_strings("e", _numbers(rng, 1, 11, k)),
                cat_strings("bs", self._choose(k, {"8": 1, "16": 2, "32": 2, "64": 1, "128": 1})),
                cat_strings("r", self._choose(k, {"4": 1, "8": 2, "16": 3, "32": 2, "64": 2, "128": 1})),
                cat_strings("seed", _numbers(rng, 0, 1000, k)),
                pd.Series(np.datetime_as_string(days)).str.replace("-", "", regex=False).to_numpy(dtype=object),
                cat_strings("step", _numbers(rng, 1, 4000, k)),
            ]
        )
        rows = np.arange(k)
        first, second = rng.integers(len(parts), size=k), rng.integers(len(parts), size=k)
        one = parts[first, rows]
        two = (rng.random(k) < 0.5) & (first != second)
        one[two] = cat_strings(one[two], "-", parts[second[two], rows[two]])
        return one

    def _choose(self, k: int, weights: Mapping[str, float]) -> np.ndarray:
        keys = list(weights)
        p = np.array(list(weights.values()), dtype=np.float64)
        return np.array(keys, dtype=object)[self.rng.choice(len(keys), size=k, p=p / p.sum())]

    def _words(self, pool: tuple[str, ...], k: int) -> np.ndarray:
        return object_array(pool)[self.rng.integers(len(pool), size=k)]

    def _render(
        self, k: int, templates: dict[str, float], fields: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pick a template per row (by weight) and fill it from `fields`, concatenating only the rows that
        use it. A template needing {size} falls back to its `|`-alternative when the model has no size.
        Also returns which names are telling (name the family or the parent)."""
        tpl = self._choose(k, templates)
        has_size = fields["size"] != ""
        out = np.empty(k, dtype=object)
        telling = np.zeros(k, bool)
        for template in templates:
            main, _, fallback = template.partition("|")
            rows = tpl == template
            telling[rows] = any(f in main for f in ("{alias}", "{parent}", "{stem}", "{short1}"))
            if "{size}" in main and fallback:
                out[rows & ~has_size] = _fill(fallback, fields, rows & ~has_size)
                rows = rows & has_size
            out[rows] = _fill(main, fields, rows)
        return out, telling

    def _name_fields(self, rows: np.ndarray, root: np.ndarray, pname: np.ndarray) -> dict[str, np.ndarray]:
        k = len(rows)
        r = root[rows]
        w = self._words
        topic, method, ds = w(pools.TOPICS, k), w(pools.METHODS, k), w(pools.DATASETS, k)
        # The other tasks' models are named from their own domain: `distilbert-base-uncased-finetuned-imdb`,
        # `sdxl-pixel-art-lora`, `whisper-small-hindi`, not `...-dpo`.
        domain = self.base_domain[r]
        for d, (topics, methods, datasets) in enumerate(pools.DOMAIN_WORDS.values(), start=1):
            m = np.flatnonzero(domain == d)
            if len(m):
                topic[m], method[m], ds[m] = w(topics, len(m)), w(methods, len(m)), w(datasets, len(m))
        return {
            "alias": self._alias(r),
            "size": self._size_token(r),
            "parent": pname[rows],
            "topic": topic,
            "method": method,
            "brand": w(pools.BRANDS, k),
            "brand2": w(pools.BRANDS, k),
            "lang": w(pools.LANGS, k),
            "version": w(pools.VERSIONS, k),
            "ds": ds,
            "junk": w(pools.JUNK, k),
            "merge": w(pools.MERGE_METHODS, k),
            "num": self.rng.integers(1, 1000, k).astype(str).astype(object),
            "tutorial": object_array(pools.TUTORIAL_NAMES)[_weighted(self.rng, _TUTORIAL_WEIGHTS, k)],
        }

    def _finetune_names(self, rows, pname, root, same_user) -> tuple[np.ndarray, np.ndarray]:
        k = len(rows)
        f = self._name_fields(rows, root, pname)
        f["stem"] = _strip_version(f["parent"])
        out, telling = self._render(
            k,
            {
                "{alias}-{topic}": 5,
                "{alias}-{topic}-{method}": 12,
                "{alias}-{brand}": 3,
                "{brand}-{alias}": 5,
                "{brand}-{size}-{version}|{brand}-{alias}": 6,
                "{parent}-{method}": 7,
                "{alias}-{lang}-{method}": 5,
                "{alias}-{lang}-{topic}": 3,
                "{alias}-{topic}-{version}": 4,
                "{alias}-finetuned-{ds}": 7,
                "{brand}-{version}": 5,
                **_JUNK_TEMPLATES,
                "{brand}-{topic}-{version}": 3,
                "{brand}{brand2}-{version}": 1,
                "{alias}-{method}": 4,
                "{lang}-{alias}-{version}": 4,
                "{stem}-{version}": 3,
                "{tutorial}": _TUTORIAL_SHARE * 88,
            },
            f,
        )
        # A user's next version of their own model
        su = same_user[rows]
        out[su] = cat_strings(_strip_version(f["parent"][su]), "-", f["version"][su])
        return out, telling | su

    def _adapter_names(self, rows, pname, root) -> tuple[np.ndarray, np.ndarray]:
        k = len(rows)
        f = self._name_fields(rows, root, pname)
        f["lora"] = self._choose(k, {"lora": 5, "qlora": 2, "LoRA": 1, "adapter": 1, "peft": 1})
        f["step"] = (self.rng.integers(1, 400, k) * 50).astype(str).astype(object)
        return self._render(
            k,
            {
                "{alias}-{topic}-{lora}": 8,
                "{alias}-{lora}-{topic}": 4,
                "{lora}-{alias}-{topic}": 2,
                "{topic}-{lora}": 2,
                **_JUNK_TEMPLATES,
                "{junk}-{lora}": 2,
                "checkpoint-{step}": 3,
                "{alias}-{topic}": 3,
                "{tutorial}": _TUTORIAL_SHARE * 29,
            },
            f,
        )

    def _merge_names(self, rows, pname, names_all, p2, root) -> tuple[np.ndarray, np.ndarray]:
        k = len(rows)
        f = self._name_fields(rows, root, pname)
        f["short1"] = _first_words(f["parent"])
        f["short2"] = _first_words(names_all[np.maximum(p2[rows], 0)])
        f["experts"] = self._choose(k, {"2x": 3, "4x": 2, "8x": 1})
        return self._render(
            k,
            {
                "{alias}-{brand}-{merge}": 6,
                "{brand}-{brand2}-{size}-{merge}|{brand}-{brand2}-{merge}": 6,
                "{brand}-{size}-{merge}|{brand}-{alias}-{merge}": 5,
                "{short1}-{short2}-{merge}": 3,
                "{brand}{brand2}-{alias}": 4,
                "{brand}-MoE-{experts}{size}|{brand}-MoE": 1,
                "{brand}-{alias}-{version}": 3,
            },
            f,
        )

    def _quant_names(self, rows, pname, powner, qfmt, by_account, owner) -> tuple[np.ndarray, np.ndarray]:
        k = len(rows)
        fmts = list(pools.QUANT_FORMATS.values())
        f = qfmt[rows]
        # Per format, a choice among its suffixes
        suffix = np.empty(k, dtype=object)
        for i, spec in enumerate(fmts):
            m = f == i
            if m.any():
                suffix[m] = object_array(spec.suffixes)[self.rng.integers(len(spec.suffixes), size=int(m.sum()))]
        base = pname[rows]
        own = owner[rows]
        # The big accounts keep one spelling per format (`-GGUF`, `-AWQ`, `-GPTQ`)
        canonical = np.isin(own, _CANONICAL_ACCOUNTS)
        first = object_array([spec.suffixes[0] for spec in fmts] + [""])[f]
        suffix[canonical] = first[canonical]
        # TheBloke wrote names in his own CamelCase; RichardErkhov keeps the parent's owner in the name.
        base = base.copy()
        camel = own == "TheBloke"
        base[camel] = _camel(base[camel])
        erkhov = own == "RichardErkhov"
        base[erkhov] = cat_strings(powner[rows][erkhov], "_-_", base[erkhov])
        mlx_comm = own == "mlx-community"
        suffix = np.where(mlx_comm & (suffix == "-mlx"), "-4bit", suffix)
        out = cat_strings(base, suffix)
        # Some users lower-case the whole name.
        lower = ~by_account[rows] & (self.rng.random(k) < 0.08)
        out[lower] = pd.Series(out[lower], dtype=object).str.lower().to_numpy(dtype=object)
        return out, np.ones(k, bool)

    # ---- the frame -------------------------------------------------------------------------------

    def pop_columns(self) -> dict[str, np.ndarray]:
        """The rows built so far, one array per column; the builder lets go of them (and of its name index)."""
        cols = {}
        for key in list(self.cols):
            cols[key] = self._col(key)
            del self.cols[key]
        self.lower_ids = set()
        return cols

    def _finish(self) -> SyntheticHub:
        return render(self.pop_columns(), self.rng, self.bases, self.base_fam, self.fam_list, self.now)


def _numbers(rng: np.random.Generator, low: int, high: int, k: int) -> np.ndarray:
    return rng.integers(low, high, k).astype(str).astype(object)


def _tidy(name: np.ndarray) -> np.ndarray:
    """Repo names the Hub accepts (`[A-Za-z0-9._-]`, no "--" or "..", no "-" or "." at the ends, at most 96
    characters). The pools only hold such words, so only joins and lengths need checking."""
    name = np.asarray(name, dtype=object)
    bad = np.fromiter(
        (len(x) > 96 or "--" in x or ".." in x or x[:1] in "-._" or x[-1:] in "-._" for x in name),
        dtype=bool,
        count=len(name),
    )
    if bad.any():
        s = pd.Series(name[bad], dtype=object)
        s = s.str.replace(r"-{2,}", "-", regex=True).str.replace(r"\.{2,}", ".", regex=True)
        s = s.str.slice(0, 96).str.strip("-._")
        name = name.copy()
        name[bad] = s.where(s.str.len() > 0, "model").to_numpy(dtype=object)
    return name


def _fill(template: str, fields: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """`template` ("{alias}-{topic}") filled from the `rows` of each field array."""
    parts: list[Any] = []  # literal text and field columns (str and object arrays)
    for literal, field, _, _ in _FORMATTER.parse(template):
        if literal:
            parts.append(literal)
        if field:
            parts.append(fields[field][rows])
    if not any(isinstance(p, np.ndarray) for p in parts):
        return np.full(int(rows.sum()), "".join(parts), dtype=object)
    if isinstance(parts[0], str) and len(parts) > 1:
        parts[0], parts[1] = np.add(parts[0], parts[1]), None
        parts = [p for p in parts if p is not None]
    return cat_strings(*parts)


_FORMATTER = string.Formatter()


def _filled_str(k: int) -> np.ndarray:
    return np.full(k, "", dtype=object)


def _strip_version(name: np.ndarray) -> np.ndarray:
    return pd.Series(name, dtype=object).str.replace(r"[-_]?[vV]\d+(\.\d+)?$", "", regex=True).to_numpy(dtype=object)


def _first_words(name: np.ndarray) -> np.ndarray:
    """The first two dash-separated words of a name (merge names join their parents' short names)."""
    parts = pd.Series(name, dtype=object).str.split("-", n=2, expand=False)
    return object_array("-".join(p[:2]) for p in parts)


def _camel(name: np.ndarray) -> np.ndarray:
    """TheBloke's spelling: `llama-2-7b-chat-hf` -> `Llama-2-7B-Chat`."""
    s = pd.Series(name, dtype=object)
    s = s.str.replace(r"-hf$", "", regex=True)
    s = s.str.replace(r"(?<=\d)b(?=$|-)", "B", regex=True)
    s = s.str.replace(r"(^|-)([a-z])", lambda m: m.group(1) + m.group(2).upper(), regex=True)
    return s.to_numpy(dtype=object)
