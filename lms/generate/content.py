"""The loaded training content, reduced to what the generator needs to answer it plausibly.

Each scenario gets its right answer and a short list of plausible wrong ones, graded once here by
`lms.training.grading.grade` (the app's own rule), so every generated answer is marked as the app
would mark it and only pickable clauses are ever chosen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.content.spec import clause_group
from lms.models import Clause, Module, ModuleVersion, Scenario
from lms.training.grading import POINTS, clause_matches, grade

# An answer as stored: (verdict, clause, outcome, points as a float, points in halves).
Answer = tuple[str, str | None, str, float, int]

# How much likelier than average a mistake is, by the scenario's difficulty.
ERROR_WEIGHT = {"easy": 0.55, "medium": 1.0, "hard": 1.9}
# Of 20 wrong answers to a breach, how many name the wrong clause (the rest call it compliant):
# a hard scenario is more often "right verdict, wrong clause".
WRONG_CLAUSE_SHARE = {"easy": 8, "medium": 11, "hard": 14}
WRONG_SLOTS = 20


@dataclass(frozen=True)
class ScenarioPlan:
    id: int
    group: int  # index into ModulePlan.groups
    error_weight: float
    right: Answer
    wrong: tuple[Answer, ...]  # WRONG_SLOTS entries; repeats make the likelier mistakes likelier


@dataclass(frozen=True)
class ModulePlan:
    slug: str
    module_id: int
    version_id: int
    policy_version_id: int
    audience: str
    pass_mark: int
    draw: int
    scenarios: tuple[ScenarioPlan, ...]
    groups: tuple[tuple[int, ...], ...]  # scenario indices per clause group, as the app's draw sees them


class NoContent(Exception):
    """No training content is loaded."""


def _answer(verdict: str, clause: str | None, scenario: Scenario) -> Answer:
    outcome = grade(verdict, clause, scenario.verdict, scenario.clauses)
    return (verdict, clause, outcome.value, float(POINTS[outcome]), int(POINTS[outcome] * 2))


def _section(number: str) -> str:
    return number.split("(")[0].split(".")[0]


def _plan_scenario(scenario: Scenario, group: int, pickable: list[str], common: list[str],
                   rng: random.Random) -> ScenarioPlan:
    difficulty = scenario.difficulty or "medium"
    weight = ERROR_WEIGHT.get(difficulty, 1.0)
    if scenario.verdict == "compliant":
        right = _answer("compliant", None, scenario)
        # The classic mistake: thinking a clause the post follows was broken.
        followed = [c for c in pickable if clause_matches(c, scenario.followed)]
        pool = followed * 3 + [c for c in common if c not in followed]
        wrong = tuple(_answer("breach", rng.choice(pool), scenario) for _ in range(WRONG_SLOTS))
        return ScenarioPlan(scenario.id, group, weight, right, wrong)
    deciding = [c for c in pickable if clause_matches(c, scenario.clauses[:1])] or \
        [c for c in pickable if clause_matches(c, scenario.clauses)] or [scenario.clauses[0]]
    right = _answer("breach", deciding[0], scenario)
    others = [c for c in pickable if not clause_matches(c, scenario.clauses)]
    near = [c for c in others if _section(c) == _section(scenario.clauses[0])]
    # Each scenario has one favourite wrong clause (so "most chosen wrong clause" means something),
    # preferably a neighbour in the same section, else a clause the module often decides on.
    favourite = rng.choice(near or [c for c in common if c in others] or others)
    spread = near + [c for c in common if c in others] + others
    clause_count = WRONG_CLAUSE_SHARE.get(difficulty, 9)
    wrong_clauses = [favourite if rng.random() < 0.6 else rng.choice(spread) for _ in range(clause_count)]
    wrong = [_answer("breach", c, scenario) for c in wrong_clauses]
    wrong += [_answer("compliant", None, scenario)] * (WRONG_SLOTS - clause_count)
    return ScenarioPlan(scenario.id, group, weight, right, tuple(wrong))


def module_plans(session: Session, seed: int) -> list[ModulePlan]:
    """Every current module, by slug. Raises NoContent when nothing is loaded."""
    rows = session.execute(
        select(ModuleVersion, Module.slug).join(Module, Module.id == ModuleVersion.module_id)
        .where(ModuleVersion.is_current).order_by(Module.slug)
    ).all()
    if not rows:
        raise NoContent("no training content is loaded")
    rng = random.Random(f"content:{seed}")  # noqa: S311 - synthetic data, not secrets  # nosec B311
    plans = []
    for version, slug in rows:
        pickable = list(session.scalars(select(Clause.number).where(
            Clause.policy_version_id == version.policy_version_id, Clause.pickable).order_by(Clause.position)))
        scenarios = list(session.scalars(select(Scenario).where(Scenario.module_version_id == version.id)
                                         .order_by(Scenario.position)))
        if not scenarios:
            continue
        counts: dict[str, int] = {}
        for s in scenarios:
            if s.verdict == "breach":
                for c in pickable:
                    if clause_matches(c, s.clauses[:1]):
                        counts[c] = counts.get(c, 0) + 1
        common = sorted(counts, key=lambda c: (-counts[c], pickable.index(c)))[:6] or pickable[:6]
        group_names: list[str] = []
        members: list[list[int]] = []
        planned = []
        for index, s in enumerate(scenarios):
            name = clause_group(s.verdict, s.clauses, s.followed)
            if name not in group_names:
                group_names.append(name)
                members.append([])
            members[group_names.index(name)].append(index)
            planned.append(_plan_scenario(s, group_names.index(name), pickable, common, rng))
        plans.append(ModulePlan(slug, version.module_id, version.id, version.policy_version_id, version.audience,
                                version.pass_mark, version.draw, tuple(planned), tuple(tuple(m) for m in members)))
    if not plans:
        raise NoContent("no training content is loaded")
    return plans
