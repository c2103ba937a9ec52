"""Overview: counts, top families and communities, growth since the previous snapshot."""

import streamlit as st

from constellation.app import ui
from constellation.app.escape import md
from constellation.app.pages import page_for

atlas = ui.page_start()
filters = ui.current_filters()
st.title(page_for(__file__).heading)
# Without filters every number below is the build's (site/summary.json): the page reads no model.
counts = ui.atlas_counts(atlas)
ui.filter_caption(atlas, counts.models)

cols = st.columns(5)
cols[0].metric("Models", f"{counts.models:,}")
cols[1].metric("Families", f"{counts.families:,}" if counts.families is not None else "n/a")
cols[2].metric("Communities", f"{counts.communities:,}" if counts.communities is not None else "n/a")
share = counts.known_size_share
cols[3].metric("With known size", f"{share:.1%}" if share is not None else "n/a")
cols[4].metric("Snapshot", counts.snapshot_date[:10], help=f"crawl started {counts.snapshot_date}")

growth = ui.growth(atlas)
if growth is None:
    st.caption("Growth: this is the first snapshot, so there is nothing to compare with yet.")
else:
    delta = growth["models_now"] - growth["models_before"]
    st.markdown(
        f"**Since the previous snapshot** ({md(growth['previous'])}): {delta:+,} models "
        f"({growth['added']:,} new, {growth['removed']:,} gone; the whole snapshot, before filters)."
    )

left, right = st.columns(2)
with left:
    st.subheader("Top families by downloads")
    if atlas.has("family"):
        st.dataframe(ui.top_groups(atlas, "family", 15), hide_index=True)
    else:
        ui.unavailable("Families")
with right:
    st.subheader("Top communities by downloads")
    if atlas.has("community"):
        st.dataframe(ui.top_groups(atlas, "community", 15), hide_index=True)
        ui.similarity_note(atlas)
    else:
        ui.unavailable("Communities")

ui.export_buttons(atlas, lambda: ui.every_column_kept(atlas, filters), key="overview_export", rows=counts.models)
