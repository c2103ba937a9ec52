"""Layout: a Hilbert walk of the hierarchy's order. Communities contiguous, no two models on one spot."""

from __future__ import annotations

import numpy as np
import pytest

from constellation.atlas.layout import hilbert_xy, layout_atlas


@pytest.mark.parametrize("side", [1, 2, 4, 64])
def test_hilbert_visits_every_cell_once_in_unit_steps(side):
    x, y = hilbert_xy(np.arange(side * side), side)
    assert len(set(zip(x.tolist(), y.tolist()))) == side * side
    assert x.min() == 0 and x.max() == side - 1
    if side > 1:
        assert (np.abs(np.diff(x)) + np.abs(np.diff(y)) == 1).all()


def test_communities_are_compact_and_apart():
    membership = np.repeat([0, 1, 2], [400, 200, 100])
    order = np.arange(len(membership))
    layout = layout_atlas(order, membership, seed=3)
    points = np.column_stack([layout.x, layout.y])
    assert len({(round(float(a), 4), round(float(b), 4)) for a, b in points}) == len(points)
    for c in range(3):
        mine = points[membership == c]
        assert np.allclose(mine.mean(axis=0), layout.centers[c], atol=1e-3)
        # a patch of area ~size cells has an rms radius well under √size
        assert layout.radii[c] < np.sqrt((membership == c).sum())
    assert layout.radii[0] > layout.radii[2]


def test_same_order_and_seed_same_coordinates():
    membership = np.repeat([0, 1], [30, 20])
    order = np.random.default_rng(0).permutation(50)
    order = order[np.argsort(membership[order], kind="stable")]
    first = layout_atlas(order, membership, seed=1)
    again = layout_atlas(order, membership, seed=1)
    assert np.array_equal(first.x, again.x) and np.array_equal(first.y, again.y)
    assert first.x.dtype == np.float32


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_tiny_layouts(n):
    membership = np.zeros(n, dtype=np.int64)
    layout = layout_atlas(np.arange(n), membership, seed=0)
    assert len(layout.x) == n and np.isfinite(layout.x).all() and np.isfinite(layout.y).all()
    assert len({(int(a), int(b)) for a, b in zip(layout.x, layout.y, strict=True)}) == n  # one cell each
    assert layout.centers.shape == (min(n, 1), 2)
