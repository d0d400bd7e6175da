"""Retention: leavers past RETENTION_MONTHS are anonymised; what the dashboards count stays."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from lms.api import tokens
from lms.approvals import service as approvals
from lms.clock import add_months, today, utcnow
from lms.dashboards.completion import completion_by
from lms.dashboards.scope import Filters, Scope
from lms.extensions import db
from lms.library.queries import contests
from lms.models import (
    Answer,
    ApiToken,
    Attempt,
    AuditEvent,
    Contest,
    ModuleProgress,
    Person,
    RecoveryCode,
    Request,
    RequestEvent,
    Role,
    SsoLink,
    StaffType,
    TwoFactorSecret,
)
from lms.records.settings import RecordSettings
from lms.training import service as training
from tests.certificates.test_certificates import take

SETTINGS = RecordSettings()
LEAVER_TEXT = "Old leaver's request about the school account"


def signed_in(make_client, person):
    client = make_client()
    client.login(person.email)
    return client


def left(person: Person, months_ago: int) -> None:
    """Deactivate `person` as if they left that many months ago."""
    person.active = False
    person.deactivated_at = datetime.combine(add_months(today(), -months_ago), time(12), tzinfo=UTC)


@pytest.fixture
def world(people, content, make_client):
    """An old leaver (80 months ago) with everything a person leaves behind, a recent leaver, and active staff."""
    w = type("World", (), {})()
    school = people.unit("Oakfield Primary")
    w.head = people.person(unit=school, roles=(Role.headteacher,))
    w.old = people.person(unit=school, manager=w.head, staff_type=StaffType.volunteer, roles=(Role.trust_lead,),
                          email="old.leaver@example.org")
    w.report = people.person(unit=school, manager=w.old)  # managed by the old leaver
    w.recent = people.person(unit=school, manager=w.head, email="recent.leaver@example.org")
    w.active = people.person(unit=school, manager=w.head, email="still.here@example.org")
    for person in (w.old, w.recent, w.active):
        take(signed_in(make_client, person), wrong=2)
        attempt = db.session.scalar(select(Attempt).where(Attempt.person_id == person.id))
        training.contest(db.session, person, attempt, 1, f"Contest by {person.email}")
    request = approvals.submit_business_use(db.session, w.old, accounts="@oak_old", platforms=["instagram"],
                                            purpose=LEAVER_TEXT, starts_on=today(), ends_on=None, settings=SETTINGS)
    approvals.decline(db.session, request, w.head, "Declined: use the main account")
    w.old_request = request.id
    tokens.create_token(db.session, w.old, "Old token")
    for person in (w.old, w.recent):  # ways of signing in: a school account, an authenticator app
        db.session.add_all([SsoLink(person_id=person.id, provider="microsoft", subject=f"oid-{person.id}",
                                    email_at_link=person.email),
                            RecoveryCode(person_id=person.id, code_hash="0" * 64)])
        db.session.merge(TwoFactorSecret(person_id=person.id, secret="JBSWY3DPEHPK3PXP"))  # one each, set up or not
    db.session.commit()
    left(w.old, 80)
    left(w.recent, 10)
    w.old.job_title = "Volunteer reader"
    db.session.commit()
    return w


def totals() -> dict:
    """Aggregates that must survive anonymisation: answers and passes by unit and staff type, and the dashboard's."""
    answers = db.session.execute(
        select(Person.unit_id, Person.staff_type, func.count(Answer.id)).join(Attempt, Attempt.person_id == Person.id)
        .join(Answer, Answer.attempt_id == Attempt.id).group_by(Person.unit_id, Person.staff_type)).all()
    passes = db.session.execute(select(Person.unit_id, Person.staff_type, func.count(ModuleProgress.id))
                                .join(ModuleProgress, ModuleProgress.person_id == Person.id)
                                .where(ModuleProgress.passed_at.is_not(None))
                                .group_by(Person.unit_id, Person.staff_type)).all()
    dashboard = [tuple(vars(r).values()) for r in completion_by(db.session, "unit", Scope("The whole trust"), Filters(),
                                                                today(), SETTINGS)]
    return {"answers": sorted(answers), "passes": sorted(passes), "dashboard": dashboard}


def snapshot(person_id: int) -> tuple:
    db.session.expire_all()
    p = db.session.get(Person, person_id)
    return (p.first_name, p.last_name, p.email, p.job_title, p.password_hash, p.line_manager_id, p.anonymised_at,
            sorted(r.role for r in p.roles))


