"""Taking a module: start or resume an attempt, record answers once, finish and score once.

Functions take a session and plain arguments and never commit; the view commits once.
Idempotency lives in the database: one open attempt per person and module (partial unique
index), one answer per attempt and scenario (unique constraint), and finishing is a
conditional UPDATE that only one caller can win.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, selectinload

from lms.clock import today, utcnow
from lms.content import clauses
from lms.content.spec import same_or_nested
from lms.models import (
    Answer,
    Attempt,
    AttemptItem,
    AttemptState,
    Clause,
    Contest,
    Module,
    ModuleProgress,
    ModuleVersion,
    Outcome,
    Person,
    Scenario,
)
from lms.records.renewal import record_pass
from lms.records.settings import RecordSettings
from lms.records.status import Standing, State, standing
from lms.training.draw import draw, group_of
from lms.training.grading import POINTS, grade, has_passed, score_percent


class TrainingError(Exception):
    """A request that cannot be carried out as asked; the message is for the person."""


@dataclass(frozen=True)
class ModuleCard:
    module: Module
    version: ModuleVersion
    progress: ModuleProgress | None
    answered: int  # answers in the open attempt, if any
    standing: Standing
    certificate_code: str | None = None  # of the pass that counts now, if any

    @property
    def required(self) -> bool:
        return self.progress is not None and self.progress.required

    @property
    def status(self) -> str:
        """The badge: the standing of a required module; "optional" for the rest until passed."""
        if not self.required and self.standing.state in (State.not_started, State.due_soon, State.overdue):
            return "optional"
        return self.standing.state.value

    @property
    def last_failed(self) -> bool:
        return self.progress is not None and self.progress.last_passed is False and not self.standing.current


def current_versions(session: Session) -> list[ModuleVersion]:
    return list(session.scalars(
        select(ModuleVersion).where(ModuleVersion.is_current).order_by(ModuleVersion.id)
    ))


def module_cards(session: Session, person: Person, settings: RecordSettings, on: date) -> list[ModuleCard]:
    """Every current module with the person's standing, in three queries whatever the count."""
    versions = current_versions(session)
    rows = session.execute(
        select(ModuleProgress, Attempt.certificate_code)
        .outerjoin(Attempt, Attempt.id == ModuleProgress.pass_attempt_id)
        .where(ModuleProgress.person_id == person.id)
    ).all()
    progress = {p.module_id: p for p, _ in rows}
    codes = {p.module_id: code for p, code in rows}
    open_ids = [p.open_attempt_id for p in progress.values() if p.open_attempt_id]
    answered = dict(session.execute(
        select(Answer.attempt_id, func.count()).where(Answer.attempt_id.in_(open_ids)).group_by(Answer.attempt_id)
    ).all()) if open_ids else {}
    cards = [
        ModuleCard(v.module, v, progress.get(v.module_id),
                   answered.get(progress[v.module_id].open_attempt_id, 0) if v.module_id in progress else 0,
                   standing(progress.get(v.module_id), on, settings), codes.get(v.module_id))
        for v in versions
    ]
    return sorted(cards, key=lambda c: not c.required)  # required modules first


def current_version(session: Session, slug: str) -> ModuleVersion | None:
    return session.scalar(
        select(ModuleVersion).join(Module).where(Module.slug == slug, ModuleVersion.is_current)
    )


def open_attempt(session: Session, person: Person, module_id: int) -> Attempt | None:
    return session.scalar(select(Attempt).where(
        Attempt.person_id == person.id, Attempt.module_id == module_id,
        Attempt.state == AttemptState.in_progress,
    ))


def attempts_for(session: Session, person: Person, module_id: int | None = None) -> list[Attempt]:
    query = (select(Attempt).where(Attempt.person_id == person.id)
             .options(selectinload(Attempt.module_version), selectinload(Attempt.policy_version))
             .order_by(Attempt.started_at.desc(), Attempt.id.desc()))
    if module_id is not None:
        query = query.where(Attempt.module_id == module_id)
    return list(session.scalars(query))


def start_or_resume(session: Session, person: Person, version: ModuleVersion, rng: random.Random | None = None) -> Attempt:
    """The person's open attempt at this module, or a new one with freshly drawn scenarios."""
    existing = open_attempt(session, person, version.module_id)
    if existing is not None:
        return existing
    attempt = Attempt(
        person_id=person.id, module_id=version.module_id, module_version_id=version.id,
        policy_version_id=version.policy_version_id, state=AttemptState.in_progress,
    )
    progress = _progress(session, person.id, version.module_id)
    refresh = _refresh_due(progress)
    pool = list(version.scenarios)
    if refresh:
        # A refresh after a policy change covers only the clauses that changed.
        attempt.kind, attempt.refresh_clauses = "refresh", refresh
        pool = [s for s in pool if relied_on_any(s, refresh)] or pool
    retry_groups, seen = _after_a_failure(session, person, version.module_id)
    chosen = draw(pool, version.draw, rng or random.Random(),  # noqa: S311 - order, not secrecy  # nosec B311
                  retry_groups=retry_groups, recently_seen=seen)
    attempt.items = [AttemptItem(position=i, scenario_id=s.id) for i, s in enumerate(chosen, start=1)]
    try:
        with session.begin_nested():
            session.add(attempt)
    except IntegrityError:
        # Another request (a second tab, a double click) opened it first: use theirs.
        existing = open_attempt(session, person, version.module_id)
        if existing is None:
            raise
        return existing
    progress.open_attempt_id = attempt.id
    progress.attempts_count += 1
    return attempt


