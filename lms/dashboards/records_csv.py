"""Everyone's training records as one CSV, written while it is read, for a trust of any size.

One row per active person and required module, the rows of the API's team records
(`dashboards.team_records.iter_team_records`, trust-wide): read a batch at a time through a server-side
cursor on PostgreSQL, encoded and handed on a chunk at a time, so memory stays flat whether the
trust has a hundred people or a million. Cells a spreadsheet would read as a formula are guarded
(`lms.csv_files`). Never commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy.orm import Session

from lms.csv_files import csv_chunks
from lms.dashboards.scope import Filters, Scope
from lms.dashboards.team_records import iter_team_records
from lms.models import StaffType
from lms.records.settings import RecordSettings
from lms.records.status import State

CHUNK_ROWS = 1000  # rows per chunk handed on: large enough to write efficiently, small enough to stay flat
HEADER = ["person id", "name", "unit", "staff type", "module", "state", "last score (%)", "passed on",
          "valid until", "due on"]


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


class RecordsCsv:
    """Iterate for the CSV as UTF-8 chunks (a byte order mark first, for Excel); `rows` counts the rows so far."""

    def __init__(self, session: Session, today: date, settings: RecordSettings) -> None:
        self.session, self.today, self.settings = session, today, settings
        self.rows = 0

    def __iter__(self) -> Iterator[bytes]:
        return csv_chunks(HEADER, self._rows(), CHUNK_ROWS)

    def _rows(self) -> Iterator[list[object]]:
        rows = iter_team_records(self.session, Scope("The whole trust"), Filters(), self.today, self.settings)
        for row in rows:
            yield [row.person_id, row.name, row.unit, StaffType(row.staff_type).label, row.module,
                   State(row.state).label, row.last_score, _day(row.passed_at), _day(row.valid_until),
                   _day(row.due_on)]
            self.rows += 1
