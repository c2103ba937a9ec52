"""Per-model features of inferred lineage: exact values on a few real-shaped names, and the same lineage
whether one ModelFeatures value serves every inference or each computes its own."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from constellation.arrow_strings import rows_of
from constellation.genealogy import features as features_module
from constellation.genealogy.calibration import calibrate_lineage
from constellation.genealogy.declared import declared_lineage
from constellation.genealogy.features import (
    RowTags,
    _first_token,
    _tag_flags,
    _tag_flags_by_row,
    clean_loose_keys,
    model_features,
    sorted_unique,
)
from constellation.genealogy.inferred import (
    RuleConfidence,
    _candidates_by_key,
    _external_nodes,
    _features,
    _prefix_table,
    infer_lineage,
)
from constellation.names import ADAPTER_TAGS, MERGE_TAGS, loose_key, name_tail
from crawler.records import convert_items, snapshot_frame_from_records
from fakehub.synthetic import generate, to_records


def small_snapshot() -> pd.DataFrame:
    records = pd.DataFrame(
        {
            "id": [
                "meta-llama/Meta-Llama-3-8B",
                "TheBloke/Llama-2-7B-Chat-GGUF",
                "someone/my-lora",
                "mlabonne/Beagle-merge",
                "bert-base-uncased",
            ],
            "downloads": [5000, 40, None, 3, 100],
            "created_at": ["2024-04-18T00:00:00Z", "2023-07-19T00:00:00Z", None, None, "2020-01-01T00:00:00Z"],
            "tags": [["transformers"], ["gguf"], ["peft", "lora"], ["mergekit", "merge"], None],
        }
    )
    return snapshot_frame_from_records(records)


def test_model_features_of_real_names():
    f = model_features(small_snapshot())
    assert f.key.tolist() == ["meta-llama-3-8b", "llama-2-7b-chat", "my", "beagle-merge", "bert-base-uncased"]
    assert f.brand_key.tolist() == ["llama-3-8b", "", "", "", ""]  # the owner's brand token, dropped
    assert f.owner_key.tolist()[:2] == ["meta-llama-meta-llama-3-8b", "thebloke-llama-2-7b-chat"]
    assert f.owner_key.tolist()[4] == ""  # a legacy id has no owner
    assert f.owner.tolist() == ["meta-llama", "thebloke", "someone", "mlabonne", ""]
    assert f.quantized.tolist() == [False, True, False, False, False]
    assert f.adapter_marker.tolist() == [False, False, True, False, False]  # "-lora" in the name
    assert f.adapter_tag.tolist() == [False, False, True, False, False]
    assert f.merge_marker.tolist() == [False, False, False, True, False]
    assert f.merge_tag.tolist() == [False, False, False, True, False]
    assert f.downloads.tolist() == [5000.0, 40.0, 0.0, 3.0, 100.0]
    assert (f.created[[2, 3]] == -1).all() and f.created[1] < f.created[0]
    assert f.specific.tolist() == [True, True, False, False, True]


def test_extended_appends_rows_and_keeps_derived_columns():
    snapshot = model_features(small_snapshot())
    outside = model_features(pd.DataFrame({"id": ["Org/Outside-1B"], "name": ["Outside-1B"], "downloads": [0]}))
    joined = snapshot.extended(outside)
    assert len(joined) == 6
    assert joined.ids[-1] == "Org/Outside-1B" and joined.key[-1] == "outside-1b"
    assert joined.owner.tolist()[-2:] == ["", "org"]
    assert joined.ids_lower.to_pylist()[-1] == "org/outside-1b"
    assert rows_of(pd.Series(["Org/Outside-1B"]), joined.id_values).tolist() == [5]  # as inference finds a row
    # The Arrow columns: each row's key and id, as the object arrays hold them.
    assert joined.key_values.to_pylist() == joined.key.tolist() and joined.id_values.to_pylist() == joined.ids.tolist()
    assert snapshot.key_values.type == joined.key_values.type == pa.large_string()


def test_tag_flags_vectorised_equal_row_by_row():
    tags = np.array(
        [["lora", "x"], None, float("nan"), "lora", ("merge",), np.array(["peft"]), [], ["mergekit", None]],
        dtype=object,
    )
    assert [a.tolist() for a in _tag_flags(RowTags(tags), ADAPTER_TAGS, MERGE_TAGS)] == [
        [True, False, False, False, False, True, False, False],
        [False, False, False, False, True, False, False, True],
    ]
    odd = np.array([["lora"], [1, "merge"], {"peft"}], dtype=object)  # not all lists of strings: row by row
    expected = _tag_flags_by_row(odd.tolist(), ADAPTER_TAGS, MERGE_TAGS)
    assert [a.tolist() for a in _tag_flags(RowTags(odd), ADAPTER_TAGS, MERGE_TAGS)] == [a.tolist() for a in expected]
    assert expected[0].tolist() == [True, False, True]


def test_row_tags_held_in_arrow_give_the_values_of_the_column_read_as_arrays():
    # the build reads the snapshot's tags in Arrow; the inference reads a few rows' values
    column = pa.array([["lora", "dataset:x"], None, [], ["gguf"]], type=pa.list_(pa.string()))
    arrays = pa.table({"tags": column}).to_pandas()["tags"].to_numpy()  # how a snapshot read as arrays holds them
    rows = np.array([3, 1, 0, 0, 2])
    arrow, values = RowTags(column).take(rows), RowTags(arrays).take(rows)
    assert [None if v is None else list(v) for v in arrow] == [None if v is None else list(v) for v in values]
    assert arrow[1] is None and isinstance(arrow[0], np.ndarray)
    more = RowTags(np.array([[], None], dtype=object))
    longer = RowTags(column).extended(more)
    assert len(longer) == 6
    assert [None if v is None else list(v) for v in longer.take(np.array([4, 5, 0]))] == [
        [],
        None,
        ["lora", "dataset:x"],
    ]
    flags = _tag_flags(RowTags(column), ADAPTER_TAGS, MERGE_TAGS, converted=column)
    assert [a.tolist() for a in flags] == [a.tolist() for a in _tag_flags(RowTags(arrays), ADAPTER_TAGS, MERGE_TAGS)]


@pytest.fixture(scope="module")
def synthetic_snapshot() -> pd.DataFrame:
    """3,000 models of the fake Hub's synthetic generator, as the crawler stores them."""
    frame = generate(3_000, 0)
    return convert_items(list(to_records(frame)), datetime(2026, 11, 1, tzinfo=UTC)).table.to_pandas()


