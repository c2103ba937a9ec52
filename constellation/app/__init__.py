"""Helpers of the explorer site (`streamlit_app.py`, `pages/`).

Every module here is plain Python over pandas frames, unit-tested without Streamlit:

    data       load the atlas lean (needed columns, categorical dtypes), ask what it holds
    filters    the sidebar filters, their URL form, and applying them
    search     type-ahead over model ids
    similarity the similarity edges as an in-memory adjacency list (nearest names, edges among a set)
    lineage    ancestors, descendants and lineage edges of one model
    overview   counts and top lists
    figures    plotly scatter plots and dendrograms
    hierarchy_view  the linkage behind each dendrogram (the atlas's, else computed small)
    graphs     pyvis graphs (capped, precomputed layout, physics off)
    clouds     word clouds of name n-grams
    exports    CSV / GraphML / JSON of the current selection
    escape     making Hub strings harmless in markdown and HTML
    serve      the `streamlit run` command line of `constellation app`

`ui` is the one module that imports Streamlit: the glue the pages share (cached loading, sidebar,
banners, the page shown when there is no atlas yet).
"""
