"""What a valid content file becomes: frozen specs of the policy, its clauses, the modules and their
scenarios, and the vocabulary of the content contract (scenarios/README.md).

A spec exists only for a file with no problem at all (lms/content/schema.py); the hashes decide
whether `scenarios load` makes a new version (lms/content/store.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

PLATFORMS = (
    "facebook", "twitter", "instagram", "linkedin", "tiktok",
    "whatsapp", "blog", "wikipedia", "other",
)
ACCOUNTS = ("personal", "school_official", "trust_official")
VERDICTS = ("breach", "compliant")
AUDIENCES = ("all-staff", "business-use", "managers")
DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    where: str  # "scenario 'foo'", "module", "clause '2.2'", "policy" or ""
    field: str
    message: str

    def __str__(self) -> str:
        parts = [f"{self.path}:{self.line}"]
        if self.where:
            parts.append(self.where)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


@dataclass(frozen=True)
class ClauseSpec:
    number: str
    section: str
    title: str
    text: str
    pickable: bool = True
    guidance: bool = False  # a "should" clause: following it can be taught as well as breaking it


@dataclass(frozen=True)
class PolicySpec:
    version: str
    title: str
    owner: str
    issued: date
    review_due: date | None
    clauses: tuple[ClauseSpec, ...]

    @property
    def numbers(self) -> set[str]:
        return {c.number for c in self.clauses}

    @property
    def content_hash(self) -> str:
        """The policy's words only: titles and flags can be corrected without a new version."""
        data = asdict(self)
        data["clauses"] = [(c.number, c.text) for c in self.clauses]
        return _hash(data)

    def citable(self, number: str) -> bool:
        """A scenario may cite a pickable clause, or a parent whose sub-clauses are pickable."""
        for clause in self.clauses:
            if clause.pickable and (clause.number == number or clause.number.startswith(number + "(")):
                return True
        return False


@dataclass(frozen=True)
class ScenarioSpec:
    key: str
    platform: str
    author_role: str
    account: str
    posted_at: str
    authorised_business_use: bool
    post: str
    verdict: str
    clauses: tuple[str, ...]
    followed: tuple[str, ...]
    explanation: str
    difficulty: str | None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ModuleSpec:
    slug: str
    title: str
    summary: str
    audience: str
    pass_mark: int
    draw: int
    minutes: int
    scenarios: tuple[ScenarioSpec, ...]
    path: str = field(default="", compare=False)

    def content_hash(self, policy_version: str) -> str:
        data = asdict(self)
        data.pop("path")
        for s in data["scenarios"]:
            s.pop("line")
        data["policy_version"] = policy_version
        return _hash(data)


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def clause_group(verdict: str, clauses: Sequence[str], followed: Sequence[str]) -> str:
    """The clause a scenario teaches: its deciding clause, or the first it shows followed.

    Sub-clauses fold into their parent (2.1(c) -> 2.1). Every attempt draws at least one
    scenario from each group of its module.
    """
    if verdict == "breach" and clauses:
        number = clauses[0]
    elif followed:
        number = followed[0]
    else:
        return "none"
    return number.split("(", 1)[0]


def within(number: str, clause: str) -> bool:
    """`number` is `clause` or one of its sub-clauses: 2.1(c) is within 2.1; 2.10 is not."""
    return number == clause or number.startswith(clause + "(")


def same_or_nested(a: str, b: str) -> bool:
    """The same clause number, or one a sub-clause of the other: 2.1 and 2.1(c), either way round."""
    return within(a, b) or within(b, a)
