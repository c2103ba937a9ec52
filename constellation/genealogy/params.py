"""Parameter counts: what a model's name says, and the best estimate from metadata, name and parent.

Two public functions:

- `params_from_name(name)` reads the size a repo name states (`Llama-2-7b`, `opt-350m`, `Qwen-1_8B`,
  `bloom-7b1`, `Mixtral-8x7B`, `Qwen3-30B-A3B`) and nothing else: versions (`Qwen2.5`, `gpt-3.5-turbo`,
  `v0.1`), dates, quantization marks (`4bit`, `Q4_K_M`, `4.0bpw`), hyper-parameters (`lr1e-4`, `bs256`,
  `epoch3`) and context lengths (`ctx8k`, `32k`, `-1M`) are not sizes.
- `estimate_params(models, parent)` picks, for every model of a snapshot frame, the best estimate and
  says where it came from: safetensors > gguf > name > base_model (the parent's estimate) > none.
  Quantized repos often report their packed tensors (a 4-bit 7B model shows 1.1B or 3.9B), so when the
  metadata of a quantized-looking repo is far below what the name or the parent says, those win and the
  row is flagged.

Numbers and their origin (measured on ../shared/data, see docs/quality.md, "Parameters"):
- `_MOE_SHARED`: in a mixture of experts upcycled from a dense model, only the MLP blocks are copied per
  expert. For Mistral-7B the MLPs are 78 % of the weights, so `NxM` has M·(1 + 0.78·(N−1)) parameters:
  8x7B → 45.2B (Mixtral: 46.7B; the nominal 56B is 20 % off) and 8x22B → 142B (Mixtral: 140.6B; the
  nominal 176B is 25 % off, outside the ±25 % tolerance).
- `_PACKED_RATIO`: metadata below 0.6 × the reference counts as packed. Unpacked counts sit within 0.75–1.4
  of the size names state (Llama-2-7b is 6.74B, Gemma-7b 8.54B); 4-bit packing stores 1/8 to 1/2 of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.errors import ParamsError

__all__ = [
    "PARAMS_SOURCES",
    "NameSize",
    "ParamsError",
    "estimate_params",
    "is_quantized_repo",
    "params_from_name",
    "quantized_rows",
]

PARAMS_SOURCES: tuple[str, ...] = ("safetensors", "gguf", "name", "base_model", "none")

_UNIT = {"k": 10**3, "m": 10**6, "b": 10**9, "t": 10**12}
_MOE_SHARED = 0.78
_PACKED_RATIO = 0.6
# The largest open models are ~2T parameters; a bigger "T" figure is a count of training tokens (`-5T`).
_MAX_TOTAL_T = 2.5


@dataclass(frozen=True)
class NameSize:
    total: int | None  # parameters stated by the name, e.g. 7_000_000_000; None when the name states none
    active: int | None  # active parameters of a MoE (30B-A3B -> 3e9; A22B); None otherwise
    token: str | None  # the matched text, for evidence/debugging


_NONE = NameSize(None, None, None)

# One size token. Matching is case-insensitive; the checks the regex cannot express (what precedes the
# number, version-vs-decimal underscores) are made in `_candidates`.
_SIZE_RE = re.compile(
    r"""
    (?<![0-9])(?<![0-9]\.)                        # not the tail of a number or version (2.5, v0.1)
    (?:(?P<experts>[1-9]\d{0,2})[x×])?            # MoE experts: 8x7B
    (?P<int>\d+)
    (?:
        \.(?P<frac>\d{1,3})                       # 1.3b, 10.7B, 0.125b
      | (?P<dsep>[_p])(?P<dfrac>\d)(?!\d)         # 1_5B, 2p7b (one digit: llama_2_13b is not 2.13B)
    )?
    (?P<unit>[bmkt])
    (?:(?P<bloom>\d)(?![a-z0-9]))?                # bloom-7b1 = 7.1B
    (?:
        (?-i:(?<=[BMT])(?=[A-Z][a-z]))            # GPTNeo350MInformal: a capital starts the next word
      | (?!(?!v\d)[a-z0-9])                      # 4bit, 4.0bpw, 3.5-turbo, 713b8e (a hash); 7bv5 is fine
    )
    (?:
        [-_.]?a(?P<aint>\d+)(?:[._p](?P<afrac>\d{1,2}))?b(?![a-z0-9])   # 30B-A3B
      | (?-i:(?<=B)-(?P<nexp>[1-9]\d{0,2})E)(?![a-z0-9])                # Llama-4-Scout-17B-16E: active
    )?
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Letters glued to a number that make it a field, not a size: ctx8k, seq2k, step100k, ep3, laion400m.
_FIELD_PREFIXES = frozenset(
    ["ctx", "context", "seq", "len", "step", "steps", "ep", "epoch", "epochs", "bs", "lr", "iter", "it", "laion", "in", "ft", "top", "rank", "gs", "tr"]
)
# One-letter prefixes that do not make a field: GPT-J6B, pubtator-gpt-p43M (p for parameters).
_SIZE_LETTERS = frozenset("jp")
# Lowercase words a size is glued to in real names (llama7b, opt350m, baizelora13b). Glued to other
# lowercase words, a number+unit is more often a dataset or a variant (esm1b, lvd142m, wiki40b, tr8b).
_GLUED_FAMILIES = ("llama", "alpaca", "vicuna", "mistral", "mixtral", "gemma", "qwen", "phi", "falcon", "mpt", "opt", "bloom", "bloomz", "gpt", "gptj", "neo", "neox", "pythia", "baize", "koala", "guanaco", "wizardlm", "wizard", "starcoder", "codegen", "solar", "yi", "olmo", "cerebras", "redpajama", "rwkv", "glm", "baichuan", "internlm", "deepseek", "orca", "platypus", "pygmalion", "lora", "xlsr", "t5", "bert", "roberta", "bart", "electra", "xglm", "llava")
# Below 10M parameters a model is tiny; next to an architecture size word (roberta-base, bert-large),
# such an M figure counts data (1M sentences, 2M steps), not parameters.
_SMALL_M = 10_000_000
_SIZE_WORD_RE = re.compile(r"(?<![a-z])(?:base|large|small|medium|xl|xxl)(?![a-z])")
# Families whose names carry a version: in `llama_2_7b` the `2` is the version, not the 2 of 2.7B.
_VERSIONED_FAMILIES = frozenset(
    ["llama", "llama2", "llama3", "gemma", "gemma2", "qwen", "qwen2", "mistral", "falcon", "phi", "yi", "glm", "chatglm", "baichuan", "internlm", "deepseek", "olmo", "granite", "exaone", "starcoder", "codellama", "vicuna", "mpt"]
)
_PARAM_WORD_RE = re.compile(r"[-_]?params?(?![a-z])", re.IGNORECASE)
_ANY_DIGIT_UNIT = re.compile(r"\d[._p]?\d*[bmktBMKT]")


