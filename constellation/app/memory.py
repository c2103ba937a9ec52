"""Giving the memory of finished Arrow reads back to the system.

Arrow allocates through its own pool (mimalloc here), which keeps the pages of freed buffers for reuse.
The site reads big transient tables once (a column of 3M models, 6M edges to pick 0.5M lineage edges
from, the id index's sort): without a release, each read's scratch space stays resident and the next
read's peak stacks on top of it (at 1M models: 650 MB held after the lineage edges were read).
"""

from __future__ import annotations

from constellation.peak_memory import release_arrow_memory

__all__ = ["release_arrow_memory"]
