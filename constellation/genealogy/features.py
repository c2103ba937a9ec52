"""What inferred lineage reads of each model, computed once per snapshot.

    snapshot rows ─► ModelFeatures (name key, owner and brand keys, owner, quantisation / adapter / merge
                     markers, downloads, creation time, tags) ─┬─► infer_lineage for the models without a parent
                                                              └─► infer_lineage for each calibration fold

Everything here depends on the row alone, never on which rows are asked about or on the declared edges, so
the final inference and every calibration fold share one value instead of each normalising 3M names again
(at 300k models that was a quarter of the genealogy stage). What does depend on them (the declared
parents outside the snapshot, how often each model is declared, the top decile of downloads over both)
stays in `constellation.genealogy.inferred`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property, partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.arrow_strings import string_values
from constellation.genealogy.id_pairs import ascii_strings
from constellation.genealogy.key_index import KeyIndex
from constellation.genealogy.list_columns import ListColumns, arrow_list_column
from constellation.genealogy.tag_lists import rows_with_tag, tag_lists
from constellation.names import (
    ADAPTER_TAGS,
    CONTEXT_TAIL_RE,
    MERGE_TAGS,
    has_adapter_marker,
    has_merge_word,
    has_quantization_marker,
    loose_key,
    loose_words,
    name_key,
    name_tail,
)


@dataclass(frozen=True)
class ModelFeatures:
    """Per-row features of a model table, as numpy arrays in row order (one row per model)."""

    ids: np.ndarray  # Hub id (object)
    key: np.ndarray  # name key ("" when the name has none)
    owner_key: np.ndarray  # name key of "author-name" (catches `owner-model-onnx` re-uploads)
    brand_key: np.ndarray  # name key without a leading brand token that repeats the owner ("meta-")
    quantized: np.ndarray  # the name carries a quantisation / format marker
    adapter_marker: np.ndarray  # adapter marker in the name, or the peft library
    merge_marker: np.ndarray  # merge marker in the name
    adapter_tag: np.ndarray  # an adapter tag (read for the children of an inference only)
    merge_tag: np.ndarray  # a merge tag (likewise)
    downloads: np.ndarray  # float64, 0 when unknown
    created: np.ndarray  # creation time in ns since the epoch (the column's unit); -1 when unknown
    specific: np.ndarray  # the key names a particular model: it has a digit or three tokens ("bot" does not)
    tags: RowTags  # the tags value of each row as the snapshot holds it (None when there is no column)

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def _ascii_ids(self) -> pa.Array | None:
        """The ids in Arrow when the rows came with them (`model_features` of a string column) and all are
        ASCII; else None."""
        string_ids = self.__dict__.get("_string_ids")
        return ascii_strings(string_ids) if string_ids is not None else None

    @cached_property
    def ids_lower(self) -> pa.Array:
        """The lower-cased ids (Hub ids compare case-insensitively), as one Arrow array (string): every reader
        hashes them in Arrow."""
        ascii_ids = self._ascii_ids
        if ascii_ids is not None:
            # Hub ids are ASCII, where Arrow's lower-casing is Python's: lower-casing 3M ids in Python and
            # converting them back cost 1 s CPU.
            return pc.ascii_lower(ascii_ids).cast(pa.string())
        return pa.array(pd.Series(self.ids).astype(str).str.lower(), type=pa.string())

    @cached_property
    def owner(self) -> np.ndarray:
        """The lower-cased owner of each id ("" for legacy ids without one)."""
        ascii_ids = self._ascii_ids
        if ascii_ids is not None:
            # Hub ids are ASCII, where Arrow's lower-casing is Python's: cut in Arrow, where a pass in Python
            # over 1M ids cost 1 s CPU inside the stage.
            first = pc.list_element(pc.split_pattern(pc.ascii_lower(ascii_ids), "/", max_splits=1), 0)
            owners = pc.if_else(pc.match_substring(ascii_ids, "/"), first, pa.scalar("", type=first.type))
            return np.asarray(owners.to_numpy(zero_copy_only=False), dtype=object)
        ids = self.ids.tolist()
        # Hub ids are ASCII: one pass in Python, where pandas' `.str.partition` built a three-column frame of
        # 1M objects (0.9 s). Anything else goes through pandas, whose Arrow lower-casing differs from Python's
        # outside ASCII (`İ`).
        if all(type(i) is str and i.isascii() for i in ids):
            return np.array([i.lower().partition("/")[0] if "/" in i else "" for i in ids], dtype=object)
        column = pd.Series(self.ids).astype(str)
        return (
            column.str.lower().str.partition("/")[0].where(column.str.contains("/", regex=False), "").to_numpy(object)
        )

    @cached_property
    def key_values(self) -> pa.Array:
        """The name keys as one Arrow array (large_string): joins on keys take from it, no conversion."""
        return pa.array(self.key, type=pa.large_string())

    @cached_property
    def owner_key_values(self) -> pa.Array:
        """The owner keys as one Arrow array (large_string)."""
        return pa.array(self.owner_key, type=pa.large_string())

    @cached_property
    def brand_key_values(self) -> pa.Array:
        """The brand keys as one Arrow array (large_string)."""
        return pa.array(self.brand_key, type=pa.large_string())

    @cached_property
    def id_values(self) -> pa.Array:
        """The ids as one Arrow array (large_string), for hash joins among them (`arrow_strings.rows_of`)."""
        known = self.__dict__.get("_string_ids")
        return known if known is not None else pa.array(self.ids, type=pa.large_string())

    def name_tails(self, rows: np.ndarray) -> np.ndarray:
        """`names.name_tail` of the ids of `rows` (object), each row's computed once and kept: the final inference
        and its calibration folds ask for many of the same namesakes' (at 1M models, 190k distinct rows of 310k)."""
        if "_name_tails" not in self.__dict__:
            self.__dict__["_name_tails"] = np.zeros(len(self), dtype=bool), np.full(len(self), "", dtype=object)
        known, tails = self.__dict__["_name_tails"]
        rows = np.asarray(rows, dtype=np.int64)
        # Each missing row once, by a mask over all rows: hashing 150k asked rows (np.unique) cost more.
        wanted = np.zeros(len(self), dtype=bool)
        wanted[rows] = True
        missing = np.flatnonzero(wanted & ~known)
        if len(missing):
            # The ids' own Arrow values: a Hub id gives its name's tail, and cutting each id's name in Python (and
            # converting the names back) cost as much as the tails.
            ids = self.id_values.take(pa.array(missing, type=pa.int64()))
            tails[missing] = name_tail(pd.Series(pd.arrays.ArrowStringArray(ids))).to_numpy(dtype=object)
            known[missing] = True
        return tails[rows]

    @cached_property
    def loose_signatures(self) -> LooseSignatures:
        """The clean rows' loose keys as token sums; see `LooseSignatures`."""
        return loose_signatures(self.key, self.quantized)

    def asked_loose_keys(self, asked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`clean_loose_keys(self.key, self.quantized)` with every value not among `asked` (loose keys) made "".

        The rows whose token sum is that of no asked key cannot carry one: only the others get their loose
        key computed (in Python), where computing every clean row's cost 0.7 s at 1M models."""
        out = np.full(len(self), "", dtype=object), np.full(len(self), "", dtype=object)
        wanted = set(asked.tolist())
        signatures = self.loose_signatures
        sums, known = signatures.sums_of(asked)
        for kind, drop_context in enumerate((False, True)):
            maybe = signatures.rows[kind][_among(signatures.sums[kind], sums[known])]
            exact = loose_key(pd.Series(self.key[maybe]), drop_context=drop_context).to_numpy(dtype=object)
            hit = np.fromiter((value in wanted for value in exact.tolist()), dtype=bool, count=len(exact))
            out[kind][maybe[hit]] = exact[hit]
        return out

    @cached_property
    def key_table(self) -> KeyTable:
        """The clean rows under each of their name, owner and brand keys, ranked; see `KeyTable`."""
        keys = (self.key_values, self.owner_key_values, self.brand_key_values)
        return key_table(keys, self.key, self.quantized, self.downloads, row_codes=True)

    def extended(self, more: ModelFeatures) -> ModelFeatures:
        """These rows, then `more`'s (the declared parents outside the snapshot, for one inference)."""
        joined = ModelFeatures(
            **{
                f.name: np.concatenate([getattr(self, f.name), getattr(more, f.name)])
                for f in fields(self)
                if f.name != "tags"
            },
            tags=self.tags.extended(more.tags),
        )
        # The derived columns are computed once on the snapshot (and kept there for the next inference),
        # not again over every row of each extension.
        joined.__dict__["ids_lower"] = pa.concat_arrays([self.ids_lower, more.ids_lower])
        joined.__dict__["owner"] = np.concatenate([self.owner, more.owner])
        joined.__dict__["id_values"] = pa.concat_arrays([self.id_values, more.id_values])
        joined.__dict__["key_values"] = pa.concat_arrays([self.key_values, more.key_values])
        return joined


@dataclass(frozen=True)
class RowTags:
    """The tags value of each row as the snapshot holds it (an array or list of tags, or None), made into Python
    values only for the rows asked for (`take`): the inference reads the tags of a few rows, and making an array
    for each of 3M rows the build holds in Arrow cost 5.6 s. `head`: the first rows, as Python values or as the
    Arrow list array the build read; `tail`: the values of the rows appended after them (`extended`)."""

    head: np.ndarray | pa.ListArray
    tail: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))

    def __len__(self) -> int:
        return len(self.head) + len(self.tail)

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The values of `rows`, as an object array: what the rows of `to_pandas` of the same column hold
        (an array of tags each, None where there are none)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty(len(rows), dtype=object)
        first = len(self.head)
        inside = rows < first
        if isinstance(self.head, pa.Array):
            out[inside] = self.head.take(pa.array(rows[inside])).to_numpy(zero_copy_only=False)
        else:
            out[inside] = self.head[rows[inside]]
        out[~inside] = self.tail[rows[~inside] - first]
        return out

    def extended(self, more: RowTags) -> RowTags:
        """These rows, then `more`'s (a few declared parents outside the snapshot)."""
        return RowTags(self.head, np.concatenate([self.tail, more.take(np.arange(len(more)))]))