def _is_version_underscore(lowered: str, start: int) -> bool:
    """In `X_Y<unit>`, whether X is a version glued to a family (Llama2_7B, llama_2_7b, llama3_1_8b)."""
    if start == 0:
        return False
    char_before = lowered[start - 1]
    if char_before.isalnum():
        return True
    if char_before != "_":
        return False
    if start >= 2 and lowered[start - 2].isdigit():
        return True
    word_before = re.split(r"[^a-z0-9]", lowered[: start - 1])[-1]
    return word_before in _VERSIONED_FAMILIES


@dataclass(frozen=True)
class _Candidate:
    rank: int  # lower is preferred: 0 explicit "-params", 1 B/T, 2 M, 3 standalone T
    start: int
    total: int | None
    active: int | None
    token: str


def _value(int_part: str, frac: str | None, unit: str) -> float:
    number = float(f"{int_part}.{frac}") if frac else float(int_part)
    return number * _UNIT[unit.lower()]


def _letters_before(name: str, pos: int) -> str:
    i = pos
    while i > 0 and name[i - 1].isalpha():
        i -= 1
    return name[i:pos]


def _candidates(name: str) -> list[_Candidate]:
    out: list[_Candidate] = []
    lowered = name.lower()
    for m in _SIZE_RE.finditer(name):
        start = m.start()
        int_part, frac, unit = m["int"], m["frac"], m["unit"].lower()
        if len(int_part) > 1 and int_part.startswith("0"):
            continue  # V0309B1, 0528: dates and codes, not sizes
        if len(int_part) == 4 and 1990 <= int(int_part) <= 2039 and not m["frac"]:
            continue  # 2021MScAI: a year
        prefix = _letters_before(lowered, start)
        underscore_version = m["dsep"] == "_" and _is_version_underscore(lowered, start)
        active_only = False
        if prefix and not underscore_version:
            before_prefix = lowered[start - len(prefix) - 1] if start > len(prefix) else "-"
            word = name[start - len(prefix) : start]
            if before_prefix.isdigit() and not (len(word) > 1 and word[0].isupper() and word[1:].islower()):
                continue  # V0422MADP1B: a code mixing digits and letters (but GPT2Neo1.3B is a size)
            if len(prefix) == 1:
                if prefix == "a" and not m["experts"] and unit == "b":
                    active_only = True  # Qwen1.5-MoE-A2.7B, Kimi-VL-A3B: active size only
                elif prefix not in _SIZE_LETTERS:
                    continue  # s13B (samples), v1.3b, b90K: a one-letter field
            elif prefix in _FIELD_PREFIXES or prefix.endswith("v"):
                continue  # ctx8k, step100k, yolov8m (v8 is a version)
            elif word.islower() and not prefix.endswith(_GLUED_FAMILIES) and not m["frac"]:
                continue  # esm1b, lvd142m, wiki40b: glued to a word that is not a model family
            elif unit == "t":
                continue  # nv1t: glued letters and T are a word, not a trillion
        if underscore_version:
            # `Qwen-1_8B` is 1.8B, but in `llama_2_7b`, `llama3_1_8b` and `Llama2_7B` the first digit is a
            # version: the size is the digit after the underscore.
            int_part, frac = m["dfrac"], None
            start = m.start("dfrac")
        elif m["dsep"] in ("_", "p"):
            frac = m["dfrac"]
        if m["bloom"] and not frac:
            frac = m["bloom"]
        value = _value(int_part, frac, unit)
        if value <= 0:
            continue
        token = (name[m.start() - 1] if active_only else "") + m.group(0)
        if m["nexp"]:
            active_only = True  # 17B-16E: 17B active of 16 experts; the total is not derivable
        if active_only:
            out.append(_Candidate(1, start, None, int(round(value)), token))
            continue
        active = None
        if m["aint"]:
            active = int(round(_value(m["aint"], m["afrac"], "b")))
        if m["experts"]:
            experts = int(m["experts"])
            value = value * (1 + _MOE_SHARED * (experts - 1))
        explicit = _PARAM_WORD_RE.match(name, m.end()) is not None
        if explicit:
            rank = 0
        elif unit == "k":
            continue  # 8k, 32k, 100k, in1k: context lengths, steps and datasets, never sizes in practice
        elif unit == "t":
            if active is None and value > _MAX_TOTAL_T * 1e12:
                continue  # Ling-mini-base-2.0-5T: training tokens
            rank = 1 if active is not None else 3
        elif unit == "b":
            rank = 1
        else:
            if value < _SMALL_M and _SIZE_WORD_RE.search(lowered):
                continue  # bert-base-StackOverflow-comments_2M: a base/large model is not 2M; a data count
            rank = 2
        out.append(_Candidate(rank, start, int(round(value)), active, token))
    return out


