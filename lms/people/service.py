"""Saving a checked staff file: upsert by email, roles, line managers, deactivation, requirements.

Set-based on purpose (a trust's file can hold tens of thousands of rows): everything already in
the database is read in one query per table into dicts, and writes are bulk statements. Nobody
is ever deleted; people leave by being deactivated and keep their records. Never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, aliased

from lms.audit import record, record_all
from lms.clock import utcnow
from lms.models import ImportRun, Person, PersonRole, Role, Unit, UnitKind
from lms.people.importer import PROGRESS_EVERY, Progress, StaffFile
from lms.records.requirements import sync_requirements
from lms.records.settings import RecordSettings

DEFAULT_CENTRAL_UNIT = "Central Team"
CHUNK = 500
T = TypeVar("T")


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


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _unit_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def known_people(session: Session) -> dict[str, str | None]:
    """Every email in the system (lower case) -> its line manager's email, in one query."""
    manager = aliased(Person)
    rows = session.execute(select(Person.email, manager.email).outerjoin(manager, Person.line_manager_id == manager.id))
    return {email.lower(): manager_email.lower() if manager_email else None for email, manager_email in rows}


def _ensure_units(session: Session, staff: StaffFile, central_unit_name: str) -> tuple[dict[str, int], list[str]]:
    units = {_unit_key(name): uid for uid, name in session.execute(select(Unit.id, Unit.name))}
    missing: dict[str, str] = {}
    for row in staff.rows:
        key = _unit_key(row.unit)
        if key not in units and key not in missing:
            missing[key] = row.unit
    if missing:
        central = _unit_key(central_unit_name)
        session.execute(insert(Unit), [
            {"name": name, "kind": UnitKind.central if key == central else UnitKind.school}
            for key, name in missing.items()
        ])
        units = {_unit_key(name): uid for uid, name in session.execute(select(Unit.id, Unit.name))}
    return units, list(missing.values())


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
    present = staff.present
    rows = staff.rows
    notes: list[str] = []
    me = started_by.email.lower() if started_by is not None else None

    units, units_created = _ensure_units(session, staff, central_unit_name)

    now = utcnow()  # when people left: retention (`people retention`) counts from it
    existing = {}
    for row in session.execute(select(
        Person.id, Person.email, Person.first_name, Person.last_name, Person.staff_type, Person.unit_id,
        Person.line_manager_id, Person.start_date, Person.active,
    )):
        existing.setdefault(row.email.lower(), row)

    def wanted_active(row) -> bool:
        active = row.active if "active" in present else True
        if not active and row.email == me:
            notes.append(f"Row {row.row}: your own account ({row.email}) was left active; "
                         "you cannot deactivate yourself in an import.")
            return True
        return active

    new_rows = [r for r in rows if r.email not in existing]
    if new_rows:
        session.execute(insert(Person), [
            {"email": r.email, "first_name": r.first_name, "last_name": r.last_name, "staff_type": r.staff_type,
             "unit_id": units[_unit_key(r.unit)], "start_date": r.start_date, "active": (active := wanted_active(r)),
             "deactivated_at": None if active else now, "line_manager_id": None, "password_hash": None}
            for r in new_rows
        ])
    ids = {email: row.id for email, row in existing.items()}
    if new_rows:
        for pid, email in session.execute(select(Person.id, Person.email)):
            ids.setdefault(email.lower(), pid)

    created, updated, unchanged, deactivated, reactivated = len(new_rows), 0, 0, 0, 0
    changes: list[dict] = []
    left: list[int] = []  # deactivated by this import
    returned: list[int] = []  # made active again by it
    new_managers: list[dict] = []
    for done, r in enumerate(rows, start=1):
        if progress and done % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
        manager_id = ids[r.line_manager_email] if r.line_manager_email else None
        old = existing.get(r.email)
        if old is None:
            if "line_manager" in present and manager_id is not None:
                new_managers.append({"id": ids[r.email], "line_manager_id": manager_id})
            continue
        want = {"email": r.email, "first_name": r.first_name, "last_name": r.last_name,
                "staff_type": r.staff_type, "unit_id": units[_unit_key(r.unit)], "active": wanted_active(r)}
        if "start_date" in present:
            want["start_date"] = r.start_date
        if "line_manager" in present:
            want["line_manager_id"] = manager_id
        if all(getattr(old, key) == value for key, value in want.items()):
            unchanged += 1
            continue
        if old.active and not want["active"]:
            deactivated += 1
            left.append(old.id)
            want["deactivated_at"] = now
        else:
            updated += 1
            if not old.active and want["active"]:
                reactivated += 1
                returned.append(old.id)
                want["deactivated_at"] = None
        changes.append({"id": old.id, **want})
    if progress:
        progress(len(rows) % PROGRESS_EVERY)

    if full:
        listed = {r.email for r in rows}
        for email, old in existing.items():
            if email in listed or not old.active:
                continue
            if email == me:
                notes.append(f"Your own account ({old.email}) is not in the file but was left active; "
                             "you cannot deactivate yourself in an import.")
                continue
            changes.append({"id": old.id, "active": False, "deactivated_at": now})
            left.append(old.id)
            deactivated += 1

    by_keys: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for change in changes + new_managers:
        by_keys[tuple(sorted(change))].append(change)
    for batch in by_keys.values():
        session.execute(update(Person), batch)  # ORM bulk UPDATE by primary key

    role_changes = _set_roles(session, staff, ids, me, notes) if "roles" in present else []

    actor_id = started_by.id if started_by is not None else None
    run = ImportRun(started_by_id=actor_id, source=source[:255],
                    full=full, rows=len(rows), created=created, updated=updated, deactivated=deactivated)
    session.add(run)
    session.flush()
    sync_requirements(session, settings, today)
    # Evidence in the same transaction: the run's counts, then each person whose access changed.
    record(session, "people.import", actor_id=actor_id, object_type="import_run", object_id=run.id,
           detail={"source": run.source, "full": full, "rows": len(rows), "created": created, "updated": updated,
                   "unchanged": unchanged, "deactivated": deactivated, "reactivated": reactivated})
    about = dict(actor_id=actor_id, object_type="import_run", object_id=run.id)
    record_all(session, [
        *({"action": "people.roles_changed", "subject_id": pid, "detail": {"added": added, "removed": removed},
           **about} for pid, added, removed in role_changes),
        *({"action": "people.deactivated", "subject_id": pid, **about} for pid in left),
        *({"action": "people.reactivated", "subject_id": pid, **about} for pid in returned),
    ])
    session.expire_all()  # bulk statements bypass objects already loaded (the signed-in admin among them)
    return ImportResult(run=run, unchanged=unchanged, reactivated=reactivated,
                        units_created=tuple(units_created), notes=tuple(notes))


