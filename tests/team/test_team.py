"""Managers' team view: who sees whom, each person's standing, and a reminder sent by hand."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lms.clock import travel_to
from lms.extensions import db
from lms.models import ModuleProgress, Person, ReminderLog, Role, Unit
from tests.sqlcount import count_statements

DAY0 = date(2026, 9, 1)
OVERDUE = DAY0 + timedelta(days=31)
TITLE = "Social media: what you must never post"


def text(response) -> str:
    return response.get_data(as_text=True)


def row(person: Person) -> str:
    return f'<th scope="row">{person.full_name}</th>'


@dataclass
class Trust:
    head_a: Person
    manager: Person
    report1: Person
    report2: Person
    colleague: Person
    head_b: Person
    staff_b: Person


@pytest.fixture
def trust(people, content) -> Trust:
    """Oakfield: a headteacher, a line manager with two reports, a colleague; Riverside: a head and one person."""
    with travel_to(DAY0):
        a, b = people.unit("Oakfield Primary"), people.unit("Riverside Academy")
        head_a = people.person(unit=a, roles=(Role.headteacher,), email="head.a@example.org")
        manager = people.person(unit=a, manager=head_a, email="manager@example.org")
        report1 = people.person(unit=a, manager=manager)
        report2 = people.person(unit=a, manager=manager)
        colleague = people.person(unit=a)
        head_b = people.person(unit=b, roles=(Role.headteacher,), email="head.b@example.org")
        staff_b = people.person(unit=b, manager=head_b)
    return Trust(head_a, manager, report1, report2, colleague, head_b, staff_b)


def signed_in(make_client, person: Person):
    client = make_client()
    client.login(person.email)
    return client


def remind(client, person_id: int):
    client.get("/team")
    return client.post(f"/team/{person_id}/remind")


def test_a_line_manager_sees_their_reports_only(make_client, trust):
    page = text(signed_in(make_client, trust.manager).get("/team"))
    assert row(trust.report1) in page and row(trust.report2) in page
    for other in (trust.head_a, trust.manager, trust.colleague, trust.head_b, trust.staff_b):
        assert row(other) not in page
    assert TITLE in page and "<caption>" in page and 'scope="col"' in page
    assert "Everyone in my school" not in page  # no choice of scope to offer


def test_a_headteacher_sees_all_of_their_unit_and_none_of_another(make_client, trust):
    client = signed_in(make_client, trust.head_a)
    page = text(client.get("/team"))
    for member in (trust.manager, trust.report1, trust.report2, trust.colleague):
        assert row(member) in page
    for other in (trust.head_b, trust.staff_b):
        assert row(other) not in page
    assert 'href="/team?scope=reports"' in page  # both scopes apply: the wider one is shown first
    reports = text(client.get("/team?scope=reports"))
    assert row(trust.manager) in reports and row(trust.report1) not in reports


def test_people_without_a_team_are_refused_and_visitors_sent_to_sign_in(client, make_client, trust):
    colleague = signed_in(make_client, trust.colleague)
    assert colleague.get("/team").status_code == 403
    assert "My team" not in text(colleague.get("/"))
    assert "My team" in text(signed_in(make_client, trust.manager).get("/"))
    response = client.get("/team")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_a_line_manager_cannot_ask_for_the_whole_unit(make_client, trust):
    client = signed_in(make_client, trust.manager)
    assert client.get("/team?scope=unit").status_code == 404
    assert client.get("/team?scope=everyone").status_code == 404


def test_each_person_shows_status_score_and_dates(make_client, trust):
    progress = db.session.scalar(select(ModuleProgress).where(ModuleProgress.person_id == trust.report1.id))
    progress.last_score = progress.pass_score = Decimal("85.00")
    progress.last_passed = True
    progress.passed_at = datetime(2026, 9, 10, 9, tzinfo=UTC)
    progress.valid_until = progress.due_on = date(2027, 9, 10)
    db.session.commit()
    with travel_to(OVERDUE):
        page = text(signed_in(make_client, trust.manager).get("/team"))
    assert "badge-passed" in page and "Last score 85%" in page
    assert "Passed 10 Sep 2026" in page and "Valid until 10 Sep 2027" in page
    assert "badge-overdue" in page and "Due 1 Oct 2026" in page  # report2, who has not passed
    assert "Employee" in page


def test_a_manual_reminder_is_sent_once_a_day(make_client, trust, smtp):
    with travel_to(OVERDUE):
        client = signed_in(make_client, trust.manager)
        response = remind(client, trust.report1.id)
        assert response.status_code == 302 and response.location == "/team"
        page = text(client.get("/team"))
        assert f"Reminder sent to {trust.report1.full_name}." in page and "Reminded today" in page
        assert len(smtp.messages()) == 1
        message = smtp.to(trust.report1.email)[0]
        content = message.get_content()
        assert TITLE in content and "Overdue" in content and trust.manager.full_name in content

        again = client.post(f"/team/{trust.report1.id}/remind")
        assert again.status_code == 302
        assert "has already been sent a reminder today" in text(client.get("/team"))
        assert len(smtp.messages()) == 1
    entry = db.session.scalar(select(ReminderLog))
    assert (entry.person_id, entry.kind, entry.sent_on, entry.sent_by_id) == (trust.report1.id, "manual", OVERDUE,
                                                                             trust.manager.id)
    with travel_to(OVERDUE + timedelta(days=1)):
        client.login(trust.manager.email)  # another day: sessions end after 10 hours
        remind(client, trust.report1.id)
    assert len(smtp.messages()) == 2


def test_a_headteacher_reminds_anyone_in_their_unit_keeping_the_scope(make_client, trust, smtp):
    with travel_to(OVERDUE):
        client = signed_in(make_client, trust.head_a)
        client.get("/team")
        response = client.post(f"/team/{trust.colleague.id}/remind?scope=unit")
    assert response.location == "/team?scope=unit"
    assert len(smtp.to(trust.colleague.email)) == 1


def test_nothing_due_means_no_reminder(make_client, trust, smtp):
    client = signed_in(make_client, trust.manager)
    with travel_to(DAY0 + timedelta(days=1)):  # due in 29 days: not yet due soon
        remind(client, trust.report1.id)
        assert "has no required training due soon, overdue or expired" in text(client.get("/team"))
    assert smtp.messages() == []
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 0


def test_reminding_someone_out_of_scope_is_forbidden(make_client, trust, smtp):
    with travel_to(OVERDUE):
        head_b = signed_in(make_client, trust.head_b)
        assert remind(head_b, trust.report1.id).status_code == 403  # another unit's head
        manager = signed_in(make_client, trust.manager)
        assert remind(manager, trust.colleague.id).status_code == 403  # a colleague, not a report
        assert remind(manager, trust.head_a.id).status_code == 403  # their own manager
        assert remind(manager, trust.manager.id).status_code == 403  # never oneself
        colleague = signed_in(make_client, trust.colleague)
        assert colleague.post(f"/team/{trust.report1.id}/remind").status_code == 403
        assert remind(manager, 999999).status_code == 404
    assert smtp.messages() == []


def test_a_former_report_who_has_left_cannot_be_reminded(make_client, trust, smtp):
    trust.report1.active = False
    db.session.commit()
    with travel_to(OVERDUE):
        client = signed_in(make_client, trust.manager)
        assert row(trust.report1) not in text(client.get("/team"))
        assert client.post(f"/team/{trust.report1.id}/remind").status_code == 403
    assert smtp.messages() == []


def test_html_in_a_name_is_shown_escaped(make_client, trust, smtp):
    trust.report1.first_name = '<script>alert("x")</script>'
    db.session.commit()
    with travel_to(OVERDUE):
        client = signed_in(make_client, trust.manager)
        page = text(client.get("/team"))
        assert "<script>alert" not in page and "&lt;script&gt;alert" in page
        remind(client, trust.report1.id)
        page = text(client.get("/team"))
    assert "<script>alert" not in page and "Reminder sent to &lt;script&gt;" in page




def test_the_team_page_takes_as_many_queries_for_30_people_as_for_3(make_client, people, content):
    unit = people.unit()
    counts = {}
    for size in (3, 30):
        manager = people.person(unit=unit)
        for _ in range(size):
            people.person(unit=unit, manager=manager)
        client = signed_in(make_client, manager)
        client.get("/team")  # warm up
        counts[size] = count_statements(client, "/team")
    assert counts[3] == counts[30], counts
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 1


def test_a_large_team_is_read_a_page_at_a_time(app, make_client, people, content):
    """A school of hundreds: 50 people a page by name, links between pages, and only those shown logged."""
    from lms.models import AuditEvent

    app.config["TEAM_PER_PAGE"] = 4
    unit = people.unit()
    manager = people.person(unit=unit)
    reports = [people.person(unit=unit, manager=manager, sync=False) for _ in range(10)]
    by_name = sorted(reports, key=lambda p: (p.last_name, p.first_name, p.id))
    client = signed_in(make_client, manager)
    first = text(client.get("/team"))
    assert [r for r in by_name if row(r) in first] == by_name[:4]
    assert "10 people, page 1 of 3" in first and 'rel="next"' in first and 'rel="prev"' not in first
    before = db.session.scalar(select(func.max(AuditEvent.id)))
    last = text(client.get("/team?page=3"))
    assert [r for r in by_name if row(r) in last] == by_name[8:]
    assert 'rel="prev"' in last and 'rel="next"' not in last
    logged = db.session.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == "records.viewed",
                                                                    AuditEvent.id > before))
    assert sorted(logged) == sorted(r.id for r in by_name[8:])  # the people shown, not the whole team
    assert "page 3 of 3" in text(client.get("/team?page=99"))  # past the end: the last page
    for odd in ("0", "-2", "two"):  # not a page number: 400, naming it (tests/security/test_parameters_property.py)
        assert client.get(f"/team?page={odd}").status_code == 400
