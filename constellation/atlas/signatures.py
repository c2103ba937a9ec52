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
8x7b); the version the first version-like token between them (2.5, 3.1, v0.2, or a number up to 99), or else a
`v…` token after the size with nothing but release stage words (RELEASE_STAGE_WORDS) between them ("mistral 7b
v0.1", "mistral 7b instruct v0.2"; not "yi ko 6b dpo v5"). A name gets a signature only with a brand and a size: a
brand alone ("llama") spans every size and version and would be a family of nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.atlas.distinct import distinct_sorted
from constellation.names import VERSION_TOKEN_RE, is_size_token

NO_SIGNATURE = -1
# Raised whenever signature_of reads a name differently, so that a reuse state's signatures, read by the
# rules before, are read again (reuse.py) instead of kept: 2 reads a version after stage words.
SIGNATURE_RULES = 2
# The words official releases put between their size and their version (Mistral-7B-Instruct-v0.2,
# TinyLlama-1.1B-Chat-v1.0, gemma-ko-7b-it-v0.41). Not all of names.FINETUNE_WORDS: after a training-method word
# (dpo, sft, ft, kto, finetuned: "Yi-Ko-6B-dpo-v5") the `v…` is the fine-tuner's own run, not the base's version;
# read across those, 99 of the 674 card-snapshot names whose signature changed left their base's signature. Not
# `base` either (deepseek-coder-7b-base-v1.5, Breeze-7B-Base-v0.1 are real releases): with it, the card set's mean
# ARI was 0.003 lower on every seed (docs/quality.md, issue 10).
RELEASE_STAGE_WORDS = frozenset(["instruct", "chat", "it"])
_SMALL_NUMBER_RE = re.compile(r"^[0-9]{1,2}$")
_BRAND_RE = re.compile(r"^[^\W\d_]{2,}$")
_VENDOR_SHARE = 0.5  # a brand followed by another brand in more than half of the names it starts is a vendor
_BRAND_WINDOW = 3  # the brand is looked for among a name's first tokens only: later ones name the purpose
# Where str.split() splits besides at one space: every other white space character (those str.isspace()
# holds; test_signatures checks the list), or a space at either end or doubled. Names holding any are split
# in Python (_NameStarts.of); normalised names hold none.
_OTHER_SPACES = r"\x{9}-\x{d}\x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_IRREGULAR = f"^ | $|  |[{_OTHER_SPACES}]"


@dataclass(frozen=True)
class Signatures:
    codes: np.ndarray  # (n,) int64 signature of each name, NO_SIGNATURE (-1) when it has none
    brand: np.ndarray  # (n,) int64 brand code of each name, -1 when none
    keys: list[tuple[str, str, str]]  # (brand, version or "", size) of each signature code
    brands: frozenset[str] = frozenset()  # the brands learnt (learn_brands)

    @property
    def count(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class NameSignatures:
    """The signature of each of a list of distinct names, and the brands it was read with: what a build
    leaves for the next one (reuse.NameState keeps it). A name's signature depends on its tokens and the
    brands alone, so a night whose brands are yesterday's reads only the names it did not see yesterday:
    reading every name was two thirds of base_signatures at 300k models. Names whose first three tokens
    hold a brand gained or lost since are read again."""

    texts: np.ndarray  # object: the distinct normalised names
    codes: np.ndarray  # int32: each name's position in `keys`, NO_SIGNATURE when it has none
    keys: list[tuple[str, str, str]]
    brands: frozenset[str]


def name_signatures(signatures: Signatures, texts: np.ndarray, rows: np.ndarray) -> NameSignatures:
    """The NameSignatures of `texts` (distinct names) from the signatures of rows; `rows`: a row of each name."""
    codes = signatures.codes[rows]
    held, compact = np.unique(codes[codes != NO_SIGNATURE], return_inverse=True)
    out = np.full(len(codes), NO_SIGNATURE, dtype=np.int32)
    out[codes != NO_SIGNATURE] = compact
    return NameSignatures(texts, out, [signatures.keys[int(c)] for c in held], signatures.brands)


def _tokens(text: str) -> list[str]:
    # With include_owner the normalised name starts with "@owner": that is not part of the name.
    tokens = text.split()
    return tokens[1:] if tokens and tokens[0].startswith("@") else tokens


def learn_brands(ids: Sequence[str], texts: Sequence[str], min_owners: int) -> set[str]:
    """Words that start names under at least `min_owners` owners, minus vendor prefixes (see the module)."""
    codes, distinct = _distinct(texts)
    return _brands(_NameStarts.of(distinct), codes, _owners(ids), min_owners)


def _distinct(texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Each text's position among the distinct texts, and those, in order of first appearance."""
    codes, distinct = pd.factorize(pd.Series(texts, dtype=object))
    return codes, distinct.tolist()


def _owners(ids: Sequence[str]) -> np.ndarray:
    """Each id's owner as an integer code (ids without one share the code of ""), split in Arrow: a Python
    partition of every id took a second per million ids."""
    parts = pc.split_pattern(pa.array(ids, pa.large_string()), "/", max_splits=1)
    owner = pc.if_else(pc.greater(pc.list_value_length(parts), 1), pc.list_element(parts, 0), "")
    return pc.dictionary_encode(owner).indices.to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class _NameStarts:
    """The first three tokens of each distinct name (the brand window), as codes into `tokens`; "" when
    the name has fewer."""

    tokens: list[str]
    first: np.ndarray
    second: np.ndarray
    third: np.ndarray

    @classmethod
    def of(cls, distinct: Sequence[str] | np.ndarray) -> _NameStarts:
        """The brand windows of `distinct`, split in Arrow (a Python split of every name was a third of
        base_signatures at 300k models); names a split at single spaces would not read as `_tokens` does
        (other white space, a leading, trailing or doubled space) are read in Python."""
        names = pa.array(distinct, pa.large_string())
        n = len(names)
        # Up to four tokens apart (an "@owner" and three), the rest of the name in a fifth.
        parts = pc.split_pattern(names, " ", max_splits=_BRAND_WINDOW + 1)
        lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False).astype(np.int64)
        offsets = parts.offsets.to_numpy()[:-1].astype(np.int64)
        values = pc.list_flatten(parts)
        owned = np.zeros(n, dtype=bool)
        if n:
            first = values.take(pa.array(np.minimum(offsets, max(len(values) - 1, 0))))
            owned = pc.fill_null(pc.starts_with(first, "@"), False).to_numpy(zero_copy_only=False) & (lengths > 0)
        irregular = pc.match_substring_regex(names, _IRREGULAR).to_numpy(zero_copy_only=False)
        spoiled = [_tokens(str(distinct[j]))[:_BRAND_WINDOW] for j in np.flatnonzero(irregular).tolist()]
        window = []
        for i in range(_BRAND_WINDOW):
            at = owned.astype(np.int64) + i
            taken = values.take(pa.array(np.where(at < lengths, offsets + at, -1), mask=at >= lengths))
            column = pc.fill_null(taken, "")
            if spoiled:
                read = pa.array([t[i] if len(t) > i else "" for t in spoiled], pa.large_string())
                column = pc.replace_with_mask(column, pa.array(irregular), read)
            window.append(column)
        encoded = pc.dictionary_encode(pa.concat_arrays(window))
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return cls(encoded.dictionary.to_pylist(), codes[:n], codes[n : 2 * n], codes[2 * n :])

    def holding(self, words: AbstractSet[str]) -> np.ndarray:
        """Per name, whether one of its first three tokens is among `words`."""
        hit = np.array([token in words for token in self.tokens], dtype=bool)
        if not len(hit):
            return np.zeros(len(self.first), dtype=bool)
        return hit[self.first] | hit[self.second] | hit[self.third]


def _brands(starts: _NameStarts, codes: np.ndarray, owners: np.ndarray, min_owners: int) -> set[str]:
    """learn_brands over the rows of names `codes` (positions in `starts`) and their `owners`: counted over
    rows, as a name re-uploaded by several owners starts names under each of them."""
    words = len(starts.tokens)
    if not words or not len(codes):
        return set()
    candidate = np.array([bool(_BRAND_RE.match(token)) for token in starts.tokens], dtype=bool)
    first = starts.first[codes]
    rows = candidate[first]
    pairs = distinct_sorted(first[rows].astype(np.int64) * (int(owners.max(initial=0)) + 1) + owners[rows])
    owner_count = np.bincount(pairs // (int(owners.max(initial=0)) + 1), minlength=words)
    brand = owner_count >= min_owners
    if not brand.any():
        return set()
    started = brand[first]
    starts_count = np.bincount(first[started], minlength=words)
    before_brand = np.bincount(
        first[started], weights=brand[starts.second[codes][started]].astype(np.float64), minlength=words
    )
    vendor = brand & (before_brand > _VENDOR_SHARE * np.maximum(starts_count, 1))
    return {starts.tokens[i] for i in np.flatnonzero(brand & ~vendor)}


def _is_version(token: str) -> bool:
    return bool(VERSION_TOKEN_RE.match(token) or _SMALL_NUMBER_RE.match(token))


def signature_of(tokens: Sequence[str], brands: AbstractSet[str]) -> tuple[str, str, str] | None:
    """(brand, version or "", size) of one name's tokens, or None without a brand and a size after it."""
    at = next((i for i, token in enumerate(tokens[:_BRAND_WINDOW]) if token in brands), None)
    if at is None:
        return None
    size_at = next((i for i in range(at + 1, len(tokens)) if is_size_token(tokens[i])), None)
    if size_at is None:
        return None
    version = next((tokens[i] for i in range(at + 1, size_at) if _is_version(tokens[i])), "")
    if not version:
        # "mistral 7b instruct v0.2": the release's own stage words may come between its size and its version.
        after = size_at + 1
        while after < len(tokens) and tokens[after] in RELEASE_STAGE_WORDS:
            after += 1
        if after < len(tokens) and tokens[after].startswith("v") and VERSION_TOKEN_RE.match(tokens[after]):
            version = tokens[after]
    return tokens[at], version.removeprefix("v"), tokens[size_at]


def base_signatures(
    ids: Sequence[str],
    texts: Sequence[str],
    min_owners: int,
    known: NameSignatures | None = None,
    names: tuple[np.ndarray, Sequence[str] | np.ndarray] | None = None,
) -> Signatures:
    """The signature of every name (`texts`: the normalised names of `ids`, as features.name_features makes).
    Each distinct name is read once, and codes are numbered in the order the rows first show them. Names
    `known` holds (the last build's) keep their signature there when the brands learnt are its brands.
    `names`, when the caller has them (reuse.NameState's `id_texts` and `texts`): each id's position among
    the distinct names, and those, in any order; `texts` is then not read (hashing 3M names took seconds)."""
    codes, distinct = _distinct(texts) if names is None else names
    starts = _NameStarts.of(distinct)
    brands = frozenset(_brands(starts, codes, _owners(ids), min_owners))
    return _numbered(*_name_keys(distinct, starts, brands, known), codes, brands)


def _name_keys(
    distinct: Sequence[str] | np.ndarray, starts: _NameStarts, brands: frozenset[str], known: NameSignatures | None
) -> tuple[np.ndarray, list[tuple[str, str, str]]]:
    """Each distinct name's signature, as its position in the keys returned (NO_SIGNATURE: none): `known`'s
    for a name it holds, unless the brands changed and the name holds a brand gained or lost in its brand
    window (signature_of reads brands there only); read otherwise. A 2 % night gains or loses a brand or
    two at the `min_owners` edge."""
    keys: list[tuple[str, str, str]] = []
    if not brands:
        return np.full(len(distinct), NO_SIGNATURE, dtype=np.int64), keys
    if known is None or not len(known.texts):
        at = np.full(len(distinct), -1, dtype=np.int64)
        code = np.full(len(distinct), NO_SIGNATURE, dtype=np.int64)
    else:
        found = pc.index_in(pa.array(distinct, pa.large_string()), value_set=pa.array(known.texts, pa.large_string()))
        at = found.fill_null(-1).to_numpy().astype(np.int64)
        if known.brands != brands:
            at[starts.holding(known.brands ^ brands)] = -1
        code = np.where(at >= 0, known.codes[np.maximum(at, 0)], NO_SIGNATURE).astype(np.int64)
        keys = list(known.keys)
    index = {key: i for i, key in enumerate(keys)}
    for name in np.flatnonzero(at < 0).tolist():
        key = signature_of(_tokens(distinct[name]), brands)
        if key is not None:
            code[name] = index.setdefault(key, len(index))
            if code[name] == len(keys):
                keys.append(key)
    return code, keys


def _numbered(
    of_name: np.ndarray, local_keys: list[tuple[str, str, str]], codes: np.ndarray, brands: frozenset[str] = frozenset()
) -> Signatures:
    """Signatures of rows from their names' keys (`of_name`: each name's position in `local_keys`, −1 for
    none; `codes`: each row's name), signature and brand codes numbered by first appearance over the rows."""
    row_local = of_name[codes] if len(codes) else np.empty(0, dtype=np.int64)
    signed = row_local >= 0
    out = np.full(len(codes), NO_SIGNATURE, dtype=np.int64)
    brand = np.full(len(codes), -1, dtype=np.int64)
    numbered, firsts = pd.factorize(row_local[signed])
    out[signed] = numbered
    ordered = [local_keys[int(i)] for i in firsts]
    brand[signed] = pd.factorize(pd.Series([key[0] for key in ordered], dtype=object))[0][numbered]
    return Signatures(codes=out, brand=brand, keys=ordered, brands=brands)


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