def test_shared_features_give_the_same_lineage(synthetic_snapshot):
    snapshot = synthetic_snapshot
    declared = declared_lineage(snapshot)
    needs = declared.columns["parent"].isna().to_numpy()
    shared = model_features(snapshot)
    alone = infer_lineage(snapshot, needs, declared.edges).proposals
    assert len(alone) > 100
    pd.testing.assert_frame_equal(infer_lineage(snapshot, needs, declared.edges, features=shared).proposals, alone)
    # Ten folds over one ModelFeatures value, as the stage runs them, against folds computing their own.
    calibrated = calibrate_lineage(snapshot, declared.edges, ~needs, fallback_threshold=0.6, features=shared)
    fresh = calibrate_lineage(snapshot, declared.edges, ~needs, fallback_threshold=0.6)
    assert calibrated.folds == 10 and calibrated.proposals > 50
    pd.testing.assert_frame_equal(calibrated.table, fresh.table)
    pd.testing.assert_frame_equal(calibrated.scored, fresh.scored)
    assert calibrated.threshold == fresh.threshold


def test_features_of_another_table_are_refused(synthetic_snapshot):
    declared = declared_lineage(synthetic_snapshot)
    needs = declared.columns["parent"].isna().to_numpy()
    with pytest.raises(ValueError, match="features describe 5 rows but models has 3000"):
        infer_lineage(synthetic_snapshot, needs, declared.edges, features=model_features(small_snapshot()))


