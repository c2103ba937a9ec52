"""2-D coordinates for every model: communities stay together, related communities sit near each other.

The hierarchy already orders everything by similarity: communities in the atlas dendrogram's leaf order,
and the models of each community in its own dendrogram's leaf order (`hierarchy.model_order`). The layout
walks that order along a Hilbert curve, which maps a line onto the square so that points close on the line
stay close on the plane. So each community fills a compact patch of the square, of area proportional to its
size; communities adjacent in the dendrogram touch; inside a patch, similar names sit side by side.

A few empty cells between communities keep their patches apart, and each point is jittered inside its
cell so that the scatter reads as a cloud, not a grid. It is O(n), has no overlaps, and is deterministic:
the same order and seed give the same coordinates. (A force-directed layout of the community graph was
tried first: it leaves unlinked small communities on a ring around a crammed core.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layout:
    x: np.ndarray  # (n,) float32
    y: np.ndarray  # (n,) float32
    centers: np.ndarray  # (communities, 2) float32: mean position of the members
    radii: np.ndarray  # (communities,) float32: root mean square distance of the members from the centre


def hilbert_xy(index: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell (x, y) of positions along the Hilbert curve that fills a side×side square (side a power of 2)."""
    t = np.asarray(index, dtype=np.int64).copy()
    x = np.zeros_like(t)
    y = np.zeros_like(t)
    s = 1
    while s < side:
        rx = (t // 2) & 1
        ry = (t ^ rx) & 1
        flip = (ry == 0) & (rx == 1)
        x = np.where(flip, s - 1 - x, x)
        y = np.where(flip, s - 1 - y, y)
        swap = ry == 0
        x, y = np.where(swap, y, x), np.where(swap, x, y)
        x += s * rx
        y += s * ry
        t //= 4
        s *= 2
    return x, y


def layout_atlas(order: np.ndarray, membership: np.ndarray, *, seed: int, gap: float = 0.25) -> Layout:
    """Coordinates of every model. `order` lists all model positions, community by community, in the order
    to lay them out; `gap` is the empty space left after each community, as a share of √size cells."""
    n = len(membership)
    n_communities = int(membership.max(initial=-1)) + 1
    if n == 0:
        empty = np.empty(0, dtype=np.float32)
        return Layout(empty, empty, np.empty((0, 2), dtype=np.float32), empty)
    sizes = np.bincount(membership, minlength=n_communities)
    ordered_membership = membership[order]
    # Position on the line: rank plus the gaps of every community laid out before.
    pad = np.ceil(gap * np.sqrt(sizes)).astype(np.int64) + 1
    first_seen = np.r_[True, ordered_membership[1:] != ordered_membership[:-1]]
    padding_before = np.cumsum(np.where(first_seen, pad[ordered_membership], 0)) - pad[ordered_membership[0]]
    line = np.arange(n, dtype=np.int64) + padding_before
    cells = int(line[-1]) + 1
    side = 1 << max(0, int(np.ceil(np.log2(np.sqrt(cells)))))
    # Spread the line over the whole curve so the used cells fill the square, not a prefix of it.
    stretched = (line * (side * side) // cells) if cells > 1 else line
    cx, cy = hilbert_xy(stretched, side)
    rng = np.random.default_rng(seed)
    points = np.empty((n, 2), dtype=np.float64)
    points[order, 0] = cx + rng.uniform(0.1, 0.9, size=n)
    points[order, 1] = cy + rng.uniform(0.1, 0.9, size=n)
    sums = np.column_stack([np.bincount(membership, weights=points[:, d], minlength=n_communities) for d in (0, 1)])
    centers = sums / np.maximum(sizes, 1)[:, None]
    squared = ((points - centers[membership]) ** 2).sum(axis=1)
    radii = np.sqrt(np.bincount(membership, weights=squared, minlength=n_communities) / np.maximum(sizes, 1))
    return Layout(
        x=points[:, 0].astype(np.float32),
        y=points[:, 1].astype(np.float32),
        centers=centers.astype(np.float32),
        radii=radii.astype(np.float32),
    )
