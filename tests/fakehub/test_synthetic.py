"""The synthetic Hub generator (fakehub.synthetic): determinism, scale, lineage consistency, and names and
lineage shares that match measurements on the real Hub metadata in ../shared/data."""

from __future__ import annotations

import ast
import gzip
import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from constellation.errors import ConstellationError, SyntheticHubError
from fakehub.synthetic import (
    ANOMALY_KINDS,
    LEGACY_CREATED_AT,
    SYNTHETIC_ID_MARKER,
    generate,
    generate_with_truth,
    to_records,
    write_jsonl,
)
from tests.paths import REPO

# Hub repo names: letters, digits, "-", "_", "."; no "--" or ".."; no "-" or "." at either end; at most 96.
REPO_NAME = re.compile(r"^(?!.*--)(?!.*\.\.)[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
# "Has a size token": 7b, 7B, 1.5B, 1_5B, 350m, 8x7B, 30B (of 30B-A3B). Deliberately simple and local: the real
# parameter parser lives in constellation/genealogy/params.py.
SIZE_TOKEN = re.compile(r"(?i)(?<![a-z0-9])(?:\d+x)?\d+(?:[._]\d+)?[bm](?![a-z])")
# Quantization markers in names
QUANT_NAME = re.compile(r"(?i)gguf|awq|gptq|exl2|ggml|bnb|mlx|int4|int8|fp8|nf4|w4a16|[-_]\d+bits?(?![a-z])")
RELATIONS = {"finetune", "adapter", "quantized", "merge"}


@cache
def hub(n: int, seed: int = 0):
    return generate_with_truth(n, seed)


def edges_from_tags(frame: pd.DataFrame) -> pd.DataFrame:
    """(child, parent, relation) from the `base_model:<relation>:<id>` tags, as the crawler parses them."""
    rows = []
    for child, tags in zip(frame["id"], frame["tags"]):
        for tag in tags:
            if tag.startswith("base_model:") and tag.count(":") == 2:
                _, relation, parent = tag.split(":", 2)
                rows.append((child, parent, relation))
    return pd.DataFrame(rows, columns=["child", "parent", "relation"])


def has_lineage(frame: pd.DataFrame) -> pd.Series:
    return frame["tags"].map(lambda tags: any(t.startswith("base_model:") for t in tags))


def quantized_leaf(ids: pd.Series, tags: pd.Series) -> pd.Series:
    declared = tags.map(lambda ts: any(t.startswith("base_model:quantized:") for t in ts))
    return declared | ids.str.contains(QUANT_NAME)


def names(ids: pd.Series) -> pd.Series:
    return ids.str.split("/", n=1).str[-1]


# --------------------------------------------------------------------------------------------------
# Determinism and arguments
# --------------------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_hub_byte_for_byte(tmp_path: Path) -> None:
    a, b = generate(3000, seed=7), generate(3000, seed=7)
    pd.testing.assert_frame_equal(a, b)
    write_jsonl(a, tmp_path / "a.jsonl")
    write_jsonl(b, tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_the_same_hub_comes_out_of_every_process(tmp_path: Path) -> None:
    # String hashing is salted per process (PYTHONHASHSEED): nothing may depend on set or hash order.
    script = (
        "import hashlib, sys\n"
        "from fakehub.synthetic import generate_with_truth, write_jsonl\n"
        "hub = generate_with_truth(2000, 5)\n"
        "write_jsonl(hub.frame, sys.argv[1])\n"
        "print(hashlib.sha256(open(sys.argv[1], 'rb').read() + hub.truth.to_csv().encode()).hexdigest())\n"
    )
    digests = set()
    for salt in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": salt}
        out = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / f"{salt}.jsonl")],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_a_different_seed_gives_a_different_hub() -> None:
    a, b = generate(3000, seed=7), generate(3000, seed=8)
    assert len(a) == len(b) == 3000
    # The official bases are shared; the rest differs
    assert len(set(a["id"]) & set(b["id"])) < 600
    assert not np.array_equal(a["downloads"].to_numpy(), b["downloads"].to_numpy())


