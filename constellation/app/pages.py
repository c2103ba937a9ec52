"""The explorer's pages, declared once: streamlit_app.py turns them into st.Page objects, each page
script takes its heading from here, and the tests and bench/bench_app.py walk the same list.

Plain data, no Streamlit import, so tests and benchmarks can read it without starting a site.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True)
class Page:
    path: str  # the script, relative to the repository root (what st.Page and AppTest.switch_page take)
    title: str  # the label in the navigation
    icon: str  # an emoji: a Material icon would be fetched from fonts.gstatic.com, out of an offline site's reach
    url_path: str | None  # None: the default page, served at /
    heading: str  # the page's st.title

    @property
    def default(self) -> bool:
        return self.url_path is None


PAGES: tuple[Page, ...] = (
    Page("pages/overview.py", "Overview", "🌌", None, "Constellation: the Hugging Face Hub's model genealogy"),
    Page("pages/dendrogram.py", "Dendrogram", "🌳", "dendrogram", "Dendrogram"),
    Page("pages/graph.py", "Graph", "🕸️", "graph", "Graph"),
    Page("pages/word_clouds.py", "Word clouds", "☁️", "clouds", "Word clouds of model names"),
    Page("pages/scatter.py", "Scatter", "📈", "scatter", "Scatter plots"),
    Page("pages/model.py", "Model search", "🔎", "model", "Model search"),
    Page("pages/trends.py", "Trends", "📅", "trends", "Trends"),
)


def page_for(script: str) -> Page:
    """The page whose script is `script` (a page passes its own `__file__`)."""
    name = PurePath(script).name
    for page in PAGES:
        if PurePath(page.path).name == name:
            return page
    raise KeyError(f"{script} is not a page of constellation.app.pages.PAGES; add it there")