def test_prefix_search_shared_by_a_key_skips_the_child_itself():
    """`t/t-t-t-t` is indexed under its brand key `t-t-t` too, a prefix of its own key: its prefix search
    must skip itself, while `v/t-t-t-t`, with the same key, finds it (children of one key share a search)."""
    frame = pd.DataFrame(
        {
            "id": ["v/t-t-t-t", "t/t-t-t-t"],
            "author": ["v", "t"],
            "name": ["t-t-t-t", "t-t-t-t"],
            "downloads": [500, 1000],
        }
    )
    no_edges = pd.DataFrame({"source": pd.Series(dtype=object), "target": pd.Series(dtype=object)})
    for models in (frame, frame.iloc[::-1].reset_index(drop=True)):  # whichever child searches first
        out = infer_lineage(models, np.array([True, True]), no_edges).proposals
        assert out[["target", "source", "rule"]].values.tolist() == [["v/t-t-t-t", "t/t-t-t-t", "prefix match"]]
        assert out["evidence"].tolist() == ["name key 't-t-t-t' starts with t/t-t-t-t's name, then 't'"]


def test_key_table_ranks_clean_rows_under_each_key():
    """Each (key, clean row) pair once, ranked by downloads (most first) then row; quantised rows excluded."""
    frame = pd.DataFrame(
        {
            "id": ["a/Tiny-1B", "b/Tiny-1B", "c/Tiny-1B-GGUF", "Tiny/Tiny-1B", "d/other-2b"],
            "author": ["a", "b", "c", "Tiny", "d"],
            "name": ["Tiny-1B", "Tiny-1B", "Tiny-1B-GGUF", "Tiny-1B", "other-2b"],
            "downloads": [10, 50, 900, 10, 1],
        }
    )
    table = model_features(frame).key_table
    pairs = [(table.uniques.to_numpy()[c], int(r)) for c, r in zip(table.codes, table.cand)]
    assert [r for k, r in pairs if k == "tiny-1b"] == [1, 0, 3]  # 50 downloads, then the tie at 10 by row
    assert [r for k, r in pairs if k == "tiny-tiny-1b"] == [3]  # owner key of Tiny/Tiny-1B
    assert 2 not in [r for _, r in pairs]  # the GGUF is no candidate
    assert len(pairs) == len(set(pairs))
    # Every row's name key's code, the GGUF's too (its key is a clean row's): as looking the keys up says.
    features = model_features(frame)
    assert table.row_codes is not None
    assert table.row_codes.tolist() == table.uniques.codes_of(features.key).tolist()
    assert table.row_codes[2] == table.row_codes[0] >= 0


def test_row_codes_are_the_codes_of_the_rows_name_keys(synthetic_snapshot):
    lone = pd.DataFrame({"id": ["e/Lone-3B-GGUF"], "author": ["e"], "name": ["Lone-3B-GGUF"], "downloads": [3]})
    features = model_features(pd.concat([synthetic_snapshot, lone], ignore_index=True))
    table = features.key_table
    assert table.row_codes is not None
    assert table.row_codes.tolist() == table.uniques.codes_of(features.key).tolist()
    assert table.row_codes[-1] == -1  # a quantised key no clean row carries


