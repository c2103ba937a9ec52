"""The Hub's naming vocabulary: how model ids are written, read in one place.

Every word list and pattern about Hub names lives here; the stages import them (`genealogy.params` for
sizes and packed weights, `genealogy.inferred` and `genealogy.declared` for name keys and markers,
`atlas` and `app` for tokens, `evaluate` for what counts as a stated size). Four sections:

1. Tokens. `tokenize_id` / `tokenize_name` split a name into the tokens the atlas's n-grams use:

       "TheBloke/Llama-2-13B-chat-GPTQ"          → owner "TheBloke", tokens llama · 2 · 13b · chat · gptq
       "Qwen/Qwen2.5-7B-Instruct-Q4_K_M.gguf"   → qwen · 2.5 · 7b · instruct · q4_k_m · gguf
       "mistralai/Mistral-7B-v0.1"               → mistral · 7b · v0.1
       "EleutherAI/gpt-neox-20b", "WizardLM"    → gpt · neox · 20b, wizard · lm ("LLaMA" stays llama)

   Names are split on separators, camelCase and letter-digit boundaries, but the tokens that carry meaning
   on the Hub stay whole and are normalised to lower case: sizes (`7b`, `1.5b`, `125m`, `8x7b`, the active
   size `a3b`), quantisations (`q4_k_m`, `iq2_xxs`, `4bit`, `int8`, `bf16`, `gptq`, `awq`, `gguf`, `exl2`,
   `4.0bpw`), versions (`v0.1`, `v2`) and dotted numbers (`3.1`, `2.5`). Text is NFKC-normalised first, so
   full-width and compatibility characters match their plain forms; letters of any script are kept.

2. Sizes. `params_from_name` reads the size a name states (`Llama-2-7b`, `opt-350m`, `Qwen-1_8B`,
   `bloom-7b1`, `Mixtral-8x7B`, `Qwen3-30B-A3B`) and nothing else: versions (`Qwen2.5`, `gpt-3.5-turbo`,
   `v0.1`), dates, quantization marks (`4bit`, `Q4_K_M`, `4.0bpw`), hyper-parameters (`lr1e-4`, `bs256`,
   `epoch3`) and context lengths (`ctx8k`, `32k`, `-1M`) are not sizes. `is_size_token` and
   `is_version_token` judge one token of a name key; `states_size` / `states_active_size` say whether a
   name carries something size-like at all (the denominator of the parser's coverage).

3. Markers. Three quantisation vocabularies, different on purpose, each for one question:
   - `QUANTIZATION_MARKERS` (`has_quantization_marker`): is this repo a *format copy* of another model?
     Suffixes only, and format conversions count (`-fp16`, `-onnx`, `-mlx`, `-MLC`): for lineage, a
     conversion is a copy of its original as much as a 4-bit quantisation is.
   - `PACKED_WEIGHT_MARKERS` (`has_packed_weight_marker`): are the weights stored in fewer bits, so that
     the metadata counts packed tensors? Anywhere in the name; 16-bit and format words do not count
     (`Labess-7b-chat-16bit` is a full-size model).
   - the tokenizer's quantisation tokens: which words stay one token (`q4_k_m`, not q · 4 · k · m).
   `QUANTIZED_TAGS`, `ADAPTER_TAGS` and `MERGE_TAGS` are the Hub tags that say the same.
   `ADAPTER_MARKERS` and `MERGE_WORDS` are the suffixes and words of adapters and merges. `format_class`
   groups a name's tail by kind of copy (gguf, mlx, packed, conversion, adapter, none) from these lists.

4. Keys. `name_key` strips those markers so that a copy and its original meet in a hash join
   (`Llama-2-7B-Chat-GGUF` and `Llama-2-7b-chat-hf` → `llama-2-7b-chat`); `loose_key` is also blind to
   word order and packaging words.

Every list was drawn from real names (../shared/data; the comment at each one says which habit it
follows); docs/quality.md measures what they catch.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.arrow_strings import string_values

# --------------------------------------------------------------------------------------------------
# Size and quantisation fragments shared by the patterns below
# --------------------------------------------------------------------------------------------------

# A total size as one token: 7b, 1.3b, 350m, 8x7b (Mixtral's experts × size), 1t.
_TOTAL_SIZE = r"(?:\d+x)?\d+(?:\.\d+)?[bmkt]"
# The active size of a mixture of experts, as Qwen and Kimi write it: Qwen3-30B-A3B, Qwen1.5-MoE-A2.7B.
_ACTIVE_SIZE = r"a\d+(?:\.\d+)?b"
# The quantisation words the tokenizer keeps whole: llama.cpp's quant types (q4_k_m, iq2_xxs), bit widths
# (4bit, int8, fp16, bf16, nf4), the common formats and exllama's bits per weight (4.0bpw).
_QUANT_TOKEN = (
    r"i?q\d(?:_[a-z0-9]{1,3}){0,2}|\d{1,2}bit|int[48]|fp(?:8|16|32)|bf16|nf4"
    r"|gptq|awq|gguf|ggml|exl2|mlx|\d+(?:\.\d+)?bpw"
)

# --------------------------------------------------------------------------------------------------
# 1. Tokens
# --------------------------------------------------------------------------------------------------

# One pass of alternatives, tried left to right at each position: the specific Hub tokens first, then
# numbers, then camelCase words. Sizes may follow a letter ("wizard7b") but not precede one ("13bchat").
_TOKEN_RE = re.compile(
    rf"""
    (?P<quant>(?i:(?<![a-z0-9])(?:{_QUANT_TOKEN})(?![a-z0-9])))
    |(?P<size>(?i:(?<![a-z0-9]){_ACTIVE_SIZE}(?![a-z0-9])|{_TOTAL_SIZE}(?![a-z])))
    |(?P<version>(?i:(?<![a-z0-9])v\d+(?:\.\d+)*))
    |(?P<number>\d+(?:\.\d+)*)
    |(?P<word>[^\W\d_]+)
    """,
    re.VERBOSE,
)
# Inside a mixed-case word: "OpenHermes" → Open Hermes, "WizardLM" → Wizard LM, "HTMLParser" → HTML Parser
# (a capital followed by two or more small letters starts a word after a run of capitals).
_CAMEL_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z]{2,})|[A-Z]*[a-z]+|[A-Z]+")


def split_id(model_id: str) -> tuple[str | None, str]:
    """("owner", "name") of a Hub id; owner is None for legacy ids without a namespace (`gpt2`)."""
    owner, sep, name = model_id.partition("/")
    return (owner, name) if sep else (None, model_id)


def tokenize_name(name: str) -> list[str]:
    """The normalised tokens of a model name (the part after the owner), in order."""
    text = unicodedata.normalize("NFKC", name)
    tokens: list[str] = []
    for match in _TOKEN_RE.finditer(text):
        token = match.group()
        if match.lastgroup == "word" and not (token.islower() or token.isupper()):
            parts = _split_camel(token)
            # Only clean splits count: parts of two letters or more, each Titled, CAPITAL or small. So
            # "LLaMA" (LLa · MA) and "OLMo" stay whole, and "GPTNeoX" (… X) too.
            if all(len(part) > 1 and (part.istitle() or part.isupper() or part.islower()) for part in parts):
                tokens.extend(part.lower() for part in parts)
                continue
        tokens.append(token.lower())
    return tokens


def _split_camel(word: str) -> list[str]:
    if word.isascii():
        return _CAMEL_RE.findall(word)
    # Other scripts: the same rule, by character case.
    parts: list[str] = []
    start = 0
    for i in range(1, len(word)):
        prev, char = word[i - 1], word[i]
        nxt = word[i + 1] if i + 1 < len(word) else ""
        if char.isupper() and (prev.islower() or (prev.isupper() and nxt.islower())):
            parts.append(word[start:i])
            start = i
    parts.append(word[start:])
    return parts


def tokenize_id(model_id: str, *, include_owner: bool = False) -> list[str]:
    """Tokens of a model id. The owner is left out by default: copies, fine-tunes and quantisations of one
    model by many owners should look alike, and one prolific owner should not pull its models together."""
    owner, name = split_id(model_id)
    tokens = tokenize_name(name)
    if include_owner and owner:
        tokens = [f"@{owner.lower()}", *tokens]
    return tokens


def normalized_name(model_id: str, *, include_owner: bool = False) -> str:
    """The tokens joined by single spaces: the text the n-gram features are computed on."""
    return " ".join(tokenize_id(model_id, include_owner=include_owner))


# --------------------------------------------------------------------------------------------------
# 2. Sizes
# --------------------------------------------------------------------------------------------------

# A size or a version as one token of a name key (lower-case, `-` separated): 7b, 1.3b, 350m, 8x7b; v0.2,
# 3.1. ASCII digits only: keys keep the name's own digits, and other scripts' digits are no Hub size.
SIZE_TOKEN_RE = re.compile(rf"^{_TOTAL_SIZE}$", re.ASCII)
VERSION_TOKEN_RE = re.compile(r"^(?:v[0-9]+(?:\.[0-9]+)*|[0-9]+\.[0-9]+)$")

# What `states_size` counts as size-like: a number (with a decimal part or the `1_5` / `7b1` forms) and a
# B/M/T unit, bounded by non-letters. Looser than the parser on purpose: it is the denominator the
# parser's coverage is measured against (constellation/evaluate/params.py), so it must not share its rules.
STATES_SIZE_RE = re.compile(r"(?<![a-z0-9.])(?:\d+x)?\d+(?:[._]\d+)?[bmt]\d?(?![a-z0-9])", re.IGNORECASE)
# An active size: `-A3B`, `A2.7B`, or `17B-16E` (Llama 4's active parameters of 16 experts).
STATES_ACTIVE_RE = re.compile(rf"(?<![a-z0-9]){_ACTIVE_SIZE}(?![a-z0-9])|\d+b-\d+e(?![a-z0-9])", re.IGNORECASE)


def is_size_token(token: str) -> bool:
    """Whether one token of a name key is a total size (`7b`, `8x7b`, `350m`; not the active `a3b`)."""
    return SIZE_TOKEN_RE.match(token) is not None


def is_version_token(token: str) -> bool:
    """Whether one token of a name key is a version (`v0.2`, `v2`, `3.1`; a bare `3` is not)."""
    return VERSION_TOKEN_RE.match(token) is not None


def size_tokens(tokens: list[str]) -> set[str]:
    """The total-size tokens among the tokens of a name key."""
    return {t for t in tokens if is_size_token(t)}


def states_size(name: str) -> bool:
    """Whether a model name (or "owner/name") carries a size-like token, whether or not the parser reads it."""
    if not isinstance(name, str):
        return False
    return STATES_SIZE_RE.search(name.rsplit("/", 1)[-1]) is not None


def states_active_size(name: str) -> bool:
    """Whether a model name (or "owner/name") carries an active-size token (`A3B`, `17B-16E`)."""
    if not isinstance(name, str):
        return False
    return STATES_ACTIVE_RE.search(name.rsplit("/", 1)[-1]) is not None


@dataclass(frozen=True)
class NameSize:
    total: int | None  # parameters stated by the name, e.g. 7_000_000_000; None when the name states none
    active: int | None  # active parameters of a MoE (30B-A3B -> 3e9; A22B); None otherwise
    token: str | None  # the matched text, for evidence/debugging


_NONE = NameSize(None, None, None)
_UNIT = {"k": 10**3, "m": 10**6, "b": 10**9, "t": 10**12}
# In a mixture of experts upcycled from a dense model, only the MLP blocks are copied per expert. For
# Mistral-7B the MLPs are 78 % of the weights, so `NxM` has M·(1 + 0.78·(N−1)) parameters: 8x7B → 45.2B
# (Mixtral: 46.7B; the nominal 56B is 20 % off) and 8x22B → 142B (Mixtral: 140.6B; the nominal 176B is
# 25 % off, outside the ±25 % tolerance). Measured on ../shared/data, see docs/quality.md.
_MOE_SHARED = 0.78
# The largest open models are ~2T parameters; a bigger "T" figure is a count of training tokens (`-5T`).
_MAX_TOTAL_T = 2.5

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
    [
        "ctx", "context", "seq", "len", "step", "steps", "ep", "epoch", "epochs", "bs", "lr", "iter", "it", "laion",
        "in", "ft", "top", "rank", "gs", "tr",
    ]
)  # fmt: skip
# One-letter prefixes that do not make a field: GPT-J6B, pubtator-gpt-p43M (p for parameters).
_SIZE_LETTERS = frozenset("jp")
# Lowercase words a size is glued to in real names (llama7b, opt350m, baizelora13b). Glued to other
# lowercase words, a number+unit is more often a dataset or a variant (esm1b, lvd142m, wiki40b, tr8b).
_GLUED_FAMILIES = (
    "llama", "alpaca", "vicuna", "mistral", "mixtral", "gemma", "qwen", "phi", "falcon", "mpt", "opt", "bloom",
    "bloomz", "gpt", "gptj", "neo", "neox", "pythia", "baize", "koala", "guanaco", "wizardlm", "wizard",
    "starcoder", "codegen", "solar", "yi", "olmo", "cerebras", "redpajama", "rwkv", "glm", "baichuan", "internlm",
    "deepseek", "orca", "platypus", "pygmalion", "lora", "xlsr", "t5", "bert", "roberta", "bart", "electra", "xglm",
    "llava",
)  # fmt: skip
# Below 10M parameters a model is tiny; next to an architecture size word (roberta-base, bert-large),
# such an M figure counts data (1M sentences, 2M steps), not parameters.
_SMALL_M = 10_000_000
_SIZE_WORD_RE = re.compile(r"(?<![a-z])(?:base|large|small|medium|xl|xxl)(?![a-z])")
# Families whose names carry a version: in `llama_2_7b` the `2` is the version, not the 2 of 2.7B.
_VERSIONED_FAMILIES = frozenset(
    [
        "llama", "llama2", "llama3", "gemma", "gemma2", "qwen", "qwen2", "mistral", "falcon", "phi", "yi", "glm",
        "chatglm", "baichuan", "internlm", "deepseek", "olmo", "granite", "exaone", "starcoder", "codellama", "vicuna",
        "mpt",
    ]
)  # fmt: skip
_PARAM_WORD_RE = re.compile(r"[-_]?params?(?![a-z])", re.IGNORECASE)
# A digit and a unit letter: a name without one states no size. Also run by pyarrow's RE2 engine over a
# whole column (genealogy.params), so it must stay free of look-arounds.
SIZE_HINT_PATTERN = r"\d[._p]?\d*[bmktBMKT]"
_ANY_DIGIT_UNIT = re.compile(SIZE_HINT_PATTERN)


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


class _Candidate(NamedTuple):
    # A named tuple, not a frozen dataclass: one is built per size token of 360k distinct names at 1M models.
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
        # The groups in one call: this loop runs for every size token of 360k distinct names at 1M models.
        experts, int_part, frac, dsep, dfrac, unit, bloom, aint, afrac, nexp = m.group(
            "experts", "int", "frac", "dsep", "dfrac", "unit", "bloom", "aint", "afrac", "nexp"
        )
        frac_stated = frac  # `frac` may change below; the tests on the name read what it states
        unit = unit.lower()
        if len(int_part) > 1 and int_part.startswith("0"):
            continue  # V0309B1, 0528: dates and codes, not sizes
        if len(int_part) == 4 and 1990 <= int(int_part) <= 2039 and not frac_stated:
            continue  # 2021MScAI: a year
        # Most sizes follow a separator: no letters to collect before them.
        prefix = _letters_before(lowered, start) if start and lowered[start - 1].isalpha() else ""
        underscore_version = dsep == "_" and _is_version_underscore(lowered, start)
        active_only = False
        if prefix and not underscore_version:
            before_prefix = lowered[start - len(prefix) - 1] if start > len(prefix) else "-"
            word = name[start - len(prefix) : start]
            if before_prefix.isdigit() and not (len(word) > 1 and word[0].isupper() and word[1:].islower()):
                continue  # V0422MADP1B: a code mixing digits and letters (but GPT2Neo1.3B is a size)
            if len(prefix) == 1:
                if prefix == "a" and not experts and unit == "b":
                    active_only = True  # Qwen1.5-MoE-A2.7B, Kimi-VL-A3B: active size only
                elif prefix not in _SIZE_LETTERS:
                    continue  # s13B (samples), v1.3b, b90K: a one-letter field
            elif prefix in _FIELD_PREFIXES or prefix.endswith("v"):
                continue  # ctx8k, step100k, yolov8m (v8 is a version)
            elif word.islower() and not prefix.endswith(_GLUED_FAMILIES) and not frac_stated:
                continue  # esm1b, lvd142m, wiki40b: glued to a word that is not a model family
            elif unit == "t":
                continue  # nv1t: glued letters and T are a word, not a trillion
        if underscore_version:
            # `Qwen-1_8B` is 1.8B, but in `llama_2_7b`, `llama3_1_8b` and `Llama2_7B` the first digit is a
            # version: the size is the digit after the underscore.
            int_part, frac = dfrac, None
            start = m.start("dfrac")
        elif dsep in ("_", "p"):
            frac = dfrac
        if bloom and not frac:
            frac = bloom
        value = _value(int_part, frac, unit)
        if value <= 0:
            continue
        token = (name[m.start() - 1] if active_only else "") + m.group(0)
        if nexp:
            active_only = True  # 17B-16E: 17B active of 16 experts; the total is not derivable
        if active_only:
            out.append(_Candidate(1, start, None, int(round(value)), token))
            continue
        active = None
        if aint:
            active = int(round(_value(aint, afrac, "b")))
        if experts:
            value = value * (1 + _MOE_SHARED * (int(experts) - 1))
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


# Families whose names carry a version (`Llama-3`, `qwen2.5`); also read by `read_sizes`' plain pass.
_FAMILY_WORDS = (
    "llama", "qwen", "gemma", "mistral", "phi", "falcon", "gpt", "yi", "glm", "deepseek", "olmo", "granite",
)  # fmt: skip
_FAMILY_VERSION_RE = re.compile(
    rf"(?<![a-z])(?P<family>{'|'.join(_FAMILY_WORDS)})"
    r"[-_ ]?(?P<version>\d+(?:\.\d+)?)(?=[-_ ]|$)"
)


def _sizes_another_model(lowered: str, size_start: int) -> bool:
    """Whether the size at `size_start` belongs to a second model the name mentions.

    `llama_2_sft_on_llama_3_70B_outputs` is a Llama-2 model trained on Llama-3-70B data: the name opens
    with one version of a family and attaches the size to another version of the same family. (When the
    families differ, as in `DeepSeek-R1-Distill-Qwen-7B`, the size is the model's own.)
    """
    # A mention attached to the size ends one separator before it, on a digit of its version: without those
    # two characters there (most names), no mention can be attached.
    if size_start < 2 or lowered[size_start - 1] not in "-_ " or not lowered[size_start - 2].isdigit():
        return False
    mentions = list(_FAMILY_VERSION_RE.finditer(lowered))
    attached = [m for m in mentions if 0 < size_start - m.end() <= 1]
    if not attached:
        return False
    owner = attached[-1]
    return any(
        m.end() <= owner.start() and m["family"] == owner["family"] and m["version"] != owner["version"]
        for m in mentions
    )


def read_size(name: str) -> NameSize:
    """The size a bare model name (no owner) states, uncached: for callers that parse each distinct name
    once already (genealogy.params over a whole column), where a cache would only churn."""
    if not _ANY_DIGIT_UNIT.search(name):
        return _NONE
    candidates = _candidates(name)
    if not candidates:
        return _NONE
    if len(candidates) == 1:  # most names: what the general path below returns for one candidate
        only = candidates[0]
        if only.total is None:
            return NameSize(None, only.active, only.token)
        if _sizes_another_model(name.lower(), only.start):
            return NameSize(None, None, only.token)
        return NameSize(only.total, only.active, only.token)
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


# A first pass of `read_size` over a whole column, in pyarrow's RE2 engine: it settles the *plain* names, whose
# one size is what their size token alone states, and leaves the others to `read_size` (at 1M models, 88 % of
# the 360k distinct names with a size hint are plain; a Python call each cost 3 s). A name is plain when
#   1. it is ASCII (Python's `\d` and IGNORECASE reach beyond ASCII, RE2's do not);
#   2. no digit follows a unit letter (`[vV]?[0-9]`: bloom's `7b1`, `7bv5`), and exactly one `_PLAIN_COUNT`
#      matches: the end of a number and a unit followed by what `_SIZE_RE` accepts after a unit. Every
#      `_SIZE_RE` match ends in such a run (its last digit, fraction and unit), and no run overlaps another's
#      start (each starts at a digit and consumes no digit after its unit), so one run means one size token;
#   3. that token (`_PLAIN_TOKEN`: 1 to 3 digits, an optional fraction of 1 to 3 digits, B, or M from 10M;
#      0.x B) sits between separators: after the start, `-`, ` ` or a `_` not preceded by a digit (`1_5B` is
#      1.5B), and before the end or a separator not followed by `-<digits>E` (`17B-16E` is an active size)
#      or by `a<digits>` (then a second run counts: `30B-A3B`);
#   4. the size belongs to no other model the name mentions (`_sizes_another_model`): nothing but a separator
#      precedes it, or a separator not preceded by a digit, or no family word occurs twice in the name.
# Then `_candidates` finds the token alone, with no letters before it, no bloom digit, no active part, no
# rule that drops it, and `read_size` returns its total, no active size, and the token.
_PLAIN_TOKEN = r"(?:[1-9][0-9]{0,2}(?:\.[0-9]{1,3})?[bB]|[1-9][0-9]{1,2}(?:\.[0-9]{1,3})?[mM]|0\.[0-9]{0,2}[1-9][bB])"
_PLAIN_AFTER = r"(?:[-_. ](?:[^0-9].*|[0-9]+(?:[^0-9E].*)?)?)?$"
_PLAIN_ALONE_RE2 = rf"^(?:.*[^0-9][-_ ]|[-_ ])?(?P<token>{_PLAIN_TOKEN}){_PLAIN_AFTER}"
_PLAIN_AFTER_DIGIT_RE2 = rf"^.*[0-9][- ](?P<token>{_PLAIN_TOKEN}){_PLAIN_AFTER}"
_TWO_FAMILY_WORDS_RE2 = f"(?:{'|'.join(_FAMILY_WORDS)}).*(?:{'|'.join(_FAMILY_WORDS)})"
_PLAIN_TOKEN_RE2 = rf"(?:^|[-_ ])(?P<token>{_PLAIN_TOKEN})(?:[-_. ]|$)"
_RUN_END = r"[0-9](?:\.[0-9]{1,3}|[_p][0-9])?"
_PLAIN_COUNT = rf"{_RUN_END}(?:[bmktBMKT](?:[^a-zA-Z0-9]|$)|[BMT][A-Z][a-z])"
_DIGIT_AFTER_UNIT = rf"{_RUN_END}[bmktBMKT][vV]?[0-9]"


def _plain_tokens(names: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """The rows of the plain names (see above) and their size tokens. The tests are matches (RE2's automaton);
    the token is extracted from the plain names only, by the one run they hold, and the family words are
    counted only where a digit precedes the size (over every name, each cost as much as it saves)."""
    one_run = pc.and_(
        pc.and_(pc.string_is_ascii(names), pc.equal(pc.count_substring_regex(names, _PLAIN_COUNT), 1)),
        pc.invert(pc.match_substring_regex(names, _DIGIT_AFTER_UNIT)),
    ).to_numpy(zero_copy_only=False)
    alone = pc.match_substring_regex(names, _PLAIN_ALONE_RE2).to_numpy(zero_copy_only=False)
    after_digit = pc.match_substring_regex(names, _PLAIN_AFTER_DIGIT_RE2).to_numpy(zero_copy_only=False)
    plain = one_run & alone
    check = np.flatnonzero(one_run & ~alone & after_digit)
    # Two mentions of one family need the word twice; a literal count finds every disjoint occurrence. Counted
    # only in the names where two family words occur at all (one automaton pass).
    lowered = pc.ascii_lower(names.take(pa.array(check, type=pa.int64())))
    twice = np.flatnonzero(pc.match_substring_regex(lowered, _TWO_FAMILY_WORDS_RE2).to_numpy(zero_copy_only=False))
    lowered = lowered.take(pa.array(twice, type=pa.int64()))
    repeated = np.zeros(len(check), dtype=bool)
    for word in _FAMILY_WORDS:
        repeated[twice] |= pc.greater(pc.count_substring(lowered, word), 1).to_numpy(zero_copy_only=False)
    plain[check[~repeated]] = True
    rows = np.flatnonzero(plain)
    # One run, so the one size token between separators is the token the tests above found.
    found = pc.extract_regex(names.take(pa.array(rows, type=pa.int64())), _PLAIN_TOKEN_RE2)
    return rows, pc.struct_field(found, "token")


def read_sizes(names: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """`read_size` of every bare name of a string array without nulls (distinct names: nothing is cached): the
    total and the active size of each, -1 where the name states none. Plain names are read in Arrow, the rest
    in Python."""
    total = np.full(len(names), -1, dtype=np.int64)
    active = np.full(len(names), -1, dtype=np.int64)
    if len(names) == 0:
        return total, active
    rows, tokens = _plain_tokens(names)
    encoded = tokens.dictionary_encode()
    by_token = [read_size(token).total for token in encoded.dictionary.to_pylist()]
    total[rows] = np.array([-1 if t is None else t for t in by_token], dtype=np.int64)[
        encoded.indices.to_numpy(zero_copy_only=False)
    ]
    plain = np.zeros(len(names), dtype=bool)
    plain[rows] = True
    hard = np.flatnonzero(~plain)
    for i, name in zip(hard, names.take(pa.array(hard, type=pa.int64())).to_pylist()):
        parsed = read_size(name)
        if parsed.total is not None:
            total[i] = parsed.total
        if parsed.active is not None:
            active[i] = parsed.active
    return total, active


# Repeated names (re-uploads, quantizations under other owners) hit the cache. It stays small on purpose:
# a million cached entries slow every garbage collection more than the cache saves on distinct names.
_parse = lru_cache(maxsize=1 << 16)(read_size)


def params_from_name(name: str) -> NameSize:
    """The size a model's name states. Works on "owner/name" or "name"; the owner is ignored."""
    if not isinstance(name, str) or not name:
        return _NONE
    return _parse(name.rsplit("/", 1)[-1])


# --------------------------------------------------------------------------------------------------
# 3. Markers: quantisation, adapters, merges
# --------------------------------------------------------------------------------------------------

# Quantisation and format-conversion markers, as name suffixes: what quantisers (TheBloke, bartowski,
# mradermacher, unsloth, MLC, PrunaAI's `-smashed`, ...) append to the name they copy. Matched
# case-insensitively on the name's tail after a separator, repeatedly (`-i1-GGUF`, `-q4f16_1-MLC`,
# `-BNB-NF4-BF16`, `-GGUF-IQ-Imatrix`). Format conversions (fp16, bf16, onnx, mlx, openvino, coreml) count:
# this list answers "is this repo a copy of another model", not "are its weights packed". Its llama.cpp and
# MLX / MLC words are named, for `format_class`.
GGUF_MARKERS = r"gguf|ggml(?:v[0-9])?"
MLX_MARKERS = r"mlx|mlc"
QUANTIZATION_MARKERS = (
    rf"{GGUF_MARKERS}|gptq|awq|exl[23]?|{MLX_MARKERS}|bnb|nf4|fp4|int4|int8|w4a16|w8a8|w8a16|w4a4|fp16|f16|bf16"
    r"|f32|fp32|float8|float16|qint[248]|(?:int|float|uint)?[1-8]-?bits?|i1"
    # exllama's bits per weight and head bits: `-6.0bpw-h6`, `-6.0bpw-hb6`, `-3.3bpw8h`, `-bpw4`.
    r"|[0-9]+(?:[._][0-9]+)?-?bpw(?:[0-9]h)?|bpw[0-9](?:[._][0-9])?|hb?[4-8]"
    r"|imat|imatrix(?:[-_]request)?|iq|openvino|ov|ct2|ctranslate2|quanto|smashed|compressed[-_]tensors"
    r"|quantized|quantised|quant|quants|marlin(?:[-_]?24)?|hqq|eetq|smoothquant|tensorrt|trt|coreml|tflite|llamafile"
    # Markers that only mean a format next to another word: FP8 variants (`-FP8-Dynamic`, `-FP8-KV`), static
    # INT8 exports (`-int8-static-inc`), ONNX builds (`-onnx-Q`, `-ONNX-DirectML`), AQLM codebooks
    # (`-AQLM-PV-2Bit-1x16`), GPTQ group sizes (`-gptq-4bit-g128`), Unsloth's `-unsloth-bnb-4bit`.
    r"|fp8(?:[-_](?:dynamic|static|kv))?|int8[-_](?:dynamic|static)(?:[-_]inc)?"
    r"|onnx(?:[-_](?:q|cpu|cuda|web|directml|dml|mobile))?|aqlm(?:[-_]pv)?(?:[-_][1-8]bit)?(?:[-_][1-8]x[0-9]{1,2})?"
    r"|g(?:32|64|128)|channelwise|unsloth[-_]bnb"
    # Export names of the quantisation toolkits (issue 10): AutoAWQ / AutoRound / GPTQModel / Intel's
    # `-autoawq-int4-gs128-asym`, `-int4-sym-inc`, `-AutoRound-GPTQ-4bit`, `-GPTQModel-4bit-128g`.
    r"|autoawq|auto[-_]?round|gptqmodel|gs(?:32|64|128)|(?:1|32|64|128)g|a?sym(?:[-_](?:inc|32|64|128))?"
    # GPTQ's act-order flag (`-gptq-8bit-32g-actorder_True`), AWQ's kernels (`-AWQ-GEMM`), vLLM builds, and
    # llama.cpp's ARM repacks (`-Q4_0-Arm-AArch64`, OpenVINO's `-INT4-ASYM-64` group size above).
    r"|actorder[-_]?(?:true|false)|gem[mv]|vllm|(?:arm[-_])?aarch64"
    r"|q[0-9](?:_[0-9a-z]{1,2}){0,3}|iq[0-9](?:_[0-9a-z]{1,3}){0,2}|q[0-9]f[0-9]{1,2}(?:_[0-9])?"
)

# Markers of packed weights, anywhere in a name: the weights are stored in fewer bits than the model has
# parameters' worth of values, so a repo's safetensors/gguf total counts packed tensors (a 4-bit 7B shows
# 1.1B or 3.9B). Narrower than QUANTIZATION_MARKERS on purpose: 16-bit and format conversions hold every
# parameter (`linagora/Labess-7b-chat-16bit` is a 7B model); only a 1–8 bit width counts.
PACKED_WEIGHT_MARKERS = (
    r"gguf|ggml|gptq|awq|exl2|exl3|bnb|bitsandbytes|nf4|int4|int8|fp8|fp4|mxfp4|nvfp4|hqq|aqlm|"
    r"eetq|quanto|marlin|autoround|autoawq|gptqmodel|w4a16|w8a8|w4a4|\d(?:\.\d+)?bpw|[1-8][-_]?bits?|q[2-8]_[0-9a-z_]+|iq[1-4]_[a-z]+"
)
PACKED_WEIGHT_MARKER_RE = re.compile(rf"(?<![a-z0-9])(?:{PACKED_WEIGHT_MARKERS})(?![a-z])", re.IGNORECASE)
# The same without look-arounds, for pyarrow's RE2 engine (vectorised over a whole column); match it
# case-insensitively.
PACKED_WEIGHT_MARKER_RE2 = rf"(?:^|[^a-z0-9])(?:{PACKED_WEIGHT_MARKERS})(?:[^a-z]|$)"

# Hub tags that mark quantized weights: the Hub's own (`gguf`, `4-bit`, `8-bit`, `fp8`), those of the
# quantisation libraries (`gptq`, `awq`, `bitsandbytes`, `compressed-tensors`, ...), and the lineage tags
# `base_model:quantized:<id>` (and the older `quantized:<id>`) read by prefix.
QUANTIZED_TAGS = frozenset(
    [
        "gguf", "gptq", "awq", "exl2", "4-bit", "8-bit", "3-bit", "2-bit", "6-bit", "bitsandbytes", "fp8",
        "compressed-tensors", "hqq", "aqlm", "quantized",
    ]
)  # fmt: skip
QUANTIZED_TAG_PREFIXES = ("base_model:quantized:", "quantized:")

# Adapter suffixes (`-lora`, `-qlora`, `-peft`, and PEFT/LyCORIS's other methods). A whole word only:
# `-lorablated` is a fine-tuning method, and `lcm-lora-sdv1-5` is named for its target, not its kind.
ADAPTER_MARKERS = r"lora|qlora|peft|adapter|adapters|lokr|loha|dora|lycoris"
# Auto-generated names end in a Unix timestamp (AutoTrain, some PEFT pipelines).
_TIMESTAMP = r"[0-9]{9,}"
# Hub tags of adapters; `template:sd-lora` is the tag of the Hub's LoRA model-card template.
ADAPTER_TAGS = frozenset({"lora", "peft", "adapter", "lokr", "lycoris", "template:sd-lora"})

# Words of merges (mergekit's methods and what people call their results), and the tags mergekit writes.
MERGE_WORDS = r"merge|merged|slerp|ties|dare|della|passthrough|frankenmerge"
MERGE_TAGS = frozenset({"merge", "mergekit"})

_SEP = r"[-_. ]"
# Patterns are strings with inline flags (not compiled) so that pandas hands them to Arrow's vectorised
# RE2 engine on Arrow-backed strings instead of looping in Python.
QUANTIZATION_TAIL_RE = rf"(?i)(?:{_SEP}(?:{QUANTIZATION_MARKERS}))+(?:{_SEP}hf)?$"  # `-AQLM-2Bit-1x16-hf`
ADAPTER_TAIL_RE = rf"(?i)(?:{_SEP}(?:{ADAPTER_MARKERS}|{_TIMESTAMP}))+$"
MERGE_WORD_RE = rf"(?i)(?:^|[-_.])(?:{MERGE_WORDS})(?:$|[-_.])"
# Everything a copy appends to its original's name, `-hf` (the transformers conversion) included.
_ANY_TAIL_RE = rf"(?i)(?:{_SEP}(?:{QUANTIZATION_MARKERS}|{ADAPTER_MARKERS}|{_TIMESTAMP}|hf))+$"
_TAIL_WORD_RE = re.compile(
    rf"{_SEP}((?:{QUANTIZATION_MARKERS}|{ADAPTER_MARKERS}|{_TIMESTAMP}|hf))(?={_SEP}|$)", re.IGNORECASE
)


def has_quantization_marker(names: pd.Series) -> pd.Series:
    """Whether each name ends in a quantisation or format marker (-GGUF, -AWQ, -4bit, -Q4_K_M, -onnx, ...)."""
    return names.astype("string").str.contains(QUANTIZATION_TAIL_RE, na=False).astype(bool)


def has_adapter_marker(names: pd.Series) -> pd.Series:
    """Whether each name ends in an adapter marker (-lora, -qlora, -peft, ...) or an auto-generated timestamp."""
    return names.astype("string").str.contains(ADAPTER_TAIL_RE, na=False).astype(bool)


def has_merge_word(names: pd.Series) -> pd.Series:
    """Whether each name holds a merge word as a whole part (`-slerp`, `merged-`, `-TIES-`)."""
    return names.astype("string").str.contains(MERGE_WORD_RE, na=False).astype(bool)


def has_packed_weight_marker(name: str) -> bool:
    """Whether a model name (or id) marks packed weights anywhere (`-GPTQ`, `.Q4_K_M`, `-4bit`, `-4.0bpw`)."""
    return PACKED_WEIGHT_MARKER_RE.search(name) is not None


def is_quantized_tag(tag: str) -> bool:
    """Whether one Hub tag marks quantized weights (`4-bit`, `gguf`, `base_model:quantized:<id>`)."""
    return tag in QUANTIZED_TAGS or tag.startswith(QUANTIZED_TAG_PREFIXES)


# The kind of copy a name's tail says it is, read from the markers above (first match wins, in this order):
# a llama.cpp file, an MLX / MLC conversion, packed weights (a PACKED_WEIGHT_MARKERS word in the tail), any
# other format marker (16/32-bit re-saves, ONNX, OpenVINO, ...), an adapter suffix, or nothing. What the
# Hub declares of a copy differs by kind (a GGUF is mostly declared a quantisation, a `-bf16` re-save often
# a fine-tune), so inferred lineage learns the relation per kind: constellation.genealogy.relations.
FORMAT_CLASSES = ("gguf", "mlx", "packed", "conversion", "adapter", "none")


def _tail_holding(markers: str) -> str:
    """A quantisation tail (as QUANTIZATION_TAIL_RE matches one) with a word of `markers` among its parts."""
    parts = rf"(?:{_SEP}(?:{QUANTIZATION_MARKERS}))*"
    return rf"(?i){parts}{_SEP}(?:{markers}){parts}(?:{_SEP}hf)?$"


_CLASS_TAILS = (("packed", _tail_holding(PACKED_WEIGHT_MARKERS)), ("mlx", _tail_holding(MLX_MARKERS)))


def format_class(names: pd.Series) -> np.ndarray:
    """The FORMAT_CLASSES value of each name (or id): `X-GGUF` gguf, `X-mlx-4Bit` mlx, `X-AWQ` and `X-4bit`
    packed, `X-bf16` and `X-fp16-ov` conversion, `X-lora` adapter, `X` none."""
    text = names.astype("string")
    out = np.full(len(text), "none", dtype=object)
    # Later classes first, so that the earlier ones overwrite them.
    out[has_adapter_marker(text).to_numpy(dtype=bool)] = "adapter"
    out[text.str.contains(QUANTIZATION_TAIL_RE, na=False).to_numpy(dtype=bool)] = "conversion"
    for name, tail in (*_CLASS_TAILS, ("gguf", _tail_holding(GGUF_MARKERS))):
        out[text.str.contains(tail, na=False).to_numpy(dtype=bool)] = name
    return out


# --------------------------------------------------------------------------------------------------
# 4. Keys
# --------------------------------------------------------------------------------------------------

_SEPARATORS_RE = r"[-_ ]+"
# Words a quantiser appends to the name it copies (second-state's `-Embedding-GGUF`, CISCai's `-SOTA-GGUF`;
# on a name key: lower-case, `-` separated), and a trailing context length, which an original may carry in
# its name while its quantisations drop it.
PACKAGING_WORDS = ("embedding", "embeddings", "encoder", "sota", "optimized", "cpu")
_PACKAGING_TAIL_RE = rf"(?:-(?:{'|'.join(PACKAGING_WORDS)}))+$"
CONTEXT_TAIL_RE = r"-[0-9]+k$"
# Words that, after a base model's name, usually mean "a fine-tune of it" (`llama-2-7b-finetuned-...`).
FINETUNE_WORDS = frozenset(
    [
        "finetuned", "finetune", "fine", "tuned", "ft", "sft", "dpo", "orpo", "kto", "rlhf", "instruct", "it", "chat",
        "trained", "distilled",
    ]
)  # fmt: skip


def name_key(names: pd.Series) -> pd.Series:
    """The name with format, adapter and `-hf` markers stripped, lower-cased, separators unified.

    `TheBloke/Llama-2-7B-Chat-GGUF` and `meta-llama/Llama-2-7b-chat-hf` both become `llama-2-7b-chat`.
    """
    text = names.astype("string").str.replace(_ANY_TAIL_RE, "", regex=True).str.lower()
    return _unified_separators(text).str.strip("-.")


def name_tail(names: pd.Series) -> pd.Series:
    """The words `name_key` drops from the end of each name (format, adapter and `-hf` words), lower-cased, each
    after one space, so that a copy's tail starts with its original's: `mamba-2.8b-hf-GGUF` → " hf gguf",
    `gemma-7b-bnb-4bit` → " bnb 4bit", `…-6.0bpw-h6-exl2` → " 6.0bpw h6 exl2", `Llama-2-7b` → "" (object).
    A Hub id gives its name's tail (no tail word holds a "/")."""
    text = names.astype("string")
    # The head by Arrow's regular expressions (as `name_key` strips it), the tail by a cut: pandas' extract runs
    # Python's engine over every name.
    heads = text.str.replace(_ANY_TAIL_RE, "", regex=True).str.len().fillna(0).to_numpy(dtype=np.int64)
    # Only the names that have a tail are cut and split in Python (half of those the genealogy stage asks about have
    # none).
    some = np.flatnonzero(text.str.len().fillna(0).to_numpy(dtype=np.int64) > heads)
    tails = [t[h:] for t, h in zip(text.iloc[some].tolist(), heads[some].tolist())]
    out = np.full(len(text), "", dtype=object)
    # Cut where the key's own pattern cuts, word by word (a marker may hold a separator: `bpw3.5`, `q4_k_m`).
    out[some] = [" " + " ".join(_TAIL_WORD_RE.findall(t)).lower() for t in tails]
    return pd.Series(out, index=names.index, name=names.name, dtype=object)


def _unified_separators(text: pd.Series) -> pd.Series:
    """`_SEPARATORS_RE` replaced by "-" in a "string" Series: "_" and " " become "-" by literal replacements,
    and runs of "-" are collapsed only in the values that hold one (0.3 % of names); the regular expression
    over every name cost three times as much CPU."""
    if not isinstance(text.array, pd.arrays.ArrowStringArray):
        return text.str.replace(_SEPARATORS_RE, "-", regex=True)
    dashed = text.str.replace("_", "-", regex=False).str.replace(" ", "-", regex=False)
    runs = dashed.str.contains("--", regex=False, na=False).to_numpy(dtype=bool)
    if not runs.any():
        return dashed
    values = string_values(dashed)
    mask = pa.array(runs)
    collapsed = pc.replace_substring_regex(values.filter(mask), "-{2,}", "-")
    return pd.Series(
        pd.arrays.ArrowStringArray(pc.replace_with_mask(values, mask, collapsed), dtype=dashed.dtype),
        index=text.index,
        name=text.name,
    )


def loose_words(keys: pd.Series, drop_context: bool = False) -> pd.Series:
    """The name keys without the words `loose_key` ignores (a "string" Series): whose tokens it sorts."""
    stripped = keys.astype("string").fillna("").str.replace(_PACKAGING_TAIL_RE, "", regex=True)
    if drop_context:
        stripped = stripped.str.replace(CONTEXT_TAIL_RE, "", regex=True)
    return stripped


def loose_key(keys: pd.Series, drop_context: bool = False) -> pd.Series:
    """A name key blind to word order and to the words quantisers append without changing the model.

    Quantisers reorder (`bartowski/magnum-12b-v2-GGUF` of `anthracite-org/magnum-v2-12b`) and append
    packaging words (`-Embedding-GGUF`, `-SOTA-GGUF`, `t5-v1_1-xxl-encoder-gguf`). With `drop_context`, a
    trailing context length goes too: for the original's side only (`granite-20b-code-base-8k` quantised as
    `granite-20b-code-base-i1-GGUF`), since on a quantisation's side `-16k` usually names a longer-context
    fine-tune (`TheBloke/openchat_3.5-16k-AWQ` quantises `NurtureAI/openchat_3.5-16k`). Used only for
    quantised children that no exact key matches.
    """
    stripped = loose_words(keys, drop_context)
    # In plain Python over a list: `Series.map` with a lambda cost more.
    loose = ["-".join(sorted(k.split("-"))) if k else "" for k in stripped.tolist()]
    return pd.Series(np.array(loose, dtype=object), index=keys.index, name=keys.name, dtype=object)
