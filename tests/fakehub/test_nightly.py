"""fakehub.nightly: the next night of a synthetic Hub."""

from __future__ import annotations

import pandas as pd
import pytest

from fakehub.nightly import next_night
from fakehub.synthetic import SyntheticHubError, generate


def test_next_night_adds_removes_and_changes_a_share_of_the_models():
    first = generate(1000, 3)
    night = next_night(first, 0.02, 1)
    assert len(night) == 1000
    assert (~first["id"].isin(night["id"])).sum() == 10 and (~night["id"].isin(first["id"])).sum() == 10
    both = first.merge(night, on="id", suffixes=("", "_night"))
    assert 0 < (both["downloads"] != both["downloads_night"]).sum() <= 20
    assert next_night(first, 0.02, 1)["id"].tolist() == night["id"].tolist()
    assert pd.Index(night["id"]).is_unique


def test_next_night_refuses_a_share_outside_zero_to_one():
    with pytest.raises(SyntheticHubError, match="share"):
        next_night(generate(10, 0), 1.5)
