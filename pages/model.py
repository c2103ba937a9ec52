"""Model search and the model page: size and its source, lineage, community, nearest names."""

from urllib.parse import quote

import pandas as pd
import streamlit as st

from constellation.app import lineage, ui
from constellation.app.escape import hub_url, md
from constellation.app.model_view import model_view
from constellation.app.overview import params_text
from constellation.app.pages import page_for

atlas = ui.page_start()
st.title(page_for(__file__).heading)
model_id = ui.model_picker(atlas, key="model_search")
if model_id is None:
    st.caption("Type part of an id: matches that start with it come first, then ids that contain it.")
    st.stop()

view = model_view(atlas, model_id, ui.MODEL_PAGE_COLUMNS, lambda: ui.similarity(atlas))
if view is None:
    st.info(f"{md(model_id)} is not in this atlas.")
    st.stop()
st.header(md(model_id))
st.markdown(f"[Open on the Hugging Face Hub]({hub_url(model_id)})")


value = view.value


facts = {
    "pipeline tag": value("pipeline_tag"),
    "library": value("library_name"),
    "license": value("license"),
    "downloads (30 days)": f"{int(value('downloads')):,}" if value("downloads") is not None else None,
    "likes": f"{int(value('likes')):,}" if value("likes") is not None else None,
    "created": str(value("created_at"))[:10] if value("created_at") is not None else None,
}
st.markdown("  \n".join(f"**{k}**: {md(v)}" for k, v in facts.items() if v is not None))

st.subheader("Parameters")
if atlas.has("params") or atlas.has("params_source"):
    params = value("params")
    source = value("params_source")
    lines = [f"**total**: {params_text(float(params)) if params is not None else 'unknown'}"
             f" (from {md(source) if source else 'no source'})"]  # fmt: skip
    if value("active_params") is not None:
        lines.append(f"**active** (mixture of experts): {params_text(float(value('active_params')))}")
    if value("params_from_name") is not None:
        lines.append(f"**the name says**: {params_text(float(value('params_from_name')))}")
    if value("params_flag") is not None:
        lines.append(f"**note**: {md(value('params_flag'))}")
    st.markdown("  \n".join(lines))
else:
    ui.unavailable("Parameter counts")

st.subheader("Lineage")
if view.has_lineage:
    chain = view.ancestors
    if chain:
        below = [model_id] + [a.id for a in chain[:-1]]
        steps = [f"- {md(child)} is a *{md(a.relation or 'derivative (relation not stated)')}* of **{md(a.id)}**"
                 + ("" if a.known else " (not in this atlas)") for child, a in zip(below, chain, strict=True)]  # fmt: skip
        st.markdown("**Ancestors up to the root**\n\n" + "\n".join(steps))
    else:
        st.markdown("**Root**: declares no parent.")
    parents = view.parents
    if len(parents) > 1:  # a merge (or several declared bases): the chain above follows the primary one
        st.markdown("**All parents**  \n" + "  \n".join(
            f"{md(r.source)} ({md(r.kind)} {md(r.relation if isinstance(r.relation, str) else 'parent')})"
            for r in parents.itertuples(index=False)))  # fmt: skip
    family = value("family")
    if family is not None:
        st.markdown(f"**Family**: {md(family)}; depth {value('depth') if value('depth') is not None else '?'}")
    desc = lineage.descendants(pd.Series(view.values), view.children)
    if desc.counts or desc.total is not None:
        st.markdown(
            f"**Descendants**: {desc.total if desc.total is not None else '?'} in all — "
            + ", ".join(f"{md(k)} {v:,}" for k, v in desc.counts.items())
        )
    for relation, ids in desc.children.items():
        with st.expander(f"Direct children: {md(relation)} ({desc.children_total[relation]:,})"):
            st.markdown("  \n".join(f"[{md(i)}](?model={quote(i, safe='')})" for i in ids))
    inferred = value("inferred_parent")
    if inferred is not None:
        conf = value("inferred_confidence")
        sure = lineage.how_sure(
            value("inferred_relation"),
            float(conf) if conf is not None else None,
            view.inferred_evidence,
        )
        st.markdown(f"**Inferred parent** (Constellation's guess, not declared): {md(inferred)}, {md(sure)}")
else:
    ui.unavailable("Lineage")

# One snapshot draws no curve: the query (a scan of every snapshot file) waits for a second one.
history = ui.history(model_id, atlas) if len(ui.scope_snapshot_ids(atlas)) > 1 else None
if history is not None and len(history) > 1:
    st.subheader("Across snapshots")
    st.line_chart(history.set_index("date")[["downloads", "likes"]].astype("float64"))

st.subheader("Community and nearest names")
if value("community") is not None:  # a model can miss a community in an atlas that has them
    st.markdown(f"**Community** {int(value('community'))}: {md(value('community_label') or '')}")
near = view.neighbours
if len(near):
    st.dataframe(near, hide_index=True)
else:
    ui.unavailable("Nearest names (similarity edges)")
st.page_link("pages/graph.py", label="See its neighbourhood graph", icon="🕸️", query_params={"model": model_id})
