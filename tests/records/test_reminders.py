"""Daily reminders: staff with training due soon, overdue or expired, and a digest for their managers."""

import logging
from datetime import date, timedelta

from sqlalchemy import func, select

from lms import mail
from lms.clock import travel_to
from lms.extensions import db
from lms.models import ModuleProgress, OutboxMessage, OutboxState, ReminderLog
from lms.records.reminders import _send_logged, due_people, send_reminders
from lms.records.settings import RecordSettings
from lms.records.status import State

SETTINGS = RecordSettings()  # due 30 days after start, valid 12 months, due soon 14 days ahead
DAY0 = date(2026, 9, 1)
OVERDUE = DAY0 + timedelta(days=31)  # people created on DAY0 are overdue
TITLE = "Social media: what you must never post"
BASE = "http://127.0.0.1:5000"


def run(today: date, mailer=mail.send):
    with travel_to(today):
        report = send_reminders(db.session, mailer, today, SETTINGS, base_url=BASE)
        db.session.commit()
    return report


def logs(kind: str | None = None) -> int:
    query = select(func.count()).select_from(ReminderLog)
    return db.session.scalar(query.where(ReminderLog.kind == kind) if kind else query)


def queued_to(address: str) -> int:
    """Emails waiting in the outbox for this address."""
    return sum(1 for recipients in db.session.scalars(select(OutboxMessage.recipients)) if address in recipients)


def body(message) -> str:
    return message.get_content()


def test_nothing_due_sends_nothing(people, content, smtp):
    with travel_to(DAY0):
        people.person()  # due in 30 days: not yet due soon
    report = run(DAY0 + timedelta(days=10))
    assert (report.staff_queued, report.digests_queued, report.skipped_already_sent) == (0, 0, 0)
    assert smtp.messages() == [] and logs() == 0


def test_an_overdue_person_gets_exactly_one_email_naming_the_module(people, content, smtp):
    with travel_to(DAY0):
        person = people.person()
        people.person()  # a colleague created the same day is due too...
        later = DAY0 + timedelta(days=25)
    with travel_to(later):
        not_due = people.person()  # ...but one who started later is not
    report = run(OVERDUE)
    assert report.staff_queued == 2 and report.digests_queued == 0
    mine = smtp.to(person.email)
    assert len(mine) == 1
    text = body(mine[0])
    assert TITLE in text and "Overdue: was due by 1 Oct 2026" in text
    assert f"{BASE}/training/core-social-media" in text and f"Dear {person.first_name}," in text
    assert mine[0]["From"] == "training@trust.example.org"
    assert smtp.to(not_due.email) == []
    assert logs("due") == 2


def test_a_manager_gets_one_digest_naming_each_team_member_due(people, content, smtp):
    with travel_to(DAY0):
        manager = people.person(email="manager@example.org")
        first, second = people.person(manager=manager), people.person(manager=manager)
    with travel_to(DAY0 + timedelta(days=25)):
        not_due = people.person(manager=manager)
    report = run(OVERDUE)
    assert report.staff_queued == 3 and report.digests_queued == 1  # the manager's own reminder, too
    to_manager = smtp.to(manager.email)
    assert len(to_manager) == 2
    digest = next(m for m in to_manager if "team" in m["Subject"])
    text = body(digest)
    assert "2 people with training due" in digest["Subject"]
    assert first.full_name in text and second.full_name in text and not_due.full_name not in text
    assert text.count(TITLE) == 2 and f"{BASE}/team" in text
    assert logs("digest") == 1


def test_inactive_people_and_inactive_managers_get_nothing(people, content, smtp):
    with travel_to(DAY0):
        manager = people.person(email="left@example.org")
        report_to = people.person(manager=manager)
        manager.active = False
        db.session.commit()
        gone = people.person(active=False)
    report = run(OVERDUE)
    assert report.staff_queued == 1 and report.digests_queued == 0
    assert [m["To"] for m in smtp.messages()] == [report_to.email]
    assert smtp.to(gone.email) == []


def test_running_twice_the_same_day_sends_nothing_new_and_the_next_day_sends_again(people, content, smtp):
    with travel_to(DAY0):
        manager = people.person()
        people.person(manager=manager)
    first = run(OVERDUE)
    assert (first.staff_queued, first.digests_queued, first.skipped_already_sent) == (2, 1, 0)
    again = run(OVERDUE)
    assert (again.staff_queued, again.digests_queued, again.skipped_already_sent) == (0, 0, 3)
    assert len(smtp.messages()) == 3
    tomorrow = run(OVERDUE + timedelta(days=1))
    assert (tomorrow.staff_queued, tomorrow.digests_queued, tomorrow.skipped_already_sent) == (2, 1, 0)
    assert len(smtp.messages()) == 6 and logs() == 6


def test_a_log_row_written_by_a_concurrent_run_means_already_sent(people, content):
    """The log row is inserted before sending: whoever inserts it second sends nothing."""
    with travel_to(DAY0):
        person = people.person()
    db.session.add(ReminderLog(person_id=person.id, kind="due", sent_on=OVERDUE))  # the other run's row
    db.session.commit()
    sent = []
    entry = ReminderLog(person_id=person.id, kind="due", sent_on=OVERDUE)
    assert _send_logged(db.session, lambda *a: sent.append(a), entry, person.email, "s", "b") is False
    assert sent == [] and logs() == 1
    db.session.rollback()


