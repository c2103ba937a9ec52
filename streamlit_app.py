"""Constellation's explorer: `streamlit run streamlit_app.py` (or `constellation app`).

The entry only picks the pages (or the getting-started page when there is no atlas yet) and starts
building the search indexes in the background. Every page starts with `ui.page_start()`: the
synthetic-data banner and the sidebar filters, which live in the URL. The pages in pages/ stay thin;
the logic is in constellation/app/.
"""

from __future__ import annotations

import streamlit as st

from constellation.app import ui
from constellation.app.pages import PAGES

# Emoji, not Material icons (here and in constellation/app/pages.py): the page icon becomes the favicon,
# and a Material one is fetched from fonts.gstatic.com, which an offline site cannot reach.
st.set_page_config(page_title="Constellation", page_icon="✨", layout="wide")

atlas, reason = ui.try_atlas()
if atlas is None:
    st.navigation([st.Page(lambda: ui.no_atlas_page(reason), title="Getting started", url_path="start")]).run()
    st.stop()

ui.warm_up(atlas)
pages = [
    st.Page(page.path, title=page.title, icon=page.icon, url_path=page.url_path, default=page.default) for page in PAGES
]
st.navigation(pages).run()
