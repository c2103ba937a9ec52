"""Scatter plots (WebGL): downloads × likes, parameters × downloads, creation date × downloads."""

import streamlit as st

from constellation.app import figures, ui
from constellation.app.pages import page_for

atlas = ui.page_start()
filters = ui.current_filters()
# With no filter set, the build's sample of the whole atlas (site/scatter.parquet): no model is read.
views = ui.unfiltered_views(atlas)
precomputed = views if views is not None and views.has_scatter else None
models = None if precomputed is not None else ui.filtered_models(atlas, columns=ui.SCATTER_COLUMNS)
st.title(page_for(__file__).heading)
ui.filter_caption(atlas, ui.kept_count(atlas))
kinds = {spec.title: key for key, spec in figures.SCATTERS.items()}
left, right = st.columns(2)
title = left.selectbox("Plot", list(kinds), key="scatter_kind")
colour_by = right.selectbox("Colour by", list(figures.COLOUR_BY), key="scatter_colour")


@st.cache_resource(max_entries=16, show_spinner="Plotting …")
def scatter(root, snapshot_id, filters, kind, colour_by):
    sample = precomputed.scatter(kind) if precomputed is not None else None
    if sample is not None:
        return figures.sample_figure(sample, kind, colour_by)
    return figures.scatter_figure(ui.filtered_models(atlas, filters, columns=ui.SCATTER_COLUMNS), kind, colour_by)


result = scatter(str(atlas.root), atlas.snapshot_id, filters, kinds[title], colour_by)
if result.shown == 0:
    ui.unavailable(f"{title} (no model has both values)")
    st.stop()
event = st.plotly_chart(
    result.figure, key="scatter_chart", on_select="rerun", selection_mode=("points", "box", "lasso")
)
st.caption(result.note + " Lasso or box-select points to list and export them.")
picked = figures.selected_ids(event)
if picked:
    # Selected points are drawn points: the precomputed sample holds every one of them.
    pool = precomputed.scatter_points() if precomputed is not None else models
    selection = pool[pool["id"].isin(set(picked)).to_numpy(dtype=bool)]
    st.markdown(f"**{len(selection):,} selected**")
    st.dataframe(
        selection[[c for c in ("id", "downloads", "likes", "params", "family", "community_label") if c in selection]],
        hide_index=True,
    )
    ui.export_buttons(atlas, ui.every_column(atlas, selection), key="scatter_export_sel", rows=len(selection))
elif models is None:
    ui.export_buttons(atlas, lambda: ui.every_column_kept(atlas, filters), key="scatter_export", rows=atlas.size)
else:
    ui.export_buttons(atlas, ui.every_column(atlas, models), key="scatter_export", rows=len(models))
