"""Reading what the auth pages and the audit log say."""

from __future__ import annotations

import json
import re

from markupsafe import escape
from sqlalchemy import create_engine, select

from lms.extensions import db
from lms.models import AuditEvent
from tests.conftest import pass_second_factor

_CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')


def text(response) -> str:
    return response.get_data(as_text=True)


def says(response, message: str) -> bool:
    return str(escape(message)) in text(response)


def without_tokens(page) -> str:
    """The page (a response or its text) with its CSRF tokens blanked, to compare two answers that must be the same."""
    return _CSRF.sub(r'\1"', page if isinstance(page, str) else text(page))


def committed_events(action: str) -> list[dict]:
    """Audit events as another connection sees them: only what was committed."""
    engine = create_engine(db.engine.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(AuditEvent.__table__).where(AuditEvent.action == action)
                                .order_by(AuditEvent.seq)).mappings().all()
    finally:
        engine.dispose()
    return [{**row, "detail": json.loads(row["detail"] or "{}")} for row in rows]


def sign_in(client, email: str, password: str, address: str = "127.0.0.1"):
    """The sign-in form's answer; an account that needs a code is then given it (tests.conftest.pass_second_factor)."""
    client.get("/login")
    response = client.post("/login", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})
    if response.status_code == 302 and response.location.startswith("/login/code"):
        pass_second_factor(client, email, response.location, environ_base={"REMOTE_ADDR": address})
    return response
