"""The grading rule of the content contract (scenarios/README.md), as pure functions."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from lms.content.spec import within
from lms.models.training import Outcome

POINTS = {Outcome.correct: Decimal("1"), Outcome.wrong_clause: Decimal("0.5"), Outcome.incorrect: Decimal("0")}


def clause_matches(chosen: str | None, cited: Iterable[str]) -> bool:
    """A chosen clause matches a cited one exactly, or as a sub-clause of it (2.1(c) of 2.1)."""
    return bool(chosen) and any(within(chosen, c) for c in cited)


def grade(verdict: str, clause: str | None, right_verdict: str, right_clauses: Iterable[str]) -> Outcome:
    if verdict != right_verdict:
        return Outcome.incorrect
    if verdict == "compliant" or clause_matches(clause, right_clauses):
        return Outcome.correct
    return Outcome.wrong_clause


def score_percent(points: Decimal, drawn: int) -> Decimal:
    """Points as a percent of the scenarios drawn, rounded to 2 places for display."""
    return (points * 100 / drawn).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def has_passed(points: Decimal, drawn: int, pass_mark: int) -> bool:
    """Exact comparison: 9.5 of 12 is 79.17%, which fails a pass mark of 80."""
    return points * 100 >= Decimal(pass_mark) * drawn
