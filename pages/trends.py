"""Trends: families and communities by downloads across snapshots; new models per week by family."""

import plotly.express as px
import streamlit as st

from constellation import history, site_summary, site_trends
from constellation.app import figures, overview, trends, ui
from constellation.app.escape import html_text
from constellation.app.pages import page_for

atlas = ui.page_start()
filters = ui.current_filters()
data = ui.layout()
st.title(page_for(__file__).heading)
ui.filter_caption(atlas, ui.kept_count(atlas))
snapshots = ui.scope_snapshot_ids(atlas)
st.caption(f"{len(snapshots):,} snapshot(s) so far; groups are those of the latest atlas.")
top_n = st.slider("Groups shown", 3, 20, 8, key="trends_top")


@st.cache_resource(max_entries=8, show_spinner=False)
def top_members(root, snapshot_id, filters, column, top_n):
    # one pick of a selection's top groups from the build's codes, for the curves and the weekly bars alike
    counts = atlas.filter_counts
    return None if counts is None else trends.coded_members(counts, column, ui.kept(atlas, filters), top_n)


@st.cache_data(max_entries=16, show_spinner="Reading the snapshots …")
def over_snapshots(root, snapshot_id, filters, column, top_n, snapshot_ids):
    # a number means nothing to a reader: communities are named "3: mistral · 7b · v0.1"
    labels = (lambda: ui.community_labels(atlas)) if column == "community" else (lambda: None)
    if not filters.active:  # the build counted the unfiltered curves (site/trends.json)
        frame = trends.unfiltered(atlas, column, top_n, snapshot_ids, labels)
        if frame is not None:
            return frame
    else:  # the build's codes and snapshots by row: no id, no snapshot read
        members = top_members(root, snapshot_id, filters, column, top_n)
        frame = trends.filtered(atlas, data, members, column, snapshot_ids, labels) if members is not None else None
        if frame is not None:
            return frame
    frame = ui.filtered_models(atlas, filters, columns=ui.TRENDS_COLUMNS)
    members = site_trends.trend_members(frame, column, top_n, labels())
    return history.group_downloads_over_snapshots(data, members, column, snapshot_ids)


@st.cache_data(max_entries=16, show_spinner=False)
def weekly_new(root, snapshot_id, filters, top_n):
    if filters.active:  # the build's family codes: only the members' creation dates are read
        members = top_members(root, snapshot_id, filters, "family", top_n)
        precomputed = trends.weekly_filtered(atlas, members) if members is not None else None
    else:
        precomputed = atlas.summary.weekly_frame(top_n)
    if precomputed is not None:  # counted by the build, or from its codes
        return precomputed
    frame = ui.filtered_models(atlas, filters, columns=ui.TRENDS_COLUMNS)
    top = overview.top_groups(frame, "family", top_n)["family"].tolist()
    return site_summary.new_models_per_week(frame, "family", top)


for column, title in (("family", "Families"), ("community", "Communities")):
    st.subheader(f"{title} by downloads across snapshots")
    if not atlas.has(column):
        ui.unavailable(title)
        continue
    frame = over_snapshots(str(atlas.root), atlas.snapshot_id, filters, column, top_n, tuple(snapshots))
    if frame.empty:
        st.info("No snapshot holds these models.")
        continue
    if frame["snapshot"].nunique() < 2:
        st.caption("Only one snapshot so far: each group is a single point until the next crawl.")
    frame[column] = frame[column].map(html_text)  # plotly legends read HTML
    st.plotly_chart(figures.trend_figure(frame, column), key=f"trend_{column}")

st.subheader("New models per week, by family")
if not atlas.has("family") or not atlas.has("created_at"):
    ui.unavailable("Families or creation dates")
else:
    weekly = weekly_new(str(atlas.root), atlas.snapshot_id, filters, top_n)
    if weekly.empty:
        st.info("No creation dates in this selection.")
    else:
        weekly["family"] = weekly["family"].map(html_text)
        st.plotly_chart(px.bar(weekly, x="week", y="models", color="family"), key="trend_weekly")
