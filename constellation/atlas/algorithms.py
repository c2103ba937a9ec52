"""The community algorithms' names, in a module with no imports, so that `constellation build --help` lists
them without loading pandas, scipy and igraph (over a second of start-up). constellation/atlas/communities.py
runs them."""

from __future__ import annotations

from typing import Literal

CommunityAlgorithm = Literal["auto", "louvain", "multilevel", "leiden"]
COMMUNITY_ALGORITHMS: tuple[str, ...] = ("auto", "louvain", "multilevel", "leiden")
