"""Writing and reading one atlas folder, `atlas/<snapshot-id>/` (layout in docs/data.md).

The folder is written whole under a temporary name and renamed into place; `atlas/LATEST` moves last.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from constellation.contract import ATLAS_FILES, EDGE_COLUMNS, EDGE_SCHEMA, ContractError, DataLayout


class AtlasNotFound(ContractError):
    """No complete atlas to read."""


@dataclass
class AtlasTables:
    snapshot_id: str
    models: pd.DataFrame
    edges: pd.DataFrame
    communities: pd.DataFrame
    build: dict[str, Any]
    hierarchy: dict[str, np.ndarray | pd.DataFrame] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        return bool(self.build.get("synthetic", False))


def edges_table(edges: pd.DataFrame) -> pa.Table:
    """Edges in the contract's column order and types, whatever the stage produced."""
    frame = edges.reindex(columns=list(EDGE_COLUMNS))
    return pa.Table.from_pandas(frame, schema=EDGE_SCHEMA, preserve_index=False)


def write_atlas(layout: DataLayout, tables: AtlasTables) -> Path:
    """Write every output of a build, then swap the folder into place. Does not move LATEST."""
    final = layout.atlas(tables.snapshot_id)
    layout.atlases.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{tables.snapshot_id}.", suffix=".tmp", dir=layout.atlases))
    try:
        pq.write_table(pa.Table.from_pandas(tables.models, preserve_index=False), work / ATLAS_FILES.models)
        pq.write_table(edges_table(tables.edges), work / ATLAS_FILES.edges)
        pq.write_table(pa.Table.from_pandas(tables.communities, preserve_index=False), work / ATLAS_FILES.communities)
        hierarchy_dir = work / ATLAS_FILES.hierarchy
        hierarchy_dir.mkdir()
        for name, value in tables.hierarchy.items():
            if isinstance(value, pd.DataFrame):
                pq.write_table(pa.Table.from_pandas(value, preserve_index=False), hierarchy_dir / f"{name}.parquet")
            else:
                np.save(hierarchy_dir / f"{name}.npy", np.asarray(value), allow_pickle=False)
        # build.json goes last: its presence marks the folder complete.
        (work / ATLAS_FILES.build).write_text(json.dumps(tables.build, indent=2, sort_keys=True, default=str) + "\n")
        if final.exists():
            old = final.with_name(f".{final.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
            work.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _nullable_integers(arrow_type: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    """pandas would turn an int64 column with nulls into float64 (7e9 for 7000000000); keep integers."""
    return pd.Int64Dtype() if pa.types.is_integer(arrow_type) else None


def _read_parquet(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas(types_mapper=_nullable_integers)


def read_build_info(layout: DataLayout, snapshot_id: str) -> dict[str, Any] | None:
    path = layout.atlas_file(snapshot_id, ATLAS_FILES.build)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as exc:
        raise ContractError(f"{path} is not valid JSON: {exc}") from None


def read_atlas(layout: DataLayout, snapshot_id: str | None = None, *, hierarchy: bool = True) -> AtlasTables:
    """The atlas of `snapshot_id`, else the one atlas/LATEST points at."""
    if snapshot_id is None:
        snapshot_id = layout.latest_atlas_id()
        if snapshot_id is None:
            raise AtlasNotFound(
                f"no atlas in {layout.atlases} yet. Run `make demo` for an offline demo, "
                "or `make crawl` then `make build`."
            )
    build = read_build_info(layout, snapshot_id)
    if build is None:
        raise AtlasNotFound(f"atlas {snapshot_id} is incomplete or missing in {layout.atlases}; run `make build`")
    folder = layout.atlas(snapshot_id)
    hier: dict[str, np.ndarray | pd.DataFrame] = {}
    if hierarchy and (folder / ATLAS_FILES.hierarchy).is_dir():
        for path in sorted((folder / ATLAS_FILES.hierarchy).iterdir()):
            if path.suffix == ".npy":
                hier[path.stem] = np.load(path, allow_pickle=False)
            elif path.suffix == ".parquet":
                hier[path.stem] = _read_parquet(path)
    return AtlasTables(
        snapshot_id=snapshot_id,
        models=_read_parquet(folder / ATLAS_FILES.models),
        edges=_read_parquet(folder / ATLAS_FILES.edges),
        communities=_read_parquet(folder / ATLAS_FILES.communities),
        build=build,
        hierarchy=hier,
    )
