"""Read and validate one module file (scenarios/<slug>.yaml) against the policy: its head, and each
scenario's fields and rules (a breach names a clause, every cited clause is one staff can choose)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lms.content.checks import (
    LONG_TEXT,
    Fields,
    FileReport,
    boolean,
    choice,
    clause_list,
    int_between,
    kebab,
    read_yaml,
    text,
    top_level,
)
from lms.content.spec import (
    ACCOUNTS,
    AUDIENCES,
    DIFFICULTIES,
    PLATFORMS,
    VERDICTS,
    ModuleSpec,
    PolicySpec,
    Problem,
    ScenarioSpec,
    clause_group,
)
from lms.content.yamlfile import LineDict

MODULE_FIELDS: Fields = {
    "slug": (True, kebab(80)),
    "title": (True, text(200)),
    "summary": (True, text(1000)),
    "audience": (True, choice(AUDIENCES)),
    "pass_mark": (True, int_between(1, 100)),
    "draw": (False, int_between(1, 1000)),
    "minutes": (True, int_between(1, 600)),
}
SCENARIO_FIELDS: Fields = {
    "id": (True, kebab(80)),
    "platform": (True, choice(PLATFORMS)),
    "author_role": (True, text(120)),
    "account": (True, choice(ACCOUNTS)),
    "posted_at": (True, text(120)),
    "authorised_business_use": (True, boolean),
    "post": (True, text(LONG_TEXT)),
    "verdict": (True, choice(VERDICTS)),
    "clauses": (True, clause_list),
    "followed": (False, clause_list),
    "explanation": (True, text(LONG_TEXT)),
    "difficulty": (False, choice(DIFFICULTIES)),
}


def read_module(path: Path, policy: PolicySpec, display: str | None = None) -> tuple[ModuleSpec | None, list[Problem]]:
    report = FileReport(display or str(path))
    data = read_yaml(path, report)
    if data is None or report.problems:
        return None, report.problems
    head, scenarios = top_level(data, report, "module", "scenarios")
    head_ok = head is not None and report.fields(head, MODULE_FIELDS, "module", data.key_lines.get("module", 1))
    if head_ok and head["slug"] != path.stem:
        report.add(head.key_lines["slug"], "module", "slug",
                   f"'{head['slug']}' differs from the file name '{path.stem}'")
    specs = _read_scenarios(data, scenarios, policy, report)
    pool = len(scenarios) if isinstance(scenarios, list) else 0  # counted as written, valid or not
    if head_ok and pool and "draw" in head and head["draw"] > pool:
        report.add(head.key_lines["draw"], "module", "draw",
                   f"{head['draw']} is more than the {pool} scenarios in the module")
    groups = {clause_group(s.verdict, s.clauses, s.followed) for s in specs}
    if head_ok and specs and len(specs) == pool and head.get("draw", pool) < len(groups):
        report.add(head.key_lines["draw"], "module", "draw",
                   f"{head['draw']} is fewer than the {len(groups)} clause groups in the module "
                   f"({', '.join(sorted(groups))}); every attempt must draw one of each")
    if report.problems or not head_ok:
        return None, report.problems
    return ModuleSpec(
        slug=head["slug"], title=head["title"].strip(), summary=" ".join(head["summary"].split()),
        audience=head["audience"], pass_mark=head["pass_mark"], draw=head.get("draw", len(specs)),
        minutes=head["minutes"], scenarios=tuple(specs), path=report.path,
    ), []


def _read_scenarios(data: LineDict, scenarios: Any, policy: PolicySpec, report: FileReport) -> list[ScenarioSpec]:
    if scenarios is None:
        return []
    if not isinstance(scenarios, list) or not scenarios:
        report.add(data.key_lines["scenarios"], "", "scenarios", "must be a non-empty list of scenarios")
        return []
    specs: list[ScenarioSpec] = []
    seen: dict[str, int] = {}
    for item in scenarios:
        line = getattr(item, "line", data.key_lines["scenarios"])
        key = item.get("id") if isinstance(item, dict) else None
        where = f"scenario '{key}'" if isinstance(key, str) else "scenario"
        if not report.fields(item, SCENARIO_FIELDS, where, line):
            continue
        if key in seen:
            report.add(item.key_lines["id"], where, "id", f"duplicate id (first on line {seen[key]})")
            continue
        seen[key] = item.line
        if not _scenario_rules(item, where, policy, report):
            continue
        specs.append(ScenarioSpec(
            key=key, platform=item["platform"], author_role=item["author_role"].strip(),
            account=item["account"], posted_at=item["posted_at"].strip(),
            authorised_business_use=item["authorised_business_use"], post=item["post"].strip(),
            verdict=item["verdict"], clauses=tuple(item["clauses"]),
            followed=tuple(item.get("followed", [])), explanation=item["explanation"].strip(),
            difficulty=item.get("difficulty"), line=item.line,
        ))
    return specs


def _scenario_rules(item: LineDict, where: str, policy: PolicySpec, report: FileReport) -> bool:
    before = len(report.problems)
    verdict, clauses, followed = item["verdict"], item["clauses"], item.get("followed", [])
    if verdict == "breach" and not clauses:
        report.add(item.key_lines["clauses"], where, "clauses", "a breach must name at least one clause")
    if verdict == "compliant" and clauses:
        report.add(item.key_lines["clauses"], where, "clauses",
                   "a compliant scenario breaches no clause; use [] (and 'followed' for clauses it keeps)")
    if verdict == "breach" and followed:
        report.add(item.key_lines["followed"], where, "followed", "only compliant scenarios list clauses followed")
    for name, numbers in (("clauses", clauses), ("followed", followed)):
        for number in numbers:
            if number not in policy.numbers:
                report.add(item.key_lines[name], where, name,
                           f"'{number}' is not a clause of policy {policy.version}")
            elif not policy.citable(number):
                report.add(item.key_lines[name], where, name,
                           f"'{number}' is not a clause staff can choose (pickable: false)")
    return len(report.problems) == before