def _refresh_due(progress: ModuleProgress) -> list[str] | None:
    """The clauses to refresh, while the pass they amend is still valid."""
    if progress.refresh_clauses and progress.valid_until and progress.valid_until >= today():
        return list(progress.refresh_clauses)
    return None


def relied_on_any(scenario: Scenario, numbers: list[str]) -> bool:
    cited = [*scenario.clauses, *scenario.followed]
    return any(same_or_nested(n, c) for n in numbers for c in cited)


def _after_a_failure(session: Session, person: Person, module_id: int) -> tuple[set[str], set[int]]:
    """Clause groups answered wrongly in the last attempt, if it failed, and what it showed."""
    last = session.scalar(
        select(Attempt).where(Attempt.person_id == person.id, Attempt.module_id == module_id,
                              Attempt.state == AttemptState.submitted)
        .order_by(Attempt.submitted_at.desc(), Attempt.id.desc()).limit(1)
    )
    if last is None or last.passed:
        return set(), set()
    rows = session.execute(
        select(Answer.outcome, Scenario.verdict, Scenario.clauses, Scenario.followed, Scenario.key)
        .join(Scenario, Scenario.id == Answer.scenario_id).where(Answer.attempt_id == last.id)
    ).all()
    wrong = {group_of(r) for r in rows if r.outcome != Outcome.correct}
    # The new version (if content changed) has new ids: remember what was seen by key.
    seen_keys = {r.key for r in rows}
    seen = {s.id for s in session.scalars(
        select(Scenario).join(ModuleVersion).where(ModuleVersion.module_id == module_id, ModuleVersion.is_current,
                                                   Scenario.key.in_(seen_keys)))}
    return wrong, seen


def next_position(session: Session, attempt: Attempt) -> int | None:
    """The first position without an answer, or None when every scenario is answered."""
    answered = select(Answer.scenario_id).where(Answer.attempt_id == attempt.id)
    return session.scalar(
        select(func.min(AttemptItem.position)).where(
            AttemptItem.attempt_id == attempt.id, AttemptItem.scenario_id.not_in(answered)
        )
    )


def item_at(session: Session, attempt: Attempt, position: int) -> AttemptItem | None:
    return session.scalar(select(AttemptItem).where(
        AttemptItem.attempt_id == attempt.id, AttemptItem.position == position
    ))


def answer_for(session: Session, attempt: Attempt, scenario_id: int) -> Answer | None:
    return session.scalar(select(Answer).where(Answer.attempt_id == attempt.id, Answer.scenario_id == scenario_id))


@dataclass(frozen=True)
class QuestionState:
    """One position of an attempt as the scenario page and an answer need it."""

    item: AttemptItem
    scenario: Scenario
    answer: Answer | None  # None: not answered yet
    total: int             # scenarios in the attempt
    upcoming: int | None   # the first unanswered position (next_position), None when all are answered


def question_state(session: Session, attempt: Attempt, position: int) -> QuestionState | None:
    """The item at `position` with its scenario, its answer if any, the attempt's size and the first
    unanswered position, in one statement (the scenario page is the page staff load most)."""
    others = aliased(AttemptItem)
    total = (select(func.count()).select_from(others).where(others.attempt_id == attempt.id)
             .scalar_subquery())
    answered = select(Answer.scenario_id).where(Answer.attempt_id == attempt.id)
    upcoming = (select(func.min(others.position))
                .where(others.attempt_id == attempt.id, others.scenario_id.not_in(answered)).scalar_subquery())
    row = session.execute(
        select(AttemptItem, Scenario, Answer, total, upcoming)
        .join(Scenario, Scenario.id == AttemptItem.scenario_id)
        .outerjoin(Answer, and_(Answer.attempt_id == attempt.id, Answer.scenario_id == AttemptItem.scenario_id))
        .where(AttemptItem.attempt_id == attempt.id, AttemptItem.position == position)
    ).first()
    return QuestionState(*row) if row is not None else None


def clauses_by_number(session: Session, policy_version_id: int) -> dict[str, Clause]:
    return {c.number: c for c in session.scalars(
        select(Clause).where(Clause.policy_version_id == policy_version_id).order_by(Clause.position)
    )}


@dataclass(frozen=True)
class Recorded:
    answer: Answer
    created: bool  # False: this scenario was already answered; the first answer stands


