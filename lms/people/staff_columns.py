"""The staff file's documented columns and the values each accepts (data only, no database).

The import page and the README list `COLUMNS`; the header is matched against each column's
spellings and the cells against the tables below, all compared through `squash`, so the ways
MIS exports and spreadsheets spell the same thing ("Staff_Type", "staff type") are one.
"""

from __future__ import annotations

from dataclasses import dataclass

from lms.models import Role, StaffType

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
BY_KEY = {c.key: c for c in COLUMNS}


def squash(text: str) -> str:
    """Compare headers and values ignoring case, spaces, underscores, hyphens and punctuation."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


HEADERS = {squash(spelling): c.key for c in COLUMNS for spelling in c.spellings}

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