def test_a_reminder_is_queued_with_its_log_row_and_a_rolled_back_run_leaves_neither(people, content):
    with travel_to(DAY0):
        person = people.person()
    with travel_to(OVERDUE):
        report = send_reminders(db.session, mail.send, OVERDUE, SETTINGS, base_url=BASE)
    assert report.staff_queued == 1 and logs("due") == 1 and queued_to(person.email) == 1
    db.session.rollback()  # the caller never committed: no log row, and no email either
    assert logs() == 0 and queued_to(person.email) == 0
    report = run(OVERDUE)
    assert report.staff_queued == 1 and logs("due") == 1 and queued_to(person.email) == 1


def test_an_unreachable_mail_server_does_not_fail_the_command_and_the_worker_keeps_the_email(app, people, content):
    from tests.mailserver import deliver_outbox, free_port

    with travel_to(DAY0):
        person = people.person()
    with travel_to(OVERDUE):
        result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "Queued 1 reminder(s)" in result.output and logs("due") == 1
    tally = deliver_outbox(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    assert (tally.sent, tally.retrying) == (0, 1)
    [row] = db.session.scalars(select(OutboxMessage)).all()
    assert row.recipients == [person.email] and row.state is OutboxState.queued and row.attempts == 1
    assert "Connection refused" in row.last_error
    with travel_to(OVERDUE):
        again = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert "Queued 0 reminder(s)" in again.output and queued_to(person.email) == 1  # the worker retries it, not the job


def test_without_a_mail_server_the_mail_is_logged_not_sent(app, people, content, caplog):
    from tests.mailserver import deliver_outbox

    assert app.config["MAIL_SERVER"] == ""  # the embedded default
    with travel_to(DAY0):
        person = people.person()
    with caplog.at_level(logging.INFO, logger="lms.mail"):
        report = run(OVERDUE)
        deliver_outbox(app)
    assert report.staff_queued == 1
    logged = [r.getMessage() for r in caplog.records if r.name == "lms.mail"]
    assert len(logged) == 1
    assert person.email in logged[0] and "module to take" in logged[0] and TITLE in logged[0]
    assert logs("due") == 1


def test_the_command_prints_what_it_sent(app, people, content, smtp):
    with travel_to(DAY0):
        manager = people.person()
        people.person(manager=manager)
    runner = app.test_cli_runner()
    with travel_to(OVERDUE):
        first = runner.invoke(args=["reminders", "send"])
        second = runner.invoke(args=["reminders", "send"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "Queued 2 reminder(s) and 1 manager digest(s); 0 already sent today."
    assert second.output.strip() == "Queued 0 reminder(s) and 0 manager digest(s); 3 already sent today."
    assert len(smtp.messages()) == 3


def test_due_soon_and_expired_passes_are_included_with_their_dates(people, content):
    with travel_to(DAY0):
        expiring, expired, current = people.person(), people.person(), people.person()
    today = OVERDUE
    rows = {p.person_id: p for p in db.session.scalars(select(ModuleProgress))}
    rows[expiring.id].valid_until = rows[expiring.id].due_on = today + timedelta(days=5)
    rows[expired.id].valid_until = rows[expired.id].due_on = today - timedelta(days=1)
    rows[current.id].valid_until = rows[current.id].due_on = today + timedelta(days=200)
    db.session.commit()
    found = {p.id: p.modules for p in due_people(db.session, today, SETTINGS)}
    assert set(found) == {expiring.id, expired.id}
    assert found[expiring.id][0].state is State.due_soon
    assert found[expiring.id][0].when == "Due soon: the pass runs out on 7 Oct 2026"
    assert found[expired.id][0].state is State.expired
    assert found[expired.id][0].when == "Expired: the pass ran out on 1 Oct 2026"


def test_due_people_is_one_query_whatever_the_number_of_people(app, people, content):
    from sqlalchemy import event

    with travel_to(DAY0):
        for _ in range(5):
            people.person()
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = due_people(db.session, OVERDUE, SETTINGS)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(found) == 5 and len(statements) == 1


def test_an_unfinished_attempt_past_its_due_date_is_still_reminded(make_client, people, content, smtp):
    from tests.training.helpers import start

    with travel_to(DAY0):
        person = people.person()
        client = make_client()
        client.login(person.email)
        start(client)  # started, never finished
    report = run(OVERDUE)
    assert report.staff_queued == 1
    assert "Started but not finished: due by 1 Oct 2026" in body(smtp.to(person.email)[0])


def test_the_job_checkpoints_after_every_message_it_sends(people, content, smtp):
    with travel_to(DAY0):
        manager = people.person()
        people.person(manager=manager)
    checkpoints = []
    with travel_to(OVERDUE):
        report = send_reminders(db.session, mail.send, OVERDUE, SETTINGS, base_url=BASE,
                                after_each=lambda: checkpoints.append(logs()))
    assert report.staff_queued + report.digests_queued == 3
    assert checkpoints == [1, 2, 3]  # each message's log row exists when the caller commits
