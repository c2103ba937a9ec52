"""map_atlas end to end: output columns (docs/data.md), edge cases, determinism, config, and storage."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from constellation.atlas.communities import UNMATCHED_LABEL
from constellation.atlas.hierarchy import atlas_tree, community_tree
from constellation.atlas.stage import (
    AtlasConfig,
    _clusters_per_community,
    _top_family,
    map_atlas,
    map_names,
    similarity_edges,
)
from constellation.contract import EDGE_COLUMNS, DataLayout
from constellation.errors import AtlasError
from constellation.store import AtlasTables, read_atlas, write_atlas

FAMILIES = ["Llama-2-7b", "Mistral-7B-Instruct-v0.2", "Qwen2.5-1.5B-Instruct", "gemma-2-9b-it", "phi-3-mini-4k"]
SUFFIXES = ["", "-GGUF", "-AWQ", "-lora", "-sft", "-dpo", "-Q4_K_M", "-medical", "-chat", "-v2"]
NO_LINEAGE = pd.DataFrame(columns=list(EDGE_COLUMNS))


def hub_models() -> pd.DataFrame:
    ids = [f"user{i}/{f}{s}" for i, (f, s) in enumerate((f, s) for f in FAMILIES for s in SUFFIXES)]
    ids += ["huggingtweets/elonmusk", "someone/🤗", "x/中文-模型"]
    n = len(ids)
    return pd.DataFrame(
        {
            "id": ids,
            "downloads": np.arange(n, 0, -1, dtype=np.int64) * 10,
            "likes": np.arange(n, dtype=np.int64),
            "family": [f"fam/{f}" for f in FAMILIES for _ in SUFFIXES] + [None, None, None],
        }
    )


@pytest.fixture(scope="module")
def mapped():
    return map_atlas(hub_models(), NO_LINEAGE, AtlasConfig())


def test_models_gain_the_atlas_columns(mapped):
    models = mapped.models
    assert models["id"].tolist() == hub_models()["id"].tolist()
    assert str(models["community"].dtype) == "int64" and str(models["cluster"].dtype) == "int64"
    assert models["x"].dtype == np.float32 and models["y"].dtype == np.float32
    assert models["community_label"].notna().all()
    # each family is one community, labelled by its name's tokens
    first = models[models["id"].str.contains("Llama-2-7b")]
    assert first["community"].nunique() == 1
    assert first["community_label"].iloc[0] == "Llama 2 · 7B"  # the family its members share (signatures.py)


def test_names_without_similar_names_share_the_catch_all_community(mapped):
    loners = mapped.models[mapped.models["id"].isin(["huggingtweets/elonmusk", "someone/🤗", "x/中文-模型"])]
    assert loners["community"].nunique() == 1
    assert (loners["community_label"] == UNMATCHED_LABEL).all()
    row = mapped.communities[mapped.communities["community"] == loners["community"].iloc[0]]
    assert bool(row["unmatched"].iloc[0]) and int(row["size"].iloc[0]) == 3
    assert mapped.report["communities"]["models_without_similar_names"] == 3


def test_communities_table(mapped):
    table = mapped.communities
    assert table["community"].tolist() == list(range(len(table)))
    assert table["size"].sum() == len(mapped.models)
    assert table["downloads"].sum() == hub_models()["downloads"].sum()
    assert {"label", "likes", "top_family", "top_family_share", "top_terms", "representative", "x", "y"} <= set(table)
    llama = table[table["label"] == "Llama 2 · 7B"].iloc[0]
    assert llama["top_family"] == "fam/Llama-2-7b" and llama["top_family_share"] == 1.0
    assert llama["representative"] == "user0/Llama-2-7b"  # the most downloaded


def test_similarity_edges(mapped):
    edges = mapped.edges
    assert list(edges.columns) == list(EDGE_COLUMNS)
    assert (edges["kind"] == "similarity").all() and edges["relation"].isna().all()
    assert edges["weight"].between(AtlasConfig().min_similarity, 1.0 + 1e-6).all()
    ids = set(hub_models()["id"])
    assert set(edges["source"]) <= ids and set(edges["target"]) <= ids
    assert not (edges["source"] == edges["target"]).any()
    assert not edges.duplicated(["source", "target"]).any()


def test_a_name_stage_run_ahead_gives_the_same_atlas_and_its_edges_made_ahead_are_used(mapped):
    # build.py runs the name stage and makes its similarity edges while the genealogy runs
    models = hub_models()
    part = map_names(models, AtlasConfig())
    edges = similarity_edges(models["id"], part.graph)
    ahead = map_atlas(models, NO_LINEAGE, AtlasConfig(), names_part=part, similar_edges=edges)
    assert ahead.edges is edges
    pd.testing.assert_frame_equal(ahead.edges, mapped.edges)
    pd.testing.assert_frame_equal(ahead.models, mapped.models)
    with pytest.raises(AtlasError, match="similarity edges were given"):
        map_atlas(models, NO_LINEAGE, AtlasConfig(), names_part=part, similar_edges=edges.iloc[1:])


def test_report_records_what_ran(mapped):
    report = mapped.report
    assert report["communities"]["algorithm"] == "multilevel"  # "auto": igraph's Louvain at every size
    assert report["communities"]["lineage_weight"] == 8.0 and report["communities"]["lineage_edges_in_graph"] == 0
    assert report["knn"]["method"] == "exact" and report["knn"]["minhash_keys"] is None
    assert "recall_on_sample" not in report["knn"]  # exact search needs no recall check
    assert report["hierarchy"]["atlas_tree_over"] == "models"
    assert set(report["timings_s"]) == {
        "features",
        "knn",
        "signatures",
        "name graph",
        "communities",
        "labels",
        "hierarchy",
        "layout",
        "tables",
    }


def test_same_config_same_atlas(mapped):
    again = map_atlas(hub_models(), NO_LINEAGE, AtlasConfig())
    pd.testing.assert_frame_equal(mapped.models, again.models)
    pd.testing.assert_frame_equal(mapped.communities, again.communities)


def test_windowed_knn_and_igraph_above_their_bounds():
    config = AtlasConfig(exact_knn_max=10, exact_linkage_max=10, community_algorithm="auto", knn_recall_sample=20)
    result = map_atlas(hub_models(), NO_LINEAGE, config)
    knn = result.report["knn"]
    assert knn["method"] == "windowed" and 0 < knn["recall_on_sample"] <= 1 and knn["recall_sample_size"] == 20
    assert (knn["minhash_keys"], knn["graph_passes"], knn["window"]) == (4, 1, 256)
    assert "knn_recall" in result.report["timings_s"]
    assert result.report["communities"]["algorithm"] == "multilevel"
    assert result.report["hierarchy"]["atlas_tree_over"] == "communities"
    first = result.models[result.models["id"].str.contains("Qwen2.5")]
    assert first["community"].nunique() == 1


def test_recall_check_can_be_turned_off():
    config = AtlasConfig(exact_knn_max=10, exact_linkage_max=10, knn_recall_sample=0)
    report = map_atlas(hub_models(), NO_LINEAGE, config).report
    assert report["knn"]["method"] == "windowed" and "recall_on_sample" not in report["knn"]


def test_declared_lineage_edges_join_communities_by_default_and_weight_0_is_names_only():
    models = pd.DataFrame(
        {"id": ["a/alpha-base", "b/alpha-base-sft", "c/zeta-model", "d/zeta-model-dpo"], "downloads": [4, 3, 2, 1]}
    )
    lineage = pd.DataFrame({"source": ["a/alpha-base"], "target": ["c/zeta-model"], "kind": ["declared"]})
    plain = map_atlas(models, lineage, AtlasConfig(lineage_weight=0.0))
    alone = map_atlas(models, NO_LINEAGE, AtlasConfig())
    # Resolution 1.0: at "auto" (1.75 with a family kept whole) four models are too few to stay one community.
    joined = map_atlas(models, lineage, AtlasConfig(lineage_weight=5.0, resolution=1.0))
    assert plain.models["community"].tolist() == alone.models["community"].tolist() == [0, 0, 1, 1]
    assert plain.report["communities"]["lineage_edges_in_graph"] == 0
    assert joined.report["communities"]["lineage_edges_in_graph"] == 1
    assert joined.models["community"].tolist() == [0, 0, 0, 0]
    assert (joined.edges["kind"] == "similarity").all()  # lineage edges are not re-emitted as similarity
    pd.testing.assert_frame_equal(joined.edges, plain.edges)


def test_inferred_lineage_edges_pull_by_their_confidence():
    # Two name pairs; a child of each pair declares (or is inferred to have) a parent in the other pair.
    models = pd.DataFrame(
        {"id": ["a/alpha-base", "b/alpha-base-sft", "c/zeta-model", "d/zeta-model-dpo"], "downloads": [4, 3, 2, 1]}
    )

    def inferred(confidence: float) -> pd.DataFrame:
        return pd.DataFrame(
            {"source": ["a/alpha-base"], "target": ["c/zeta-model"], "kind": ["inferred"], "confidence": [confidence]}
        )

    strong = map_atlas(models, inferred(1.0), AtlasConfig(lineage_weight=5.0))
    weak = map_atlas(models, inferred(0.01), AtlasConfig(lineage_weight=5.0))
    assert strong.models["community"].tolist() == [0, 0, 0, 0]
    assert weak.models["community"].tolist() == [0, 0, 1, 1]
    assert strong.report["communities"]["lineage_edges_in_graph"] == 1


# One Llama family whose fine-tune is named after its purpose, and another family of that purpose's name.
FAMILY_IDS = [
    "meta/Llama-3.1-8B",
    "x/Llama-3.1-8B-Instruct",
    "y/Llama-3.1-8B-GGUF",  # declares nothing: its lineage is hidden, as in evaluation
    "med/clinical-notes-summarizer-v2",  # a fine-tune of meta/Llama-3.1-8B, named after its purpose
    "clin/clinical-notes-summarizer",
    "clin/clinical-notes-summarizer-gguf",
    "z/clinical-notes-summarizer-awq",
]
FAMILY_EDGES = pd.DataFrame(
    {
        "source": ["meta/Llama-3.1-8B"] * 2 + ["clin/clinical-notes-summarizer"] * 2,
        "target": [
            "x/Llama-3.1-8B-Instruct",
            "med/clinical-notes-summarizer-v2",
            "clin/clinical-notes-summarizer-gguf",
            "z/clinical-notes-summarizer-awq",
        ],
        "kind": ["declared"] * 4,
    }
)


def test_a_declared_family_stays_whole_and_a_child_without_lineage_joins_it_by_name():
    models = pd.DataFrame({"id": FAMILY_IDS, "downloads": [9, 8, 7, 6, 5, 4, 3]})
    # A weak lineage edge: on its own it loses the purpose-named fine-tune to the names it resembles.
    config = AtlasConfig(lineage_weight=1.0, brand_min_owners=3)
    kept = map_atlas(models, FAMILY_EDGES, config)
    split = map_atlas(models, FAMILY_EDGES, replace(config, keep_declared_families=False))
    assert kept.models["community"].tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert split.models["community"].tolist() == [1, 1, 1, 0, 0, 0, 0]
    assert kept.report["communities"]["declared_families_kept_whole"] == 2
    assert split.report["communities"]["declared_families_kept_whole"] == 0
    assert (kept.report["communities"]["resolution"], split.report["communities"]["resolution"]) == (1.75, 1.0)
    # The contracted family's community reads like the family, from its members' base-model signature.
    assert kept.communities["label"].tolist()[0] == "Llama 3.1 · 8B"


def test_names_only_ignores_declared_families():
    models = pd.DataFrame({"id": FAMILY_IDS, "downloads": [9, 8, 7, 6, 5, 4, 3]})
    names_only = map_atlas(models, FAMILY_EDGES, AtlasConfig(lineage_weight=0.0))
    without = map_atlas(models, FAMILY_EDGES, AtlasConfig(lineage_weight=0.0, keep_declared_families=False))
    pd.testing.assert_frame_equal(names_only.models, without.models)
    pd.testing.assert_frame_equal(names_only.communities, without.communities)
    assert names_only.models["community"].tolist() == [1, 1, 1, 0, 0, 0, 0]
    assert names_only.report["communities"]["declared_families_kept_whole"] == 0


def test_signatures_keep_one_brands_sizes_apart_and_pull_purpose_named_fine_tunes():
    # Fine-tunes named after their purpose look more like each other than like their base: by names alone,
    # each purpose pair is a community holding two sizes. Signatures regroup them by base model.
    ids = [
        "Qwen/Qwen2.5-7B",
        "unsloth/Qwen2.5-7B",
        "Qwen/Qwen2.5-72B",
        "unsloth/Qwen2.5-72B",
        "medlab/Qwen2.5-7B-clinical-notes-summarizer",
        "medlab/Qwen2.5-72B-clinical-notes-summarizer",
        "lawfirm/Qwen2.5-7B-legal-contract-reviewer",
        "lawfirm/Qwen2.5-72B-legal-contract-reviewer",
    ]
    models = pd.DataFrame({"id": ids, "downloads": [8, 7, 6, 5, 4, 3, 2, 1]})
    config = AtlasConfig(brand_min_owners=3, community_algorithm="louvain")
    names_only = map_atlas(models, NO_LINEAGE, replace(config, signature_weight=0.0, signature_conflict_factor=1.0))
    signed = map_atlas(models, NO_LINEAGE, config)
    assert names_only.models["community"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert signed.models["community"].tolist() == [0, 0, 1, 1, 0, 1, 0, 1]
    assert signed.communities["label"].tolist() == ["Qwen2.5 · 7B", "Qwen2.5 · 72B"]
    assert signed.report["communities"]["signatures"] == 2


@pytest.mark.parametrize(
    "ids",
    [
        ["gpt2"],
        ["gpt2", "distilgpt2"],
        ["a/llama-7b", "b/llama-7b-gguf", "c/llama-7b-awq"],
        ["🤗/🤗"],
        ["x/中文", "y/中文"],
    ],
)
def test_tiny_and_unicode_atlases(ids):
    result = map_atlas(pd.DataFrame({"id": ids}), NO_LINEAGE, AtlasConfig())
    assert len(result.models) == len(ids)
    assert result.models[["community", "cluster"]].notna().all().all()
    assert np.isfinite(result.models[["x", "y"]].to_numpy()).all()
    assert result.communities["size"].sum() == len(ids)
    for community in result.communities["community"]:
        _, labels = community_tree(result.hierarchy, int(community))
        assert len(labels) == int((result.models["community"] == community).sum())
    atlas_tree(result.hierarchy)


def test_unicode_twins_are_one_community():
    result = map_atlas(
        pd.DataFrame({"id": ["x/中文-llama", "y/中文-llama", "z/другая-модель"]}), NO_LINEAGE, AtlasConfig()
    )
    assert result.models.loc[0, "community"] == result.models.loc[1, "community"] != result.models.loc[2, "community"]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"id": pd.Series([], dtype=str)}), "there are no models to map"),
        (pd.DataFrame({"name": ["x"]}), "no 'id' column"),
        (pd.DataFrame({"id": ["a/b", "a/b"]}), "appear more than once, e.g. 'a/b'"),
        (pd.DataFrame({"id": ["a/b", None]}), "missing or not text"),
        # checked in Arrow when pandas holds the ids so (as a snapshot's), else value by value
        (pd.DataFrame({"id": pd.Series(["a/b", ""], dtype="str")}), "1 model ids are missing or not text"),
        (pd.DataFrame({"id": pd.Series(["a/b", ""], dtype=object)}), "1 model ids are missing or not text"),
        (pd.DataFrame({"id": pd.Series(["a/b", 7], dtype=object)}), "missing or not text, e.g. 7"),
        (pd.DataFrame({"id": pd.Series(["a/b", "c/d", "a/b"], dtype=object)}), "1 model ids appear more than once"),
        (pd.DataFrame({"id": pd.Series(["a/b", "c/d", "a/b"], dtype="str")}), "1 model ids appear more than once"),
    ],
)
def test_bad_models_get_clear_errors(frame, message):
    with pytest.raises(AtlasError, match=message):
        map_atlas(frame, NO_LINEAGE, AtlasConfig())


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (AtlasConfig(k=0), "k=0"),
        (AtlasConfig(community_algorithm="kmeans"), "community_algorithm='kmeans'"),
        (AtlasConfig(default_cut=0.4), "default_cut=0.4"),
        (AtlasConfig(resolution=0), "resolution=0"),
        (AtlasConfig(resolution="high"), "resolution='high': needs \"auto\" or a number"),  # type: ignore[arg-type]
        (AtlasConfig(word_weight=2), "word_weight=2"),
        (AtlasConfig(keep_declared_families="yes"), "keep_declared_families='yes': needs True or False"),  # type: ignore[arg-type]
        (AtlasConfig(knn_minhash_keys=-1), r"knn_minhash_keys=-1: needs an integer in \[0, 16\]"),
        (AtlasConfig(knn_minhash_keys=17), "knn_minhash_keys=17"),
        (AtlasConfig(knn_graph_passes=5), r"knn_graph_passes=5: needs an integer in \[0, 4\]"),
        (AtlasConfig(knn_graph_passes=True), "knn_graph_passes=True"),  # type: ignore[arg-type]
        (AtlasConfig(knn_recall_sample=-1), "knn_recall_sample=-1"),
        (AtlasConfig(knn_recall_sample=0.5), "knn_recall_sample=0.5"),  # type: ignore[arg-type]
        (AtlasConfig(knn_workers=-1), r"knn_workers=-1: needs 0 \(one per core\) or a number of processes up to 64"),
        (AtlasConfig(knn_workers=65), "knn_workers=65"),
        (AtlasConfig(knn_workers=1.5), "knn_workers=1.5"),  # type: ignore[arg-type]
    ],
)
def test_bad_config_gets_a_clear_error(config, message):
    with pytest.raises(AtlasError, match=message):
        map_atlas(hub_models(), NO_LINEAGE, config)


def test_auto_resolution_is_higher_only_when_declared_families_are_kept_whole():
    assert AtlasConfig().resolution == "auto"
    assert AtlasConfig().community_resolution(families_kept=True) == 1.75
    assert AtlasConfig().community_resolution(families_kept=False) == 1.0
    assert AtlasConfig(resolution=3).community_resolution(families_kept=True) == 3.0


def test_config_is_json_ready_for_build_json():
    import json

    text = json.dumps(AtlasConfig().as_dict(), sort_keys=True)
    assert '"lineage_weight": 8.0' in text and '"community_algorithm": "auto"' in text


def test_the_atlas_store_writes_and_reads_the_hierarchy(mapped, tmp_path):
    layout = DataLayout(tmp_path)
    tables = AtlasTables(
        "20260101T000000Z", mapped.models, mapped.edges, mapped.communities, {"x": 1}, mapped.hierarchy
    )
    write_atlas(layout, tables)
    back = read_atlas(layout, "20260101T000000Z")
    assert set(back.hierarchy) == set(mapped.hierarchy)
    linkage, labels = community_tree(back.hierarchy, 0)
    expected_linkage, expected_labels = community_tree(mapped.hierarchy, 0)
    assert np.array_equal(linkage, expected_linkage) and labels == expected_labels


def test_the_community_graph_holds_each_pair_once_at_its_largest_weight():
    from constellation.atlas.knn import KnnGraph
    from constellation.atlas.signatures import Signatures
    from constellation.atlas.stage import _graph_edges, name_graph

    # 0→1 and 1→0 similar at 0.5 and 0.25, 2→0 at 0.75; a declared lineage edge 1→0 weighs 8
    knn = KnnGraph(
        neighbors=np.array([[1], [0], [0]], dtype=np.int32),
        similarities=np.array([[0.5], [0.25], [0.75]], dtype=np.float32),
        method="exact",
    )
    lineage = pd.DataFrame({"source": ["b/y"], "target": ["a/x"], "kind": ["declared"]})
    none = Signatures(codes=np.full(3, -1), brand=np.full(3, -1), keys=[])
    config = AtlasConfig(signature_weight=0.0)
    edges = _graph_edges(name_graph(knn, none, np.zeros(3), config), pd.Series(["a/x", "b/y", "c/z"]), lineage, config)
    assert [(int(a), int(b), float(w)) for a, b, w in zip(*edges.graph)] == [(0, 1, 8.0), (0, 2, 0.75)]


def test_similar_rows_are_the_edges_as_rows_of_the_models(mapped):
    """AtlasMap.similar: the similarity edges of `edges`, in its order, their ends as rows of `models`."""
    sources, targets, weights = mapped.similar
    assert sources.dtype == np.int32 and targets.dtype == np.int32 and len(sources) == len(mapped.edges) > 0
    ids = mapped.models["id"].to_numpy(dtype=object)
    assert ids[sources].tolist() == mapped.edges["source"].tolist()
    assert ids[targets].tolist() == mapped.edges["target"].tolist()
    assert np.asarray(weights, dtype=np.float64).tolist() == mapped.edges["weight"].tolist()


def test_lineage_pairs_merged_into_the_name_pairs_equal_one_sort_of_all():
    from constellation.atlas.stage import _distinct_pairs, _union_max

    rng = np.random.default_rng(3)
    n = 50
    a, b = rng.integers(0, n, 400), rng.integers(0, n, 400)
    weight = rng.random(400)
    weight[::7] = 0.0  # pairs whose largest weight is 0 stay in the union; the graph drops them later
    split = 330  # the name pairs, then the lineage pairs, some of them the same pairs again
    merged = _union_max(
        *_distinct_pairs(a[:split], b[:split], weight[:split], n),
        *_distinct_pairs(a[split:], b[split:], weight[split:], n),
    )
    whole = _distinct_pairs(a, b, weight, n)
    np.testing.assert_array_equal(merged[0], whole[0])
    np.testing.assert_array_equal(merged[1], whole[1])
    empty = np.empty(0, dtype=np.int64)
    alone = _union_max(empty, np.empty(0), *whole)
    np.testing.assert_array_equal(alone[0], whole[0])


def test_name_graph_pairs_are_one_sort_of_the_similarity_and_signature_pairs():
    from constellation.atlas.knn import KnnGraph
    from constellation.atlas.signatures import Signatures, signature_edges
    from constellation.atlas.stage import _distinct_pairs, name_graph

    rng = np.random.default_rng(5)
    n, k = 60, 4
    neighbors = rng.integers(-1, n, (n, k)).astype(np.int32)
    knn = KnnGraph(neighbors, np.where(neighbors >= 0, rng.random((n, k)), 0).astype(np.float32), "windowed")
    codes = rng.integers(-1, 5, n)
    signatures = Signatures(codes=codes, brand=np.where(codes >= 0, codes // 2, -1), keys=[("b", "", "7b")] * 5)
    popularity = rng.random(n)
    config = AtlasConfig(signature_weight=0.6)
    graph = name_graph(knn, signatures, popularity, config)
    src, dst, weight = knn.pairs()
    weight = weight.astype(np.float64)
    members, heads = signature_edges(signatures, popularity, config.signature_representatives)
    keys, weights = _distinct_pairs(
        np.concatenate([src, members]),
        np.concatenate([dst, heads]),
        np.concatenate([weight, np.full(len(members), 0.6)]),
        n,
    )
    assert graph.signed == len(members) > 0
    np.testing.assert_array_equal(graph.keys, keys)
    np.testing.assert_array_equal(graph.weights, weights)


def _top_family_by_pandas(models: pd.DataFrame, membership: np.ndarray, n_communities: int):
    """_top_family as it counted the (community, family) pairs of strings in pandas before: the reference."""
    frame = pd.DataFrame({"community": membership, "family": models["family"].to_numpy()}).dropna()
    top: list = [None] * n_communities
    share = np.full(n_communities, np.nan)
    if frame.empty:
        return top, share
    counts = frame.value_counts(["community", "family"]).reset_index(name="n")
    counts = counts.sort_values(["community", "n", "family"], ascending=[True, False, True], kind="stable")
    sizes = np.bincount(membership, minlength=n_communities)
    for community, family, n in zip(*(counts.drop_duplicates("community")[c] for c in ("community", "family", "n"))):
        top[int(community)] = family
        share[int(community)] = n / sizes[int(community)]
    return top, share


@pytest.mark.parametrize("dtype", ["string", object, "str"])
def test_top_family_is_the_pandas_count_of_the_pairs(dtype):
    rng = np.random.default_rng(3)
    names = np.array(["llama", "Llama", "qwen", "é-family", "éa", "b", "", "mistral"], dtype=object)
    families = names[rng.integers(0, len(names), 2_000)]
    families[rng.random(2_000) < 0.2] = None
    membership = rng.integers(0, 40, 2_000)
    membership[membership == 7] = 8  # a community with no model: nothing to count
    models = pd.DataFrame({"family": pd.array(families, dtype=dtype) if dtype is not object else families})
    top, share = _top_family(models, membership, 41)
    expected_top, expected_share = _top_family_by_pandas(models, membership, 41)
    assert top == expected_top
    np.testing.assert_array_equal(share, expected_share)
    none = models.assign(family=pd.array([None] * 2_000, dtype="string"))
    assert _top_family(none, membership, 41)[0] == [None] * 41
    assert _top_family(models.drop(columns="family"), membership, 41)[0] == [None] * 41
    # Most families a model's own, as at 3M models: communities whose members all tie at one.
    own = np.array([f"user{i % 997}/m-{i}" for i in range(2_000)], dtype=object)
    own[(membership % 2 == 0) & (rng.random(2_000) < 0.3)] = "llama"  # odd communities: every member ties
    models = pd.DataFrame({"family": pd.array(own, dtype=dtype) if dtype is not object else own})
    top, share = _top_family(models, membership, 41)
    expected_top, expected_share = _top_family_by_pandas(models, membership, 41)
    assert top == expected_top
    np.testing.assert_array_equal(share, expected_share)


def test_clusters_per_community_counts_distinct_clusters():
    rng = np.random.default_rng(4)
    membership = rng.integers(0, 30, 5_000)
    clusters = rng.integers(0, 200, 5_000) + membership * 3
    expected = pd.Series(clusters).groupby(membership).nunique().to_numpy(dtype=np.int64)
    np.testing.assert_array_equal(_clusters_per_community(membership, clusters, 30), expected)
