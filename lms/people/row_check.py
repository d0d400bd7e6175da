"""Checking one staff row's cells (no database): each column's rule, in the file's column order.

Every cell of a row is checked even after the first problem, so one upload lists everything to
fix. A row is accepted only whole: `RowCheck` gives a `StaffRow` spec, or the row's problems.
Whether a named line manager exists, and whether managers loop, needs the whole file: see
`lms.people.cross_checks`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from lms.models import Role, StaffType
from lms.people.email_check import EmailCheck
from lms.people.problems import Problem, shown, unsafe
from lms.people.staff_columns import ACTIVE, BY_KEY, EMAIL_MAX, NAME_MAX, NO_ROLE, ROLES, STAFF_TYPES, UNIT_MAX, squash
from lms.people.staff_csv import StaffTable

_ROLE_SPLIT = re.compile(r"[;|]")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: 00:00(?::00)?)?")


@dataclass(frozen=True)
class StaffRow:
    row: int
    email: str
    first_name: str
    last_name: str
    staff_type: StaffType
    unit: str
    roles: frozenset[Role] = frozenset()
    line_manager_email: str | None = None
    start_date: date | None = None
    active: bool = True


class _Cells:
    """One row's cells by column key, and the problems found in it so far (in column order)."""

    __slots__ = ("n", "cells", "columns", "header", "problems")

    def __init__(self, n: int, cells: tuple[str, ...], columns: Mapping[str, int], header: Mapping[str, str]):
        self.n, self.cells, self.columns, self.header = n, cells, columns, header
        self.problems: list[Problem] = []

    def get(self, key: str) -> str:
        index = self.columns.get(key)
        return self.cells[index].strip() if index is not None and index < len(self.cells) else ""

    def bad(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.n, self.header[key], message))


class RowCheck:
    """Checks the rows of one file in turn.

    It remembers the row that first gave each email, because a second row with the same address
    is reported in its own email column, in column order with the rest of that row's problems.
    """

    def __init__(self, table: StaffTable) -> None:
        self.columns = table.columns
        self.header = {key: shown(table.header(key)) for key in table.columns}
        self.width = len(table.headers)
        self.check_email = EmailCheck()
        self.first_row_of: dict[str, int] = {}

    def __call__(self, n: int, cells: tuple[str, ...]) -> tuple[StaffRow | None, list[Problem], str | None]:
        """The row's spec (None if it has problems), its problems, and the line manager email it names."""
        r = _Cells(n, cells, self.columns, self.header)
        if len(cells) > self.width and any(c.strip() for c in cells[self.width:]):
            r.problems.append(Problem(n, None, f"this row has {len(cells)} cells but the header has {self.width}; "
                                               "check for a comma that should be inside quotes."))
        email = self._email(r)
        first_name, last_name = _name(r, "first_name"), _name(r, "last_name")
        unit = _unit(r)
        staff_type = _staff_type(r)
        roles = _roles(r)
        manager = self._manager(r, email)
        start = _start_date(r)
        active = _active(r)
        if r.problems:
            return None, r.problems, manager
        return StaffRow(row=n, email=email, first_name=first_name, last_name=last_name, staff_type=staff_type,
                        unit=unit, roles=roles, line_manager_email=manager, start_date=start, active=active), [], manager

    def _email(self, r: _Cells) -> str | None:
        """The address (normalised), or None when it is missing, invalid or already given by an earlier row."""
        raw = r.get("email")
        email = None
        if not raw:
            r.bad("email", "is empty; every row needs the person's email address.")
        elif len(raw) > EMAIL_MAX or unsafe(raw) or (email := self.check_email(raw)) is None:
            r.bad("email", f"'{shown(raw)}' is not a valid email address.")
        elif email in self.first_row_of:
            r.bad("email", f"{shown(email)} is also on row {self.first_row_of[email]}; each person may appear once.")
            email = None
        else:
            self.first_row_of[email] = r.n
        return email

    def _manager(self, r: _Cells, email: str | None) -> str | None:
        """The line manager's address when it is one and not the person's own; whether they exist is checked later."""
        raw = r.get("line_manager")
        if not raw:
            return None
        manager = None
        if len(raw) > EMAIL_MAX or unsafe(raw) or (manager := self.check_email(raw)) is None:
            r.bad("line_manager", f"'{shown(raw)}' is not an email address; give the line manager's email.")
        elif email is not None and manager == email:
            r.bad("line_manager", "is the person themself; a person cannot be their own line manager.")
            manager = None
        return manager


def _name(r: _Cells, key: str) -> str:
    value = r.get(key)
    label = BY_KEY[key].label.lower()
    if not value:
        r.bad(key, f"is empty; every row needs a {label}.")
    elif len(value) > NAME_MAX:
        r.bad(key, f"is {len(value)} characters long; a {label} may have at most {NAME_MAX}.")
    elif unsafe(value):
        r.bad(key, f"'{shown(value)}' contains a control or formatting character; remove it.")
    return value


def _unit(r: _Cells) -> str:
    """The unit's name with runs of spaces made one, as units are matched (and created) by name."""
    unit = " ".join(r.get("unit").split())
    if not unit:
        r.bad("unit", "is empty; every row needs the person's school or unit.")
    elif len(unit) > UNIT_MAX:
        r.bad("unit", f"is {len(unit)} characters long; a unit name may have at most {UNIT_MAX}.")
    elif unsafe(unit):
        r.bad("unit", f"'{shown(unit)}' contains a control or formatting character; remove it.")
    return unit


def _staff_type(r: _Cells) -> StaffType | None:
    raw = r.get("staff_type")
    staff_type = STAFF_TYPES.get(squash(raw))
    if staff_type is None:
        r.bad("staff_type", ("is empty; " if not raw else f"'{shown(raw)}' is not a staff type; ")
              + "use employee, consultant, volunteer or agency worker.")
    return staff_type


def _roles(r: _Cells) -> frozenset[Role]:
    roles: set[Role] = set()
    for part in _ROLE_SPLIT.split(r.get("roles")):
        squashed = squash(part)
        if squashed in NO_ROLE:
            continue
        role = ROLES.get(squashed)
        if role is None:
            r.bad("roles", f"'{shown(part.strip())}' is not a role here; use headteacher, ceo, trust lead or admin "
                           "(several separated by ; or |), or leave it blank. Job titles belong elsewhere.")
        else:
            roles.add(role)
    return frozenset(roles)


def _start_date(r: _Cells) -> date | None:
    raw = r.get("start_date")
    if not raw:
        return None
    try:
        return _parse_date(raw)
    except ValueError as exc:
        r.bad("start_date", f"'{shown(raw)}' is not a date" + (
            "; write it as YYYY-MM-DD or DD/MM/YYYY." if str(exc) == "format" else " that exists."))
        return None


def _parse_date(text: str) -> date:
    """ISO or UK day-first (what Excel shows in Britain); a midnight time, as some exports add, is allowed."""
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK_DATE.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise ValueError("format")
    if not 1900 <= year <= 2100:
        raise ValueError("range")
    return date(year, month, day)


def _active(r: _Cells) -> bool | None:
    raw = r.get("active")
    active = ACTIVE.get(squash(raw))
    if active is None:
        r.bad("active", f"'{shown(raw)}' is not yes or no; use yes, no, active, inactive or left "
                        "(blank means active).")
    return active
