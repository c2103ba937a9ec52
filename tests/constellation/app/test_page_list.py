"""The explorer's pages are declared once, in constellation/app/pages.py; the site, tests and bench read it."""

import pytest

from constellation.app.pages import PAGES, page_for
from tests.paths import REPO


def test_the_pages_their_urls_and_titles():
    assert [(p.path, p.title, p.icon, p.url_path, p.heading) for p in PAGES] == [
        ("pages/overview.py", "Overview", "🌌", None, "Constellation: the Hugging Face Hub's model genealogy"),
        ("pages/dendrogram.py", "Dendrogram", "🌳", "dendrogram", "Dendrogram"),
        ("pages/graph.py", "Graph", "🕸️", "graph", "Graph"),
        ("pages/word_clouds.py", "Word clouds", "☁️", "clouds", "Word clouds of model names"),
        ("pages/scatter.py", "Scatter", "📈", "scatter", "Scatter plots"),
        ("pages/model.py", "Model search", "🔎", "model", "Model search"),
        ("pages/trends.py", "Trends", "📅", "trends", "Trends"),
    ]
    assert [p.default for p in PAGES] == [True] + [False] * 6


def test_every_page_script_is_listed_and_exists():
    on_disk = sorted(path.relative_to(REPO).as_posix() for path in (REPO / "pages").glob("*.py"))
    assert sorted(p.path for p in PAGES) == on_disk


def test_a_page_finds_its_entry_by_its_own_file():
    assert page_for(str(REPO / "pages" / "graph.py")).url_path == "graph"
    with pytest.raises(KeyError, match="nowhere.py is not a page of constellation.app.pages.PAGES"):
        page_for("pages/nowhere.py")
