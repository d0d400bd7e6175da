"""`flask sso links|unlink EMAIL`: for a re-created school account, whose new subject id is refused."""

from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEvent, SsoLink
from tests.sso.test_sign_in import sign_in_with, signed_in_as


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["sso", *args])


def test_unlinking_lets_the_new_account_sign_in(app, make_client, entra, people):
    alice = people.person(email="alice@oak.example.org")
    assert sign_in_with(make_client(), entra, "microsoft", "alice").status_code == 302
    shown = run(app, "links", "ALICE@oak.example.org")
    assert shown.exit_code == 0 and "microsoft: subject oid-alice, first matched as alice@oak.example.org" in shown.output

    assert sign_in_with(make_client(), entra, "microsoft", "imposter").status_code == 403  # the re-created account
    result = run(app, "unlink", "alice@oak.example.org")
    assert result.exit_code == 0 and "Unlinked alice@oak.example.org from microsoft" in result.output
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sso.unlinked")).one()
    assert event.subject_id == alice.id

    client = make_client()
    assert sign_in_with(client, entra, "microsoft", "imposter").status_code == 302
    assert signed_in_as(client) == alice.id
    assert db.session.scalars(select(SsoLink.subject)).all() == ["oid-imposter"]


def test_unknown_addresses_and_nothing_to_unlink_are_said_plainly(app, people):
    people.person(email="bea@oak.example.org")
    missing = run(app, "unlink", "nobody@oak.example.org")
    assert missing.exit_code == 1 and "nobody has the address nobody@oak.example.org" in missing.output
    nothing = run(app, "unlink", "bea@oak.example.org")
    assert nothing.exit_code == 0 and "had no link; nothing changed" in nothing.output
    assert "is not linked to any provider account" in run(app, "links", "bea@oak.example.org").output
