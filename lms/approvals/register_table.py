"""The register of current business-use authorisations (5.1), as table rows and as CSV.

Rows come from `authorisations.register` (which already leaves out anything that no longer stands);
this module only shapes them: who, which accounts, the conditions, since when, until when, who
approved it and the training pass it relied on. A fixed number of queries whatever the number
of rows: the register's own (people, units, events and their actors eagerly loaded) and one
for the passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.approvals.authorisations import register
from lms.approvals.wording import CONDITION_FLAGS, PLATFORMS
from lms.csv_files import csv_bytes
from lms.models import Attempt, Person, Request, RequestState

HEADER = ["person", "unit", "job title", "accounts", "platforms", "conditions", "approved since (UTC)",
          "until", "approved by", "training pass valid until"]


@dataclass(frozen=True)
class RegisterRow:
    request_id: int
    person: str
    unit: str
    job_title: str
    accounts: str
    platforms: tuple[str, ...]          # labels
    condition_labels: tuple[str, ...]   # the standard conditions ticked, as words
    conditions: str                     # the approver's own written conditions
    since: datetime | None              # when it was approved
    until: date | None                  # the review or expiry date
    approved_by: str                    # who approved it (the routed approver or their delegate)
    pass_valid_until: date | None       # the training pass relied on; None when none was required
    person_id: int = 0                  # not shown: whose record this is, for the audit log

    @property
    def conditions_text(self) -> str:
        return "; ".join([*self.condition_labels, *([self.conditions] if self.conditions else [])])

    def cells(self) -> list[str]:
        return [self.person, self.unit, self.job_title, self.accounts, "; ".join(self.platforms),
                self.conditions_text, self.since.isoformat(timespec="seconds") if self.since else "",
                self.until.isoformat() if self.until else "", self.approved_by,
                self.pass_valid_until.isoformat() if self.pass_valid_until else ""]


def _platform(value: str) -> str:
    return "Other" if value == "other" else PLATFORMS.get(value, value)  # the form's "other" label is a hint


def _approval(request: Request):
    """The event that made the request approved (the last one, should there ever be more)."""
    return next((e for e in reversed(request.events) if e.to_state == RequestState.approved.value), None)


def register_rows(session: Session, viewer: Person, on: date) -> list[RegisterRow]:
    requests = register(session, viewer, on)
    attempt_ids = {r.training_attempt_id for r in requests if r.training_attempt_id is not None}
    passes = dict(session.execute(select(Attempt.id, Attempt.valid_until).where(Attempt.id.in_(attempt_ids))).all()) \
        if attempt_ids else {}
    rows = []
    for r in requests:
        event = _approval(r)
        person = r.requester
        rows.append(RegisterRow(
            request_id=r.id, person=person.full_name, unit=r.unit.name, job_title=person.job_title or "",
            accounts=r.accounts or "", platforms=tuple(_platform(p) for p in r.platforms or ()),
            condition_labels=tuple(CONDITION_FLAGS.get(f, f) for f in r.condition_flags or ()),
            conditions=r.conditions or "", since=event.at if event else None, until=r.expires_on,
            approved_by=event.actor.full_name if event and event.actor else "",
            pass_valid_until=passes.get(r.training_attempt_id), person_id=r.requester_id,
        ))
    return rows


def register_csv(rows: list[RegisterRow]) -> bytes:
    return csv_bytes(HEADER, (row.cells() for row in rows))
