"""Word clouds of name n-grams: the whole atlas, a community or a family."""

import streamlit as st

from constellation.app import ui
from constellation.app.escape import md
from constellation.app.pages import page_for

atlas = ui.page_start()
filters = ui.current_filters()
kept = ui.kept_count(atlas)
st.title(page_for(__file__).heading)
ui.filter_caption(atlas, kept)

scopes = ["The whole atlas"]
if atlas.has("community"):
    scopes.append("A community")
if atlas.has("family"):
    scopes.append("A family")
scope = st.radio("Cloud of", scopes, horizontal=True, key="cloud_scope")
value = None
if scope != "The whole atlas":
    column = "community" if scope == "A community" else "family"
    counts = ui.group_sizes(atlas, ui.filtered_models(atlas, columns=ui.CLOUD_COLUMNS), column)
    if counts.empty:
        st.info("Nothing in this selection.")
        st.stop()
    sizes = {str(k): int(v) for k, v in counts.items()}
    value = st.selectbox(
        scope[2:].capitalize(), list(sizes), key=f"cloud_{column}", format_func=lambda v: f"{v} ({sizes[v]:,} models)"
    )
if not kept:
    st.info("No model passes the filters.")
    st.stop()
kind = {"The whole atlas": "atlas", "A community": "community", "A family": "family"}[scope]
image, used, total, top = ui.word_cloud(str(atlas.root), atlas.snapshot_id, filters, kind, value)
st.image(image, width="stretch")
note = f"{used:,} names" + (f", a seeded sample of {total:,}" if used < total else "")
st.caption(f"Unigrams and bigrams of model names (owners left out); {note}.")
with st.expander("Most frequent n-grams"):
    st.markdown("  \n".join(f"{md(gram)}: {count:,}" for gram, count in top))
