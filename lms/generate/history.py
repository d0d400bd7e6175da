"""A person's training history as rows: attempts, their items, answers and contests, and the
`module_progress` row of each module required of them.

`module_progress` is exactly what `records.requirements.sync_requirements` would keep (all-staff
modules for everyone, the managers module for people who manage someone active and for
headteachers and the CEO, the business-use module for people who asked to use it), with the dates,
validity and last/passing attempts `training.service.finish_attempt` and `records.renewal.record_pass`
would have written. Training years count back from today; a retake follows a fail within days.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from lms.clock import add_months
from lms.generate import names
from lms.generate.attempts import Attempt, Attempts
from lms.generate.content import ModulePlan
from lms.generate.options import Options
from lms.generate.people import Member
from lms.generate.rows import DAY, Rows
from lms.records.settings import RecordSettings

NEVER_STARTED = 0.05       # share of people who have not opened a module yet
OPEN_LAST = 0.07           # share of people whose latest attempt is unfinished
CONTEST_RATE = 0.02        # of wrong answers the person was sure of, how many are contested
MAX_TRIES = 4              # attempts at a module in one training year before giving up for now

# The business-use request a person made, chosen before their training for it: (state, day submitted).
BusinessRequest = Callable[[Member], tuple[str, int]]


@dataclass
class Track:
    """A person's record in one module while their attempts are emitted (becomes module_progress)."""

    count: int = 0
    open_id: int | None = None
    last: tuple | None = None   # (attempt id, score, passed, submitted timestamp)
    passed: tuple | None = None  # (attempt id, score, submitted timestamp, valid_until day)
    last_t: int | None = None


