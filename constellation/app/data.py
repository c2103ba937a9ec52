"""Loading the atlas the way the explorer needs it: only the columns it shows, categorical dtypes for
repeated strings, rows sorted by id (so an id is found by binary search), through store.read_models_file. A
3M-model atlas then takes about a third of the memory of a plain `read_atlas`.

Early atlases may lack columns, or hold them all-null, while the stages are being written: `Atlas.has`
tells a page whether to draw a view or say "not available in this atlas".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from constellation.contract import ATLAS_FILES, ATLAS_MODEL_COLUMNS, ATLAS_MODEL_SCHEMA, EDGE_COLUMNS, DataLayout
from constellation.store import complete_build_info, latest_atlas_id, read_models_file

log = logging.getLogger(__name__)

# The columns of models.parquet the explorer does not read (docs/data.md): at 3M models the tag lists alone
# cost gigabytes.
_LEFT_ON_DISK: tuple[str, ...] = (
    "downloads_all_time", "trending_score", "last_modified", "gated", "tags", "base_models",
    "params_safetensors", "params_gguf", "crawled_at",
)  # fmt: skip
MODEL_COLUMNS: tuple[str, ...] = tuple(c for c in ATLAS_MODEL_COLUMNS if c not in _LEFT_ON_DISK)

# Every string column but the unique ones (id, name) repeats values: read as dictionaries → pandas categoricals.
CATEGORICAL_COLUMNS: tuple[str, ...] = tuple(
    f.name
    for f in ATLAS_MODEL_SCHEMA
    if f.name in MODEL_COLUMNS and f.type == pa.string() and f.name not in ("id", "name")
)

LINEAGE_KINDS = ("declared", "inferred")


@dataclass
class Atlas:
    """One atlas as the explorer holds it in memory. `models` is sorted by id, index 0..n-1."""

    snapshot_id: str
    root: Path
    models: pd.DataFrame
    communities: pd.DataFrame
    build: dict[str, Any]
    hierarchy: dict[str, Any] = field(default_factory=dict)
    lineage: pd.DataFrame = field(default_factory=pd.DataFrame)  # declared + inferred edges only
    edges_path: Path | None = None  # similarity edges: indexed on first use (similarity.py)

    @property
    def synthetic(self) -> bool:
        return bool(self.build.get("synthetic", False))

    def has(self, column: str) -> bool:
        """True when models.parquet has `column` with at least one value."""
        return column in self.models.columns and bool(self.models[column].notna().any())

    @property
    def lineage_in_similarity_graph(self) -> bool | None:
        """Whether the build added lineage edges to the similarity graph before finding communities."""
        config = self.build.get("config") or {}
        if "lineage_weight" in config and "add_lineage_edges" not in config:
            return bool(config["lineage_weight"] and config["lineage_weight"] > 0)
        # Builds from before issue 10 had an on/off switch (and a weight that only counted when it was on).
        return bool(config["add_lineage_edges"]) if "add_lineage_edges" in config else None

    @property
    def community_algorithm(self) -> str | None:
        """The algorithm that ran (build.json reports it; the config may only say "auto")."""
        ran = ((self.build.get("reports") or {}).get("atlas") or {}).get("communities") or {}
        if isinstance(ran.get("algorithm"), str):
            return ran["algorithm"]
        configured = (self.build.get("config") or {}).get("community_algorithm")
        return configured if isinstance(configured, str) else None

    def position(self, model_id: str) -> int | None:
        """Row of `model_id` in `models`, by binary search over the sorted ids."""
        ids = self.sorted_ids
        i = int(np.searchsorted(ids, model_id))
        return i if i < len(ids) and ids[i] == model_id else None

    @property
    def sorted_ids(self) -> np.ndarray:
        if "_ids" not in self.__dict__:
            self.__dict__["_ids"] = self.models["id"].to_numpy(dtype=object)
        return self.__dict__["_ids"]


def load_atlas(layout: DataLayout, snapshot_id: str | None = None) -> Atlas:
    """The atlas of `snapshot_id` (default: the one atlas/LATEST points at), lean."""
    snapshot_id = snapshot_id or latest_atlas_id(layout)
    build = complete_build_info(layout, snapshot_id)
    folder = layout.atlas(snapshot_id)
    models = read_models(folder / ATLAS_FILES.models)
    edges_path = folder / ATLAS_FILES.edges
    lineage = read_lineage_edges(edges_path) if edges_path.is_file() else _empty_edges()
    communities_path = folder / ATLAS_FILES.communities
    communities = pq.read_table(communities_path).to_pandas() if communities_path.is_file() else pd.DataFrame()
    return Atlas(
        snapshot_id=snapshot_id,
        root=layout.root,
        models=models,
        communities=communities,
        build=build,
        hierarchy=read_hierarchy(folder / ATLAS_FILES.hierarchy),
        lineage=lineage,
        edges_path=edges_path if edges_path.is_file() else None,
    )


def read_models(path: Path) -> pd.DataFrame:
    """models.parquet as the explorer holds it: the MODEL_COLUMNS it has, sorted by id, CATEGORICAL_COLUMNS
    as categoricals."""
    frame = read_models_file(path, MODEL_COLUMNS, CATEGORICAL_COLUMNS)
    for column in ("x", "y"):
        if column in frame:
            frame[column] = frame[column].astype("float32")
    return frame


def read_lineage_edges(path: Path) -> pd.DataFrame:
    """Declared and inferred edges (similarity edges are indexed separately, see similarity.py)."""
    present = set(pq.read_schema(path).names)
    if not {"source", "target", "kind"} <= present:
        log.warning("%s lacks source/target/kind; showing no lineage edges", path)
        return _empty_edges()
    columns = [c for c in _empty_edges().columns if c in present]
    table = pq.read_table(
        path,
        columns=columns,
        filters=[("kind", "in", list(LINEAGE_KINDS))],  # row groups of similarity edges are skipped
        read_dictionary=[c for c in ("kind", "relation") if c in present],
    )
    return table.to_pandas().reindex(columns=list(_empty_edges().columns))


def read_hierarchy(folder: Path) -> dict[str, Any]:
    """Every array or table under hierarchy/, by file stem (the atlas stage names them)."""
    out: dict[str, Any] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder).with_suffix(""))
        try:
            if path.suffix == ".npy":
                out[key] = np.load(path, allow_pickle=False)
            elif path.suffix == ".npz":
                with np.load(path, allow_pickle=False) as archive:
                    for name in archive.files:
                        out[f"{key}/{name}"] = archive[name]
            elif path.suffix == ".parquet":
                out[key] = pq.read_table(path).to_pandas()
        except (OSError, ValueError) as exc:  # one unreadable file must not take the site down
            log.warning("skipped %s: %s", path, exc)
    return out


def _empty_edges() -> pd.DataFrame:
    # Lineage edges carry no similarity weight.
    return pd.DataFrame(columns=[c for c in EDGE_COLUMNS if c != "weight"])
