"""The dashboards' periods: the training year, a view's date range, and whole days in SQL.

Completion is a snapshot as of today; the date range applies to attempts (completion over time,
scores, understanding). Without dates a view covers the training year, on both pages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from lms.dashboards.scope import Filters


def training_year(day: date) -> tuple[date, date]:
    """1 September to 31 August, the year that contains `day`."""
    start = date(day.year if day.month >= 9 else day.year - 1, 9, 1)
    return start, date(start.year + 1, 8, 31)


def date_range(filters: Filters, today: date) -> tuple[date, date]:
    """The filters' range; without one, the training year containing today (or containing the one date given)."""
    if filters.date_from and filters.date_to:
        return filters.date_from, filters.date_to
    if filters.date_from:
        return filters.date_from, max(today, filters.date_from)
    if filters.date_to:
        return training_year(filters.date_to)[0], filters.date_to
    return training_year(today)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in UTC, for comparing timestamps with whole days."""
    return datetime.combine(start, time(), UTC), datetime.combine(end + timedelta(days=1), time(), UTC)


class WeekIndex(FunctionElement):
    """Whole weeks from a date to a timestamp's day, as an integer (0 for the first seven days)."""

    type = Integer()
    inherit_cache = True
    name = "week_index"


@compiles(WeekIndex, "sqlite")
def _week_index_sqlite(element, compiler, **kw):
    moment, start = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST(julianday(date({moment})) - julianday({start}) AS INTEGER) / 7)"


@compiles(WeekIndex)
def _week_index_default(element, compiler, **kw):  # PostgreSQL: date - date is a number of days
    moment, start = (compiler.process(c, **kw) for c in element.clauses)
    return f"((CAST({moment} AS DATE) - CAST({start} AS DATE)) / 7)"