@pytest.mark.parametrize("n", [0, -5, 2.5, "100", True])
def test_a_bad_size_is_a_clear_error(n) -> None:
    with pytest.raises(SyntheticHubError, match="n must be a positive whole number") as info:
        generate(n)
    assert isinstance(info.value, ConstellationError)


def test_a_bad_seed_is_a_clear_error() -> None:
    with pytest.raises(SyntheticHubError, match="seed must be a non-negative whole number"):
        generate(10, seed=-1)


# --------------------------------------------------------------------------------------------------
# Scale and field formats
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 9, 1000, 20_000])
def test_it_makes_exactly_n_valid_records(n: int) -> None:
    frame = hub(n).frame
    assert len(frame) == n
    assert frame.attrs["synthetic"] is True
    assert list(frame.columns) == [
        "_id",
        "id",
        "author",
        "downloads",
        "downloadsAllTime",
        "likes",
        "trendingScore",
        "createdAt",
        "lastModified",
        "private",
        "gated",
        "disabled",
        "pipeline_tag",
        "library_name",
        "tags",
        "sha",
        "cardData",
        "safetensors",
        "gguf",
        "config",
        "siblings",
    ]
    assert frame["_id"].is_unique and frame["_id"].str.fullmatch(r"[0-9a-f]{24}").all()
    assert (frame["_id"].str[8:16] == SYNTHETIC_ID_MARKER).all()
    assert frame["sha"].str.fullmatch(SYNTHETIC_ID_MARKER + r"[0-9a-f]{32}").all()
    assert frame["id"].str.lower().is_unique  # the Hub's ids are unique regardless of case
    owner, name = frame["id"].str.split("/", n=1).str[0], names(frame["id"])
    assert (owner == frame["author"]).all()
    assert name.str.match(REPO_NAME).all(), name[~name.str.match(REPO_NAME)].tolist()[:5]
    assert frame["createdAt"].str.match(ISO).all() and frame["lastModified"].str.match(ISO).all()
    assert (frame["lastModified"] >= frame["createdAt"]).all()
    assert (frame["downloadsAllTime"] >= frame["downloads"]).all() and (frame["downloads"] >= 0).all()
    assert (frame["likes"] >= 0).all() and (frame["trendingScore"] >= 0).all()
    assert set(frame["gated"].map(repr)) <= {"False", "'auto'", "'manual'"}
    assert not frame["private"].any() and not frame["disabled"].any()


def test_dates_run_from_2019_to_2026_with_more_models_recently() -> None:
    frame = hub(20_000).frame
    years = frame["createdAt"].str[:4].astype(int)
    assert years.min() >= 2019 and years.max() == 2026
    per_year = years.value_counts()
    assert per_year[2023] < per_year[2024] < per_year[2025] < per_year[2026]
    # Repos older than the Hub's storage carry its one legacy timestamp
    assert (frame["createdAt"] == LEGACY_CREATED_AT).sum() > 0
    assert frame["_id"].is_monotonic_increasing  # _id starts with the creation time