_FAMILY_VERSION_RE = re.compile(
    r"(?<![a-z])(?P<family>llama|qwen|gemma|mistral|phi|falcon|gpt|yi|glm|deepseek|olmo|granite)"
    r"[-_ ]?(?P<version>\d+(?:\.\d+)?)(?=[-_ ]|$)"
)


def _sizes_another_model(lowered: str, size_start: int) -> bool:
    """Whether the size at `size_start` belongs to a second model the name mentions.

    `llama_2_sft_on_llama_3_70B_outputs` is a Llama-2 model trained on Llama-3-70B data: the name opens
    with one version of a family and attaches the size to another version of the same family. (When the
    families differ, as in `DeepSeek-R1-Distill-Qwen-7B`, the size is the model's own.)
    """
    mentions = list(_FAMILY_VERSION_RE.finditer(lowered))
    attached = [m for m in mentions if 0 < size_start - m.end() <= 1]
    if not attached:
        return False
    owner = attached[-1]
    return any(
        m.end() <= owner.start() and m["family"] == owner["family"] and m["version"] != owner["version"]
        for m in mentions
    )


def _parse_uncached(name: str) -> NameSize:
    if not _ANY_DIGIT_UNIT.search(name):
        return _NONE
    candidates = _candidates(name)
    if not candidates:
        return _NONE
    sized = [c for c in candidates if c.total is not None]
    actives = [c for c in candidates if c.total is None]
    if sized:
        # The model's own size comes first in almost every name (`Gemma-7B-sft-SPIN-Gemma-2-27B`,
        # `mpt-1b-redpajama-200b`); dataset sizes and context lengths are M/K/T (`Instruct-7M-...-70B`).
        best = min(sized, key=lambda c: (c.rank, c.start))
        if _sizes_another_model(name.lower(), best.start):
            return NameSize(None, None, best.token)
        active = best.active
        if active is None and actives:
            active = actives[0].active
        return NameSize(best.total, active, best.token)
    return NameSize(None, actives[0].active, actives[0].token)


