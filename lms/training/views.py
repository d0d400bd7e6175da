from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from lms.access import allowed, fetch
from lms.audit import web as audit
from lms.clock import today
from lms.content import clauses
from lms.extensions import db
from lms.forms import EmptyForm
from lms.models import Attempt, AttemptState
from lms.records.settings import app_settings as record_settings
from lms.training import export, service
from lms.training.blueprint import bp
from lms.training.forms import AnswerForm, ContestForm
from lms.training.service import TrainingError

# What every attempt page shows or needs (titles, the policy version's clauses), in the same statement.
ATTEMPT_PAGE = (joinedload(Attempt.module), joinedload(Attempt.module_version), joinedload(Attempt.policy_version))


def get_attempt(attempt_id: int) -> Attempt:
    """The signed-in person's own attempt: 404 if there is none, 403 if it is someone else's."""
    return fetch(Attempt, attempt_id, "attempt.own", options=ATTEMPT_PAGE)


@bp.get("/")
@allowed("training.take")
def index():
    cards = service.module_cards(db.session, current_user, record_settings(), today())
    return render_template("training/index.html", cards=cards, form=EmptyForm())


@bp.get("/training/history")
@allowed("training.take")
def history():
    attempts = service.attempts_for(db.session, current_user)
    return render_template("training/history.html", attempts=attempts)


@bp.get("/training/history.csv")
@allowed("training.take")
def history_csv():
    """The signed-in person's own attempts, one row each, for Excel."""
    body = export.history_csv(service.attempts_for(db.session, current_user))
    audit.exported("training_history", subject_id=current_user.id, format="csv")
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="training-history-{today().isoformat()}.csv"',
        "Cache-Control": "no-store",
    })


@bp.get("/training/<slug>")
@allowed("training.take")
def module(slug: str):
    version = service.current_version(db.session, slug) or abort(404)
    attempts = service.attempts_for(db.session, current_user, version.module_id)
    return render_template("training/module.html", version=version, attempts=attempts, form=EmptyForm())


@bp.post("/training/<slug>/start")
@allowed("training.take")
def start(slug: str):
    version = service.current_version(db.session, slug) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    attempt = service.start_or_resume(db.session, current_user, version)
    db.session.commit()
    return redirect(url_for("training.resume", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@allowed("training.take")
def resume(attempt_id: int):
    attempt = get_attempt(attempt_id)
    if attempt.state != AttemptState.in_progress:
        return redirect(url_for("training.results", attempt_id=attempt.id))
    position = service.next_position(db.session, attempt)
    if position is None:
        return redirect(url_for("training.finish_page", attempt_id=attempt.id))
    return redirect(url_for("training.question", attempt_id=attempt.id, position=position))


@bp.route("/attempts/<int:attempt_id>/q/<int:position>", methods=["GET", "POST"])
@allowed("training.take")
def question(attempt_id: int, position: int):
    attempt = get_attempt(attempt_id)
    pickable = clauses.pickable(db.session, attempt.policy_version)
    form = AnswerForm()
    form.clause.choices = [SelectChoice(c.number, f"{c.number} {c.title}") for c in pickable]
    if form.is_submitted() and attempt.state == AttemptState.in_progress and form.validate():
        # record_answer checks the position, the order and a first answer standing.
        try:
            recorded = service.record_answer(db.session, attempt, position, form.verdict.data,
                                             form.clause.data, form.sure.data == "sure")
        except TrainingError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("training.question", attempt_id=attempt.id, position=position))
        db.session.commit()
        if not recorded.created:
            flash("You had already answered this scenario; your first answer stands.", "info")
        return redirect(url_for("training.question", attempt_id=attempt.id, position=position))
    state = service.question_state(db.session, attempt, position) or abort(404)
    if state.answer is None and attempt.state == AttemptState.in_progress:
        if state.upcoming is not None and position > state.upcoming:
            return redirect(url_for("training.question", attempt_id=attempt.id, position=state.upcoming))
    elif form.is_submitted() and state.answer is not None:
        # A resent form or a second tab: the first answer stands, shown with its feedback.
        flash("You had already answered this scenario; your first answer stands.", "info")
        return redirect(url_for("training.question", attempt_id=attempt.id, position=position))
    return render_template(
        "training/question.html", attempt=attempt, item=state.item, scenario=state.scenario, answer=state.answer,
        form=form, clauses=pickable, total=state.total,
        clause_text=clauses.by_number(db.session, attempt.policy_version) if state.answer else {},
        finish_form=EmptyForm(), contest_form=ContestForm(formdata=None),
        contest=service.contest_for(db.session, attempt, state.scenario.id) if state.answer else None,
    ), 200 if not form.errors else 422


@bp.post("/attempts/<int:attempt_id>/q/<int:position>/contest")
@allowed("training.take")
def contest(attempt_id: int, position: int):
    attempt = get_attempt(attempt_id)
    item = service.item_at(db.session, attempt, position) or abort(404)
    form = ContestForm()
    if form.validate_on_submit():
        try:
            service.contest(db.session, current_user, attempt, position, form.reason.data)
        except TrainingError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("Thank you. A trust lead will review this scenario's marking.", "info")
        return redirect(url_for("training.question", attempt_id=attempt.id, position=position) + "#contest")
    answer = service.answer_for(db.session, attempt, item.scenario_id) or abort(404)
    return render_template(
        "training/question.html", attempt=attempt, item=item, scenario=item.scenario, answer=answer,
        form=AnswerForm(formdata=None), clauses=[], total=len(attempt.items),
        clause_text=clauses.by_number(db.session, attempt.policy_version),
        finish_form=EmptyForm(), contest_form=form, contest=None,
    ), 422


@bp.get("/attempts/<int:attempt_id>/finish")
@allowed("training.take")
def finish_page(attempt_id: int):
    attempt = get_attempt(attempt_id)
    if attempt.state != AttemptState.in_progress:
        return redirect(url_for("training.results", attempt_id=attempt.id))
    if service.next_position(db.session, attempt) is not None:
        return redirect(url_for("training.resume", attempt_id=attempt.id))
    return render_template("training/finish.html", attempt=attempt, form=EmptyForm())


@bp.post("/attempts/<int:attempt_id>/finish")
@allowed("training.take")
def finish(attempt_id: int):
    attempt = get_attempt(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        service.finish_attempt(db.session, attempt, record_settings())
    except TrainingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("training.resume", attempt_id=attempt.id))
    db.session.commit()
    return redirect(url_for("training.results", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>/results")
@allowed("training.take")
def results(attempt_id: int):
    attempt = get_attempt(attempt_id)
    if attempt.state == AttemptState.in_progress:
        return redirect(url_for("training.resume", attempt_id=attempt.id))
    answers = {a.scenario_id: a for a in attempt.answers}
    return render_template(
        "training/results.html", attempt=attempt, answers=answers, sure_but_wrong=service.sure_but_wrong(attempt),
        clause_text=clauses.by_number(db.session, attempt.policy_version), form=EmptyForm(),
    )
