"""Business-use authorisations lapse by themselves (issue 5), and the register lists those that stand."""

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from lms.approvals import service
from lms.approvals.register_table import HEADER, register_rows
from lms.clock import travel_to, utcnow
from lms.csv_files import safe_cell
from lms.extensions import db
from lms.models import (
    Attempt,
    AttemptState,
    Module,
    ModuleProgress,
    ModuleVersion,
    Request,
    RequestEvent,
    RequestState,
    Role,
    UnitKind,
)
from lms.records.renewal import new_certificate_code
from lms.records.settings import RecordSettings
from tests.conftest import SCENARIOS
from tests.training.helpers import answer, drawn, right_answer, scenario_at, start

SETTINGS = RecordSettings()  # a pass is valid 12 months
DAY0 = date(2026, 9, 1)
UNTIL = date(2027, 12, 31)  # the approval's own date, well after the 12-month pass
S = RequestState


@pytest.fixture
def trust(app, people):
    """Two schools and the central team, with the whole content library loaded (as `scenarios load` does)."""
    result = app.test_cli_runner().invoke(args=["scenarios", "load", *sorted(str(p) for p in SCENARIOS.glob("*.yaml"))])
    assert result.exit_code == 0, result.output
    with travel_to(DAY0):
        a = people.unit("Oakfield Primary", UnitKind.school)
        b = people.unit("Riverside Academy", UnitKind.school)
        central = people.unit("Central Team", UnitKind.central)
        t = type("Trust", (), {})()
        t.a, t.b, t.central = a, b, central
        t.ceo = people.person(unit=central, roles=(Role.ceo,), email="ceo@example.org")
        t.lead = people.person(unit=central, roles=(Role.trust_lead,), manager=t.ceo, email="lead@example.org")
        t.head_a = people.person(unit=a, roles=(Role.headteacher,), manager=t.ceo, email="head.a@example.org")
        t.head_b = people.person(unit=b, roles=(Role.headteacher,), manager=t.ceo, email="head.b@example.org")
        t.manager = people.person(unit=a, manager=t.head_a, email="manager@example.org")
        t.other_manager = people.person(unit=a, manager=t.head_a, email="other.manager@example.org")
        t.teacher = people.person(unit=a, manager=t.manager, email="teacher@example.org")
        t.colleague = people.person(unit=a, manager=t.manager, email="colleague@example.org")
        t.teacher_b = people.person(unit=b, manager=t.head_b, email="teacher.b@example.org")
    return t


def give_pass(person, valid_until: date) -> Attempt:
    """A passed attempt of the business-use module and the progress row pointing at it (no client)."""
    module = db.session.scalar(select(Module).where(Module.slug == service.BUSINESS_USE_MODULE))
    version = db.session.scalar(select(ModuleVersion).where(ModuleVersion.module_id == module.id,
                                                            ModuleVersion.is_current))
    attempt = Attempt(person_id=person.id, module_id=module.id, module_version_id=version.id,
                      policy_version_id=version.policy_version_id, state=AttemptState.submitted, passed=True,
                      score=100, submitted_at=utcnow(), valid_until=valid_until,
                      certificate_code=new_certificate_code())
    db.session.add(attempt)
    db.session.flush()
    progress = db.session.scalar(select(ModuleProgress).where(ModuleProgress.person_id == person.id,
                                                              ModuleProgress.module_id == module.id))
    progress.valid_until = progress.due_on = valid_until
    progress.pass_attempt_id = progress.last_attempt_id = attempt.id
    progress.pass_policy_version_id = version.policy_version_id
    progress.last_passed, progress.last_score, progress.pass_score = True, 100, 100
    progress.passed_at = progress.last_submitted_at = attempt.submitted_at
    progress.attempts_count += 1
    db.session.flush()
    return attempt


