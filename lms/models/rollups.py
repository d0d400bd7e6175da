"""Completion counts per unit, staff type and module: what the dashboards read instead of every record.

Derived data, rebuilt from module_progress and people (lms/dashboards/kept_counts.py). Database
triggers (migration 0009) mark a unit in `completion_dirty` whenever a progress row of one of
its people, or one of its people's unit, staff type or active flag changes, whatever wrote it
(a finish, the staff import's bulk statements, retention, the generator's COPY). Counts
depend on the day (overdue, due soon, expired): `completion_state` says which day and which
record settings they were counted for.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Enum, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.people import StaffType


class CompletionCount(db.Model):
    """Required modules of the active people of one unit and staff type, for one module, by state."""

    __tablename__ = "completion_counts"

    unit_id: Mapped[int] = mapped_column(primary_key=True)
    staff_type: Mapped[StaffType] = mapped_column(Enum(StaffType, native_enum=False, length=20), primary_key=True)
    module_id: Mapped[int] = mapped_column(primary_key=True)
    required: Mapped[int]    # also the people it is required of: one progress row per person and module
    completed: Mapped[int]
    overdue: Mapped[int]
    due_soon: Mapped[int]
    expired: Mapped[int]


class CompletionPeople(db.Model):
    """Active people of one unit and staff type with any module required (not the sum over modules)."""

    __tablename__ = "completion_people"

    unit_id: Mapped[int] = mapped_column(primary_key=True)
    staff_type: Mapped[StaffType] = mapped_column(Enum(StaffType, native_enum=False, length=20), primary_key=True)
    people: Mapped[int]


class CompletionDirty(db.Model):
    """Units whose counts are out of date; `version` goes up with each change (see kept_counts.refresh)."""

    __tablename__ = "completion_dirty"

    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(default=1)


class CompletionState(db.Model):
    """One row: the day and record settings the counts hold for (none: never counted)."""

    __tablename__ = "completion_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    as_of: Mapped[date]
    settings: Mapped[str] = mapped_column(String(200))


# --- kept counts by day: first passes and latest scores (the "over time" and "scores" charts) ---------
#
# Per unit, and summed over units (trust_…): a view of the whole trust reads a few thousand rows
# however many units there are; a view of some units reads theirs. Neither depends on the day
# (they count what happened on a day), so only changed units are recounted, never everything.

NO_EARLIER_PASS = date(1, 1, 1)  # `previous` of a person's first pass of a module


class _DayCount:
    """What every count by day has: whose (staff type), which module, which day, and how many."""

    staff_type: Mapped[StaffType] = mapped_column(Enum(StaffType, native_enum=False, length=20), primary_key=True)
    module_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(primary_key=True)
    n: Mapped[int]


class PassCount(_DayCount, db.Model):
    """Passes of required modules on `day` whose person's previous pass of the module was on `previous`.

    A range's first passes are its passes whose previous pass came before the range began.
    """

    __tablename__ = "pass_counts"

    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    previous: Mapped[date] = mapped_column(primary_key=True)


class TrustPassCount(_DayCount, db.Model):
    """PassCount summed over units."""

    __tablename__ = "trust_pass_counts"
    # A view of the trust reads one date range of these: from a covering index by day, not the whole table.
    __table_args__ = (Index("ix_trust_pass_counts_day", "day", "previous", "n"),)

    previous: Mapped[date] = mapped_column(primary_key=True)


class ScoreCount(_DayCount, db.Model):
    """Required modules whose latest result was submitted on `day` with a score in the band starting at `band`."""

    __tablename__ = "score_counts"

    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    band: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class TrustScoreCount(_DayCount, db.Model):
    """ScoreCount summed over units."""

    __tablename__ = "trust_score_counts"
    __table_args__ = (Index("ix_trust_score_counts_day", "day", "band", "n"),)

    band: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class CompletionUnit(db.Model):
    """CompletionCount and CompletionPeople summed over staff types and modules: one row per unit, so a view of
    every unit ranks 20,000 rows, not 300,000 (used when no staff type or module is filtered)."""

    __tablename__ = "completion_units"

    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    people: Mapped[int]
    required: Mapped[int]
    completed: Mapped[int]
    overdue: Mapped[int]
    due_soon: Mapped[int]
    expired: Mapped[int]


class RequestCount(db.Model):
    """Business-use requests (5.1) of the active people of one unit and staff type, by state, and how many people
    made them. Marked by a trigger on requests as well (migration 0011)."""

    __tablename__ = "request_counts"

    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    staff_type: Mapped[StaffType] = mapped_column(Enum(StaffType, native_enum=False, length=20), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    requests: Mapped[int]
    people: Mapped[int]