@dataclass(frozen=True)
class KeyTable:
    """Every (lookup key, clean row) pair of a snapshot, in the order inferred lineage ranks candidates: by key
    code, then downloads (most first), then row. A clean row has a name key and no format marker; its lookup
    keys are its name, owner and brand keys ("" excluded), each pair once.

    It depends on the rows alone, so the final inference and every calibration fold share it; what an
    inference adds (the declared parents outside the snapshot, which have no downloads and come after every
    snapshot row, hence last in each key's ranking) is merged in by `_candidates_by_key`."""

    uniques: KeyIndex  # lookup key of each code
    codes: np.ndarray  # int64 code of each pair's key
    cand: np.ndarray  # int64 row of each pair
    # With `key_table(..., row_codes=True)`: the code of each row's first key (its name key), -1 where no pair
    # has it, so that the rows asked about are joined without looking their keys up (2 s CPU at 3M models).
    row_codes: np.ndarray | None = None
    # ... and a code of each row's first key among every row's: equal for equal keys, whether a pair has it or not.
    row_keys: np.ndarray | None = None


def key_table(
    keys: tuple[np.ndarray | pa.Array, ...],
    key: np.ndarray,
    quantized: np.ndarray,
    downloads: np.ndarray,
    row_codes: bool = False,
) -> KeyTable:
    """The KeyTable of the clean rows (by `key` and `quantized`) under each of `keys` (one value per row, as
    numpy or Arrow strings); `row_codes`: with the code of every row's `keys[0]` value."""
    clean = np.flatnonzero(~quantized & (key != ""))
    at = pa.array(clean, type=pa.int64())
    lookup = pa.concat_arrays([k.take(at) if isinstance(k, pa.Array) else string_values(k[clean]) for k in keys])
    cand = np.tile(clean, len(keys))
    others = np.flatnonzero(quantized | (key == "")) if row_codes else np.zeros(0, dtype=np.int64)
    first = keys[0]
    # The other rows' first keys are encoded after the pairs' keys: a code past those is no pair's key.
    asked = first.take(pa.array(others)) if isinstance(first, pa.Array) else string_values(first[others])
    # Codes in order of first appearance, as pd.factorize numbers them, hashed in Arrow: pd.factorize hashed
    # every key as a Python string (4.2 s CPU at 3M models, 0.13 s at 300k).
    encoded = pc.dictionary_encode(pa.concat_arrays([lookup, asked.cast(lookup.type)]))
    codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    codes, other_codes = codes[: len(lookup)], codes[len(lookup) :]
    known = int(codes.max()) + 1 if len(codes) else 0
    per_row = per_key = None
    if row_codes:
        per_key = np.empty(len(key), dtype=np.int64)
        per_key[clean], per_key[others] = codes[: len(clean)], other_codes
        per_row = np.where(per_key < known, per_key, -1)
    used = np.asarray(pc.fill_null(pc.not_equal(lookup, ""), True).to_numpy(zero_copy_only=False), dtype=bool)
    codes, cand = codes[used], cand[used]
    # One row per (key, model): a 1-D unique of key × rows + model, which sorts plain integers where
    # np.unique(axis=1) sorts rows as structured values (twice as slow).
    rows = np.int64(len(key))
    pairs = sorted_unique(codes * rows + cand.astype(np.int64))
    codes, cand = pairs // rows, pairs % rows
    # The pairs are in (key, row) order already: a stable sort by key, then downloads keeps the rows in order.
    order = np.lexsort((-downloads[cand], codes))
    uniques = KeyIndex(encoded.dictionary.slice(0, known))
    return KeyTable(uniques=uniques, codes=codes[order], cand=cand[order], row_codes=per_row, row_keys=per_key)


