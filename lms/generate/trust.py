"""Build a synthetic trust as rows, unit by unit, and hand them to a writer in batches.

The rows are what the app itself would have stored, so dashboards, team pages and records work
on them unchanged:

- one central unit (CEO, directors, trust leads, admins, regional directors in large trusts) and
  `units` schools of varied size, each with one headteacher, line managers with reports and
  staff of every type (mostly employees; volunteers, agency workers and consultants);
- `module_progress` rows exactly as `records.requirements.sync_requirements` would keep them
  (all-staff modules for everyone, the managers module for people who manage someone active and
  for headteachers and the CEO, the business-use module for people who asked to use it), with the
  dates, validity and last/passing attempts `training.service.finish_attempt` and
  `records.renewal.record_pass` would have written;
- attempts drawn one scenario per clause group (failed groups first on a retake), answered with
  per-person skill, hard scenarios more often wrong, and a plausible favourite wrong clause per
  scenario; scores and pass flags computed from the answers by the app's own grading rule;
- requests of every kind in every state, with the events the state machine would have recorded.

Everything comes from one `random.Random(seed)`, consumed in a fixed order, and dates count back
from `today`: the same seed on the same day gives the same trust, whatever the backend.
Memory stays bounded: rows are flushed every few thousand people.
"""

from __future__ import annotations

import gc
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from lms.clock import add_months
from lms.generate import names
from lms.generate.content import WRONG_SLOTS, ModulePlan
from lms.generate.options import Options, central_size, regional_directors
from lms.generate.writer import TABLES, Writer
from lms.records.settings import RecordSettings

DAY = 86_400
FLUSH_PEOPLE = 3_000       # flush the buffers after this many people...
FLUSH_ANSWERS = 60_000     # ...or this many answers, whichever comes first
NEVER_STARTED = 0.05       # share of people who have not opened a module yet
LEAVERS = 0.03             # share of staff (not managers) who have left and are inactive
OPEN_LAST = 0.07           # share of people whose latest attempt is unfinished
CONTEST_RATE = 0.02        # of wrong answers the person was sure of, how many are contested
MAX_TRIES = 4              # attempts at a module in one training year before giving up for now
POOL = 256                 # permutations kept per module and length, for drawing and shuffling

# Requests: how many per person, and the states they are found in (every state comes first,
# so even a small trust shows each one; later requests follow the usual mix).
REQUEST_RATES = {"business_use": 0.015, "media_enquiry": 0.004, "reference": 0.01, "misuse_report": 0.006}
# How long ago a business-use request in each state was made: an approval must rest on a pass that is
# still current, a lapse needs time for its review date to pass.
BUSINESS_DAYS_AGO = {"submitted": (1, 10), "training_required": (10, 60), "approved": (40, 250),
                     "revoked": (90, 300), "lapsed": (220, 330)}
REQUEST_STATES = {
    "business_use": ("approved", "submitted", "training_required", "declined", "revoked", "lapsed", "withdrawn",
                     "approved", "approved", "training_required", "submitted", "approved", "declined"),
    "media_enquiry": ("answered", "submitted", "approved", "declined", "withdrawn", "answered", "approved"),
    "reference": ("approved", "submitted", "declined", "withdrawn", "approved", "approved"),
    "misuse_report": ("closed", "submitted", "closed"),
}


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


