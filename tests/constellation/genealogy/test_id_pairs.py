"""Lower-cased id pairs in Arrow: what Python's lower-casing and joining give, and None outside ASCII."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from constellation.genealogy.id_pairs import among, ascii_pair_keys


@pytest.mark.parametrize("kind", ["object", "string", "str", "numpy"])
def test_pair_keys_are_the_lower_cased_ids_joined_by_a_nul(kind):
    child, parent = ["Org/Child", "o/c2", "A/b"], ["Base/M", "x/P", ""]
    as_kind = (lambda v: np.array(v, dtype=object)) if kind == "numpy" else (lambda v: pd.Series(v, dtype=kind))
    keys = ascii_pair_keys(as_kind(child), as_kind(parent))
    assert keys.to_pylist() == [c.lower() + "\0" + p.lower() for c, p in zip(child, parent)]


def test_ids_outside_ascii_missing_or_not_strings_give_none():
    assert ascii_pair_keys(pd.Series(["İx/a"]), pd.Series(["b/c"])) is None
    assert ascii_pair_keys(pd.Series(["a/b"]), pd.Series([None], dtype=object)) is None
    assert ascii_pair_keys(np.array(["a/b"], dtype=object), np.array([3], dtype=object)) is None


def test_among_is_membership_in_the_known_pairs():
    known = ascii_pair_keys(pd.Series(["A/x", "b/y"]), pd.Series(["P/1", "q/2"]))
    asked = ascii_pair_keys(pd.Series(["a/X", "b/y", "b/y"]), pd.Series(["p/1", "Q/2", "p/1"]))
    assert among(asked, known).tolist() == [True, True, False]
