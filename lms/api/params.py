"""The API's query parameters, read strictly at the edge: exactly what `openapi.py` describes, or a 400.

Two kinds of refusal, so that the document can be the truth (schemathesis holds it to that):
- `BadParameter` (400): the value is not one the document allows — not a whole number or out
  of its bounds, not a date as YYYY-MM-DD or outside DATE_FIRST..DATE_LAST, not one of the
  staff types or known modules, or given empty;
- `Unanswerable` (422): every value is one the document allows, but together or for this token's
  owner they cannot be answered — `from` after `to`, a scope index beyond the owner's scopes, a
  unit that does not exist, a unit filter in a scope that is not trust-wide. A document cannot
  say these (they depend on the caller, the data or two parameters at once).
Both name the parameter. Nothing here reads the request or the database: the view hands in the
query string and what it knows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from lms.dashboards.scope import Filters
from lms.models import StaffType
from lms.query_params import ID_MAX

BIG = ID_MAX  # ids and offsets beyond what an INTEGER column holds are refused before they reach the database
SCOPE_MAX = 2  # at most three scopes: the trust, a unit and a team (lms.dashboards.scope.scopes_for)
DATE_FIRST, DATE_LAST = date(2000, 1, 1), date(2099, 12, 31)
DATE_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"  # the years DATE_FIRST..DATE_LAST
RECORDS_LIMIT_MAX = 500
RECORDS_LIMIT_DEFAULT = 100
_WHOLE = re.compile(r"[0-9]{1,10}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # date.fromisoformat also takes 20260901 and 2026-W36-2


class BadParameter(Exception):
    """A value the document does not allow: 400."""

    status = 400

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


class Unanswerable(BadParameter):
    """Allowed values that cannot be answered together or for this caller: 422."""

    status = 422


@dataclass(frozen=True)
class Asked:
    """The filters and the scope index of one call, each value as the document allows."""

    scope: int
    filters: Filters


# Each reader takes the raw value (`args.get("name")`, None when absent), so that tests/security finds
# every parameter the API reads by searching the source.

def whole(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not _WHOLE.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadParameter(name, f"{name}: give a whole number from {low} to {high}"
                                 + (" (or leave the parameter out)" if raw == "" else ""))
    return int(raw)


def day(raw: str | None, name: str) -> date | None:
    if raw is None:
        return None
    if not _DAY.fullmatch(raw):
        raise BadParameter(name, f"{name}: give a date as YYYY-MM-DD, for example 2026-09-01"
                                 + (" (or leave the parameter out)" if raw == "" else ""))
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(name, f"{name}: {raw} is not a date on the calendar") from None
    if not DATE_FIRST <= value <= DATE_LAST:
        raise BadParameter(name, f"{name}: give a date from {DATE_FIRST.isoformat()} to {DATE_LAST.isoformat()}")
    return value


def one_of(raw: str | None, name: str, allowed: list[str]) -> str | None:
    if raw is None:
        return None
    if raw not in allowed:
        shown = raw if len(raw) <= 80 else raw[:80] + "…"
        listed = ", ".join(allowed) if allowed else "none yet"
        raise BadParameter(name, f"{name}: there is no {name.replace('_', ' ')} {shown!r}; the known ones are "
                                 f"{listed}")
    return raw


def read(args: Mapping[str, str], modules: Callable[[], list[str]]) -> Asked:
    """The scope index and filters, in the order the document lists them; the first problem is raised.

    `modules` gives the known modules' slugs; it is asked only when a module is given.
    """
    scope = whole(args.get("scope"), "scope", 0, 0, SCOPE_MAX)
    unit = whole(args.get("unit"), "unit", 0, 1, BIG) if "unit" in args else None
    staff_type = one_of(args.get("staff_type"), "staff_type", [t.value for t in StaffType])
    module = one_of(args.get("module"), "module", modules()) if "module" in args else None
    date_from, date_to = day(args.get("from"), "from"), day(args.get("to"), "to")
    if date_from and date_to and date_from > date_to:
        raise Unanswerable("from", f"from: the start of the date range ({date_from.isoformat()}) is after its end "
                                   f"({date_to.isoformat()})")
    return Asked(scope, Filters(unit_id=unit, staff_type=StaffType(staff_type) if staff_type else None,
                                module=module, date_from=date_from, date_to=date_to))


def paging(args: Mapping[str, str]) -> tuple[int, int]:
    """(limit, offset) of the team records."""
    return (whole(args.get("limit"), "limit", RECORDS_LIMIT_DEFAULT, 1, RECORDS_LIMIT_MAX),
            whole(args.get("offset"), "offset", 0, 0, BIG))
