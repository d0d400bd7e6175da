"""The understanding dashboard page and its CSV files, on the `dashboards` blueprint.

Registered by the app factory (lms.BLUEPRINTS). The scope (?scope=), the filters and their checks
are the completion page's (lms.dashboards.selection), so one URL means the same selection on both
pages; without dates, both cover the training year. The page's tables and the CSV files come from
the same `Understanding` builder (lms.dashboards.understanding_page), small groups hidden alike.
"""

from __future__ import annotations

from flask import Response, current_app, render_template, url_for

from lms.access import allowed
from lms.audit import web as audit
from lms.clock import today
from lms.csv_files import attachment_headers
from lms.dashboards import understanding as u
from lms.dashboards import understanding_page as page
from lms.dashboards.blueprint import bp
from lms.dashboards.privacy import Privacy
from lms.dashboards.selection import Selection, refused, selection
from lms.extensions import db
from lms.models import StaffType


def understanding_for(chosen: Selection) -> page.Understanding:
    privacy = Privacy.for_scope(chosen.scope, current_app.config)
    return page.Understanding.for_view(db.session, chosen.scope, chosen.filters, today(), privacy)


@bp.get("/understanding")
@allowed("dashboards.view")
def understanding():
    chosen = selection()
    shown = dict(chosen=chosen, staff_types=list(StaffType), unit_name=chosen.unit_name, module_title=chosen.module_title,
                 group_share=u.GROUP_SHARE, flag_min=u.FLAG_MIN_ANSWERS, unclear=page.UNCLEAR,
                 headers=dict(heatmap=page.HEATMAP_HEADERS, scenarios=page.SCENARIO_HEADERS))
    if chosen.problems:  # the problems and the form to correct them, no figures
        return render_template("dashboards/understanding.html", view=None, completion_url=url_for("dashboards.index"),
                               **shown), 400
    view = understanding_for(chosen)
    html = render_template(
        "dashboards/understanding.html", view=view, start=view.start, end=view.end,
        completion_url=url_for("dashboards.index", **chosen.args()), show_names=not chosen.scope.spans_units, **shown)
    if not chosen.scope.spans_units:  # contests are shown with their authors' names
        audit.viewed("understanding.contests", view.contest_authors(), scope=chosen.scope.label)
    return html


def _csv(name: str) -> Response:
    chosen = selection()
    if chosen.problems:
        return refused(chosen)
    body = understanding_for(chosen).csv_bytes(name)
    response = Response(body, mimetype="text/csv", headers=attachment_headers(name, today()))
    audit.exported("dashboard_csv", chart=name, scope=chosen.scope.label, filters=chosen.filters.as_args())
    return response


@bp.get("/csv/understanding-heatmap.csv")
@allowed("dashboards.view")
def understanding_heatmap_csv():
    return _csv("understanding-heatmap")


@bp.get("/csv/scenario-analysis.csv")
@allowed("dashboards.view")
def scenario_analysis_csv():
    return _csv("scenario-analysis")
