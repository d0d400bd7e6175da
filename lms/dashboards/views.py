from flask import Blueprint, send_file

from lms.dashboards.charts import PLOTLY_JS

bp = Blueprint("dashboards", __name__)


@bp.get("/vendor/plotly.min.js")
def plotly_js():
    """plotly.js from the installed plotly package, cached hard (its URL changes with nothing but the app)."""
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)


from lms.dashboards import completion_views  # noqa: E402,F401  (the completion page and its CSV files)

from lms.dashboards import understanding_views  # noqa: E402,F401  # isort: skip  (the understanding page, CSVs)
