"""Which parts of the policy staff understand: SQL aggregates over the answers they gave.

Every number is a GROUP BY over answers ⨝ submitted attempts ⨝ people ⨝ scenarios, limited
by the viewer's scope and the filters in the URL (unit, staff type, module, and a date range
on when the attempt was submitted). Nothing here loads answers into Python, and each query
function issues one statement whatever the number of people.

Definitions
- share right: answers marked `correct` over all answers (a right verdict with a wrong clause
  is not right).
- most chosen wrong clause: among answers that said "breach" and were not correct
  (`wrong_clause`, or `incorrect` on a compliant scenario), the clause chosen most often; ties
  go to the lowest clause number as text.
- discrimination index: share right among answers from the top 27% of attempts by score,
  minus share right among answers from the bottom 27%. Attempts are ranked in SQL by
  PERCENT_RANK within the filtered set, separately per module and attempt kind (a refresh
  attempt's score is not comparable with a full one). An attempt is in the top group when
  PERCENT_RANK() OVER (ORDER BY score DESC) <= 0.27, in the bottom group when the same rank
  in ascending order is <= 0.27; attempts tied at the boundary all belong (so when everyone
  has the same score both groups are everyone, and the index is 0).
- "policy wording may be unclear": at least FLAG_MIN_ANSWERS answers and fewer than half of
  the top group's answers right: even high scorers go wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, and_, case, distinct, func, literal, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from lms.dashboards.scope import Filters, Scope
from lms.models import (
    Answer,
    Attempt,
    AttemptState,
    Clause,
    Contest,
    Module,
    ModuleVersion,
    Outcome,
    Person,
    PolicyVersion,
    Scenario,
    Unit,
)

GROUP_SHARE = 0.27  # the top and bottom groups of the discrimination index (Kelley's 27%)
FLAG_MIN_ANSWERS = 10  # fewer answers than this are too few to call the wording unclear
FLAG_TOP_SHARE = 0.5  # flagged when fewer than this share of the top group's answers are right
CONTESTS_SHOWN = 5  # newest contests listed under each flagged scenario


# --- the shared FROM and WHERE -------------------------------------------------------------

def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def attempt_conditions(scope: Scope, filters: Filters) -> list[ColumnElement[bool]]:
    """Submitted attempts of people in the scope that pass the filters (Person and Module joined)."""
    conditions: list[ColumnElement[bool]] = [Attempt.state == AttemptState.submitted, scope.people_filter()]
    conditions += _people_and_module(filters)
    if filters.date_from:
        conditions.append(Attempt.submitted_at >= _day_start(filters.date_from))
    if filters.date_to:  # the whole of the last day
        conditions.append(Attempt.submitted_at < _day_start(filters.date_to + timedelta(days=1)))
    return conditions


def _people_and_module(filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.unit_id is not None:
        conditions.append(Person.unit_id == filters.unit_id)
    if filters.staff_type is not None:
        conditions.append(Person.staff_type == filters.staff_type)
    if filters.module:
        conditions.append(Module.slug == filters.module)
    return conditions


def _answers(scope: Scope, filters: Filters) -> Select:
    """FROM answers ⨝ attempts ⨝ people ⨝ modules ⨝ scenarios, limited to the scope and filters."""
    return (select().select_from(Answer)
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .join(Person, Person.id == Attempt.person_id)
            .join(Module, Module.id == Attempt.module_id)
            .join(Scenario, Scenario.id == Answer.scenario_id)
            .where(*attempt_conditions(scope, filters)))


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- the heatmap: unit × clause group ------------------------------------------------------

@dataclass(frozen=True)
class HeatCell:
    unit_id: int
    unit: str
    group: str  # scenario.clause_group
    answers: int
    correct: int
    people: int

    @property
    def share(self) -> float | None:
        return _share(self.correct, self.answers)


def _clause_sort_key(number: str) -> tuple:
    """2.1 < 2.10 < 10.1; "none" last."""
    parts = re.findall(r"\d+|\D+", number)
    return (number == "none", [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts])


def heatmap(session: Session, scope: Scope, filters: Filters) -> list[HeatCell]:
    """Answers, right answers and distinct people per unit and clause group (one statement)."""
    query = (_answers(scope, filters).join(Unit, Unit.id == Person.unit_id)
             .add_columns(Unit.id, Unit.name, Scenario.clause_group, func.count().label("answers"),
                          _count_if(Answer.outcome == Outcome.correct).label("correct"),
                          func.count(distinct(Attempt.person_id)).label("people"))
             .group_by(Unit.id, Unit.name, Scenario.clause_group))
    cells = [HeatCell(r[0], r[1], r[2], r[3], int(r[4]), r[5]) for r in session.execute(query)]
    return sorted(cells, key=lambda c: (c.unit, c.unit_id, _clause_sort_key(c.group)))


def clause_titles(session: Session) -> dict[str, str]:
    """Clause number -> title in the current policy, to label the clause groups (one statement)."""
    rows = session.execute(select(Clause.number, Clause.title).join(PolicyVersion)
                           .where(PolicyVersion.is_current))
    return {number: title for number, title in rows}


def clause_groups(cells: list[HeatCell]) -> list[str]:
    return sorted({c.group for c in cells}, key=_clause_sort_key)


# --- scenario analysis ----------------------------------------------------------------------

@dataclass
class ScenarioStats:
    module: str  # slug
    key: str
    answered: int
    people: int
    correct: int
    wrong_clause: int
    top_answers: int
    top_correct: int
    bottom_answers: int
    bottom_correct: int
    contests: int = 0
    wrong_choice: str | None = None  # the most chosen wrong clause
    wrong_choice_count: int = 0
    # from the newest version of the scenario
    title: str = ""
    verdict: str = ""
    clauses: list[str] = field(default_factory=list)
    clause_group: str = ""
    post: str = ""
    explanation: str = ""
    contest_list: list[ContestNote] = field(default_factory=list)
    hidden: bool = False  # fewer people than the privacy threshold: no shares, no flag

    @property
    def share_correct(self) -> float | None:
        return _share(self.correct, self.answered)

    @property
    def share_wrong_clause(self) -> float | None:
        return _share(self.wrong_clause, self.answered)

    @property
    def top_share(self) -> float | None:
        return _share(self.top_correct, self.top_answers)

    @property
    def bottom_share(self) -> float | None:
        return _share(self.bottom_correct, self.bottom_answers)

    @property
    def discrimination(self) -> float | None:
        if self.top_share is None or self.bottom_share is None:
            return None
        return self.top_share - self.bottom_share

    @property
    def unclear(self) -> bool:
        """Policy wording may be unclear: enough answers, and even the high scorers mostly go wrong."""
        top = self.top_share
        return not self.hidden and self.answered >= FLAG_MIN_ANSWERS and top is not None and top < FLAG_TOP_SHARE


@dataclass(frozen=True)
class ContestNote:
    module: str
    key: str
    reason: str
    created_at: datetime
    name: str
    person_id: int | None = None  # for the audit log when the name is shown


def ranked_attempts(scope: Scope, filters: Filters):
    """The filtered attempts, each with its place from the top and from the bottom by score (a CTE)."""
    window = dict(partition_by=(Attempt.module_id, Attempt.kind))
    return (select(Attempt.id.label("attempt_id"), Attempt.person_id, Module.slug.label("slug"),
                   func.percent_rank().over(order_by=Attempt.score.desc(), **window).label("from_top"),
                   func.percent_rank().over(order_by=Attempt.score.asc(), **window).label("from_bottom"))
            .select_from(Attempt)
            .join(Person, Person.id == Attempt.person_id)
            .join(Module, Module.id == Attempt.module_id)
            .where(*attempt_conditions(scope, filters))
            .cte("ranked"))


def scenario_counts(session: Session, scope: Scope, filters: Filters) -> list[ScenarioStats]:
    """Per module and scenario key (across module versions), in one statement."""
    ranked = ranked_attempts(scope, filters)
    right = Answer.outcome == Outcome.correct
    top = ranked.c.from_top <= GROUP_SHARE
    bottom = ranked.c.from_bottom <= GROUP_SHARE
    query = (select(ranked.c.slug, Scenario.key, func.count().label("answered"),
                    func.count(distinct(ranked.c.person_id)).label("people"),
                    _count_if(right), _count_if(Answer.outcome == Outcome.wrong_clause),
                    _count_if(top), _count_if(and_(top, right)),
                    _count_if(bottom), _count_if(and_(bottom, right)))
             .select_from(Answer)
             .join(ranked, ranked.c.attempt_id == Answer.attempt_id)
             .join(Scenario, Scenario.id == Answer.scenario_id)
             .group_by(ranked.c.slug, Scenario.key))
    return [ScenarioStats(r[0], r[1], r[2], r[3], *(int(v) for v in r[4:])) for r in session.execute(query)]


def most_chosen_wrong_clauses(session: Session, scope: Scope, filters: Filters) -> dict[tuple[str, str], tuple[str, int]]:
    """(module, key) -> (clause, times chosen): the top wrong clause per scenario, picked by ROW_NUMBER in SQL."""
    times = func.count()
    per_clause = (_answers(scope, filters)
                  .add_columns(Module.slug.label("slug"), Scenario.key.label("key"), Answer.clause.label("clause"),
                               times.label("times"),
                               func.row_number().over(partition_by=(Module.slug, Scenario.key),
                                                      order_by=(times.desc(), Answer.clause)).label("place"))
                  .where(Answer.verdict == "breach", Answer.clause.is_not(None),
                         Answer.outcome.in_((Outcome.wrong_clause, Outcome.incorrect)))
                  .group_by(Module.slug, Scenario.key, Answer.clause)
                  .subquery())
    rows = session.execute(select(per_clause.c.slug, per_clause.c.key, per_clause.c.clause, per_clause.c.times)
                           .where(per_clause.c.place == 1))
    return {(r.slug, r.key): (r.clause, r.times) for r in rows}


def _contests(scope: Scope, filters: Filters) -> Select:
    """FROM contests ⨝ people ⨝ scenarios ⨝ module versions ⨝ modules, by people in scope, raised in the date range."""
    query = (select().select_from(Contest)
             .join(Person, Person.id == Contest.person_id)
             .join(Scenario, Scenario.id == Contest.scenario_id)
             .join(ModuleVersion, ModuleVersion.id == Scenario.module_version_id)
             .join(Module, Module.id == ModuleVersion.module_id)
             .where(scope.people_filter(), *_people_and_module(filters)))
    if filters.date_from:
        query = query.where(Contest.created_at >= _day_start(filters.date_from))
    if filters.date_to:
        query = query.where(Contest.created_at < _day_start(filters.date_to + timedelta(days=1)))
    return query


def contest_counts(session: Session, scope: Scope, filters: Filters) -> dict[tuple[str, str], int]:
    """Contests per module and scenario key, joined by key so every version's contests count (one statement)."""
    query = (_contests(scope, filters).add_columns(Module.slug, Scenario.key, func.count())
             .group_by(Module.slug, Scenario.key))
    return {(r[0], r[1]): r[2] for r in session.execute(query)}