def _among(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """`np.isin(values, wanted)` for integers, by a binary search among the sorted wanted ones: numpy 2.4's
    isin of int64 hashes through np.unique (0.4 s CPU a call on the token sums at 3M models)."""
    wanted = sorted_unique(np.asarray(wanted))
    if len(wanted) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(wanted, values), len(wanted) - 1)
    return wanted[at] == values


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` of a 1-D integer array (the distinct values, ascending), by a sort and a test of
    neighbours: numpy 2.4's `np.unique` hashes first and took 2.8 s CPU on 2M int64 where this takes 0.13 s."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


@dataclass(frozen=True)
class LooseSignatures:
    """The loose keys of the clean rows (both kinds: see `clean_loose_keys`), each as the sum of random
    weights of its tokens (wrapping int64): equal token multisets, as equal loose keys have, give equal sums,
    so a row whose sum is no asked key's cannot carry an asked key (equal sums of different keys only cost
    an exact test). Computed once per snapshot, in Arrow."""

    tokens: pa.Array  # every distinct token; its weight is at its position
    weights: np.ndarray  # int64
    rows: tuple[np.ndarray, np.ndarray]  # the clean rows; those of them whose key ends in a context length
    sums: tuple[np.ndarray, np.ndarray]  # of each of those rows: its loose key's; its loose key without context's

    def sums_of(self, loose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(token sum of each loose key, whether all its tokens are known: a key with another token is no
        clean row's)."""
        if len(self.weights) == 0:
            return np.zeros(len(loose), dtype=np.int64), np.zeros(len(loose), dtype=bool)
        tokens = pc.split_pattern(pa.array(loose, type=pa.large_string()), "-")
        at = pc.index_in(tokens.flatten(), value_set=self.tokens)
        codes = np.asarray(at.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        offsets = np.asarray(tokens.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
        sums = _list_sums(np.where(codes >= 0, self.weights[np.maximum(codes, 0)], 0), offsets)
        unknown = _list_sums((codes < 0).astype(np.int64), offsets)
        return sums, unknown == 0


def _list_sums(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The sum of each list of `values` (cut at `offsets`; no list is empty), wrapping around in int64."""
    if len(offsets) < 2:
        return np.zeros(0, dtype=np.int64)
    return np.add.reduceat(values.astype(np.int64), offsets[:-1])


def loose_signatures(key: np.ndarray, quantized: np.ndarray) -> LooseSignatures:
    """The LooseSignatures of the clean rows of `key` / `quantized` (as in `clean_loose_keys`)."""
    clean = np.flatnonzero(~quantized & (key != ""))
    keys = pd.Series(key[clean], dtype=object)
    with_context = clean[
        pd.Series(key[clean], dtype="string").str.contains(CONTEXT_TAIL_RE, regex=True).to_numpy(dtype=bool)
    ]
    parts = [
        string_values(loose_words(keys)),
        string_values(loose_words(pd.Series(key[with_context], dtype=object), drop_context=True)),
    ]
    # str.split("-") of each key: never an empty list ("" is [""]), as a loose key's tokens are.
    tokens = pc.split_pattern(pa.concat_arrays(parts), "-")
    encoded = pc.dictionary_encode(tokens.flatten())
    weights = np.random.default_rng(0).integers(
        np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=len(encoded.dictionary), dtype=np.int64
    )
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    sums = _list_sums(weights[codes], np.asarray(tokens.offsets.to_numpy(zero_copy_only=False), dtype=np.int64))
    return LooseSignatures(
        tokens=encoded.dictionary,
        weights=weights,
        rows=(clean, with_context),
        sums=(sums[: len(clean)], sums[len(clean) :]),
    )


def clean_loose_keys(key: np.ndarray, quantized: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows with a key and no format marker (the originals a quantisation may copy): the loose key, and
    the loose key without a trailing context length where the key has one; "" for every other row.
    Inferred lineage's loose name match looks quantisations up among them (`constellation.names.loose_key`)."""
    clean = np.flatnonzero(~quantized & (key != ""))
    loose, without_context = np.full(len(key), "", dtype=object), np.full(len(key), "", dtype=object)
    if len(clean) == 0:
        return loose, without_context
    loose[clean] = loose_key(pd.Series(key[clean])).to_numpy(dtype=object)
    with_context = clean[
        pd.Series(key[clean], dtype="string").str.contains(CONTEXT_TAIL_RE, regex=True).to_numpy(dtype=bool)
    ]
    without_context[with_context] = loose_key(pd.Series(key[with_context]), drop_context=True).to_numpy(dtype=object)
    return loose, without_context


def _row_tags(models: pd.DataFrame, lists: ListColumns | None) -> tuple[RowTags, pa.ListArray | None]:
    """The rows' tags, and the column as an Arrow list of strings when the caller has it (`lists`) or the frame
    holds it in Arrow (the build reads the snapshot so): then no Python value is made per row."""
    converted = lists.tags if lists is not None else None
    if "tags" not in models:
        return RowTags(np.full(len(models), None, dtype=object)), converted
    column = models["tags"]
    if not isinstance(column.dtype, pd.ArrowDtype):
        return RowTags(column.to_numpy(dtype=object)), converted
    arrow = converted if converted is not None else arrow_list_column(column, pa.list_(pa.string()))
    if arrow is not None:
        return RowTags(arrow), arrow
    # Tags of another Arrow type (not strings): one Python value per row, for the row-by-row path.
    values = pa.array(column.array)
    return RowTags(values.to_numpy(zero_copy_only=False)), None


def _tag_flags(tags: RowTags, *wanted: frozenset[str], converted: pa.ListArray | None = None) -> list[np.ndarray]:
    """For each set of wanted tags, whether each model carries one of them (Hub tags are lower-case).

    Vectorised over the flattened tag lists (tag_lists), as params._tags_quantized is: a Python loop over 3M
    rows cost 5 s. A value that is no list of strings sends the whole column down the row-by-row path.
    `converted`: `tag_lists(tags)`, when the caller has it already (stage.annotate converts the column once;
    None: converted here)."""
    if isinstance(tags.head, pa.Array):  # typed by Arrow: a list of strings in every row, or none
        return [rows_with_tag(tags.head, partial(_one_of, names)) for names in wanted]
    values = tags.head.tolist()
    # Judged per distinct type (a Python test per row cost 0.5 s at 1M): isinstance is issubclass of the type.
    odd = any(
        t is not type(None) and not issubclass(t, (list, tuple, np.ndarray, float, str)) for t in set(map(type, values))
    )
    lists = None if odd else (converted if converted is not None else tag_lists(values))
    if lists is None:
        return _tag_flags_by_row(values, *wanted)
    return [rows_with_tag(lists, partial(_one_of, names)) for names in wanted]


def _one_of(names: frozenset[str], flat: pa.Array) -> pa.Array:
    return pc.is_in(flat, value_set=pa.array(sorted(names), type=pa.string()))


def _tag_flags_by_row(values: list[object], *wanted: frozenset[str]) -> list[np.ndarray]:
    out = [np.zeros(len(values), dtype=bool) for _ in wanted]
    for i, value in enumerate(values):
        if value is None or isinstance(value, (float, str)):
            continue
        for flags, names in zip(out, wanted):
            flags[i] = not names.isdisjoint(value)  # type: ignore[arg-type]
    return out


def _created_ns(models: pd.DataFrame) -> np.ndarray:
    """Creation time as an integer in the column's unit; -1 when unknown."""
    if "created_at" not in models:
        return np.full(len(models), -1, dtype=np.int64)
    created = pd.to_datetime(models["created_at"], utc=True)
    out = created.astype("int64").to_numpy(copy=True)
    out[created.isna().to_numpy()] = -1
    return out


def _no_features() -> ModelFeatures:
    text, flags = np.array([], dtype=object), np.array([], dtype=bool)
    return ModelFeatures(
        ids=text,
        key=text,
        owner_key=text,
        brand_key=text,
        quantized=flags,
        adapter_marker=flags,
        merge_marker=flags,
        adapter_tag=flags,
        merge_tag=flags,
        downloads=np.array([], dtype=np.float64),
        created=np.array([], dtype=np.int64),
        specific=flags,
        tags=RowTags(text),
    )


def _dashes(keys: pd.Series) -> np.ndarray:
    """The number of "-" in each key ("" for none; keys are never missing). A literal count in Arrow: pandas'
    `.str.count` takes a regular expression."""
    return np.asarray(pc.count_substring(string_values(keys), "-").to_numpy(zero_copy_only=False), dtype=np.int64)


def _first_token(keys: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(what comes before the first "-", what comes after it; "" without one) of each key (no missing ones),
    as `keys.str.partition("-")` says, cut in Arrow: pandas builds a frame of three columns in Python."""
    tokens = pc.split_pattern(string_values(keys), "-", max_splits=1)
    first = pc.list_element(tokens, 0)
    rest = pc.binary_join(pc.list_slice(tokens, 1), pa.scalar("", type=first.type))
    before, after = (
        pd.Series(pd.arrays.ArrowStringArray(p), index=keys.index).astype(keys.dtype) for p in (first, rest)
    )
    return before, after


def _names(models: pd.DataFrame) -> pd.Series:
    """The name column, with the name part of the id where it is missing (only those ids are split: splitting
    all 1M ids cost 2 s)."""
    names = models["name"]
    missing = names.isna().to_numpy(dtype=bool)
    if missing.any():
        ids = models["id"]
        # fillna aligns on the index: with repeated labels, split every id as before (a frame read from a
        # snapshot has a plain range index).
        from_id = (ids.iloc[np.flatnonzero(missing)] if models.index.is_unique else ids).str.split("/").str[-1]
        names = names.fillna(from_id)
    return names.astype("string")


def model_features(models: pd.DataFrame, lists: ListColumns | None = None) -> ModelFeatures:
    """The features of every row of `models` (snapshot columns: id, name, author, downloads, created_at,
    tags, library_name; only id, name and downloads are required). `lists`: `list_columns(models)` when the
    caller has it already, else the tags are converted here."""
    if len(models) == 0:  # pandas' `.str[-1]` and `.str.partition` fail on no rows at all
        return _no_features()
    names = _names(models)
    authors = models["author"].astype("string") if "author" in models else pd.Series(pd.NA, index=models.index)
    library = models["library_name"].astype("string").fillna("") if "library_name" in models else ""
    key = name_key(names).fillna("")
    owner_key = name_key(authors.fillna("") + "-" + names).fillna("")
    owner_key = owner_key.where(authors.notna(), "")
    # An organisation that prefixes its brand (`meta-llama/Meta-Llama-3-8B`) is also found under the name
    # others use for it (`Llama-3-8B-...-GGUF`): index such a model by its key without the brand token.
    first, rest = _first_token(key)
    # The owner test is a Python loop: run it only on the keys the two vectorised tests leave.
    branded = (first != "").to_numpy(dtype=bool) & (_dashes(rest) >= 2)
    candidates = np.flatnonzero(branded)
    branded[candidates] = [
        isinstance(a, str) and bool(a) and t in a.lower()
        for a, t in zip(authors.iloc[candidates].tolist(), first.iloc[candidates].tolist())
    ]
    brand_key = rest.where(pd.Series(branded, index=key.index), "")
    tags, converted = _row_tags(models, lists)
    # Lists (or arrays) and None only, as a snapshot holds them (a column read in Arrow is such): then the Arrow
    # lists say what exploding the column in pandas would (inferred lineage's tag priors read them so).
    listed = isinstance(tags.head, pa.Array) or all(
        t is type(None) or issubclass(t, (list, tuple, np.ndarray)) for t in set(map(type, tags.head.tolist()))
    )
    if listed and converted is None:
        converted = tag_lists(tags.head)
    adapter_tag, merge_tag = _tag_flags(tags, ADAPTER_TAGS, MERGE_TAGS, converted=converted)
    downloads = pd.to_numeric(models["downloads"], errors="coerce").fillna(0).to_numpy(dtype=np.float64)
    specific = key.str.contains(r"[0-9]", regex=True).to_numpy(dtype=bool) | (_dashes(key) >= 2)
    features = ModelFeatures(
        ids=models["id"].to_numpy(dtype=object),
        key=key.to_numpy(dtype=object),
        owner_key=owner_key.to_numpy(dtype=object),
        brand_key=brand_key.to_numpy(dtype=object),
        quantized=has_quantization_marker(names).to_numpy(),
        adapter_marker=has_adapter_marker(names).to_numpy() | (np.asarray(library) == "peft"),
        merge_marker=has_merge_word(names).to_numpy(),
        adapter_tag=adapter_tag,
        merge_tag=merge_tag,
        downloads=downloads,
        created=_created_ns(models),
        specific=specific,
        tags=tags,
    )
    # Their own Arrow values, as the key arrays hold them.
    features.__dict__["key_values"] = string_values(key)
    features.__dict__["owner_key_values"] = string_values(owner_key)
    features.__dict__["brand_key_values"] = string_values(brand_key)
    if listed and converted is not None:
        features.__dict__["_tag_lists"] = converted
    if isinstance(models["id"].dtype, pd.StringDtype):
        # Its own Arrow values (no copy for an Arrow-backed column): every value is a string or missing.
        features.__dict__["_string_ids"] = string_values(models["id"])
    return features