def authorise(person, approver, *, accounts="@oakfield_year3 on Instagram", until=UNTIL, flags=("no_pupil_names",),
              conditions="Tag the school account", with_pass=True, on=DAY0) -> Request:
    """An approved business use, through the service layer, committed."""
    with travel_to(on):
        request = service.submit_business_use(db.session, person, accounts=accounts, platforms=["instagram", "other"],
                                              purpose="Class news for parents", starts_on=on, ends_on=None,
                                              settings=SETTINGS)
        if with_pass:
            give_pass(person, on + timedelta(days=365))
        service.approve(db.session, request, approver, SETTINGS, conditions=conditions, condition_flags=list(flags),
                        expires_on=until)
        db.session.commit()
    return request


def lapse_job(app, on: date):
    with travel_to(on):
        result = app.test_cli_runner().invoke(args=["approvals", "lapse"])
    db.session.expire_all()
    return result


def state(request) -> RequestState:
    db.session.expire_all()
    return db.session.get(Request, request.id).state


def signed_in(make_client, person):
    client = make_client()
    client.login(person.email)
    return client


# --- lapses over time --------------------------------------------------------------------

def test_it_lapses_once_its_review_or_expiry_date_has_passed(app, trust, smtp):
    request = authorise(trust.teacher, trust.manager, until=DAY0 + timedelta(days=30))  # 1 Oct 2026
    result = lapse_job(app, date(2026, 10, 1))  # the last day it holds
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 authorisation(s) lapsed." and state(request) is S.approved
    result = lapse_job(app, date(2026, 10, 2))
    assert result.exit_code == 0, result.output
    reason = "its review or expiry date (1 Oct 2026) has passed"
    assert result.output.splitlines() == ["1 authorisation(s) lapsed.",
                                          f"request {request.id} ({trust.teacher.full_name}): {reason}"]
    assert state(request) is S.lapsed


def test_it_lapses_when_the_training_pass_it_relied_on_runs_out(app, trust, make_client, smtp):
    """The person takes the module through the site; thirteen months on, the pass and the approval are gone."""
    with travel_to(DAY0):
        request = service.submit_business_use(db.session, trust.teacher, accounts="@oakfield_pe on X",
                                              platforms=["twitter"], purpose="Match results", starts_on=DAY0,
                                              ends_on=None, settings=SETTINGS)
        service.require_training(db.session, request, trust.manager)
        db.session.commit()
        client = signed_in(make_client, trust.teacher)
        attempt_id = start(client, "speaking-for-the-school")
        for position in range(1, drawn(attempt_id) + 1):
            answer(client, attempt_id, position, right_answer(scenario_at(attempt_id, position)))
        client.post(f"/attempts/{attempt_id}/finish")
        db.session.expire_all()
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.passed and attempt.valid_until == date(2027, 9, 1)
        request = db.session.get(Request, request.id)
        service.approve(db.session, request, trust.manager, SETTINGS, expires_on=UNTIL)
        db.session.commit()
    assert request.training_attempt_id == attempt_id

    assert lapse_job(app, date(2027, 9, 1)).output.strip() == "0 authorisation(s) lapsed."  # valid to the day
    result = lapse_job(app, date(2027, 10, 1))  # thirteen months on
    assert result.exit_code == 0, result.output
    assert "1 authorisation(s) lapsed." in result.output
    assert "the training pass it relied on has expired" in result.output
    assert state(request) is S.lapsed


def _leaves(t):
    t.teacher.active = False
    return f"{t.teacher.full_name} has left"


def _changes_unit(t):
    t.teacher.unit_id = t.b.id
    return f"{t.teacher.full_name} has changed unit"


def _changes_manager(t):
    t.teacher.line_manager_id = t.other_manager.id
    return f"{t.teacher.full_name} has a new line manager"


@pytest.mark.parametrize("change", [_leaves, _changes_unit, _changes_manager], ids=["leaves", "unit", "manager"])
def test_it_lapses_when_the_person_leaves_or_changes_unit_or_manager(app, trust, smtp, change):
    request = authorise(trust.teacher, trust.manager)
    other = authorise(trust.colleague, trust.manager, accounts="@oakfield_pta")
    on = date(2026, 11, 3)
    with travel_to(on):
        reason = change(trust)
        db.session.commit()
    result = lapse_job(app, on)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["1 authorisation(s) lapsed.",
                                          f"request {request.id} ({trust.teacher.full_name}): {reason}"]
    assert state(request) is S.lapsed and state(other) is S.approved


