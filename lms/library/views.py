from flask import abort, render_template

from lms.access import allowed
from lms.audit import web as audit
from lms.content.coverage import BAR
from lms.extensions import db
from lms.library import queries
from lms.library.blueprint import bp
from lms.training.draw import group_of
from lms.training.service import clauses_by_number, current_versions


@bp.get("/")
@allowed("library.review")
def index():
    return render_template("library/index.html", coverage=queries.live_coverage(db.session),
                           versions=current_versions(db.session), bar=BAR)


@bp.get("/contests")
@allowed("library.review")
def contests():
    items = queries.contests(db.session)
    policy = queries.current_policy(db.session)
    clause_text = clauses_by_number(db.session, policy.id) if policy else {}
    page = render_template("library/contests.html", contests=items, clause_text=clause_text)
    audit.viewed("library.contests", [c.person_id for c in items])  # each contest is shown with its author
    return page


@bp.get("/modules/<slug>")
@allowed("library.review")
def module(slug: str):
    version = queries.module_version(db.session, slug) or abort(404)
    return render_template(
        "library/module.html", version=version, contest_counts=queries.contest_counts(db.session, version),
        clause_text=clauses_by_number(db.session, version.policy_version_id), group_of=group_of,
    )