# Repeated names (re-uploads, quantizations under other owners) hit the cache. It stays small on purpose:
# a million cached entries slow every garbage collection more than the cache saves on distinct names.
_parse = lru_cache(maxsize=1 << 16)(_parse_uncached)


def params_from_name(name: str) -> NameSize:
    """The size a model's name states. Works on "owner/name" or "name"; the owner is ignored."""
    if not isinstance(name, str) or not name:
        return _NONE
    return _parse(name.rsplit("/", 1)[-1])


# --------------------------------------------------------------------------------------------------
# Quantized repos
# --------------------------------------------------------------------------------------------------

_QUANT_NAME_RE = re.compile(
    r"(?<![a-z0-9])(?:gguf|ggml|gptq|awq|exl2|exl3|bnb|bitsandbytes|nf4|int4|int8|fp8|fp4|mxfp4|nvfp4|hqq|aqlm|"
    r"eetq|quanto|marlin|autoround|w4a16|w8a8|w4a4|\d(?:\.\d+)?bpw|[1-8][-_]?bits?|q[2-8]_[0-9a-z_]+|iq[1-4]_[a-z]+)"
    r"(?![a-z])",
    re.IGNORECASE,
)
# The same without look-behind, for pyarrow's RE2 engine (vectorised over a whole column).
_QUANT_NAME_RE2 = (
    "(?:^|[^a-z0-9])" + _QUANT_NAME_RE.pattern.removeprefix("(?<![a-z0-9])").removesuffix("(?![a-z])") + "(?:[^a-z]|$)"
)
_QUANT_TAGS = frozenset(
    ["gguf", "gptq", "awq", "exl2", "4-bit", "8-bit", "3-bit", "2-bit", "6-bit", "bitsandbytes", "fp8", "compressed-tensors", "hqq", "aqlm", "quantized"]
)


def is_quantized_repo(name: str | None, tags: object = None, relation: str | None = None) -> bool:
    """Whether a repo holds quantized weights, judged from its name, its tags and its declared relation."""
    if relation == "quantized":
        return True
    if isinstance(name, str) and _QUANT_NAME_RE.search(name):
        return True
    if tags is None or isinstance(tags, float):
        return False
    for tag in tags:
        if not isinstance(tag, str):
            continue
        if tag in _QUANT_TAGS or tag.startswith("base_model:quantized:") or tag.startswith("quantized:"):
            return True
    return False


# --------------------------------------------------------------------------------------------------
# Best estimate for a snapshot frame
# --------------------------------------------------------------------------------------------------


def _int_column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    values = pd.to_numeric(frame[column], errors="coerce").astype("Float64")
    # 0 or a negative count is a broken record, not a size: unknown stays null, never 0.
    values = values.where(values > 0)
    return values.round().astype("Int64")


def _names(models: pd.DataFrame) -> pd.Series:
    if "name" in models.columns:
        names = models["name"].astype("string")
        if "id" in models.columns:
            names = names.fillna(models["id"].astype("string"))
        return names
    if "id" in models.columns:
        return models["id"].astype("string")
    raise ParamsError(
        f"estimate_params needs a 'name' or an 'id' column; got columns {list(models.columns)}. "
        "Pass a snapshot frame (constellation.contract.SNAPSHOT_COLUMNS)."
    )