def test_nothing_lapses_while_everything_holds(app, trust, smtp):
    requests = [authorise(trust.teacher, trust.manager), authorise(trust.teacher_b, trust.head_b),
                authorise(trust.colleague, trust.manager, with_pass=False)]  # approved without training
    for on in (DAY0, DAY0 + timedelta(days=100), date(2027, 9, 1)):  # the last day the passes hold
        result = lapse_job(app, on)
        assert result.exit_code == 0 and result.output.strip() == "0 authorisation(s) lapsed."
    assert [state(r) for r in requests] == [S.approved] * 3
    assert smtp.messages() == []


def test_the_person_and_the_approver_are_each_told_once_with_the_reason(app, trust, smtp):
    request = authorise(trust.teacher, trust.manager, until=date(2026, 10, 1))
    lapse_job(app, date(2026, 10, 2))
    reason = "its review or expiry date (1 Oct 2026) has passed"
    assert sorted(m["To"] for m in smtp.messages()) == sorted([trust.teacher.email, trust.manager.email])
    for person in (trust.teacher, trust.manager):
        (message,) = smtp.to(person.email)
        text = message.get_content()
        assert message["Subject"] == "A business-use authorisation has lapsed"
        assert f"Dear {person.first_name}," in text and f"has lapsed because {reason}." in text
        assert "@oakfield_year3 on Instagram" in text and f"/requests/{request.id}" in text


def test_the_history_records_the_lapse_by_the_system_with_the_reason(app, trust, smtp, make_client):
    request = authorise(trust.teacher, trust.manager)
    with travel_to(DAY0 + timedelta(days=10)):
        trust.teacher.active = False
        db.session.commit()
    lapse_job(app, DAY0 + timedelta(days=10))
    events = list(db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == request.id)
                                     .order_by(RequestEvent.id)))
    assert [(e.from_state, e.to_state) for e in events] == [(None, "submitted"), ("submitted", "approved"),
                                                           ("approved", "lapsed")]
    last = events[-1]
    assert last.actor_id is None  # the system, not a person
    assert last.note == f"Lapsed: {trust.teacher.full_name} has left."
    assert last.at.date() == DAY0 + timedelta(days=10)
    with travel_to(DAY0 + timedelta(days=10)):
        page = signed_in(make_client, trust.manager).get(f"/requests/{request.id}").get_data(as_text=True)
    history = page[page.index('id="history"'):]
    assert "<td>System</td>" in history and f"Lapsed: {trust.teacher.full_name} has left." in history


def test_running_the_job_twice_lapses_nothing_new(app, trust, smtp):
    authorise(trust.teacher, trust.manager, until=date(2026, 10, 1))
    authorise(trust.teacher_b, trust.head_b, until=date(2026, 10, 1))
    first = lapse_job(app, date(2026, 10, 5))
    second = lapse_job(app, date(2026, 10, 5))
    later = lapse_job(app, date(2026, 12, 5))
    assert first.output.splitlines()[0] == "2 authorisation(s) lapsed."
    assert second.output.strip() == later.output.strip() == "0 authorisation(s) lapsed."
    assert len(smtp.messages()) == 4
    assert db.session.scalar(select(db.func.count()).select_from(RequestEvent)
                             .where(RequestEvent.to_state == "lapsed")) == 2