def test_shared_key_table_with_external_parents_equals_the_general_ranking(synthetic_snapshot):
    """The snapshot's table plus the fold's external parents ranks as building it over all rows does."""
    snapshot = synthetic_snapshot
    shared = model_features(snapshot)
    # Parents outside the snapshot that share keys with its models (re-uploads) and ones with new keys.
    names = snapshot["id"].str.split("/").str[-1].iloc[:200]
    edges = pd.concat(
        [
            declared_lineage(snapshot).edges[["source", "target"]],
            pd.DataFrame({"source": "elsewhere/" + names, "target": snapshot["id"].iloc[200:400].to_numpy()}),
            pd.DataFrame({"source": "elsewhere/" + names + "-unseen", "target": snapshot["id"].iloc[:200]}),
        ],
        ignore_index=True,
    )
    outside = _external_nodes(shared, edges)
    assert len(outside) >= 300
    rows = shared.extended(model_features(outside))
    f = _features(shared, rows, np.arange(len(snapshot)), edges)
    merged = _candidates_by_key(f, RuleConfidence())
    general = _candidates_by_key(f, RuleConfidence(), keys=(f.key, f.owner_key, f.brand_key))
    in_order = ["lookup", "rank"]
    pd.testing.assert_frame_equal(
        merged.frame.sort_values(in_order).reset_index(drop=True),
        general.frame.sort_values(in_order).reset_index(drop=True),
    )
    # The prefix search's table too: the snapshot's, built once, plus the keys only external parents carry.
    firsts = general.frame.drop_duplicates("lookup")
    expected = dict(zip(firsts["lookup"], firsts["cand"].where(~firsts["ambiguous"], -1)))
    prefixes = _prefix_table(merged)
    assert {key: prefixes.get(key) for key in expected} == expected and prefixes.get("no-such-key") is None
    assert any(v >= len(snapshot) for v in expected.values()) and -1 in expected.values()


def test_sorted_unique_is_numpys_unique_of_integers():
    values = np.array([7, -2, 7, 0, 3, -2, 3, 3], dtype=np.int64)
    assert sorted_unique(values).tolist() == [-2, 0, 3, 7]
    assert sorted_unique(values).dtype == np.int64
    assert sorted_unique(np.zeros(0, dtype=np.int64)).tolist() == []
    many = np.random.default_rng(0).integers(0, 50, 1_000)
    assert np.array_equal(sorted_unique(many), np.unique(many))


def test_name_tails_are_the_names_tails_each_computed_once(monkeypatch):
    ids = [
        "state-spaces/mamba-2.8b-hf",
        "bartowski/mamba-2.8b-hf-GGUF",
        "gpt2",
        "RichardErkhov/unsloth_-_gemma-7b-bnb-4bit-4bits",
        "A/b/c-GGUF",
    ]
    expected = [" hf", " hf gguf", "", " bnb 4bit 4bits", " gguf"]
    assert name_tail(pd.Series([i.rpartition("/")[2] for i in ids])).tolist() == expected
    asked: list[list[str]] = []

    def recording(names: pd.Series) -> pd.Series:
        asked.append(names.tolist())
        return name_tail(names)

    monkeypatch.setattr(features_module, "name_tail", recording)
    for column in (pd.Series(ids, dtype=object), pd.array(ids, dtype="string[pyarrow]")):
        f = model_features(pd.DataFrame({"id": column, "name": None, "downloads": 0}))
        asked.clear()
        assert f.name_tails(np.array([3, 1, 3])).tolist() == [expected[3], expected[1], expected[3]]
        assert f.name_tails(np.arange(len(ids))).tolist() == expected
        assert f.name_tails(np.array([], dtype=np.int64)).tolist() == []
        # Each id once, in row order: the rows asked before are kept.
        assert asked == [[ids[1], ids[3]], [ids[0], ids[2], ids[4]]]


def test_owner_is_the_lower_cased_namespace_of_ascii_and_other_ids_alike():
    frame = pd.DataFrame({"id": ["Org/Model", "gpt2", "A/b/c", "trail/"], "name": None, "downloads": 0})
    assert model_features(frame).owner.tolist() == ["org", "", "a", "trail"]
    # Outside ASCII the ids are lower-cased as pandas' Arrow strings are (İ → i, where Python gives i̇).
    frame = pd.DataFrame({"id": ["İx/y", "ÀB/c", "gpt2"], "name": None, "downloads": 0})
    assert model_features(frame).owner.tolist() == ["ix", "àb", ""]


