"""Constellation's explorer: `streamlit run streamlit_app.py` (or `constellation app`).

The entry only picks the pages (or the getting-started page when there is no atlas yet) and starts
building the search indexes in the background. Every page starts with `ui.page_start()`: the
synthetic-data banner and the sidebar filters, which live in the URL. The pages in pages/ stay thin;
the logic is in constellation/app/.
"""

from __future__ import annotations

import streamlit as st

from constellation.app import ui

# Emoji, not Material icons: the page icon becomes the favicon, and a Material one is fetched from
# fonts.gstatic.com, which an offline site cannot reach.
st.set_page_config(page_title="Constellation", page_icon="✨", layout="wide")

atlas, reason = ui.try_atlas()
if atlas is None:
    st.navigation([st.Page(lambda: ui.no_atlas_page(reason), title="Getting started", url_path="start")]).run()
    st.stop()

ui.warm_up(atlas)
pages = [
    st.Page("pages/overview.py", title="Overview", icon="🌌", default=True),
    st.Page("pages/dendrogram.py", title="Dendrogram", icon="🌳", url_path="dendrogram"),
    st.Page("pages/graph.py", title="Graph", icon="🕸️", url_path="graph"),
    st.Page("pages/word_clouds.py", title="Word clouds", icon="☁️", url_path="clouds"),
    st.Page("pages/scatter.py", title="Scatter", icon="📈", url_path="scatter"),
    st.Page("pages/model.py", title="Model search", icon="🔎", url_path="model"),
    st.Page("pages/trends.py", title="Trends", icon="📅", url_path="trends"),
]
st.navigation(pages).run()
