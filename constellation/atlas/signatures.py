"""Base-model signatures of names: brand · version · stated size ("qwen · 2.5 · 7b"), learned from the snapshot.

    normalised names ─► learn_brands (first tokens used by many owners) ─► base_signatures ─► signature_edges
                                                                                        └► signature_conflicts

Why: names alone group by shared tokens, so one "qwen · 2.5" community held six Qwen2.5 families of different
sizes, and fine-tunes named after their purpose ("…-Qwen2.5-7B-medical") scattered over dozens of communities.
A fine-tune usually keeps its base's brand, version and size somewhere in its name, so those three tokens say
more about its family than all its other tokens.

Brands are not a hard-coded list: a brand is a word that starts names (after the owner) under at least
`min_owners` different owners, the way `llama`, `qwen` or `mistral` do and `instruct` or `lora` do not. A word
that mostly introduces another brand ("meta" in "Meta-Llama-3-8B") is a vendor prefix, not a brand. In a name,
the brand is the first brand among its first three tokens; the size is the first size token after it (7b, 1.5b,
8x7b); the version the first version-like token between them (2.5, 3.1, v0.2, or a number up to 99), or a
`v…` token right after the size ("mistral 7b v0.1"). A name gets a signature only with a brand and a size: a
brand alone ("llama") spans every size and version and would be a family of nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from constellation.names import VERSION_TOKEN_RE, is_size_token

NO_SIGNATURE = -1
_SMALL_NUMBER_RE = re.compile(r"^[0-9]{1,2}$")
_BRAND_RE = re.compile(r"^[^\W\d_]{2,}$")
_VENDOR_SHARE = 0.5  # a brand followed by another brand in more than half of the names it starts is a vendor
_BRAND_WINDOW = 3  # the brand is looked for among a name's first tokens only: later ones name the purpose


@dataclass(frozen=True)
class Signatures:
    codes: np.ndarray  # (n,) int64 signature of each name, NO_SIGNATURE (-1) when it has none
    brand: np.ndarray  # (n,) int64 brand code of each name, -1 when none
    keys: list[tuple[str, str, str]]  # (brand, version or "", size) of each signature code

    @property
    def count(self) -> int:
        return len(self.keys)


def _owner(model_id: str) -> str:
    owner, sep, _ = model_id.partition("/")
    return owner if sep else ""


def _tokens(text: str) -> list[str]:
    # With include_owner the normalised name starts with "@owner": that is not part of the name.
    tokens = text.split()
    return tokens[1:] if tokens and tokens[0].startswith("@") else tokens


def learn_brands(ids: Sequence[str], texts: Sequence[str], min_owners: int) -> set[str]:
    """Words that start names under at least `min_owners` owners, minus vendor prefixes (see the module)."""
    firsts, seconds = [], []
    for text in texts:
        tokens = _tokens(text)
        firsts.append(tokens[0] if tokens else "")
        seconds.append(tokens[1] if len(tokens) > 1 else "")
    frame = pd.DataFrame({"first": firsts, "second": seconds, "owner": [_owner(i) for i in ids]})
    frame = frame[frame["first"].str.match(_BRAND_RE.pattern)]
    owners = frame.drop_duplicates(["first", "owner"])["first"].value_counts()
    brands = set(owners.index[owners >= min_owners])
    if not brands:
        return brands
    started = frame[frame["first"].isin(brands)]
    vendor_share = started["second"].isin(brands).groupby(started["first"]).mean()
    return brands - set(vendor_share.index[vendor_share > _VENDOR_SHARE])


def _is_version(token: str) -> bool:
    return bool(VERSION_TOKEN_RE.match(token) or _SMALL_NUMBER_RE.match(token))


def signature_of(tokens: Sequence[str], brands: set[str]) -> tuple[str, str, str] | None:
    """(brand, version or "", size) of one name's tokens, or None without a brand and a size after it."""
    at = next((i for i, token in enumerate(tokens[:_BRAND_WINDOW]) if token in brands), None)
    if at is None:
        return None
    size_at = next((i for i in range(at + 1, len(tokens)) if is_size_token(tokens[i])), None)
    if size_at is None:
        return None
    version = next((tokens[i] for i in range(at + 1, size_at) if _is_version(tokens[i])), "")
    if not version and size_at + 1 < len(tokens) and tokens[size_at + 1].startswith("v"):
        version = tokens[size_at + 1] if VERSION_TOKEN_RE.match(tokens[size_at + 1]) else ""
    return tokens[at], version.removeprefix("v"), tokens[size_at]


