"""The Streamlit glue the pages share — the one module of constellation/app that imports Streamlit.

It caches the loaded atlas per (data dir, atlas id) so every session shares one copy, draws the sidebar
filters and keeps them in the URL, shows the banners and the page for a data dir without an atlas.
Everything it draws comes from the plain helpers beside it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from constellation import site_views
from constellation.app import clouds, exports, overview
from constellation.app.data import MODEL_COLUMNS, Atlas, load_atlas
from constellation.app.escape import md
from constellation.app.filters import FILTER_COLUMNS, PARAM_KEYS, ROOT, Filters, filters_from_query_params, kept_rows
from constellation.app.memory import release_arrow_memory
from constellation.app.search import IdIndex
from constellation.app.similarity import SimilarityIndex, build_similarity_index
from constellation.contract import DATA_ENV, RELATIONS, DataLayout
from constellation.errors import ConstellationError
from constellation.history import model_history, snapshot_growth
from constellation.site_views import SiteViews
from constellation.store import build_stamp, latest_atlas_id, partial_scope, same_scope_snapshot_ids

log = logging.getLogger(__name__)

FILTER_STATE = "filters"
_WIDGETS = {
    "pipeline_tags": "f_pipeline",
    "min_downloads": "f_min_dl",
    "params_min_b": "f_pmin",
    "params_max_b": "f_pmax",
    "licenses": "f_license",
    "relations": "f_relation",
}


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


@st.cache_resource(max_entries=1, show_spinner="Loading the atlas …")
def _atlas(root: str, snapshot_id: str) -> Atlas:
    # max_entries=1: when a new build lands, the old atlas leaves memory with the first load of the new one.
    return load_atlas(DataLayout.at(root), snapshot_id)


@st.cache_resource(max_entries=1, show_spinner="Indexing model ids …")
def _index(root: str, snapshot_id: str) -> IdIndex:
    atlas = _atlas(root, snapshot_id)
    found = atlas.lookup
    if found is not None:  # the build's keys, memory-mapped: nothing to sort
        return IdIndex.from_arrays(found.search_keys, found.search_targets, found.ids, found.lower)
    index = IdIndex.build(atlas.sorted_ids)  # the ids alone: no other column is read
    release_arrow_memory()
    return index


@st.cache_resource(max_entries=1, show_spinner="Indexing the similarity edges (once per atlas) …")
def _similarity(root: str, snapshot_id: str) -> SimilarityIndex:
    atlas = _atlas(root, snapshot_id)
    found = atlas.lookup
    if found is not None:  # the build's arrays, memory-mapped: no join, no sort
        return SimilarityIndex(found.similar_offsets, found.similar_targets, found.similar_weights, atlas.sorted_ids)
    index = build_similarity_index(atlas.edges_path, atlas.sorted_ids)
    release_arrow_memory()
    return index


def similarity(atlas: Atlas) -> SimilarityIndex:
    return _similarity(str(atlas.root), atlas.snapshot_id)


_warming: set[tuple[str, str]] = set()
_warming_lock = threading.Lock()


def warm_up(atlas: Atlas) -> None:
    """Build the search and similarity indexes in the background, once per atlas and process, so the
    first visitor of the model or graph page does not wait for them (~20 s at 3M models); read the
    columns the filters and the overview's filtered numbers need on the way."""
    key = (str(atlas.root), atlas.snapshot_id)
    with _warming_lock:
        if key in _warming:
            return
        _warming.add(key)

    def work() -> None:
        try:
            _index(*key)
            # The columns of a first filter change on the overview (its filters, counts and top lists), so
            # that change costs a mask and a few sums, not a read of the models file.
            _atlas(*key).frame(WARM_COLUMNS)
            _similarity(*key)
            _ = _atlas(*key).lineage  # read now: the model page's and the graph's lineage edges
        except Exception:  # a failure here is seen (and shown) again when a page asks for the index
            log.exception("warming the indexes of atlas %s failed", key[1])

    # No script context on purpose: with one, the cache's spinner would be drawn into the page of the
    # session that happened to start the thread, in the middle of its own elements.
    thread = threading.Thread(target=work, name=f"{_WARM_PREFIX}{key[1]}", daemon=True)
    thread.start()


