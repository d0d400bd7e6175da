"""Build a synthetic trust as rows, unit by unit, and hand them to a writer in batches.

The rows are what the app itself would have stored, so dashboards, team pages and records work
on them unchanged. `TrustGenerator.run` orchestrates; each kind of row is made by a module of its own:

- lms/generate/people.py: one central unit (CEO, directors, trust leads, admins, regional directors
  in large trusts) and `units` schools of varied size, each with one headteacher, line managers with
  reports and staff of every type (mostly employees; volunteers, agency workers and consultants);
- lms/generate/history.py: `module_progress` rows exactly as `records.requirements.sync_requirements`
  would keep them, with the dates, validity and last/passing attempts `training.service.finish_attempt`
  and `records.renewal.record_pass` would have written, and the attempts and answers behind them;
- lms/generate/attempts.py: attempts drawn one scenario per clause group (failed groups first on a
  retake), answered with per-person skill, hard scenarios more often wrong, and a plausible favourite
  wrong clause per scenario; scores and pass flags computed from the answers by the app's own grading rule;
- lms/generate/requests.py: requests of every kind in every state, with the events the state machine
  would have recorded.

Everything comes from one `random.Random(seed)` (lms/generate/rows.py), consumed in a fixed order, and
dates count back from `today`: the same seed on the same day gives the same trust, whatever the backend.
Memory stays bounded: rows are flushed every few thousand people.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from lms.generate.content import ModulePlan
from lms.generate.history import History
from lms.generate.options import Options, central_size
from lms.generate.people import Member, People
from lms.generate.requests import Requests
from lms.generate.rows import Rows
from lms.generate.writer import TABLES, Writer
from lms.records.settings import RecordSettings

FLUSH_PEOPLE = 3_000       # flush the buffers after this many people...
FLUSH_ANSWERS = 60_000     # ...or this many answers, whichever comes first


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


class TrustGenerator:
    def __init__(self, options: Options, modules: list[ModulePlan], settings: RecordSettings, today: date,
                 first_ids: dict[str, int], password_hash: str, central_name: str = "Central Team") -> None:
        self.o = options
        self.central_name = central_name
        self.rows = Rows(options.seed, today, first_ids)
        self.people = People(self.rows, options, password_hash)
        self.requests = Requests(self.rows, options,
                                 has_business_module=any(m.audience == "business-use" for m in modules))
        self.history = History(self.rows, options, modules, settings, self.requests.business_request)
        self.report = Report()

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
        o, buf = self.o, self.rows.buf
        n_central = central_size(o.people, o.units)
        central_id = self.rows.id("units")
        schools = self.people.schools(o.people - n_central)
        buf["units"] = [(central_id, self.central_name, "central")] + [(uid, name, "school")
                                                                     for uid, name, _, _ in schools]
        self.report.units = 1 + o.units
        team, logins = self.people.central(n_central)
        self.report.logins += logins
        self._unit(central_id, team)
        if progress:
            progress(n_central)
        for index, (unit_id, _, domain, size) in enumerate(schools):
            self._school(index, unit_id, domain, size)
            if progress:
                progress(size)
            if len(buf["people"]) >= FLUSH_PEOPLE or len(buf["answers"]) >= FLUSH_ANSWERS:
                self.flush()
        self.flush()
        self.report.seconds = time.perf_counter() - started
        return self.report

    def flush(self) -> None:
        buf = self.rows.buf
        for table, rows in buf.items():
            if rows:
                self.writer.write(table, rows)
                self.report.rows[table] += len(rows)
                buf[table] = []

    def _school(self, index: int, unit_id: int, domain: str, size: int) -> None:
        team, logins = self.people.school(index, domain, size)
        self.report.logins += logins
        self._unit(unit_id, team)

    def _unit(self, unit_id: int, team: list[Member]) -> None:
        """One unit's people, their training and their requests, in the order the random source expects."""
        People.mark_managers(team)
        self.requests.assign(team)
        people, roles = self.rows.buf["people"], self.rows.buf["person_roles"]
        for m in team:
            last_seen = self.history.train(m)
            people.append(self.people.row(m, unit_id, last_seen, self.history.launch))
            for role in m.roles:
                roles.append((self.rows.id("person_roles"), m.id, role))
        by_id = {m.id: m for m in team}
        for m in team:
            for kind in m.requests:
                self.requests.request(unit_id, m, kind, by_id, self.people.ceo_id)
        self.report.people += len(team)