def base_signatures(ids: Sequence[str], texts: Sequence[str], min_owners: int) -> Signatures:
    """The signature of every name (`texts`: the normalised names of `ids`, as features.name_features makes)."""
    brands = learn_brands(ids, texts, min_owners)
    codes = np.full(len(texts), NO_SIGNATURE, dtype=np.int64)
    brand = np.full(len(texts), -1, dtype=np.int64)
    index: dict[tuple[str, str, str], int] = {}
    brand_index: dict[str, int] = {}
    cache: dict[str, tuple[str, str, str] | None] = {}  # re-uploads repeat names: read each once
    for row, text in enumerate(texts):
        if text not in cache:
            cache[text] = signature_of(_tokens(text), brands) if brands else None
        key = cache[text]
        if key is None:
            continue
        codes[row] = index.setdefault(key, len(index))
        brand[row] = brand_index.setdefault(key[0], len(brand_index))
    return Signatures(codes=codes, brand=brand, keys=list(index))


def signature_edges(
    signatures: Signatures, popularity: np.ndarray, representatives: int
) -> tuple[np.ndarray, np.ndarray]:
    """(member, representative) pairs joining each model to the `representatives` most popular models of its
    signature (ties: the first). O(n · representatives) edges, never a clique of a signature's members."""
    codes = signatures.codes
    members = np.flatnonzero(codes != NO_SIGNATURE)
    if len(members) == 0 or representatives < 1:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    order = members[np.lexsort((members, -popularity[members], codes[members]))]
    group = codes[order]
    starts = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    sources, targets = [], []
    for r in range(representatives):
        rep = np.full(signatures.count, -1, dtype=np.int64)
        at = rank == r
        rep[group[at]] = order[at]
        head = rep[codes[members]]
        keep = (head >= 0) & (head != members)
        sources.append(members[keep])
        targets.append(head[keep])
    return np.concatenate(sources), np.concatenate(targets)


def signature_conflicts(signatures: Signatures, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per edge, True when its two ends share a brand but not a signature (another size or version): "Qwen2.5
    7B" and "Qwen2.5 72B" are different base models however many tokens their names share. An unstated version
    on one side does not conflict ("llama 7b" / "llama 2 7b" differ in size only if their sizes do)."""
    a, b = signatures.codes[sources], signatures.codes[targets]
    same_brand = (signatures.brand[sources] == signatures.brand[targets]) & (a != NO_SIGNATURE) & (b != NO_SIGNATURE)
    if not same_brand.any():
        return same_brand
    keys = np.array(signatures.keys, dtype=object).reshape(-1, 3)
    versions, sizes = keys[:, 1], keys[:, 2]
    a, b = np.maximum(a, 0), np.maximum(b, 0)
    version_differs = (versions[a] != "") & (versions[b] != "") & (versions[a] != versions[b])
    return same_brand & ((sizes[a] != sizes[b]) | version_differs)


def signature_label(key: tuple[str, str, str], spelled: Sequence[str]) -> str:
    """A family label such as "Qwen2.5 · 7B" or "Llama 3.1 · 8B", spelled as the `spelled` names (the
    community's most popular members, best first) write the brand and version; lower-case "qwen 2.5 · 7b"
    turns into "Qwen 2.5 · 7B" when none of them spells it."""
    brand, version, size = key
    size_text = size.upper().replace("X", "x")
    alone = re.compile(rf"(?i)(?<![a-z])({re.escape(brand)})(?![a-z])")
    if version:
        joined = re.compile(rf"(?i)(?<![a-z])({re.escape(brand)})([-_ .]?)v?{re.escape(version)}(?![0-9])")
        for name in spelled:
            found = joined.search(name)
            if found:
                return f"{_titled(found.group(1))}{'' if found.group(2) == '' else ' '}{version} · {size_text}"
        # "Mistral-7B-v0.1": the version follows the size, and so it does in the label.
        for name in spelled:
            found = alone.search(name)
            if found and re.search(rf"(?i)(?<![a-z0-9])v{re.escape(version)}(?![0-9])", name):
                return f"{_titled(found.group(1))} · {size_text} v{version}"
    else:
        for name in spelled:
            found = alone.search(name)
            if found:
                return f"{_titled(found.group(1))} · {size_text}"
    head = brand.title() if brand.islower() else brand
    return f"{head} {version} · {size_text}" if version else f"{head} · {size_text}"


def _titled(spelled: str) -> str:
    """The brand as a name spells it, capitalised when the name writes it all in small letters."""
    return spelled[:1].upper() + spelled[1:] if spelled.islower() else spelled
