"""Reading a query string: dates, date ranges, page numbers, ids, choices and text, each rule written once.

Every HTML page and CSV download reads its filters through `QueryArgs`, which keeps a problem for
each bad value rather than stopping at the first, so a page can list them all. A problem is worded
"name: what is wrong, and what to give instead", the name being the query parameter as people read
it ("staff type" for staff_type): the API turns the name back into the parameter it reports, and
pages show it through `said` ("Staff type: …."). Nothing out of range gets through: dates lie in
EARLIEST..LATEST (the dashboards' training years and week arithmetic fail beyond the years 1 to
9999, and no training happened before 2000) and numbers fit a 32-bit integer column.

Empty and absent mean the same (a form's "All units" sends unit=); a parameter given twice is a
problem, since which of the two was meant cannot be known.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date
from typing import TypeVar

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
ID_MAX = 2**31 - 1      # the largest value of an INTEGER column on PostgreSQL
PAGE_MAX = 100_000      # pages of 50: five million people
SHOWN_MAX = 40          # a value quoted back in a message is cut to this many characters
_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")  # ASCII digits only: not "２０２６", not 20260901
_WHOLE = re.compile(r"[0-9]{1,10}")

T = TypeVar("T")


def shown(value: str) -> str:
    """A value as quoted back in a message: in quotes, and cut short when long."""
    return repr(value if len(value) <= SHOWN_MAX else value[:SHOWN_MAX] + "…")


def label(name: str) -> str:
    """A parameter as people read it: staff_type is "staff type"."""
    return name.replace("_", " ")


def said(problem: str) -> str:
    """A problem as a sentence for a page: "to: 9999-09-01 is after …" is "To: 9999-09-01 is after …."."""
    text = problem[:1].upper() + problem[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def parameter_of(problem: str) -> str:
    """The query parameter a problem is about ("staff type: …" is staff_type)."""
    return problem.split(":", 1)[0].strip().lower().replace(" ", "_")


class QueryArgs:
    """The parameters of one request (any mapping; a MultiDict also tells a parameter given twice)."""

    def __init__(self, args: Mapping[str, str]) -> None:
        self.args = args
        self.problems: list[str] = []

    def problem(self, name: str, message: str) -> None:
        self.problems.append(f"{label(name)}: {message}")

    def one(self, name: str) -> str | None:
        """The value given for `name`, None when absent (and when given twice, which is a problem)."""
        values = self.args.getlist(name) if hasattr(self.args, "getlist") else (
            [self.args[name]] if name in self.args else [])
        if len(values) > 1:
            self.problem(name, f"given {len(values)} times; give it once")
            return None
        return values[0] if values else None

    def text(self, name: str, max_length: int) -> str | None:
        value = self.one(name)
        if not value:
            return None
        if len(value) > max_length:
            self.problem(name, f"at most {max_length} characters ({len(value):,} given)")
            return None
        return value

    def whole(self, name: str, low: int, high: int, what: str) -> int | None:
        """A whole number from `low` to `high`, written in ASCII digits (not "²", "-1", "1e3" or "١")."""
        value = self.one(name)
        if not value:
            return None
        if not (_WHOLE.fullmatch(value) and low <= int(value) <= high):
            self.problem(name, f"give {what}, a whole number from {low} to {high}")
            return None
        return int(value)

    def id(self, name: str, what: str) -> int | None:
        """The id of a row, as a number a database column can hold; whether it exists is the caller's to check."""
        return self.whole(name, 1, ID_MAX, f"{what} by its number")

    def page(self, name: str = "page") -> int:
        """A page number (1 when not given); one past the last page is the caller's to bring back."""
        return self.whole(name, 1, PAGE_MAX, "a page number") or 1

    def choice(self, name: str, options: Mapping[str, T]) -> T | None:
        value = self.one(name)
        if not value:
            return None
        if value not in options:
            self.problem(name, f"{shown(value)} is not one of " + ", ".join(options))
            return None
        return options[value]

    def date(self, name: str, covering: str = "the dashboards") -> date | None:
        """A day written YYYY-MM-DD, on the calendar and within EARLIEST..LATEST (what `covering` covers)."""
        value = self.one(name)
        if not value:
            return None
        match = _ISO_DAY.fullmatch(value)
        if not match:
            self.problem(name, f"{shown(value)} is not a date; give it as YYYY-MM-DD, such as 2026-09-01")
            return None
        year, month, day = (int(part) for part in match.groups())
        if (year, month, day) < (EARLIEST.year, EARLIEST.month, EARLIEST.day):
            self.problem(name, f"{value} is before {EARLIEST.isoformat()}, the earliest date {covering} cover")
        elif (year, month, day) > (LATEST.year, LATEST.month, LATEST.day):
            self.problem(name, f"{value} is after {LATEST.isoformat()}, the latest date {covering} cover")
        elif not 1 <= month <= 12:
            self.problem(name, f"{value} is not a date: there is no month {month}")
        elif not 1 <= day <= (days := calendar.monthrange(year, month)[1]):
            self.problem(name, f"{value} is not a date: {calendar.month_name[month]} {year} has {days} days")
        else:
            return date(year, month, day)
        return None

    def date_range(self, start_name: str = "from", end_name: str = "to") -> tuple[date | None, date | None]:
        """Two dates, the start not after the end (neither is kept when it is)."""
        start, end = self.date(start_name), self.date(end_name)
        if start and end and start > end:
            self.problem(start_name, f"{start.isoformat()} is after {label(end_name).capitalize()}, {end.isoformat()}: "
                                     "the start of the range comes first")
            return None, None
        return start, end
