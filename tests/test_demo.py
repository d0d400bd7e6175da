from sqlalchemy import func, select

from lms.demo import DEMO_PASSWORD
from lms.extensions import db
from lms.models import Person, Role, StaffType, Unit, UnitKind


def test_demo_trust_covers_every_staff_type_and_role(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    units = db.session.scalars(select(Unit)).all()
    assert sorted(u.kind.value for u in units) == ["central", "school", "school", "school"]
    people = db.session.scalars(select(Person)).all()
    assert 55 <= len(people) <= 65
    assert {p.staff_type for p in people} == set(StaffType)
    for school in (u for u in units if u.kind is UnitKind.school):
        heads = [p for p in people if p.unit_id == school.id and p.has_role(Role.headteacher)]
        assert len(heads) == 1
    for role in (Role.ceo, Role.trust_lead, Role.admin):
        assert sum(p.has_role(role) for p in people) == 1
    assert any(p.line_manager_id for p in people)
    assert DEMO_PASSWORD in result.output


def test_demo_logins_printed_work(app, make_client):
    output = app.test_cli_runner().invoke(args=["demo", "seed"]).output
    emails = [line.split()[-1] for line in output.splitlines() if "@" in line]
    assert len(emails) == 10
    client = make_client()
    response = client.login(emails[0], DEMO_PASSWORD)
    assert response.status_code == 302 and response.location == "/"


def test_seeding_twice_changes_nothing(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo", "seed"])
    count = db.session.scalar(select(func.count()).select_from(Person))
    result = runner.invoke(args=["demo", "seed"])
    assert "nothing changed" in result.output
    assert db.session.scalar(select(func.count()).select_from(Person)) == count


def test_demo_staff_have_a_backdated_history_but_the_printed_logins_start_fresh(app, library):
    from lms.content.store import load_library
    from lms.demo import demo_logins
    from lms.models import Attempt, AttemptState

    load_library(db.session, library)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert "Backdated training history" in result.output
    attempts = db.session.scalars(select(Attempt)).all()
    states = {(a.state, a.passed) for a in attempts}
    assert (AttemptState.submitted, True) in states and (AttemptState.submitted, False) in states
    assert (AttemptState.in_progress, None) in states
    logins = {email for _, email in demo_logins(db.session)}
    assert not any(a.person.email in logins for a in attempts)


def test_the_demo_trust_shows_every_kind_of_standing(app, library):
    from lms.clock import today
    from lms.content.store import load_library
    from lms.models import ModuleProgress
    from lms.records.settings import RecordSettings
    from lms.records.status import state_sql

    load_library(db.session, library)
    db.session.commit()
    app.test_cli_runner().invoke(args=["demo", "seed"])
    state = state_sql(today(), RecordSettings())
    found = dict(db.session.execute(select(state, func.count()).where(ModuleProgress.required).group_by(state)).all())
    assert {"overdue", "passed", "expired", "in_progress"} <= set(found), found