def test_each_lapse_is_committed_with_its_two_emails_queued_whatever_the_mail_server_does(app, trust):
    """The emails are in the outbox in the lapse's own commit; a mail server that is down is the worker's to retry."""
    from lms.models import OutboxMessage
    from tests.mailserver import deliver_outbox, free_port

    first = authorise(trust.teacher, trust.manager, until=date(2026, 10, 1))
    second = authorise(trust.teacher_b, trust.head_b, until=date(2026, 10, 1))
    result = lapse_job(app, date(2026, 10, 2))
    assert result.exit_code == 0 and result.output.splitlines()[0] == "2 authorisation(s) lapsed."
    assert state(first) is S.lapsed and state(second) is S.lapsed
    queued = sorted(r[0] for r in db.session.scalars(select(OutboxMessage.recipients)))
    assert queued == sorted([trust.teacher.email, trust.manager.email, trust.teacher_b.email, trust.head_b.email])
    tally = deliver_outbox(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    assert (tally.sent, tally.retrying) == (0, 4)
    assert lapse_job(app, date(2026, 10, 3)).output.splitlines()[0] == "0 authorisation(s) lapsed."


def test_the_daily_reminders_leave_lapses_to_their_own_job(app, trust, smtp):
    request = authorise(trust.teacher, trust.manager, until=date(2026, 10, 1))
    with travel_to(date(2026, 10, 2)):
        result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert state(request) is S.approved
    assert not [m for m in smtp.messages() if "lapsed" in m["Subject"]]


# --- the register ------------------------------------------------------------------------

def register_page(client, on: date = DAY0, path: str = "/requests/register"):
    with travel_to(on):
        return client.get(path)


def test_a_headteacher_sees_their_unit_and_trust_leads_and_the_ceo_see_all(app, trust, make_client):
    mine = authorise(trust.teacher, trust.manager)
    theirs = authorise(trust.teacher_b, trust.head_b, accounts="@riverside_news")
    expected = {trust.head_a: [mine], trust.head_b: [theirs], trust.lead: [mine, theirs], trust.ceo: [mine, theirs]}
    for viewer, requests in expected.items():
        with travel_to(DAY0):
            assert [r.request_id for r in register_rows(db.session, viewer, DAY0)] == [r.id for r in requests]
        page = register_page(signed_in(make_client, viewer))
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
        assert (trust.teacher.full_name in text) is (mine in requests)
        assert (trust.teacher_b.full_name in text) is (theirs in requests)
        assert 'href="/requests/register"' in text  # the nav link
    head_text = register_page(signed_in(make_client, trust.head_a)).get_data(as_text=True)
    assert "Current authorisations for Oakfield Primary: 1" in head_text
    lead_text = register_page(signed_in(make_client, trust.lead)).get_data(as_text=True)
    assert "Current authorisations for the whole trust: 2" in lead_text


def test_staff_are_refused_and_anonymous_visitors_sent_to_sign_in(app, trust, make_client, client):
    authorise(trust.teacher, trust.manager)
    for path in ("/requests/register", "/requests/register.csv"):
        for person in (trust.teacher, trust.manager, trust.teacher_b):
            assert register_page(signed_in(make_client, person), path=path).status_code == 403
        response = register_page(client, path=path)
        assert response.status_code == 302 and response.location.startswith("/login?next=")
    with travel_to(DAY0):
        staff_home = signed_in(make_client, trust.manager).get("/").get_data(as_text=True)
    assert 'href="/requests/register"' not in staff_home


def test_the_register_shows_who_which_accounts_conditions_since_until_and_who_approved(app, trust, make_client):
    authorise(trust.teacher, trust.manager, flags=("no_pupil_names", "official_account_only"))
    with travel_to(DAY0):
        trust.teacher.job_title = "Year 3 teacher"
        db.session.commit()
    text = register_page(signed_in(make_client, trust.head_a)).get_data(as_text=True)
    for expected in (trust.teacher.full_name, "Year 3 teacher", "Oakfield Primary", "@oakfield_year3 on Instagram",
                     "Instagram, Other", "No pupils&#39; names", "Official account only", "Tag the school account",
                     "1 Sep 2026", "31 Dec 2027", trust.manager.full_name, '<th scope="col">Until</th>',
                     f'<th scope="row">{trust.teacher.full_name}</th>', 'role="region"', "<caption"):
        assert expected in text, expected
    assert "<script" not in text and "style=" not in text


def test_the_register_hides_what_no_longer_stands_even_before_the_job_runs(app, trust, make_client):
    holds = authorise(trust.teacher_b, trust.head_b, accounts="@riverside_news")
    expired = authorise(trust.colleague, trust.manager, until=date(2026, 10, 1), accounts="@expired")
    left = authorise(trust.teacher, trust.manager, accounts="@left")
    moved = authorise(trust.manager, trust.head_a, accounts="@moved")
    managed = authorise(trust.other_manager, trust.head_a, accounts="@new_manager")
    lapsed = authorise(trust.head_b, trust.ceo, accounts="@lapsed", until=date(2026, 9, 30))
    on = date(2026, 10, 2)
    lapse_job(app, on)  # lapses the two whose dates have passed
    assert state(lapsed) is S.lapsed and state(expired) is S.lapsed
    with travel_to(on):  # after the job: these have not lapsed yet
        trust.teacher.active = False
        trust.manager.unit_id = trust.b.id
        trust.other_manager.line_manager_id = trust.ceo.id
        db.session.commit()
    for r in (left, moved, managed):
        assert state(r) is S.approved
    with travel_to(on):
        assert [row.request_id for row in register_rows(db.session, trust.lead, on)] == [holds.id]
    text = register_page(signed_in(make_client, trust.ceo), on=on).get_data(as_text=True)
    assert "@riverside_news" in text
    for hidden in ("@expired", "@left", "@moved", "@new_manager", "@lapsed"):
        assert hidden not in text
    # The date alone hides an approval on the day after it, whether or not the job has run.
    soon = authorise(trust.teacher_b, trust.head_b, accounts="@soon", until=date(2026, 10, 5), on=on)
    with travel_to(date(2026, 10, 6)):
        assert soon.id not in [row.request_id for row in register_rows(db.session, trust.ceo, date(2026, 10, 6))]


def test_the_register_is_a_fixed_number_of_queries_whatever_its_length(app, trust):
    def statements(viewer) -> int:
        seen = []

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            with travel_to(DAY0):
                rows = register_rows(db.session, viewer, DAY0)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(rows), len(seen)

    authorise(trust.teacher, trust.manager)
    one = statements(trust.ceo)
    for person, approver in ((trust.colleague, trust.manager), (trust.teacher_b, trust.head_b),
                             (trust.manager, trust.head_a), (trust.other_manager, trust.head_a)):
        authorise(person, approver)
    five = statements(trust.ceo)
    assert one[0] == 1 and five[0] == 5
    assert five[1] == one[1] <= 9  # the viewer reloaded (2), the register and its eager loads (6), the passes (1)


def test_the_csv_matches_the_database_row_for_row_and_quotes_formulas(app, trust, make_client):
    first = authorise(trust.teacher, trust.manager, accounts='=HYPERLINK("http://evil.example","x")')
    second = authorise(trust.teacher_b, trust.head_b, accounts="@riverside_news", flags=(), conditions=None,
                       with_pass=False)
    response = register_page(signed_in(make_client, trust.lead), path="/requests/register.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="business-use-register-2026-09-01.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == HEADER == ["person", "unit", "job title", "accounts", "platforms", "conditions",
                                 "approved since (UTC)", "until", "approved by", "training pass valid until"]
    db.session.expire_all()
    expected = []
    for r in (db.session.get(Request, first.id), db.session.get(Request, second.id)):
        approved = next(e for e in r.events if e.to_state == "approved")
        attempt = db.session.get(Attempt, r.training_attempt_id) if r.training_attempt_id else None
        conditions = "; ".join([service.CONDITION_FLAGS[f] for f in r.condition_flags or []]
                               + ([r.conditions] if r.conditions else []))
        expected.append([r.requester.full_name, r.unit.name, r.requester.job_title, r.accounts,
                         "Instagram; Other", conditions, approved.at.isoformat(timespec="seconds"),
                         r.expires_on.isoformat(), approved.actor.full_name,
                         attempt.valid_until.isoformat() if attempt else ""])
    assert rows[1:] == [[safe_cell(c) for c in row] for row in expected]
    assert rows[1][3] == "'=HYPERLINK(\"http://evil.example\",\"x\")"  # a spreadsheet must not run it
    assert rows[2][3] == "'@riverside_news"  # nor anything else starting like a formula (the shared guard)
    assert rows[1][5] == "No pupils' names; Tag the school account" and rows[2][5] == ""
    assert rows[1][9] == "2027-09-01" and rows[2][9] == ""
    assert rows[1][6].startswith("2026-09-01T12:00:00")
