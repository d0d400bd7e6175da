"""Plotly figures as JSON data blocks; static/js/charts.js draws them (no inline script, strict CSP)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.io as pio
from markupsafe import Markup

# plotly.js ships inside the plotly package: the app serves that file, never a CDN.
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

BASE_LAYOUT = dict(margin=dict(l=60, r=20, t=30, b=60), font=dict(family="system-ui, sans-serif", size=13),
                   paper_bgcolor="#ffffff", plot_bgcolor="#ffffff", height=360)


# Inside <script> nothing is unescaped, so HTML escaping would break the JSON; instead the characters
# that could end the block or open a comment are written as JSON escapes, which parse to the same text.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


# plotly.js reads every label, category, legend name and hover text as its own small HTML (<a href>, <b>,
# <br>, <span style>) and decodes entities in it, so a unit named <a href="…">…</a> would be drawn as a link.
# Writing &, < and > as entities makes plotly draw the characters themselves: the real name, as text.
_AS_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Except templates: they are written here, never from data, and use plotly's markup on purpose (<br>,
# <extra></extra>); data reaches a hover through %{x}, %{y} or %{customdata}, which are escaped like the rest.
TEMPLATE_KEYS = frozenset({"hovertemplate", "texttemplate"})


def as_text(value: object, key: str | None = None) -> object:
    """Every string in a figure's data and layout with its markup characters escaped, templates aside."""
    if isinstance(value, str):
        return value if key in TEMPLATE_KEYS else value.translate(_AS_TEXT)
    if isinstance(value, dict):
        return {k: as_text(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_text(v, key) for v in value]
    return value


def to_json(figure: go.Figure) -> Markup:
    """The figure as JSON, its text shown as text, safe inside <script type="application/json"> (Markup).

    Every figure reaches the page through here (`drawn` calls it), so no chart can forget either step.
    """
    figure.update_layout(**{k: v for k, v in BASE_LAYOUT.items() if k not in figure.layout or not figure.layout[k]})
    plain = as_text(figure.to_plotly_json())
    # Safe by construction: JSON with every character that could end the block escaped above.
    return Markup(pio.to_json(plain, validate=False, pretty=False).translate(_SCRIPT_SAFE))  # noqa: S704  # nosec B704


@lru_cache(maxsize=256)
def _drawn_json(build: Callable[..., go.Figure], args: tuple) -> Markup:
    return to_json(build(*args))


def drawn(build: Callable[..., go.Figure], *args: object) -> Callable[[], Markup]:
    """The figure `build(*args)` as JSON, made when first shown and once per process for the same numbers.

    Building a figure through plotly's validators costs 10–20 ms, most of a dashboard's time once its
    numbers are kept counts; a figure is a pure function of its arguments (hashable: tuples and frozen
    rows), so the same numbers give the same JSON.
    """
    return lambda: _drawn_json(build, args)


@cache
def plotly_version() -> str:
    """The bundled plotly.js version (static/css/plotly.css was copied from it)."""
    with PLOTLY_JS.open(encoding="utf-8") as f:
        match = re.search(r"plotly\.js v([\w.-]+)", f.read(500))
    return match.group(1) if match else "unknown"


@cache
def plotly_style_placeholders() -> tuple[str, ...]:
    """Ids of the <style> elements plotly.js adds as it loads unless an element with that id is on the page.

    Only maplibre's stylesheet, for map traces the dashboards never draw: the CSP (style-src 'self')
    would refuse it and log a violation, so the page carries an empty <template> with each id instead.
    (plotly's own rules are in static/css/plotly.css, see templates/dashboards/_chart.html.)
    """
    text = PLOTLY_JS.read_text(encoding="utf-8")
    found = re.findall(r'if\(!document\.getElementById\("([\w-]+)"\)\)\{var \w+=document\.createElement\("style"\)', text)
    return tuple(dict.fromkeys(found))

