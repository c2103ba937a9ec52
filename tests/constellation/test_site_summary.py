"""The build-time site summary: what it holds, that row order does not change it, and that a summary of
another models.parquet is never read as this one's."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from constellation import site_summary
from constellation.contract import ATLAS_FILES


def _models() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a/x", "a/y", "b/z", "c/w", "d/v", "e/u"],
            "family": ["a/x", "a/x", "b/z", "c/w", "d/v", None],
            "community": [1, 1, 2, 2, 3, pd.NA],
            "downloads": [10, 5, 15, 15, 0, None],
            "likes": [1, 0, 2, 3, 0, 1],
            "params": [7e9, None, 1e8, None, None, None],
            "pipeline_tag": ["text-generation", "text-generation", "fill-mask", None, "fill-mask", "asr"],
            "license": ["mit", "mit", None, "apache-2.0", None, None],
            "x": [None] * 6,
        }
    )


def test_summarize_counts_tops_sizes_and_choices():
    summary = site_summary.summarize(_models())
    assert (summary.models, summary.families, summary.communities, summary.known_size) == (6, 4, 3, 2)
    assert summary.has["params"] and not summary.has["x"]
    top = summary.top_frame("family", 3)
    # a/x and b/z and c/w all have 15 downloads; a/x has more models, then the value breaks the tie.
    assert top["family"].tolist() == ["a/x", "b/z", "c/w"]
    assert top[["models", "downloads", "likes"]].iloc[0].tolist() == [2, 15, 1]
    assert summary.size_series("community").to_dict() == {1: 2, 2: 2, 3: 1}
    assert summary.choices["pipeline_tag"] == ["fill-mask", "text-generation", "asr"]
    assert summary.choices["license"] == ["mit", "apache-2.0"]


def test_row_order_and_dtypes_do_not_change_the_summary():
    models = _models()
    shuffled = models.sample(frac=1.0, random_state=3).reset_index(drop=True)
    shuffled["family"] = shuffled["family"].astype("category")
    shuffled["pipeline_tag"] = shuffled["pipeline_tag"].astype("category")
    assert site_summary.summarize(shuffled) == site_summary.summarize(models)


def test_top_frame_says_when_it_kept_too_few():
    models = pd.DataFrame({"family": [f"f{i}" for i in range(80)], "downloads": range(80), "likes": [0] * 80})
    summary = site_summary.summarize(models)
    assert len(summary.top_frame("family", 15)) == 15
    assert summary.top_frame("family", site_summary.TOP_N + 1) is None  # the site groups the models itself
    assert summary.top_frame("community", 5) is None


def test_write_then_read_and_a_rewritten_models_file_voids_it(tmp_path):
    models = _models()
    pq.write_table(pa.Table.from_pandas(models, preserve_index=False), tmp_path / ATLAS_FILES.models)
    path = site_summary.write_summary(tmp_path, models)
    assert path == tmp_path / ATLAS_FILES.site / site_summary.SUMMARY_FILE
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    read = site_summary.read_summary(tmp_path)
    assert read is not None and read.top == site_summary.summarize(models).top
    pq.write_table(pa.Table.from_pandas(models.head(3), preserve_index=False), tmp_path / ATLAS_FILES.models)
    assert site_summary.read_summary(tmp_path) is None


def test_missing_damaged_or_older_summaries_read_as_none(tmp_path):
    assert site_summary.read_summary(tmp_path) is None
    pq.write_table(pa.table({"id": ["a"]}), tmp_path / ATLAS_FILES.models)
    (tmp_path / ATLAS_FILES.site).mkdir()
    path = tmp_path / ATLAS_FILES.site / site_summary.SUMMARY_FILE
    path.write_text("{not json")
    assert site_summary.read_summary(tmp_path) is None
    path.write_text(json.dumps({"version": site_summary.VERSION - 1, "models": 1}))
    assert site_summary.read_summary(tmp_path) is None


def _top_groups_by_groupby(models: pd.DataFrame, column: str, n: int) -> pd.DataFrame:
    """The plain pandas reading of top_groups' contract: every group, sorted by downloads, models, value."""
    frame = models[[column, "downloads", "likes"]].dropna(subset=[column]).copy()
    frame["downloads"] = frame["downloads"].fillna(0).astype("int64")
    frame["likes"] = frame["likes"].fillna(0).astype("int64")
    grouped = frame.groupby(column, observed=True).agg(
        models=("downloads", "size"), downloads=("downloads", "sum"), likes=("likes", "sum")
    )
    grouped = grouped.reset_index()
    grouped["_key"] = grouped[column].astype("object").astype(str)
    grouped = grouped.sort_values(["downloads", "models", "_key"], ascending=[False, False, True])
    return grouped.drop(columns="_key").head(n).reset_index(drop=True)


