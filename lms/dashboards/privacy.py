"""Small groups in views across units: one rule for the page's tables, its charts and the CSV files.

In a view that spans units (the whole trust, or several units), a group of fewer than
MIN_GROUP_SIZE people (default 5) shows "fewer than 5" instead of its numbers and is left out
of the chart. A headteacher's own unit and a line manager's reports are not hidden from them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from lms.dashboards.scope import Scope

T = TypeVar("T")
DEFAULT_MIN_GROUP_SIZE = 5


@dataclass(frozen=True)
class Privacy:
    threshold: int
    applies: bool  # only views that span units hide small groups

    @classmethod
    def for_scope(cls, scope: Scope, config: Mapping) -> Privacy:
        return cls(int(config.get("MIN_GROUP_SIZE", DEFAULT_MIN_GROUP_SIZE)), scope.spans_units)

    @property
    def label(self) -> str:
        """What a hidden group shows instead of its numbers."""
        return f"fewer than {self.threshold}"

    def hides(self, people: int) -> bool:
        """A group of this many people (more than none) is too small to show here."""
        return self.applies and 0 < people < self.threshold


@dataclass(frozen=True)
class Presented:
    """Groups as the page and the CSV show them."""

    shown: list[Any]        # the groups large enough to show: the chart draws these
    cells: list[list[Any]]  # one table (and CSV) row per group; a hidden group's numbers say "fewer than N"
    hidden: int             # how many groups were hidden


def present(rows: Iterable[T], privacy: Privacy, label: Callable[[T], str], numbers: Callable[[T], list[Any]],
            people: Callable[[T], int] = lambda row: row.people) -> Presented:
    """Table rows are [label, *numbers]; the first number is the group's people, where "fewer than N" goes."""
    shown, cells, hidden = [], [], 0
    for row in rows:
        values = numbers(row)
        if privacy.hides(people(row)):
            hidden += 1
            cells.append([label(row), privacy.label] + [None] * (len(values) - 1))
        else:
            shown.append(row)
            cells.append([label(row), *values])
    return Presented(shown, cells, hidden)
