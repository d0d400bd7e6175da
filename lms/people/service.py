"""Saving a checked staff file: units, people, roles, requirements, and the run as evidence.

Set-based on purpose (a trust's file can hold 100,000 rows): each step reads what is already in
the database in one query per table into dicts and writes with bulk statements, so the import
sends a fixed number of statements whatever the file's size (tests/people hold it to that).
The steps, in order: `import_units.ensure_units`, `import_people.save_people`,
`import_roles.set_roles`, then `sync_requirements` and the ImportRun with its audit events,
all in the caller's transaction. Nobody is ever deleted. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from lms.audit import record, record_all
from lms.clock import utcnow
from lms.models import ImportRun, Person
from lms.people.batches import Progress
from lms.people.directory import normalise_email
from lms.people.import_people import PeopleSaved, save_people
from lms.people.import_roles import RoleChange, set_roles
from lms.people.import_units import ensure_units
from lms.people.importer import StaffFile, check_rows, read_staff_csv
from lms.records.requirements import sync_requirements
from lms.records.settings import RecordSettings

DEFAULT_CENTRAL_UNIT = "Central Team"


class ImportRefused(ValueError):
    """apply_import was handed a file that has problems."""


@dataclass(frozen=True)
class ImportResult:
    run: ImportRun
    unchanged: int
    reactivated: int
    units_created: tuple[str, ...]
    notes: tuple[str, ...]

    def summary(self) -> str:
        run = self.run
        return (f"Imported {run.rows} rows: {run.created} created, {run.updated} updated, "
                f"{run.deactivated} deactivated.")

    def details(self, ignored: Sequence[str] = ()) -> list[str]:
        """Further lines for the person who ran the import."""
        lines = []
        if self.unchanged:
            lines.append(f"{self.unchanged} already up to date.")
        if self.reactivated:
            lines.append(f"{self.reactivated} inactive people were made active again.")
        if self.units_created:
            lines.append("New units: " + ", ".join(self.units_created) + ".")
        if ignored:
            lines.append("Columns ignored (not used by the import): " + ", ".join(ignored) + ".")
        return lines + list(self.notes)


def known_people(session: Session) -> dict[str, str | None]:
    """Every email in the system (normalised) -> its line manager's email, in one query."""
    manager = aliased(Person)
    rows = session.execute(select(Person.email, manager.email).outerjoin(manager, Person.line_manager_id == manager.id))
    return {normalise_email(email): normalise_email(manager_email) if manager_email else None
            for email, manager_email in rows}


def import_file(session: Session, data: bytes, **options: Any) -> tuple[StaffFile, ImportResult | None]:
    """Check a whole file against the people already here and, only if it has no problems, save it.

    `options` are `apply_import`'s keywords. The result is None when there are problems (nothing saved).
    """
    staff = check_rows(read_staff_csv(data), known_people(session))
    if staff.problems:
        return staff, None
    return staff, apply_import(session, staff, **options)


def apply_import(session: Session, staff: StaffFile, *, full: bool, started_by: Person | None, source: str,
                 settings: RecordSettings, today: date, central_unit_name: str = DEFAULT_CENTRAL_UNIT,
                 progress: Progress | None = None) -> ImportResult:
    """Save a problem-free file in the caller's transaction and record the run.

    Only the columns the file has are changed: without a role column roles stay as they are,
    and so on. Being listed makes a person active unless the row says otherwise. With `full`,
    active people missing from the file are deactivated. The person running the import is
    never deactivated by it and keeps their admin role (the notes say so).
    """
    if staff.problems:
        raise ImportRefused(f"{len(staff.problems)} problem(s); nothing can be imported")
    notes: list[str] = []
    me = normalise_email(started_by.email) if started_by is not None else None
    units, units_created = ensure_units(session, staff.rows, central_unit_name)
    now = utcnow()  # when people left: retention (`people retention`) counts from it
    saved = save_people(session, staff, units, full=full, me=me, notes=notes, now=now, progress=progress)
    role_changes = set_roles(session, staff.rows, saved.ids, me, notes) if "roles" in staff.present else []
    run = _record_run(session, saved, role_changes, full=full, rows=len(staff.rows), started_by=started_by,
                      source=source, settings=settings, today=today)
    session.expire_all()  # bulk statements bypass objects already loaded (the signed-in admin among them)
    return ImportResult(run=run, unchanged=saved.unchanged, reactivated=saved.reactivated,
                        units_created=tuple(units_created), notes=tuple(notes))


def _record_run(session: Session, saved: PeopleSaved, role_changes: Sequence[RoleChange], *, full: bool, rows: int,
                started_by: Person | None, source: str, settings: RecordSettings, today: date) -> ImportRun:
    """The ImportRun, requirements brought in line with the new staff list, and the audit events."""
    actor_id = started_by.id if started_by is not None else None
    run = ImportRun(started_by_id=actor_id, source=source[:255], full=full, rows=rows, created=saved.created,
                    updated=saved.updated, deactivated=saved.deactivated)
    session.add(run)
    session.flush()
    sync_requirements(session, settings, today)
    # Evidence in the same transaction: the run's counts, then each person whose access changed.
    record(session, "people.import", actor_id=actor_id, object_type="import_run", object_id=run.id,
           detail={"source": run.source, "full": full, "rows": rows, "created": saved.created,
                   "updated": saved.updated, "unchanged": saved.unchanged, "deactivated": saved.deactivated,
                   "reactivated": saved.reactivated})
    about = dict(actor_id=actor_id, object_type="import_run", object_id=run.id)
    record_all(session, [
        *({"action": "people.roles_changed", "subject_id": pid, "detail": {"added": added, "removed": removed},
           **about} for pid, added, removed in role_changes),
        *({"action": "people.deactivated", "subject_id": pid, **about} for pid in saved.left),
        *({"action": "people.reactivated", "subject_id": pid, **about} for pid in saved.returned),
    ])
    return run
