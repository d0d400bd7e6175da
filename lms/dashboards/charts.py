"""Plotly figures as JSON data blocks; static/js/charts.js draws them (no inline script, strict CSP)."""

from __future__ import annotations

from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.io as pio

# plotly.js ships inside the plotly package: the app serves that file, never a CDN.
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

BASE_LAYOUT = dict(margin=dict(l=60, r=20, t=30, b=60), font=dict(family="system-ui, sans-serif", size=13),
                   paper_bgcolor="#ffffff", plot_bgcolor="#ffffff", height=360)


def to_json(figure: go.Figure) -> str:
    """The figure as JSON for a <script type="application/json"> block (the template escapes it)."""
    figure.update_layout(**{k: v for k, v in BASE_LAYOUT.items() if k not in figure.layout or not figure.layout[k]})
    return pio.to_json(figure, validate=False, pretty=False)
