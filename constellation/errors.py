"""Every exception a Constellation user can meet, and the process exit status the CLI gives each.

    ConstellationError                  exit 1  anything a user can cause and fix; the CLI shows its message
    ├── ContractError                   exit 1  a file or id that does not follow the data contract
    │   ├── SnapshotNotFound            exit 1  no published snapshot matches the request
    │   ├── AtlasNotFound               exit 1  no complete atlas to read
    │   └── CorruptFile                 exit 1  a snapshot or atlas file that cannot be read (damaged
    │                                           Parquet): the message names it and how to replace it
    ├── WriteFailed                     exit 9  build, import or export cannot write (disk full, file too
    │                                           large, a file where a folder should be, permissions);
    │                                           nothing half-written is left, LATEST does not move
    ├── CrawlError                      exit 1  a crawl could not finish (checkpoint kept)
    │   ├── CrawlConfigError            exit 1  bad option or setting
    │   ├── CrawlLocked                 exit 3  another crawl holds the staging folder
    │   ├── HubAuthError                exit 4  401/403: the token is refused
    │   ├── HubUnavailable              exit 5  retries exhausted (5xx, 429, timeouts, refused connections),
    │   │                                       or a wait asked above --max-server-wait
    │   ├── ListingError                exit 6  the listing cannot be trusted: link loop, empty pages,
    │   │   │                                   foreign host, body that is not a list or is larger
    │   │   │                                   than --max-response-size
    │   │   ├── CursorRejected          exit 6  the Hub keeps rejecting cursors
    │   │   ├── EndlessEmptyPages       exit 6  empty pages that keep saying next
    │   │   └── RepeatingPages          exit 6  pages that bring no new id
    │   ├── BudgetExceeded              exit 7  the wall-clock budget ran out
    │   ├── SuspectSnapshot             exit 8  published, but not confirmed complete: the probe or the
    │   │                                       drop check failed (manifest: suspect_reasons)
    │   ├── StorageError                exit 9  cannot write the data directory (disk full, permissions)
    │   ├── CrawlInterrupted            exit 143  SIGTERM, or 130 for SIGINT (Ctrl-C): 128 + the signal
    │   └── ImportFailed                exit 1  `constellation import` cannot read its input
    ├── ParamsError                     exit 1  the models frame cannot be read for parameter counts
    ├── AtlasError                      exit 1  the models or the atlas config cannot be mapped
    ├── CommunityError                  exit 1  a community setting is out of range
    ├── HierarchyError                  exit 1  a hierarchy setting is out of range, or a saved tree lacks it
    ├── BuildError                      exit 1  the snapshot cannot be built into an atlas
    ├── ExportError                     exit 1  the export cannot be made as asked
    ├── EvaluationError                 exit 1  the lineage evaluation cannot run on this input
    │   └── NoDeclaredLineage           exit 1  the snapshot declares no lineage to hide and infer back
    ├── AtlasQualityError               exit 1  the atlas cannot be scored on this input
    ├── BaselineTooLarge                exit 1  the quadratic baseline was asked for too many models
    ├── PruneError                      exit 1  a retention setting is out of range
    ├── StaleAtlas                      exit 10 `constellation status`: the site's data is older than
    │                                           --max-age, or there is no atlas (for monitoring)
    ├── DemoError                       exit 1  a demo stage failed
    ├── AppError                        exit 1  the explorer cannot start as asked
    ├── FakeHubError                    exit 1  bad records, fault spec or option given to the fake Hub
    └── SyntheticHubError               exit 1  a bad argument to the synthetic Hub generator

`exit_code` is the status `constellation` exits with (constellation/cli/__init__.py); the crawl's codes are
documented in README.md and docs/crawler.md, and tests/constellation/test_errors.py keeps this tree, the
classes and the README in step. Every crawl error except SuspectSnapshot leaves the staging checkpoint in
place, so the next run resumes.

Exceptions that never reach a user (a record the crawler skips, a cursor the fake Hub refuses) stay beside
the code that raises and catches them.
"""

from __future__ import annotations


class ConstellationError(Exception):
    """A problem the user can fix. The message names the bad value and what to do."""

    exit_code: int = 1


# --------------------------------------------------------------------------------------------------
# The data contract and the store
# --------------------------------------------------------------------------------------------------


class ContractError(ConstellationError, ValueError):
    """A file or value does not follow the data contract (wrong id, missing file, bad pointer)."""


class SnapshotNotFound(ContractError):
    """No published snapshot matches the request."""


class AtlasNotFound(ContractError):
    """No complete atlas to read."""


class CorruptFile(ContractError):
    """A snapshot or atlas file exists but cannot be read (truncated, overwritten, not Parquet). The message
    names the file and the fix: restore or delete a snapshot, rebuild an atlas."""


class WriteFailed(ConstellationError):
    """A build, an import or an export could not write its output (disk full, file too large, a file where
    a folder should be, no permission). What was being written is removed; atlas/LATEST does not move.
    The crawl's own write failures are StorageError, with the same exit code."""

    exit_code = 9


