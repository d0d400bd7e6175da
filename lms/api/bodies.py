"""The API's JSON bodies, shaped from the dashboards' measures (lms/dashboards/completion.py, team_records.py).

Numbers stay numbers; a share is completed / required as a fraction from 0 to 1 rounded to
four places (None when nothing is required). Small groups are withheld by the pages' own rule
(lms/dashboards/privacy.py: in a scope that spans units, fewer than MIN_GROUP_SIZE people): the
row keeps its key and label, its numbers are None, `suppressed` is true and `note` says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from lms.dashboards.completion import CompletionRow
from lms.dashboards.privacy import Privacy
from lms.dashboards.scope import Filters, Scope
from lms.dashboards.team_records import RecordRow
from lms.models import StaffType

COUNTS = ("people", "required", "completed", "overdue", "due_soon", "expired")


def share(completed: int, required: int) -> float | None:
    return round(completed / required, 4) if required else None


def scope_json(index: int, scope: Scope) -> dict:
    kind = "team" if scope.manager_id is not None else "unit" if scope.unit_ids is not None else "trust"
    return {"index": index, "label": scope.label, "kind": kind, "spans_units": scope.spans_units}


def envelope(scopes: list[Scope], index: int, filters: Filters, now: datetime, today: date) -> dict:
    return {
        "scope": scope_json(index, scopes[index]),
        "scopes": [scope_json(i, s) for i, s in enumerate(scopes)],
        "filters": filters.as_args(),
        "generated_at": now.isoformat(timespec="seconds"),
        "as_of": today.isoformat(),
    }


def completion_rows(dimension: str, rows: Iterable[CompletionRow], privacy: Privacy) -> list[dict]:
    out = []
    for row in rows:
        label = StaffType(row.key).label.capitalize() if dimension == "staff_type" else row.label
        item: dict = {"key": row.key, "label": label}
        if privacy.hides(row.people):
            item.update({name: None for name in COUNTS}, share=None, suppressed=True, note=privacy.label)
        else:
            item.update({name: getattr(row, name) for name in COUNTS}, share=share(row.completed, row.required),
                        suppressed=False, note=None)
        out.append(item)
    return out


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def record_rows(rows: Iterable[RecordRow]) -> list[dict]:
    return [{"person_id": r.person_id, "name": r.name, "unit": r.unit, "staff_type": r.staff_type, "module": r.module,
             "state": r.state, "last_score": r.last_score, "passed_at": _day(r.passed_at),
             "valid_until": _day(r.valid_until), "due_on": _day(r.due_on)}
            for r in rows]
