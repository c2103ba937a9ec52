"""Graph: a model's neighbourhood, or a community's inside, drawn with pyvis."""

import streamlit as st

from constellation.app import graphs, lineage, ui
from constellation.app.escape import md
from constellation.app.filters import filter_mask
from constellation.app.neighbourhood import community as graph_of_community
from constellation.app.neighbourhood import neighbourhood
from constellation.app.pages import page_for

atlas = ui.page_start()
st.title(page_for(__file__).heading)
mode = st.radio("Show", ["A model's neighbourhood", "A community"], horizontal=True, key="graph_mode")
cap = st.slider("At most this many nodes", 20, graphs.HARD_CAP, graphs.DEFAULT_CAP, step=10, key="graph_cap")


@st.cache_data(max_entries=32, show_spinner="Laying out the graph …")
def html_of(spec_key, _spec):
    return graphs.render_html(_spec)


if mode == "A model's neighbourhood":
    model_id = ui.model_picker(atlas, key="graph_search", label="Model")
    if model_id is None:
        st.caption("Pick a model to see its parents, children, ancestors and most similar names.")
        st.stop()
    # From the build's keyed lookups (a few row groups); an atlas built before them reads every model.
    spec = neighbourhood(atlas.lookup, model_id, cap) if atlas.lookup is not None else None
    if spec is None:
        nodes_of = atlas.frame(ui.GRAPH_COLUMNS)  # every model, the few columns the graph shows
        chain = [a.id for a in lineage.ancestors(nodes_of, atlas.position, model_id)]
        index = ui.similarity(atlas)
        # Nodes first (ancestors, lineage neighbours, most similar names), then every similarity edge among them.
        touching = lineage.lineage_edges_of(atlas.lineage, model_id)
        near = index.edges_of([model_id])
        nodes = {model_id, *chain, *touching["source"].astype(str), *touching["target"].astype(str), *near["target"]}
        similar = index.edges_of(nodes, within=True)
        spec = graphs.neighbourhood_graph(model_id, nodes_of, atlas.position, atlas.lineage, similar, chain, cap=cap)
    hidden = 0
    filters = ui.current_filters()
    if filters.active:
        rows = [atlas.position(i) for i in spec.nodes["id"]]
        known = [(i, r) for i, r in zip(spec.nodes["id"], rows, strict=True) if r is not None]
        mask = filter_mask(atlas.frame(filters.columns).iloc[[r for _, r in known]], filters)
        spec, hidden = graphs.restrict(spec, {i for (i, _), ok in zip(known, mask, strict=True) if ok})
    key = ("model", atlas.snapshot_id, model_id, cap, filters)
    st.caption(
        f"{md(model_id)}: {len(spec.nodes):,} models, {len(spec.edges):,} edges."
        + (f" The filters hide {hidden:,} neighbours." if hidden else "")
    )
else:
    if not atlas.has("community"):
        ui.unavailable("Communities")
        st.stop()
    # With no filter set, the build's top members of each large community (site/community_top.parquet).
    found = atlas.lookup
    views = ui.unfiltered_views(atlas) if found is not None else None
    models = None if views is not None else ui.filtered_models(atlas, columns=ui.GRAPH_COLUMNS)
    counts = ui.group_sizes(atlas, models, "community")
    if counts.empty:
        st.info("No community in this selection.")
        st.stop()
    labels = ui.community_labels(atlas)
    community = st.selectbox(
        "Community", [int(c) for c in counts.index[:500]], key="graph_community",
        format_func=lambda c: f"{c}: {labels.get(c, '')} ({counts[c]:,} models)",
    )  # fmt: skip
    top = views.community_members(community) if views is not None else None
    if top is not None and found is not None:
        spec = graph_of_community(found, top, int(counts[community]), cap)
    else:
        members = models if models is not None else ui.filtered_models(atlas, columns=ui.GRAPH_COLUMNS)
        members = members[(members["community"] == community).to_numpy(dtype=bool)]
        top_ids = tuple(members.nlargest(min(cap, len(members)), "downloads")["id"].astype(str))
        similar = ui.similarity(atlas).edges_of(top_ids, within=True)
        spec = graphs.community_graph(members, atlas.lineage, similar, cap=cap)
    key = ("community", atlas.snapshot_id, community, cap, ui.current_filters())
    st.caption(f"Community {community}: {len(spec.nodes):,} models, {len(spec.edges):,} edges.")

if spec.note:
    st.info(spec.note)
st.iframe(html_of(key, spec), height=680)
legend = " · ".join(f"<span style='color:{c}'>■</span> {w} ({s})" for w, c, s in graphs.legend_rows())
st.markdown(legend, unsafe_allow_html=True)
rows = [r for r in map(atlas.position, spec.nodes["id"]) if r is not None]
ui.export_buttons(atlas, lambda: atlas.models.iloc[sorted(rows)], key="graph_export", rows=len(rows))
