"""Saving a staff file, step 2: people created, updated, deactivated and reactivated, by email.

Everyone already in the database is read in one query into a dict keyed by normalised email
(`directory.normalise_email`, as sign-in matches them); new people are one bulk INSERT, and every
change a bulk UPDATE by primary key, so the statements do not grow with the file. Only the columns
the file has are compared and written. Nobody is ever deleted: people leave by being deactivated
(`deactivated_at` is when, which retention counts from) and keep their records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from lms.api import tokens
from lms.auth.session_store import end_all_for
from lms.models import Person
from lms.people.batches import Progress, counted
from lms.people.directory import normalise_email
from lms.people.import_units import unit_key
from lms.people.importer import StaffFile
from lms.people.row_check import StaffRow


@dataclass
class PeopleSaved:
    """What saving the file's people did: the run's counts and whose access changed (for the audit log)."""

    ids: dict[str, int]  # every email in the system (normalised) -> person id, the file's new people included
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    reactivated: int = 0
    left: list[int] = field(default_factory=list)  # deactivated by this import
    returned: list[int] = field(default_factory=list)  # made active again by it


@dataclass
class _Activity:
    """Whether a row's person ends up active: listed means active unless the row says not, but never
    the person running the import (they would lock themselves out); `notes` tells them."""

    present: frozenset[str]
    me: str | None
    notes: list[str]

    def wanted(self, row: StaffRow) -> bool:
        active = row.active if "active" in self.present else True
        if not active and row.email == self.me:
            self.notes.append(f"Row {row.row}: your own account ({row.email}) was left active; "
                              "you cannot deactivate yourself in an import.")
            return True
        return active


def save_people(session: Session, staff: StaffFile, units: Mapping[str, int], *, full: bool, me: str | None,
                notes: list[str], now: datetime, progress: Progress | None = None) -> PeopleSaved:
    """Create, update and (with `full`, also those missing from the file) deactivate; a fixed number of statements."""
    existing = _existing(session)
    activity = _Activity(staff.present, me, notes)
    new_rows = [r for r in staff.rows if r.email not in existing]
    if new_rows:
        session.execute(insert(Person), [_new_person(r, units, activity.wanted(r), now) for r in new_rows])
    saved = PeopleSaved(ids=_ids(session, existing, reread=bool(new_rows)), created=len(new_rows))
    changes, new_managers = _compare(staff, existing, units, activity, now, saved, progress)
    if full:
        changes += _deactivate_missing(staff.rows, existing, me, now, notes, saved)
    _write(session, changes + new_managers)
    tokens.revoke_all_for(session, saved.left, reason="left")  # revoked, so they stay dead if the person returns
    end_all_for(session, saved.left, how="deactivated")  # and signed out everywhere at once
    return saved


def _existing(session: Session) -> dict[str, Row]:
    """Everyone in the system by normalised email, with the columns an import may change."""
    existing: dict[str, Row] = {}
    for row in session.execute(select(
        Person.id, Person.email, Person.first_name, Person.last_name, Person.staff_type, Person.unit_id,
        Person.line_manager_id, Person.start_date, Person.active,
    )):
        existing.setdefault(normalise_email(row.email), row)
    return existing


def _new_person(r: StaffRow, units: Mapping[str, int], active: bool, now: datetime) -> dict[str, Any]:
    """A new person's row; line managers are set afterwards, once everyone in the file has an id."""
    return {"email": r.email, "first_name": r.first_name, "last_name": r.last_name, "staff_type": r.staff_type,
            "unit_id": units[unit_key(r.unit)], "start_date": r.start_date, "active": active,
            "deactivated_at": None if active else now, "line_manager_id": None, "password_hash": None}


def _ids(session: Session, existing: Mapping[str, Row], *, reread: bool) -> dict[str, int]:
    ids = {email: row.id for email, row in existing.items()}
    if reread:  # the people just inserted: one query for all of them
        for pid, email in session.execute(select(Person.id, Person.email)):
            ids.setdefault(normalise_email(email), pid)
    return ids


def _compare(staff: StaffFile, existing: Mapping[str, Row], units: Mapping[str, int], activity: _Activity,
             now: datetime, saved: PeopleSaved, progress: Progress | None) -> tuple[list[dict], list[dict]]:
    """The UPDATEs the file asks for: changes to people already here, and the new people's line managers."""
    present, ids = staff.present, saved.ids
    changes: list[dict] = []
    new_managers: list[dict] = []
    for r in counted(staff.rows, progress):
        manager_id = ids[r.line_manager_email] if r.line_manager_email else None
        old = existing.get(r.email)
        if old is None:
            if "line_manager" in present and manager_id is not None:
                new_managers.append({"id": ids[r.email], "line_manager_id": manager_id})
            continue
        want = {"email": r.email, "first_name": r.first_name, "last_name": r.last_name,
                "staff_type": r.staff_type, "unit_id": units[unit_key(r.unit)], "active": activity.wanted(r)}
        if "start_date" in present:
            want["start_date"] = r.start_date
        if "line_manager" in present:
            want["line_manager_id"] = manager_id
        if all(getattr(old, key) == value for key, value in want.items()):
            saved.unchanged += 1
            continue
        if old.active and not want["active"]:
            saved.deactivated += 1
            saved.left.append(old.id)
            want["deactivated_at"] = now
        else:
            saved.updated += 1
            if not old.active and want["active"]:
                saved.reactivated += 1
                saved.returned.append(old.id)
                want["deactivated_at"] = None
        changes.append({"id": old.id, **want})
    return changes, new_managers


def _deactivate_missing(rows: Sequence[StaffRow], existing: Mapping[str, Row], me: str | None, now: datetime,
                        notes: list[str], saved: PeopleSaved) -> list[dict]:
    """A full file lists everyone: the active people it leaves out have left (but never the one running it)."""
    listed = {r.email for r in rows}
    changes = []
    for email, old in existing.items():
        if email in listed or not old.active:
            continue
        if email == me:
            notes.append(f"Your own account ({old.email}) is not in the file but was left active; "
                         "you cannot deactivate yourself in an import.")
            continue
        changes.append({"id": old.id, "active": False, "deactivated_at": now})
        saved.left.append(old.id)
        saved.deactivated += 1
    return changes


def _write(session: Session, changes: Sequence[dict]) -> None:
    """One ORM bulk UPDATE by primary key per set of columns changed (executemany needs the same keys)."""
    by_keys: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for change in changes:
        by_keys[tuple(sorted(change))].append(change)
    for batch in by_keys.values():
        session.execute(update(Person), batch)