def _name_sizes(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    # Names repeat across owners (every re-upload of Llama-2-7b-hf): parse each distinct one once, and
    # only those with a digit followed by a unit letter (a vectorised RE2 test; most names have none).
    arrow = pa.array(names.fillna("").to_numpy(dtype=object), type=pa.string())
    encoded = pc.dictionary_encode(pc.replace_substring_regex(arrow, pattern="^.*/", replacement=""))
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    uniques = encoded.dictionary
    maybe = pc.match_substring_regex(uniques, _ANY_DIGIT_UNIT.pattern).to_numpy(zero_copy_only=False)
    total = np.full(len(uniques), -1, dtype=np.int64)
    active = np.full(len(uniques), -1, dtype=np.int64)
    for i in np.flatnonzero(maybe):
        parsed = _parse_uncached(uniques[i].as_py())  # already distinct: the cache would only churn
        if parsed.total is not None:
            total[i] = parsed.total
        if parsed.active is not None:
            active[i] = parsed.active
    return _nullable(total[codes], names.index), _nullable(active[codes], names.index)


def _nullable(values: np.ndarray, index: pd.Index) -> pd.Series:
    """Int64 Series from an int array where -1 marks unknown."""
    return pd.Series(pd.arrays.IntegerArray(np.maximum(values, 0), values < 0), index=index, dtype="Int64")


def _has_quantized_relation(parents: object) -> bool:
    if not isinstance(parents, (list, tuple, np.ndarray)):
        return False
    return any(isinstance(p, dict) and p.get("relation") == "quantized" for p in parents)


def _tags_quantized(tags: pd.Series) -> np.ndarray:
    """Whether any tag of each row marks quantization; vectorised over the flattened tag lists."""
    as_lists = [v if isinstance(v, (list, tuple, np.ndarray)) else None for v in tags]
    try:
        lists = pa.array(as_lists, type=pa.list_(pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a non-string tag somewhere: check row by row
        return np.fromiter((is_quantized_repo(None, v) for v in as_lists), dtype=bool, count=len(as_lists))
    rows = pc.list_parent_indices(lists).to_numpy()
    hits = np.asarray(_quant_tag(pc.list_flatten(lists)).to_numpy(zero_copy_only=False), dtype=bool)
    out = np.zeros(len(as_lists), dtype=bool)
    out[rows[hits]] = True
    return out


def _quant_tag(tags: pa.Array) -> pa.Array:
    exact = pc.is_in(tags, value_set=pa.array(sorted(_QUANT_TAGS)))
    prefixed = pc.or_(pc.starts_with(tags, "base_model:quantized:"), pc.starts_with(tags, "quantized:"))
    return pc.fill_null(pc.or_(exact, prefixed), False)


def quantized_rows(models: pd.DataFrame) -> pd.Series:
    """Which rows of a snapshot frame hold quantized weights (name, tags or a declared quantized parent)."""
    if len(models) == 0:
        return pd.Series(False, index=models.index, dtype=bool)
    names = pa.array(_names(models).fillna("").to_numpy(dtype=object), type=pa.string())
    flags = pc.match_substring_regex(names, _QUANT_NAME_RE2, ignore_case=True).to_numpy(zero_copy_only=False)
    flags = np.asarray(flags, dtype=bool)
    if "tags" in models.columns:
        flags |= _tags_quantized(models["tags"])
    if "base_models" in models.columns:
        flags |= np.fromiter((_has_quantized_relation(b) for b in models["base_models"]), dtype=bool, count=len(models))
    return pd.Series(flags, index=models.index, dtype=bool)


def _fmt(n: int) -> str:
    for unit, scale in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return str(n)


def _packed(meta: pd.Series, reference: pd.Series, quantized: pd.Series) -> pd.Series:
    """Rows whose metadata count is far below the reference in a quantized repo: packed tensors."""
    below = meta.astype("Float64") < _PACKED_RATIO * reference.astype("Float64")
    return (below.fillna(False) & quantized).astype(bool)


def _parent_params(ids: pd.Series, parent: pd.Series, own: pd.Series) -> pd.Series:
    """Each model's parent's estimate (own, else its parent's, ...), when the parent is in the frame."""
    # Positions of parents in the frame (first occurrence of a duplicated id), -1 when absent.
    position = pd.Index(ids.to_numpy(dtype=object)).get_indexer_for(parent.to_numpy(dtype=object))
    if len(position) != len(ids):  # duplicated ids: get_indexer_for returns every match
        first = pd.Series(np.arange(len(ids)), index=ids.to_numpy(dtype=object))
        first = first[~first.index.duplicated()]
        position = parent.map(first).fillna(-1).to_numpy(dtype=np.int64)
    own_values = own.fillna(-1).to_numpy(dtype=np.int64)
    has_parent = position >= 0
    result = np.full(len(ids), -1, dtype=np.int64)
    # Chains (a quantization of a finetune of a base) resolve by repeating the lookup; real chains are
    # short, and a cycle just stops changing.
    estimate = own_values
    for _ in range(8):
        updated = np.where(has_parent, estimate[np.where(has_parent, position, 0)], -1)
        if np.array_equal(updated, result):
            break
        result = updated
        estimate = np.where(own_values >= 0, own_values, result)
    return _nullable(result, own.index)


def estimate_params(models: pd.DataFrame, parent: pd.Series | None = None) -> pd.DataFrame:
    """The best parameter count of every model, its source, the name's size and the MoE active size.

    `models` holds snapshot columns (`id`, `name`, `tags`, `params_safetensors`, `params_gguf`, and
    optionally `base_models`); `parent` (aligned with `models.index`) the primary declared parent id of
    each model, or None. Returns a frame aligned with `models.index`:

    - params (Int64): metadata (safetensors, else gguf), else the name's size, else the parent's
      estimate; null when none is known, never 0;
    - params_source (str): safetensors | gguf | name | base_model | none;
    - params_from_name (Int64), active_params (Int64): what the name states;
    - params_flag (str or None): why the metadata was overruled (packed quantized weights), else None.
    """
    if not isinstance(models, pd.DataFrame):
        raise ParamsError(f"estimate_params takes a DataFrame of models, got {type(models).__name__}")
    index = models.index
    names = _names(models)
    from_name, active = _name_sizes(names)
    safetensors = _int_column(models, "params_safetensors")
    gguf = _int_column(models, "params_gguf")
    quantized = quantized_rows(models)

    meta = safetensors.fillna(gguf)
    meta_source = pd.Series(np.where(safetensors.notna(), "safetensors", "gguf"), index=index, dtype=object)

    # Step 1: what the row itself says (metadata, unless packed against the name's size).
    packed_vs_name = _packed(meta, from_name, quantized)
    own = meta.where(~packed_vs_name, from_name).fillna(from_name)

    # Step 2: the parent's estimate, for rows that say nothing or whose metadata is packed.
    if parent is not None and "id" in models.columns and len(models):
        parent = pd.Series(parent, copy=False).reindex(index)
        parent = parent.where(parent.map(lambda v: isinstance(v, str) and v != ""), None)
        parents = _parent_params(models["id"].astype(object), parent, own)
    else:
        parents = pd.Series(pd.NA, index=index, dtype="Int64")
    packed_vs_parent = _packed(meta, parents, quantized) & from_name.isna()

    params = own.where(~packed_vs_parent, parents).fillna(parents)
    source = np.select(
        [
            packed_vs_name.to_numpy(),
            packed_vs_parent.to_numpy(),
            meta.notna().to_numpy(),
            from_name.notna().to_numpy(),
            parents.notna().to_numpy(),
        ],
        ["name", "base_model", meta_source.to_numpy(), "name", "base_model"],
        default="none",
    )

    flag = np.full(len(index), None, dtype=object)
    for i in np.flatnonzero(packed_vs_name.to_numpy() | packed_vs_parent.to_numpy()):
        said, reference = ("name", from_name.iat[i]) if packed_vs_name.iat[i] else ("base model", parents.iat[i])
        flag[i] = (
            f"{meta_source.iat[i]} total {_fmt(int(meta.iat[i]))} disagrees with {said} "
            f"{_fmt(int(reference))} (packed quantized weights?)"
        )

    return pd.DataFrame(
        {
            "params": params.astype("Int64"),
            "params_source": pd.Series(source, index=index, dtype=object),
            "params_from_name": from_name,
            "active_params": active,
            "params_flag": pd.Series(flag, index=index, dtype=object),
        },
        index=index,
    )