class FastModule:
    """A module's scenarios as parallel tuples, and pools of random permutations: what `_take` needs, fast."""

    def __init__(self, plan: ModulePlan, rng: random.Random) -> None:
        self.rng = rng
        scenarios = plan.scenarios
        self.sids = tuple(s.id for s in scenarios)
        self.weights = tuple(s.error_weight for s in scenarios)
        self.rights = tuple(s.right for s in scenarios)
        self.wrongs = tuple(s.wrong for s in scenarios)
        self.group_of = tuple(s.group for s in scenarios)
        self.members = plan.groups
        self.k = min(plan.draw, len(scenarios))
        self.pass_mark_2k = plan.pass_mark * 2 * self.k
        self.group_orders = self._pool(len(plan.groups))
        self.scenario_orders = self._pool(len(scenarios))
        self._body: dict[int, list[list[int]]] = {}

    def _pool(self, n: int) -> list[list[int]]:
        pool = []
        for _ in range(POOL):
            order = list(range(n))
            self.rng.shuffle(order)
            pool.append(order)
        return pool

    def body(self, n: int) -> list[list[int]]:
        pool = self._body.get(n)
        if pool is None:
            pool = self._body[n] = self._pool(n)
        return pool


@dataclass
class Report:
    units: int = 0
    people: int = 0
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    logins: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    constraints_checked: bool | None = None  # PostgreSQL: False when foreign-key triggers were skipped

    @property
    def attempts_per_person(self) -> float:
        return self.rows["attempts"] / self.people if self.people else 0.0


@dataclass
class Track:
    """A person's record in one module while their attempts are emitted (becomes module_progress)."""

    count: int = 0
    open_id: int | None = None
    last: tuple | None = None   # (attempt id, score, passed, submitted timestamp)
    passed: tuple | None = None  # (attempt id, score, submitted timestamp, valid_until day)
    last_t: int | None = None