def test_downloads_and_likes_are_heavy_tailed() -> None:
    frame = hub(20_000).frame
    downloads = frame["downloads"].to_numpy()
    assert np.median(downloads) < 20
    assert downloads.max() > 1_000_000
    top_1_percent = np.sort(downloads)[-len(downloads) // 100 :].sum()
    assert top_1_percent / downloads.sum() > 0.8
    assert (frame["likes"] == 0).mean() > 0.5 and frame["likes"].max() > 1000


def test_records_are_api_objects_the_real_client_parses(tmp_path: Path) -> None:
    from huggingface_hub.hf_api import ModelInfo

    frame = hub(1000).frame
    records = list(to_records(frame))
    assert len(records) == 1000
    for record in records:
        assert None not in record.values()  # absent, never null
        info = ModelInfo(**record)
        assert info.id == record["id"]
        if "safetensors" in record:
            assert info.safetensors.total == record["safetensors"]["total"]
    path = tmp_path / "hub.jsonl.gz"
    assert write_jsonl(frame, path) == 1000
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        assert [json.loads(line) for line in lines] == records


# --------------------------------------------------------------------------------------------------
# Lineage
# --------------------------------------------------------------------------------------------------


def test_every_declared_parent_exists_and_is_older_than_its_child() -> None:
    frame = hub(20_000).frame
    anomalies = frame.attrs["anomalies"]
    assert sorted(anomalies) == sorted(ANOMALY_KINDS) and all(len(v) == 1 for v in anomalies.values())
    edges = edges_from_tags(frame)
    assert len(edges) > 5000
    created = dict(zip(frame["id"], frame["createdAt"]))
    missing = edges[~edges["parent"].isin(created)]
    assert set(missing["child"]) == set(anomalies["missing_parent"])
    deliberate = anomalies["self_loop"] + anomalies["cycle"]
    real = edges[edges["parent"].isin(created) & ~edges["child"].isin(deliberate)]
    assert (real["parent"] != real["child"]).all()
    parent_time, child_time = real["parent"].map(created), real["child"].map(created)
    assert (parent_time <= child_time).all()
    # Equal only for the legacy stamp shared by everything older than 2022-03
    assert (parent_time[parent_time == child_time] == LEGACY_CREATED_AT).all()
    loops = edges[edges["child"] == edges["parent"]]
    assert set(loops["child"]) == set(anomalies["self_loop"])
    # A cycle: the model's declared parent declares the model
    parent_of = dict(zip(edges["child"], edges["parent"]))
    for model in anomalies["cycle"]:
        assert parent_of[parent_of[model]] == model


def test_relations_are_the_hubs_four_except_the_deliberate_unknown_one() -> None:
    frame = hub(20_000).frame
    edges = edges_from_tags(frame)
    odd = edges[~edges["relation"].isin(RELATIONS)]
    assert set(odd["relation"]) == {"distillation"}
    assert set(odd["child"]) == set(frame.attrs["anomalies"]["unknown_relation"])
    counts = edges["relation"].value_counts()
    assert set(RELATIONS) <= set(counts.index)
    # Merges list 2 or 3 parents; every parent has both the plain tag and the relation tag
    merges = edges[edges["relation"] == "merge"].groupby("child").size()
    assert merges.between(2, 3).all()
    for tags in frame["tags"]:
        plain = {t.split(":", 1)[1] for t in tags if t.startswith("base_model:") and t.count(":") == 1}
        related = {t.split(":", 2)[2] for t in tags if t.startswith("base_model:") and t.count(":") == 2}
        assert plain == related


def test_card_data_agrees_with_the_tags_or_is_deliberately_malformed() -> None:
    frame = hub(20_000).frame
    anomalies = frame.attrs["anomalies"]
    by_id = frame.set_index("id")
    tag_parents = edges_from_tags(frame).groupby("child")["parent"].apply(list)
    checked = 0
    for child, parents in tag_parents.items():
        card = by_id.at[child, "cardData"]
        if not isinstance(card, str):
            continue  # a tags-only edge (the Hub keeps the tags even without a card)
        body = json.loads(card)
        if "base_model" not in body:
            # a tags-only edge whose card holds nothing but a deliberately odd license name
            assert child in {*anomalies["unicode_tags"], *anomalies["hostile_license"]} and set(body) == {
                "license_name"
            }
            continue
        declared = body["base_model"]
        if child in anomalies["duplicated_list"]:
            assert declared == parents * 3
        elif len(parents) == 1:
            assert declared == parents[0]
        else:
            assert declared == parents
        checked += 1
    assert checked > 3000
    for child in anomalies["url_base_model"]:
        assert json.loads(by_id.at[child, "cardData"])["base_model"].startswith("https://huggingface.co/")
        assert child not in tag_parents.index
    for child in anomalies["non_string_base_model"]:
        assert not isinstance(json.loads(by_id.at[child, "cardData"])["base_model"], str)
    hostile = by_id.loc[anomalies["hostile_license"][0]]
    assert "license:<script>alert('license')</script>" in hostile["tags"]
    assert "<img" in json.loads(hostile["cardData"])["license_name"]


def test_the_truth_holds_undeclared_parents_too() -> None:
    synthetic = hub(20_000)
    truth, frame = synthetic.truth, synthetic.frame
    assert set(truth.columns) == {"child", "parent", "relation", "declared"}
    assert truth["parent"].isin(set(frame["id"])).all()
    assert 0.3 < truth["declared"].mean() < 0.6
    declared = truth[truth["declared"]]
    tag_edges = set(map(tuple, edges_from_tags(frame)[["child", "parent"]].to_numpy()))
    assert set(map(tuple, declared[["child", "parent"]].to_numpy())) <= tag_edges
    # Depth: fine-tunes of fine-tunes of fine-tunes exist
    parent_of = dict(zip(truth["child"], truth["parent"]))
    depth = max(_depth(child, parent_of) for child in truth["child"])
    assert depth >= 3


def _depth(child: str, parent_of: dict[str, str]) -> int:
    d = 0
    while child in parent_of and d < 50:
        child = parent_of[child]
        d += 1
    return d


def test_quantized_repos_report_gguf_totals_or_packed_safetensors() -> None:
    synthetic = hub(20_000)
    frame = synthetic.frame.set_index("id")
    truth = synthetic.truth[synthetic.truth["relation"] == "quantized"]
    st_total = frame["safetensors"].map(lambda s: json.loads(s)["total"] if isinstance(s, str) else None)
    gguf_total = frame["gguf"].map(lambda s: json.loads(s)["total"] if isinstance(s, str) else None)
    gguf = truth[truth["child"].str.contains("(?i)gguf") & truth["child"].map(gguf_total).notna()]
    ratio = gguf["child"].map(gguf_total) / gguf["parent"].map(st_total)
    assert len(ratio.dropna()) > 100 and ratio.dropna().between(0.96, 1.04).all()
    assert (ratio.dropna() == 1).mean() > 0.7  # mostly exactly the true size
    awq = truth[truth["child"].str.contains("(?i)-awq") & truth["child"].map(st_total).notna()]
    packed = (awq["child"].map(st_total) / awq["parent"].map(st_total)).dropna()
    assert len(packed) > 10 and packed.between(0.15, 0.56).all()


# --------------------------------------------------------------------------------------------------
# Realism: shares measured on the real Hub metadata
# --------------------------------------------------------------------------------------------------


@cache
def real_top_downloads(root: Path) -> pd.DataFrame:
    frame = pd.read_csv(
        root / "hf-top-downloads-2024-09" / "hf_models.csv", usecols=["modelId", "downloads", "tags", "pipeline_tag"]
    )
    frame["tags"] = frame["tags"].map(ast.literal_eval)
    return frame


@pytest.mark.shared_data
def test_size_tokens_are_as_common_as_on_the_real_hub(shared_data: Path) -> None:
    # Real: every text-generation model on the Hub on 2023-07-19 (the Constellation paper's list,
    # constellation/HuggingFaceLLMsWithParamsAndReadmeLinks.csv). Synthetic: its text-generation models
    # created up to that day.
    real = pd.read_csv(shared_data / "constellation" / "HuggingFaceLLMsWithParamsAndReadmeLinks.csv")
    real_share = names(real["link"].str.replace("https://huggingface.co/", "")).str.contains(SIZE_TOKEN).mean()
    frame = hub(20_000).frame
    early = frame[(frame["createdAt"] <= "2023-07-19T23:59:59.000Z") & (frame["pipeline_tag"] == "text-generation")]
    assert len(early) > 200
    synthetic_share = names(early["id"]).str.contains(SIZE_TOKEN).mean()
    assert abs(synthetic_share - real_share) < 0.08, (synthetic_share, real_share)


@pytest.mark.shared_data
def test_popular_models_have_the_real_shares_of_lineage_quantizations_and_sizes(shared_data: Path) -> None:
    # Real: the most-downloaded text-generation models of 2024-09-20
    # (hf-top-downloads-2024-09/hf_models.csv, everything above 1,193 downloads in 30 days).
    # Synthetic: its text-generation models above the same download threshold.
    real = real_top_downloads(shared_data)
    threshold = real["downloads"].min()
    real = real[real["pipeline_tag"] == "text-generation"]
    frame = hub(20_000).frame
    top = frame[(frame["downloads"] >= threshold) & (frame["pipeline_tag"] == "text-generation")]
    assert 150 < len(top) < 0.05 * len(frame)
    shares = {
        "lineage": (has_lineage(real).mean(), has_lineage(top).mean(), 0.1),
        "quantized": (
            quantized_leaf(real["modelId"], real["tags"]).mean(),
            quantized_leaf(top["id"], top["tags"]).mean(),
            0.08,
        ),
        "size": (
            names(real["modelId"]).str.contains(SIZE_TOKEN).mean(),
            names(top["id"]).str.contains(SIZE_TOKEN).mean(),
            0.1,
        ),
    }
    for what, (real_share, synthetic_share, tolerance) in shares.items():
        assert abs(synthetic_share - real_share) < tolerance, (what, synthetic_share, real_share)


def test_about_sixty_percent_of_models_declare_no_lineage() -> None:
    # The Hub-wide figure from the issue (about 60 % of models declare no base model); the files in
    # ../shared/data hold only popular or lineage-selected models, so they cannot measure it.
    frame = hub(20_000).frame
    assert 0.33 < has_lineage(frame).mean() < 0.47
    # while most of the undeclared still show their family in the name
    undeclared = names(frame.loc[~has_lineage(frame), "id"])
    assert undeclared.str.contains(SIZE_TOKEN).mean() > 0.25


def test_names_carry_real_families_orgs_and_quantizer_accounts() -> None:
    frame = hub(20_000).frame
    ids = set(frame["id"])
    for real_id in (
        "meta-llama/Meta-Llama-3-8B-Instruct",
        "mistralai/Mistral-7B-v0.1",
        "Qwen/Qwen2.5-7B-Instruct",
        "openai-community/gpt2",
        "google/gemma-2-2b-it",
    ):
        assert real_id in ids
    authors = frame["author"].value_counts()
    for account in ("mradermacher", "bartowski", "unsloth", "mlx-community", "TheBloke"):
        assert authors.get(account, 0) > 20, account
    name = names(frame["id"])
    for pattern in (
        r"-GGUF$",
        r"-AWQ$",
        r"-GPTQ",
        r"-bnb-4bit$",
        r"exl2",
        r"-4bit$",
        r"lora",
        r"slerp|ties",
        r"8x7B",
        r"\d+B-A\d+B",
        r"-Instruct",
        r"-it\b",
        r"-v0\.\d",
        r"(?i)\d_\d+b",
    ):
        assert name.str.contains(pattern).sum() >= 3, pattern
    assert "synthetic" not in {t for tags in frame["tags"] for t in tags}


# --------------------------------------------------------------------------------------------------
# The Hub's shape at scale, against the largest real list (hf-models-2022-10: 74,902 owned ids of 2022-10-01,
# every modality). The synthetic Hub of the same size is compared statistic by statistic; each tolerance is
# stated with its statistic. Measured 2026-12-05: real → synthetic (75k, seed 0).
# --------------------------------------------------------------------------------------------------

REAL_HUB_SIZE = 75_000


def name_statistics(ids: pd.Series) -> dict[str, float]:
    """How names repeat: the share of distinct names after the owner (case-insensitive, as the Hub compares
    them), the share of those names held by two or more owners, owners per model, the share of owners with a
    single model, and the share of the most common name."""
    owner = ids.str.split("/", n=1).str[0]
    name = names(ids).str.lower()
    per_name = name.value_counts()
    per_owner = owner.value_counts()
    return {
        "distinct names": len(per_name) / len(ids),
        "names shared across owners": float((per_name >= 2).mean()),
        "owners per model": len(per_owner) / len(ids),
        "owners with one model": float((per_owner == 1).mean()),
        "most common name": per_name.iloc[0] / len(ids),
    }


def download_statistics(downloads: pd.Series) -> dict[str, float]:
    d = downloads.fillna(0).to_numpy(dtype=np.float64)
    top = np.sort(d)[::-1][: len(d) // 100]
    return {
        "no downloads": float((d == 0).mean()),
        "100+ downloads": float((d >= 100).mean()),
        "10k+ downloads": float((d >= 10_000).mean()),
        "top 1 % share of downloads": float(top.sum() / d.sum()),
    }


@cache
def real_hub(root: Path) -> pd.DataFrame:
    frame = pd.read_parquet(root / "hf-models-2022-10" / "model_info.parquet", columns=["modelId", "downloads"])
    return frame[frame["modelId"].str.contains("/", regex=False)].reset_index(drop=True)


@pytest.mark.shared_data
def test_names_and_owners_repeat_as_on_the_real_hub_of_the_same_size(shared_data: Path) -> None:
    real = name_statistics(real_hub(shared_data)["modelId"])
    synthetic = name_statistics(hub(REAL_HUB_SIZE).frame["id"])
    tolerance = {
        "distinct names": 0.03,  # 0.813 → 0.828
        "names shared across owners": 0.03,  # 0.048 → 0.062
        "owners per model": 0.05,  # 0.273 → 0.286
        "owners with one model": 0.06,  # 0.645 → 0.623
    }
    for statistic, within in tolerance.items():
        assert abs(synthetic[statistic] - real[statistic]) < within, (statistic, synthetic[statistic], real[statistic])
    # A tutorial default heads the list on both (`test`: 0.77 % real, about 1.25 % synthetic)
    assert 0.5 < synthetic["most common name"] / real["most common name"] < 2.0, synthetic["most common name"]


@pytest.mark.shared_data
def test_downloads_have_the_real_hubs_tail(shared_data: Path) -> None:
    # 30-day downloads. The real list is of 2022, before quantizer accounts, so the tail differs most at 10k+.
    real = download_statistics(real_hub(shared_data)["downloads"])
    synthetic = download_statistics(hub(REAL_HUB_SIZE).frame["downloads"])
    tolerance = {
        "no downloads": 0.07,  # 0.447 → 0.484
        "100+ downloads": 0.02,  # 0.078 → 0.087
        "top 1 % share of downloads": 0.02,  # 0.979 → 0.980
    }
    for statistic, within in tolerance.items():
        assert abs(synthetic[statistic] - real[statistic]) < within, (statistic, synthetic[statistic], real[statistic])
    ratio = synthetic["10k+ downloads"] / real["10k+ downloads"]  # 0.99 % → 0.84 %
    assert 1 / 3 < ratio < 3, synthetic["10k+ downloads"]


@pytest.mark.shared_data
def test_popular_models_have_the_real_relation_mix(shared_data: Path) -> None:
    # Real: the relations declared by the most-downloaded models of 2024-09-20 (hf-top-downloads-2024-09:
    # finetune 652, quantized 671, merge 248, adapter 233). Synthetic: its models above the same threshold.
    real = real_top_downloads(shared_data)
    frame = hub(REAL_HUB_SIZE).frame
    top = frame[frame["downloads"] >= real["downloads"].min()]
    real_mix = edges_from_tags(real.rename(columns={"modelId": "id"}))["relation"].value_counts(normalize=True)
    synthetic_mix = edges_from_tags(top)["relation"].value_counts(normalize=True)
    # real quantized 0.37, finetune 0.36, merge 0.14, adapter 0.13 → synthetic 0.37, 0.41, 0.11, 0.12
    for relation in sorted(RELATIONS):
        assert abs(synthetic_mix.get(relation, 0) - real_mix[relation]) < 0.07, (relation, synthetic_mix, real_mix)


def tag_mix_distance(real: pd.Series, synthetic: pd.Series) -> tuple[float, pd.DataFrame]:
    """Total variation distance between two pipeline-tag mixes (no tag counts as a tag of its own): half the
    sum of the share differences, 0 for the same mix, 1 for disjoint ones. Also the mixes, side by side."""
    both = pd.concat(
        [
            real.fillna("").value_counts(normalize=True).rename("real"),
            synthetic.fillna("").value_counts(normalize=True).rename("synthetic"),
        ],
        axis=1,
    ).fillna(0.0)
    return float((both["real"] - both["synthetic"]).abs().sum() / 2), both.sort_values("real", ascending=False)


@pytest.mark.shared_data
def test_popular_models_have_the_real_pipeline_tag_mix(shared_data: Path) -> None:
    # Real: pipeline tags of the most-downloaded models of 2024-09-20 (hf-top-downloads-2024-09, 9,715 models):
    # text-generation 0.40, none 0.12, text-to-image 0.10, image-classification 0.06, text-classification 0.05.
    # Synthetic above the same download threshold (75k, seed 0; measured 2026-12-05): text-generation 0.41,
    # none 0.13, text-to-image 0.06, image-classification 0.05, text-classification 0.05; distance 0.116
    # (seeds 1-3: 0.100, 0.112, 0.105). Before the other tasks were fitted: text-generation 0.80, distance 0.48.
    # What is left is mostly not modelled: 2025-26 multimodal models the 2024 list cannot hold
    # (image-text-to-text 0.05 against 0.01) and the real list's long tail (about 0.03 in tags such as
    # image-to-image, depth-estimation, text-to-video that no synthetic family has).
    real = real_top_downloads(shared_data)
    frame = hub(REAL_HUB_SIZE).frame
    top = frame[frame["downloads"] >= real["downloads"].min()]
    distance, mix = tag_mix_distance(real["pipeline_tag"], top["pipeline_tag"])
    assert distance < 0.15, (distance, mix.head(8).to_dict())
    # Each of the ten most common real tags is there in about its real share
    for tag, row in mix.head(10).iterrows():
        assert 0.4 < row["synthetic"] / row["real"] < 2.5, (tag, row.to_dict())


@cache
def real_hub_tasks(root: Path) -> pd.Series:
    tasks = pd.read_parquet(root / "hf-models-2022-10" / "model_info.parquet", columns=["task_category"])
    return tasks["task_category"].replace("unknown", None)


@pytest.mark.shared_data
def test_the_whole_hub_of_2022_has_the_real_pipeline_tag_mix(shared_data: Path) -> None:
    # Real: the task of every model on the Hub on 2022-10-01 (hf-models-2022-10, 74,970 models; "unknown" is no
    # tag): none 0.35, text-classification 0.14, text-generation 0.08, text2text-generation 0.08,
    # token-classification 0.06, fill-mask 0.06, automatic-speech-recognition 0.06. Synthetic: its models
    # created by that day (75k, seed 0: 7,548 models): none 0.32, text-generation 0.17, text-classification
    # 0.13, token-classification 0.06, fill-mask 0.05, text2text-generation 0.04; distance 0.175 (seeds 1-3:
    # 0.178, 0.173, 0.178; 0.675 before the other tasks were fitted). The tolerance, 0.22, leaves room for
    # what is not modelled: reinforcement-learning (0.034, the Deep RL course), conversational (0.020, a tag
    # the Hub has since dropped) and tabular tasks (0.008) are 0.06 of the real mix, and huggingtweets' 3,204
    # text generators are 0.04 of it.
    frame = hub(REAL_HUB_SIZE).frame
    early = frame[frame["createdAt"] <= "2022-10-01T23:59:59.000Z"]
    assert len(early) > 3000
    distance, mix = tag_mix_distance(real_hub_tasks(shared_data), early["pipeline_tag"])
    assert distance < 0.22, (distance, mix.head(8).to_dict())
    # The encoders' era: classifiers, not chat models, lead the tagged models
    assert mix.at["text-classification", "synthetic"] > 0.1 and mix.at["text-generation", "synthetic"] < 0.25


def test_the_mix_of_tasks_does_not_drift_with_the_hubs_size() -> None:
    # Each family draws the same share of children however many of its bases are kept (20k keeps 80 language
    # model bases of 291) and however many composed bases join them.
    distance, mix = tag_mix_distance(hub(20_000).frame["pipeline_tag"], hub(REAL_HUB_SIZE).frame["pipeline_tag"])
    assert distance < 0.06, (distance, mix.head(8).to_dict())


def test_the_other_tasks_are_named_for_their_task() -> None:
    frame = hub(20_000).frame
    name = names(frame["id"]).str.lower()
    tasks = frame["pipeline_tag"]
    for task, pattern in (
        ("text-to-image", r"sd|stable-diffusion|flux|pony|lora|anime|realistic|style|pixel"),
        ("sentence-similarity", r"minilm|mpnet|bge|embed|retriev|e5|st\b"),
        ("automatic-speech-recognition", r"whisper|wav2vec2|xls|asr|ctc"),
        ("image-classification", r"vit|resnet|swin|convnext|image|classifier|food|xray"),
    ):
        rows = name[tasks == task]
        assert len(rows) > 30, task
        assert rows.str.contains(pattern).mean() > 0.5, (task, rows.head(5).tolist())
    # An embedding model or a classifier does not look like an 8B chat model: no size token, no chat tuning
    other = ~tasks.isin(["text-generation", "image-text-to-text"]) & tasks.notna()
    assert names(frame.loc[other, "id"]).str.contains(SIZE_TOKEN).mean() < 0.05
    assert not names(frame.loc[other, "id"]).str.contains(r"(?i)-(?:dpo|orpo|GGUF|AWQ|GPTQ)\b").any()


def test_the_share_of_distinct_names_falls_slowly_as_the_hub_grows() -> None:
    # The real trend (hf-models-2022-10): 0.861 in a 15k sample, 0.829 at 47.8k, 0.813 at 74,970; about 0.78
    # expected at 300k and 0.72 at 3M. Before composed bases, tutorial defaults and training tags the synthetic
    # Hub fell from 0.88 at 15k to 0.67 at 300k. Measured now: 0.893 at 5k, 0.852 at 40k.
    small, large = (name_statistics(hub(n).frame["id"])["distinct names"] for n in (5_000, 40_000))
    assert 0.83 < large < small < 0.92
    assert 0.01 < small - large < 0.07


def test_the_pool_of_bases_grows_with_the_hub() -> None:
    from fakehub.synthetic import _Builder
    from fakehub.synthetic_names import BASES, FAMILIES

    builder = _Builder(300_000, seed=0)
    real = {b.id for b in BASES}
    composed = [b for b in builder.bases if b.id not in real]
    assert len(builder.bases) == 300_000 // 250 and len(composed) == len(builder.bases) - len(BASES)
    assert len({b.id.lower() for b in builder.bases}) == len(builder.bases)
    sizes = {(b.family, b.size, b.params) for b in BASES}
    for b in composed:
        assert b.family in FAMILIES and (b.family, b.size, b.params) in sizes, b
        assert REPO_NAME.match(b.id.split("/")[1]) and b.size in b.id and b.created <= "2026-10-02", b
        assert b.parent is None and 1 <= b.popularity <= 8
