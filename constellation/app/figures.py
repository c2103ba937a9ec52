"""Plotly figures: WebGL scatter plots and dendrograms. Pure functions from frames to figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy.cluster.hierarchy import dendrogram, fcluster

from constellation.app.escape import html_text
from constellation.site_views import MAX_SCATTER_POINTS, ScatterSample, scatter_sample

TOP_COLOURS = 12
OTHER = "other"
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939",
)  # fmt: skip
OTHER_COLOUR = "#c7c7c7"
RELATION_COLOURS = {
    "finetune": "#1f77b4",
    "adapter": "#2ca02c",
    "quantized": "#ff7f0e",
    "merge": "#9467bd",
    "root": "#d62728",
    "unspecified": "#7f7f7f",
}


@dataclass(frozen=True)
class ScatterSpec:
    title: str
    x: str
    y: str
    x_label: str
    y_label: str
    log_x: bool
    log_y: bool
    plus_one: tuple[str, ...] = ()  # counts shown as count + 1 so zeros survive a log axis


SCATTERS: dict[str, ScatterSpec] = {
    "downloads-likes": ScatterSpec(
        "Downloads against likes", "likes", "downloads", "likes + 1", "downloads (30 days) + 1", True, True,
        plus_one=("likes", "downloads"),
    ),
    "params-downloads": ScatterSpec(
        "Downloads against parameters", "params", "downloads", "parameters", "downloads (30 days) + 1", True, True,
        plus_one=("downloads",),
    ),
    "created-downloads": ScatterSpec(
        "Downloads against creation date", "created_at", "downloads", "created", "downloads (30 days) + 1", False, True,
        plus_one=("downloads",),
    ),
}  # fmt: skip

COLOUR_BY = {"community": "community_label", "family": "family", "relation": "relation"}


@dataclass
class ScatterResult:
    figure: go.Figure
    shown: int  # points drawn
    plottable: int  # rows with both coordinates known
    total: int  # rows passed in
    sampled: bool
    cap: int = MAX_SCATTER_POINTS

    @property
    def note(self) -> str:
        parts = [f"{self.shown:,} of {self.total:,} models shown"]
        if self.plottable < self.total:
            parts.append(f"{self.total - self.plottable:,} lack a value on an axis")
        if self.sampled:
            parts.append(f"sampled per community above {self.cap:,} points (the most-downloaded always kept)")
        return "; ".join(parts) + "."


def colour_values(models: pd.DataFrame, colour_by: str) -> pd.Series:
    """The category each model is coloured by; relation → root for models without a parent."""
    column = COLOUR_BY.get(colour_by, colour_by)
    if colour_by == "community" and column not in models and "community" in models:
        column = "community"
    if column not in models:
        return pd.Series("unknown", index=models.index, dtype="object")
    values = models[column].astype("object")
    if colour_by == "relation":
        has_parent = models["parent"].notna() if "parent" in models else pd.Series(False, index=models.index)
        values = values.where(values.notna(), np.where(has_parent, "unspecified", "root"))
    return values.where(values.notna(), "unknown").astype(str)


def scatter_figure(
    models: pd.DataFrame, kind: str, colour_by: str = "community", max_points: int = MAX_SCATTER_POINTS, seed: int = 0
) -> ScatterResult:
    """The scatter `kind` of `models`, sampled per community above `max_points`."""
    spec = SCATTERS[kind]
    if spec.x not in models or spec.y not in models:
        fig = go.Figure()
        fig.update_layout(title=f"{spec.title}: not available in this atlas")
        return ScatterResult(fig, 0, 0, len(models), False)
    groups = models["community"] if "community" in models else colour_values(models, colour_by)
    return sample_figure(scatter_sample(models, kind, groups, max_points, seed), kind, colour_by, max_points)


def sample_figure(
    sample: ScatterSample, kind: str, colour_by: str, max_points: int = MAX_SCATTER_POINTS
) -> ScatterResult:
    """The scatter `kind` of the points `sample` holds (computed here, or by the build: site_views)."""
    spec = SCATTERS[kind]
    shown_frame = sample.points
    plottable, total = sample.plottable, sample.total
    sampled = len(shown_frame) < plottable
    colours = colour_values(shown_frame, colour_by)

    def axis(column: str) -> np.ndarray:
        values = shown_frame[column]
        if column == "created_at":
            return pd.to_datetime(values, utc=True).dt.tz_localize(None).to_numpy()
        numbers = values.astype("float64").to_numpy()
        return numbers + 1 if column in spec.plus_one else numbers

    xs, ys = axis(spec.x), axis(spec.y)
    ids = shown_frame["id"].astype(str).to_numpy()
    ranking = colours.value_counts()
    top = list(ranking.index[:TOP_COLOURS])
    fig = go.Figure()
    for i, name in enumerate([*top, OTHER] if len(ranking) > TOP_COLOURS else top):
        hit = (~colours.isin(top)).to_numpy() if name == OTHER else (colours == name).to_numpy()
        if not hit.any():
            continue
        colour = OTHER_COLOUR if name == OTHER else _colour(colour_by, name, i)
        fig.add_trace(
            go.Scattergl(
                x=xs[hit],
                y=ys[hit],
                mode="markers",
                name=html_text(_short(name)),
                marker={"size": 5, "color": colour, "opacity": 0.7},
                customdata=ids[hit],
                hovertext=[html_text(s) for s in ids[hit]],
                hovertemplate="%{hovertext}<br>%{x}, %{y}<extra>" + html_text(_short(name, 30)) + "</extra>",
            )
        )
    fig.update_layout(
        title=spec.title,
        xaxis_title=spec.x_label,
        yaxis_title=spec.y_label,
        xaxis_type="log" if spec.log_x else None,
        yaxis_type="log" if spec.log_y else None,
        legend_title=colour_by,
        dragmode="lasso",
        height=600,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return ScatterResult(fig, len(shown_frame), plottable, total, sampled, max_points)


def selected_ids(selection: Mapping | None) -> list[str]:
    """Model ids of the points in a plotly selection event (Streamlit's `on_select` payload)."""
    if not selection:
        return []
    points = (selection.get("selection") or {}).get("points") or selection.get("points") or []
    out: dict[str, None] = {}
    for point in points:
        value = point.get("customdata")
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if value:
            out[str(value)] = None
    return list(out)


def _colour(colour_by: str, name: str, i: int) -> str:
    if colour_by == "relation" and name in RELATION_COLOURS:
        return RELATION_COLOURS[name]
    return PALETTE[i % len(PALETTE)]


def _short(text: str, width: int = 40) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------------------------------------
# Dendrograms
# --------------------------------------------------------------------------------------------------

MAX_LEAVES = 300  # beyond this a dendrogram is a smear; scipy's "lastp" truncation shows the top


@dataclass
class DendrogramResult:
    figure: go.Figure
    leaves: list[str]
    truncated: bool


def dendrogram_figure(
    linkage: np.ndarray,
    labels: Sequence[str],
    cut: float | None = None,
    title: str = "",
    max_leaves: int = MAX_LEAVES,
) -> DendrogramResult:
    """A plotly dendrogram of a scipy linkage, leaves along the y axis (long names stay readable),
    with the cut drawn as a vertical line and branches below it coloured by resulting cluster."""
    z = np.asarray(linkage, dtype="float64")
    n = z.shape[0] + 1
    truncated = n > max_leaves
    shown = [html_text(_short(label, 60)) for label in labels]

    def leaf_label(i: int) -> str:
        # A truncated branch is named by its size, not scipy's bare "(12)".
        return shown[i] if i < n else f"[{int(z[i - n, 3]):,} leaves]"

    tree = dendrogram(
        z,
        leaf_label_func=leaf_label,
        no_plot=True,
        orientation="left",
        color_threshold=cut if cut is not None else 0.7 * float(z[:, 2].max(initial=0)),
        above_threshold_color="#999999",
        truncate_mode="lastp" if truncated else None,
        p=max_leaves,
    )
    # One trace per colour, links separated by None: a 300-leaf tree is a handful of traces, not 299.
    segments: dict[str, tuple[list, list]] = {}
    for xs, ys, colour in zip(tree["dcoord"], tree["icoord"], tree["color_list"], strict=True):
        line_x, line_y = segments.setdefault(_mpl_colour(colour), ([], []))
        line_x.extend([*xs, None])
        line_y.extend([*ys, None])
    fig = go.Figure()
    for colour, (line_x, line_y) in segments.items():
        fig.add_trace(
            go.Scatter(
                x=line_x,
                y=line_y,
                mode="lines",
                line={"color": colour, "width": 1.2},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    positions = [5 + 10 * i for i in range(len(tree["ivl"]))]
    if cut is not None:
        fig.add_vline(x=cut, line_dash="dash", line_color="#d62728", annotation_text=f"cut {cut:.3g}")
    fig.update_layout(
        title=title,
        height=max(400, 14 * len(positions) + 120),
        xaxis_title="distance",
        yaxis={"tickmode": "array", "tickvals": positions, "ticktext": tree["ivl"], "automargin": True},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return DendrogramResult(fig, list(tree["ivl"]), truncated)


def clusters_at(linkage: np.ndarray, labels: Sequence[str], height: float) -> pd.DataFrame:
    """The flat clusters a cut at `height` gives: label, cluster (1..k), sorted by cluster then label."""
    z = np.asarray(linkage, dtype="float64")
    ids = fcluster(z, t=height, criterion="distance")
    frame = pd.DataFrame({"label": [str(x) for x in labels], "cluster": ids.astype("int64")})
    return frame.sort_values(["cluster", "label"]).reset_index(drop=True)


_MPL = {"C0": "#1f77b4", "C1": "#ff7f0e", "C2": "#2ca02c", "C3": "#d62728", "C4": "#9467bd", "C5": "#8c564b", "C6": "#e377c2", "C7": "#7f7f7f", "C8": "#bcbd22", "C9": "#17becf"}  # fmt: skip


def _mpl_colour(name: str) -> str:
    return _MPL.get(name, name)


# A lone snapshot gets this much axis either side: plotly would otherwise zoom its date axis to a few
# milliseconds around the only point and label ticks "02:15:00.0005".
LONE_SNAPSHOT_PAD = pd.Timedelta(days=3)


def trend_figure(frame: pd.DataFrame, column: str) -> go.Figure:
    """Downloads of each group per snapshot (`frame`: snapshot timestamps, `column`, downloads), one line per
    group. The date axis shows days; with one snapshot it spans a week around that dated point."""
    fig = go.Figure()
    for group, rows in frame.groupby(column, sort=False):
        fig.add_trace(
            go.Scatter(x=_naive_utc(rows["snapshot"]), y=rows["downloads"], mode="lines+markers", name=str(group))
        )
    fig.update_xaxes(title_text="snapshot", type="date", tickformat="%Y-%m-%d")
    fig.update_yaxes(title_text="downloads (30 days)")
    fig.update_layout(legend_title_text=column)
    days = _naive_utc(frame["snapshot"]).unique()
    if len(days) == 1:
        day = pd.Timestamp(days[0])
        fig.update_xaxes(range=[day - LONE_SNAPSHOT_PAD, day + LONE_SNAPSHOT_PAD], dtick=86_400_000)
    return fig


def _naive_utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.tz_localize(None)
