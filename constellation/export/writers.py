"""Exports, the I/O half: write a `Selection` as CSV, Parquet, GraphML, GEXF or node-link JSON.

Table formats write a folder holding `models.<ext>` and `edges.<ext>`. Graph formats write one file: a
directed multigraph whose node ids are model ids. Every writer streams: models and edges are converted
and written a chunk at a time (a whole-Hub graph as networkx objects would need tens of GB), behind one
progress bar. Each file is written under a temporary name and renamed into place when complete.

The XML is written by hand, not through networkx, for that reason; tests read every format back with
pandas and networkx (`read_graphml`, `read_gexf`, `node_link_graph`) to keep the writers honest.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from constellation import __version__
from constellation.contract import EDGE_COLUMNS, EDGE_SCHEMA
from constellation.errors import ExportError
from constellation.export.select import (
    EDGE_ATTRIBUTES,
    EXTERNAL,
    GRAPH_FORMATS,
    NODE_ID,
    TABLE_FORMATS,
    AttrType,
    Selection,
    attribute_types,
    edge_records,
    external_records,
    node_records,
    table_frame,
    xml_safe,
)
from constellation.store import atomic_path, writing

log = logging.getLogger(__name__)

MODELS_FILE = "models"  # + .csv / .parquet inside the output folder
EDGES_FILE = "edges"


@dataclass(frozen=True)
class ExportResult:
    paths: list[Path]
    nodes: int  # models + external parents (graph formats), models (table formats)
    edges: int
    report: dict[str, Any]


def write_export(
    selection: Selection,
    fmt: str,
    out: str | os.PathLike[str],
    *,
    edges: bool = True,
    progress: bool = True,
    chunk_rows: int = 50_000,
) -> ExportResult:
    """Write `selection` in format `fmt` to `out` (a folder for csv/parquet, a file otherwise).

    Only regular files are replaced (through a temporary file renamed over them): a symbolic link, a named
    pipe, a device such as /dev/null or a socket at `out` (or at a table format's models/edges file) is
    refused with ExportError, as is an empty path.
    """
    if not os.fspath(out).strip():  # Path("") is ".": an empty --out would write into the current folder
        raise ExportError("the output path is empty; name a file (graph formats) or a folder (csv, parquet)")
    out = Path(out)
    with writing(f"writing the {fmt} export", out):
        return _write_export(selection, fmt, out, edges=edges, progress=progress, chunk_rows=chunk_rows)


def _write_export(
    selection: Selection, fmt: str, out: Path, *, edges: bool, progress: bool, chunk_rows: int
) -> ExportResult:
    if not edges:
        # External parents are there only as ends of lineage edges; without edges they are not exported.
        selection = replace(selection, edges=selection.edges.iloc[0:0], external=[])
    edge_frame = selection.edges
    total = len(selection.models) + len(edge_frame) + (len(selection.external) if fmt in GRAPH_FORMATS else 0)
    bar = tqdm(total=total, unit="rows", desc=f"export {fmt}", disable=not progress, leave=False)
    try:
        if fmt in TABLE_FORMATS:
            paths = _write_tables(selection, edge_frame if edges else None, fmt, out, bar, chunk_rows)
            nodes = len(selection.models)
        elif fmt in GRAPH_FORMATS:
            _check_file_target(out)
            writer = {"graphml": _graphml, "gexf": _gexf, "json": _node_link}[fmt]
            with atomic_path(out) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as handle:
                writer(handle, selection, edge_frame, bar, chunk_rows)
            paths = [out]
            nodes = len(selection.models) + len(selection.external)
        else:
            raise ExportError(f"unknown export format {fmt!r}; choose one of {TABLE_FORMATS + GRAPH_FORMATS}")
    finally:
        bar.close()
    return ExportResult(paths, nodes, len(edge_frame), selection.report)


# --------------------------------------------------------------------------------------------------
# CSV and Parquet: a folder with models.<ext> and edges.<ext>
# --------------------------------------------------------------------------------------------------


def _write_tables(
    selection: Selection, edges: pd.DataFrame | None, fmt: str, folder: Path, bar: tqdm, chunk_rows: int
) -> list[Path]:
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file; csv and parquet exports write a folder. Pick a folder path")
    models_path = folder / f"{MODELS_FILE}.{fmt}"
    edges_path = folder / f"{EDGES_FILE}.{fmt}"
    for path in (models_path, edges_path) if edges is not None else (models_path,):
        _check_file_target(path)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [models_path]
    write = _write_csv if fmt == "csv" else _write_parquet
    write(selection.models, models_path, bar, chunk_rows, schema=None)
    if edges is not None:
        write(edges.reindex(columns=list(EDGE_COLUMNS)), edges_path, bar, chunk_rows, schema=EDGE_SCHEMA)
        paths.append(edges_path)
    return paths


def _write_csv(frame, path: Path, bar: tqdm, chunk_rows: int, schema: pa.Schema | None) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        if frame.empty:
            frame.to_csv(handle, index=False)
        for start in range(0, len(frame), chunk_rows):
            chunk = table_frame(frame.iloc[start : start + chunk_rows])
            chunk.to_csv(handle, index=False, header=start == 0)
            bar.update(len(chunk))


def _write_parquet(frame, path: Path, bar: tqdm, chunk_rows: int, schema: pa.Schema | None) -> None:
    schema = schema or pa.Schema.from_pandas(frame, preserve_index=False)
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for start in range(0, len(frame), chunk_rows):
            chunk = frame.iloc[start : start + chunk_rows]
            writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))
            bar.update(len(chunk))


# What an existing path that is not a regular file is, for the message that refuses to replace it.
_SPECIAL_FILES = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_file_target(out: Path) -> None:
    """Refuse to replace anything but a regular file: the export renames a temporary file over `out`, which
    would turn a symlink, a FIFO or a device node (as root, /dev/null itself) into a regular file."""
    try:
        mode = os.lstat(out).st_mode
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise ExportError(f"{out}: a folder on its path is a file; name a path under a folder") from None
    if stat.S_ISDIR(mode):
        raise ExportError(f"{out} is a folder; graphml, gexf and json exports write one file. Name a file")
    for test, what in _SPECIAL_FILES:
        if test(mode):
            raise ExportError(
                f"{out} is {what}, not a regular file; an export replaces only regular files. Name a new "
                "or regular file (to write through a symbolic link, name the file it points to)"
            )


# --------------------------------------------------------------------------------------------------
# GraphML
# --------------------------------------------------------------------------------------------------

_GRAPHML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
)


def _xml_text(value: Any) -> str:
    """A value as XML character data. CR and tab are written as references so parsers keep them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value), {"\r": "&#13;", "\t": "&#9;"})


