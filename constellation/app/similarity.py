"""The similarity edges in memory, as a compact adjacency list over model rows.

A per-view DuckDB scan of edges.parquet costs ~1.5 s at 10M edges (5 s at the whole Hub's 30M), too slow
for a model page. So, on first use, one DuckDB join maps every edge's ends to model rows and sorts by
source; what stays in memory is three arrays — 12 bytes per edge (360 MB at 30M), no Python strings —
and a model's neighbours are a slice.

kNN edges are directed (a model's own k nearest names); a view asks for a model's own list, and for the
edges among a set of models, which the source side answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

EDGE_FRAME = ["source", "target", "weight"]


@dataclass(frozen=True)
class SimilarityIndex:
    offsets: np.ndarray  # int64, (models + 1,): out-edges of row r are [offsets[r], offsets[r+1])
    targets: np.ndarray  # int32 row of the other end
    weights: np.ndarray  # float32 cosine similarity
    ids: np.ndarray  # object, the id of every row (the atlas's sorted ids)

    @property
    def edges(self) -> int:
        return len(self.targets)

    def rows_of(self, ids: Iterable[str]) -> np.ndarray:
        wanted = np.asarray(list(ids), dtype=object)
        if not len(wanted):
            return np.empty(0, dtype=np.int64)
        at = np.searchsorted(self.ids, wanted)
        at = np.minimum(at, len(self.ids) - 1)
        return np.unique(at[self.ids[at] == wanted])

    def neighbours(self, model_id: str, k: int = 10) -> pd.DataFrame:
        """The `k` most similar names to `model_id`: id, weight (strongest first)."""
        rows = self.rows_of([model_id])
        if not len(rows):
            return pd.DataFrame({"id": pd.Series(dtype=object), "weight": pd.Series(dtype="float64")})
        lo, hi = self.offsets[rows[0]], self.offsets[rows[0] + 1]
        order = np.argsort(-self.weights[lo:hi], kind="stable")[:k]
        targets = self.targets[lo:hi][order]
        keep = targets != rows[0]
        return pd.DataFrame(
            {"id": self.ids[targets[keep]], "weight": self.weights[lo:hi][order][keep].astype("float64")}
        )

    def edges_of(self, ids: Iterable[str], within: bool = False) -> pd.DataFrame:
        """Out-edges of `ids` (only those ending inside the set when `within`), strongest first."""
        sources, targets, weights = edges_of_rows(self.offsets, self.targets, self.weights, self.rows_of(ids), within)
        return pd.DataFrame(
            {"source": self.ids[sources], "target": self.ids[targets], "weight": weights.astype("float64")},
            columns=EDGE_FRAME,
        )


def edges_of_rows(
    offsets: np.ndarray, targets: np.ndarray, weights: np.ndarray, rows: np.ndarray, within: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source rows, target rows, weights) of the out-edges of `rows` (unique) in a CSR adjacency, only those
    ending at one of `rows` when `within`, strongest first."""
    rows = np.asarray(rows, dtype=np.int64)
    starts, ends = np.asarray(offsets[rows], dtype=np.int64), np.asarray(offsets[rows + 1], dtype=np.int64)
    counts = ends - starts
    picks = np.repeat(starts - np.r_[0, np.cumsum(counts)[:-1]], counts) + np.arange(int(counts.sum()))
    sources = np.repeat(rows, counts)
    ends_at = np.asarray(targets[picks], dtype=np.int64)
    strength = np.asarray(weights[picks])
    if within:
        inside = np.isin(ends_at, rows)
        sources, ends_at, strength = sources[inside], ends_at[inside], strength[inside]
    order = np.argsort(-strength, kind="stable")
    return sources[order], ends_at[order], strength[order]


def build_similarity_index(edges_path: Path | None, ids: np.ndarray) -> SimilarityIndex:
    """The index of the similarity edges in `edges_path` over `ids` (sorted, as Atlas.sorted_ids).
    Edges with an end outside `ids` are left out (there are none in a consistent atlas)."""
    n = len(ids)
    if edges_path is None or not Path(edges_path).is_file():
        return SimilarityIndex(np.zeros(n + 1, dtype=np.int64), np.empty(0, np.int32), np.empty(0, np.float32), ids)
    models = pa.table({"id": pa.array(ids, pa.string()), "row": pa.array(np.arange(n, dtype=np.int32))})
    con = duckdb.connect()
    try:
        con.register("models", models)
        got = con.execute(
            """
            SELECT s.row AS s, t.row AS t, CAST(coalesce(e.weight, 0) AS FLOAT) AS w
            FROM read_parquet(?) AS e
            JOIN models AS s ON e.source = s.id
            JOIN models AS t ON e.target = t.id
            WHERE e.kind = 'similarity'
            ORDER BY s.row, w DESC
            """,
            [str(edges_path)],
        ).fetchnumpy()
    finally:
        con.close()
    sources = np.asarray(got["s"], dtype=np.int32)
    offsets = np.r_[0, np.cumsum(np.bincount(sources, minlength=n))].astype(np.int64)
    return SimilarityIndex(offsets, np.asarray(got["t"], dtype=np.int32), np.asarray(got["w"], dtype=np.float32), ids)
