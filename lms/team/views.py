from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms import mail
from lms.access import allowed, can, fetch, team_scopes
from lms.audit import web as audit
from lms.clock import today
from lms.extensions import db
from lms.forms import EmptyForm
from lms.models import Person
from lms.query_params import QueryArgs, said
from lms.records.reminders import ManualOutcome, remind_one
from lms.records.settings import app_settings as record_settings
from lms.team import service
from lms.team.blueprint import bp


def chosen_scope(query: QueryArgs) -> tuple[str, list[str]]:
    """The scope asked for (?scope=reports|unit), or the widest this person has; 404 for any other.

    Only called after `team.view`, which holds exactly when there is at least one scope.
    """
    scopes = team_scopes(current_user)
    scope = query.one("scope") or scopes[0]
    if not can(current_user, "team.scope", scope):
        abort(404)  # not a view of the team this person has: as unknown as a misspelt one
    return scope, scopes


@bp.get("")
@allowed("team.view")
def index():
    query = QueryArgs(request.args)
    scope, scopes = chosen_scope(query)
    number = query.page("page")
    shown = dict(scope=scope, scopes=scopes, labels=service.SCOPE_LABELS, form=EmptyForm())
    if query.problems:  # the page's layout with what was wrong, and the way back to the first page
        return render_template("team/index.html", view=None, problems=[said(p) for p in query.problems],
                               **shown), 400
    view = service.team_view(db.session, current_user, scope, today(), record_settings(), page=number,
                             per_page=current_app.config.get("TEAM_PER_PAGE", service.PER_PAGE))
    page = render_template("team/index.html", view=view, problems=[], **shown)
    audit.viewed("team", [m.person.id for m in view.members], scope=scope)
    return page


@bp.post("/<int:person_id>/remind")
@allowed("team.view")
def remind(person_id: int):
    person = fetch(Person, person_id, "person.remind")
    if not EmptyForm().validate_on_submit():
        abort(400)
    scope = request.args.get("scope")
    back = url_for("team.index", scope=scope) if scope in service.SCOPE_LABELS else url_for("team.index")
    # The reminder is queued with its log row in one commit; the mail worker sends it.
    outcome = remind_one(db.session, mail.send, person, current_user, today(), record_settings(),
                         base_url=current_app.config["APP_BASE_URL"])
    db.session.commit()
    if outcome is ManualOutcome.sent:
        flash(f"Reminder sent to {person.full_name}.", "info")
    elif outcome is ManualOutcome.already_sent:
        flash(f"{person.full_name} has already been sent a reminder today; you can send another tomorrow.", "error")
    else:
        flash(f"{person.full_name} has no required training due soon, overdue or expired, so no reminder was sent.",
              "info")
    return redirect(back)