def contest_notes(session: Session, scope: Scope, filters: Filters,
                  wanted: list[tuple[str, str]]) -> list[ContestNote]:
    """The newest CONTESTS_SHOWN contests of each wanted (module, key), newest first (one statement, always)."""
    place = func.row_number().over(partition_by=(Module.slug, Scenario.key),
                                   order_by=(Contest.created_at.desc(), Contest.id.desc()))
    inner = (_contests(scope, filters)
             .add_columns(Module.slug.label("slug"), Scenario.key.label("key"), Contest.reason.label("reason"),
                          Contest.created_at.label("created_at"), Contest.id.label("id"),
                          (Person.first_name + literal(" ") + Person.last_name).label("name"),
                          Person.id.label("person_id"), place.label("place"))
             .where(tuple_(Module.slug, Scenario.key).in_(wanted))
             .subquery())
    rows = session.execute(select(inner.c.slug, inner.c.key, inner.c.reason, inner.c.created_at, inner.c.name,
                                  inner.c.person_id)
                           .where(inner.c.place <= CONTESTS_SHOWN)
                           .order_by(inner.c.slug, inner.c.key, inner.c.created_at.desc(), inner.c.id.desc()))
    return [ContestNote(r.slug, r.key, r.reason, _aware(r.created_at), r.name, r.person_id) for r in rows]


