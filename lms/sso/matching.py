"""Which person a provider's account is: the staff list decides, and nobody new is ever created.

A provider account already linked (provider, subject) is that person, whatever email it now
shows. An account not yet linked is matched by its verified email, case-insensitively, to an
active person from the staff import, and linked to them. Refused: an address nobody has, a
leaver, and a person already linked to a different account at the same provider (someone else
claiming their address must not take their record over).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.clock import utcnow
from lms.models import Person, SsoLink
from lms.people.directory import find_by_email
from lms.sso.claims import Identity


@dataclass(frozen=True)
class Match:
    person: Person | None
    problem: str = ""  # "unknown", "leaver", "linked_elsewhere"
    linked_now: bool = False
    known_id: int | None = None  # on a refusal, whose record it concerned (the audit log only)


def match(session: Session, provider_id: str, identity: Identity) -> Match:
    """The person this identity signs in as (linking them at first use), or why not. The caller commits."""
    link = session.scalar(select(SsoLink).where(SsoLink.provider == provider_id,
                                                SsoLink.subject == identity.subject))
    if link is not None:
        if not link.person.active:
            return Match(None, "leaver", known_id=link.person_id)
        link.last_used_at = utcnow()
        return Match(link.person)
    person = find_by_email(session, identity.email)
    if person is None:
        return Match(None, "unknown")
    if not person.active:
        return Match(None, "leaver", known_id=person.id)
    already = session.scalar(select(SsoLink.id).where(SsoLink.person_id == person.id,
                                                      SsoLink.provider == provider_id))
    if already is not None:
        return Match(None, "linked_elsewhere", known_id=person.id)
    try:
        with session.begin_nested():  # two first sign-ins at once: one link wins, the other is refused
            session.add(SsoLink(person_id=person.id, provider=provider_id, subject=identity.subject,
                                email_at_link=identity.email))
    except IntegrityError:
        return Match(None, "linked_elsewhere", known_id=person.id)
    return Match(person, linked_now=True)


def links_of(session: Session, person: Person) -> list[SsoLink]:
    return list(session.scalars(select(SsoLink).where(SsoLink.person_id == person.id).order_by(SsoLink.provider)))


def unlink(session: Session, person: Person, provider_id: str | None = None) -> list[SsoLink]:
    """Forget the person's provider accounts (one provider, or all): their next sign-in links afresh. The caller commits."""
    removed = [link for link in links_of(session, person) if provider_id in (None, link.provider)]
    for link in removed:
        session.delete(link)
    return removed