def _set_roles(session: Session, staff: StaffFile, ids: dict[str, int], me: str | None,
               notes: list[str]) -> list[tuple[int, list[str], list[str]]]:
    """Give everyone in the file exactly the roles their row lists; returns (person id, added, removed) per change."""
    current: dict[int, dict[Role, int]] = defaultdict(dict)
    for role_id, person_id, role in session.execute(select(PersonRole.id, PersonRole.person_id, PersonRole.role)):
        current[person_id][role] = role_id
    to_add: list[dict] = []
    to_remove: list[int] = []
    changed: list[tuple[int, list[str], list[str]]] = []
    for r in staff.rows:
        pid = ids[r.email]
        have = current.get(pid, {})
        want = set(r.roles)
        if r.email == me and Role.admin in have and Role.admin not in want:
            want.add(Role.admin)
            notes.append(f"Row {r.row}: you kept your own admin role; another admin can remove it.")
        added, removed = sorted(want - set(have)), sorted(role for role in have if role not in want)
        to_add.extend({"person_id": pid, "role": role} for role in added)
        to_remove.extend(have[role] for role in removed)
        if added or removed:
            changed.append((pid, [role.value for role in added], [role.value for role in removed]))
    for chunk in _chunks(to_remove):
        session.execute(delete(PersonRole).where(PersonRole.id.in_(chunk)).execution_options(synchronize_session=False))
    if to_add:
        session.execute(insert(PersonRole), to_add)
    return changed
