"""A person's whole training history as CSV, for Excel and for their own records.

One row per attempt, written by `lms.csv_files` (byte order mark, formula guard).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from lms.csv_files import csv_bytes
from lms.models import Attempt, AttemptState

HEADER = ["module", "module version", "policy version", "attempt kind", "started (UTC)", "finished (UTC)",
          "score (%)", "passed", "valid until", "certificate code"]


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
    return csv_bytes(HEADER, history_rows(attempts))
