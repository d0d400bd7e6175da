"""Checks across a staff file's rows (no database): line managers who exist, and who never loop.

These need every row first. `known` maps each email already in the system to its line manager's
email (`service.known_people` reads it in one query), so a manager may be in the file or already
in the system, and a loop may run through people who are not in the file at all.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence

from lms.people.problems import Problem, shown
from lms.people.row_check import StaffRow


def unknown_managers(refs: Sequence[tuple[int, str]], in_file: Container[str], known: Mapping[str, str | None],
                     column: str) -> list[Problem]:
    """Each (row, manager email) whose manager is neither in the file nor in the system."""
    return [Problem(n, column, (
        f"{shown(manager)} is not in this file or in the system; add the line manager "
        "to the file, or leave the cell blank."))
        for n, manager in refs if manager not in in_file and manager not in known]


def manager_loops(rows: Sequence[StaffRow], known: Mapping[str, str | None], column: str) -> list[Problem]:
    """Following line managers (the file's, else the system's) never leads back to where it started."""
    in_file = {r.email: r for r in rows}
    problems = []

    def manager_of(email: str) -> str | None:
        return in_file[email].line_manager_email if email in in_file else known.get(email)

    state: dict[str, int] = {}  # 1 = on the current path, 2 = known to end without a loop
    for r in rows:
        path: list[str] = []
        current: str | None = r.email
        while current is not None and state.get(current) is None:
            state[current] = 1
            path.append(current)
            current = manager_of(current)
        if current is not None and state.get(current) == 1:
            loop = path[path.index(current):]
            first = min(loop, key=lambda e: in_file[e].row if e in in_file else 1 << 62)
            problems.append(Problem(in_file[first].row if first in in_file else r.row, column, (
                "line managers go round in a loop: " + " → ".join(shown(e, 60) for e in [*loop, loop[0]])
                + "; someone in the loop must report to someone outside it.")))
        for email in path:
            state[email] = 2
    return problems
