"""The outbox and its worker: queued with the change, sent over one connection, retried, dead, never lost."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms import mail
from lms.clock import travel_to, utcnow
from lms.extensions import db
from lms.models import AuditEvent, OutboxMessage, OutboxState
from lms.outbox import queue
from lms.outbox.worker import Worker, WorkerSettings
from tests.mailserver import LocalSMTP, deliver_outbox


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def queue_messages(n: int) -> None:
    for i in range(n):
        mail.send(f"Message {i}", [f"person{i}@example.org"], f"Body {i}")
    db.session.commit()


def test_a_message_is_queued_in_the_callers_transaction_and_gone_if_it_rolls_back(app):
    mail.send("Kept", ["kept@example.org"], "body")
    db.session.commit()
    mail.send("Rolled back", ["gone@example.org"], "body")
    db.session.rollback()
    [row] = rows()
    assert (row.subject, row.recipients, row.state) == ("Kept", ["kept@example.org"], OutboxState.queued)


def test_a_batch_goes_over_one_connection_and_each_message_is_marked_sent(app, smtp):
    queue_messages(7)
    tally = deliver_outbox(app, MAIL_BATCH_SIZE=5)
    assert tally.sent == 7 and tally.batches == 2 and tally.connections == 2
    arrived = smtp.arrived()
    assert sorted(m["Subject"] for m in arrived) == sorted(f"Message {i}" for i in range(7))
    assert len(set(smtp.handler.peers[:5])) == 1 and smtp.handler.peers[5] != smtp.handler.peers[0]
    assert {m["X-Outbox-Id"] for m in arrived} == {str(r.id) for r in rows()}
    assert all(r.state is OutboxState.sent and r.sent_at is not None for r in rows())
    assert deliver_outbox(app).sent == 0  # nothing is sent twice


class _Stalls:
    """Accepts the connection, then never answers DATA in time."""

    def __init__(self) -> None:
        self.envelopes, self.peers = [], []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        await asyncio.sleep(5)
        return "250 too late"


def test_a_server_that_stalls_times_the_worker_out_and_the_message_is_rescheduled(app):
    queue_messages(3)
    with LocalSMTP(app, _Stalls()):
        started = time.monotonic()
        tally = deliver_outbox(app, MAIL_TIMEOUT_SECONDS=0.5)
        took = time.monotonic() - started
    assert took < 4  # not stuck for the server's 5 seconds, let alone for ever
    assert tally.sent == 0 and tally.retrying == 3
    for row in rows():
        assert row.state is OutboxState.queued and row.attempts == 1 and row.claimed_by is None
        assert "timed out" in row.last_error and row.due_at > utcnow()


class _Refuses:
    def __init__(self) -> None:
        self.envelopes, self.peers = [], []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "451 Mailbox busy, try later"


def test_a_refusing_server_means_retries_with_back_off_and_then_a_dead_letter(app):
    queue_messages(1)
    start = utcnow()
    waits = []
    with LocalSMTP(app, _Refuses()) as server:
        for attempt in range(1, 4):
            moment = start if attempt == 1 else rows()[0].due_at
            with travel_to(moment):
                assert deliver_outbox(app, MAIL_MAX_ATTEMPTS=3).sent == 0
            row = rows()[0]
            waits.append(row.due_at - moment)
            assert row.attempts == attempt
        assert len(server.handler.envelopes) == 3
    row = rows()[0]
    assert row.state is OutboxState.dead and "451" in row.last_error and "Mailbox busy" in row.last_error
    assert waits[:2] == [timedelta(minutes=1), timedelta(minutes=2)]  # doubling back-off
    with travel_to(start + timedelta(days=1)):
        assert deliver_outbox(app, MAIL_MAX_ATTEMPTS=3).sent == 0  # dead letters are left alone
    assert queue.backlog(db.session) == (0, 1, None)


def test_a_message_is_not_tried_again_before_its_back_off_has_passed(app):
    queue_messages(1)
    with LocalSMTP(app, _Refuses()) as server:
        deliver_outbox(app)
        deliver_outbox(app)  # straight away: not due yet
        assert len(server.handler.envelopes) == 1


def test_a_claim_left_by_a_killed_worker_is_taken_again_after_the_lease(app, smtp):
    queue_messages(3)
    lease = timedelta(seconds=60)
    token, claimed = queue.claim(db.session, utcnow(), 10, lease)
    queue.mark_sent(db.session, claimed[0].id, utcnow())  # it sent one, then was killed
    db.session.commit()
    assert deliver_outbox(app).sent == 0  # still claimed: another worker leaves it alone
    with travel_to(utcnow() + lease + timedelta(seconds=1)):
        assert deliver_outbox(app).sent == 2  # the lease ran out: the two it never sent
    assert sorted(m["Subject"] for m in smtp.arrived()) == ["Message 1", "Message 2"]
    assert all(r.state is OutboxState.sent for r in rows())


def test_a_worker_asked_to_stop_gives_back_what_it_has_not_sent(app, smtp):
    queue_messages(4)
    settings = WorkerSettings.from_config({**app.config, "MAIL_BATCH_SIZE": 4})
    worker = Worker(db.session, settings)
    sent = []
    original = worker._sent

    def stop_after_one(row, outgoing):
        original(row, outgoing)
        sent.append(row.id)
        worker.stop.set()  # as SIGTERM does

    worker._sent = stop_after_one
    worker.run()
    assert len(sent) == 1
    waiting = [r for r in rows() if r.state is OutboxState.queued]
    assert len(waiting) == 3 and all(r.claimed_by is None and r.attempts == 0 for r in waiting)
    assert deliver_outbox(app).sent == 3


def test_backlog_counts_queued_and_dead_and_the_oldest_waiting(app):
    assert queue.backlog(db.session) == (0, 0, None)
    moment = utcnow().replace(microsecond=0)
    with travel_to(moment):
        queue_messages(2)
    db.session.add(OutboxMessage(recipients=["x@example.org"], subject="s", body="b", state=OutboxState.dead,
                                 attempts=8))
    db.session.commit()
    queued, dead, oldest = queue.backlog(db.session)
    assert (queued, dead) == (2, 1) and oldest == moment


def test_without_a_mail_server_the_worker_logs_each_message_and_marks_it_sent(app, caplog):
    import logging

    assert app.config["MAIL_SERVER"] == ""
    queue_messages(2)
    with caplog.at_level(logging.INFO, logger="lms.mail"):
        tally = deliver_outbox(app)
    logged = [r.getMessage() for r in caplog.records if r.name == "lms.mail"]
    assert tally.sent == 2 and tally.connections == 0 and len(logged) == 2
    assert "person0@example.org" in logged[0] and "Body 0" in logged[0]
    assert all(r.state is OutboxState.sent for r in rows())


def test_the_command_sends_what_is_due_and_says_so(app, smtp):
    queue_messages(3)
    result = app.test_cli_runner().invoke(args=["mail", "work"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Sent 3 message(s) over 1 connection(s)")
    status = app.test_cli_runner().invoke(args=["mail", "status"])
    assert status.output.strip() == "0 message(s) waiting; 0 dead."


@pytest.mark.postgresql_only
def test_two_workers_claiming_at_once_never_take_the_same_message(app):
    """FOR UPDATE SKIP LOCKED: the second claim skips the rows the first holds, without waiting."""
    queue_messages(6)
    from sqlalchemy.orm import Session

    other = Session(db.engine)  # a second connection, as another worker has
    try:
        _, mine = queue.claim(db.session, utcnow(), 3, timedelta(minutes=1))  # not committed: rows stay locked
        _, theirs = queue.claim(other, utcnow(), 10, timedelta(minutes=1))
        other.commit()
        db.session.commit()
        assert len(mine) == 3 and len(theirs) == 3 and not {r.id for r in mine} & {r.id for r in theirs}
    finally:
        other.close()


def test_retrying_from_the_command_is_audited(app):
    db.session.add(OutboxMessage(recipients=["x@example.org"], subject="s", body="b", state=OutboxState.dead,
                                 attempts=8, last_error="boom"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "retry"])
    assert result.output.strip() == "1 dead message(s) queued again."
    [row] = rows()
    assert row.state is OutboxState.queued and row.attempts == 0
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.retried"))
    assert event.object_id == row.id
