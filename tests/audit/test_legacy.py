"""Events written before AUDIT_KEY existed: checked as plain SHA-256 without rewriting history,
counted, and allowed only at the start of the log. Migration 0014 labels them."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from lms import create_app
from lms.audit import record, verify
from lms.audit.chain import walk
from lms.extensions import db
from lms.models.column_types import UTCDateTime
from tests.audit import forging
from tests.conftest import PG_ADMIN_URL


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["audit", *args])


def old_events(n: int) -> None:
    """`n` events as the app wrote them before issue 15: SHA-256, no key."""
    for i in range(n):
        forging.append("test.old", scheme="sha256", key=None, actor_id=1, detail=f'{{"i":{i}}}')


def test_events_before_the_key_verify_and_are_counted(app):
    old_events(3)
    record(db.session, "test.new", actor_id=1)
    db.session.commit()
    assert verify(db.session) == (4, None)
    assert walk(db.session, app.config["AUDIT_KEY"].encode()).unkeyed == 3
    result = cli(app, "verify")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Audit log intact: 4 events checked.",
        "3 of them were written before AUDIT_KEY was set: they are checked by SHA-256 alone, without the key."]


def test_a_changed_event_from_before_the_key_is_still_caught(app, backend):
    old_events(3)
    events = forging.stored()
    with forging.tampering(backend):
        forging.run("UPDATE audit_events SET detail = :d WHERE seq = 2", d='{"i":9}')
    result = cli(app, "verify")
    assert result.exit_code == 1
    assert (f"Audit log broken at event 2 (id {events[1]['id']}): its contents were changed after it was written"
            in result.output)


def test_an_unkeyed_event_after_a_keyed_one_is_a_break(app):
    old_events(1)
    record(db.session, "test.new", actor_id=1)
    db.session.commit()
    forged = forging.append("test.old", scheme="sha256", key=None)
    result = cli(app, "verify")
    assert result.exit_code == 1
    assert (f"Audit log broken at event 3 (id {forged['id']}): written without the key after events written with it"
            in result.output)


def test_unkeyed_events_added_after_an_anchor_are_caught(app, tmp_path):
    """A log still all unkeyed (just upgraded): events forged the old way after an anchor walk, the anchor names them."""
    old_events(2)
    (tmp_path / "a.jsonl").write_text(cli(app, "anchor").output)
    old_events(2)
    result = cli(app, "verify", "--anchor", str(tmp_path / "a.jsonl"))
    assert result.exit_code == 1, result.output
    assert "events 3 to 4 have no HMAC, yet were written after this anchor was taken" in result.output


@pytest.fixture
def fresh_url(backend, tmp_path):
    """An empty database of the test's backend, for running the migrations step by step."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"lms_fresh_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield re.sub(r"/[^/]*$", f"/{name}", PG_ADMIN_URL).replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


OLD_EVENTS = sa.table("audit_events", *(sa.column(c) for c in (
    "seq", "action", "actor_id", "subject_id", "object_type", "object_id", "detail", "address", "prev_hash", "hash")),
    sa.column("at", UTCDateTime()))


def test_migration_0014_keeps_old_events_verifiable_and_downgrades(fresh_url):
    from flask_migrate import downgrade, upgrade

    from lms.clock import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url, "TESTING": True, "SECRET_KEY": "x" * 40,
                      "AUDIT_KEY": "fresh-audit-key-" + "f" * 32})
    with app.app_context():
        upgrade(revision="0013")
        prev = "0" * 64
        with db.engine.begin() as conn:  # two events written by the code before issue 15
            for seq in (1, 2):
                event = dict(seq=seq, at=utcnow(), action="sign_in", actor_id=seq, subject_id=None, object_type=None,
                             object_id=None, detail="{}", address="127.0.0.1")
                digest = forging.link(prev, event, None)
                conn.execute(sa.insert(OLD_EVENTS).values(**event, prev_hash=prev, hash=digest))
                prev = digest
            conn.execute(text("UPDATE audit_head SET seq = 2, last_hash = :h"), {"h": prev})

        upgrade(revision="0014")
        assert [s for (s,) in db.session.execute(text("SELECT scheme FROM audit_events ORDER BY seq"))] == ["sha256"] * 2
        db.session.rollback()
        record(db.session, "test.new", actor_id=1)
        db.session.commit()
        walked = walk(db.session, app.config["AUDIT_KEY"].encode())
        assert (walked.checked, walked.unkeyed, walked.broken) == (3, 2, None)
        db.session.rollback()

        downgrade(revision="0013")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("audit_events")}
        assert "scheme" not in columns and "hash" in columns
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:  # the triggers survived
            conn.execute(text("DELETE FROM audit_events"))
        upgrade(revision="0014")
        db.session.remove()
        db.engine.dispose()
