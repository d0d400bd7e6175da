"""Checking a staff CSV: every row checked before anything is saved (no database here).

`read_staff_csv` (lms.people.staff_csv) decodes the file and maps its header to the documented
columns (lms.people.staff_columns); `check_rows` validates every row (lms.people.row_check), then
what needs the whole file (lms.people.cross_checks), and returns frozen `StaffRow` specs, or no
rows at all when there is any problem. Each problem names the row (as a spreadsheet numbers it:
the header is row 1) and the column as the file spells it. `lms.people.service.apply_import`
saves a problem-free file. The names callers use are importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lms.people.batches import PROGRESS_EVERY, Progress, counted
from lms.people.cross_checks import manager_loops, unknown_managers
from lms.people.problems import Problem, shown
from lms.people.row_check import RowCheck, StaffRow
from lms.people.staff_columns import COLUMNS, Column
from lms.people.staff_csv import StaffTable, read_staff_csv

__all__ = ["COLUMNS", "PROGRESS_EVERY", "Column", "Problem", "Progress", "StaffFile", "StaffRow", "StaffTable",
           "check_rows", "read_staff_csv", "shown"]


@dataclass(frozen=True)
class StaffFile:
    """A checked file: rows only when there are no problems."""

    rows: tuple[StaffRow, ...]
    problems: tuple[Problem, ...]
    present: frozenset[str]  # the column keys the file has; a missing optional column changes nothing
    ignored: tuple[str, ...] = ()


def check_rows(table: StaffTable, known: Mapping[str, str | None], progress: Progress | None = None) -> StaffFile:
    """Validate every row. `known` maps each email already in the system to its line manager's email."""
    present = frozenset(table.columns)
    if table.problems:
        return StaffFile(rows=(), problems=table.problems, present=present, ignored=table.ignored)
    check = RowCheck(table)
    problems: list[Problem] = []
    rows: list[StaffRow] = []
    manager_refs: list[tuple[int, str]] = []  # (row, manager email) of every row naming a valid manager
    for n, cells in counted(table.records, progress):
        row, row_problems, manager = check(n, cells)
        if manager is not None:
            manager_refs.append((n, manager))
        if row is None:
            problems.extend(row_problems)
        else:
            rows.append(row)
    if manager_refs:
        problems.extend(unknown_managers(manager_refs, check.first_row_of, known, check.header["line_manager"]))
    if not problems and "line_manager" in present:
        problems.extend(manager_loops(rows, known, check.header["line_manager"]))
    if problems:
        problems.sort(key=lambda p: p.row or 0)  # stable: a row's problems stay in column order
        return StaffFile(rows=(), problems=tuple(problems), present=present, ignored=table.ignored)
    return StaffFile(rows=tuple(rows), problems=(), present=present, ignored=table.ignored)