class _QuietWarmThreads(logging.Filter):
    """Drops Streamlit's "missing ScriptRunContext" warning for the warm-up threads (expected there)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not ((record.threadName or "").startswith(_WARM_PREFIX) and "ScriptRunContext" in record.getMessage())


_WARM_PREFIX = "constellation-warm-"
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_QuietWarmThreads())


def layout() -> DataLayout:
    return DataLayout.at()


# (data dir, atlas id) -> the build.json stamp the caches hold: a rebuild of the same id (`build --force`)
# swaps a new folder in, with a new build.json, and the next rerun of any page drops the old caches.
_loaded_stamps: dict[tuple[str, str], tuple[int, int]] = {}
_stamps_lock = threading.Lock()


def _drop_stale_caches(root: str, snapshot_id: str) -> None:
    stamp = build_stamp(DataLayout.at(root), snapshot_id)
    if stamp is None:
        return
    with _stamps_lock:
        before = _loaded_stamps.get((root, snapshot_id))
        _loaded_stamps[(root, snapshot_id)] = stamp
        if before is None or before == stamp:
            return
        log.info("atlas %s was rebuilt; reloading it", snapshot_id)
        st.cache_resource.clear()
        st.cache_data.clear()
    with _warming_lock:
        _warming.discard((root, snapshot_id))


def try_atlas() -> tuple[Atlas | None, str | None]:
    """The latest atlas, or None and why (a ConstellationError's message: no atlas, broken pointer …).

    atlas/LATEST and the atlas's build.json are looked at on every rerun (two small reads), so a running
    site shows a new build, or a rebuild of the same id, on the next click without a restart.

    When the atlas LATEST names cannot be read (a damaged file), the one atlas/PREVIOUS names (what LATEST
    named before its last move, kept by `prune`) is served instead, with a banner saying so (`banners`): the
    site keeps showing the last good published data, never a trial atlas that was not published.
    """
    data = layout()
    try:
        snapshot_id = latest_atlas_id(data)
    except ConstellationError as exc:
        return None, str(exc)
    _drop_stale_caches(str(data.root), snapshot_id)
    previous = data.previous_atlas_id()
    fallback = [previous] if previous not in (None, snapshot_id) and data.atlas(previous).is_dir() else []
    problem: str | None = None
    for candidate in [snapshot_id, *fallback]:
        try:
            atlas = _atlas(str(data.root), candidate)
        except (ConstellationError, OSError, ValueError, KeyError, pa.ArrowException) as exc:
            # A damaged or foreign atlas folder: say so on the page instead of a traceback.
            log.warning("atlas %s could not be read: %s: %s", candidate, type(exc).__name__, exc)
            problem = problem or (
                f"atlas {snapshot_id} in {data.atlases} could not be read ({type(exc).__name__}: {exc}); "
                f"rebuild it with `constellation build --snapshot {snapshot_id} --force`"
            )
            continue
        _FALLBACK[str(data.root)] = (candidate, problem) if problem else None
        return atlas, None
    return None, problem


# data dir -> (the id served instead of LATEST's, why) while LATEST's atlas cannot be read; read by `banners`.
_FALLBACK: dict[str, tuple[str, str] | None] = {}


def id_index(atlas: Atlas) -> IdIndex:
    return _index(str(atlas.root), atlas.snapshot_id)


def no_atlas_page(reason: str | None = None) -> None:
    """What a visitor sees before the first build: what happened and the commands that fix it."""
    data = layout()
    st.title("Constellation")
    st.subheader("No atlas to show yet")
    st.markdown(
        f"The explorer reads the latest atlas from `{md(data.atlases)}`, and there is none yet.\n\n"
        "**Offline demo** (a fake Hub with synthetic models, nothing leaves this machine):\n\n"
        "```\nmake demo\n```\n\n"
        "**The real Hub**: crawl a snapshot, then build its atlas:\n\n"
        "```\nmake crawl\nmake build\n```\n\n"
        f"The data directory is `${DATA_ENV}` (now `{md(data.root)}`), else `./data`; "
        "`constellation app --data-dir DIR` points the site elsewhere."
    )
    if reason:
        st.caption(f"Details: {md(reason)}")


# --------------------------------------------------------------------------------------------------
# Filters (sidebar + URL)
# --------------------------------------------------------------------------------------------------


def sidebar_filters(atlas: Atlas) -> Filters:
    """Draw the filters; the URL seeds them on a session's first run and mirrors them on every run."""
    # Widget state does not survive a page switch (each page draws its own sidebar, so the widgets are
    # new ones), so the filters live under FILTER_STATE: the URL seeds it on a session's first run, the
    # widgets' on_change callbacks update it, and every run hands it back to the widgets.
    if not st.session_state.get("_filters_seeded"):
        parsed = filters_from_query_params({k: st.query_params.get_all(k) for k in st.query_params})
        st.session_state[FILTER_STATE] = parsed.filters
        st.session_state["_filters_ignored"] = parsed.ignored
        st.session_state["_filters_seeded"] = True
    state = st.session_state[FILTER_STATE]
    for field_name, key in _WIDGETS.items():
        value = getattr(state, field_name)
        st.session_state[key] = list(value) if isinstance(value, tuple) else value
    choices = atlas.summary.choices  # precomputed: drawing the sidebar reads no model
    with st.sidebar:
        st.header("Filters")
        st.multiselect(
            "Pipeline tag", _merge_options(choices.get("pipeline_tag", []), st.session_state.get(_WIDGETS["pipeline_tags"])),
            key=_WIDGETS["pipeline_tags"], placeholder="all", on_change=_widgets_changed,
        )  # fmt: skip
        st.number_input(
            "Minimum downloads (30 days)",
            min_value=0,
            step=100,
            key=_WIDGETS["min_downloads"],
            on_change=_widgets_changed,
        )
        if atlas.has("params"):
            left, right = st.columns(2)
            left.number_input(
                "Params ≥ (B)",
                min_value=0.0,
                step=0.5,
                format="%g",
                key=_WIDGETS["params_min_b"],
                value=None,
                on_change=_widgets_changed,
            )
            right.number_input(
                "Params ≤ (B)",
                min_value=0.0,
                step=0.5,
                format="%g",
                key=_WIDGETS["params_max_b"],
                value=None,
                on_change=_widgets_changed,
            )
        else:
            st.caption("Parameter range: not available in this atlas.")
        st.multiselect(
            "License", _merge_options(choices.get("license", []), st.session_state.get(_WIDGETS["licenses"])),
            key=_WIDGETS["licenses"], placeholder="all", on_change=_widgets_changed,
        )  # fmt: skip
        relations = [ROOT, *RELATIONS]
        st.multiselect(
            "Relation to parent", _merge_options(relations, st.session_state.get(_WIDGETS["relations"])),
            key=_WIDGETS["relations"], placeholder="all", on_change=_widgets_changed,
            help="`root`: models that declare no parent. Others: the relation of the declared parent.",
        )  # fmt: skip
        for message in st.session_state.get("_filters_ignored", []):
            st.caption(f"Ignored from the link: {md(message)}")
    filters = st.session_state[FILTER_STATE]
    _write_url(filters)
    return filters


def _widgets_changed() -> None:
    st.session_state[FILTER_STATE] = _filters_from_widgets()


def page_start() -> Atlas:
    """What every page begins with: the atlas (the entry made sure there is one), banners, filters."""
    atlas, reason = try_atlas()
    if atlas is None:  # the atlas vanished between the entry and the page (a data dir swapped under us)
        no_atlas_page(reason)
        st.stop()
    banners(atlas)
    sidebar_filters(atlas)
    return atlas


def current_filters() -> Filters:
    return st.session_state.get(FILTER_STATE, Filters())


def _filters_from_widgets() -> Filters:
    def value(field_name: str) -> Any:
        return st.session_state.get(_WIDGETS[field_name])

    pmin, pmax = value("params_min_b"), value("params_max_b")
    if pmin is not None and pmax is not None and pmin > pmax:
        pmin, pmax = pmax, pmin
    return Filters(
        pipeline_tags=tuple(value("pipeline_tags") or ()),
        min_downloads=int(value("min_downloads") or 0),
        params_min_b=None if pmin is None else float(pmin),
        params_max_b=None if pmax is None else float(pmax),
        licenses=tuple(value("licenses") or ()),
        relations=tuple(value("relations") or ()),
    )


def _write_url(filters: Filters) -> None:
    wanted = filters.to_query_params()
    for key in PARAM_KEYS.values():
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
    for key, value in wanted.items():
        if st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
            st.query_params[key] = value


def _merge_options(options: list[str], selected: list[str] | None) -> list[str]:
    # A value from a shared link that this atlas lacks stays selectable (and simply matches nothing).
    return list(dict.fromkeys([*options, *(selected or [])]))


@st.cache_resource(max_entries=16, show_spinner=False)
def _kept_rows(root: str, snapshot_id: str, filters: Filters) -> np.ndarray:
    # One selection per filter state, shared by every session and page: the positions the filters keep
    # (4 bytes a row), from the filters' own columns only. Pages take their columns at these rows.
    atlas = _atlas(root, snapshot_id)
    return kept_rows(_filter_frame(atlas, filters), filters)


def _filter_frame(atlas: Atlas, filters: Filters) -> pd.DataFrame:
    """The columns `filters` read: the build's numbers when they hold them all (no read of the models; a
    missing download is 0 there, as the filter counts it), else read from the models."""
    counts = atlas.filter_counts
    if counts is not None and filters.columns and set(filters.columns) <= counts.numbers.keys():
        return pd.DataFrame({c: counts.numbers[c] for c in filters.columns}, copy=False)
    return atlas.frame(filters.columns)


def kept(atlas: Atlas, filters: Filters | None = None) -> np.ndarray | None:
    """The rows of `atlas.models` the filters keep (None: no filter, every row)."""
    filters = filters or current_filters()
    return _kept_rows(str(atlas.root), atlas.snapshot_id, filters) if filters.active else None


# A filtered copy of a 3M-model frame can take ~1 GB: few are kept, and only of the columns a page reads
# (no filter returns the atlas's own columns, never a copy). `columns` None means every explorer column.
@st.cache_resource(max_entries=4, show_spinner=False)
def _filtered(root: str, snapshot_id: str, filters: Filters, columns: tuple[str, ...] | None) -> pd.DataFrame:
    atlas = _atlas(root, snapshot_id)
    frame = atlas.models if columns is None else atlas.frame(columns)
    if not filters.active:
        return frame
    return frame.take(_kept_rows(root, snapshot_id, filters))


def filtered_models(
    atlas: Atlas, filters: Filters | None = None, columns: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """The atlas's models that pass the filters, only `columns` when given (cached; never modify the frame)."""
    return _filtered(str(atlas.root), atlas.snapshot_id, filters or current_filters(), columns)


def _selection(root: str, snapshot_id: str, filters: Filters, columns: tuple[str, ...]) -> pd.DataFrame:
    """`columns` at the rows the filters keep, made for one computation and not kept: the overview's numbers
    are cached, its frames need not be."""
    atlas = _atlas(root, snapshot_id)
    frame = atlas.frame(columns)
    return frame.take(_kept_rows(root, snapshot_id, filters)) if filters.active else frame


COUNT_COLUMNS = ("family", "community", "params")
WARM_COLUMNS = tuple(dict.fromkeys([*FILTER_COLUMNS, *COUNT_COLUMNS, "downloads", "likes"]))
# What each page reads of the models (export buttons read every column, on a click only).
DENDROGRAM_COLUMNS = ("id", "community", "community_label", "x", "y", "downloads")
SCATTER_COLUMNS = (
    "id", "downloads", "likes", "params", "created_at", "community", "community_label", "family", "relation", "parent",
)  # fmt: skip
TRENDS_COLUMNS = ("id", "family", "community", "downloads", "likes", "created_at")
# The model page shows nearly every column, but not the layout nor the owner/name split of the id.
MODEL_PAGE_COLUMNS = tuple(c for c in MODEL_COLUMNS if c not in ("author", "name", "x", "y", "cluster"))
# The graph's nodes (graphs._node_frame), the lineage chain (lineage.ancestors) and the community pick.
GRAPH_COLUMNS = ("id", "parent", "relation", "community", "downloads", "params", "family", "community_label")


@st.cache_data(max_entries=16, show_spinner=False)
def _top_groups(root: str, snapshot_id: str, filters: Filters, column: str, n: int) -> pd.DataFrame:
    atlas = _atlas(root, snapshot_id)
    label = community_labels(atlas) if column == "community" else None
    top = atlas.summary.top_frame(column, n) if not filters.active else None
    if top is not None:  # the build's precomputed list: no model is read
        if label is not None:
            top.insert(1, "label", top[column].map(label).astype("object"))
        return top
    counts = _coded(atlas, (column, "downloads", "likes"))
    if counts is not None and column in counts.codes:  # codes at the kept rows: no family name is read
        return overview.coded_top_groups(counts, column, _kept_rows(root, snapshot_id, filters), n, label=label)
    frame = _selection(root, snapshot_id, filters, (column, "downloads", "likes"))
    return overview.top_groups(frame, column, n, label=label)


def top_groups(atlas: Atlas, column: str, n: int) -> pd.DataFrame:
    """The top `n` groups of `column` by downloads in the current selection (communities with their
    label), cached per filter state: a real atlas has hundreds of thousands of families, too many to
    group on every rerun. Without filters, the build's site summary has them."""
    return _top_groups(str(atlas.root), atlas.snapshot_id, current_filters(), column, n)


@st.cache_data(max_entries=16, show_spinner=False)
def _counts(root: str, snapshot_id: str, filters: Filters) -> overview.AtlasCounts:
    atlas = _atlas(root, snapshot_id)
    if not filters.active:
        return overview.summary_counts(atlas.summary, snapshot_id)
    counts = _coded(atlas, COUNT_COLUMNS)
    if counts is not None:
        return overview.coded_counts(counts, _kept_rows(root, snapshot_id, filters), snapshot_id)
    return overview.atlas_counts(_selection(root, snapshot_id, filters, COUNT_COLUMNS), snapshot_id)


def _coded(atlas: Atlas, columns: tuple[str, ...]) -> site_views.FilterCounts | None:
    """The build's filter counts when they hold each of `columns` the models have, else None (an older
    atlas, or a column the build could not code: the models are read for it)."""
    counts = atlas.filter_counts
    if counts is None:
        return None
    held = counts.codes.keys() | counts.numbers.keys()
    return counts if all(c in held for c in columns if c in atlas.table.present) else None


def atlas_counts(atlas: Atlas) -> overview.AtlasCounts:
    """The overview's counts of the current selection (the site summary's when no filter is set)."""
    return _counts(str(atlas.root), atlas.snapshot_id, current_filters())


def community_labels(atlas: Atlas) -> pd.Series:
    """community → label (communities.parquet; the models' own labels only for atlases without it)."""
    if {"community", "label"} <= set(atlas.communities.columns):
        return site_views.community_labels(pd.DataFrame(), atlas.communities)
    return site_views.community_labels(atlas.frame(["community", "community_label"]), atlas.communities)


def group_sizes(atlas: Atlas, models: pd.DataFrame | None, column: str, limit: int = 500) -> pd.Series:
    """Models per group of `column` in `models`, largest first: from the site summary when `models` is the
    whole atlas (no filter; None says so without reading it), else counted."""
    if not current_filters().active and (models is None or len(models) == atlas.size):
        sizes = atlas.summary.size_series(column)
        if len(sizes) or not atlas.has(column):
            return sizes.head(limit)
    values = atlas.frame([column])[column] if models is None else models[column]
    return values.value_counts().head(limit)


def members_of(atlas: Atlas, community: int) -> pd.DataFrame:
    """Every explorer column of the models of `community` that pass the filters (an export's, on a click)."""
    models = every_column_kept(atlas, current_filters())
    return models[(models["community"] == community).to_numpy(dtype=bool)]


def unfiltered_views(atlas: Atlas) -> SiteViews | None:
    """The build's precomputed views (scatter points, trees, communities' top members) when they apply: they
    show the whole atlas, so only with no filter set; None then, or for an atlas built before them."""
    return None if current_filters().active else atlas.views


def kept_count(atlas: Atlas) -> int:
    """How many models the current filters keep (no model read without a filter)."""
    rows = kept(atlas)
    return atlas.size if rows is None else len(rows)


def filter_caption(atlas: Atlas, frame: pd.DataFrame | int) -> None:
    kept = frame if isinstance(frame, int) else len(frame)
    if kept < atlas.size:
        st.caption(f"Filters keep {kept:,} of {atlas.size:,} models.")


# --------------------------------------------------------------------------------------------------
# Banners and small pieces
# --------------------------------------------------------------------------------------------------


def banners(atlas: Atlas) -> None:
    fallback = _FALLBACK.get(str(atlas.root))
    if fallback is not None and fallback[0] == atlas.snapshot_id:
        st.error(
            f"**Showing an older atlas, {atlas.snapshot_id}.** {md(fallback[1])}.",
            icon=":material/history:",
        )
    if atlas.synthetic:
        st.warning(
            "**Synthetic demo data.** This atlas was built from the fake Hub's generated models, "
            "not from huggingface.co. Run `make crawl` and `make build` for the real Hub.",
            icon=":material/science:",
        )
    age = overview.data_age(atlas.snapshot_id)
    st.sidebar.caption(age.text)
    # An import or a trial shown on purpose (build --publish) is as old as it is; only the nightly data ages.
    nightly = partial_scope({"scope": atlas.build.get("scope"), "scope_key": atlas.build.get("scope_key")}) is None
    if age.stale and nightly:
        st.warning(
            f"**Old data.** {age.text}: the nightly crawl or build may have stopped.", icon=":material/schedule:"
        )


def unavailable(what: str) -> None:
    st.info(f"{what}: not available in this atlas.")


def similarity_note(atlas: Atlas) -> None:
    """Communities depend on whether lineage edges joined the similarity graph: say which."""
    flag = atlas.lineage_in_similarity_graph
    algorithm = atlas.community_algorithm
    texts = {True: "lineage edges were added to the name-similarity graph", False: "from name similarity alone"}
    text = (
        texts[flag]
        if flag is not None
        else "whether lineage edges were added to the similarity graph is not recorded in this atlas"
    )
    st.caption(f"Communities: {text}" + (f"; algorithm: {md(algorithm)}." if algorithm else "."))


def model_picker(atlas: Atlas, key: str, label: str = "Find a model") -> str | None:
    """Type-ahead: a text box, then the matches (prefixes first); the pick is kept in the URL (`model`)."""
    current = st.query_params.get("model")
    query = st.text_input(label, key=f"{key}_query", placeholder="e.g. llama-3, mistralai/, gguf")
    matches = id_index(atlas).search(query, limit=25) if query else []
    if matches:
        picked = st.selectbox(f"{len(matches)} match{'es' if len(matches) != 1 else ''}", matches, key=f"{key}_pick")
        if picked and picked != current:
            st.query_params["model"] = picked
        return picked
    if query:
        st.caption(f"No model id contains “{md(query)}”.")
    return current if current and atlas.position(current) is not None else None


def export_buttons(
    atlas: Atlas, frame: pd.DataFrame | Callable[[], pd.DataFrame], key: str, rows: int | None = None
) -> None:
    """CSV, GraphML and JSON downloads of `frame` (built when clicked, not on every rerun). `frame` may be
    a function that makes it, with its `rows`, so a page that shows no model need not read them."""
    st.markdown("**Export this selection**")
    cols = st.columns(3)
    count = rows if rows is not None else len(frame) if isinstance(frame, pd.DataFrame) else None
    for col, fmt, mime in zip(
        cols, ("csv", "graphml", "json"), ("text/csv", "application/graphml+xml", "application/json"), strict=True
    ):
        reason = exports.too_large(count if count is not None else len(_made(frame)), fmt)
        if reason:
            col.caption(md(reason))
            continue
        col.download_button(
            fmt.upper(),
            data=_export_callable(atlas, frame, fmt),
            file_name=f"constellation-{atlas.snapshot_id}-selection.{fmt}",
            mime=mime,
            key=f"{key}_{fmt}",
            on_click="ignore",
        )


def _export_callable(atlas: Atlas, frame: pd.DataFrame | Callable[[], pd.DataFrame], fmt: str) -> Callable[[], bytes]:
    def build() -> bytes:
        selection = _made(frame)
        if fmt == "csv":
            return exports.models_csv(selection)
        edges = exports.selection_edges(atlas.lineage, similarity(atlas), selection["id"])
        return exports.graph_bytes(atlas.snapshot_id, selection, edges, fmt, atlas.build)

    return build


def every_column(atlas: Atlas, frame: pd.DataFrame) -> Callable[[], pd.DataFrame]:
    """The rows of `frame` (a page's few columns) with every explorer column, made when called: an export
    has them all, and a page that shows few columns reads the rest only when a visitor downloads."""
    rows = frame.index.to_numpy()  # the frames of filtered_models keep the row numbers of atlas.models
    return lambda: atlas.models.take(rows)


def every_column_kept(atlas: Atlas, filters: Filters) -> pd.DataFrame:
    """Every explorer column at the rows the filters keep, not cached (an export's, made on a click)."""
    rows = kept(atlas, filters)
    return atlas.models if rows is None else atlas.models.take(rows)


def _made(frame: pd.DataFrame | Callable[[], pd.DataFrame]) -> pd.DataFrame:
    return frame if isinstance(frame, pd.DataFrame) else frame()


# --------------------------------------------------------------------------------------------------
# Cached computations the pages share
# --------------------------------------------------------------------------------------------------


CLOUD_COLUMNS = ("id", "community", "family")


@st.cache_data(max_entries=64, show_spinner="Drawing the word cloud …")
def word_cloud(
    root: str, snapshot_id: str, filters: Filters, scope: str, value: str | None
) -> tuple[Any, int, int, list[tuple[str, int]]]:
    precomputed = _atlas(root, snapshot_id).summary.ngram_counts() if scope == "atlas" else None
    if precomputed is not None and not filters.active:  # the build counted the whole atlas: no model is read
        image = clouds.cloud_image(precomputed.counts)
        return image, precomputed.names_used, precomputed.names_total, clouds.top_ngrams(precomputed.counts, 30)
    models = _filtered(root, snapshot_id, filters, CLOUD_COLUMNS)
    if scope != "atlas" and value is not None:
        column = "community" if scope == "community" else "family"
        keys = models[column].astype("object").astype(str) if column in models else pd.Series([], dtype=str)
        models = models[(keys == value).to_numpy()]
    counts = clouds.ngram_counts(models["id"])
    image = clouds.cloud_image(counts.counts)
    return image, counts.names_used, counts.names_total, clouds.top_ngrams(counts.counts, 30)


@st.cache_data(max_entries=4, show_spinner=False)
def _growth(root: str, snapshot_ids: tuple[str, ...], current: str) -> dict | None:
    return snapshot_growth(DataLayout.at(root), current)


def growth(atlas: Atlas) -> dict | None:
    """Models added and removed since the previous snapshot of the atlas's scope (cached per list of snapshots)."""
    data = layout()
    return _growth(str(data.root), tuple(data.snapshot_ids()), atlas.snapshot_id)


@st.cache_data(max_entries=4, show_spinner=False)
def _scope_ids(root: str, snapshot_ids: tuple[str, ...], current: str) -> list[str]:
    return same_scope_snapshot_ids(DataLayout.at(root), current)


def scope_snapshot_ids(atlas: Atlas) -> list[str]:
    """The snapshots of the atlas's scope: trends and histories never mix in a trial or an import (cached
    per list of snapshots: it reads every manifest)."""
    data = layout()
    return _scope_ids(str(data.root), tuple(data.snapshot_ids()), atlas.snapshot_id)


@st.cache_data(max_entries=64, show_spinner=False)
def _history(root: str, snapshot_ids: tuple[str, ...], model_id: str) -> pd.DataFrame:
    return model_history(DataLayout.at(root), model_id, snapshot_ids)


def history(model_id: str, atlas: Atlas | None = None) -> pd.DataFrame:
    """A model's downloads and likes in every snapshot (cached per list of snapshots): the query scans
    every snapshot file, too slow to repeat on each rerun of the model page."""
    data = layout()
    ids = scope_snapshot_ids(atlas) if atlas is not None else data.snapshot_ids()
    return _history(str(data.root), tuple(ids), model_id)