def _xml_attr(value: Any) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return quoteattr(str(value), {"\r": "&#13;", "\t": "&#9;", "\n": "&#10;"})


def _graph_attrs(selection: Selection) -> dict[str, Any]:
    """Provenance carried by the graph itself: which atlas, which filters, how communities were made."""
    return {
        "snapshot_id": selection.snapshot_id,
        "synthetic": json.dumps(bool(selection.build.get("synthetic", False))),
        "filters": selection.report.get("filters", ""),
        "build_config": json.dumps(selection.build.get("config", {}), sort_keys=True, default=str),
        "exported_by": f"constellation {__version__}",
    }


def _graphml(handle: IO[str], selection: Selection, edges, bar: tqdm, chunk_rows: int) -> None:
    node_types = attribute_types(selection.models, exclude=[NODE_ID])
    node_types[EXTERNAL] = "boolean"
    node_keys = {name: f"n{i}" for i, name in enumerate(node_types)}
    edge_keys = {name: f"e{i}" for i, name in enumerate(EDGE_ATTRIBUTES)}
    graph_attrs = _graph_attrs(selection)
    graph_keys = {name: f"g{i}" for i, name in enumerate(graph_attrs)}
    handle.write(_GRAPHML_HEAD)
    for keys, types, domain in (
        (graph_keys, dict.fromkeys(graph_attrs, "string"), "graph"),
        (node_keys, node_types, "node"),
        (edge_keys, EDGE_ATTRIBUTES, "edge"),
    ):
        for name, key in keys.items():
            handle.write(
                f'  <key id="{key}" for="{domain}" attr.name={_xml_attr(xml_safe(name))} attr.type="{types[name]}"/>\n'
            )
    handle.write('  <graph id="G" edgedefault="directed">\n')
    for name, value in graph_attrs.items():
        handle.write(f'    <data key="{graph_keys[name]}">{_xml_text(xml_safe(value))}</data>\n')
    for node_id, attrs in _all_nodes(selection, xml=True, chunk_rows=chunk_rows):
        data = "".join(f'<data key="{node_keys[k]}">{_xml_text(v)}</data>' for k, v in attrs.items())
        handle.write(f"    <node id={_xml_attr(node_id)}>{data}</node>\n")
        bar.update(1)
    for key, source, target, attrs in edge_records(edges, xml=True):
        data = "".join(f'<data key="{edge_keys[k]}">{_xml_text(v)}</data>' for k, v in attrs.items())
        handle.write(f'    <edge id="{key}" source={_xml_attr(source)} target={_xml_attr(target)}>{data}</edge>\n')
        bar.update(1)
    handle.write("  </graph>\n</graphml>\n")


