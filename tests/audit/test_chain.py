"""The audit log itself: `audit verify` on an intact and a tampered chain, append-only in the
database, and one linear chain under concurrent appends."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from lms.audit import record, record_many, verify
from lms.extensions import db
from lms.models import AuditEvent
from tests.audit import forging
from tests.audit.forging import tampering


def append(n: int) -> list[AuditEvent]:
    events = [record(db.session, "test.event", actor_id=1, subject_id=i, detail={"n": i}) for i in range(1, n + 1)]
    db.session.commit()
    return events


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["audit", *args])


def test_an_intact_chain_verifies(app):
    append(3)
    record_many(db.session, "test.many", [7, 8], actor_id=1, detail={"page": "x"})
    db.session.commit()
    assert verify(db.session) == (5, None)
    result = cli(app, "verify")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Audit log intact: 5 events checked."


def test_an_empty_log_verifies(app):
    result = cli(app, "verify")
    assert result.exit_code == 0 and "Audit log intact: 0 events checked." in result.output


def test_a_changed_event_is_named_as_the_first_broken_link(app, backend):
    events = append(4)
    second = events[1].id
    with tampering(backend) as t:
        t.run("UPDATE audit_events SET detail = :d WHERE seq = 2", d='{"n":99}')
        t.run("UPDATE audit_events SET action = 'test.forged' WHERE seq = 3")
    result = cli(app, "verify")
    assert result.exit_code == 1
    assert (f"Audit log broken at event 2 (id {second}): its HMAC does not match its contents: it was changed or "
            "forged after it was written" in result.output)


def test_a_deleted_event_is_named(app, backend):
    append(4)
    with tampering(backend) as t:
        t.run("DELETE FROM audit_events WHERE seq = 3")
    result = cli(app, "verify")
    assert result.exit_code == 1
    assert "Audit log broken at event 3: missing: the next event stored is 4" in result.output


def test_removing_the_newest_events_is_noticed_too(app, backend):
    append(3)
    with tampering(backend) as t:
        t.run("DELETE FROM audit_events WHERE seq = 3")
    result = cli(app, "verify")
    assert result.exit_code == 1 and "Audit log broken at event 3: missing: the log should hold 3 events" in result.output


def test_a_rewritten_event_with_a_fresh_hash_still_breaks_the_next_link(app, backend):
    """Recomputing the forged row's own hash (even with the right key) is not enough: the next event names the old one."""
    events = append(3)
    row = forging.stored()[1] | {"action": "test.forged"}
    forged = forging.link(row["prev_hash"], row, app.config["AUDIT_KEY"])
    third = events[2].id
    with tampering(backend) as t:
        t.run("UPDATE audit_events SET action = 'test.forged', hash = :h WHERE seq = 2", h=forged)
    result = cli(app, "verify")
    assert result.exit_code == 1
    assert f"Audit log broken at event 3 (id {third}): does not follow the event before it" in result.output


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_or_delete_events(app, statement):
    append(2)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))] == ["test.event"] * 2


def test_concurrent_appends_make_one_linear_chain(app):
    """Eight connections appending at once: every event gets its own place and the chain verifies."""
    append(1)  # the head row exists before the race, as after the migration
    threads, per_thread = 8, 6
    barrier = threading.Barrier(threads)
    problems: list[str] = []

    def work(n: int) -> None:
        try:
            with app.app_context(), Session(db.engine) as session:
                barrier.wait()
                for i in range(per_thread):
                    record(session, "test.race", actor_id=n, detail={"i": i})
                    session.commit()
        except Exception as exc:  # reported below: a thread's failure must fail the test
            problems.append(repr(exc))

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert problems == []
    db.session.expire_all()
    seqs = list(db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
    assert seqs == list(range(1, 2 + threads * per_thread))
    assert verify(db.session) == (1 + threads * per_thread, None)


def test_show_prints_the_newest_events_oldest_first(app):
    append(5)
    result = cli(app, "show", "--last", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].split()[0] == "4" and lines[1].split()[0] == "5"
    assert "test.event" in lines[1] and "subject=5" in lines[1] and '{"n":5}' in lines[1]


def test_a_misspelt_field_is_refused_rather_than_dropped(app):
    from lms.audit import record_all

    with pytest.raises(TypeError, match="subjet_id"):
        record_all(db.session, [{"action": "test.event", "subjet_id": 3}])
    db.session.rollback()
    assert verify(db.session) == (0, None)
