"""Everyone's training records as one CSV, written while it is read, for a trust of any size.

One row per active person and required module, the rows of the API's team records
(`dashboards.queries.iter_team_records`, trust-wide): read a batch at a time through a server-side
cursor on PostgreSQL, encoded and handed on a chunk at a time, so memory stays flat whether the
trust has a hundred people or a million. Cells a spreadsheet would read as a formula are guarded
(`training.export.safe_cell`). Never commits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

from sqlalchemy.orm import Session

from lms.dashboards.queries import iter_team_records
from lms.dashboards.scope import Filters, Scope
from lms.models import StaffType
from lms.records.settings import RecordSettings
from lms.records.status import State
from lms.training.export import safe_cell

HEADER = ["person id", "name", "unit", "staff type", "module", "state", "last score (%)", "passed on",
          "valid until", "due on"]
CHUNK_ROWS = 1000  # rows per chunk handed on: large enough to write efficiently, small enough to stay flat


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


class RecordsCsv:
    """Iterate for the CSV as UTF-8 chunks (a byte order mark first, for Excel); `rows` counts the rows so far."""

    def __init__(self, session: Session, today: date, settings: RecordSettings) -> None:
        self.session, self.today, self.settings = session, today, settings
        self.rows = 0

    def __iter__(self) -> Iterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(HEADER)
        yield out.getvalue().encode("utf-8-sig")
        out.seek(0)
        out.truncate()
        rows = iter_team_records(self.session, Scope("The whole trust"), Filters(), self.today, self.settings)
        for row in rows:
            writer.writerow([row.person_id, safe_cell(row.name), safe_cell(row.unit),
                             StaffType(row.staff_type).label, safe_cell(row.module), State(row.state).label,
                             "" if row.last_score is None else row.last_score, _day(row.passed_at),
                             _day(row.valid_until), _day(row.due_on)])
            self.rows += 1
            if self.rows % CHUNK_ROWS == 0:
                yield out.getvalue().encode("utf-8")
                out.seek(0)
                out.truncate()
        if out.tell():
            yield out.getvalue().encode("utf-8")
