"""Migration 0016 on a database that already holds tokens: each gets an expiry, leavers' are revoked, and back."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import column, create_engine, inspect, select, table, text

from lms import create_app
from lms.extensions import db
from lms.models.column_types import UTCDateTime
from tests.conftest import PG_ADMIN_URL

MADE = datetime(2026, 2, 10, 8, 30, tzinfo=UTC)
LEAP = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def empty_url(backend, tmp_path):
    """A database of its own (the session's one is already at head)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    name = f"lms_migrate_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield re.sub(r"/[^/]*$", f"/{name}", PG_ADMIN_URL).replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)  # as UTCDateTime stores it


def test_existing_tokens_expire_a_year_on_and_leavers_tokens_are_revoked(empty_url):
    from flask_migrate import downgrade, upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_url, "TESTING": True})
    with app.app_context():
        upgrade(revision="0015")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO units (id, name, kind) VALUES (1, 'Oakfield Primary', 'school')"))
            for pid, active in ((1, True), (2, False)):
                conn.execute(text(
                    "INSERT INTO people (id, email, first_name, last_name, staff_type, job_title, unit_id, start_date, "
                    "active, created_at) VALUES (:id, :email, 'A', 'B', 'employee', '', 1, :start, :active, :made)"),
                    dict(id=pid, email=f"p{pid}@example.org", start=date(2024, 9, 1), active=active,
                         made=naive(MADE)))
            for tid, pid, made in ((1, 1, MADE), (2, 1, LEAP), (3, 2, MADE)):
                conn.execute(text("INSERT INTO api_tokens (id, person_id, name, token_hash, created_at) "
                                  "VALUES (:id, :pid, 'T', :hash, :made)"),
                             dict(id=tid, pid=pid, hash=f"{tid:064d}", made=naive(made)))
        upgrade()
        with db.engine.connect() as conn:
            tokens = table("api_tokens", column("id"), column("expires_at", UTCDateTime()),
                           column("revoked_at", UTCDateTime()))
            rows = {r.id: r for r in conn.execute(select(tokens))}
        assert rows[1].expires_at == MADE.replace(year=2027)
        assert rows[2].expires_at == datetime(2029, 2, 28, 12, 0, tzinfo=UTC)  # 29 February has no twin a year on
        assert rows[1].revoked_at is None and rows[2].revoked_at is None
        assert rows[3].revoked_at is not None  # the leaver's: revoked, so it stays dead on their return
        columns = {c["name"]: c for c in inspect(db.engine).get_columns("api_tokens")}
        assert columns["expires_at"]["nullable"] is False

        downgrade(revision="0015")
        assert "expires_at" not in {c["name"] for c in inspect(db.engine).get_columns("api_tokens")}
        upgrade()
        db.engine.dispose()
