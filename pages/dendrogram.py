"""Dendrogram: the atlas at community level, a cut-height control, and a drill-down into one community."""

import streamlit as st

from constellation.app import figures, hierarchy_view, ui
from constellation.app.escape import md
from constellation.app.pages import page_for

atlas = ui.page_start()
filters = ui.current_filters()
# With no filter set, the build's trees (site/dendrogram.npz, member_trees.parquet): no model is read.
views = ui.unfiltered_views(atlas)
models = None if views is not None else ui.filtered_models(atlas, columns=ui.DENDROGRAM_COLUMNS)
st.title(page_for(__file__).heading)
ui.filter_caption(atlas, ui.kept_count(atlas))
if not atlas.has("community"):
    ui.unavailable("Communities (and so the dendrogram)")
    st.stop()


@st.cache_resource(max_entries=8, show_spinner="Clustering communities …")
def community_tree(root, snapshot_id, filters):
    saved = views.community_tree() if views is not None else None
    if saved is not None:
        return saved
    frame = ui.filtered_models(atlas, filters, columns=ui.DENDROGRAM_COLUMNS)
    # The atlas's own tree covers every community; with filters on, the tree is re-made from what is left.
    hierarchy = atlas.hierarchy if not filters.active else {}
    return hierarchy_view.community_tree(hierarchy, atlas.communities, frame)


tree = community_tree(str(atlas.root), atlas.snapshot_id, filters)
if tree is None:
    st.info("Fewer than two communities (or no layout) in this selection: nothing to cluster.")
else:
    top = float(tree.linkage[:, 2].max())
    cut = st.slider("Cut height", 0.0, max(top, 1e-9), value=round(top * 0.5, 6), format="%.3g", key="dendro_cut")
    result = figures.dendrogram_figure(tree.linkage, tree.labels, cut=cut, title="Communities")
    st.plotly_chart(result.figure, key="dendro_communities")
    st.caption(
        f"Tree: {md(tree.source)}."
        + (f" Showing the top of a {len(tree.labels):,}-leaf tree." if result.truncated else "")
    )
    clusters = figures.clusters_at(tree.linkage, tree.labels, cut)
    st.markdown(f"**A cut at {cut:.3g} gives {clusters['cluster'].nunique():,} clusters**")
    st.dataframe(clusters, hide_index=True, height=240)
    ui.similarity_note(atlas)

st.subheader("Inside one community")
communities = ui.group_sizes(atlas, models, "community")
options = [int(c) for c in communities.index[:500]]
if not options:
    st.info("No community in this selection.")
    st.stop()
labels = ui.community_labels(atlas)
chosen = st.selectbox(
    "Community", options, key="dendro_community",
    format_func=lambda c: f"{c}: {labels.get(c, '')} ({communities[c]:,} models)",
)  # fmt: skip


@st.cache_resource(max_entries=32, show_spinner="Clustering names …")
def member_tree(root, snapshot_id, filters, community):
    saved = views.member_tree(community) if views is not None else None
    if saved is not None:
        return hierarchy_view.saved_member_tree(*saved)
    frame = ui.filtered_models(atlas, filters, columns=ui.DENDROGRAM_COLUMNS)
    members = frame[(frame["community"] == community).to_numpy(dtype=bool)]
    return hierarchy_view.member_tree(atlas.hierarchy if not filters.active else {}, community, members)


inner = member_tree(str(atlas.root), atlas.snapshot_id, filters, chosen)
if inner is None:
    st.info("This community has a single model in the selection.")
else:
    inner_top = float(inner.linkage[:, 2].max()) or 1.0
    inner_cut = st.slider(
        "Cut height inside", 0.0, inner_top, value=round(inner_top * 0.7, 6), format="%.3g", key="dendro_inner_cut"
    )
    inside = figures.dendrogram_figure(inner.linkage, inner.labels, cut=inner_cut, title=f"Community {chosen}")
    st.plotly_chart(inside.figure, key="dendro_members")
    st.caption(f"Tree: {md(inner.source)}.")
    sub = figures.clusters_at(inner.linkage, inner.labels, inner_cut)
    st.markdown(f"**{sub['cluster'].nunique():,} clusters at {inner_cut:.3g}**")
    st.dataframe(sub, hide_index=True, height=240)
    ui.export_buttons(atlas, lambda: ui.members_of(atlas, chosen), key="dendro_export", rows=int(communities[chosen]))
