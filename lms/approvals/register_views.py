"""The register of current business-use authorisations (5.1): a page and its CSV, on the requests blueprint.

Headteachers see their unit; trust leads and the CEO the whole trust (`requests.register`).
Imported at the bottom of lms/approvals/views.py, so the routes join that blueprint.
"""

from __future__ import annotations

from flask import Response, render_template
from flask_login import current_user

from lms.access import allowed
from lms.approvals.register_table import register_csv as to_csv
from lms.approvals.register_table import register_rows
from lms.approvals.views import bp
from lms.clock import today
from lms.extensions import db
from lms.models import Role


def _scope() -> str:
    return "the whole trust" if current_user.role_set & {Role.trust_lead, Role.ceo} else current_user.unit.name


@bp.get("/register")
@allowed("requests.register")
def register():
    rows = register_rows(db.session, current_user, today())
    return render_template("approvals/register.html", rows=rows, scope=_scope())


@bp.get("/register.csv")
@allowed("requests.register")
def register_csv():
    """The same rows as the page, for Excel."""
    body = to_csv(register_rows(db.session, current_user, today()))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="business-use-register-{today().isoformat()}.csv"',
        "Cache-Control": "no-store",
    })
