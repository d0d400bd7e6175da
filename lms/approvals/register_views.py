"""The register of current business-use authorisations (5.1): a page and its CSV, on the requests blueprint.

Headteachers see their unit; trust leads and the CEO the whole trust (`requests.register`).
The app factory imports this module (lms.BLUEPRINTS), so its routes join the requests blueprint.
"""

from __future__ import annotations

from flask import Response, render_template
from flask_login import current_user

from lms.access import allowed, can
from lms.approvals.blueprint import bp
from lms.approvals.register_table import register_csv as to_csv
from lms.approvals.register_table import register_rows
from lms.audit import web as audit
from lms.clock import today
from lms.extensions import db


def _scope() -> str:
    return "the whole trust" if can(current_user, "scope.trust") else current_user.unit.name


@bp.get("/register")
@allowed("requests.register")
def register():
    rows = register_rows(db.session, current_user, today())
    page = render_template("approvals/register.html", rows=rows, scope=_scope())
    audit.viewed("register", [r.person_id for r in rows])
    return page


@bp.get("/register.csv")
@allowed("requests.register")
def register_csv():
    """The same rows as the page, for Excel."""
    rows = register_rows(db.session, current_user, today())
    body = to_csv(rows)
    audit.viewed("register.csv", [r.person_id for r in rows], commit=False)
    audit.exported("register_csv", rows=len(rows))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="business-use-register-{today().isoformat()}.csv"',
        "Cache-Control": "no-store",
    })
