"""Plotly figures for the completion dashboard, built from rows the privacy rule has already let through.

Colours are from the Okabe–Ito palette (safe for the common kinds of colour blindness), every bar has
a dark outline so it stands out from the white background, and every figure has a title and axis
titles. The numbers are always in a table next to the chart as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import plotly.graph_objects as go

from lms.dashboards.authorisations import StateRow
from lms.dashboards.completion import CompletionRow
from lms.dashboards.scores import BandRow
from lms.dashboards.trends import WeekRow
from lms.models import RequestState

BLUE, ORANGE, VERMILLION, GREEN, PURPLE, GREY, INK = ("#0072B2", "#E69F00", "#D55E00", "#009E73", "#CC79A7",
                                                     "#8C8C8C", "#1d1d1f")
OUTLINE = dict(color=INK, width=1)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _layout(figure: go.Figure, title: str, x_title: str, y_title: str, height: int = 360) -> go.Figure:
    figure.update_layout(title=dict(text=title, x=0, xanchor="left", pad=dict(l=10), font=dict(size=15)), height=height,
                         margin=dict(l=10, r=20, t=50, b=50), showlegend=False, bargap=0.3,
                         hoverlabel=dict(bgcolor="#ffffff", font=dict(color=INK)))
    figure.update_xaxes(title_text=x_title, automargin=True, linecolor=INK, gridcolor="#e3e6ea")
    figure.update_yaxes(title_text=y_title, automargin=True, linecolor=INK, gridcolor="#e3e6ea")
    return figure


def completion_by_unit(rows: Sequence[CompletionRow], target: float) -> go.Figure:
    """Horizontal bars, highest share at the top, blue at or above the target, vermillion below; the target as a line."""
    ordered = sorted(rows, key=lambda r: (-(r.share or 0), r.label))
    names = [r.label for r in ordered]
    figure = go.Figure()
    for meets, colour, name in ((True, BLUE, "At or above target"), (False, VERMILLION, "Below target")):
        group = [r for r in ordered if ((r.share or 0) >= target) == meets]
        figure.add_trace(go.Bar(
            orientation="h", name=name, y=[r.label for r in group], x=[_percent(r.share) for r in group],
            marker=dict(color=colour, line=OUTLINE), text=[f"{_percent(r.share):g}%" for r in group],
            textposition="auto", customdata=[[r.completed, r.required] for r in group],
            hovertemplate="%{y}: %{x}% (%{customdata[0]} of %{customdata[1]} required modules)<extra></extra>"))
    figure.add_vline(x=target * 100, line=dict(color=INK, dash="dash", width=2),
                     annotation_text=f"Target {target * 100:g}%", annotation_position="top")
    _layout(figure, "Share of required modules completed, by unit", "Completed (%)", "Unit",
            height=max(280, 110 + 42 * len(ordered)))
    # The legend sits at the foot of the whole figure (not of the plot area), clear of the axis title at any width.
    figure.update_layout(showlegend=True, barmode="overlay", margin=dict(l=10, r=20, t=50, b=90),
                         legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0))
    figure.update_xaxes(range=[0, 105])
    figure.update_yaxes(categoryorder="array", categoryarray=names, autorange="reversed")
    return figure


def completion_by_staff_type(rows: Sequence[tuple[str, CompletionRow]], target: float) -> go.Figure:
    """`rows` are (label, row) pairs, the label being the staff type as people read it."""
    figure = go.Figure(go.Bar(
        x=[label for label, _ in rows], y=[_percent(r.share) for _, r in rows],
        marker=dict(color=BLUE, line=OUTLINE), text=[f"{_percent(r.share):g}%" for _, r in rows],
        textposition="auto", customdata=[[r.completed, r.required] for _, r in rows],
        hovertemplate="%{x}: %{y}% (%{customdata[0]} of %{customdata[1]} required modules)<extra></extra>"))
    figure.add_hline(y=target * 100, line=dict(color=INK, dash="dash", width=2),
                     annotation_text=f"Target {target * 100:g}%", annotation_position="top left")
    _layout(figure, "Share of required modules completed, by staff type", "Staff type", "Completed (%)")
    figure.update_yaxes(range=[0, 105])
    return figure


def cumulative_completion(rows: Sequence[WeekRow], required: int, start: date, end: date, today: date,
                          target: float) -> go.Figure:
    """A step line from 0 at the start of the range to the running share at the last week with a pass."""
    last = min(end, today) if today >= start else start
    xs, ys = [start.isoformat()], [0.0]
    for r in rows:
        xs.append(r.week_start.isoformat())
        ys.append(_percent(r.share) or 0.0)
    xs.append(last.isoformat())
    ys.append(ys[-1])
    figure = go.Figure(go.Scatter(
        x=xs, y=ys, mode="lines+markers", line=dict(color=BLUE, width=3, shape="hv"),
        marker=dict(color=BLUE, size=6, line=OUTLINE),
        hovertemplate="Week of %{x|%-d %b %Y}: %{y}% completed<extra></extra>"))
    figure.add_hline(y=target * 100, line=dict(color=INK, dash="dash", width=2),
                     annotation_text=f"Target {target * 100:g}%", annotation_position="top left")
    _layout(figure, f"Of {required} required modules: first passed so far", "Week", "Completed (%)")
    figure.update_xaxes(range=[start.isoformat(), (end + timedelta(days=1)).isoformat()], type="date",
                        tickformat="%-d %b %Y")
    figure.update_yaxes(range=[0, 105])
    return figure


def due_counts(counts: Sequence[tuple[str, int]]) -> go.Figure:
    """Overdue, due soon and expired required modules."""
    colours = [VERMILLION, ORANGE, PURPLE]
    figure = go.Figure(go.Bar(
        x=[label for label, _ in counts], y=[n for _, n in counts], text=[str(n) for _, n in counts],
        textposition="auto", marker=dict(color=colours[:len(counts)], line=OUTLINE),
        hovertemplate="%{x}: %{y} required modules<extra></extra>"))
    _layout(figure, "Required modules overdue, due soon or expired", "State", "Required modules")
    figure.update_yaxes(rangemode="tozero", tickformat="d")
    return figure


def score_distribution(rows: Sequence[BandRow]) -> go.Figure:
    figure = go.Figure(go.Bar(
        x=[r.label for r in rows], y=[r.results for r in rows], text=[str(r.results) for r in rows],
        textposition="auto", marker=dict(color=BLUE, line=OUTLINE),
        hovertemplate="Score %{x}: %{y} results<extra></extra>"))
    _layout(figure, "Latest score in each required module", "Score", "Results")
    figure.update_yaxes(rangemode="tozero", tickformat="d")
    return figure


STATE_COLOURS = {RequestState.approved: GREEN, RequestState.submitted: ORANGE,
                 RequestState.training_required: ORANGE, RequestState.declined: VERMILLION,
                 RequestState.revoked: VERMILLION, RequestState.lapsed: PURPLE}


def authorisations(rows: Sequence[StateRow]) -> go.Figure:
    figure = go.Figure(go.Bar(
        x=[r.label for r in rows], y=[r.requests for r in rows], text=[str(r.requests) for r in rows],
        textposition="auto", marker=dict(color=[STATE_COLOURS.get(r.state, GREY) for r in rows], line=OUTLINE),
        hovertemplate="%{x}: %{y} requests<extra></extra>"))
    _layout(figure, "Business-use (5.1) requests by state", "State", "Requests")
    figure.update_yaxes(rangemode="tozero", tickformat="d")
    return figure
