"""Subject access requests, answered by an admin: find a person by email, download their data.

The routes join the `people` blueprint (lms/people/blueprint.py; the app factory imports this
module). Each download is an audited export (`export.subject_access`, about that person). The
person is found as sign-in finds them (`directory.find_by_email`), so an address typed in any
case, with stray spaces, finds the same person.
"""

from __future__ import annotations

from flask import Response, render_template, request

from lms.access import allowed, fetch
from lms.audit import web as audit
from lms.clock import utcnow
from lms.extensions import db
from lms.models import Person
from lms.people import subject_access
from lms.people.blueprint import bp
from lms.people.directory import find_by_email
from lms.query_params import QueryArgs, said

EMAIL_MAX = 254


@bp.get("/subject-access")
@allowed("people.subject_access")
def subject_access_search():
    """A GET form: the email typed in, and the person it belongs to (or why there is none)."""
    query = QueryArgs(request.args)
    email = (query.one("email") or "").strip()
    found, problem = None, None
    if query.problems:  # the address given twice: which one was meant cannot be known
        problem, email = said(query.problems[0]), ""
    elif "email" in request.args:
        if not email:
            problem = "Email: type the email address of the person who asked."
        elif len(email) > EMAIL_MAX:
            problem = f"Email: at most {EMAIL_MAX} characters ({len(email)} given)."
        else:
            found = find_by_email(db.session, email)
            if found is None:
                problem = f"Email: there is nobody with the address {email} (a removed person's is removed-<id>@invalid)."
    status = 200 if problem is None else (404 if email and len(email) <= EMAIL_MAX else 422)
    return render_template("people/subject_access.html", email=email, found=found, problem=problem,
                           sections=subject_access.SECTIONS), status


def _download(person_id: int, fmt: str) -> Response:
    person = fetch(Person, person_id, "people.subject_access")
    now = utcnow()
    download = subject_access.export(db.session, person, fmt, now)
    audit.exported("subject_access", subject_id=person.id, format=fmt, rows=download.rows)
    response = Response(download.body, mimetype=download.mimetype)
    response.headers["Content-Disposition"] = (f'attachment; filename="subject-access-{person_id}-'
                                               f'{now.date().isoformat()}.{fmt}"')
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:person_id>/data.json")
@allowed("people.subject_access")
def subject_access_json(person_id: int):
    return _download(person_id, "json")


@bp.get("/<int:person_id>/data.csv")
@allowed("people.subject_access")
def subject_access_csv(person_id: int):
    return _download(person_id, "csv")