def record_answer(session: Session, attempt: Attempt, position: int, verdict: str,
                  clause: str | None, sure: bool | None) -> Recorded:
    """Record the answer to the scenario at `position`, exactly once."""
    state = question_state(session, attempt, position)
    if state is None:
        raise TrainingError(f"This attempt has no scenario {position}.")
    item = state.item
    if state.answer is not None:
        return Recorded(state.answer, False)
    if attempt.state != AttemptState.in_progress:
        raise TrainingError("This attempt is finished; start a new attempt to answer again.")
    if state.upcoming is not None and position > state.upcoming:
        raise TrainingError(f"Answer scenario {state.upcoming} first; scenarios are answered in order.")
    if verdict not in ("breach", "compliant"):
        raise TrainingError("Choose Compliant or Breach.")
    if verdict == "breach":
        valid = {c.number for c in clauses.pickable(session, attempt.policy_version)}
        if not clause:
            raise TrainingError("You answered Breach: choose the clause that is most clearly breached.")
        if clause not in valid:
            raise TrainingError(f"'{clause}' is not a clause you can choose.")
    else:
        clause = None
    scenario = state.scenario
    outcome = grade(verdict, clause, scenario.verdict, scenario.clauses)
    answer = Answer(attempt_id=attempt.id, scenario_id=scenario.id, verdict=verdict, clause=clause,
                    outcome=outcome, points=POINTS[outcome], sure=sure, answered_at=utcnow())
    try:
        with session.begin_nested():
            session.add(answer)
    except IntegrityError:
        existing = answer_for(session, attempt, item.scenario_id)
        if existing is None:
            raise
        return Recorded(existing, False)
    return Recorded(answer, True)


def finish_attempt(session: Session, attempt: Attempt, settings: RecordSettings) -> bool:
    """Score a fully answered attempt. True if this call finished it; False if already finished."""
    if attempt.state == AttemptState.submitted:
        return False
    if next_position(session, attempt) is not None:
        raise TrainingError("Answer every scenario before finishing.")
    drawn = len(attempt.items)
    points = session.scalar(select(func.coalesce(func.sum(Answer.points), 0)).where(Answer.attempt_id == attempt.id))
    points = Decimal(points)
    passed = has_passed(points, drawn, attempt.module_version.pass_mark)
    now = utcnow()
    won = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state == AttemptState.in_progress)
        .values(state=AttemptState.submitted, submitted_at=now, points=points,
                score=score_percent(points, drawn), passed=passed)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    session.refresh(attempt)
    if not won:
        return False
    progress = _progress(session, attempt.person_id, attempt.module_id)
    progress.open_attempt_id = None
    progress.last_attempt_id = attempt.id
    progress.last_score = attempt.score
    progress.last_passed = passed
    progress.last_submitted_at = now
    if passed:
        progress.passed_at = now
        progress.pass_score = attempt.score
        progress.pass_attempt_id = attempt.id
        record_pass(progress, attempt, settings, now.date())
    return True


def _progress(session: Session, person_id: int, module_id: int) -> ModuleProgress:
    progress = session.scalar(select(ModuleProgress).where(
        ModuleProgress.person_id == person_id, ModuleProgress.module_id == module_id
    ).with_for_update())
    if progress is not None:
        return progress
    progress = ModuleProgress(person_id=person_id, module_id=module_id, attempts_count=0)
    try:
        with session.begin_nested():
            session.add(progress)
    except IntegrityError:
        progress = session.scalar(select(ModuleProgress).where(
            ModuleProgress.person_id == person_id, ModuleProgress.module_id == module_id
        ).with_for_update())
    return progress


CONTEST_MIN, CONTEST_MAX = 10, 2000


def contest(session: Session, person: Person, attempt: Attempt, position: int, reason: str) -> Contest:
    """Record "I think this answer is wrong" against an answered scenario, once per attempt."""
    item = item_at(session, attempt, position)
    if item is None or answer_for(session, attempt, item.scenario_id) is None:
        raise TrainingError("Answer the scenario before contesting its marking.")
    reason = " ".join((reason or "").split())
    if not CONTEST_MIN <= len(reason) <= CONTEST_MAX:
        raise TrainingError(f"Say why in {CONTEST_MIN} to {CONTEST_MAX} characters.")
    entry = Contest(person_id=person.id, attempt_id=attempt.id, scenario_id=item.scenario_id, reason=reason)
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        raise TrainingError("You have already contested this scenario in this attempt; a trust lead will review it.")
    return entry


def contest_for(session: Session, attempt: Attempt, scenario_id: int) -> Contest | None:
    return session.scalar(select(Contest).where(Contest.attempt_id == attempt.id, Contest.scenario_id == scenario_id))


def sure_but_wrong(attempt: Attempt) -> list[AttemptItem]:
    """The items the person was sure of and still got wrong: the misunderstandings to revisit."""
    answers = {a.scenario_id: a for a in attempt.answers}
    return [i for i in attempt.items
            if (a := answers.get(i.scenario_id)) is not None and a.sure and a.outcome != Outcome.correct]
