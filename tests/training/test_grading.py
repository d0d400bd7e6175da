"""The grading rule of scenarios/README.md, exactly."""

from decimal import Decimal

import pytest

from lms.models import Outcome
from lms.training.grading import POINTS, clause_matches, grade, has_passed, score_percent


@pytest.mark.parametrize(
    "verdict, clause, right_verdict, right_clauses, outcome",
    [
        ("breach", "4.4", "breach", ["4.4", "2.1(c)"], Outcome.correct),
        ("breach", "2.1(c)", "breach", ["4.4", "2.1(c)"], Outcome.correct),
        ("breach", "4.2", "breach", ["4.4"], Outcome.wrong_clause),
        ("breach", None, "breach", ["4.4"], Outcome.wrong_clause),
        ("compliant", None, "compliant", [], Outcome.correct),
        ("breach", "4.4", "compliant", [], Outcome.incorrect),
        ("compliant", None, "breach", ["4.4"], Outcome.incorrect),
    ],
)
def test_outcomes(verdict, clause, right_verdict, right_clauses, outcome):
    assert grade(verdict, clause, right_verdict, right_clauses) is outcome


def test_points_per_outcome():
    assert POINTS == {Outcome.correct: 1, Outcome.wrong_clause: Decimal("0.5"), Outcome.incorrect: 0}


def test_a_scenario_citing_2_1_matches_any_of_its_listed_obligations():
    assert clause_matches("2.1(e)", ["2.1"])
    assert not clause_matches("2.1", ["2.1(e)"])
    assert not clause_matches("2.10", ["2.1"])  # a prefix of the text is not a sub-clause


def test_score_is_points_over_scenarios_drawn():
    assert score_percent(Decimal("9.5"), 12) == Decimal("79.17")
    assert score_percent(Decimal("10"), 10) == Decimal("100.00")


def test_pass_is_compared_exactly_not_after_rounding():
    assert not has_passed(Decimal("9.5"), 12, 80)  # 79.1666…%
    assert has_passed(Decimal("8"), 10, 80)
    assert has_passed(Decimal("9.6"), 12, 80)