def test_owner_of_an_arrow_string_column_equals_the_python_pass():
    ids = ["Org/Model", "gpt2", "A/b/c", "trail/", "/lead", "UP/Low_er", ""]
    arrow = model_features(pd.DataFrame({"id": pd.array(ids, dtype="string[pyarrow]"), "name": None, "downloads": 0}))
    plain = model_features(pd.DataFrame({"id": pd.Series(ids, dtype=object), "name": None, "downloads": 0}))
    assert "_string_ids" in arrow.__dict__ and "_string_ids" not in plain.__dict__
    assert arrow.owner.tolist() == plain.owner.tolist() == ["org", "", "a", "trail", "", "up", ""]
    assert arrow.owner.dtype == object and all(type(o) is str for o in arrow.owner)


def _clean_loose_keys_among(key: np.ndarray, quantized: np.ndarray, asked: np.ndarray) -> list[list[str]]:
    wanted = set(asked.tolist())
    return [[v if v in wanted else "" for v in values.tolist()] for values in clean_loose_keys(key, quantized)]


def test_asked_loose_keys_are_the_clean_loose_keys_among_the_asked(synthetic_snapshot):
    names = [
        "granite-20b-code-base-8k", "Magnum-v2-12b", "t5-v1_1-xxl-encoder", "a--b-a", "x-Embedding-SOTA",
        "openchat_3.5-16k", "B-A", "solo", "Mistral-7B-32k-GGUF", "12b-magnum-v2",
    ]  # fmt: skip
    frame = pd.DataFrame({"id": [f"o{i}/{n}" for i, n in enumerate(names)], "name": names, "downloads": 1})
    for snapshot in (frame, synthetic_snapshot):
        features = model_features(snapshot)
        full = clean_loose_keys(features.key, features.quantized)
        quantised = features.key[features.quantized & (features.key != "")]
        asked = pd.unique(
            np.concatenate(
                [
                    loose_key(pd.Series(quantised[:40])).to_numpy(dtype=object),
                    full[0][::7],
                    full[1][full[1] != ""],
                    np.array(["20b-code-granite", "a-b-b", "no-such-tokens"], dtype=object),
                ]
            )
        )
        got = features.asked_loose_keys(asked)
        assert [g.tolist() for g in got] == _clean_loose_keys_among(features.key, features.quantized, asked)
        assert any(v != "" for v in got[0])
    small = model_features(frame)
    asked = np.array(["20b-base-code-granite", "a-b", "12b-magnum-v2"], dtype=object)
    assert [v.tolist() for v in small.asked_loose_keys(asked)] == [
        ["", "12b-magnum-v2", "", "", "", "", "a-b", "", "", "12b-magnum-v2"],  # b-a, not a-b-a
        ["20b-base-code-granite", "", "", "", "", "", "", "", "", ""],
    ]
    assert [v.tolist() for v in small.asked_loose_keys(np.array([], dtype=object))] == [[""] * 10, [""] * 10]
    empty = model_features(frame.iloc[:0])
    assert [len(v) for v in empty.asked_loose_keys(np.array(["a"], dtype=object))] == [0, 0]


def test_first_token_is_what_partition_says():
    keys = pd.Series(["", "a", "a-", "-a", "a-b-c", "é-x", "--", "llama-3-8b"], dtype="string", index=range(3, 11))
    first, rest = _first_token(keys)
    parts = keys.str.partition("-")
    pd.testing.assert_series_equal(first, parts[0], check_names=False)
    pd.testing.assert_series_equal(rest, parts[2], check_names=False)


def test_among_is_isin_of_integers() -> None:
    from constellation.genealogy.features import _among

    rng = np.random.default_rng(0)
    values = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=500, dtype=np.int64)
    wanted = np.r_[values[::7], rng.integers(-5, 5, size=20)]
    assert _among(values, wanted).tolist() == np.isin(values, wanted).tolist()
    assert _among(values, np.array([], dtype=np.int64)).tolist() == [False] * 500
