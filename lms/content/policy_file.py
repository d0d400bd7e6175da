"""Read and validate the policy file (scenarios/policy.yaml): its head and its numbered clauses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lms.content.checks import LONG_TEXT, Fields, FileReport, boolean, iso_date, read_yaml, text, top_level, version
from lms.content.spec import ClauseSpec, PolicySpec, Problem
from lms.content.yamlfile import LineDict

CLAUSE_NUMBER = re.compile(r"^\d+(?:\.\d+)?(?:\([a-z]\))?$")

POLICY_FIELDS: Fields = {
    "title": (True, text(200)),
    "owner": (True, text(200)),
    "version": (True, version),
    "issued": (True, iso_date),
    "review_due": (False, iso_date),
}
CLAUSE_FIELDS: Fields = {
    "number": (True, text(20)),
    "section": (True, text(200)),
    "title": (True, text(120)),
    "text": (True, text(LONG_TEXT)),
    "pickable": (False, boolean),
    "guidance": (False, boolean),
}


def read_policy(path: Path, display: str | None = None) -> tuple[PolicySpec | None, list[Problem]]:
    report = FileReport(display or str(path))
    data = read_yaml(path, report)
    if data is None or report.problems:
        return None, report.problems
    head, clauses = top_level(data, report, "policy", "clauses")
    if head is not None:
        report.fields(head, POLICY_FIELDS, "policy", data.key_lines.get("policy", 1))
    specs = _read_clauses(data, clauses, report)
    if report.problems:
        return None, report.problems
    return PolicySpec(
        version=head["version"].strip(), title=head["title"].strip(), owner=head["owner"].strip(),
        issued=head["issued"], review_due=head.get("review_due"), clauses=tuple(specs),
    ), []


def _read_clauses(data: LineDict, clauses: Any, report: FileReport) -> list[ClauseSpec]:
    """The valid clauses, in the file's order; each problem goes to `report`."""
    specs: list[ClauseSpec] = []
    if clauses is not None and not isinstance(clauses, list):
        report.add(data.key_lines["clauses"], "", "clauses", "must be a list of clauses")
    elif clauses is not None:
        if not clauses:
            report.add(data.key_lines["clauses"], "", "clauses", "must list at least one clause")
        seen: dict[str, int] = {}
        for item in clauses:
            line = getattr(item, "line", data.key_lines["clauses"])
            number = item.get("number") if isinstance(item, dict) else None
            where = f"clause '{number}'" if isinstance(number, str) else "clause"
            if not report.fields(item, CLAUSE_FIELDS, where, line):
                continue
            if not CLAUSE_NUMBER.match(number):
                report.add(item.key_lines["number"], where, "number",
                           "must look like \"4\", \"4.4\" or \"2.1(a)\"")
                continue
            if number in seen:
                report.add(item.key_lines["number"], where, "number",
                           f"duplicate clause number (first on line {seen[number]})")
                continue
            seen[number] = item.line
            specs.append(ClauseSpec(number, item["section"].strip(), item["title"].strip(),
                                    " ".join(item["text"].split()), item.get("pickable", True),
                                    item.get("guidance", False)))
    return specs
