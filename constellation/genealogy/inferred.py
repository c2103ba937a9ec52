"""Inferred lineage: propose a parent for models that declare none, from the evidence in names and metadata.

    names ─► strip format markers ─► name key ─┬─► same key, cleaner name, another repo   ("name match";
                                               │     among namesakes, the one whose full name the child
                                               │     carries, then the one same-key siblings declare)
                                               │     └─► its declared parent, for owners whose quantisations
                                               │         declare bases                        ("owner habit"),
                                               │         or whose card-copying ones do ("copied card habit"),
                                               │         or for own fine-tunes with copied cards ("own card habit")
                                               ├─► quantised: same words in another order   ("loose name match")
                                               ├─► parents that same-key siblings declare ("sibling vote")
                                               ├─► longest key prefix naming a known model: what the visible
                                               │     models under that prefix declare ("prefix vote"), else
                                               │     the prefix's model ("prefix match"; "own prefix match"
                                               │     when the child's owner holds it), else nothing
                                               └─► adapters: a tag whose declared adapters share a parent ("tag prior")
          ─► checks: creation order, size agreement, version agreement ─► best proposal, confidence, evidence

Every lookup is a hash join on a normalised name key (pandas merge or a dict), never a pairwise comparison,
so the stage is linear in the number of models. The keys and the quantisation, adapter and merge markers
they strip are the Hub's naming vocabulary: `constellation.names` spells them. At millions of models the
joins that touch every model avoid hashing Python strings, and any table of millions of strings: name matches
join integer key codes (each row's kept with the snapshot's key table; other keys are looked up in its
`KeyIndex`, which hashes the asked keys only), and lookups among all ids hash the asked ids in Arrow.

Confidences are hand-set per rule (see RuleConfidence) and measured by `evaluate_lineage`: hide the declared
lineage of a share of models, infer it back, and compare. docs/quality.md records the figures; the default
threshold `DEFAULT_MIN_CONFIDENCE` is where precision stays at or above the target.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.arrow_strings import string_values
from constellation.contract import RELATIONS
from constellation.genealogy.features import (
    ModelFeatures,
    RowTags,
    clean_loose_keys,
    key_table,
    model_features,
    sorted_unique,
)
from constellation.genealogy.id_pairs import among, ascii_pair_keys
from constellation.genealogy.id_rows import first_rows
from constellation.genealogy.key_index import KeyIndex
from constellation.names import (
    FINETUNE_WORDS,
    has_packed_weight_marker,
    is_size_token,
    is_version_token,
    loose_key,
    size_tokens,
)

# Proposals below this confidence are not written to the atlas (evaluation still scores them all).
DEFAULT_MIN_CONFIDENCE = 0.6


@dataclass(frozen=True)
class RuleConfidence:
    """Confidence given to each kind of evidence (set by hand, checked by evaluate_lineage)."""

    name_and_siblings_agree: float = 0.97
    own_export: float = 0.95  # an owner's quantisation of its own model (`org/Model-GGUF` of `org/Model`)
    quantized_name_match: float = 0.9
    quantized_loose_match: float = 0.8  # same words in another order, or packaging words appended
    sibling_vote_max: float = 0.9  # scaled by the share and number of sibling votes
    reupload_name_match: float = 0.6  # same clean name under another owner
    prefix_match: float = 0.55
    prefix_finetune_word: float = 0.15  # bonus when the remainder says "finetuned", "instruct", ...
    popular_parent: float = 0.1  # bonus when the candidate has 10× the child's downloads
    dates_unknown: float = -0.05  # creation order could not be checked
    ambiguous_name: float = -0.35  # several repos carry the name and none dominates
    ambiguous_name_clear_lead: float = -0.15  # ... but the first has `clear_lead` times the next one's downloads
    clear_lead: float = 3.0
    prefix_merge: float = -0.15  # a merge has several parents; its name rarely starts with the right one
    prefix_vote_max: float = 0.9  # scaled by the share and number of votes of the models under the prefix
    prefix_vote_support: int = 3  # declarations under a prefix that outvote its namesake model ...
    prefix_vote_share: float = 0.7  # ... when this share of them name one parent
    tag_prior_max: float = 0.75  # scaled by the share of the tag's declared adapters that share the parent
    tag_prior_support: int = 10  # declared adapters a tag needs before it predicts their parent
    tag_prior_share: float = 0.85  # ... and the share of them that must agree
    sibling_vote_clean_factor: float = 0.8  # sibling votes for a child without a quantisation marker
    declared_parent_support: int = 3  # declarations that make a same-name repo the original ...
    declared_parent_ratio: float = 3.0  # ... when it has this many times the next namesake's declarations
    owner_habit_support: int = 2  # declared quantisations an owner needs before its habit is trusted ...
    owner_habit_share: float = 0.8  # ... and the share of them that declare the base of the repo they name
    # The same habit among an owner's quantisations that carry all the dataset tags of the repo they name
    # (its card metadata copied, base_model line included): needs this share of at least the same support.
    copied_card_habit_share: float = 0.7

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass
class InferredLineage:
    """One proposal per model that got one: source (parent), target (child), relation, confidence, evidence."""

    proposals: pd.DataFrame
    report: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Features of the models
# --------------------------------------------------------------------------------------------------


@dataclass
class _Features:
    """The snapshot's ModelFeatures (and the declared parents outside it), as one inference sees them."""

    snapshot: ModelFeatures  # the snapshot's rows
    rows: ModelFeatures  # the snapshot's rows, then the external parents' rows
    adapter: np.ndarray  # adapter marker in name or library, or (children only) in tags
    merge: np.ndarray  # merge marker in name, or (children only) in tags
    well_known: np.ndarray  # in the top decile of downloads of this snapshot
    declared_in: np.ndarray  # how many models of the snapshot declare this model as a parent
    declared_lookup: tuple[pd.DataFrame, pd.Series] | None = field(default=None, repr=False)

    @property
    def ids(self) -> np.ndarray:
        return self.rows.ids

    @property
    def key(self) -> np.ndarray:
        return self.rows.key

    @property
    def owner_key(self) -> np.ndarray:
        return self.rows.owner_key

    @property
    def brand_key(self) -> np.ndarray:
        return self.rows.brand_key

    @property
    def quantized(self) -> np.ndarray:
        return self.rows.quantized

    @property
    def downloads(self) -> np.ndarray:
        return self.rows.downloads

    @property
    def created(self) -> np.ndarray:
        return self.rows.created

    @property
    def specific(self) -> np.ndarray:
        return self.rows.specific

    @property
    def owner(self) -> np.ndarray:
        """The lower-cased owner of each id ("" for legacy ids without one)."""
        return self.rows.owner

    def keys_at(self, rows: np.ndarray) -> pa.Array:
        """The name keys of `rows`, in Arrow (large_string)."""
        return self.rows.key_values.take(pa.array(np.asarray(rows, dtype=np.int64), type=pa.int64()))

    def keys_among(self, rows: np.ndarray, among: np.ndarray) -> np.ndarray:
        """Whether the name key of each of `rows` is the name key of one of `among` (snapshot rows): compared as
        the snapshot's key codes (`KeyTable.row_keys`), where a hash table of 2M asked keys cost 0.6 s CPU at 3M
        models; in Arrow for the rows outside the snapshot."""
        rows, among = np.asarray(rows, dtype=np.int64), np.asarray(among, dtype=np.int64)
        codes = self.snapshot.key_table.row_keys
        if codes is None or (len(among) and among.max() >= len(codes)):
            return np.asarray(pc.is_in(self.keys_at(rows), value_set=self.keys_at(among)).to_numpy(False), dtype=bool)
        wanted = np.zeros(int(codes.max()) + 1 if len(codes) else 1, dtype=bool)
        wanted[codes[among]] = True
        out = np.zeros(len(rows), dtype=bool)
        inside = rows < len(codes)
        out[inside] = wanted[codes[rows[inside]]]
        if not inside.all():
            outside = self.keys_at(rows[~inside])
            out[~inside] = np.asarray(pc.is_in(outside, value_set=self.keys_at(among)).to_numpy(False), dtype=bool)
        return out

    def rows_of(self, ids: pd.Series) -> pd.Series:
        """The row of each id (the first row of an id listed twice; NaN for an id held by no row).

        A hash join in Arrow over every row's id (the snapshot's, then the external parents', which no
        snapshot row holds), hashing the asked ids (`id_rows.first_rows`): a pandas index of the snapshot's
        ids cost 1.2 s to build at 1M models."""
        found = first_rows(ids, self.rows.id_values)
        return pd.Series(np.where(found >= 0, found, np.nan), index=ids.index)

    def declared_rows(self, declared: pd.DataFrame) -> pd.Series:
        """`rows_of(declared["target"])`, looked up once for the declared-edge table that several rules of one
        inference read (the frame is kept with the answer, so a new table is never mistaken for it)."""
        if self.declared_lookup is None or self.declared_lookup[0] is not declared:
            self.declared_lookup = (declared, self.rows_of(declared["target"]))
        return self.declared_lookup[1]

    def asked_loose_keys(self, asked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`clean_loose_keys` of every row with every value not among `asked` (loose keys) made "": the
        snapshot's from its token sums (`ModelFeatures.asked_loose_keys`), then the external parents'."""
        loose, without_context = self.snapshot.asked_loose_keys(asked)
        first = len(self.snapshot)
        if len(self.rows) == first:
            return loose, without_context
        wanted = set(asked.tolist())
        outside = []
        for values in clean_loose_keys(self.rows.key[first:], self.rows.quantized[first:]):
            hit = np.fromiter((value in wanted for value in values.tolist()), dtype=bool, count=len(values))
            outside.append(np.where(hit, values, ""))
        return np.concatenate([loose, outside[0]]), np.concatenate([without_context, outside[1]])


@dataclass(frozen=True)
class _Sources:
    """The declared parents of one inference, lower-cased, with their number of declarations, and which of them
    each snapshot row's id is: one pass over the snapshot's ids, which the external parents and `declared_in`
    both read (a pass over 3M ids cost 0.5 s CPU)."""

    counts: np.ndarray  # declarations of each lower-cased parent id
    values: pa.Array  # those ids (string)
    at: np.ndarray  # position among them of each snapshot row's lower-cased id, -1 for none


def _sources(snapshot: ModelFeatures, declared_edges: pd.DataFrame | None) -> _Sources:
    counts = (
        declared_edges["source"].astype(str).str.lower().value_counts()
        if declared_edges is not None and not declared_edges.empty
        else pd.Series([], dtype=np.int64)
    )
    values = pa.array(counts.index.to_numpy(dtype=object), type=pa.string())
    # Looked up in Arrow (the ids are Arrow strings): pandas' map hashes every id as a Python object (1.2 s at 1M).
    at = pc.index_in(snapshot.ids_lower, value_set=values).fill_null(-1).to_numpy(zero_copy_only=False)
    return _Sources(counts.to_numpy(dtype=np.int64), values, np.asarray(at, dtype=np.int64))


def _declared_in(snapshot: ModelFeatures, rows: ModelFeatures, sources: _Sources) -> np.ndarray:
    """For each of `rows` (the snapshot's, then others), the number of declared edges naming it as the parent
    (ids compared case-insensitively)."""
    more = pc.index_in(rows.ids_lower[len(snapshot) :], value_set=sources.values).fill_null(-1)
    at = np.concatenate([sources.at, np.asarray(more.to_numpy(zero_copy_only=False), dtype=np.int64)])
    return np.r_[sources.counts, 0][at]  # -1 (no declaration) reads the 0 after the last


def _features(
    snapshot: ModelFeatures,
    rows: ModelFeatures,
    children: np.ndarray,
    declared_edges: pd.DataFrame | None,
    sources: _Sources | None = None,
) -> _Features:
    """The features of one inference over `rows` (the snapshot's, then the external parents'); the tag-based
    relation flags only for `children` (the rows to infer for), since only a child's own relation is read
    from them."""
    is_child = np.zeros(len(rows), dtype=bool)
    is_child[children] = True
    downloads = rows.downloads
    return _Features(
        snapshot=snapshot,
        rows=rows,
        adapter=rows.adapter_marker | (rows.adapter_tag & is_child),
        merge=rows.merge_marker | (rows.merge_tag & is_child),
        well_known=downloads >= max(np.quantile(downloads, 0.9), 1.0) if len(downloads) else np.zeros(0, bool),
        declared_in=_declared_in(snapshot, rows, sources or _sources(snapshot, declared_edges)),
    )


# --------------------------------------------------------------------------------------------------
# Evidence
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _KeyCodes:
    """The lookup key of each key code: the snapshot's keys (`KeyTable.uniques`, shared by every inference over
    the snapshot), then the keys that only an inference's external parents carry."""

    known: KeyIndex
    added: KeyIndex | None = None
    rows: np.ndarray | None = None  # the known code of each snapshot row's name key (`KeyTable.row_codes`)

    def __len__(self) -> int:
        return len(self.known) + (len(self.added) if self.added is not None else 0)

    def codes_of(self, keys: np.ndarray | pa.Array) -> np.ndarray:
        """The code of each key (-1 for a key no candidate carries)."""
        return self._or_added(self.known.codes_of(keys), keys)

    def codes_of_rows(self, rows: np.ndarray, keys: pa.Array) -> np.ndarray:
        """`codes_of(keys)` for `keys`, the name keys of `rows`: read from `self.rows` for snapshot rows."""
        if self.rows is None or (len(rows) and rows.max() >= len(self.rows)):
            return self.codes_of(keys)
        return self._or_added(self.rows[rows], keys)

    def _or_added(self, codes: np.ndarray, keys: np.ndarray | pa.Array) -> np.ndarray:
        """`codes` (the known codes of `keys`, -1 where none), with the keys no known code has looked up among
        the added ones."""
        if self.added is not None and len(codes):
            missing = np.flatnonzero(codes < 0)
            asked = keys[missing] if isinstance(keys, np.ndarray) else keys.take(pa.array(missing, type=pa.int64()))
            more = self.added.codes_of(asked)
            codes[missing] = np.where(more >= 0, more + len(self.known), -1)
        return codes

    def values(self) -> np.ndarray:
        """Every key, in code order (object)."""
        known = self.known.to_numpy()
        return known if self.added is None else np.concatenate([known, self.added.to_numpy()])


@dataclass(frozen=True)
class _Candidates:
    """For each lookup key, its best candidates (see `_candidates_by_key`), as arrays in the order of their key
    codes (ascending), so that children are joined to them by code rather than by string."""

    keys: _KeyCodes
    codes: np.ndarray  # key code of each candidate
    cand: np.ndarray  # its row
    rank: np.ndarray  # by downloads, within its key
    ambiguous: np.ndarray
    lead: np.ndarray  # downloads of the key's first over its second
    declared_leader: np.ndarray
    dominant: np.ndarray

    @property
    def frame(self) -> pd.DataFrame:
        """lookup, cand, rank, ambiguous, lead, declared_leader, dominant: one row per candidate."""
        return pd.DataFrame(
            {
                "lookup": self.keys.values()[self.codes] if len(self.codes) else pd.Series(dtype=object),
                "cand": self.cand,
                "rank": self.rank,
                "ambiguous": self.ambiguous,
                "lead": self.lead,
                "declared_leader": self.declared_leader,
                "dominant": self.dominant,
            }
        )

    @cached_property
    def _starts(self) -> np.ndarray:
        """Where each key code's candidates start, then their end: counted, where a binary search of each
        asked code among millions of candidates missed the cache (1 s CPU an inference at 3M models)."""
        # One count more than there are codes: an asked code of -1 reads code 0's, which exists even without keys.
        return np.r_[0, np.cumsum(np.bincount(self.codes, minlength=len(self.keys) + 1))]

    def pairs(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in `codes`, candidate position) of every candidate under each of `codes`: what an inner
        merge on the key yields, in its order (by position in `codes`, then candidate)."""
        known = np.maximum(codes, 0)
        start = self._starts[known]
        count = self._starts[known + 1] - start
        count[codes < 0] = 0
        left = np.repeat(np.arange(len(codes)), count)
        offset = np.arange(len(left)) - np.repeat(np.cumsum(count) - count, count)
        return left, np.repeat(start, count) + offset


def _candidates_by_key(
    f: _Features, rules: RuleConfidence, per_key: int = 3, keys: tuple[np.ndarray, ...] | None = None
) -> _Candidates:
    """For each name key (and owner and brand key, or the given `keys` of every model), the most-downloaded
    models without a format marker.

    Keys are factorised to integers first, so the ranking is a numpy sort rather than a string sort.
    """
    if keys is None:
        uniques, codes, cand = _ranked_pairs(f)
    else:
        table = key_table(keys, f.key, f.quantized, f.downloads)
        uniques, codes, cand = _KeyCodes(table.uniques), table.codes, table.cand
    if len(codes) == 0:
        rows, flags = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        return _Candidates(uniques, rows, rows, rows, flags, np.zeros(0), flags, flags)
    dl = f.downloads[cand]
    starts = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
    sizes = np.diff(np.r_[starts, len(codes)])
    group = np.repeat(np.arange(len(starts)), sizes)
    rank = np.arange(len(codes)) - starts[group]
    # A key is ambiguous when several repos carry it and none is 10× more used than the next: namesakes
    # ("model", "my_awesome_model", two uploads of one fine-tune), not one original and its copies.
    top = dl[starts]
    has_second = sizes >= 2
    second = np.where(has_second, dl[np.minimum(starts + 1, len(codes) - 1)], 0.0)
    ambiguous = (has_second & (top < 10 * second))[group]
    # Among namesakes, the original is the one the Hub's other models declare as their parent
    # (`meta-llama/Llama-2-13b-hf`, not its copy `NousResearch/Llama-2-13b-hf`; `runwayml/stable-diffusion-v1-5`,
    # outside the snapshot, not its re-uploads). The "leader" has at least one declaration and `ratio` times the
    # next namesake's; it is "dominant" with `support` declarations, enough to outrank more-downloaded copies.
    indeg = f.declared_in[cand]
    leader = np.zeros(len(codes), dtype=bool)
    # Only a key with a declared candidate has a leader: the sort runs over those keys' candidates alone
    # (few keys have one; a sort of every candidate was a quarter of this function's time at 300k models).
    declared_key = np.zeros(len(starts), dtype=bool)
    declared_key[group[indeg > 0]] = True
    among = np.flatnonzero(declared_key[group])
    if len(among):
        by_indeg = among[np.lexsort((rank[among], -indeg[among], codes[among]))]  # most declared first
        firsts = np.r_[0, np.flatnonzero(np.diff(codes[among])) + 1]
        first = by_indeg[firsts]
        second_in = np.where(sizes[group[first]] >= 2, indeg[by_indeg[np.minimum(firsts + 1, len(among) - 1)]], 0)
        leads = indeg[first] >= np.maximum(1, rules.declared_parent_ratio * second_in)
        leader[first[leads]] = True
    dominant = leader & (indeg >= rules.declared_parent_support)
    keep = (rank < per_key) | dominant
    return _Candidates(
        keys=uniques,
        codes=codes[keep],
        cand=cand[keep],
        rank=rank[keep],
        ambiguous=ambiguous[keep],
        lead=(top / np.maximum(second, 1.0))[group][keep],
        declared_leader=leader[keep],
        dominant=dominant[keep],
    )


def _ranked_pairs(f: _Features) -> tuple[_KeyCodes, np.ndarray, np.ndarray]:
    """(uniques, codes, cand) of `key_table` over f's name, owner and brand keys, from the snapshot's own table
    (built once, see `ModelFeatures.key_table`) plus the external parents' pairs.

    An external parent has no downloads and a row after every snapshot row, so in each key's ranking (downloads
    most first, then row) it comes after the snapshot's rows: a stable sort by key code of the snapshot's
    ranked pairs followed by the external ones (ranked by key, then row) is the ranking over all rows. A
    snapshot whose downloads could rank below an external's (negative counts) takes the general path."""
    first = len(f.snapshot)
    table = f.snapshot.key_table
    outside = np.arange(first, len(f.ids))
    outside = outside[~f.quantized[outside] & (f.key[outside] != "")]
    if len(outside) == 0:
        return _KeyCodes(table.uniques, rows=table.row_codes), table.codes, table.cand
    if (f.downloads[outside] != 0).any() or (f.snapshot.downloads < 0).any():
        general = key_table((f.key, f.owner_key, f.brand_key), f.key, f.quantized, f.downloads)
        return _KeyCodes(general.uniques), general.codes, general.cand
    lookup = np.concatenate([k[outside] for k in (f.key, f.owner_key, f.brand_key)])
    cand = np.tile(outside, 3)
    used = lookup != ""
    lookup, cand = lookup[used], cand[used]
    codes = table.uniques.codes_of(lookup)
    new = codes < 0
    new_codes, new_uniques = pd.factorize(lookup[new])
    codes[new] = len(table.uniques) + new_codes
    rows = np.int64(len(f.ids))
    pairs = sorted_unique(codes.astype(np.int64) * rows + cand.astype(np.int64))  # by key, then row
    # The snapshot's index stays as it is: the new keys go beside it.
    added = KeyIndex(string_values(np.asarray(new_uniques, dtype=object))) if new.any() else None
    uniques = _KeyCodes(table.uniques, added, table.row_codes)
    # Merged in after each key's snapshot rows: an insertion into the sorted snapshot pairs, where a stable
    # sort of all of them moved millions of pairs (0.5 s CPU at 3M models) to place a few thousand.
    at = np.searchsorted(table.codes, pairs // rows, side="right")
    return uniques, np.insert(table.codes, at, pairs // rows), np.insert(table.cand, at, pairs % rows)


def _older_or_unknown(f: _Features, parent: np.ndarray, child: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(allowed, dates_known): a parent must not be younger than its child; unknown dates pass."""
    pc, cc = f.created[parent], f.created[child]
    known = (pc >= 0) & (cc >= 0)
    return ~known | (pc <= cc), known


def _name_matches(
    f: _Features, children: np.ndarray, cands: _Candidates, keys: np.ndarray | None = None
) -> pd.DataFrame:
    """Children whose key (or the given `keys` of every model) equals a cleaner model's key or owner key:
    child, parent, known (dates), ambiguous, lead."""
    # Joined on key codes (the children's kept with the key table, or looked up once in the candidates' key
    # index), not on strings: a string merge hashes every candidate key again (1 s per call at 1M models).
    children = np.asarray(children, dtype=np.int64)
    if keys is None:
        codes = cands.keys.codes_of_rows(children, f.keys_at(children))
    else:
        codes = cands.keys.codes_of(keys[children])
    left, right = cands.pairs(codes)
    pairs = pd.DataFrame(
        {
            "child": children[left],
            "cand": cands.cand[right],
            "rank": cands.rank[right],
            "ambiguous": cands.ambiguous[right],
            "lead": cands.lead[right],
            "declared_leader": cands.declared_leader[right],
            "dominant": cands.dominant[right],
        }
    )
    pairs = pairs[pairs["child"] != pairs["cand"]]
    child, cand = pairs["child"].to_numpy(), pairs["cand"].to_numpy()
    allowed, known = _older_or_unknown(f, cand, child)
    # Two clean same-name repos are usually namesakes ("test", "results", "phi-2-finetuned"); one is a
    # re-upload of the other only when the original is far more used.
    clean_child = ~f.quantized[child]
    reupload = (f.downloads[cand] >= 10 * np.maximum(f.downloads[child], 1)) & f.well_known[cand] & f.specific[child]
    allowed &= ~clean_child | reupload
    # An adapter or a re-upload with the same name as its parent keeps the parent's owner only when renamed.
    allowed &= f.ids[cand] != f.ids[child]
    # A quantiser copies the original's name, so among namesakes the one the Hub's models declare as a parent
    # more than any other is the one quantised (a prefix match does not get this lift: see _prefix_matches).
    pairs = pairs.assign(known=known, ambiguous=pairs["ambiguous"] & ~pairs["declared_leader"])[allowed]
    pairs = pairs.assign(dl=f.downloads[pairs["cand"].to_numpy()])
    pairs = pairs.sort_values(["child", "dominant", "rank"], ascending=[True, False, True]).drop_duplicates("child")
    # A clean child needs an unambiguous original; a quantised one keeps an ambiguous match, with less trust.
    pairs = pairs[~(pairs["ambiguous"].to_numpy(dtype=bool) & ~f.quantized[pairs["child"].to_numpy()])]
    return pairs.rename(columns={"cand": "parent"})[["child", "parent", "known", "ambiguous", "lead"]]


def _sibling_votes(f: _Features, children: np.ndarray, declared: pd.DataFrame) -> pd.DataFrame:
    """Parents declared by other models with the same key: child, parent_id, votes, share."""
    if declared.empty:
        return pd.DataFrame(columns=["child", "parent_id", "votes", "share"])
    # Siblings of a quantised repo quantise one parent; same-name clean repos are often unrelated namesakes.
    children = children[f.quantized[children] | f.specific[children]]
    rows = f.declared_rows(declared)
    known = rows.notna().to_numpy()
    sib_rows = rows[known].to_numpy(dtype=np.int64)
    sib_keys = f.key[sib_rows]
    # Only the children's keys are counted (each key's count is its own): a calibration fold asks about
    # a few thousand children, not about every declaration of the snapshot. Compared as key codes, and only
    # the asked declarations made a frame (of Arrow strings: 0.3 s for all of them at 1M models).
    asked = f.keys_among(sib_rows, children) & (sib_keys != "")
    votes = pd.DataFrame({"lookup": sib_keys[asked], "parent_id": declared["source"].to_numpy()[known][asked]})
    if votes.empty:
        return pd.DataFrame(columns=["child", "parent_id", "votes", "share"])
    counts = votes.groupby(["lookup", "parent_id"], sort=False).size().rename("votes").reset_index()
    totals = counts.groupby("lookup")["votes"].transform("sum")
    counts["share"] = counts["votes"] / totals
    counts = counts.sort_values(["lookup", "votes", "parent_id"], ascending=[True, False, True])
    best = counts.drop_duplicates("lookup").reset_index(drop=True)
    # What an inner merge of the children on their key yields (one row per child, in their order), by looking
    # the children's keys up among the few voted keys rather than factorising both sides.
    voted = pa.array(best["lookup"].to_numpy(dtype=object), type=pa.large_string())  # distinct
    at = np.asarray(pc.index_in(f.keys_at(children), value_set=voted).fill_null(-1).to_numpy(zero_copy_only=False))
    found = at >= 0
    out = best.take(at[found]).reset_index(drop=True).assign(child=children[found])
    out = out[out["parent_id"].str.lower() != pd.Series(f.ids[out["child"].to_numpy()]).str.lower().to_numpy()]
    return out[["child", "parent_id", "votes", "share"]]


def _prefix_matches(f: _Features, children: np.ndarray, cands: _Candidates, max_tokens: int = 8) -> pd.DataFrame:
    """The longest proper token prefix of a child's key that is some model's key: child, parent, remainder,
    prefix."""
    best_of = _prefix_table(cands)
    children = np.asarray(children, dtype=np.int64)
    # Children sharing a key share the answer (re-uploads, one quantiser's formats), so each distinct key is
    # searched once; unless the first model met on the way down is the child itself, which the search skips:
    # then the child gets its own search.
    # (What pd.factorize says, hashed in Arrow: codes in order of first appearance.)
    encoded = pc.dictionary_encode(f.keys_at(children))
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    keys = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    met, matched, remainders, prefixes = _longest_prefixes(keys, best_of, max_tokens)
    parent = np.where(matched[codes], met[codes], -1)
    remainder, prefix = remainders[codes], prefixes[codes]
    sibling_tail: dict[str, bool] = {}
    for at in np.flatnonzero(met[codes] == children).tolist():
        answer = _longest_prefix(keys[codes[at]], best_of, int(children[at]), max_tokens, sibling_tail)
        parent[at], remainder[at], prefix[at] = answer[1] if answer[1] is not None else (-1, None, None)
    found = np.flatnonzero(parent >= 0)
    if len(found) == 0:
        return pd.DataFrame([], columns=["child", "parent", "remainder", "prefix"]).assign(known=pd.Series(dtype=bool))
    out = pd.DataFrame(
        {"child": children[found], "parent": parent[found], "remainder": remainder[found], "prefix": prefix[found]}
    )
    allowed, known = _older_or_unknown(f, out["parent"].to_numpy(), out["child"].to_numpy())
    # A base model is more used than its derivatives; a less-downloaded prefix is usually a namesake.
    allowed &= f.downloads[out["parent"].to_numpy()] >= f.downloads[out["child"].to_numpy()]
    return out.assign(known=known)[allowed]


_NOT_MET = -2  # no prefix of the key names a model (-1: a prefix names several unrelated repos)


def _longest_prefixes(
    keys: np.ndarray, best_of: _PrefixTable, max_tokens: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`_longest_prefix` of each of `keys` (distinct) for no particular child: (the first model met, from the
    longest prefix down (`_NOT_MET`: none), whether it is a match, the remainder and the prefix of a match).

    The prefixes are cut in Arrow one token count at a time, longest first, and only for the keys that met
    nothing yet (a loop over the keys in Python, cutting and looking up each prefix, took 0.66 s a call at 300k
    models where this takes 0.44 s)."""
    met = np.full(len(keys), _NOT_MET, dtype=np.int64)
    cut_at = np.zeros(len(keys), dtype=np.int64)
    prefix_of = np.full(len(keys), None, dtype=object)
    if len(keys) == 0:
        return met, np.zeros(0, dtype=bool), prefix_of, prefix_of.copy()
    tokens = pc.split_pattern(pa.array(keys, type=pa.string()), "-")
    first_cut = np.minimum(pc.list_value_length(tokens).to_numpy(zero_copy_only=False) - 1, max_tokens)
    searching = first_cut >= 1
    for cut in range(max_tokens, 0, -1):
        at = np.flatnonzero(searching & (first_cut >= cut))
        if len(at) == 0:
            continue
        prefix = pc.binary_join(pc.list_slice(tokens.take(pa.array(at)), 0, cut), "-")
        # Prefixes only shorten on the way down: a key whose prefix is under 3 characters is done.
        long_enough = pc.greater_equal(pc.utf8_length(prefix), 3)
        searching[at[~long_enough.to_numpy(zero_copy_only=False)]] = False
        at = at[long_enough.to_numpy(zero_copy_only=False)]
        # Many keys share a prefix (`llama-3-8b-…`): each distinct one is looked up once.
        encoded = pc.dictionary_encode(prefix.filter(long_enough))
        distinct = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
        which = encoded.indices.to_numpy(zero_copy_only=False)
        found = best_of.rows_of(encoded.dictionary)[which]
        hit = found != _NOT_MET
        met[at[hit]], cut_at[at[hit]] = found[hit], cut
        prefix_of[at[hit]] = distinct[which[hit]]
        searching[at[hit]] = False
    matched = np.flatnonzero(met >= 0)
    remainder = np.array(
        [k[len(p) + 1 :] for k, p in zip(keys[matched].tolist(), prefix_of[matched].tolist())], dtype=object
    )
    codes, tails = pd.factorize(remainder)
    sibling = _names_siblings(np.asarray(tails, dtype=object))[codes]
    family = cut_at[matched] == 1
    family[family] = [not any(c.isdigit() for c in p) for p in prefix_of[matched[family]].tolist()]
    is_match = np.zeros(len(keys), dtype=bool)
    is_match[matched[~sibling & ~family]] = True
    remainder_of = np.full(len(keys), None, dtype=object)
    remainder_of[matched] = remainder
    remainder_of[~is_match] = None
    prefix_of[~is_match] = None
    return met, is_match, remainder_of, prefix_of


@dataclass(frozen=True)
class _PrefixTable:
    """Each lookup key of the candidates → its first candidate, or -1 when the key is ambiguous (see
    `_prefix_table`), looked up by key code in the candidates' key index (a `KeyIndex`: the asked prefixes are
    hashed, not the snapshot's keys), so no dict of the snapshot's millions of keys is built."""

    keys: _KeyCodes
    best: np.ndarray  # by key code: the first candidate, -1 (ambiguous), or _NOT_MET (a key no candidate carries)

    def get(self, key: str) -> int | None:
        found = int(self.rows_of(np.array([key], dtype=object))[0])
        return None if found == _NOT_MET else found

    def rows_of(self, keys: np.ndarray | pa.Array) -> np.ndarray:
        """`get` of each key, with `_NOT_MET` for a key no model carries."""
        codes = self.keys.codes_of(keys)
        found = np.full(len(codes), _NOT_MET, dtype=np.int64)
        found[codes >= 0] = self.best[codes[codes >= 0]]
        return found


def _prefix_table(cands: _Candidates) -> _PrefixTable:
    """Each lookup key of `cands` (`_candidates_by_key(f, rules)`) → its first candidate, or -1 when the key
    is ambiguous: the first of each key's candidates, as ranked over the snapshot's rows and the external
    parents' (which have no downloads, so never rank first nor make a key ambiguous where a snapshot row
    carries it)."""
    firsts = np.flatnonzero(np.r_[True, np.diff(cands.codes) != 0]) if len(cands.codes) else np.zeros(0, np.int64)
    best = np.full(len(cands.keys), _NOT_MET, dtype=np.int64)
    best[cands.codes[firsts]] = np.where(cands.ambiguous[firsts], -1, cands.cand[firsts])
    return _PrefixTable(cands.keys, best)


def _longest_prefix(
    key: str, best_of: _PrefixTable, child: int | None, max_tokens: int, sibling_tail: dict[str, bool]
) -> tuple[int | None, tuple[int, str, str] | None]:
    """(the first model met, from the longest prefix down, other than `child`; the match: parent, remainder,
    prefix, or None) for one key; see _prefix_matches. `_longest_prefixes` answers every distinct key at once;
    this one-key search serves the few children it meets first, which must skip themselves."""
    if "-" not in key:
        return None, None
    cut = min(key.count("-"), max_tokens)
    prefix = key[: len(key) - len(key.split("-", cut)[-1]) - 1]  # the first `cut` tokens
    while len(prefix) >= 3:
        cand = best_of.get(prefix)
        if cand is not None and cand != child:
            if cand < 0:
                return cand, None  # the prefix names several unrelated repos
            remainder = key[len(prefix) + 1 :]
            if _names_sibling(remainder, sibling_tail):
                return cand, None  # the remainder names another size or version: a sibling, not a child
            if cut == 1 and not any(ch.isdigit() for ch in prefix):
                return cand, None  # a bare family word ("llama", "flux") names no particular model
            return cand, (cand, remainder, prefix)
        cut -= 1
        if cut == 0:
            break
        prefix = prefix.rpartition("-")[0]
    return None, None


def _names_sibling(remainder: str, sibling_tail: dict[str, bool]) -> bool:
    """Whether the remainder after a prefix names another size or version (a sibling, not a child);
    remembered in `sibling_tail` (many children share one: `-instruct`, `-chat`)."""
    sibling = sibling_tail.get(remainder)
    if sibling is None:
        tokens = remainder.split("-")
        sibling = bool(size_tokens(tokens)) or is_version_token(tokens[0]) or tokens[0].isdigit()
        sibling_tail[remainder] = sibling
    return sibling


def _names_siblings(tails: np.ndarray) -> np.ndarray:
    """`_names_sibling` of each of `tails` (strings), testing each distinct token once: tails share their
    tokens (`instruct`, `7b`, `v2`), and a test of every token of every tail in Python was a tenth of an
    inference."""
    if len(tails) == 0:
        return np.zeros(0, dtype=bool)
    tokens = pc.split_pattern(pa.array(tails, type=pa.string()), "-")  # as str.split("-"): never an empty list
    starts = np.asarray(tokens.offsets.to_numpy(zero_copy_only=False)[:-1], dtype=np.int64)
    encoded = pc.dictionary_encode(tokens.flatten())
    distinct = encoded.dictionary.to_pylist()
    size = np.array([is_size_token(t) for t in distinct], dtype=bool)
    leading = np.array([is_version_token(t) or t.isdigit() for t in distinct], dtype=bool)
    code = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.logical_or.reduceat(size[code], starts) | leading[code[starts]]


def _prefix_votes(f: _Features, declared: pd.DataFrame, prefixes: set[str], max_tokens: int = 8) -> pd.DataFrame:
    """What the visible models whose key extends each prefix (`llama-3-8b-…` for `llama-3-8b`) declare:
    prefix, parent_id (the most declared parent), votes (declarations of the models under the prefix),
    share (of them naming that parent). Declared ids compare case-insensitively."""
    columns = ["prefix", "parent_id", "votes", "share"]
    if declared.empty or not prefixes:
        return pd.DataFrame(columns=columns)
    rows = f.declared_rows(declared)
    known = rows.notna().to_numpy()
    sources = declared["source"].astype(str).to_numpy()[known]
    asked = pa.array(sorted(prefixes), type=pa.large_string())
    # Each of the first `max_tokens` proper token prefixes of every key, one length at a time in Arrow (a loop
    # over the declarations split 300k keys in Python, 1.5 s at 1M models); then in the order that loop
    # found them, declaration by declaration and shortest prefix first.
    tokens = pc.split_pattern(f.keys_at(rows[known].to_numpy(dtype=np.int64)), "-")
    n_tokens = np.array(pc.list_value_length(tokens).to_numpy(zero_copy_only=False), dtype=np.int64)
    # A prefix starts with its key's first token: a key whose first token starts no asked prefix has none of
    # them, and is not cut at all (most declarations, at a third of this function's time).
    asked_tokens = pc.split_pattern(asked, "-")
    firsts = pc.list_element(asked_tokens, 0)
    n_tokens[~pc.is_in(pc.list_element(tokens, 0), value_set=firsts).to_numpy(zero_copy_only=False)] = 0
    # Nor is a key cut where no asked prefix has that many tokens.
    lengths = set(pc.list_value_length(asked_tokens).to_pylist())
    at, found = [], []
    for cut in range(1, max_tokens + 1):
        longer = np.flatnonzero(n_tokens > cut)
        if len(longer) == 0:
            break
        if cut not in lengths:
            continue
        prefix = pc.binary_join(pc.list_slice(tokens.take(longer), 0, cut), pa.scalar("-", type=pa.large_string()))
        hit = pc.is_in(prefix, value_set=asked).to_numpy(zero_copy_only=False).astype(bool)
        at.append(longer[hit])
        found.append(prefix.filter(pa.array(hit)).to_numpy(zero_copy_only=False))
    where = np.concatenate(at) if at else np.zeros(0, dtype=np.int64)
    if len(where) == 0:
        return pd.DataFrame(columns=columns)
    order = np.argsort(where, kind="stable")  # shortest prefix first within a declaration, as found
    votes = pd.DataFrame({"prefix": np.concatenate(found).astype(object)[order], "parent_id": sources[where[order]]})
    votes["lower"] = votes["parent_id"].str.lower()
    counts = votes.groupby(["prefix", "lower"], sort=False).agg(parent_id=("parent_id", "first"), n=("lower", "size"))
    counts = counts.reset_index()
    counts["votes"] = counts.groupby("prefix")["n"].transform("sum")
    counts["share"] = counts["n"] / counts["votes"]
    counts = counts.sort_values(["prefix", "n", "lower"], ascending=[True, False, True])
    return counts.drop_duplicates("prefix")[columns].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------------------------------


def _external_nodes(
    snapshot: ModelFeatures, declared_edges: pd.DataFrame, sources: _Sources | None = None
) -> pd.DataFrame:
    """Rows for declared parents outside the snapshot: id, author, name; no downloads, no date, no tags."""
    unique = declared_edges["source"].astype(str).unique().tolist()
    lowered = pa.array([x.lower() for x in unique], type=pa.string())
    # Whether a snapshot id is each parent, from the pass over the snapshot's ids that `_sources` made.
    known = sources or _sources(snapshot, declared_edges)
    held = np.zeros(len(known.values) + 1, dtype=bool)  # the last one for -1: no parent
    held[known.at] = True
    held[-1] = False
    at = np.asarray(pc.index_in(lowered, value_set=known.values).fill_null(-1).to_numpy(zero_copy_only=False))
    inside = held[at]
    if (at < 0).any():
        # A parent whose pandas lower-casing differs from Python's (outside ASCII): looked up among the ids.
        missing = np.flatnonzero(at < 0)
        ids_lower = snapshot.ids_lower
        inside[missing] = pc.is_in(lowered.take(pa.array(missing)), value_set=ids_lower).to_numpy(False)
    outside = pd.Series([x for x, found in zip(unique, inside.tolist()) if not found], dtype=object)
    has_owner = outside.str.contains("/", regex=False)
    return pd.DataFrame(
        {
            "id": outside,
            "author": outside.str.split("/").str[0].where(has_owner, None),
            "name": outside.str.split("/").str[-1],
            "downloads": np.zeros(len(outside), dtype=np.int64),
            "created_at": pd.Series(pd.NaT, index=outside.index, dtype="datetime64[us, UTC]"),
            "tags": pd.Series([[] for _ in range(len(outside))], dtype=object),
        }
    )


def _relation(f: _Features, child: np.ndarray) -> np.ndarray:
    rel = np.full(len(child), "finetune", dtype=object)
    rel[f.merge[child]] = "merge"
    rel[f.adapter[child]] = "adapter"
    rel[f.quantized[child]] = "quantized"
    return rel


def _proposals(
    child: np.ndarray, parent_id: np.ndarray, conf: np.ndarray, evidence: pd.Series, rule: str | np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "child": child,
            "source": parent_id,
            "confidence": np.round(np.clip(conf, 0.0, 1.0), 4),
            "evidence": evidence.to_numpy(dtype=object),
            "rule": rule,
        }
    )


def _loose_name_matches(f: _Features, children: np.ndarray, rules: RuleConfidence) -> pd.DataFrame:
    """Quantised children whose loose key (see `loose_key`) equals a clean model's; indexed by child."""
    if len(children) == 0:
        return pd.DataFrame(columns=["parent", "known", "ambiguous", "lead"])
    # Not the brand key: `SciPhi/SciPhi-Mistral-7B-32k` loosely becomes `7b-mistral`, any Mistral-7B's.
    loose = np.full(len(f.ids), "", dtype=object)
    loose[children] = loose_key(pd.Series(f.key[children])).to_numpy(dtype=object)
    # Only the keys the children look up are ranked ("" drops the others): a key's candidates depend on the
    # rows carrying that key alone, and ranking every clean model's loose keys took 0.8 s per inference at 1M.
    only_asked = f.asked_loose_keys(pd.unique(loose[children]))
    cands = _candidates_by_key(f, rules, keys=only_asked)
    return _name_matches(f, children, cands, keys=loose).set_index("child")


def _single_declared_parent(f: _Features, declared: pd.DataFrame) -> pd.Series:
    """The declared parent id of each model row that declares exactly one (index: row)."""
    rows = declared.assign(row=f.declared_rows(declared)).dropna(subset=["row"])
    single = rows.groupby("row")["source"].transform("size") == 1
    rows = rows[single]
    return pd.Series(rows["source"].to_numpy(dtype=object), index=rows["row"].to_numpy(dtype=np.int64))


def _copies_card(tags: RowTags, child: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Whether each child carries every `dataset:` tag of its parent (which has at least one): the sign that
    the child's card metadata was copied from the parent's, whose `base_model` line names the parent's own
    parent. `bartowski/dolphin-2.9.3-mistral-7B-32k-GGUF` carries the 8 datasets of
    `cognitivecomputations/dolphin-2.9.3-mistral-7B-32k` and declares its base, `mistralai/Mistral-7B-v0.3`."""

    def datasets(value: Any) -> frozenset[str]:
        if value is None or isinstance(value, (float, str)):
            return frozenset()
        return frozenset(t for t in value if isinstance(t, str) and t.startswith("dataset:"))

    children, parents = tags.take(child), tags.take(parent)
    out = np.zeros(len(child), dtype=bool)
    for i, (c, p) in enumerate(zip(children.tolist(), parents.tolist())):
        theirs = datasets(p)
        out[i] = bool(theirs) and theirs <= datasets(c)
    return out


def _owner_habits(
    f: _Features,
    cands: _Candidates,
    declared: pd.DataFrame,
    named: pd.DataFrame,
    rules: RuleConfidence,
    tags: RowTags | None = None,
) -> pd.DataFrame:
    """Quantisers that, as a habit, declare the *base* of the repo they quantise: `NousResearch/Hermes-3-
    Llama-3.1-8B-GGUF` declares `meta-llama/Meta-Llama-3.1-8B`, not `NousResearch/Hermes-3-Llama-3.1-8B` whose
    name it copies. The habit is learned per owner from this snapshot's visible declarations: among an
    owner's declared quantised repos whose name matches a repo P that declares one parent G, the share that
    declare G rather than P.

    An owner without that habit overall may still have it for the quantisations whose card metadata is
    copied from P's (they carry all of P's dataset tags, see `_copies_card`): bartowski declares G in 10 of 28
    such visible cases on hf-top-downloads-2024-09, but in 6 of the 8 that copy P's datasets. That narrower
    habit (`copied_card_habit_share`, same support) applies to such children only (kind "copied").

    And an owner quantising its *own* fine-tune P with P's card copied (`NousResearch/Hermes-2-Pro-Mistral-7B-
    GGUF`, `ibm-granite/granite-20b-code-instruct-8k-GGUF`) declares G as a rule, whoever the owner: 10 of the
    11 such visible cases on hf-top-downloads-2024-09, from 6 owners. That habit is learned over all owners
    (kind "own card"; same support and share as "copied"), for owners with no habit of their own.

    Returns, for the name-matched children (`named`: child, parent, ambiguous) of owners with such a habit,
    child, parent_id (G), via (P's id), owner, support, share, kind."""
    columns = ["child", "parent_id", "via", "owner", "support", "share", "kind"]
    if declared.empty or named.empty:
        return pd.DataFrame(columns=columns)
    base_of = _single_declared_parent(f, declared)
    owner = f.owner
    learn = f.declared_rows(declared).dropna().astype(np.int64).unique()
    learn = learn[f.quantized[learn]]
    seen = _name_matches(f, learn, cands)
    seen = seen[~seen["ambiguous"].to_numpy(dtype=bool)]
    seen = seen.assign(base=base_of.reindex(seen["parent"].to_numpy()).to_numpy()).dropna(subset=["base"])
    if seen.empty:
        return pd.DataFrame(columns=columns)
    # Whether the child declares P, and whether it declares G (ids compared case-insensitively).
    child_ids = f.ids[seen["child"].to_numpy()]
    said = ascii_pair_keys(declared["target"], declared["source"])
    to_p = ascii_pair_keys(child_ids, f.ids[seen["parent"].to_numpy()])
    to_g = ascii_pair_keys(child_ids, seen["base"].to_numpy(dtype=object))
    if said is not None and to_p is not None and to_g is not None:
        seen = seen.assign(says_p=among(to_p, said), says_g=among(to_g, said))
    else:
        seen = _says_in_python(seen, child_ids, f.ids[seen["parent"].to_numpy()], declared)
    seen = seen[seen["says_p"] | seen["says_g"]]
    seen = seen.assign(owner=owner[seen["child"].to_numpy()])
    seen = seen[seen["owner"] != ""]
    tags = tags if tags is not None else RowTags(np.full(len(f.ids), None, dtype=object))
    seen = seen.assign(copied=_copies_card(tags, seen["child"].to_numpy(), seen["parent"].to_numpy()))
    habits = seen.groupby("owner").agg(support=("says_g", "size"), share=("says_g", "mean")).reset_index()
    habits = habits[(habits["support"] >= rules.owner_habit_support) & (habits["share"] >= rules.owner_habit_share)]
    copied = seen[seen["copied"]].groupby("owner").agg(support=("says_g", "size"), share=("says_g", "mean"))
    copied = copied.reset_index()
    copied = copied[
        (copied["support"] >= rules.owner_habit_support)
        & (copied["share"] >= rules.copied_card_habit_share)
        & ~copied["owner"].isin(habits["owner"])
    ]
    own_card = seen[
        seen["copied"].to_numpy(dtype=bool) & (owner[seen["parent"].to_numpy()] == seen["owner"].to_numpy())
    ]
    own_support, own_share = len(own_card), float(own_card["says_g"].mean()) if len(own_card) else 0.0
    own_habit = own_support >= rules.owner_habit_support and own_share >= rules.copied_card_habit_share
    if habits.empty and copied.empty and not own_habit:
        return pd.DataFrame(columns=columns)
    asked = named[~named["ambiguous"].to_numpy(dtype=bool)]
    asked = asked[f.quantized[asked["child"].to_numpy()]]
    asked = asked.assign(
        parent_id=base_of.reindex(asked["parent"].to_numpy()).to_numpy(),
        via=f.ids[asked["parent"].to_numpy()],
        owner=owner[asked["child"].to_numpy()],
    ).dropna(subset=["parent_id"])
    asked = asked.assign(copied=_copies_card(tags, asked["child"].to_numpy(), asked["parent"].to_numpy()))
    by_owner = asked.merge(habits, on="owner", how="inner").assign(kind="owner")
    by_copy = asked[asked["copied"]].merge(copied, on="owner", how="inner").assign(kind="copied")
    parts = [by_owner, by_copy]
    if own_habit:
        mine = asked[asked["copied"].to_numpy(dtype=bool) & (owner[asked["parent"].to_numpy()] == asked["owner"])]
        mine = mine[~mine["child"].isin(pd.concat([by_owner["child"], by_copy["child"]]))]
        parts.append(mine.assign(support=own_support, share=own_share, kind="own card"))
    out = pd.concat(parts, ignore_index=True)
    out = out[
        out["parent_id"].astype(str).str.lower() != pd.Series(f.ids[out["child"].to_numpy()]).str.lower().to_numpy()
    ]
    return out[columns]


def _says_in_python(
    seen: pd.DataFrame, child_ids: np.ndarray, p_ids: np.ndarray, declared: pd.DataFrame
) -> pd.DataFrame:
    """`seen` with says_p and says_g, by merges on ids lower-cased in Python (ids outside ASCII)."""
    said = pd.DataFrame(
        {"target": declared["target"].astype(str).str.lower(), "source": declared["source"].astype(str).str.lower()}
    ).drop_duplicates()
    said["says"] = True
    seen = seen.assign(
        target=pd.Series(child_ids).str.lower().to_numpy(),
        p=pd.Series(p_ids).str.lower().to_numpy(),
        g=seen["base"].astype(str).str.lower().to_numpy(),
    )
    says_p = seen.merge(said.rename(columns={"source": "p"}), on=["target", "p"], how="left")["says"].fillna(False)
    says_g = seen.merge(said.rename(columns={"source": "g"}), on=["target", "g"], how="left")["says"].fillna(False)
    return seen.assign(says_p=says_p.to_numpy(dtype=bool), says_g=says_g.to_numpy(dtype=bool))


_HABIT_RULES = {"owner": "owner habit", "copied": "copied card habit", "own card": "own card habit"}
_HABIT_WORDS = {
    "owner": "' that name a repo declare that repo's parent",
    "copied": "' that name a repo and copy its dataset tags (as this one does) declare that repo's parent",
    "own card": "' of their own repo, with its dataset tags (as this one), declare that repo's parent",
}


def _score_owner_habits(f: _Features, habits: pd.DataFrame, rules: RuleConfidence) -> pd.DataFrame:
    """The base of the repo a quantised child names, for owners whose quantisations declare bases."""
    child = habits["child"].to_numpy(dtype=np.int64)
    share = habits["share"].to_numpy(dtype=float)
    support = habits["support"].to_numpy(dtype=float)
    conf = rules.quantized_name_match * share * np.minimum(1.0, 0.75 + 0.125 * (support - 1))
    evidence = (
        "name key '"
        + pd.Series(f.key[child])
        + "' matches "
        + habits["via"].astype(str).reset_index(drop=True)
        + ", which declares "
        + habits["parent_id"].astype(str).reset_index(drop=True)
        + "; "
        + pd.Series((share * 100).round().astype(int).astype(str))
        + " % of the "
        + habits["support"].astype(int).astype(str).reset_index(drop=True)
        + " declared quantisations by '"
        + habits["owner"].astype(str).where(habits["kind"] != "own card", "any owner").reset_index(drop=True)
        + habits["kind"].map(_HABIT_WORDS).reset_index(drop=True)
    )
    rule = habits["kind"].map(_HABIT_RULES).to_numpy(dtype=object)
    return _proposals(child, habits["parent_id"].to_numpy(dtype=object), conf, evidence, rule)


def _declares_elsewhere(f: _Features, declared: pd.DataFrame) -> np.ndarray:
    """Whether each model declares a parent under another owner (a fine-tune of someone else's model)."""
    out = np.zeros(len(f.ids), dtype=bool)
    if declared.empty:
        return out
    rows = f.declared_rows(declared)
    known = rows.notna().to_numpy()
    rows = rows[known].to_numpy(dtype=np.int64)
    sources = declared["source"].astype(str).str.lower().to_numpy()[known]
    # Cut in Arrow (as `s.partition("/")[0] if "/" in s else ""`): a loop in Python cost 0.4 s at 1M models.
    values = pa.array(sources, type=pa.large_string())
    first = pc.list_element(pc.split_pattern(values, "/", max_splits=1), 0)
    owners = pc.if_else(pc.match_substring(values, "/"), first, pa.scalar("", type=pa.large_string()))
    source_owner = np.asarray(owners.to_numpy(zero_copy_only=False), dtype=object)
    out[rows[source_owner != f.owner[rows]]] = True
    return out


def _own_exports(f: _Features, children: np.ndarray, declared: pd.DataFrame) -> pd.DataFrame:
    """Quantised children whose own owner holds a clean model with the same name key: `Qwen/Qwen2-7B-
    Instruct-GGUF` of `Qwen/Qwen2-7B-Instruct`, `TheBloke`'s or `unsloth`'s namesakes notwithstanding. An
    owner that exports its own model quantises that repo, not a same-named copy elsewhere; among several of
    its own namesakes, the most downloaded. Returns child, parent, known (dates), indexed by nothing.

    Not when that model is a fine-tune of another owner's model (`NousResearch/Hermes-3-Llama-3.1-8B`,
    `cognitivecomputations/dolphin-…`): fine-tuners' own GGUFs declare the upstream base about as often as
    their own model (on hf-top-downloads, 5 of 9), so such children are left to the other rules."""
    columns = ["child", "parent", "known"]
    children = children[f.quantized[children] & (f.owner[children] != "")]
    clean = np.flatnonzero(~f.quantized & (f.key != "") & (f.owner != "") & ~_declares_elsewhere(f, declared))
    # Everything below is per name key: only the children's keys matter (few, in a calibration fold).
    clean = clean[f.keys_among(clean, children)]
    if len(children) == 0 or len(clean) == 0:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(columns, (np.int64, np.int64, bool))})
    own = pd.DataFrame({"owner": f.owner[clean], "lookup": f.key[clean], "parent": clean, "dl": f.downloads[clean]})
    own = own.sort_values(["owner", "lookup", "dl", "parent"], ascending=[True, True, False, True])
    own = own.drop_duplicates(["owner", "lookup"])
    # A copy of another owner's more used or more declared model (`MaziyarPanahi/Mistral-7B-Instruct-v0.3`
    # of mistralai's) is no original: its owner's GGUF usually declares the model it copies.
    # The original is the namesake most declared by the Hub's models, then the oldest (re-uploads such as
    # `unsloth/…` come later, and may be more downloaded), then the most downloaded.
    created = np.where(f.created < 0, np.iinfo(np.int64).max, f.created)
    order = pd.DataFrame({"lookup": f.key[clean], "n_in": -f.declared_in[clean], "t": created[clean]})
    order = order.assign(dl=-f.downloads[clean])
    top = order.sort_values(["lookup", "n_in", "t", "dl"]).drop_duplicates("lookup").set_index("lookup")
    rank = order.assign(parent=clean).set_index("parent").loc[own["parent"].to_numpy(), ["n_in", "t", "dl"]]
    best = top.loc[own["lookup"].to_numpy()]
    own = own[(rank.to_numpy() == best.to_numpy()).all(axis=1)]
    asked = pd.DataFrame({"child": children, "owner": f.owner[children], "lookup": f.key[children]})
    pairs = asked.merge(own, on=["owner", "lookup"], how="inner")
    pairs = pairs[pairs["child"] != pairs["parent"]]
    allowed, known = _older_or_unknown(f, pairs["parent"].to_numpy(), pairs["child"].to_numpy())
    return pairs.assign(known=known)[allowed][columns].reset_index(drop=True)


def _score_own_exports(f: _Features, own: pd.DataFrame, rules: RuleConfidence) -> pd.DataFrame:
    child = own["child"].to_numpy(dtype=np.int64)
    parent_id = f.ids[own["parent"].to_numpy(dtype=np.int64)]
    conf = rules.own_export + np.where(own["known"].to_numpy(dtype=bool), 0.0, rules.dates_unknown)
    evidence = (
        "name key '"
        + pd.Series(f.key[child])
        + "' matches "
        + pd.Series(parent_id)
        + "'s name, under the same owner (child carries a quantisation/format marker)"
    )
    return _proposals(child, parent_id, conf, evidence, "own export")


def _rows_under_keys(f: _Features, asked: np.ndarray) -> pd.DataFrame:
    """Every (lookup, row) whose name, owner or brand key is `asked[lookup]`, any row, format copies included,
    each pair once: hashed in Arrow over the snapshot's key columns, then over the external rows'."""
    value_set = pa.array(asked, type=pa.large_string())
    first = len(f.snapshot)
    parts = []
    earlier: list[np.ndarray] = []
    for snapshot_keys, keys in (
        (f.snapshot.key_values, f.key),
        (f.snapshot.owner_key_values, f.owner_key),
        (f.snapshot.brand_key_values, f.brand_key),
    ):
        # Positions in `asked`, not the keys' strings: pairs of integers are joined and compared without hashing or
        # converting 150k Python strings at 1M models.
        found = [
            np.asarray(pc.index_in(values, value_set=value_set).fill_null(-1).to_numpy(zero_copy_only=False))
            for values in (snapshot_keys, pa.array(keys[first:], type=pa.large_string()))
        ]
        codes = np.concatenate(found).astype(np.int64)
        rows = np.flatnonzero(codes >= 0)
        lookup = codes[rows]
        # A row is under a key once: skipped where an earlier key column of the row holds the same key (it was found
        # there).
        new = np.ones(len(rows), dtype=bool)
        for other in earlier:
            new &= other[rows] != lookup
        earlier.append(codes)
        parts.append(pd.DataFrame({"lookup": lookup[new], "row": rows[new]}))
    return pd.concat(parts, ignore_index=True)


def _tail_prefixes(child: np.ndarray, tails: np.ndarray) -> pd.DataFrame:
    """(child, tail) for each proper leading part of each child's `name_tail`, in whole words: " hf gguf" →
    " hf"; " bnb 4bit 4bits" → " bnb", " bnb 4bit"."""
    pairs = [
        (c, " ".join(words[:n]))
        for c, t in zip(child.tolist(), tails.tolist())
        for words in [t.split(" ")]
        for n in range(2, len(words))
    ]
    return pd.DataFrame(pairs, columns=["child", "tail"]).astype({"child": np.int64, "tail": object})


def _name_tails(f: _Features, rows: np.ndarray) -> np.ndarray:
    """`name_tail` of the name in each of `rows`' ids (object): the snapshot's rows' kept on the snapshot for every
    inference on it (`ModelFeatures.name_tails`), the external parents' computed for this one."""
    rows = np.asarray(rows, dtype=np.int64)
    inside = rows < len(f.snapshot)
    if inside.all():
        return f.snapshot.name_tails(rows)
    out = np.empty(len(rows), dtype=object)
    out[inside] = f.snapshot.name_tails(rows[inside])
    out[~inside] = f.rows.name_tails(rows[~inside])
    return out


def _namesake_by_full_name(f: _Features, named: pd.DataFrame) -> pd.DataFrame:
    """Among same-named parents, the one whose full name the child carries, packaging words included.

    The name key drops format words on purpose (`-hf`, `-bnb-4bit`, `-bf16`), so every namesake ties on it and
    the most declared or most downloaded one is picked; but `bartowski/mamba-2.8b-hf-GGUF` quantises
    `state-spaces/mamba-2.8b-hf`, not `state-spaces/mamba-2.8b`, and `RichardErkhov/unsloth_-_gemma-7b-bnb-4bit-
    4bits` quantises `unsloth/gemma-7b-bnb-4bit` again. A namesake (a model or a format copy with the child's
    name key as its name, owner or brand key; a copy with packed weights only when the child's key names its
    owner) whose dropped words (`name_tail`) begin the child's own, and are more of them than the pick's,
    replaces the pick: the longest such tail, then the most declared, the most downloaded, the oldest. Never
    younger than the child, as any parent. Indexed by child, as `named`, with `carried` where the pick changed.
    The siblings' vote (`_namesake_by_siblings`) still overrules it."""
    out = named.assign(carried=False)
    child = named.index.to_numpy(dtype=np.int64)
    tails = _name_tails(f, child)
    # Only a child whose tail has two words or more can carry another repo's tail and more.
    longer = np.array([t.count(" ") >= 2 for t in tails.tolist()], dtype=bool)
    asked = _tail_prefixes(child[longer], tails[longer])
    if asked.empty:
        return out
    # The children's keys as their positions among the distinct ones (`_rows_under_keys`).
    lookup, keys = pd.factorize(f.key[asked["child"].to_numpy()], use_na_sentinel=False)
    asked = asked.assign(lookup=lookup)
    rows = _rows_under_keys(f, keys)
    rows = rows.assign(tail=_name_tails(f, rows["row"].to_numpy()))
    pairs = asked.merge(rows[rows["tail"] != ""], on=["lookup", "tail"], how="inner")
    kid, row = pairs["child"].to_numpy(dtype=np.int64), pairs["row"].to_numpy(dtype=np.int64)
    allowed, known = _older_or_unknown(f, row, kid)
    allowed &= f.rows.ids_lower.take(pa.array(row)).to_numpy(False) != f.rows.ids_lower.take(pa.array(kid)).to_numpy(
        False
    )
    # Packed weights (GGUF, AWQ, 4-bit) are quantised again from their original, not from the packed copy whose
    # name a new export extends (`Lewdiculous/Lumimaid-v0.2-8B-GGUF-IQ-Imatrix` quantises NeverSleep's model, not
    # its `-GGUF`), unless the child's key names that copy's owner too (RichardErkhov's `owner_-_name`).
    # Once per distinct tail: a few dozen words (" gguf", " hf") make most of the pairs' tails.
    codes, distinct = pd.factorize(pairs["tail"])
    packed = np.array([has_packed_weight_marker(t) for t in distinct.tolist()], dtype=bool)[codes]
    allowed &= ~packed | (f.owner_key[row] == keys[pairs["lookup"].to_numpy()])
    pairs = pairs.assign(known=known)[allowed]
    if pairs.empty:
        return out
    # The pick keeps its place when its own tail starts the child's as far.
    kids = pd.unique(pairs["child"].to_numpy(dtype=np.int64))
    picked = _name_tails(f, named.loc[kids, "parent"].to_numpy(dtype=np.int64))
    own = pd.Series(tails, index=named.index).loc[kids]
    carried = np.array([c.startswith(p + " ") and p != "" for c, p in zip(own.tolist(), picked.tolist())], dtype=bool)
    reach = pd.Series(np.where(carried, [len(p) for p in picked.tolist()], 0), index=kids)
    row = pairs["row"].to_numpy(dtype=np.int64)
    pairs = pairs.assign(
        reach=pairs["tail"].str.len().to_numpy(),
        over=reach.reindex(pairs["child"]).to_numpy(),
        n_in=-f.declared_in[row],
        dl=-f.downloads[row],
        t=np.where(f.created[row] < 0, np.iinfo(np.int64).max, f.created[row]),
    )
    pairs = pairs[pairs["reach"] > pairs["over"]]
    if pairs.empty:
        return out
    order = ["child", "reach", "n_in", "dl", "t", "row"]
    best = pairs.sort_values(order, ascending=[True, False, True, True, True, True]).drop_duplicates("child")
    best = best.set_index("child")
    out.loc[best.index, "parent"] = best["row"].to_numpy()
    out.loc[best.index, "known"] = best["known"].to_numpy()
    out.loc[best.index, "carried"] = True
    return out


def _namesake_by_siblings(f: _Features, named: pd.DataFrame, votes: pd.DataFrame) -> pd.DataFrame:
    """Among same-named parents, the one the child's same-key siblings declare.

    A name is often carried by the original and by re-uploads (`unsloth/…`, `NousResearch/…` copies of
    `meta-llama/…`); the most downloaded or most declared namesake is not always the one this family of
    quantisations copies. When the siblings' vote names another model with the child's name key, that
    model replaces the name match's pick (indexed by child, as `named`)."""
    if named.empty or votes.empty:
        return named
    voted = votes["parent_id"].reindex(named.index).astype(str).str.lower().to_numpy(dtype=object)
    # The first row of each voted id: the few rows carrying one are found in Arrow, not by hashing every id.
    ids_lower = f.rows.ids_lower
    carrying = np.flatnonzero(
        pc.is_in(ids_lower, value_set=pa.array(voted, type=pa.string(), from_pandas=True)).to_numpy(False)
    )
    first_row: dict[str, int] = {}
    for position, lower in zip(carrying.tolist(), ids_lower.take(carrying).to_pylist()):
        first_row.setdefault(lower, position)
    row = np.array([first_row.get(v, -1) for v in voted.tolist()], dtype=np.int64)
    has = row >= 0
    child = named.index.to_numpy()
    same_key = has & (f.key[np.maximum(row, 0)] == f.key[child]) & (row != named["parent"].to_numpy())
    # Only a namesake the name match could have picked: a format copy (`…-bf16`) has the key but is no original.
    same_key &= (row != child) & ~f.quantized[np.maximum(row, 0)]
    if not same_key.any():
        return named
    out = named.copy()
    out.loc[out.index[same_key], "parent"] = row[same_key]
    out.loc[out.index[same_key], "carried"] = False  # the siblings' pick, not the carried name's
    return out


def _score_name_matches(
    f: _Features, named: pd.DataFrame, votes: pd.DataFrame, rules: RuleConfidence, loose: bool = False
) -> pd.DataFrame:
    """Rule 1: the child's key is a cleaner repo's name; same-key siblings that declare it raise the trust.

    A sibling vote for another parent does not overrule the name: quantisers of a fine-tune often declare
    the fine-tune's own base (the grandparent) instead of the fine-tune.
    """
    child = named.index.to_numpy()
    parent_id = f.ids[named["parent"].to_numpy()]
    voted = votes["parent_id"].reindex(child).astype(object).to_numpy()
    agree = np.array([isinstance(v, str) and v.lower() == p.lower() for v, p in zip(voted, parent_id)], dtype=bool)
    quant = f.quantized[child]
    ambiguous = named["ambiguous"].to_numpy(dtype=bool)
    carried = named["carried"].to_numpy(dtype=bool) if "carried" in named else np.zeros(len(named), dtype=bool)
    popular = f.downloads[named["parent"].to_numpy()] >= 10 * np.maximum(f.downloads[child], 1)
    conf = np.where(
        quant, rules.quantized_loose_match if loose else rules.quantized_name_match, rules.reupload_name_match
    )
    # A quantiser picks the popular original: a namesake with a clear (if not 10×) lead is likely the one.
    clear_lead = named["lead"].to_numpy(dtype=float) >= rules.clear_lead
    penalty = np.where(clear_lead, rules.ambiguous_name_clear_lead, rules.ambiguous_name)
    conf = conf + np.where(ambiguous, penalty, 0.0) + np.where(~quant & popular, rules.popular_parent, 0.0)
    conf = np.where(agree, np.maximum(conf, rules.name_and_siblings_agree), conf)
    conf = conf + np.where(named["known"].to_numpy(dtype=bool), 0.0, rules.dates_unknown)
    evidence = (
        "name key '"
        + pd.Series(f.key[child])
        + "' matches "
        + pd.Series(parent_id)
        + "'s name"
        + (" up to word order and packaging words" if loose else "")
        + np.where(quant, " (child carries a quantisation/format marker)", " (same clean name, far more used)")
        + np.where(ambiguous, "; several repos carry that name", "")
        + np.where(agree, "; same-key siblings declare this parent", "")
        + np.where(carried, "; the child's name carries this one whole, packaging words included", "")
    )
    return _proposals(child, parent_id, conf, evidence, "loose name match" if loose else "name match")


def _score_sibling_votes(f: _Features, votes: pd.DataFrame, rules: RuleConfidence) -> pd.DataFrame:
    """Rule 2: models with the same key declare a parent (which may be outside the snapshot)."""
    child = votes.index.to_numpy()
    n_votes = votes["votes"].to_numpy(dtype=float)
    share = votes["share"].to_numpy(dtype=float)
    conf = rules.sibling_vote_max * share * np.minimum(1.0, 0.75 + 0.125 * (n_votes - 1))
    conf = conf * np.where(f.quantized[child], 1.0, rules.sibling_vote_clean_factor)
    evidence = (
        pd.Series(votes["votes"].astype(int).astype(str).to_numpy())
        + " model(s) with the same name key '"
        + pd.Series(f.key[child])
        + "' declare "
        + pd.Series(votes["parent_id"].to_numpy())
        + " ("
        + pd.Series((share * 100).round().astype(int).astype(str))
        + " % of their declarations)"
    )
    return _proposals(child, votes["parent_id"].to_numpy(dtype=object), conf, evidence, "sibling vote")


def _score_prefix_matches(f: _Features, prefixed: pd.DataFrame, rules: RuleConfidence) -> pd.DataFrame:
    """Rule 3: the child's key starts with a more-used repo's name."""
    child = prefixed.index.to_numpy()
    parent = prefixed["parent"].to_numpy()
    remainder = prefixed["remainder"].astype(str).reset_index(drop=True)
    ft_word = remainder.str.split("-").map(lambda ts: bool(FINETUNE_WORDS.intersection(ts))).to_numpy(dtype=bool)
    popular = f.downloads[parent] >= 10 * np.maximum(f.downloads[child], 1)
    conf = (
        rules.prefix_match
        + np.where(ft_word, rules.prefix_finetune_word, 0.0)
        + np.where(popular, rules.popular_parent, 0.0)
        + np.where(prefixed["known"].to_numpy(dtype=bool), 0.0, rules.dates_unknown)
        + np.where(f.merge[child] & ~f.adapter[child], rules.prefix_merge, 0.0)
    )
    evidence = (
        "name key '"
        + pd.Series(f.key[child])
        + "' starts with "
        + pd.Series(f.ids[parent])
        + "'s name, then '"
        + remainder
        + "'"
    )
    # An owner naming a model after its own (`rinna/youri-7b-chat` of `rinna/youri-7b`,
    # `HuggingFaceTB/SmolLM-135M-Instruct`) releases its own next stage: a rule of its own, so that the
    # calibration measures it apart from prefixes of other owners' models (stray namesakes, family bases).
    own = (f.owner[child] == f.owner[parent]) & (f.owner[child] != "")
    rule = np.where(own, "own prefix match", "prefix match").astype(object)
    evidence = evidence + np.where(own, "; same owner", "")
    return _proposals(child, f.ids[parent], conf, evidence, rule)


def _vote_on_prefixes(
    f: _Features, prefixed: pd.DataFrame, declared: pd.DataFrame, rules: RuleConfidence
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split prefix matches by what the visible models under the same prefix declare: (plain, voted).

    A prefix such as `llama-3-8b` names a model, but the fine-tunes named after it mostly declare one parent,
    often another (the Instruct model, or the original rather than a stray re-upload). With `support` votes of
    which `share` agree, the vote's parent is proposed ("voted", indexed by child: parent_id, votes, share,
    prefix); with no vote at all, the plain prefix match stands ("plain"); votes that disagree with each other,
    or too few to outvote the prefix's own model, leave the child without a proposal rather than a guess."""
    votes = _prefix_votes(f, declared, set(prefixed["prefix"].tolist()))
    merged = prefixed.reset_index().merge(votes, on="prefix", how="left").set_index("child")
    n_votes = merged["votes"].fillna(0).to_numpy(dtype=float)
    share = merged["share"].fillna(0).to_numpy(dtype=float)
    top = merged["parent_id"].astype(object).to_numpy()
    named = f.ids[merged["parent"].to_numpy(dtype=np.int64)]
    agrees = np.array([isinstance(t, str) and t.lower() == n.lower() for t, n in zip(top, named)], dtype=bool)
    itself = np.array([isinstance(t, str) and t.lower() == c.lower() for t, c in zip(top, f.ids[merged.index])])
    strong = (n_votes >= rules.prefix_vote_support) & (share >= rules.prefix_vote_share) & ~itself
    plain = (n_votes == 0) | (~strong & agrees & (share >= rules.prefix_vote_share))
    return prefixed[plain], merged[strong]


def _score_prefix_votes(f: _Features, voted: pd.DataFrame, rules: RuleConfidence) -> pd.DataFrame:
    """Rule 3b: the parent most declared by the visible models whose names extend the child's prefix."""
    child = voted.index.to_numpy()
    n_votes = voted["votes"].to_numpy(dtype=float)
    share = voted["share"].to_numpy(dtype=float)
    conf = rules.prefix_vote_max * share * np.minimum(1.0, 0.75 + 0.125 * (n_votes - 1))
    conf = conf + np.where(f.merge[child] & ~f.adapter[child], rules.prefix_merge, 0.0)
    evidence = (
        pd.Series(voted["votes"].astype(int).astype(str).to_numpy())
        + " model(s) named '"
        + voted["prefix"].astype(str).reset_index(drop=True)
        + "-…' declare "
        + pd.Series(voted["parent_id"].astype(str).to_numpy())
        + " ("
        + pd.Series((share * 100).round().astype(int).astype(str))
        + " % of their declarations); the child's name key is '"
        + pd.Series(f.key[child])
        + "'"
    )
    return _proposals(child, voted["parent_id"].to_numpy(dtype=object), conf, evidence, "prefix vote")


_NOT_PRIOR_TAGS = ("base_model:", "license:", "region:", "dataset:", "arxiv:", "doi:")


def _tag_priors(
    f: _Features, tags: RowTags, children: np.ndarray, declared: pd.DataFrame, rules: RuleConfidence
) -> pd.DataFrame:
    """Rule 4, for adapters only: a tag that nearly all declared adapters carrying it share with one parent
    (`flux` → FLUX.1-dev) predicts that parent. Learned from this snapshot's own declarations.
    Returns child, parent_id, tag, support, share."""
    columns = ["child", "parent_id", "tag", "support", "share"]
    is_adapter = (declared["relation"] == "adapter").to_numpy(dtype=bool) if "relation" in declared else None
    adapters = declared[is_adapter] if is_adapter is not None else declared.iloc[:0]
    children = children[f.adapter[children]]
    if adapters.empty or len(children) == 0:
        return pd.DataFrame(columns=columns)
    # The rows of the declared children, looked up once per inference (`declared_rows`), for the adapters.
    rows = f.declared_rows(declared)[is_adapter].dropna().astype(np.int64)
    parents = adapters.loc[rows.index, "source"].to_numpy()
    exploded = _exploded_tags(f, rows.to_numpy(), _NOT_PRIOR_TAGS)
    if exploded is None:
        learned = pd.DataFrame({"parent_id": parents, "tag": tags.take(rows.to_numpy())})
        learned = learned.explode("tag").dropna(subset=["tag"])
        learned = learned[~learned["tag"].astype(str).str.startswith(_NOT_PRIOR_TAGS)]
    else:
        learned = pd.DataFrame({"parent_id": parents[exploded[0]], "tag": exploded[1]})
    counts = learned.groupby(["tag", "parent_id"]).size().rename("n").reset_index()
    counts["support"] = counts.groupby("tag")["n"].transform("sum")
    counts["share"] = counts["n"] / counts["support"]
    # A tag most adapters carry (`lora`, `diffusers`) says nothing about which base they adapt.
    specific = counts["support"] <= 0.5 * len(rows)
    priors = counts[
        specific & (counts["support"] >= rules.tag_prior_support) & (counts["share"] >= rules.tag_prior_share)
    ]
    if priors.empty:
        return pd.DataFrame(columns=columns)
    exploded = _exploded_tags(f, children)
    if exploded is None:
        asked = pd.DataFrame({"child": children, "tag": tags.take(children)})
        asked = asked.explode("tag").dropna(subset=["tag"])
    else:
        asked = pd.DataFrame({"child": children[exploded[0]], "tag": exploded[1]})
    hits = asked.merge(priors[["tag", "parent_id", "support", "share"]], on="tag")
    hits = hits.sort_values(["child", "share", "support"], ascending=[True, False, False])
    # Tags of one child that point at different parents cancel out.
    parents_per_child = hits.groupby("child")["parent_id"].transform("nunique")
    hits = hits[parents_per_child == 1].drop_duplicates("child")
    return hits[columns]


def _exploded_tags(
    f: _Features, rows: np.ndarray, dropped: tuple[str, ...] = ()
) -> tuple[np.ndarray, np.ndarray] | None:
    """(position in `rows`, tag) of every tag of each of the snapshot `rows`, in order, missing ones left out:
    what exploding their tags in pandas and dropping the missing values yields, from the snapshot's Arrow
    lists (`model_features` keeps them when the column holds lists and None only; else None: explode then).
    An explode over the tags of every declared adapter cost 0.3 s at 300k models. `dropped`: the tags that
    start with one of these are left out too."""
    lists = f.snapshot.__dict__.get("_tag_lists")
    rows = np.asarray(rows, dtype=np.int64)
    if lists is None or (len(rows) and rows.max() >= len(f.snapshot)):
        return None
    picked = lists.take(pa.array(rows, type=pa.int64()))
    flat = pc.list_flatten(picked)
    valid = np.asarray(pc.is_valid(flat).to_numpy(zero_copy_only=False), dtype=bool)
    for start in dropped:
        valid &= ~np.asarray(
            pc.fill_null(pc.starts_with(flat, start), False).to_numpy(zero_copy_only=False), dtype=bool
        )
    at = np.asarray(pc.list_parent_indices(picked).to_numpy(zero_copy_only=False), dtype=np.int64)
    tags = np.asarray(flat.filter(pa.array(valid)).to_numpy(zero_copy_only=False), dtype=object)
    return at[valid], tags


def _score_tag_priors(f: _Features, priors: pd.DataFrame, rules: RuleConfidence) -> pd.DataFrame:
    child = priors["child"].to_numpy(dtype=np.int64)
    share = priors["share"].to_numpy(dtype=float)
    conf = rules.tag_prior_max * share
    evidence = (
        "adapter tagged '"
        + priors["tag"].astype(str).reset_index(drop=True)
        + "': "
        + pd.Series((share * 100).round().astype(int).astype(str))
        + " % of the "
        + priors["support"].astype(int).astype(str).reset_index(drop=True)
        + " declared adapters with that tag adapt "
        + priors["parent_id"].astype(str).reset_index(drop=True)
    )
    return _proposals(child, priors["parent_id"].to_numpy(dtype=object), conf, evidence, "tag prior")


def _without(rows: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """`np.setdiff1d(rows, drop)` for rows that are sorted and unique, as every set of rows here is: a lookup
    table over the row numbers, where setdiff1d sorts both sides (0.5 s a call at 1M models)."""
    drop = np.asarray(drop, dtype=np.int64)
    if len(rows) == 0 or len(drop) == 0:
        return rows.copy()
    return rows[~np.isin(rows, drop, kind="table")]


_PROPOSAL_COLUMNS = {
    "source": "string",
    "target": "string",
    "relation": "string",
    "confidence": "float64",
    "evidence": "string",
    "rule": "string",
}


def infer_lineage(
    models: pd.DataFrame,
    needs_parent: np.ndarray,
    declared_edges: pd.DataFrame,
    rules: RuleConfidence | None = None,
    features: ModelFeatures | None = None,
) -> InferredLineage:
    """Propose one parent for each model where `needs_parent` is True.

    `models` has the snapshot columns (id, author, name, downloads, created_at, tags, library_name);
    `declared_edges` has source, target (the declared lineage of the other models, used for sibling votes
    and as external candidates). Returns every proposal (source, target, relation, confidence, evidence,
    rule); callers choose the threshold. `features` (`model_features(models)`) spares computing them
    again when one snapshot is asked about several times (the calibration folds).
    """
    rules = rules or RuleConfidence()
    needs_parent = np.asarray(needs_parent, dtype=bool)
    if features is not None and len(features) != len(models):
        raise ValueError(
            f"features describe {len(features)} rows but models has {len(models)}: "
            "pass model_features(models) of this very table"
        )
    parts: list[pd.DataFrame] = []
    if len(models) and needs_parent.any():
        snapshot = features if features is not None else model_features(models.reset_index(drop=True))
        # Parents that other models declare but the snapshot lacks are nodes too: they can be proposed.
        sources = _sources(snapshot, declared_edges)
        outside = _external_nodes(snapshot, declared_edges, sources)
        needs_parent = np.concatenate([needs_parent, np.zeros(len(outside), dtype=bool)])
        rows = snapshot.extended(model_features(outside)) if len(outside) else snapshot
        f = _features(snapshot, rows, np.flatnonzero(needs_parent), declared_edges, sources)
        children = np.flatnonzero(needs_parent & (f.key != ""))
        cands = _candidates_by_key(f, rules)
        named = _namesake_by_full_name(f, _name_matches(f, children, cands).set_index("child"))
        votes = _sibling_votes(f, children, declared_edges).set_index("child")
        rest = _without(_without(children, named.index.to_numpy(np.int64)), votes.index.to_numpy(np.int64))
        loosely = _loose_name_matches(f, rest[f.quantized[rest]], rules)
        rest = _without(rest, loosely.index.to_numpy(np.int64))
        # A quantiser keeps its parent's exact name; a prefix match on a quantised name finds a grandparent.
        prefixed = _prefix_matches(f, rest[~f.quantized[rest]], cands).set_index("child")
        tags = f.rows.tags
        habits = _owner_habits(f, cands, declared_edges, named.reset_index(), rules, tags)
        if len(habits):
            parts.append(_score_owner_habits(f, habits, rules))
            named = named.drop(index=habits["child"].to_numpy())
            votes = votes.drop(index=habits["child"].to_numpy(), errors="ignore")
        # An owner's export of its own model, unless the owner's habit is to declare that model's base.
        own = _own_exports(f, _without(children, habits["child"].to_numpy(dtype=np.int64)), declared_edges)
        if len(own):
            parts.append(_score_own_exports(f, own, rules))
            named = named.drop(index=own["child"].to_numpy(), errors="ignore")
            votes = votes.drop(index=own["child"].to_numpy(), errors="ignore")
            loosely = loosely.drop(index=own["child"].to_numpy(), errors="ignore")
            prefixed = prefixed.drop(index=own["child"].to_numpy(), errors="ignore")
            rest = _without(rest, own["child"].to_numpy())
        if len(named):
            named = _namesake_by_siblings(f, named, votes)
            parts.append(_score_name_matches(f, named, votes, rules))
        if len(loosely):
            parts.append(_score_name_matches(f, loosely, votes, rules, loose=True))
        only_votes = votes.drop(index=named.index, errors="ignore")
        if len(only_votes):
            parts.append(_score_sibling_votes(f, only_votes, rules))
        if len(prefixed):
            plain, voted = _vote_on_prefixes(f, prefixed, declared_edges, rules)
            if len(plain):
                parts.append(_score_prefix_matches(f, plain, rules))
            if len(voted):
                parts.append(_score_prefix_votes(f, voted, rules))
        unmatched = _without(rest, prefixed.index.to_numpy(np.int64))
        priors = _tag_priors(f, tags, unmatched, declared_edges, rules)
        if len(priors):
            parts.append(_score_tag_priors(f, priors, rules))
    if parts:
        found = pd.concat(parts, ignore_index=True)
        child = found["child"].to_numpy(dtype=np.int64)
        proposals = found.drop(columns="child").assign(target=f.ids[child], relation=_relation(f, child))
    else:
        proposals = pd.DataFrame({c: [] for c in _PROPOSAL_COLUMNS})
    proposals = proposals[list(_PROPOSAL_COLUMNS)].astype(_PROPOSAL_COLUMNS)
    report = {
        "proposals": int(len(proposals)),
        "by_rule": {str(k): int(v) for k, v in proposals["rule"].value_counts().sort_index().items()},
        "by_relation": {r: int((proposals["relation"] == r).sum()) for r in RELATIONS},
        "rules": rules.as_dict(),
    }
    return InferredLineage(proposals, report)