@pytest.mark.parametrize("dtype", ["category", "object", "Int64"])
def test_top_groups_agrees_with_a_plain_groupby_ties_and_missing_values_included(dtype):
    rng = np.random.default_rng(7)
    for _ in range(15):
        n = int(rng.integers(1, 120))
        groups = rng.integers(0, int(rng.integers(1, 25)), n)
        keys = pd.Series(groups if dtype == "Int64" else [f"g{g}" for g in groups], dtype=dtype)
        keys[rng.random(n) < 0.1] = None
        downloads = pd.Series(rng.integers(0, 3, n), dtype="Int64")  # few values: many ties
        downloads[rng.random(n) < 0.1] = None
        models = pd.DataFrame({"family": keys, "downloads": downloads, "likes": rng.integers(0, 3, n)})
        for top in (1, 5, 30):
            got = site_summary.top_groups(models, "family", top)
            want = _top_groups_by_groupby(models, "family", top)
            assert got["family"].astype("object").tolist() == want["family"].astype("object").tolist()
            assert got[["models", "downloads", "likes"]].to_numpy().tolist() == (
                want[["models", "downloads", "likes"]].to_numpy().tolist()
            )


@pytest.mark.parametrize("dtype", ["category", "object", "str", "Int64", "float64"])
def test_group_counts_coded_once_give_what_value_counts_and_nunique_gave(dtype):
    """The summary codes each group column once: its sizes and distinct count are those of `_largest` (value
    counts, ties by value) and `nunique`, unused categories, missing values and the n-th group's ties included."""
    rng = np.random.default_rng(11)
    for _ in range(15):
        n = int(rng.integers(1, 150))
        groups = rng.integers(0, int(rng.integers(1, 30)), n)
        keys = pd.Series(groups if dtype in ("Int64", "float64") else [f"g{g}" for g in groups], dtype=dtype)
        keys[rng.random(n) < 0.1] = None
        if dtype == "category":
            keys = keys.cat.add_categories(["unused"])
        models = pd.DataFrame({"family": keys, "downloads": rng.integers(0, 3, n), "likes": rng.integers(0, 3, n)})
        counted = site_summary.GroupCounts.of(models, "family")
        assert counted.distinct == keys.nunique(dropna=True)
        for top in (1, 3, 40):
            got, want = counted.largest(top), site_summary._largest(keys, top)
            assert json.dumps(got, default=site_summary._plain) == json.dumps(want, default=site_summary._plain)
            assert [type(site_summary._plain(v)) for v, _ in got] == [type(site_summary._plain(v)) for v, _ in want]


def test_the_word_cloud_counts_are_the_sites_over_the_sorted_ids():
    from constellation.name_ngrams import ngram_counts, top_ngrams

    models = _models()
    summary = site_summary.summarize(models.iloc[::-1])
    counted = summary.ngram_counts()
    expected = ngram_counts(models["id"].sort_values().reset_index(drop=True))
    assert counted is not None
    # The stored list is the top in a fixed order (ties by text), not in the hash-seeded order of most_common.
    assert counted.counts.most_common() == top_ngrams(expected.counts, site_summary.CLOUD_WORDS)
    assert (counted.names_used, counted.names_total) == (6, 6)
    raw = json.loads(summary.to_json())
    del raw["ngrams"]  # a summary written before the counts existed still reads, without them
    assert site_summary.SiteSummary.from_json(json.dumps(raw)).ngram_counts() is None


@pytest.mark.parametrize("dtype", ["object", "string", "category"])
def test_the_word_cloud_sorts_ids_as_python_does_whatever_the_dtype(dtype, monkeypatch):
    """Arrow sorts the ids by UTF-8 bytes; the sample (here 3 of 7 names) must be the one numpy's sort of
    Python strings gave, accents, upper case and missing ids included."""
    from constellation import name_ngrams

    ids = [
        "zeta/Ünï-model",
        "Alpha/llama-3",
        "alpha/Llama-3-GGUF",
        None,
        "émile/bert-base",
        "b/Qwen2.5-7B",
        "B/z",
        "ß/x",
    ]
    monkeypatch.setattr(name_ngrams, "MAX_NAMES", 3)
    monkeypatch.setattr(name_ngrams.ngram_counts, "__defaults__", (2, 3, 0))
    got = site_summary.word_cloud(pd.Series(ids, dtype=dtype))
    reference = pd.Series(np.sort(np.array([i for i in ids if i is not None], dtype=object)))
    counted = name_ngrams.ngram_counts(reference)
    assert (got["names_used"], got["names_total"]) == (3, 7)
    assert got["counts"] == [list(p) for p in name_ngrams.top_ngrams(counted.counts, site_summary.CLOUD_WORDS)]


def test_list_columns_the_build_holds_apart_count_as_present_as_in_the_frame():
    models = _models()
    whole = models.assign(tags=[["gguf"]] * len(models), base_models=[None] * len(models))
    apart = site_summary.summarize(models, {"tags": True, "base_models": False})
    assert apart == site_summary.summarize(whole)
    assert apart.has["tags"] and not apart.has["base_models"]


@pytest.mark.parametrize("missing_id", [False, True])
def test_the_callers_id_order_gives_the_same_summary(missing_id):
    """The build hands summarize the id order it sorted once; with a missing id the word cloud sorts its own."""
    from constellation.site_lookup import id_order

    models = _models().iloc[::-1].reset_index(drop=True)
    if missing_id:
        models.loc[2, "id"] = None
    assert site_summary.summarize(models, order=id_order(models)) == site_summary.summarize(models)


def test_a_word_cloud_counted_beforehand_is_the_one_the_summary_counts():
    models = _models()
    assert site_summary.summarize(models, cloud=site_summary.word_cloud(models["id"])) == site_summary.summarize(models)
