"""`flask --app wsgi sso links EMAIL` and `sso unlink EMAIL [--provider ID]` (added to the app in lms/cli.py).

For the IT manager when someone's school account was re-created: the record stays linked to the
old account's subject id and the new one is refused ("already linked to a different account").
"""

from __future__ import annotations

import click

from lms.audit import record
from lms.clock import shown_at
from lms.extensions import db
from lms.people.directory import find_by_email
from lms.sso.matching import links_of, unlink

sso = click.Group("sso", help="Single sign-on: which provider accounts are linked to whom (docs/sso.md).")


def _person(email: str):
    person = find_by_email(db.session, email)
    if person is None:
        raise click.ClickException(f"nobody has the address {email}")
    return person


@sso.command("links")
@click.argument("email")
def sso_links(email: str) -> None:
    """Show the provider accounts linked to this person."""
    person = _person(email)
    found = links_of(db.session, person)
    if not found:
        click.echo(f"{person.email} is not linked to any provider account (they link at their first sign-in).")
    for link in found:
        click.echo(f"{link.provider}: subject {link.subject}, first matched as {link.email_at_link} on "
                   f"{shown_at(link.linked_at)}, last used {shown_at(link.last_used_at)}")


@sso.command("unlink")
@click.argument("email")
@click.option("--provider", "provider_id", default=None, help="Only this provider's link (default: all).")
def sso_unlink(email: str, provider_id: str | None) -> None:
    """Forget this person's provider accounts, so their next single sign-on links the account they use then."""
    person = _person(email)
    removed = unlink(db.session, person, provider_id)
    if not removed:
        click.echo(f"{person.email} had no link{' to ' + provider_id if provider_id else ''}; nothing changed.")
        return
    for link in removed:
        record(db.session, "sso.unlinked", subject_id=person.id,
               detail={"provider": link.provider, "subject": link.subject, "how": "cli"})
    db.session.commit()
    click.echo(f"Unlinked {person.email} from {', '.join(link.provider for link in removed)}; "
               "their next sign-in there links the account they use.")
