"""The units and the people in them: school names and sizes, the central team and each school's
staff, with jobs, staff types, line managers, start days and leavers.

A school has one headteacher, line managers with about eleven reports each and staff of every
type (mostly employees; volunteers, agency workers and consultants); the central team has the
CEO, directors, trust leads, admins and, in large trusts, regional directors over the heads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lms.generate import names
from lms.generate.options import Options, regional_directors
from lms.generate.rows import DAY, Rows

LEAVERS = 0.03             # share of staff (not managers) who have left and are inactive

Logins = list[tuple[str, str]]  # (who, email): the accounts the command prints to sign in as


@dataclass
class Member:
    """One generated person while their unit is being built."""

    id: int
    first: str
    last: str
    email: str
    staff_type: str
    job: str
    manager_id: int | None
    start_day: int
    active: bool = True
    leave_day: int | None = None
    roles: tuple[str, ...] = ()
    manages: bool = False
    requests: list[str] = field(default_factory=list)
    business: tuple | None = None  # (request state, day submitted, Track) once the business-use module is planned


class People:
    def __init__(self, rows: Rows, options: Options, password_hash: str) -> None:
        self.rows = rows
        self.rng = rows.rng
        self.T = rows.T
        self.o = options
        self.password_hash = password_hash
        self._locals: dict[tuple[str, str], str] = {}
        self.name_offset = 0
        self.ceo_id = 0
        self.regionals: list[int] = []

    # --- units ------------------------------------------------------------------------------

    def schools(self, people: int) -> list[tuple[int, str, str, int]]:
        """Every school as (unit id, name, email domain, staff), `people` staff between them."""
        self.name_offset = self.rng.randrange(len(names.SCHOOL_KINDS) * len(names.PLACE_PREFIXES)
                                              * len(names.PLACE_SUFFIXES))
        sizes = self._school_sizes(people)
        return [(self.rows.id("units"), *self._school_name(i)[:2], size) for i, size in enumerate(sizes)]

    def _school_name(self, i: int) -> tuple[str, str, float]:
        """The i-th school's name, its email domain and its size weight."""
        kinds, prefixes, suffixes = names.SCHOOL_KINDS, names.PLACE_PREFIXES, names.PLACE_SUFFIXES
        total = len(kinds) * len(prefixes) * len(suffixes)
        index = (self.name_offset + i * 7919) % total  # 7919 is prime and does not divide the total: no repeats
        kind, place = index % len(kinds), index // len(kinds)
        name = f"{prefixes[place % len(prefixes)]}{suffixes[place // len(prefixes)]} {kinds[kind][0]}"
        if i >= total:
            name += f" {i // total + 1}"
        return name, re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"), kinds[kind][1]

    def _school_sizes(self, people: int) -> list[int]:
        """Staff per school in proportion to the kind of school, at least 3 each, summing to `people`."""
        weights = []
        for i in range(self.o.units):
            weights.append(self._school_name(i)[2] * self.rng.uniform(0.6, 1.5))
        scale = people / sum(weights)
        sizes = [max(3, int(w * scale)) for w in weights]
        order = list(range(len(sizes)))
        self.rng.shuffle(order)
        diff, i = people - sum(sizes), 0
        while diff:
            j = order[i % len(order)]
            if diff > 0:
                sizes[j] += 1
                diff -= 1
            elif sizes[j] > 3:
                sizes[j] -= 1
                diff += 1
            i += 1
        return sizes

    # --- people ---------------------------------------------------------------------------

    def _member(self, used: set[str], domain: str, staff_type: str, job: str, manager_id: int | None,
                senior: bool, roles: tuple[str, ...] = ()) -> Member:
        rng = self.rng
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        local = self._locals.get((first, last))
        if local is None:  # "Anne-Marie O'Brien" -> anne-marie.obrien
            local = self._locals[(first, last)] = f"{_letters(first)}.{_letters(last)}"
        candidate, n = local, 1
        while candidate in used:
            n += 1
            candidate = f"{local}{n}"
        used.add(candidate)
        if senior:
            start = self.T - rng.randint(400, 8000)
        else:
            r = rng.random()
            start = (self.T + rng.randint(1, 30) if r < 0.02 else
                     self.T - rng.randint(0, 120) if r < 0.12 else self.T - rng.randint(121, 7000))
        return Member(self.rows.id("people"), first, last, f"{candidate}@{domain}.example.org", staff_type, job,
                      manager_id, start, roles=roles)

    def _pick_job(self, jobs) -> tuple[str, str]:
        total = sum(w for _, _, w in jobs)
        r = self.rng.random() * total
        for title, staff_type, weight in jobs:
            r -= weight
            if r < 0:
                return title, staff_type
        return jobs[-1][0], jobs[-1][1]

    def _leave(self, member: Member) -> None:
        """Some staff have left: inactive, with the date they were deactivated."""
        if self.rng.random() < LEAVERS and member.start_day < self.T - 60:
            member.active = False
            member.leave_day = max(member.start_day + 30, self.T - self.rng.randint(5, 300))

    def central(self, size: int) -> tuple[list[Member], Logins]:
        """The central team: the CEO, directors, trust leads, admins, regional directors and staff."""
        used: set[str] = set()
        domain = names.CENTRAL_DOMAIN
        ceo = self._member(used, domain, "employee", "Chief Executive Officer", None, True, ("ceo",))
        self.ceo_id = ceo.id
        team = [ceo]
        regional = regional_directors(self.o.units)
        leads = max(1, self.o.people // 100_000)
        admins = max(1, self.o.people // 200_000)
        directors = max(1, (size - regional) // 15)
        staff = size - 1 - directors - leads - admins - regional
        while staff < 0:  # the smallest teams: fewer directors first
            directors -= 1
            staff += 1
        director_ids = []
        for i in range(max(directors, 0)):
            m = self._member(used, domain, "employee", names.CENTRAL_DIRECTOR_JOBS[i % len(names.CENTRAL_DIRECTOR_JOBS)],
                             ceo.id, True)
            director_ids.append(m.id)
            team.append(m)
        lead_ids = []
        for _ in range(leads):
            m = self._member(used, domain, "employee", "Trust training lead", ceo.id, True, ("trust_lead",))
            lead_ids.append(m.id)
            team.append(m)
        for _ in range(admins):
            team.append(self._member(used, domain, "employee", "Data and systems manager",
                                     director_ids[0] if director_ids else ceo.id, True, ("admin",)))
        for _ in range(regional):
            m = self._member(used, domain, "employee", "Regional director", ceo.id, True)
            m.manages = True  # headteachers report to them
            self.regionals.append(m.id)
            team.append(m)
        bosses = director_ids or [ceo.id]
        for _ in range(staff):
            title, staff_type = self._pick_job(names.CENTRAL_JOBS)
            manager = self.rng.choice(lead_ids) if self.rng.random() < 0.15 else self.rng.choice(bosses)
            m = self._member(used, domain, staff_type, title, manager, False)
            self._leave(m)
            team.append(m)
        logins = [("CEO", ceo.email), ("Trust training lead", team[1 + len(director_ids)].email),
                  ("Admin", team[1 + len(director_ids) + leads].email)]
        return team, logins

    def school(self, index: int, domain: str, size: int) -> tuple[list[Member], Logins]:
        """One school's staff under its headteacher, who reports to a regional director or the CEO."""
        used: set[str] = set()
        boss = self.regionals[index % len(self.regionals)] if self.regionals else self.ceo_id
        head = self._member(used, domain, "employee", "Headteacher", boss, True, ("headteacher",))
        team = [head]
        n_managers = 1 if size <= 12 else round((size - 1) / 11)
        n_managers = min(n_managers, size - 2)
        managers = []
        for i in range(n_managers):
            job = names.SCHOOL_MANAGER_JOBS[0] if i == 0 else self.rng.choice(names.SCHOOL_MANAGER_JOBS[1:])
            m = self._member(used, domain, "employee", job, head.id, True)
            managers.append(m.id)
            team.append(m)
        for i in range(size - 1 - n_managers):
            # Every school of some size has at least one of each kind of non-employee (policy 1.3).
            title, staff_type = (names.SCHOOL_NON_EMPLOYEES[i] if size >= 10 and i < len(names.SCHOOL_NON_EMPLOYEES)
                                 else self._pick_job(names.SCHOOL_JOBS))
            r = self.rng.random()
            manager = self.rng.choice(managers) if r < 0.9 else head.id if r < 0.96 else None
            m = self._member(used, domain, staff_type, title, manager, False)
            self._leave(m)
            team.append(m)
        logins: Logins = []
        if index == 0:
            staff = next((m for m in team[1 + n_managers:] if m.active and m.staff_type == "employee"), team[-1])
            logins = [("Headteacher", head.email), ("Line manager", team[1].email), ("Member of staff", staff.email)]
        return team, logins

    # --- a unit's people as rows ----------------------------------------------------------------

    @staticmethod
    def mark_managers(team: list[Member]) -> None:
        """Who manages someone active, and the headteachers and the CEO: they take the managers module."""
        active_managers = {m.manager_id for m in team if m.active and m.manager_id is not None}
        for m in team:
            if m.id in active_managers or "headteacher" in m.roles or "ceo" in m.roles:
                m.manages = True

    def row(self, m: Member, unit_id: int, last_seen: int | None, launch: int) -> tuple:
        """The `people` row, the account made a fortnight before they started (not before a month ahead of the
        training's launch, and by yesterday at the latest)."""
        ts = self.rows.ts
        return (m.id, m.email, m.first, m.last, m.staff_type, m.job, unit_id, m.manager_id,
                self.rows.day(m.start_day), m.active, self.password_hash,
                ts(min(self.T - 1, max(launch - 30, m.start_day - 14)) * DAY + 8 * 3600),
                None if last_seen is None else ts(last_seen),
                None if m.leave_day is None else ts(m.leave_day * DAY + 17 * 3600))


def _letters(name: str) -> str:
    return re.sub(r"[^a-z-]", "", name.lower())
