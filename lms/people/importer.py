"""Reading a staff CSV: every row checked before anything is saved (no database here).

`read_staff_csv` decodes the file and maps its header to the documented columns; `check_rows`
validates every row and returns frozen `StaffRow` specs, or no rows at all when there is any
problem. Each problem names the row (as a spreadsheet numbers it: the header is row 1) and the
column as the file spells it. `lms.people.service.apply_import` saves a problem-free file.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from email_validator import EmailNotValidError, validate_email

from lms.models import Role, StaffType

Progress = Callable[[int], None]  # called with how many more rows are done
PROGRESS_EVERY = 1000

NAME_MAX = 80
UNIT_MAX = 120
EMAIL_MAX = 254


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool
    spellings: tuple[str, ...]  # accepted headers; the first is the documented one
    values: str  # what a cell may hold, for the import page and README


COLUMNS: tuple[Column, ...] = (
    Column("email", "Email", True, ("email", "e-mail", "email address", "work email", "school email"),
           "The person's work email address; it identifies them, so a re-import updates them."),
    Column("first_name", "First name", True,
           ("first name", "forename", "legal forename", "preferred forename", "given name"),
           f"Up to {NAME_MAX} characters."),
    Column("last_name", "Last name", True, ("last name", "surname", "legal surname", "family name"),
           f"Up to {NAME_MAX} characters."),
    Column("staff_type", "Staff type", True, ("staff type", "contract type", "employment type", "staff category"),
           "employee (also: employed, permanent, fixed term); consultant; volunteer (also: voluntary); "
           "agency worker (also: agency, agency_worker, supply (agency), agency supply)."),
    Column("unit", "Unit", True, ("unit", "school", "establishment", "base"),
           f"The school, or the central team, up to {UNIT_MAX} characters. A unit not yet known is created."),
    Column("roles", "Role", False, ("role", "roles", "system role"),
           "This system's roles, not job titles: blank, none or staff; headteacher (also: head teacher, head, "
           "principal); ceo (also: chief executive); trust lead (also: training lead); admin. "
           "Several are separated by ; or |. The person gets exactly these roles."),
    Column("line_manager", "Line manager email", False,
           ("line manager email", "manager email", "line manager", "reports to"),
           "Blank, or the email of someone in the file or already in the system (not the person themself)."),
    Column("start_date", "Start date", False, ("start date", "employment start", "date started"),
           "Blank, YYYY-MM-DD or DD/MM/YYYY."),
    Column("active", "Active", False, ("active", "status", "current"),
           "Blank means active; yes, true, 1, y, active, current; no, false, 0, n, inactive, left, leaver. "
           "Inactive people are deactivated, never deleted."),
)
REQUIRED = tuple(c.key for c in COLUMNS if c.required)
_BY_KEY = {c.key: c for c in COLUMNS}


def _squash(text: str) -> str:
    """Compare headers and values ignoring case, spaces, underscores, hyphens and punctuation."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


_HEADERS = {_squash(spelling): c.key for c in COLUMNS for spelling in c.spellings}

STAFF_TYPES = {
    **dict.fromkeys(["employee", "employed", "permanent", "fixedterm"], StaffType.employee),
    **dict.fromkeys(["consultant"], StaffType.consultant),
    **dict.fromkeys(["volunteer", "voluntary"], StaffType.volunteer),
    **dict.fromkeys(["agencyworker", "agency", "supplyagency", "agencysupply"], StaffType.agency_worker),
}
ROLES = {
    **dict.fromkeys(["headteacher", "head", "principal"], Role.headteacher),
    **dict.fromkeys(["ceo", "chiefexecutive", "chiefexecutiveofficer"], Role.ceo),
    **dict.fromkeys(["trustlead", "traininglead", "trusttraininglead"], Role.trust_lead),
    **dict.fromkeys(["admin"], Role.admin),
}
NO_ROLE = {"", "none", "staff"}
ACTIVE = {
    **dict.fromkeys(["", "yes", "y", "true", "1", "active", "current"], True),
    **dict.fromkeys(["no", "n", "false", "0", "inactive", "left", "leaver"], False),
}
_ROLE_SPLIT = re.compile(r"[;|]")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: 00:00(?::00)?)?")
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class Problem:
    row: int | None  # None: the file as a whole, or its header
    column: str | None  # as the file spells it
    message: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


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