# --------------------------------------------------------------------------------------------------
# Crawl and import (crawler/)
# --------------------------------------------------------------------------------------------------


class CrawlError(ConstellationError):
    """A crawl could not finish. The checkpoint is kept; the next run resumes from it."""

    exit_code = 1


class CrawlConfigError(CrawlError, ValueError):
    """An option or setting is out of range (names the option and the allowed values)."""

    exit_code = 1


class CrawlLocked(CrawlError):
    """Another crawl is writing the same staging folder."""

    exit_code = 3


class HubAuthError(CrawlError):
    """The Hub refused the request (401/403). Retrying does not help: fix the token."""

    exit_code = 4


class HubUnavailable(CrawlError):
    """The Hub kept failing after every retry (server errors, rate limits, timeouts, no connection)."""

    exit_code = 5


class ListingError(CrawlError):
    """The Hub's answers cannot be followed safely (a guard tripped)."""

    exit_code = 6


class CursorRejected(ListingError):
    """The Hub rejected the pagination cursor, also after restarting from saved cursors and from scratch."""

    exit_code = 6


class EndlessEmptyPages(ListingError):
    """Too many empty pages in a row still carried a next link."""

    exit_code = 6


class RepeatingPages(ListingError):
    """Page after page, under ever new cursors, brought no model id that was not listed before."""

    exit_code = 6


class BudgetExceeded(CrawlError):
    """The crawl ran out of its wall-clock budget."""

    exit_code = 7


class SuspectSnapshot(CrawlError):
    """The snapshot was published but marked `suspect`: the listing is not confirmed complete (the probe
    found models missing, or the count dropped below the median of the last good snapshots)."""

    exit_code = 8


class StorageError(CrawlError):
    """Writing the staging folder or the snapshot failed (disk full, permissions). Staged pages are kept."""

    exit_code = 9


class CrawlInterrupted(CrawlError):
    """The crawl was stopped by SIGINT (Ctrl-C, exit 130) or SIGTERM (exit 143: 128 + the signal's number,
    as a shell reports it). Staged pages and the checkpoint are kept; the next run resumes."""

    exit_code = 143

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + signum


class ImportFailed(CrawlError):
    """`constellation import` cannot read its input file."""

    exit_code = 1


# --------------------------------------------------------------------------------------------------
# Build stages (genealogy/, atlas/, build.py)
# --------------------------------------------------------------------------------------------------


class ParamsError(ConstellationError, ValueError):
    """The models frame cannot be read for parameter counts (no `name` or `id` column, not a frame)."""


class AtlasError(ConstellationError, ValueError):
    """The models or the config cannot be mapped (no ids, repeated ids, a setting out of range)."""


class CommunityError(ConstellationError, ValueError):
    """A community setting is out of range (unknown algorithm, non-positive resolution)."""


class HierarchyError(ConstellationError, ValueError):
    """A hierarchy setting is out of range, or a saved hierarchy lacks what was asked of it."""


class BuildError(ConstellationError):
    """The snapshot cannot be built into an atlas (empty, unreadable)."""


# --------------------------------------------------------------------------------------------------
# Exports (export/)
# --------------------------------------------------------------------------------------------------


class ExportError(ConstellationError):
    """The export cannot be made as asked (no model matches, unknown filter value, bad output path)."""


# --------------------------------------------------------------------------------------------------
# Evaluation (evaluate/)
# --------------------------------------------------------------------------------------------------


class EvaluationError(ConstellationError, ValueError):
    """The evaluation cannot run on this input (bad share, no declared lineage to hide)."""


class NoDeclaredLineage(EvaluationError):
    """The snapshot declares no lineage, so there is no truth to hide and infer back."""


class AtlasQualityError(ConstellationError, ValueError):
    """The atlas cannot be scored on this input (no family column, no family of two or more models)."""


class BaselineTooLarge(ConstellationError):
    """The quadratic baseline was asked to cluster more models than fit in memory."""


# --------------------------------------------------------------------------------------------------
# Operations (retention.py, status.py)
# --------------------------------------------------------------------------------------------------


class PruneError(ConstellationError, ValueError):
    """A retention setting is out of range (names the option and what is allowed)."""


class StaleAtlas(ConstellationError):
    """`constellation status`: the data the site shows is older than --max-age, or there is none."""

    exit_code = 10


# --------------------------------------------------------------------------------------------------
# Demo and explorer (demo.py, app/)
# --------------------------------------------------------------------------------------------------


class DemoError(ConstellationError):
    """A demo stage failed; the message says which and how to see why."""


class AppError(ConstellationError):
    """The explorer cannot start as asked (script missing, port taken)."""


# --------------------------------------------------------------------------------------------------
# The fake Hub (fakehub/)
# --------------------------------------------------------------------------------------------------


class FakeHubError(ConstellationError, ValueError):
    """The fake Hub cannot start with what it was given. The message names the bad value and the fix."""


class SyntheticHubError(ConstellationError, ValueError):
    """A bad argument to the synthetic Hub generator (the message says which and what is allowed)."""
