"""Genealogy stage: parameter counts, declared and inferred lineage (issue 4).

Placeholder until that issue lands: it passes the snapshot through with empty genealogy columns, so the
build and the app can run end to end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from constellation.contract import EDGE_COLUMNS


@dataclass
class Genealogy:
    models: pd.DataFrame  # snapshot columns + genealogy columns (docs/data.md)
    edges: pd.DataFrame  # EDGE_COLUMNS; kind "declared" or "inferred"
    report: dict[str, Any] = field(default_factory=dict)


def annotate(snapshot: pd.DataFrame) -> Genealogy:
    """Add parameter counts and lineage to a snapshot frame."""
    return Genealogy(models=snapshot.copy(), edges=pd.DataFrame(columns=list(EDGE_COLUMNS)), report={})