def _aware(moment: datetime) -> datetime:
    # Through a subquery the column keeps UTCDateTime on both backends; guard anyway.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ScenarioText:
    verdict: str
    clauses: list[str]
    clause_group: str
    post: str
    explanation: str
    title: str


def scenario_texts(session: Session, filters: Filters) -> dict[tuple[str, str], ScenarioText]:
    """Each scenario's newest version (ROW_NUMBER over versions), for labels and flagged rows (one statement)."""
    newest = func.row_number().over(partition_by=(Module.slug, Scenario.key),
                                    order_by=ModuleVersion.version_no.desc())
    inner = (select(Module.slug.label("slug"), Scenario.key.label("key"), Scenario.verdict, Scenario.clauses,
                    Scenario.clause_group, Scenario.post, Scenario.explanation, ModuleVersion.title,
                    newest.label("place"))
             .join(ModuleVersion, ModuleVersion.id == Scenario.module_version_id)
             .join(Module, Module.id == ModuleVersion.module_id))
    if filters.module:
        inner = inner.where(Module.slug == filters.module)
    inner = inner.subquery()
    rows = session.execute(select(inner).where(inner.c.place == 1))
    return {(r.slug, r.key): ScenarioText(r.verdict, list(r.clauses or []), r.clause_group, r.post,
                                          r.explanation, r.title) for r in rows}


