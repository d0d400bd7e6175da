"""/admin/mail: the backlog and the dead letters, and putting them back in the queue."""

from __future__ import annotations

from sqlalchemy import select

from lms.clock import utcnow
from lms.extensions import db
from lms.models import AuditEvent, OutboxMessage, OutboxState, Role


def dead(to: str, subject: str = "Your request is approved", error: str = "SMTPDataError: (451, b'Mailbox busy')"):
    row = OutboxMessage(recipients=[to], subject=subject, body="b", state=OutboxState.dead, attempts=8,
                        last_error=error, last_attempt_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return row


def page_text(response) -> str:
    return response.get_data(as_text=True)


def test_the_page_shows_the_backlog_and_each_dead_letter_with_its_error(client, people):
    admin = people.person(roles=(Role.admin,))
    dead("jo@example.org")
    db.session.add(OutboxMessage(recipients=["q@example.org"], subject="Waiting", body="b"))
    db.session.commit()
    client.login(admin.email)
    response = client.get("/admin/mail")
    text = page_text(response)
    assert response.status_code == 200
    assert "Waiting to be sent</dt><dd>1</dd>" in text and "Dead letters</dt><dd>1</dd>" in text
    assert "jo@example.org" in text and "Your request is approved" in text and "Mailbox busy" in text
    assert "Retry all" in text and 'href="/admin/mail"' in text  # in the menu


def test_retry_puts_one_message_back_and_is_audited(client, people):
    lead = people.person(roles=(Role.trust_lead,))
    one, other = dead("jo@example.org"), dead("sam@example.org")
    client.login(lead.email)
    client.get("/admin/mail")
    response = client.post(f"/admin/mail/{one.id}/retry")
    assert response.status_code == 302 and response.location == "/admin/mail"
    db.session.expire_all()
    assert db.session.get(OutboxMessage, one.id).state is OutboxState.queued
    assert db.session.get(OutboxMessage, one.id).attempts == 0
    assert db.session.get(OutboxMessage, other.id).state is OutboxState.dead
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.retried"))
    assert event.actor_id == lead.id and event.object_id == one.id
    assert "is queued again" in page_text(client.get("/admin/mail"))


def test_retry_all_puts_every_dead_letter_back(client, people, smtp):
    admin = people.person(roles=(Role.admin,))
    dead("jo@example.org")
    dead("sam@example.org")
    client.login(admin.email)
    client.get("/admin/mail")
    assert client.post("/admin/mail/retry").status_code == 302
    assert sorted(m["To"] for m in smtp.messages()) == ["jo@example.org", "sam@example.org"]  # the worker sends them
    assert "There are no dead letters" in page_text(client.get("/admin/mail"))


def test_staff_and_managers_may_not_see_or_retry(client, people):
    manager = people.person(roles=(Role.headteacher,))
    row = dead("jo@example.org")
    client.login(manager.email)
    assert client.get("/admin/mail").status_code == 403
    assert client.post(f"/admin/mail/{row.id}/retry").status_code == 403
    assert client.post("/admin/mail/retry").status_code == 403
    db.session.expire_all()
    assert db.session.get(OutboxMessage, row.id).state is OutboxState.dead