class TrustGenerator:
    def __init__(self, options: Options, modules: list[ModulePlan], settings: RecordSettings, today: date,
                 first_ids: dict[str, int], password_hash: str, central_name: str = "Central Team") -> None:
        self.o = options
        self.rng = random.Random(options.seed)  # noqa: S311 - synthetic data, not secrets  # nosec B311
        self.settings = settings
        self.T = today.toordinal()
        self.next_id = dict(first_ids)
        self.password_hash = password_hash
        self.central_name = central_name
        self.all_staff = [m for m in modules if m.audience == "all-staff"]
        self.managers = [m for m in modules if m.audience == "managers"]
        self.business = next((m for m in modules if m.audience == "business-use"), None)
        pools = random.Random(f"pools:{options.seed}")  # noqa: S311 - synthetic data  # nosec B311
        self.fast = {m.module_id: FastModule(m, pools) for m in modules}
        self._days: dict[int, str] = {}
        self._locals: dict[tuple[str, str], str] = {}
        self._valid: dict[int, int] = {}
        self._hms = [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}.000000" for s in range(DAY)]
        self._scores: dict[tuple[int, int], tuple[float, float]] = {}
        self.history_days = 365 * (math.ceil(options.attempts / 2) + 1) + 30
        self.launch = self.T - self.history_days
        # The mean budget of those who started: the mean of all comes out near `attempts` once
        # people who never started, new starters and years before someone joined are left out.
        self.mean_budget = options.attempts / (1 - NEVER_STARTED - 0.02) * 1.11
        self.buf: dict[str, list[tuple]] = {t: [] for t in TABLES}
        self.report = Report()
        self.quota = dict.fromkeys(REQUEST_RATES, 0.0)
        self.per_person = {k: max(len(set(REQUEST_STATES[k])), round(r * options.people)) / options.people
                           for k, r in REQUEST_RATES.items()}
        self.request_turn = dict.fromkeys(REQUEST_RATES, 0)
        self.ceo_id = 0
        self.regionals: list[int] = []

    # --- ids, dates and times -----------------------------------------------------------

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def day(self, d: int) -> str:
        text = self._days.get(d)
        if text is None:
            text = self._days[d] = date.fromordinal(d).isoformat()
        return text

    def ts(self, t: int) -> str:
        return f"{self.day(t // DAY)} {self._hms[t % DAY]}"

    def valid_until(self, d: int) -> int:
        value = self._valid.get(d)
        if value is None:
            value = self._valid[d] = add_months(date.fromordinal(d), self.settings.pass_valid_months).toordinal()
        return value

    def score(self, halves: int, drawn: int) -> tuple[float, float]:
        """(points, percent) as the app computes them (grading.score_percent), cached: few combinations exist."""
        key = (halves, drawn)
        value = self._scores.get(key)
        if value is None:
            points = Decimal(halves) / 2
            percent = (points * 100 / drawn).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            value = self._scores[key] = (float(points), float(percent))
        return value

    def certificate(self, attempt_id: int) -> str:
        """A 16-hex-digit code, unique because it is a bijection of the attempt id (no set of codes kept)."""
        x = (attempt_id * 0x9E3779B97F4A7C15 + self.o.seed * 0xD1B54A32D192ED03) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 29
        x = (x * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 32
        return f"{x:016X}"

    # --- the whole trust ------------------------------------------------------------------

    def run(self, writer: Writer, progress: Callable[[int], None] | None = None) -> Report:
        # Millions of short-lived tuples and no reference cycles: the cyclic collector would only
        # rescan the buffers again and again (half the run time), so it is off while generating.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run(writer, progress)
        finally:
            if collecting:
                gc.enable()

    def _run(self, writer: Writer, progress: Callable[[int], None] | None) -> Report:
        started = time.perf_counter()
        self.writer = writer
        o = self.o
        n_central = central_size(o.people, o.units)
        self.name_offset = self.rng.randrange(len(names.SCHOOL_KINDS) * len(names.PLACE_PREFIXES)
                                              * len(names.PLACE_SUFFIXES))
        sizes = self._school_sizes(o.people - n_central)
        central_id = self._id("units")
        schools = [(self._id("units"), *self._school_name(i)[:2]) for i in range(o.units)]
        self.buf["units"] = [(central_id, self.central_name, "central")] + [(uid, name, "school")
                                                                              for uid, name, _ in schools]
        self.report.units = 1 + o.units
        self._central(central_id, n_central)
        if progress:
            progress(n_central)
        for index, ((unit_id, _, domain), size) in enumerate(zip(schools, sizes, strict=True)):
            self._school(index, unit_id, domain, size)
            if progress:
                progress(size)
            if len(self.buf["people"]) >= FLUSH_PEOPLE or len(self.buf["answers"]) >= FLUSH_ANSWERS:
                self.flush()
        self.flush()
        self.report.seconds = time.perf_counter() - started
        return self.report

    def flush(self) -> None:
        for table, rows in self.buf.items():
            if rows:
                self.writer.write(table, rows)
                self.report.rows[table] += len(rows)
                self.buf[table] = []

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
        return Member(self._id("people"), first, last, f"{candidate}@{domain}.example.org", staff_type, job,
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

    def _central(self, unit_id: int, size: int) -> None:
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
        self.report.logins += [("CEO", ceo.email), ("Trust training lead", team[1 + len(director_ids)].email),
                               ("Admin", team[1 + len(director_ids) + leads].email)]
        self._unit(unit_id, team)

    def _school(self, index: int, unit_id: int, domain: str, size: int) -> None:
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
        if index == 0:
            staff = next((m for m in team[1 + n_managers:] if m.active and m.staff_type == "employee"), team[-1])
            self.report.logins += [("Headteacher", head.email), ("Line manager", team[1].email),
                                   ("Member of staff", staff.email)]
        self._unit(unit_id, team)

    # --- one unit: people, their training and their requests --------------------------------

    def _unit(self, unit_id: int, team: list[Member]) -> None:
        active_managers = {m.manager_id for m in team if m.active and m.manager_id is not None}
        for m in team:
            if m.id in active_managers or "headteacher" in m.roles or "ceo" in m.roles:
                m.manages = True
        self._assign_requests(team)
        people, roles = self.buf["people"], self.buf["person_roles"]
        for m in team:
            last_seen = self._train(m)
            people.append((m.id, m.email, m.first, m.last, m.staff_type, m.job, unit_id, m.manager_id,
                           self.day(m.start_day), m.active, self.password_hash,
                           self.ts(min(self.T - 1, max(self.launch - 30, m.start_day - 14)) * DAY + 8 * 3600),
                           None if last_seen is None else self.ts(last_seen),
                           None if m.leave_day is None else self.ts(m.leave_day * DAY + 17 * 3600)))
            for role in m.roles:
                roles.append((self._id("person_roles"), m.id, role))
        by_id = {m.id: m for m in team}
        for m in team:
            for kind in m.requests:
                self._request(unit_id, m, kind, by_id)
        self.report.people += len(team)

    def _assign_requests(self, team: list[Member]) -> None:
        """Exactly the planned number of requests of each kind, spread evenly over the trust."""
        for m in team:
            # Long enough in post for every state's dates to fit (a lapse takes most of a year).
            eligible = m.active and m.start_day < self.T - 400 and "ceo" not in m.roles
            for kind in REQUEST_RATES:
                self.quota[kind] += self.per_person[kind]
                if eligible and self.quota[kind] >= 1 and (kind != "business_use" or self.business is not None):
                    self.quota[kind] -= 1
                    m.requests.append(kind)

    # --- training -----------------------------------------------------------------------------

    def _budget(self, m: Member) -> int:
        rng = self.rng
        if m.start_day >= self.T or rng.random() < NEVER_STARTED:
            return 0
        if self.mean_budget < 1:  # fewer than one attempt each: some people, one attempt
            return 1 if rng.random() < self.mean_budget else 0
        # 1 + Poisson(mean - 1), by multiplying uniforms (Knuth): the mean is small.
        limit, k, product = math.exp(1 - self.mean_budget), 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        return 1 + k

    def _take(self, plan: ModulePlan, skill: float, lead: set[int] | None) -> list:
        """One attempt: [scenario indices drawn, answers, points in halves, passed, groups answered wrongly].

        The draw is the app's (lms/training/draw.py): one scenario per clause group, groups failed last
        time first, the rest at random, the order shuffled. Shuffles come from pools of permutations
        made once per module: Python's shuffle, called per attempt, was the slowest part of a run.
        """
        fast = self.fast[plan.module_id]
        rand = self.rng.random
        order = fast.group_orders[int(rand() * POOL)]
        if lead:
            order = [g for g in order if g in lead] + [g for g in order if g not in lead]
        members = fast.members
        k = fast.k
        chosen = [(m := members[g])[int(rand() * len(m))] for g in order][:k]
        if len(chosen) < k:
            taken = set(chosen)
            for index in fast.scenario_orders[int(rand() * POOL)]:
                if index not in taken:
                    chosen.append(index)
                    if len(chosen) == k:
                        break
        n_lead = min(len(lead), k) if lead else 0
        body = chosen[n_lead:]
        chosen = chosen[:n_lead] + [body[p] for p in fast.body(len(body))[int(rand() * POOL)]]
        error = 1.0 - skill
        weights, rights, wrongs, groups = fast.weights, fast.rights, fast.wrongs, fast.group_of
        answers = []
        halves = 0
        wrong_groups = set()
        for index in chosen:
            if rand() < error * weights[index]:
                a = wrongs[index][int(rand() * WRONG_SLOTS)]
                sure = rand() < 0.45
                if a[4] != 2:
                    wrong_groups.add(groups[index])
            else:
                a = rights[index]
                sure = rand() < 0.85
            halves += a[4]
            answers.append((index, a, sure))
        passed = halves * 100 >= fast.pass_mark_2k
        return [chosen, answers, halves, passed, wrong_groups]

    def _train(self, m: Member) -> int | None:
        """Attempts at every module required of this person, and their module_progress rows.

        Returns the time of the person's latest activity (for last_login_at)."""
        rng = self.rng
        modules = list(self.all_staff) + (list(self.managers) if m.manages else [])
        assigned = max(self.launch, m.start_day) if m.start_day < self.T else self.T - rng.randint(0, 7)
        end = (m.leave_day if m.leave_day is not None else self.T) - 1
        skill = 1.0 - min(0.6, rng.betavariate(2.2, 12))
        budget = self._budget(m) if modules else 0
        placed = self._place(self._rounds(modules, skill, budget), assigned, end) if budget else []
        tracks = {plan.module_id: Track() for plan in modules}
        latest = None
        for plan, attempt, t0 in placed:
            latest = self._emit(m.id, plan, attempt, t0, tracks[plan.module_id])
        for plan in modules:
            reason = "all_staff" if plan.audience == "all-staff" else "manages_others"
            self._progress(m, plan, tracks[plan.module_id], reason, assigned)
        if "business_use" in m.requests:
            business_latest = self._business_training(m, skill)
            if business_latest is not None:
                latest = max(latest or 0, business_latest)
        return latest

    def _rounds(self, modules: list[ModulePlan], skill: float, budget: int) -> list[list]:
        """Training years, newest last: each takes every module until passed (or given up), within the budget."""
        rng = self.rng
        rounds = []
        max_rounds = self.history_days // 365 + 1
        while budget > 0 and len(rounds) < max_rounds:
            this_year = []
            for plan in modules:
                lead, s = None, skill
                for tries in range(MAX_TRIES):
                    if budget <= 0:
                        break
                    attempt = self._take(plan, s, lead)
                    budget -= 1
                    this_year.append((plan, attempt))
                    if attempt[3] or (tries >= 1 and rng.random() < 0.3):
                        break
                    lead, s = attempt[4], s + (1.0 - s) * 0.35  # a retake: better, failed groups first
            rounds.append(this_year)
            skill += (1.0 - skill) * 0.1  # a year on, a little better
        if len(rounds) > 1 and len({plan.module_id for plan, _ in rounds[-1]}) < len(modules):
            # The budget ran out part-way through a year: make that the person's first year (they
            # started late), so the latest year is a whole one, as in a trust that keeps up.
            rounds.insert(0, rounds.pop())
        if rounds and rounds[-1] and rng.random() < OPEN_LAST:
            self._leave_open(rounds[-1][-1][1])
        return rounds

    def _leave_open(self, attempt: list) -> None:
        """Turn an attempt into one left part-way: the first answers only, no score."""
        answered = self.rng.randint(0, len(attempt[0]) - 1)
        attempt[1] = attempt[1][:answered]
        attempt[3] = None

    def _place(self, rounds: list[list], assigned: int, end: int) -> list[tuple]:
        """Put each training year on the calendar, counting back from the latest: (plan, attempt, start time)."""
        rng = self.rng
        offsets_per_round = []
        for this_year in rounds:
            offsets, day, previous = [], 0, None
            for plan, attempt in this_year:
                if previous is not None:
                    retake = previous[0] is plan and previous[1][3] is False
                    day += rng.randint(0, 6) if retake else rng.randint(1, 21)
                offsets.append(day)
                previous = (plan, attempt)
            offsets_per_round.append(offsets)
        open_last = rounds[-1][-1][1][3] is None
        r = rng.random()
        gap = (rng.randint(0, 14) if open_last else rng.randint(0, 320) if r < 0.7 else
               rng.randint(321, 364) if r < 0.85 else rng.randint(365, 560))
        placed_rounds = []
        start = None
        for index in range(len(rounds) - 1, -1, -1):
            offsets = offsets_per_round[index]
            span = offsets[-1]
            if start is None:
                start = end - gap - span
                if start < assigned:  # joined recently: squeeze the year between joining and today
                    start = assigned
                    room = end - assigned
                    if room < 0:
                        break
                    if span > room:
                        offsets = [o * room // span for o in offsets]
            else:
                start = start - 365 + rng.randint(-40, 40)  # renewed a little before (or after) the pass ran out
                if start < assigned:
                    break
            placed_rounds.append([(plan, attempt, start + o) for (plan, attempt), o in zip(rounds[index], offsets,
                                                                                          strict=True)])
        placed = []
        limit = (end + 1) * DAY
        previous_end = 0
        for this_year in reversed(placed_rounds):
            for plan, attempt, day in this_year:
                t0 = max(day * DAY + rng.randint(7 * 3600, 12 * 3600), previous_end + rng.randint(300, 3600))
                previous_end = t0 + 90 * len(attempt[1]) + 60  # the latest its answers and submission can be
                if previous_end >= limit:
                    return placed  # no room left before today: the rest never happened
                placed.append((plan, attempt, t0))
        return placed

    def _emit(self, person_id: int, plan: ModulePlan, attempt: list, t0: int, track: Track) -> int:
        """Rows for one attempt; updates the person's track in this module. Returns its last moment.

        The hottest code of a run (once per answer): ids are counted locally and each answer's
        timestamp is the attempt's day string plus a precomputed time of day.
        """
        rand = self.rng.random
        chosen, answers, halves, passed, _ = attempt
        ids = self.next_id
        attempt_id = ids["attempts"]
        ids["attempts"] = attempt_id + 1
        sids = self.fast[plan.module_id].sids
        item_id = ids["attempt_items"]
        self.buf["attempt_items"].extend([(item_id + p, attempt_id, p + 1, sids[i]) for p, i in enumerate(chosen)])
        ids["attempt_items"] = item_id + len(chosen)
        rows, hms = self.buf["answers"], self._hms
        answer_id = ids["answers"]
        day0 = t0 // DAY
        prefix = self.day(day0) + " "
        sec = t0 - day0 * DAY
        for index, a, sure in answers:
            sec += 20 + int(rand() * 71)
            rows.append((answer_id, attempt_id, sids[index], a[0], a[1], a[2], a[3], sure,
                         prefix + hms[sec] if sec < DAY else self.ts(day0 * DAY + sec)))
            answer_id += 1
            if sure and a[4] != 2 and passed is not None and rand() < CONTEST_RATE:
                self.buf["contests"].append((self._id("contests"), person_id, attempt_id, sids[index],
                                             self.rng.choice(names.CONTEST_REASONS), self.ts(day0 * DAY + sec + 40)))
        ids["answers"] = answer_id
        t = day0 * DAY + sec
        track.count += 1
        if passed is None:
            self.buf["attempts"].append((attempt_id, person_id, plan.module_id, plan.version_id,
                                         plan.policy_version_id, "in_progress", self.ts(t0), None, None, None, None,
                                         "full", None, None))
            track.open_id = attempt_id
            track.last_t = t
            return t
        t += 5 + int(rand() * 36)
        points, score = self.score(halves, len(chosen))
        valid = self.valid_until(t // DAY) if passed else None
        self.buf["attempts"].append((attempt_id, person_id, plan.module_id, plan.version_id, plan.policy_version_id,
                                     "submitted", self.ts(t0), self.ts(t), points, score, passed, "full",
                                     self.certificate(attempt_id) if passed else None,
                                     self.day(valid) if passed else None))
        track.last = (attempt_id, score, passed, t)
        if passed:
            track.passed = (attempt_id, score, t, valid)
        track.last_t = t
        return t

    def _progress(self, m: Member, plan: ModulePlan, track: Track, reason: str, assigned: int) -> None:
        """The module_progress row finish_attempt and record_pass would have left."""
        due = max(m.start_day, assigned) + self.settings.new_starter_days
        last, passed = track.last, track.passed
        if passed:
            due = passed[3]  # due again when the pass runs out
        self.buf["module_progress"].append((
            self._id("module_progress"), m.id, plan.module_id, m.active, reason, self.day(assigned), self.day(due),
            self.day(passed[3]) if passed else None, plan.policy_version_id if passed else None, track.open_id,
            last[0] if last else None, last[1] if last else None, last[2] if last else None,
            self.ts(last[3]) if last else None, self.ts(passed[2]) if passed else None,
            passed[1] if passed else None, passed[0] if passed else None, track.count,
            self.ts(track.last_t if track.last_t is not None else assigned * DAY + 6 * 3600),
        ))

    # --- the business-use module and requests ---------------------------------------------------

    def _business_training(self, m: Member, skill: float) -> int | None:
        """Decide the business-use request's state and day, and train for the module as that state needs."""
        rng, plan, T = self.rng, self.business, self.T
        kind = "business_use"
        state = REQUEST_STATES[kind][self.request_turn[kind] % len(REQUEST_STATES[kind])]
        self.request_turn[kind] += 1
        submitted = max(T - rng.randint(*BUSINESS_DAYS_AGO.get(state, (5, 300))), m.start_day + 1)
        attempts = []
        if state in ("approved", "revoked", "lapsed"):
            s, lead = skill, None
            while True:  # the approver waited for a pass; skill 1.0 always passes, so this ends
                attempt = self._take(plan, s, lead)
                attempts.append(attempt)
                if attempt[3]:
                    break
                lead, s = attempt[4], 1.0 if len(attempts) >= 4 else s + (1.0 - s) * 0.4
        elif state == "training_required":
            for _ in range(rng.randint(0, 2)):
                attempts.append(self._take(plan, skill, None))
            if attempts and rng.random() < 0.4:
                self._leave_open(attempts[-1])
        elif state in ("declined", "withdrawn") and rng.random() < 0.3:
            attempts.append(self._take(plan, skill, None))
        track = Track()
        day, latest = submitted, None
        for attempt in attempts:
            day += rng.randint(1, 6)
            if day >= T:
                break
            latest = self._emit(m.id, plan, attempt, day * DAY + rng.randint(8 * 3600, 19 * 3600), track)
        if state in ("approved", "revoked", "lapsed") and track.passed is None:
            state = "training_required"  # no room for the pass before today: still waiting for it
        self._progress(m, plan, track, "assigned", submitted)
        m.business = (state, submitted, track)
        return latest

    def _request(self, unit_id: int, m: Member, kind: str, team: dict[int, Member]) -> None:
        rng, T = self.rng, self.T
        head = next((p.id for p in team.values() if "headteacher" in p.roles), None)
        head_or_ceo = head if head is not None and head != m.id else self.ceo_id
        manager = team.get(m.manager_id)
        if kind == "business_use":
            state, submitted, track = m.business
            approver = m.manager_id if m.manager_id is not None and (manager is None or manager.active) else head_or_ceo
        else:
            state = REQUEST_STATES[kind][self.request_turn[kind] % len(REQUEST_STATES[kind])]
            self.request_turn[kind] += 1
            submitted = max(m.start_day + 1, T - (rng.randint(1, 12) if state == "submitted" else rng.randint(15, 330)))
            approver = head_or_ceo
        fields = dict.fromkeys(TABLES["requests"])
        fields["withhold_name"] = False
        request_id = self._id("requests")
        events: list[tuple[int | None, int, str | None, str, str]] = []  # (actor, day, from, to, note)
        day = submitted

        def move(actor: int | None, to: str, note: str = "", after: int | None = None) -> None:
            nonlocal day
            day = after if after is not None else min(day + rng.randint(1, 5), T - 1)
            events.append((actor, day, events[-1][3] if events else None, to, note))

        events.append((m.id, day, None, "submitted", ""))
        if kind == "business_use":
            starts = submitted + rng.randint(0, 14)
            fields.update(accounts=rng.choice(names.ACCOUNTS), platforms=_json(sorted(rng.sample(names.PLATFORMS, 2))),
                          purpose=rng.choice(names.PURPOSES), starts_on=self.day(starts),
                          ends_on=None if rng.random() < 0.5 else self.day(starts + rng.randint(90, 700)))
            passed = track.passed
            if state == "training_required" or (state in ("approved", "revoked", "lapsed") and rng.random() < 0.5):
                move(approver, "training_required", "Please take the business-use module first.")
            if state in ("approved", "revoked", "lapsed"):
                approved_day = min(max(day + 1, passed[2] // DAY + rng.randint(0, 4)), T - 1)
                move(approver, "approved", "", after=approved_day)
                expires = (T + rng.randint(20, 300) if state != "lapsed"
                           else min(approved_day + rng.randint(20, 60), T - 2))
                fields.update(conditions=rng.choice(names.CONDITIONS),
                              condition_flags=_json(sorted(rng.sample(names.CONDITION_FLAGS, 2))),
                              expires_on=self.day(expires), training_attempt_id=passed[0])
                if state == "revoked":
                    move(approver, "revoked", rng.choice(names.REVOKE_REASONS))
                elif state == "lapsed":
                    d = date.fromordinal(expires)
                    move(None, "lapsed", f"Lapsed: its review or expiry date ({d.day} {d:%b %Y}) has passed.",
                         after=expires + 1)
            elif state == "declined":
                move(approver, "declined", rng.choice(names.DECLINE_REASONS))
            elif state == "withdrawn":
                move(m.id, "withdrawn")
        elif kind == "media_enquiry":
            fields.update(enquirer=rng.choice(names.ENQUIRERS), outlet=rng.choice(names.OUTLETS),
                          question=rng.choice(names.QUESTIONS), deadline=self.day(submitted + rng.randint(1, 10)))
            if state in ("approved", "answered"):
                fields["approved_response"] = rng.choice(names.RESPONSES)
                move(approver, "approved")
                if state == "answered":
                    move(m.id, "answered", "Response given as approved.")
            elif state in ("declined", "withdrawn"):
                move(approver if state == "declined" else m.id, state,
                     rng.choice(names.DECLINE_REASONS) if state == "declined" else "")
        elif kind == "reference":
            fields.update(subject_name=f"{rng.choice(names.FIRST_NAMES)} {rng.choice(names.LAST_NAMES)}",
                          reference_for=rng.choice(names.REFERENCE_FOR), draft=rng.choice(names.DRAFTS))
            if state == "approved":
                move(approver, "approved")
            elif state in ("declined", "withdrawn"):
                move(approver if state == "declined" else m.id, state,
                     rng.choice(names.DECLINE_REASONS) if state == "declined" else "")
        else:
            if rng.random() < 0.2 and m.id != self.ceo_id:
                approver = self.ceo_id  # the reporter chose the CEO
            description = rng.choice(names.MISUSE_DESCRIPTIONS)
            link = None if description and rng.random() < 0.4 else \
                f"{rng.choice(names.MISUSE_LINKS)}{rng.randint(10**9, 10**10)}"
            fields.update(link=link, description=description, withhold_name=rng.random() < 0.3)
            if state == "closed":
                outcome = rng.choice(names.OUTCOMES)
                fields["outcome"] = outcome
                move(approver, "closed", outcome)
        hours = rng.randint(8 * 3600, 17 * 3600)
        fields.update(id=request_id, kind=kind, state=state, requester_id=m.id, approver_id=approver, unit_id=unit_id,
                      line_manager_id=m.manager_id, created_at=self.ts(submitted * DAY + hours),
                      updated_at=self.ts(events[-1][1] * DAY + hours + 60 * len(events)))
        self.buf["requests"].append(tuple(fields[c] for c in TABLES["requests"]))
        for n, (actor, d, from_state, to_state, note) in enumerate(events):
            self.buf["request_events"].append((self._id("request_events"), request_id, actor,
                                               self.ts(d * DAY + hours + 60 * n), from_state, to_state, note))


def _letters(name: str) -> str:
    return re.sub(r"[^a-z-]", "", name.lower())


def _json(values: list[str]) -> str:
    import json

    return json.dumps(values)
