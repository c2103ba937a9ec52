"""The fake Hub's exceptions.

ConstellationError
└── FakeHubError        bad records, a bad fault spec or a bad option given to the fake Hub
"""

from __future__ import annotations

from constellation.errors import ConstellationError


class FakeHubError(ConstellationError, ValueError):
    """The fake Hub cannot start with what it was given. The message names the bad value and the fix."""