def _order(row: ScenarioStats) -> tuple:
    """Flagged first, then by discrimination index ascending (none last), then module and key.

    Hidden rows come last in module and key order, so their place tells nothing of their scores.
    """
    index = None if row.hidden else row.discrimination
    return (row.hidden, not row.unclear, index is None, index if index is not None else 0.0, row.module, row.key)


def scenario_analysis(session: Session, scope: Scope, filters: Filters,
                      min_people: int | None = None) -> list[ScenarioStats]:
    """Every answered scenario with its stats, most chosen wrong clause, contests and text.

    `min_people` (the privacy threshold, in views that span units) hides the scores of
    scenarios answered by fewer people. Five statements whatever the number of people;
    flagged rows carry their newest contests.
    """
    rows = scenario_counts(session, scope, filters)
    wrong = most_chosen_wrong_clauses(session, scope, filters)
    contests = contest_counts(session, scope, filters)
    texts = scenario_texts(session, filters)
    for row in rows:
        ident = (row.module, row.key)
        row.hidden = min_people is not None and row.people < min_people
        row.wrong_choice, row.wrong_choice_count = wrong.get(ident, (None, 0))
        row.contests = contests.get(ident, 0)
        text = texts.get(ident)
        if text is not None:
            row.title, row.verdict, row.clauses = text.title, text.verdict, text.clauses
            row.clause_group, row.post, row.explanation = text.clause_group, text.post, text.explanation
    rows.sort(key=_order)
    notes = contest_notes(session, scope, filters, [(r.module, r.key) for r in rows if r.unclear])
    by_ident = {(r.module, r.key): r for r in rows}
    for note in notes:
        by_ident[(note.module, note.key)].contest_list.append(note)
    return rows
