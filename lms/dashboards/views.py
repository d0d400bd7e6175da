"""plotly.js for the dashboards' charts, served from the installed plotly package (no CDN)."""

from flask import send_file

from lms.dashboards.blueprint import bp
from lms.dashboards.charts import PLOTLY_JS, plotly_style_placeholders

# For templates/dashboards/_chart.html's chart_assets(), on any page that draws charts.
bp.add_app_template_global(plotly_style_placeholders, "plotly_style_placeholders")


@bp.get("/vendor/plotly.min.js")
def plotly_js():
    """plotly.js from the installed plotly package, cached hard (its URL changes with nothing but the app)."""
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)
