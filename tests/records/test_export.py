"""`flask records export`: everyone's records as CSV, read in batches so that any size of trust fits in memory."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from lms.clock import today
from lms.dashboards import records_csv as export
from lms.dashboards.records_csv import HEADER, RecordsCsv
from lms.dashboards.scope import Filters, Scope
from lms.dashboards.team_records import team_records
from lms.extensions import db
from lms.models import AuditEvent, StaffType
from lms.records.settings import RecordSettings
from tests.sqlcount import recorded_statements


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a byte order mark first, so Excel reads names correctly"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_export_writes_each_active_persons_required_modules_and_is_audited(app, content, people, tmp_path):
    unit = people.unit("Oakfield Primary")
    teacher = people.person(unit=unit)
    agency = people.person(unit=unit, staff_type=StaffType.agency_worker)
    agency.first_name = "=HYPERLINK(1)"  # a name that a spreadsheet would run as a formula
    people.person(unit=unit, active=False)
    db.session.commit()
    out = tmp_path / "records.csv"

    result = app.test_cli_runner().invoke(args=["records", "export", "--output", str(out)])

    assert result.exit_code == 0, result.output
    rows = read_csv(out.read_bytes())
    assert rows[0] == HEADER
    expected = team_records(db.session, Scope("The whole trust"), Filters(), today(), RecordSettings())
    assert len(rows) - 1 == len(expected) > 0
    assert {int(r[0]) for r in rows[1:]} == {teacher.id, agency.id}  # the leaver is left out
    agency_rows = [r for r in rows[1:] if int(r[0]) == agency.id]
    assert agency_rows and all(r[1].startswith("'=HYPERLINK(1)") for r in agency_rows)
    assert all(r[3] == "agency worker" for r in agency_rows)
    assert {r[5] for r in rows[1:]} <= {"Not started", "In progress", "Due soon", "Overdue", "Passed", "Expired"}
    assert [r[4] for r in rows[1:]] == [e.module for e in expected]
    assert f"Exported {len(expected)} record(s)" in result.output
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.records_csv")).one()
    assert json.loads(event.detail) == {"rows": len(expected), "to": "records.csv"}


def test_export_is_handed_on_in_chunks_by_one_statement_whatever_the_size(app, content, people, monkeypatch):
    monkeypatch.setattr(export, "CHUNK_ROWS", 3)
    unit = people.unit("Oakfield Primary")

    def produce() -> tuple[list[bytes], int, int]:
        made = RecordsCsv(db.session, today(), RecordSettings())
        with recorded_statements() as statements:
            chunks = list(made)
        return chunks, made.rows, len(statements)

    for _ in range(2):
        people.person(unit=unit, sync=False)
    people.person(unit=unit)
    few_chunks, few_rows, few_statements = produce()
    for _ in range(9):
        people.person(unit=unit, sync=False)
    people.person(unit=unit)
    many_chunks, many_rows, many_statements = produce()

    assert many_rows > few_rows >= 3
    assert few_statements == many_statements == 1
    assert len(many_chunks) == 1 + -(-many_rows // 3)  # the header, then a chunk per 3 rows
    assert len(read_csv(b"".join(many_chunks))) == many_rows + 1
