"""The root of Constellation's exceptions.

    ConstellationError                 anything a user can cause and fix; the CLI shows its message, no traceback
    ├── contract.ContractError         a file or id that does not follow the data contract
    └── (each module adds its own, e.g. crawler.errors.CrawlError, build.BuildError)

Each exception carries `exit_code`, the process exit status the CLI uses for it (documented in README.md).
"""

from __future__ import annotations


class ConstellationError(Exception):
    """A problem the user can fix. The message names the bad value and what to do."""

    exit_code: int = 1
