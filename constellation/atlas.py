"""Atlas stage: name features, similarity graph, communities, hierarchy and layout (issue 5).

Placeholder until that issue lands: one community for everything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from constellation.contract import EDGE_COLUMNS


@dataclass(frozen=True)
class AtlasConfig:
    seed: int = 42

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AtlasMap:
    models: pd.DataFrame  # input + community, community_label, cluster, x, y
    edges: pd.DataFrame  # similarity edges (EDGE_COLUMNS, kind "similarity")
    communities: pd.DataFrame  # one row per community
    hierarchy: dict[str, np.ndarray | pd.DataFrame] = field(default_factory=dict)  # saved under hierarchy/
    report: dict[str, Any] = field(default_factory=dict)


def map_atlas(models: pd.DataFrame, lineage_edges: pd.DataFrame, config: AtlasConfig) -> AtlasMap:
    out = models.copy()
    out["community"] = np.zeros(len(out), dtype="int64")
    out["community_label"] = "all models"
    out["cluster"] = np.zeros(len(out), dtype="int64")
    rng = np.random.default_rng(config.seed)
    out["x"] = rng.normal(size=len(out)).astype("float32")
    out["y"] = rng.normal(size=len(out)).astype("float32")
    communities = pd.DataFrame(
        {"community": [0], "label": ["all models"], "size": [len(out)], "downloads": [out["downloads"].sum()]}
    )
    return AtlasMap(models=out, edges=pd.DataFrame(columns=list(EDGE_COLUMNS)), communities=communities)
