"""Shared data of the evaluate tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from constellation.evaluate.card_parents import CardParentsSet
from crawler.importer import card_parents_snapshot, load_card_parents

FIXTURES = Path(__file__).parents[2] / "fixtures"


@pytest.fixture
def excerpt_card_set() -> CardParentsSet:
    """The committed excerpt of model-atlas-card-parents on a snapshot of its ids alone (no metadata), as the
    evaluate CLI builds it when no reference set holds the models."""
    truth = load_card_parents(FIXTURES)
    assert truth is not None
    return CardParentsSet(card_parents_snapshot({}, truth), truth)