def run(app, *args: str):
    result = app.test_cli_runner().invoke(args=["people", "retention", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_leaver_past_the_period_is_anonymised_and_the_figures_do_not_change(app, world):
    before = totals()
    recent, active = snapshot(world.recent.id), snapshot(world.active.id)
    output = run(app)
    assert "1 person who left before" in output and "was anonymised" in output

    db.session.expire_all()
    old = db.session.get(Person, world.old.id)
    assert (old.first_name, old.last_name, old.email, old.job_title) == ("Removed", "", f"removed-{old.id}@invalid", "")
    assert old.password_hash is None and old.anonymised_at is not None and old.role_set == frozenset()
    assert (old.unit_id, old.staff_type) == (world.head.unit_id, StaffType.volunteer)  # what aggregates group by
    assert db.session.get(Person, world.report.id).line_manager_id is None
    for model in (ApiToken, SsoLink, TwoFactorSecret, RecoveryCode):
        assert db.session.scalar(select(func.count()).select_from(model).where(model.person_id == old.id)) == 0, model
        assert db.session.scalar(select(func.count()).select_from(model).where(model.person_id == world.recent.id)) \
            == (0 if model is ApiToken else 1), model
    assert [c.reason for c in db.session.scalars(select(Contest).where(Contest.person_id == old.id))] == [""]
    request = db.session.get(Request, world.old_request)
    assert (request.purpose, request.accounts, request.platforms) == ("", "", ["instagram"])
    assert {e.note for e in db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == request.id))} == {""}
    assert db.session.scalar(select(Attempt.certificate_code).where(Attempt.person_id == old.id)) is None
    assert totals() == before

    # The recent leaver and the active people are untouched, their words too.
    assert snapshot(world.recent.id) == recent and snapshot(world.active.id) == active
    assert db.session.scalar(select(Contest.reason).where(Contest.person_id == world.recent.id)) == \
        f"Contest by {world.recent.email}"

    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.anonymised"))
    body = json.loads(event.detail)
    assert (body["count"], body["ids"], body["months"]) == (1, [old.id], 72)
    assert "old.leaver" not in event.detail and LEAVER_TEXT not in event.detail  # ids only

    assert "Nobody who left before" in run(app)  # a second run finds no one new
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "retention.anonymised")) == 1


def test_a_dry_run_only_counts(app, world):
    before = (snapshot(world.old.id), totals())
    output = run(app, "--dry-run")
    assert "1 person who left before" in output and "would be anonymised" in output
    assert "api tokens deleted: 1" in output and "contests blanked: 1" in output and "manager links cleared: 1" in output
    assert (snapshot(world.old.id), totals()) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "retention.anonymised")) == 0


def test_the_period_comes_from_the_setting_or_the_option(app, world):
    app.config["RETENTION_MONTHS"] = 120
    assert "Nobody who left before" in run(app)
    assert snapshot(world.old.id)[0] != "Removed"
    assert "2 people who left before" in run(app, "--months", "6")
    assert snapshot(world.recent.id)[0] == "Removed" and snapshot(world.active.id)[0] != "Removed"


def test_a_bad_months_option_is_refused_by_name(app, world):
    result = app.test_cli_runner().invoke(args=["people", "retention", "--months", "0"])
    assert result.exit_code == 2 and "--months" in result.output


def test_anonymised_people_leave_lists_of_named_people(app, world):
    world.recent.active = True  # asked before leaving; still open when they left
    request = approvals.submit_reference(db.session, world.recent, subject_name="A pupil", reference_for="X", draft=None)
    world.recent.active = False
    db.session.commit()
    app.config["RETENTION_MONTHS"] = 6
    before = {c.person_id for c in contests(db.session)}
    assert {world.old.id, world.recent.id} <= before
    assert request.id in [r.id for r in approvals.to_decide(db.session, world.head)]
    run(app)
    db.session.expire_all()
    assert {c.person_id for c in contests(db.session)} == before - {world.old.id, world.recent.id}
    assert approvals.to_decide(db.session, world.head) == []


def test_leaving_starts_the_clock_only_once(app, tmp_path, world):
    """deactivated_at is the day someone left: a later import that still lists them as inactive keeps it."""
    stamp = world.recent.deactivated_at
    path = tmp_path / "staff.csv"
    path.write_text("email,first name,last name,staff type,unit,active\n"
                    f"{world.recent.email},First,Last,employee,Oakfield Primary,no\n")
    assert app.test_cli_runner().invoke(args=["staff", "import", str(path)]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(Person, world.recent.id).deactivated_at == stamp
    assert utcnow() - stamp > timedelta(days=250)
