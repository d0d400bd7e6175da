"""The completion dashboard page and its CSV files, on the `dashboards` blueprint.

Imported at the bottom of lms/dashboards/views.py. The view reads the URL (scope, filters), asks
lms.access, and hands everything else to lms.dashboards.completion.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, abort, current_app, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from lms.access import allowed, dashboard_scopes
from lms.audit import web as audit
from lms.clock import today
from lms.dashboards import completion
from lms.dashboards.blueprint import bp
from lms.dashboards.charts import plotly_style_placeholders
from lms.dashboards.privacy import Privacy
from lms.dashboards.scope import Filters, Scope, trust_wide
from lms.extensions import db
from lms.models import StaffType
from lms.records.settings import RecordSettings

# For templates/dashboards/_chart.html's chart_assets(), on any page that draws charts.
bp.add_app_template_global(plotly_style_placeholders, "plotly_style_placeholders")


@dataclass(frozen=True)
class Selection:
    scopes: list[Scope]
    index: int              # which of the viewer's scopes (?scope=, default 0: the widest)
    filters: Filters        # checked: nothing this viewer may not ask for
    problems: list[str]     # each names the filter it is about
    options: completion.Options

    @property
    def scope(self) -> Scope:
        return self.scopes[self.index]

    def args(self, **changes: object) -> dict[str, str]:
        """The query string of this view (scope only when it is not the default), with changes."""
        args = ({"scope": str(self.index)} if self.index else {}) | self.filters.as_args()
        for key, value in changes.items():
            if value is None:
                args.pop(key, None)
            else:
                args[key] = str(value)
        return args


def selection() -> Selection:
    scopes = dashboard_scopes(current_user)
    problems = []
    index = 0
    wanted = request.args.get("scope", "")
    if wanted:
        if wanted.isdigit() and int(wanted) < len(scopes):
            index = int(wanted)
        else:
            problems.append("scope: not one of the views you may see; showing the widest")
    filters, found = Filters.from_args(request.args)
    problems += found
    if "unit_name" in request.args and trust_wide(scopes[index]):  # the field of a view of many units
        filters, found = completion.unit_by_name(db.session, filters, request.args["unit_name"])
        problems += found
    options = completion.filter_options(db.session, scopes[index], filters.unit_id)
    filters, found = completion.check_filters(filters, scopes[index], options)
    return Selection(scopes, index, filters, problems + found, options)


def dashboard_for(chosen: Selection, unit_limit: int | None = None) -> completion.Dashboard:
    config = current_app.config
    return completion.Dashboard(db.session, chosen.scope, chosen.filters, today(), RecordSettings.from_config(config),
                                Privacy.for_scope(chosen.scope, config),
                                float(config.get("DASHBOARD_TARGET", completion.DEFAULT_TARGET)), unit_limit)


@bp.get("/")
@allowed("dashboards.view")
def index():
    chosen = selection()
    dashboard = dashboard_for(chosen, int(current_app.config.get("DASHBOARD_UNITS_ON_PAGE", completion.UNITS_ON_PAGE)))
    charts = dashboard.charts()
    for chart in charts:
        if chart.links is not None:  # drill down into a unit (trust-wide views only)
            chart.links = [url_for("dashboards.index", **chosen.args(unit=key)) for key in chart.links]
    return render_template(
        "dashboards/index.html", chosen=chosen, dashboard=dashboard, charts=charts,
        summary=completion.summary(dashboard), staff_types=list(StaffType), trust_wide=trust_wide(chosen.scope),
        unit_name=chosen.options.unit_name(chosen.filters.unit_id), understanding_url=_understanding_url(),
        module_title=chosen.options.module_title(chosen.filters.module))


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
    body = dashboard.chart(chart).csv_bytes()
    audit.exported("dashboard_csv", chart=chart, scope=chosen.scope.label, filters=chosen.filters.as_args())
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{chart}-{today().isoformat()}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
