"""The completion dashboard page and its CSV files, on the `dashboards` blueprint.

Registered by the app factory (lms.BLUEPRINTS). Each view reads the URL (lms.dashboards.selection),
asks lms.access, builds one `Dashboard` (lms.dashboards.completion_page) and renders or answers it.
"""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, url_for
from werkzeug.routing import BuildError

from lms.access import allowed
from lms.audit import web as audit
from lms.clock import today
from lms.dashboards import completion_page
from lms.dashboards.blueprint import bp
from lms.dashboards.privacy import Privacy
from lms.dashboards.scope import trust_wide
from lms.dashboards.selection import Selection, refused, selection
from lms.extensions import db
from lms.models import StaffType
from lms.records.settings import RecordSettings


def dashboard_for(chosen: Selection, unit_limit: int | None = None) -> completion_page.Dashboard:
    config = current_app.config
    return completion_page.Dashboard(
        db.session, chosen.scope, chosen.filters, today(), RecordSettings.from_config(config),
        Privacy.for_scope(chosen.scope, config),
        float(config.get("DASHBOARD_TARGET", completion_page.DEFAULT_TARGET)), unit_limit)


@bp.get("/")
@allowed("dashboards.view")
def index():
    chosen = selection()
    page = dict(chosen=chosen, staff_types=list(StaffType), trust_wide=trust_wide(chosen.scope),
                unit_name=chosen.unit_name, understanding_url=_understanding_url(), module_title=chosen.module_title)
    if chosen.problems:  # the problems and the form to correct them, no figures
        return render_template("dashboards/index.html", dashboard=None, charts=[], summary=[], **page), 400
    dashboard = dashboard_for(
        chosen, int(current_app.config.get("DASHBOARD_UNITS_ON_PAGE", completion_page.UNITS_ON_PAGE)))
    charts = dashboard.charts()
    for chart in charts:
        if chart.links is not None:  # drill down into a unit (trust-wide views only)
            chart.links = [url_for("dashboards.index", **chosen.args(unit=key)) for key in chart.links]
    return render_template("dashboards/index.html", dashboard=dashboard, charts=charts,
                           summary=completion_page.summary(dashboard), **page)


def _understanding_url() -> str | None:
    """The understanding page, where it is built (a separate part of the dashboards)."""
    try:
        return url_for("dashboards.understanding")
    except BuildError:
        return None


@bp.get("/csv/<chart>.csv", endpoint="csv")
@allowed("dashboards.view")
def csv_file(chart: str):
    chosen = selection()
    dashboard = dashboard_for(chosen)
    if chart not in dashboard.available():
        abort(404)
    if chosen.problems:
        return refused(chosen)
    body = dashboard.chart(chart).csv_bytes()
    audit.exported("dashboard_csv", chart=chart, scope=chosen.scope.label, filters=chosen.filters.as_args())
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{chart}-{today().isoformat()}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
