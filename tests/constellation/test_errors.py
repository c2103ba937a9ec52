"""The exception tree lives in one module, its docstring draws it truly, and the docs give the same exit codes."""

from __future__ import annotations

import importlib
import pkgutil
import re
import signal

import pytest

import constellation
import constellation.errors
import crawler
import fakehub
from constellation.errors import ConstellationError, CrawlError
from tests.paths import REPO

PACKAGES = (constellation, crawler, fakehub)
# A tree line: the drawing, the class name, then "exit N" (continuation lines carry no name).
_TREE_LINE = re.compile(r"^(?P<lead>[ │├└─]*)(?P<name>[A-Z]\w+)\s+exit (?P<code>\d+)\b")
_TABLE_ROW = re.compile(r"^\| (?P<code>\d+) \|(?P<rest>.*)$")


def _import_everything() -> None:
    for package in PACKAGES:
        for module in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if not module.name.endswith(".__main__"):  # running it would start the CLI
                importlib.import_module(module.name)


def _user_errors() -> list[type[ConstellationError]]:
    _import_everything()
    found: list[type[ConstellationError]] = []
    todo = [ConstellationError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    roots = tuple(p.__name__ for p in PACKAGES)
    return sorted({c for c in found if c.__module__.split(".")[0] in roots}, key=lambda c: c.__name__)


def _drawn_tree() -> dict[str, tuple[int, str | None]]:
    """name -> (exit code, parent name) as the docstring of constellation.errors draws them."""
    drawn: dict[str, tuple[int, str | None]] = {}
    stack: list[str] = []  # the names on the path to the current line, one per depth
    for line in (constellation.errors.__doc__ or "").splitlines():
        match = _TREE_LINE.match(line)
        if not match:
            continue
        depth = (len(match["lead"]) - 4) // 4
        del stack[depth:]
        drawn[match["name"]] = (int(match["code"]), stack[-1] if stack else None)
        stack.append(match["name"])
    return drawn


def _parent(cls: type[ConstellationError]) -> str | None:
    if cls is ConstellationError:
        return None
    return next(base.__name__ for base in cls.__bases__ if issubclass(base, ConstellationError))


def test_every_user_error_lives_in_constellation_errors():
    elsewhere = [f"{c.__module__}.{c.__name__}" for c in _user_errors() if c.__module__ != "constellation.errors"]
    assert elsewhere == []


def test_every_user_error_has_an_integer_exit_code():
    assert [c.__name__ for c in _user_errors() if type(c.exit_code) is not int] == []


def test_the_docstring_draws_every_error_with_its_exit_code_and_parent():
    drawn = _drawn_tree()
    actual = {c.__name__: (c.exit_code, _parent(c)) for c in _user_errors()}
    assert drawn == actual


def _table(path: str, heading: str) -> dict[int, str]:
    """code -> the rest of its row, from the first table after `heading` in the file at `path`."""
    text = (REPO / path).read_text(encoding="utf-8")
    after = text[text.index(heading) :]
    rows: dict[int, str] = {}
    for line in after.splitlines():
        match = _TABLE_ROW.match(line)
        if match:
            rows[int(match["code"])] = match["rest"]
        elif rows and not line.startswith("|"):
            break
    return rows


@pytest.mark.parametrize(
    ("path", "heading"),
    [("README.md", "Exit codes of `constellation crawl`"), ("docs/crawler.md", "## Exit codes")],
)
def test_the_exit_code_tables_give_exactly_the_crawl_errors_codes(path, heading):
    rows = _table(path, heading)
    crawl_codes = {c.exit_code for c in _user_errors() if issubclass(c, CrawlError)}
    # A stop by signal exits 128 + the signal's number: 143 is the class's code (SIGTERM), 130 Ctrl-C's.
    crawl_codes.add(128 + signal.SIGINT)
    # 0 is success and 2 is click's usage error: neither is an exception of ours.
    assert set(rows) - {0, 2} == crawl_codes


def test_the_crawler_docs_name_each_error_beside_its_code():
    named = {
        name: code
        for code, rest in _table("docs/crawler.md", "## Exit codes").items()
        for name in re.findall(r"`([A-Z][a-z]\w*)`", rest)  # class names, not HF_TOKEN
    }
    assert named  # the table names classes; a table that stopped naming them would pass vacuously
    assert named == {name: getattr(constellation.errors, name).exit_code for name in named}
