"""constellation.atlas.distinct: np.unique's result by a sort."""

import numpy as np
import pytest

from constellation.atlas.distinct import distinct_sorted


@pytest.mark.parametrize("n", [0, 1, 7, 10_000])
def test_the_distinct_values_are_np_uniques(n):
    values = np.random.default_rng(n).integers(-50, 50, n).astype(np.int64)
    result = distinct_sorted(values)
    np.testing.assert_array_equal(result, np.unique(values))
    assert result.dtype == np.int64
