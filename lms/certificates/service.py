"""Certificates: find a pass by its verification code and say whether it is genuine and current.

A certificate is a passed attempt with a `certificate_code` (set by `records.renewal.record_pass`).
It is current while it is the person's latest pass in the module (`ModuleProgress.pass_attempt_id`),
that pass is valid today with no refresh pending after a policy change, and the person is still
a member of staff. Functions take a session and plain arguments and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.models import Attempt, ModuleProgress
from lms.records.settings import RecordSettings
from lms.records.status import standing

# Codes are 16 upper-case hex digits today (renewal.new_certificate_code); anything that could
# not be a code is refused before it reaches the database.
_CODE = re.compile(r"[0-9A-Z]{8,32}")


def normalise_code(raw: str | None) -> str:
    """What a person typed or copied, as stored: no spaces or dashes, upper case."""
    return re.sub(r"[\s-]+", "", raw or "").upper()


def well_formed(code: str) -> bool:
    return _CODE.fullmatch(code) is not None


def find_by_code(session: Session, code: str) -> Attempt | None:
    """The passed attempt with this verification code, or None (also for a malformed code)."""
    if not well_formed(code):
        return None
    return session.scalar(select(Attempt).where(Attempt.certificate_code == code, Attempt.passed.is_(True)))


@dataclass(frozen=True)
class Verification:
    """All a member of the public is shown about a certificate."""

    name: str
    module_title: str
    passed_on: date
    valid_until: date
    current: bool
    reason: str  # why it is, or is not, current, in plain words


def _on(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def verification(session: Session, attempt: Attempt, today: date, settings: RecordSettings) -> Verification:
    progress = session.scalar(select(ModuleProgress).where(
        ModuleProgress.person_id == attempt.person_id, ModuleProgress.module_id == attempt.module_id))
    valid_until = attempt.valid_until
    if not attempt.person.active:
        current, reason = False, "no longer a member of staff"
    elif progress is None or progress.pass_attempt_id != attempt.id:
        current, reason = False, "replaced by a later pass"
    elif valid_until is None or valid_until < today:
        expired_on = (valid_until + timedelta(days=1)) if valid_until else attempt.submitted_at.date()
        current, reason = False, f"expired on {_on(expired_on)}"
    elif not standing(progress, today, settings).current:
        current, reason = False, "the policy has changed since; a refresh is due"
    else:
        current, reason = True, f"valid today, until {_on(valid_until)}"
    return Verification(
        name=attempt.person.full_name, module_title=attempt.module_version.title,
        passed_on=attempt.submitted_at.date(), valid_until=valid_until, current=current, reason=reason,
    )


def certificate_filename(attempt: Attempt) -> str:
    """certificate-core-social-media-2026-11-24.pdf: only letters, digits and dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", attempt.module.slug.lower()).strip("-") or "module"
    return f"certificate-{slug}-{attempt.submitted_at.date().isoformat()}.pdf"
