"""Downloads of the current selection: CSV (models), GraphML and JSON (models + the edges among them).

The writing itself is constellation.export.select's (the same files `constellation export` makes); this module
only turns the explorer's filtered frame into an export `Selection` and hands back bytes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from constellation.app.similarity import SimilarityIndex
from constellation.contract import EDGE_COLUMNS
from constellation.export.select import Selection, table_frame
from constellation.export.writers import write_export

# A download is built in memory by the web server: past these sizes the command line is the better tool.
MAX_TABLE_ROWS = 500_000
MAX_GRAPH_NODES = 50_000


def too_large(rows: int, fmt: str) -> str | None:
    """Why a selection of `rows` models cannot be downloaded as `fmt` from the site, else None."""
    cap = MAX_TABLE_ROWS if fmt == "csv" else MAX_GRAPH_NODES
    if rows > cap:
        return (
            f"{rows:,} models are more than the site exports as {fmt.upper()} ({cap:,}); narrow the filters, "
            f"or run `constellation export --format {fmt}` on the command line"
        )
    return None


def models_csv(models: pd.DataFrame) -> bytes:
    return table_frame(models).to_csv(index=False).encode("utf-8")


def selection_edges(lineage: pd.DataFrame, similarity: SimilarityIndex, ids: pd.Series) -> pd.DataFrame:
    """Lineage and similarity edges whose two ends are both in `ids`."""
    wanted = set(ids.astype(str))
    frames = []
    if not lineage.empty:
        inside = lineage["source"].isin(wanted) & lineage["target"].isin(wanted)
        frames.append(lineage.loc[inside.to_numpy(dtype=bool)].reindex(columns=list(EDGE_COLUMNS)))
    similar = similarity.edges_of(wanted, within=True)
    if not similar.empty:
        similar = similar.assign(kind="similarity").reindex(columns=list(EDGE_COLUMNS))
        frames.append(similar)
    if not frames:
        return pd.DataFrame(columns=["key", *EDGE_COLUMNS])
    edges = pd.concat(frames, ignore_index=True)
    for column in ("source", "target", "kind", "relation", "evidence"):
        edges[column] = edges[column].astype("object")
    edges.insert(0, "key", [f"e{i}" for i in range(len(edges))])
    return edges


def graph_bytes(
    snapshot_id: str, models: pd.DataFrame, edges: pd.DataFrame, fmt: str, build: dict | None = None
) -> bytes:
    """`models` and `edges` as a GraphML or node-link JSON file, written by constellation.export.select."""
    frame = models.reset_index(drop=True).copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype("object")
    selection = Selection(
        snapshot_id=snapshot_id,
        models=frame,
        edges=edges,
        external=[],
        build=dict(build or {}),
        report={"models": len(frame), "edges": len(edges), "source": "explorer selection"},
    )
    with tempfile.TemporaryDirectory(prefix="constellation-export-") as folder:
        out = Path(folder) / f"selection.{fmt}"
        write_export(selection, fmt, out, progress=False)
        return out.read_bytes()
