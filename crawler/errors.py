"""Why a crawl or an import stopped, and the exit status each reason gives.

    ConstellationError                      (constellation.errors)           exit 1
    └── CrawlError                          a crawl could not finish          exit 1
        ├── CrawlConfigError                bad option or setting             exit 1
        ├── CrawlLocked                     another crawl holds the staging   exit 3
        ├── HubAuthError                    401/403: the token is refused     exit 4
        ├── HubUnavailable                  retries exhausted (5xx, 429,      exit 5
        │                                   timeouts, refused connections), or
        │                                   a wait asked above --max-server-wait
        ├── ListingError                    the listing cannot be trusted:    exit 6
        │   │                               link loop, empty pages, foreign
        │   │                               host, body that is not a list or
        │   │                               larger than --max-response-size
        │   ├── CursorRejected              the Hub keeps rejecting cursors   exit 6
        │   ├── EndlessEmptyPages           empty pages that keep saying next exit 6
        │   └── RepeatingPages              pages that bring no new id        exit 6
        ├── BudgetExceeded                  the wall-clock budget ran out     exit 7
        ├── SuspectSnapshot                 published, but the count dropped  exit 8
        │                                   more than allowed (--accept-drop)
        ├── StorageError                    cannot write the data directory   exit 9
        │                                   (disk full, permissions)
        ├── CrawlInterrupted                SIGINT (Ctrl-C) or SIGTERM        exit 130 / 143
        └── ImportFailed                    `constellation import` input      exit 1

Every crawl error except SuspectSnapshot leaves the staging checkpoint in place, so the next run resumes.
The exit codes are documented in docs/crawler.md; keep the two in step.
"""

from __future__ import annotations

from constellation.errors import ConstellationError


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
    """The snapshot was published but marked `suspect`: it has far fewer models than the previous one."""

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