class History:
    def __init__(self, rows: Rows, options: Options, modules: list[ModulePlan], settings: RecordSettings,
                 business_request: BusinessRequest) -> None:
        self.rows = rows
        self.rng = rows.rng
        self.T = rows.T
        self.seed = options.seed
        self.settings = settings
        self.business_request = business_request
        self.all_staff = [m for m in modules if m.audience == "all-staff"]
        self.managers = [m for m in modules if m.audience == "managers"]
        self.business = next((m for m in modules if m.audience == "business-use"), None)
        self.attempts = Attempts(rows.rng, modules, options.seed)
        self._valid: dict[int, int] = {}
        self._scores: dict[tuple[int, int], tuple[float, float]] = {}
        self.history_days = 365 * (math.ceil(options.attempts / 2) + 1) + 30
        self.launch = self.T - self.history_days
        # The mean budget of those who started: the mean of all comes out near `attempts` once
        # people who never started, new starters and years before someone joined are left out.
        self.mean_budget = options.attempts / (1 - NEVER_STARTED - 0.02) * 1.11

    # --- validity, scores and certificates ------------------------------------------------------

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
        x = (attempt_id * 0x9E3779B97F4A7C15 + self.seed * 0xD1B54A32D192ED03) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 29
        x = (x * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 32
        return f"{x:016X}"

    # --- one person -------------------------------------------------------------------------------

    def train(self, m: Member) -> int | None:
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
                    attempt = self.attempts.take(plan, s, lead)
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
            self.attempts.leave_open(rounds[-1][-1][1])
        return rounds

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

    # --- rows ----------------------------------------------------------------------------------------

    def _emit(self, person_id: int, plan: ModulePlan, attempt: Attempt, t0: int, track: Track) -> int:
        """Rows for one attempt; updates the person's track in this module. Returns its last moment.

        The hottest code of a run (once per answer): ids are counted locally and each answer's
        timestamp is the attempt's day string plus a precomputed time of day.
        """
        rand = self.rng.random
        out = self.rows
        chosen, answers, halves, passed, _ = attempt
        ids = out.next_id
        attempt_id = ids["attempts"]
        ids["attempts"] = attempt_id + 1
        sids = self.attempts.fast[plan.module_id].sids
        item_id = ids["attempt_items"]
        out.buf["attempt_items"].extend([(item_id + p, attempt_id, p + 1, sids[i]) for p, i in enumerate(chosen)])
        ids["attempt_items"] = item_id + len(chosen)
        rows, hms = out.buf["answers"], out.hms
        answer_id = ids["answers"]
        day0 = t0 // DAY
        prefix = out.day(day0) + " "
        sec = t0 - day0 * DAY
        for index, a, sure in answers:
            sec += 20 + int(rand() * 71)
            rows.append((answer_id, attempt_id, sids[index], a[0], a[1], a[2], a[3], sure,
                         prefix + hms[sec] if sec < DAY else out.ts(day0 * DAY + sec)))
            answer_id += 1
            if sure and a[4] != 2 and passed is not None and rand() < CONTEST_RATE:
                out.buf["contests"].append((out.id("contests"), person_id, attempt_id, sids[index],
                                            self.rng.choice(names.CONTEST_REASONS), out.ts(day0 * DAY + sec + 40)))
        ids["answers"] = answer_id
        t = day0 * DAY + sec
        track.count += 1
        if passed is None:
            out.buf["attempts"].append((attempt_id, person_id, plan.module_id, plan.version_id,
                                        plan.policy_version_id, "in_progress", out.ts(t0), None, None, None, None,
                                        "full", None, None))
            track.open_id = attempt_id
            track.last_t = t
            return t
        t += 5 + int(rand() * 36)
        points, score = self.score(halves, len(chosen))
        valid = self.valid_until(t // DAY) if passed else None
        out.buf["attempts"].append((attempt_id, person_id, plan.module_id, plan.version_id, plan.policy_version_id,
                                    "submitted", out.ts(t0), out.ts(t), points, score, passed, "full",
                                    self.certificate(attempt_id) if passed else None,
                                    out.day(valid) if passed else None))
        track.last = (attempt_id, score, passed, t)
        if passed:
            track.passed = (attempt_id, score, t, valid)
        track.last_t = t
        return t

    def _progress(self, m: Member, plan: ModulePlan, track: Track, reason: str, assigned: int) -> None:
        """The module_progress row finish_attempt and record_pass would have left."""
        day, ts = self.rows.day, self.rows.ts
        due = max(m.start_day, assigned) + self.settings.new_starter_days
        last, passed = track.last, track.passed
        if passed:
            due = passed[3]  # due again when the pass runs out
        self.rows.buf["module_progress"].append((
            self.rows.id("module_progress"), m.id, plan.module_id, m.active, reason, day(assigned), day(due),
            day(passed[3]) if passed else None, plan.policy_version_id if passed else None, track.open_id,
            last[0] if last else None, last[1] if last else None, last[2] if last else None,
            ts(last[3]) if last else None, ts(passed[2]) if passed else None,
            passed[1] if passed else None, passed[0] if passed else None, track.count,
            ts(track.last_t if track.last_t is not None else assigned * DAY + 6 * 3600),
        ))

    # --- the business-use module ----------------------------------------------------------------------

    def _business_training(self, m: Member, skill: float) -> int | None:
        """Train for the business-use module as the state of the person's request needs (lms/generate/requests.py).

        An approval waits for a pass; a request still waiting for training may have none or an
        unfinished attempt. Returns the time of the latest attempt, or None.
        """
        rng, plan, T = self.rng, self.business, self.T
        state, submitted = self.business_request(m)
        attempts = []
        if state in ("approved", "revoked", "lapsed"):
            s, lead = skill, None
            while True:  # the approver waited for a pass; skill 1.0 always passes, so this ends
                attempt = self.attempts.take(plan, s, lead)
                attempts.append(attempt)
                if attempt[3]:
                    break
                lead, s = attempt[4], 1.0 if len(attempts) >= 4 else s + (1.0 - s) * 0.4
        elif state == "training_required":
            for _ in range(rng.randint(0, 2)):
                attempts.append(self.attempts.take(plan, skill, None))
            if attempts and rng.random() < 0.4:
                self.attempts.leave_open(attempts[-1])
        elif state in ("declined", "withdrawn") and rng.random() < 0.3:
            attempts.append(self.attempts.take(plan, skill, None))
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
