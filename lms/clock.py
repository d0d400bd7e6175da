"""The one source of "now", so tests can move time and every timestamp is UTC.

Production never sets a fixed time; tests use `travel_to` to walk records through months.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_fixed: datetime | None = None
# Stored times are UTC; people in the trust read them on the clocks of England.
LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return _fixed if _fixed is not None else datetime.now(UTC)


def today() -> date:
    return utcnow().date()


def local(moment: datetime) -> datetime:
    """A stored (UTC) moment as the trust's clocks read it."""
    return moment.astimezone(LONDON)


def shown_at(moment: datetime | None) -> str:
    """A moment for a page: "7 Dec 2026, 17:05" in London time; nothing for none."""
    return local(moment).strftime("%-d %b %Y, %H:%M") if moment else ""


@contextmanager
def travel_to(moment: datetime | date) -> Iterator[None]:
    """Make utcnow() answer `moment` (a date means midday UTC) inside the block."""
    global _fixed
    if isinstance(moment, datetime):
        fixed = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    else:
        fixed = datetime(moment.year, moment.month, moment.day, 12, tzinfo=UTC)
    previous, _fixed = _fixed, fixed
    try:
        yield
    finally:
        _fixed = previous


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (29 Feb + 12 months = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")
