"""What to generate: the size presets and the checks on the numbers asked for."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """`units` schools plus the central team; `people` in all; `attempts` per person on average."""

    units: int
    people: int
    attempts: float
    seed: int = 1


@dataclass(frozen=True)
class Size:
    units: int
    people: int
    attempts: float
    about: str


# About 11 answers per attempt (the modules draw 10 or 12 scenarios; unfinished attempts have fewer).
SIZES: dict[str, Size] = {
    "small": Size(1, 100, 4.0, "1 school and the central team, 100 people, 4 attempts each, about 4,000 answers"),
    "trust": Size(100, 20_000, 4.5, "100 schools, 20,000 people, 4.5 attempts each, about 1 million answers"),
    "national": Size(20_000, 1_000_000, 1.7, "20,000 schools, 1,000,000 people, 1.7 attempts each, about 20 million "
                                              "answers, PostgreSQL only"),
}

SQLITE_MAX_PEOPLE = 200_000  # beyond this SQLite takes too long and the file runs to gigabytes
MAX_ATTEMPTS = 40.0
SCHOOL_MIN_PEOPLE = 3  # a headteacher, a line manager and one member of staff
HEADS_PER_REGIONAL_DIRECTOR = 30  # larger trusts put regional directors between the CEO and headteachers


def regional_directors(units: int) -> int:
    return 0 if units <= HEADS_PER_REGIONAL_DIRECTOR else math.ceil(units / HEADS_PER_REGIONAL_DIRECTOR)


def central_size(people: int, units: int) -> int:
    """The central team: about 1 in 80 of the trust's staff (6 to 250), plus any regional directors."""
    return min(250, max(6, people // 80)) + regional_directors(units)


def problems(options: Options, backend: str) -> list[str]:
    """Every reason these options cannot be generated, each naming the option; empty when fine."""
    found = []
    if options.units < 1:
        found.append(f"--units: at least 1 school is needed ({options.units} given).")
    if options.people < 1:
        found.append(f"--people: at least 1 person is needed ({options.people} given).")
    if not 0 <= options.attempts <= MAX_ATTEMPTS:
        found.append(f"--attempts: give an average between 0 and {MAX_ATTEMPTS:g} attempts per person "
                     f"({options.attempts:g} given).")
    if found:
        return found
    needed = central_size(options.people, options.units) + SCHOOL_MIN_PEOPLE * options.units
    if options.people < needed:
        found.append(f"--people: {options.units} school(s) need at least {needed} people (a headteacher, a line "
                     f"manager and one member of staff each, plus the central team); {options.people} given.")
    if backend == "sqlite" and options.people > SQLITE_MAX_PEOPLE:
        found.append(f"--people: {options.people:,} people is too many for SQLite (at most {SQLITE_MAX_PEOPLE:,}); "
                     "the national size is for PostgreSQL only: set DATABASE_URL=postgresql://... and run "
                     "'flask --app wsgi db upgrade' first.")
    return found
