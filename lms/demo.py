"""The demo trust: three schools and the central team, about 60 people of every staff type."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.auth.passwords import hash_password
from lms.clock import travel_to
from lms.models import Attempt, Person, PersonRole, Role, StaffType, Unit, UnitKind
from lms.records.settings import RecordSettings
from lms.training import service

DEMO_LAUNCHED_DAYS_AGO = 60  # the demo trust's training started this long ago
DEMO_PASSWORD = "learn-the-policy-2026"  # noqa: S105 - the documented demo password, not a secret  # nosec B105

STAFF_TABLE = Path(__file__).with_name("demo_staff.csv")  # a table, so the roster reads as one

# (job title, key, staff type, line manager key, roles) for each kind of unit, from the table
Roster = list[tuple[str, str, StaffType, str | None, tuple[Role, ...]]]


def _roster(kind: str) -> Roster:
    with STAFF_TABLE.open(encoding="utf-8", newline="") as table:
        return [(row["job title"], row["key"], StaffType(row["staff type"]), row["line manager"] or None,
                 tuple(Role(role) for role in row["roles"].split()))
                for row in csv.DictReader(table) if row["unit"] == kind]


SCHOOL_STAFF: Roster = _roster("school")  # the same staff in every school
CENTRAL_STAFF: Roster = _roster("central")

SCHOOLS = [
    ("Oakfield Primary School", "oakfield"),
    ("Riverside Academy", "riverside"),
    ("Hillcrest High School", "hillcrest"),
]
CENTRAL = ("Central Team", "central")

FIRST = ["Alex", "Priya", "Sam", "Joanna", "Tom", "Amira", "Ben", "Chloe", "Dev", "Ella", "Femi",
         "Grace", "Harry", "Isla", "Jack", "Kiran", "Leah", "Marcus", "Nadia", "Owen", "Poppy",
         "Quinn", "Rosa", "Saul", "Tara", "Umar", "Vera", "Will", "Yasmin", "Zac"]
LAST = ["Morgan", "Shah", "Okafor", "Price", "Walsh", "Haddad", "Carter", "Nguyen", "Patel", "Byrne",
        "Adeyemi", "Hughes", "Lewis", "Fraser", "Kowalski", "Rahman", "Doyle", "Evans", "Ali", "Reid"]


def _people_plan() -> list[dict]:
    """Every demo person as plain data; names are deterministic so logins never change."""
    plan = []
    n = 0
    for unit_name, domain in [*SCHOOLS, CENTRAL]:
        staff = CENTRAL_STAFF if domain == "central" else SCHOOL_STAFF
        for job, key, staff_type, manager, roles in staff:
            first, last = FIRST[n % len(FIRST)], LAST[(n * 7) % len(LAST)]
            n += 1
            plan.append(dict(
                unit=unit_name, key=f"{domain}:{key}", manager=(
                    None if manager is None else
                    f"central:{manager}" if manager == "ceo" else f"{domain}:{manager}"
                ),
                first=first, last=last, job=job, staff_type=staff_type, roles=roles,
                email=f"{first}.{last}@{domain}.example.org".lower(),
            ))
    return plan


def seed_demo_trust(session: Session, only_if_empty: bool = False) -> bool:
    """Create the demo units and people. False (and no change) when they already exist."""
    if session.scalar(select(func.count()).select_from(Person)):
        if only_if_empty:
            return False
        existing = set(session.scalars(select(Person.email)))
        if any(p["email"] in existing for p in _people_plan()):
            return False
    units = {}
    for name, domain in [*SCHOOLS, CENTRAL]:
        unit = session.scalar(select(Unit).where(Unit.name == name)) or Unit(
            name=name, kind=UnitKind.central if domain == "central" else UnitKind.school
        )
        session.add(unit)
        units[name] = unit
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: demo accounts share a password
    people: dict[str, Person] = {}
    for spec in _people_plan():
        person = Person(
            email=spec["email"], first_name=spec["first"], last_name=spec["last"],
            staff_type=spec["staff_type"], job_title=spec["job"], unit=units[spec["unit"]],
            start_date=date(2024, 9, 1), active=True, password_hash=password_hash,
        )
        person.roles = [PersonRole(role=r) for r in spec["roles"]]
        people[spec["key"]] = person
        session.add(person)
    for spec in _people_plan():
        if spec["manager"]:
            people[spec["key"]].line_manager = people[spec["manager"]]
    session.flush()
    return True


def demo_logins(session: Session) -> list[tuple[str, str]]:
    """A representative login for each kind of person, for the README and the run command."""
    wanted = [
        ("Teacher, Oakfield (staff)", "oakfield:teacher1"),
        ("Volunteer, Oakfield", "oakfield:volunteer"),
        ("Agency supply teacher, Oakfield", "oakfield:agency"),
        ("Consultant, Oakfield", "oakfield:consultant"),
        ("Line manager (deputy head), Oakfield", "oakfield:deputy"),
        ("Headteacher, Oakfield", "oakfield:head"),
        ("Headteacher, Riverside", "riverside:head"),
        # These three also give a code from an authenticator app, set up at their first sign-in (lms/auth/two_factor.py).
        ("CEO, Central Team + app code", "central:ceo"),
        ("Trust training lead + app code", "central:lead"),
        ("Admin (data and systems) + app code", "central:sysadmin"),
    ]
    by_key = {p["key"]: p["email"] for p in _people_plan()}
    return [(label, by_key[key]) for label, key in wanted]


def seed_demo_history(session: Session, settings: RecordSettings, today_: date) -> int:
    """Backdated attempts for most demo staff (not the printed logins), through the real services.

    Deterministic: the same trust gets the same history. Returns the attempts created.
    """
    if session.scalar(select(func.count()).select_from(Attempt)):
        return 0
    versions = {v.module.slug: v for v in service.current_versions(session)}
    core = versions.get("core-social-media")
    if core is None:
        return 0
    rng = random.Random(2026)  # noqa: S311 - demo data, not secrets  # nosec B311
    logins = {email for _, email in demo_logins(session)}
    created = 0
    people = session.scalars(select(Person).where(Person.active).order_by(Person.id)).all()
    for person in people:
        if person.email in logins:
            continue
        roll = rng.random()
        if roll < 0.15:
            continue  # not started
        days_ago = rng.randint(5, 420)  # some passes are over a year old (expired), some recent
        skill = 0.93 if roll < 0.75 else 0.55  # most pass; some struggle and fail
        with travel_to(today_ - timedelta(days=days_ago)):
            attempt = service.start_or_resume(session, person, core, rng)
            session.flush()
            finish = roll < 0.92  # the top slice stays in progress
            for item in attempt.items:
                if not finish and item.position > 4:
                    break
                s = item.scenario
                right = rng.random() < skill
                if s.verdict == "breach":
                    verdict, clause = ("breach", s.clauses[0]) if right else rng.choice(
                        [("compliant", None), ("breach", "6.4" if "6.4" not in s.clauses else "4.3")])
                else:
                    verdict, clause = ("compliant", None) if right else ("breach", "4.1")
                service.record_answer(session, attempt, item.position, verdict, clause, rng.random() < 0.7)
            if finish:
                service.finish_attempt(session, attempt, settings)
            created += 1
    session.flush()
    return created
