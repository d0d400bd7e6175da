"""A required module's state over time, and the SQL form of the rule agreeing with Python."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.clock import add_months, today, travel_to
from lms.extensions import db
from lms.models import ModuleProgress
from lms.records.settings import RecordSettings
from lms.records.status import State, standing, state_sql
from tests.training.helpers import answer, drawn, right_answer, scenario_at, start, wrong_answer

SETTINGS = RecordSettings()  # due 30 days after start, valid 12 months, due soon 14 days ahead


def state_now(module_slug: str = "core-social-media") -> State:
    from lms.models import Module

    db.session.expire_all()
    row = db.session.scalar(select(ModuleProgress).join(Module, Module.id == ModuleProgress.module_id)
                            .where(Module.slug == module_slug))
    python = standing(row, today(), SETTINGS).state
    sql = db.session.scalar(select(state_sql(today(), SETTINGS)).where(ModuleProgress.id == row.id))
    assert sql == python.value, "the SQL rule and the Python rule disagree"
    return python


def take(client, wrong: int = 0) -> int:
    attempt_id = start(client)
    for position in range(1, drawn(attempt_id) + 1):
        scenario = scenario_at(attempt_id, position)
        answer(client, attempt_id, position, wrong_answer(scenario) if position <= wrong else right_answer(scenario))
    client.post(f"/attempts/{attempt_id}/finish")
    return attempt_id


def test_add_months_keeps_the_day_or_falls_back_to_the_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 11, 24), 12) == date(2027, 11, 24)


def test_a_year_in_the_life_of_a_required_module(make_client, people, content):
    start_day = date(2026, 9, 1)
    with travel_to(start_day):
        person = people.person()  # required from today: due in 30 days
        client = make_client()
        client.login(person.email)
        assert state_now() is State.not_started
    with travel_to(start_day + timedelta(days=20)):
        assert state_now() is State.due_soon
        client.login(person.email)  # another day: sessions end after 10 hours
        start(client)
        assert state_now() is State.in_progress
    with travel_to(start_day + timedelta(days=31)):
        assert state_now() is State.in_progress  # an open attempt shows as in progress even when late
    with travel_to(start_day + timedelta(days=32)):
        client.login(person.email)  # another day: sessions end after 10 hours
        attempt_id = start(client)
        for position in range(1, drawn(attempt_id) + 1):
            answer(client, attempt_id, position, right_answer(scenario_at(attempt_id, position)))
        client.post(f"/attempts/{attempt_id}/finish")
        assert state_now() is State.passed
        passed_on = today()
    valid_until = add_months(passed_on, 12)
    with travel_to(valid_until - timedelta(days=20)):
        assert state_now() is State.passed
    with travel_to(valid_until - timedelta(days=10)):
        assert state_now() is State.due_soon  # renewal coming up
    with travel_to(valid_until):
        assert state_now() is State.due_soon  # still valid on its last day
    with travel_to(valid_until + timedelta(days=1)):
        assert state_now() is State.expired
        take(make_client_login(make_client, person))
        assert state_now() is State.passed


def make_client_login(make_client, person):
    client = make_client()
    client.login(person.email)
    return client


def test_not_started_becomes_overdue_after_the_due_date(people, content):
    with travel_to(date(2026, 9, 1)):
        people.person()
    with travel_to(date(2026, 10, 1)):
        assert state_now() is State.due_soon  # due on 1 October
    with travel_to(date(2026, 10, 2)):
        assert state_now() is State.overdue


def test_a_failed_attempt_leaves_the_module_due(make_client, people, content):
    with travel_to(date(2026, 9, 1)):
        client = make_client_login(make_client, people.person())
        take(client, wrong=12)
        assert state_now() is State.not_started
    with travel_to(date(2026, 10, 5)):
        assert state_now() is State.overdue


def test_a_pass_records_the_policy_version_validity_and_a_certificate_code(client, people, content):
    with travel_to(date(2026, 11, 24)):
        client.login(people.person().email)
        attempt_id = take(client)
    from lms.models import Attempt

    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.passed and attempt.valid_until == date(2027, 11, 24) and len(attempt.certificate_code) == 16
    row = db.session.scalar(select(ModuleProgress).where(ModuleProgress.pass_attempt_id == attempt_id))
    assert row.pass_policy_version_id == attempt.policy_version_id and row.due_on == date(2027, 11, 24)


@pytest.mark.parametrize("days_after", [0, 13, 14, 15, 29, 30, 31, 400])
def test_python_and_sql_agree_for_every_kind_of_row(app, people, content, days_after):
    """A grid of rows in every state; the two forms of the rule must agree on each."""
    from lms.models import Module

    module = db.session.scalar(select(Module).where(Module.slug == "core-social-media"))
    base = date(2026, 1, 1)
    rows = []
    for valid in (None, base, base + timedelta(days=20), base + timedelta(days=60)):
        for due in (None, base, base + timedelta(days=10), base + timedelta(days=40)):
            for refresh in (None, ["4.4"]):
                for open_attempt in (False, True):
                    person = people.person(sync=False)
                    row = ModuleProgress(person_id=person.id, module_id=module.id, required=True, valid_until=valid,
                                         due_on=due, refresh_clauses=refresh, attempts_count=0)
                    db.session.add(row)
                    db.session.flush()
                    if open_attempt:
                        row.open_attempt_id = _open_attempt(person, module)
                    rows.append(row.id)
    db.session.commit()
    on = base + timedelta(days=days_after)
    db.session.expire_all()
    for row_id in rows:
        row = db.session.get(ModuleProgress, row_id)
        sql = db.session.scalar(select(state_sql(on, SETTINGS)).where(ModuleProgress.id == row_id))
        assert sql == standing(row, on, SETTINGS).state.value, (row.valid_until, row.due_on, row.refresh_clauses)


def _open_attempt(person, module) -> int:
    from lms.models import Attempt, ModuleVersion

    version = db.session.scalar(select(ModuleVersion).where(ModuleVersion.module_id == module.id))
    attempt = Attempt(person_id=person.id, module_id=module.id, module_version_id=version.id,
                      policy_version_id=version.policy_version_id)
    db.session.add(attempt)
    db.session.flush()
    return attempt.id
