"""A person's whole training history as CSV, for Excel and for their own records.

One row per attempt. Cells that a spreadsheet would read as a formula (=, +, -, @, tab,
carriage return at the start) are prefixed with a single quote (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from lms.models import Attempt, AttemptState

HEADER = ["module", "module version", "policy version", "attempt kind", "started (UTC)", "finished (UTC)",
          "score (%)", "passed", "valid until", "certificate code"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def history_rows(attempts: Iterable[Attempt]) -> list[list[str]]:
    rows = []
    for a in attempts:
        finished = a.state == AttemptState.submitted
        rows.append([
            a.module_version.title, a.module_version.version_no, a.policy_version.version, a.kind,
            _iso(a.started_at), _iso(a.submitted_at), a.score if a.score is not None else "",
            ("yes" if a.passed else "no") if finished else "", a.valid_until.isoformat() if a.valid_until else "",
            a.certificate_code or "",
        ])
    return rows


def history_csv(attempts: Iterable[Attempt]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads names and titles correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows([safe_cell(c) for c in row] for row in history_rows(attempts))
    return out.getvalue().encode("utf-8-sig")
