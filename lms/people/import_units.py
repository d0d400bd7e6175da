"""Saving a staff file, step 1: every unit it names exists (new ones created in one statement).

Units are matched by name ignoring case and runs of spaces, so "Oakfield  primary" in this year's
file is last year's "Oakfield Primary". A new unit is a school, unless it is the trust's central
team (CENTRAL_UNIT_NAME).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lms.models import Unit, UnitKind
from lms.people.row_check import StaffRow


def unit_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _unit_ids(session: Session) -> dict[str, int]:
    return {unit_key(name): uid for uid, name in session.execute(select(Unit.id, Unit.name))}


def ensure_units(session: Session, rows: Sequence[StaffRow], central_unit_name: str) -> tuple[dict[str, int], list[str]]:
    """Each unit key -> its id, and the names of the units created (as the file first spells them)."""
    units = _unit_ids(session)
    missing: dict[str, str] = {}
    for row in rows:
        key = unit_key(row.unit)
        if key not in units and key not in missing:
            missing[key] = row.unit
    if missing:
        central = unit_key(central_unit_name)
        session.execute(insert(Unit), [
            {"name": name, "kind": UnitKind.central if key == central else UnitKind.school}
            for key, name in missing.items()
        ])
        units = _unit_ids(session)
    return units, list(missing.values())
