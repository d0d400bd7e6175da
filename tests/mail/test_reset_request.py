"""Finding 7: asking for a password link must not tell whether an address has an account.

The request only queues "a link was asked for <typed address>"; the worker looks the address
up. So the request issues the same statements for a known and an unknown address, and the
difference in work (the look-up, the audit event, the email) happens out of the request.
"""

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import AuditEvent
from lms.models.outbox import OutboxMessage, OutboxState
from tests.mailserver import deliver_outbox
from tests.sqlcount import recorded_statements


def ask(client, email: str):
    client.get("/password/reset")
    with recorded_statements() as statements:
        response = client.post("/password/reset", {"email": email})
    assert response.status_code == 302
    return statements


def test_the_request_does_the_same_statements_for_known_and_unknown_addresses(client, people):
    known = people.person(email="known@example.org")
    for_known = ask(client, known.email)
    for_unknown = ask(client, "nobody-here@example.org")
    assert for_known == for_unknown
    assert len(for_known) > 0  # the queued item was written
    # Nothing was looked up or audited in the request: that is the worker's part.
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_the_worker_sends_the_link_to_an_account_and_drops_an_unknown_address(app, client, people, smtp):
    known = people.person(email="known@example.org")
    ask(client, "Known@Example.org ")  # typed as people type
    ask(client, "nobody-here@example.org")
    deliver_outbox(app)
    [message] = smtp.messages()
    assert message["To"] == known.email and "/password/reset/" in message.get_content()
    states = dict(db.session.execute(select(OutboxMessage.id, OutboxMessage.state)).all())
    assert sorted(states.values()) == [OutboxState.sent, OutboxState.skipped]
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "password_reset_requested"))
    assert event.subject_id == known.id and event.actor_id is None


def test_an_inactive_account_gets_no_link(app, client, people, smtp):
    gone = people.person(email="left@example.org", active=False)
    ask(client, gone.email)
    deliver_outbox(app)
    assert smtp.messages() == []
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
