"""A tokenizer that knows how Hub model ids are written.

    "TheBloke/Llama-2-13B-chat-GPTQ"          → owner "TheBloke", tokens llama · 2 · 13b · chat · gptq
    "Qwen/Qwen2.5-7B-Instruct-Q4_K_M.gguf"   → qwen · 2.5 · 7b · instruct · q4_k_m · gguf
    "mistralai/Mistral-7B-v0.1"               → mistral · 7b · v0.1
    "EleutherAI/gpt-neox-20b", "WizardLM"    → gpt · neox · 20b, wizard · lm ("LLaMA" stays llama)

Names are split on separators, camelCase and letter-digit boundaries, but the tokens that carry meaning on
the Hub stay whole and are normalised to lower case: sizes (`7b`, `1.5b`, `125m`, `8x7b`, the active size
`a3b`), quantisations (`q4_k_m`, `iq2_xxs`, `4bit`, `int8`, `bf16`, `gptq`, `awq`, `gguf`, `exl2`, `4.0bpw`),
versions (`v0.1`, `v2`) and dotted numbers (`3.1`, `2.5`). Text is NFKC-normalised first, so full-width
and compatibility characters match their plain forms; letters of any script are kept.
"""

from __future__ import annotations

import re
import unicodedata

# One pass of alternatives, tried left to right at each position: the specific Hub tokens first, then
# numbers, then camelCase words. Sizes may follow a letter ("wizard7b") but not precede one ("13bchat").
_TOKEN_RE = re.compile(
    r"""
    (?P<quant>(?i:(?<![a-z0-9])(?:i?q\d(?:_[a-z0-9]{1,3}){0,2}|\d{1,2}bit|int[48]|fp(?:8|16|32)|bf16|nf4
        |gptq|awq|gguf|ggml|exl2|mlx|\d+(?:\.\d+)?bpw)(?![a-z0-9])))
    |(?P<size>(?i:(?<![a-z0-9])a\d+(?:\.\d+)?b(?![a-z0-9])|(?:\d+x)?\d+(?:\.\d+)?[bmkt](?![a-z])))
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
