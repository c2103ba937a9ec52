"""Exports: every format read back by pandas or networkx, filters, hostile strings, external parents."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from constellation.cli import main
from constellation.contract import EDGE_COLUMNS, DataLayout
from constellation.errors import ExportError
from constellation.export.select import ExportFilters, select, xml_safe
from constellation.export.writers import write_export
from constellation.store import AtlasTables, set_latest_atlas, write_atlas

SNAPSHOT = "20260726T021500Z"
T0 = pd.Timestamp("2026-07-01T12:00:00", tz="UTC")
# A name no XML parser accepts as is: NUL, a vertical tab, an escape, markup and a carriage return.
HOSTILE = "evil\x00name\x0b\x1b<&>\"'\r\n\tend \U0001f600"


def atlas_tables() -> AtlasTables:
    """Five models in two communities and two families, with one parent outside the snapshot."""
    models = pd.DataFrame(
        {
            "id": ["meta/llama-7b", "a/llama-7b-chat", "b/llama-7b-gguf", "c/qwen-1b", "d/hostile"],
            "author": ["meta", "a", "b", "c", "d"],
            "name": ["llama-7b", "llama-7b-chat", "llama-7b-gguf", "qwen-1b", HOSTILE],
            "downloads": pd.array([1000, 50, None, 7, 3], dtype="Int64"),
            "likes": pd.array([10, 1, 0, 0, 2], dtype="Int64"),
            "created_at": pd.Series([T0, T0, None, T0, T0], dtype="datetime64[us, UTC]"),
            "license": ["llama2", None, "llama2", "apache-2.0", "mit"],
            "tags": [["text-generation", "llama"], [], ["gguf"], None, ["a\x01b"]],
            "base_models": [
                [],
                [{"id": "meta/llama-7b", "relation": "finetune"}],
                [{"id": "a/llama-7b-chat", "relation": "quantized"}],
                [{"id": "qwen/qwen-base", "relation": None}],
                [],
            ],
            "params": pd.array([7_000_000_000, 7_000_000_000, None, 1_000_000_000, None], dtype="Int64"),
            "params_source": ["safetensors", "base_model", "name", "name", "none"],
            "family": ["meta/llama-7b", "meta/llama-7b", "meta/llama-7b", "qwen/qwen-base", "d/hostile"],
            "relation": [None, "finetune", "quantized", None, None],
            "community": np.array([0, 0, 0, 1, 1], dtype="int64"),
            "community_label": ["llama · 7b", "llama · 7b", "llama · 7b", "qwen · 1b", "qwen · 1b"],
            "cluster": np.array([3, 3, 4, 5, 5], dtype="int64"),
            "x": np.array([0.5, 0.25, -1.0, 2.0, np.nan], dtype="float32"),
            "y": np.array([1.0, 0.0, 0.5, -2.0, 1.5], dtype="float32"),
        }
    )
    edges = pd.DataFrame(
        [
            ("meta/llama-7b", "a/llama-7b-chat", "declared", "finetune", None, None, None),
            ("a/llama-7b-chat", "b/llama-7b-gguf", "declared", "quantized", None, None, None),
            ("qwen/qwen-base", "c/qwen-1b", "declared", None, None, None, None),
            ("meta/llama-7b", "b/llama-7b-gguf", "inferred", "quantized", 0.75, None, "same name + gguf"),
            ("meta/llama-7b", "a/llama-7b-chat", "similarity", None, None, 0.9, None),
            ("c/qwen-1b", "d/hostile", "similarity", None, None, 0.25, None),
            ("a/llama-7b-chat", "c/qwen-1b", "similarity", None, None, 0.125, None),
        ],
        columns=list(EDGE_COLUMNS),
    )
    communities = pd.DataFrame({"community": [0, 1], "label": ["llama · 7b", "qwen · 1b"], "size": [3, 2]})
    build = {"snapshot_id": SNAPSHOT, "synthetic": False, "config": {"seed": 42, "add_lineage_edges": False}}
    return AtlasTables(SNAPSHOT, models, edges, communities, build)


def written_atlas(root: Path) -> DataLayout:
    layout = DataLayout(root)
    write_atlas(layout, atlas_tables())
    set_latest_atlas(layout, SNAPSHOT)
    return layout


# --------------------------------------------------------------------------------------------------
# selection
# --------------------------------------------------------------------------------------------------


def test_select_everything_keeps_all_edges_and_flags_the_outside_parent():
    selection = select(atlas_tables())
    assert len(selection.models) == 5
    assert len(selection.edges) == 7
    assert selection.external == ["qwen/qwen-base"]
    assert selection.edges["key"].tolist() == [f"e{i}" for i in range(7)]
    assert selection.report["edges_dropped_by_filter"] == 0
    assert selection.report["edges_by_kind"] == {"declared": 3, "inferred": 1, "similarity": 3}


def test_filters_apply_to_nodes_and_edges_keep_both_ends_in():
    selection = select(atlas_tables(), ExportFilters(communities=(0,)))
    assert selection.models["id"].tolist() == ["meta/llama-7b", "a/llama-7b-chat", "b/llama-7b-gguf"]
    # the qwen lineage edge, qwen↔hostile and chat↔qwen similarity edges lose an end
    assert len(selection.edges) == 4
    assert selection.report["edges_dropped_by_filter"] == 3
    assert selection.report["edges_dropped_by_kind"] == {"declared": 1, "similarity": 2}
    assert selection.external == []


def test_family_and_min_downloads_combine_with_and():
    selection = select(atlas_tables(), ExportFilters(families=("meta/llama-7b", "qwen/qwen-base"), min_downloads=7))
    # b/llama-7b-gguf has unknown downloads, so it does not meet a minimum
    assert selection.models["id"].tolist() == ["meta/llama-7b", "a/llama-7b-chat", "c/qwen-1b"]
    assert selection.external == ["qwen/qwen-base"]
    assert sorted(map(tuple, selection.edges[["source", "target", "kind"]].values.tolist())) == [
        ("a/llama-7b-chat", "c/qwen-1b", "similarity"),
        ("meta/llama-7b", "a/llama-7b-chat", "declared"),
        ("meta/llama-7b", "a/llama-7b-chat", "similarity"),
        ("qwen/qwen-base", "c/qwen-1b", "declared"),
    ]


def test_edge_kind_filter():
    selection = select(atlas_tables(), ExportFilters(edge_kinds=("inferred",)))
    assert selection.edges["kind"].tolist() == ["inferred"]
    assert selection.report["edges_of_other_kinds"] == 6
    assert selection.external == []


def test_empty_selection_is_an_error_naming_the_filter():
    with pytest.raises(ExportError, match=r"no model of atlas .* matches downloads >= 5,000 .*5 models"):
        select(atlas_tables(), ExportFilters(min_downloads=5000))


def test_unknown_community_is_an_error_not_an_empty_file():
    with pytest.raises(ExportError, match="no community 7 in this atlas"):
        select(atlas_tables(), ExportFilters(communities=(0, 7)))


def test_unknown_edge_kind_and_negative_minimum_are_errors():
    with pytest.raises(ExportError, match="unknown edge kind"):
        ExportFilters(edge_kinds=("friendship",))
    with pytest.raises(ExportError, match="0 or more"):
        ExportFilters(min_downloads=-1)


def test_xml_safe_replaces_only_what_xml_cannot_hold():
    assert xml_safe("a\x00b\x0bc\td\ne\rf\ufffeg😀") == "a\ufffdb\ufffdc\td\ne\rf\ufffdg😀"


# --------------------------------------------------------------------------------------------------
# round-trips
# --------------------------------------------------------------------------------------------------


def test_parquet_round_trip_keeps_every_column_and_type(tmp_path):
    tables = atlas_tables()
    result = write_export(select(tables), "parquet", tmp_path / "out", progress=False)
    assert [p.name for p in result.paths] == ["models.parquet", "edges.parquet"]
    models = pd.read_parquet(tmp_path / "out" / "models.parquet")
    assert models.columns.tolist() == tables.models.columns.tolist()
    assert models["params"].tolist()[:2] == [7_000_000_000, 7_000_000_000]
    assert list(models.loc[1, "base_models"]) == [{"id": "meta/llama-7b", "relation": "finetune"}]
    assert models.loc[4, "name"] == HOSTILE
    edges = pd.read_parquet(tmp_path / "out" / "edges.parquet")
    assert edges.columns.tolist() == list(EDGE_COLUMNS)
    assert edges["weight"].dropna().tolist() == [0.9, 0.25, 0.125]


def test_csv_round_trip_with_lists_as_json_text(tmp_path):
    write_export(select(atlas_tables()), "csv", tmp_path / "out", progress=False, chunk_rows=2)
    models = pd.read_csv(tmp_path / "out" / "models.csv", keep_default_na=False, na_values=[""])
    assert len(models) == 5
    assert models["id"].tolist()[0] == "meta/llama-7b"
    assert models["params"].tolist()[:2] == [7_000_000_000, 7_000_000_000]
    assert json.loads(models.loc[1, "base_models"]) == [{"id": "meta/llama-7b", "relation": "finetune"}]
    assert json.loads(models.loc[0, "tags"]) == ["text-generation", "llama"]
    assert models.loc[1, "tags"] == "[]"
    assert pd.isna(models.loc[3, "tags"])
    assert models.loc[4, "name"] == HOSTILE  # CSV quotes it; nothing is lost
    edges = pd.read_csv(tmp_path / "out" / "edges.csv")
    assert len(edges) == 7
    assert edges["kind"].value_counts().to_dict() == {"declared": 3, "similarity": 3, "inferred": 1}


def _expected_chat_node() -> dict:
    return {
        "author": "a",
        "name": "llama-7b-chat",
        "downloads": 50,
        "likes": 1,
        "created_at": "2026-07-01T12:00:00+00:00",
        "tags": "[]",
        "base_models": '[{"id": "meta/llama-7b", "relation": "finetune"}]',
        "params": 7_000_000_000,
        "params_source": "base_model",
        "family": "meta/llama-7b",
        "relation": "finetune",
        "community": 0,
        "community_label": "llama · 7b",
        "cluster": 3,
        "x": 0.25,
        "y": 0.0,
        "external": False,
    }


def _check_graph(graph: nx.MultiDiGraph, *, hostile_name: str) -> None:
    assert graph.is_directed() and graph.is_multigraph()
    assert graph.number_of_nodes() == 6  # five models and the external parent
    assert graph.number_of_edges() == 7
    chat = {k: v for k, v in graph.nodes["a/llama-7b-chat"].items() if k not in ("label", "viz")}
    assert chat == _expected_chat_node()  # license is null, so absent
    assert graph.nodes["qwen/qwen-base"]["external"] is True
    assert "license" not in graph.nodes["a/llama-7b-chat"]
    assert "x" not in graph.nodes["d/hostile"]  # NaN is left out
    assert graph.nodes["d/hostile"]["name"] == hostile_name
    assert graph.nodes["d/hostile"]["tags"] == '["a\\u0001b"]'
    # both the declared and the similarity edge between the same two models survive
    between = list(graph.get_edge_data("meta/llama-7b", "a/llama-7b-chat").values())
    assert sorted(e["kind"] for e in between) == ["declared", "similarity"]
    similarity = next(e for e in between if e["kind"] == "similarity")
    assert similarity["weight"] == 0.9
    declared = next(e for e in between if e["kind"] == "declared")
    assert declared["relation"] == "finetune" and "weight" not in declared and "confidence" not in declared
    inferred = next(iter(graph.get_edge_data("meta/llama-7b", "b/llama-7b-gguf").values()))
    assert (inferred["kind"], inferred["confidence"], inferred["evidence"]) == ("inferred", 0.75, "same name + gguf")
    assert graph.has_edge("qwen/qwen-base", "c/qwen-1b")


XML_NAME = "evil\ufffdname\ufffd\ufffd<&>\"'\r\n\tend \U0001f600"


def test_graphml_round_trip(tmp_path):
    path = tmp_path / "atlas.graphml"
    write_export(select(atlas_tables()), "graphml", path, progress=False)
    graph = nx.read_graphml(path, force_multigraph=True)
    _check_graph(graph, hostile_name=XML_NAME)
    assert graph.graph["snapshot_id"] == SNAPSHOT
    assert json.loads(graph.graph["build_config"]) == {"add_lineage_edges": False, "seed": 42}


def test_gexf_round_trip_with_layout_positions(tmp_path):
    path = tmp_path / "atlas.gexf"
    write_export(select(atlas_tables()), "gexf", path, progress=False)
    graph = nx.read_gexf(path)
    _check_graph(graph, hostile_name=XML_NAME)
    assert graph.nodes["a/llama-7b-chat"]["viz"]["position"] == {"x": 0.25, "y": 0.0, "z": 0.0}
    assert graph.nodes["a/llama-7b-chat"]["label"] == "a/llama-7b-chat"


def test_node_link_json_round_trip_keeps_strings_exactly(tmp_path):
    path = tmp_path / "atlas.json"
    write_export(select(atlas_tables()), "json", path, progress=False)
    graph = nx.node_link_graph(json.loads(path.read_text(encoding="utf-8")))
    _check_graph(graph, hostile_name=HOSTILE)
    assert graph.graph["synthetic"] is False


def test_filtered_graph_export_counts(tmp_path):
    path = tmp_path / "c1.graphml"
    result = write_export(select(atlas_tables(), ExportFilters(communities=(1,))), "graphml", path, progress=False)
    graph = nx.read_graphml(path, force_multigraph=True)
    assert sorted(graph.nodes) == ["c/qwen-1b", "d/hostile", "qwen/qwen-base"]
    assert graph.number_of_edges() == result.edges == 2
    assert result.report["edges_dropped_by_filter"] == 5


def test_graph_format_refuses_a_folder_and_table_format_refuses_a_file(tmp_path):
    with pytest.raises(ExportError, match="is a folder"):
        write_export(select(atlas_tables()), "gexf", tmp_path, progress=False)
    (tmp_path / "f").write_text("x")
    with pytest.raises(ExportError, match="is a file"):
        write_export(select(atlas_tables()), "csv", tmp_path / "f", progress=False)


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def test_cli_exports_csv_folder_with_filter_report(tmp_path):
    root = tmp_path / "data"
    written_atlas(root)
    out = tmp_path / "exp"
    result = CliRunner().invoke(
        main,
        ["export", "--data-dir", str(root), "--format", "csv", "--out", str(out), "--community", "0", "--no-progress"],
    )
    assert result.exit_code == 0, result.output
    assert "exported 3 of 5 models (community 0)" in result.output
    assert "edges dropped because an end was filtered out: 3" in result.output
    assert len(pd.read_csv(out / "models.csv")) == 3
    assert len(pd.read_csv(out / "edges.csv")) == 4


def test_cli_graphml_no_edges_and_json(tmp_path):
    root = tmp_path / "data"
    written_atlas(root)
    out = tmp_path / "nodes.graphml"
    args = ["export", "--data-dir", str(root), "--no-progress"]
    result = CliRunner().invoke(main, [*args, "--format", "graphml", "--out", str(out), "--no-edges"])
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(out)
    assert graph.number_of_nodes() == 5 and graph.number_of_edges() == 0
    out = tmp_path / "lineage.json"
    result = CliRunner().invoke(
        main, [*args, "--format", "json", "--out", str(out), "--edge-kind", "declared", "--snapshot", SNAPSHOT]
    )
    assert result.exit_code == 0, result.output
    assert "external parents (not in the snapshot) added as nodes: 1" in result.output
    graph = nx.node_link_graph(json.loads(out.read_text()))
    assert graph.number_of_edges() == 3


def test_cli_empty_selection_is_a_clear_error_and_writes_nothing(tmp_path):
    root = tmp_path / "data"
    written_atlas(root)
    out = tmp_path / "none.gexf"
    result = CliRunner().invoke(
        main, ["export", "--data-dir", str(root), "--format", "gexf", "--out", str(out), "--family", "nobody/x"]
    )
    assert result.exit_code == 1
    assert "no family nobody/x in this atlas" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_cli_without_atlas_says_how_to_make_one(tmp_path):
    result = CliRunner().invoke(
        main, ["export", "--data-dir", str(tmp_path), "--format", "csv", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "no atlas in" in result.output


def test_cli_help_has_examples():
    result = CliRunner().invoke(main, ["export", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and "models.<ext>" in result.output


def test_every_format_exports_what_the_real_build_writes(tmp_path):
    """Whatever columns and dtypes the build stages produce, every format writes and reads back."""
    from constellation.build import build
    from tests.snapshot_factory import model_row, write_snapshot

    layout = DataLayout(tmp_path / "data")
    rows = [
        model_row("meta-llama/Llama-2-7b-hf", downloads=900, likes=40, license="llama2", created_at=T0),
        model_row(
            "TheBloke/Llama-2-7B-GGUF",
            downloads=300,
            base_models=[{"id": "meta-llama/Llama-2-7b-hf", "relation": "quantized"}],
        ),
        model_row("someone/llama-2-7b-lora", base_models=[{"id": "outside/base", "relation": "adapter"}]),
        model_row("Qwen/Qwen2.5-7B-Instruct", downloads=5, tags=["text-generation", "conversational"]),
    ]
    write_snapshot(layout, SNAPSHOT, rows)
    build(layout, SNAPSHOT)
    runner = CliRunner()
    targets = {"parquet": "p", "csv": "c", "graphml": "g.graphml", "gexf": "g.gexf", "json": "g.json"}
    for fmt, target in targets.items():
        out = tmp_path / target
        result = runner.invoke(
            main, ["export", "--data-dir", str(layout.root), "--format", fmt, "--out", str(out), "--no-progress"]
        )
        assert result.exit_code == 0, (fmt, result.output)
    assert len(pd.read_parquet(tmp_path / "p" / "models.parquet")) == 4
    assert len(pd.read_csv(tmp_path / "c" / "models.csv")) == 4
    declared = len(pd.read_parquet(tmp_path / "p" / "edges.parquet").query("kind == 'declared'"))
    assert declared == 2
    graphs = [
        nx.read_graphml(tmp_path / "g.graphml", force_multigraph=True),
        nx.read_gexf(tmp_path / "g.gexf"),
        nx.node_link_graph(json.loads((tmp_path / "g.json").read_text())),
    ]
    for graph in graphs:
        models = [n for n, external in graph.nodes(data="external") if not external]
        assert len(models) == 4
        assert graph.nodes["TheBloke/Llama-2-7B-GGUF"]["downloads"] == 300
        assert graph.has_edge("meta-llama/Llama-2-7b-hf", "TheBloke/Llama-2-7B-GGUF")


def test_integer_columns_read_back_as_floats_are_exported_as_integers(tmp_path):
    """pandas reads int64 with nulls as float64; params must not leave as 7e9 or as `double`."""
    tables = atlas_tables()
    tables.models["params"] = tables.models["params"].astype("float64")
    tables.models["params_safetensors"] = np.array([1.0, np.nan, 2.0, np.nan, np.nan])
    selection = select(tables)
    assert str(selection.models["params"].dtype) == "Int64"
    path = tmp_path / "a.graphml"
    write_export(selection, "graphml", path, progress=False)
    graph = nx.read_graphml(path, force_multigraph=True)
    assert graph.nodes["meta/llama-7b"]["params"] == 7_000_000_000
    assert isinstance(graph.nodes["meta/llama-7b"]["params"], int)
    assert graph.nodes["b/llama-7b-gguf"]["params_safetensors"] == 2
    write_export(selection, "parquet", tmp_path / "p", progress=False)
    assert str(pd.read_parquet(tmp_path / "p" / "models.parquet")["params"].dtype) in ("Int64", "int64")
