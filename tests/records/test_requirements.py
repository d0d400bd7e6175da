"""Who must take which module: everyone the core modules, managers theirs, business use when asked."""

from datetime import date, timedelta

from sqlalchemy import select

from lms.clock import travel_to
from lms.extensions import db
from lms.models import Module, ModuleProgress, Role, StaffType
from lms.records.requirements import assign, sync_requirements
from lms.records.settings import RecordSettings
from tests.conftest import SCENARIOS

SETTINGS = RecordSettings()


def required(person) -> dict[str, tuple[str, date]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Module.slug, ModuleProgress.reason, ModuleProgress.due_on)
        .join(Module, Module.id == ModuleProgress.module_id)
        .where(ModuleProgress.person_id == person.id, ModuleProgress.required)
    ).all()
    return {slug: (reason, due) for slug, reason, due in rows}


def load_all(app):
    result = app.test_cli_runner().invoke(args=["scenarios", "load", *sorted(str(p) for p in SCENARIOS.glob("*.yaml"))])
    assert result.exit_code == 0, result.output


def test_every_staff_type_must_take_the_all_staff_modules(app, people):
    load_all(app)
    with travel_to(date(2026, 9, 1)):
        staff = [people.person(staff_type=t) for t in StaffType]
    for person in staff:
        assert set(required(person)) == {"core-social-media", "personal-use-and-working-hours"}
        assert required(person)["core-social-media"] == ("all_staff", date(2026, 10, 1))


def test_new_starters_are_due_n_days_after_their_start_date(app, people):
    load_all(app)
    with travel_to(date(2026, 9, 1)):
        person = people.person(sync=False)
        person.start_date = date(2026, 9, 14)  # starts in two weeks
        sync_requirements(db.session, SETTINGS, date(2026, 9, 1))
        db.session.commit()
    assert required(person)["core-social-media"][1] == date(2026, 10, 14)
    with travel_to(date(2026, 9, 1)):
        other = people.person(sync=False)
        sync_requirements(db.session, RecordSettings(new_starter_days=10), date(2026, 9, 1))
        db.session.commit()
    assert required(other)["core-social-media"][1] == date(2026, 9, 11)


def test_people_who_manage_others_must_take_the_managers_module(app, people):
    load_all(app)
    manager = people.person()
    assert "managers-and-headteachers" not in required(manager)
    report = people.person(manager=manager)
    assert required(manager)["managers-and-headteachers"][0] == "manages_others"
    assert "managers-and-headteachers" not in required(report)
    head = people.person(roles=(Role.headteacher,))
    assert "managers-and-headteachers" in required(head)

    report.active = False  # their only report leaves
    sync_requirements(db.session, SETTINGS, date.today())
    db.session.commit()
    assert "managers-and-headteachers" not in required(manager)
    row = db.session.scalar(select(ModuleProgress).join(Module, Module.id == ModuleProgress.module_id)
                            .where(ModuleProgress.person_id == manager.id, Module.slug == "managers-and-headteachers"))
    assert row is not None and not row.required  # kept, not deleted


def test_business_use_module_is_required_once_assigned_and_stays(app, people):
    load_all(app)
    person = people.person()
    assert "speaking-for-the-school" not in required(person)
    assign(db.session, person, "speaking-for-the-school", SETTINGS, date(2026, 9, 1))
    sync_requirements(db.session, SETTINGS, date(2026, 9, 2))
    db.session.commit()
    assert required(person)["speaking-for-the-school"] == ("assigned", date(2026, 10, 1))


def test_people_who_leave_are_no_longer_required_but_keep_their_rows(app, people):
    load_all(app)
    person = people.person()
    person.active = False
    sync_requirements(db.session, SETTINGS, date.today())
    db.session.commit()
    assert required(person) == {}
    assert db.session.scalar(select(ModuleProgress).where(ModuleProgress.person_id == person.id)) is not None


def test_sync_is_idempotent_and_keeps_due_dates(app, people):
    load_all(app)
    with travel_to(date(2026, 9, 1)):
        person = people.person()
    before = required(person)
    sync_requirements(db.session, SETTINGS, date(2026, 12, 1))
    db.session.commit()
    assert required(person) == before


def test_records_sync_command(app, people):
    load_all(app)
    person = people.person(sync=False)
    result = app.test_cli_runner().invoke(args=["records", "sync"])
    assert result.exit_code == 0 and "up to date" in result.output
    assert "core-social-media" in required(person)
    assert required(person)["core-social-media"][1] == date.today() + timedelta(days=30)