def _all_nodes(selection: Selection, *, xml: bool, chunk_rows: int) -> Iterator[tuple[str, dict[str, Any]]]:
    types = attribute_types(selection.models, exclude=[NODE_ID])
    yield from node_records(selection.models, types, xml=xml, chunk_rows=chunk_rows)
    yield from external_records(selection.external, xml=xml)


# --------------------------------------------------------------------------------------------------
# GEXF 1.2 (Gephi's own format); x, y also become viz positions so Gephi opens the atlas layout
# --------------------------------------------------------------------------------------------------

_GEXF_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:viz="http://www.gexf.net/1.2draft/viz" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n'
)
# GEXF gives these names a meaning of its own on edges; weight is written as the edge's own attribute.
_GEXF_EDGE_NATIVE = ("weight",)


def _gexf(handle: IO[str], selection: Selection, edges, bar: tqdm, chunk_rows: int) -> None:
    node_types: dict[str, AttrType] = attribute_types(selection.models, exclude=[NODE_ID])
    node_types[EXTERNAL] = "boolean"
    node_ids = {name: str(i) for i, name in enumerate(node_types)}
    edge_types = {k: v for k, v in EDGE_ATTRIBUTES.items() if k not in _GEXF_EDGE_NATIVE}
    edge_ids = {name: str(i) for i, name in enumerate(edge_types)}
    meta = _graph_attrs(selection)
    handle.write(_GEXF_HEAD)
    handle.write(
        f"  <meta><creator>{_xml_text(meta['exported_by'])}</creator>"
        f"<description>{_xml_text(xml_safe(_gexf_description(meta)))}</description></meta>\n"
    )
    handle.write('  <graph defaultedgetype="directed" mode="static">\n')
    for cls, ids, types in (("node", node_ids, node_types), ("edge", edge_ids, edge_types)):
        handle.write(f'    <attributes class="{cls}" mode="static">\n')
        for name, attr_id in ids.items():
            handle.write(f'      <attribute id="{attr_id}" title={_xml_attr(name)} type="{types[name]}"/>\n')
        handle.write("    </attributes>\n")
    handle.write("    <nodes>\n")
    for node_id, attrs in _all_nodes(selection, xml=True, chunk_rows=chunk_rows):
        values = "".join(f'<attvalue for="{node_ids[k]}" value={_xml_attr(v)}/>' for k, v in attrs.items())
        position = ""
        if "x" in attrs and "y" in attrs:
            position = f'<viz:position x="{attrs["x"]!r}" y="{attrs["y"]!r}" z="0.0"/>'
        handle.write(
            f"      <node id={_xml_attr(node_id)} label={_xml_attr(node_id)}>"
            f"<attvalues>{values}</attvalues>{position}</node>\n"
        )
        bar.update(1)
    handle.write("    </nodes>\n    <edges>\n")
    for key, source, target, attrs in edge_records(edges, xml=True):
        weight = attrs.pop("weight", None)
        weight_attr = f' weight="{weight!r}"' if weight is not None else ""
        values = "".join(f'<attvalue for="{edge_ids[k]}" value={_xml_attr(v)}/>' for k, v in attrs.items())
        handle.write(
            f'      <edge id="{key}" source={_xml_attr(source)} target={_xml_attr(target)}{weight_attr}>'
            f"<attvalues>{values}</attvalues></edge>\n"
        )
        bar.update(1)
    handle.write("    </edges>\n  </graph>\n</gexf>\n")


def _gexf_description(meta: dict[str, str]) -> str:
    return f"Constellation atlas {meta['snapshot_id']} ({meta['filters']}); build config {meta['build_config']}"


# --------------------------------------------------------------------------------------------------
# node-link JSON, as networkx.node_link_graph reads it (edges under "edges", multigraph keys in "key")
# --------------------------------------------------------------------------------------------------


def _node_link(handle: IO[str], selection: Selection, edges, bar: tqdm, chunk_rows: int) -> None:
    graph = _graph_attrs(selection)
    graph["synthetic"] = bool(selection.build.get("synthetic", False))
    head = {"directed": True, "multigraph": True, "graph": graph}
    handle.write(json.dumps(head, ensure_ascii=False)[:-1] + ',\n"nodes": [\n')
    first = True
    for node_id, attrs in _all_nodes(selection, xml=False, chunk_rows=chunk_rows):
        handle.write(("" if first else ",\n") + json.dumps({"id": node_id, **attrs}, ensure_ascii=False))
        first = False
        bar.update(1)
    handle.write('\n],\n"edges": [\n')
    first = True
    for key, source, target, attrs in edge_records(edges, xml=False):
        record = {"source": source, "target": target, "key": key, **attrs}
        handle.write(("" if first else ",\n") + json.dumps(record, ensure_ascii=False, allow_nan=False))
        first = False
        bar.update(1)
    handle.write("\n]}\n")