@dataclass(frozen=True)
class StaffTable:
    """The file decoded and its header understood; rows are still raw text."""

    columns: Mapping[str, int] = field(default_factory=dict)  # column key -> cell index
    headers: tuple[str, ...] = ()
    records: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (row number, cells)
    ignored: tuple[str, ...] = ()  # headers that are not documented columns
    problems: tuple[Problem, ...] = ()

    def header(self, key: str) -> str:
        return self.headers[self.columns[key]]


@dataclass(frozen=True)
class StaffFile:
    """A checked file: rows only when there are no problems."""

    rows: tuple[StaffRow, ...]
    problems: tuple[Problem, ...]
    present: frozenset[str]  # the column keys the file has; a missing optional column changes nothing
    ignored: tuple[str, ...] = ()


def shown(text: str, limit: int = 40) -> str:
    """A cell or header as it can safely appear in a message: short, control characters escaped."""
    out = "".join(
        ch if (unicodedata.category(ch)[0] != "C" and ch not in _BIDI) else f"\\u{ord(ch):04x}" for ch in text
    )
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _unsafe(text: str) -> bool:
    if text.isascii() and text.isprintable():  # the common case, checked in C
        return False
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in _BIDI for ch in text)


def read_staff_csv(data: bytes) -> StaffTable:
    """Decode the file (UTF-8, with or without a byte order mark) and map its header."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return StaffTable(problems=(Problem(None, None, (
            "the file is UTF-16 text (Excel's 'Unicode Text'), not UTF-8. "
            "In Excel choose Save As > 'CSV UTF-8 (Comma delimited)' and upload that."),),))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return StaffTable(problems=(Problem(None, None, (
            f"the file is not UTF-8 text (an unexpected byte at position {exc.start}). "
            "In Excel choose Save As > 'CSV UTF-8 (Comma delimited)' and upload that."),),))
    if "\x00" in text:
        return StaffTable(problems=(Problem(None, None, "the file contains NUL bytes: it is not a CSV text file."),))
    if not text.strip():
        return StaffTable(problems=(Problem(None, None, "the file is empty."),))
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        records = tuple((n, tuple(cells)) for n, cells in enumerate(reader, start=2)
                        if any(c.strip() for c in cells))
    except csv.Error as exc:
        return StaffTable(problems=(Problem(reader.line_num, None, f"this line cannot be read as CSV ({exc})."),))
    headers = tuple(h.strip() for h in header)
    columns: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for index, name in enumerate(headers):
        key = _HEADERS.get(_squash(name))
        if key is None:
            if name:
                ignored.append(shown(name))
        elif key in columns:
            problems.append(Problem(1, shown(name), (
                f"this column and column '{shown(headers[columns[key]])}' both give {_BY_KEY[key].label.lower()}; "
                "keep one of them.")))
        else:
            columns[key] = index
    for key in REQUIRED:
        if key not in columns:
            column = _BY_KEY[key]
            problems.append(Problem(1, None, (
                f"no {column.label.lower()} column (a header named one of: {', '.join(column.spellings)}).")))
    if not problems and not records:
        problems.append(Problem(None, None, "the file has a header row but no staff rows."))
    return StaffTable(columns=columns, headers=headers, records=records, ignored=tuple(ignored),
                      problems=tuple(problems))


# The plain address nearly every staff file holds: an ASCII dot-atom before the @ (email_validator's own
# DOT_ATOM_TEXT, at most 64 characters) and an ASCII host name after it. Anything else (quotes, Unicode,
# a display name, a bracketed IP) goes through validate_email whole.
_ATEXT = r"a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~"
_PLAIN_EMAIL = re.compile(rf"([{_ATEXT}]+(?:\.[{_ATEXT}]+)*)@([a-zA-Z0-9.\-]+)")
_LOCAL_MAX = 64


class _EmailCheck:
    """validate_email, remembered; for a plain address the host name is validated once per domain.

    A trust's file holds 100,000 addresses on a few hundred domains, and validating every whole
    address took most of the import's time. For a plain address validate_email checks the part
    before the @ with the dot-atom rule and its length, the domain on its own, and the whole length;
    that is what this does, asking validate_email about each domain only once.
    """

    def __init__(self) -> None:
        self.seen: dict[str, str | None] = {}
        self.domains: dict[str, str | None] = {}

    def _full(self, text: str) -> str | None:
        try:
            return validate_email(text, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            return None

    def _domain(self, domain: str) -> str | None:
        if domain not in self.domains:
            checked = self._full(f"x@{domain}")
            self.domains[domain] = None if checked is None else checked.split("@", 1)[1]
        return self.domains[domain]

    def __call__(self, text: str) -> str | None:
        if text not in self.seen:
            plain = _PLAIN_EMAIL.fullmatch(text)
            if plain is None or len(plain.group(1)) > _LOCAL_MAX or len(text) > EMAIL_MAX:
                self.seen[text] = self._full(text)
            else:
                domain = self._domain(plain.group(2))
                address = None if domain is None else f"{plain.group(1).lower()}@{domain}"
                self.seen[text] = address if address is not None and len(address) <= EMAIL_MAX else self._full(text)
        return self.seen[text]


def _parse_date(text: str) -> date | None:
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK_DATE.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise ValueError("format")
    if not 1900 <= year <= 2100:
        raise ValueError("range")
    return date(year, month, day)


def check_rows(table: StaffTable, known: Mapping[str, str | None], progress: Progress | None = None) -> StaffFile:
    """Validate every row. `known` maps each email already in the system to its line manager's email."""
    present = frozenset(table.columns)
    if table.problems:
        return StaffFile(rows=(), problems=table.problems, present=present, ignored=table.ignored)
    problems: list[Problem] = []
    rows: list[StaffRow] = []
    first_row_of: dict[str, int] = {}
    check_email = _EmailCheck()
    manager_refs: list[tuple[int, str]] = []
    col = table.columns
    header = {key: shown(table.header(key)) for key in col}
    width = len(table.headers)

    for done, (n, cells) in enumerate(table.records, start=1):
        if progress and done % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
        row_problems: list[Problem] = []

        def bad(key: str, message: str, n: int = n, row_problems: list[Problem] = row_problems) -> None:
            row_problems.append(Problem(n, header[key], message))

        def cell(key: str, cells: tuple[str, ...] = cells) -> str:
            index = col.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        if len(cells) > width and any(c.strip() for c in cells[width:]):
            row_problems.append(Problem(n, None, f"this row has {len(cells)} cells but the header has {width}; "
                                                 "check for a comma that should be inside quotes."))

        raw_email = cell("email")
        email = None
        if not raw_email:
            bad("email", "is empty; every row needs the person's email address.")
        elif len(raw_email) > EMAIL_MAX or _unsafe(raw_email) or (email := check_email(raw_email)) is None:
            bad("email", f"'{shown(raw_email)}' is not a valid email address.")
        elif email in first_row_of:
            bad("email", f"{shown(email)} is also on row {first_row_of[email]}; each person may appear once.")
            email = None
        else:
            first_row_of[email] = n

        names = {}
        for key in ("first_name", "last_name"):
            value = cell(key)
            label = _BY_KEY[key].label.lower()
            if not value:
                bad(key, f"is empty; every row needs a {label}.")
            elif len(value) > NAME_MAX:
                bad(key, f"is {len(value)} characters long; a {label} may have at most {NAME_MAX}.")
            elif _unsafe(value):
                bad(key, f"'{shown(value)}' contains a control or formatting character; remove it.")
            names[key] = value

        unit = " ".join(cell("unit").split())
        if not unit:
            bad("unit", "is empty; every row needs the person's school or unit.")
        elif len(unit) > UNIT_MAX:
            bad("unit", f"is {len(unit)} characters long; a unit name may have at most {UNIT_MAX}.")
        elif _unsafe(unit):
            bad("unit", f"'{shown(unit)}' contains a control or formatting character; remove it.")

        raw_type = cell("staff_type")
        staff_type = STAFF_TYPES.get(_squash(raw_type))
        if staff_type is None:
            bad("staff_type", ("is empty; " if not raw_type else f"'{shown(raw_type)}' is not a staff type; ")
                + "use employee, consultant, volunteer or agency worker.")

        roles: set[Role] = set()
        for part in _ROLE_SPLIT.split(cell("roles")):
            squashed = _squash(part)
            if squashed in NO_ROLE:
                continue
            role = ROLES.get(squashed)
            if role is None:
                bad("roles", f"'{shown(part.strip())}' is not a role here; use headteacher, ceo, trust lead or admin "
                             "(several separated by ; or |), or leave it blank. Job titles belong elsewhere.")
            else:
                roles.add(role)

        raw_manager = cell("line_manager")
        manager = None
        if raw_manager:
            if len(raw_manager) > EMAIL_MAX or _unsafe(raw_manager) or (manager := check_email(raw_manager)) is None:
                bad("line_manager", f"'{shown(raw_manager)}' is not an email address; give the line manager's email.")
            elif email is not None and manager == email:
                bad("line_manager", "is the person themself; a person cannot be their own line manager.")
                manager = None
            else:
                manager_refs.append((n, manager))

        raw_start = cell("start_date")
        start = None
        if raw_start:
            try:
                start = _parse_date(raw_start)
            except ValueError as exc:
                bad("start_date", f"'{shown(raw_start)}' is not a date" + (
                    "; write it as YYYY-MM-DD or DD/MM/YYYY." if str(exc) == "format" else " that exists."))

        raw_active = cell("active")
        active = ACTIVE.get(_squash(raw_active))
        if active is None:
            bad("active", f"'{shown(raw_active)}' is not yes or no; use yes, no, active, inactive or left "
                          "(blank means active).")

        if row_problems:
            problems.extend(row_problems)
            continue
        rows.append(StaffRow(
            row=n, email=email, first_name=names["first_name"], last_name=names["last_name"],
            staff_type=staff_type, unit=unit, roles=frozenset(roles), line_manager_email=manager,
            start_date=start, active=active,
        ))

    if progress:
        progress(len(table.records) % PROGRESS_EVERY)
    for n, manager in manager_refs:
        if manager not in first_row_of and manager not in known:
            problems.append(Problem(n, header["line_manager"], (
                f"{shown(manager)} is not in this file or in the system; add the line manager "
                "to the file, or leave the cell blank.")))
    if not problems and "line_manager" in present:
        problems.extend(_manager_loops(rows, known, header["line_manager"]))
    if problems:
        problems.sort(key=lambda p: p.row or 0)  # stable: a row's problems stay in column order
        return StaffFile(rows=(), problems=tuple(problems), present=present, ignored=table.ignored)
    return StaffFile(rows=tuple(rows), problems=(), present=present, ignored=table.ignored)


def _manager_loops(rows: Sequence[StaffRow], known: Mapping[str, str | None], column: str) -> list[Problem]:
    """Following line managers (the file's, else the system's) never leads back to where it started."""
    in_file = {r.email: r for r in rows}
    problems = []

    def manager_of(email: str) -> str | None:
        return in_file[email].line_manager_email if email in in_file else known.get(email)

    state: dict[str, int] = {}  # 1 = on the current path, 2 = known to end without a loop
    for r in rows:
        path: list[str] = []
        current: str | None = r.email
        while current is not None and state.get(current) is None:
            state[current] = 1
            path.append(current)
            current = manager_of(current)
        if current is not None and state.get(current) == 1:
            loop = path[path.index(current):]
            first = min(loop, key=lambda e: in_file[e].row if e in in_file else 1 << 62)
            problems.append(Problem(in_file[first].row if first in in_file else r.row, column, (
                "line managers go round in a loop: " + " → ".join(shown(e, 60) for e in [*loop, loop[0]])
                + "; someone in the loop must report to someone outside it.")))
        for email in path:
            state[email] = 2
    return problems
