"""The scenario content contract: read and validate scenarios/*.yaml (no database, no request).

Every problem is reported as one line, `file:line: scenario 'id': field: message`, and a file
with any problem yields no spec at all, so nothing half-valid can be loaded.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lms.content.yamlfile import LineDict, parse
from lms.plain_text import BIDI_CONTROLS

PLATFORMS = (
    "facebook", "twitter", "instagram", "linkedin", "tiktok",
    "whatsapp", "blog", "wikipedia", "other",
)
ACCOUNTS = ("personal", "school_official", "trust_official")
VERDICTS = ("breach", "compliant")
AUDIENCES = ("all-staff", "business-use", "managers")
DIFFICULTIES = ("easy", "medium", "hard")
KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CLAUSE_NUMBER = re.compile(r"^\d+(?:\.\d+)?(?:\([a-z]\))?$")
LONG_TEXT = 5000


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    where: str  # "scenario 'foo'", "module", "clause '2.2'", "policy" or ""
    field: str
    message: str

    def __str__(self) -> str:
        parts = [f"{self.path}:{self.line}"]
        if self.where:
            parts.append(self.where)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


@dataclass(frozen=True)
class ClauseSpec:
    number: str
    section: str
    title: str
    text: str
    pickable: bool = True
    guidance: bool = False  # a "should" clause: following it can be taught as well as breaking it


@dataclass(frozen=True)
class PolicySpec:
    version: str
    title: str
    owner: str
    issued: date
    review_due: date | None
    clauses: tuple[ClauseSpec, ...]

    @property
    def numbers(self) -> set[str]:
        return {c.number for c in self.clauses}

    @property
    def content_hash(self) -> str:
        """The policy's words only: titles and flags can be corrected without a new version."""
        data = asdict(self)
        data["clauses"] = [(c.number, c.text) for c in self.clauses]
        return _hash(data)

    def citable(self, number: str) -> bool:
        """A scenario may cite a pickable clause, or a parent whose sub-clauses are pickable."""
        for clause in self.clauses:
            if clause.pickable and (clause.number == number or clause.number.startswith(number + "(")):
                return True
        return False


@dataclass(frozen=True)
class ScenarioSpec:
    key: str
    platform: str
    author_role: str
    account: str
    posted_at: str
    authorised_business_use: bool
    post: str
    verdict: str
    clauses: tuple[str, ...]
    followed: tuple[str, ...]
    explanation: str
    difficulty: str | None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ModuleSpec:
    slug: str
    title: str
    summary: str
    audience: str
    pass_mark: int
    draw: int
    minutes: int
    scenarios: tuple[ScenarioSpec, ...]
    path: str = field(default="", compare=False)

    def content_hash(self, policy_version: str) -> str:
        data = asdict(self)
        data.pop("path")
        for s in data["scenarios"]:
            s.pop("line")
        data["policy_version"] = policy_version
        return _hash(data)


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def clause_group(verdict: str, clauses: Sequence[str], followed: Sequence[str]) -> str:
    """The clause a scenario teaches: its deciding clause, or the first it shows followed.

    Sub-clauses fold into their parent (2.1(c) -> 2.1). Every attempt draws at least one
    scenario from each group of its module.
    """
    if verdict == "breach" and clauses:
        number = clauses[0]
    elif followed:
        number = followed[0]
    else:
        return "none"
    return number.split("(", 1)[0]


# --- field checks -------------------------------------------------------------------------

Check = Callable[[Any], "str | None"]


def _text(max_len: int) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"must be text, not {_kind(value)}"
        if not value.strip():
            return "must not be empty"
        if len(value) > max_len:
            return f"is {len(value)} characters long; at most {max_len} are allowed"
        # A lone surrogate ("\ud800" in a quoted YAML string) cannot be stored in any database, and a
        # direction override makes a post read differently from its text: refused like a control character.
        bad = next((ch for ch in value if (unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t")
                    or ch in BIDI_CONTROLS), None)
        if bad is not None:
            kind = {"Cc": "the control character", "Cs": "the unpaired surrogate"}.get(
                unicodedata.category(bad), "the direction override character")
            return f"contains {kind} U+{ord(bad):04X}"
        return None
    return check


def _choice(options: tuple[str, ...]) -> Check:
    def check(value: Any) -> str | None:
        if value not in options:
            return f"{value!r} is not one of: {', '.join(options)}"
        return None
    return check


def _kebab(max_len: int) -> Check:
    def check(value: Any) -> str | None:
        problem = _text(max_len)(value)
        if problem:
            return problem
        if not KEBAB.match(value):
            return f"{value!r} must be kebab-case (lower-case letters, digits and hyphens)"
        return None
    return check


def _int_between(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, not {_kind(value)}"
        if not low <= value <= high:
            return f"{value} is outside {low}–{high}"
        return None
    return check


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, not {_kind(value)}"


def _date(value: Any) -> str | None:
    return None if isinstance(value, date) else "must be a date written as YYYY-MM-DD"


def _version(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a quoted string such as \"2018-09\", not {_kind(value)}"
    return _text(40)(value)


def _clause_list(value: Any) -> str | None:
    if not isinstance(value, list):
        return f"must be a list of clause numbers such as [\"4.4\"], not {_kind(value)}"
    for item in value:
        if not isinstance(item, str):
            return f"{item!r} must be a quoted clause number such as \"4.4\""
    if len(set(value)) != len(value):
        return "lists a clause twice"
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {bool: "true/false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "a mapping", LineDict: "a mapping"}.get(type(value), type(value).__name__)


POLICY_FIELDS: dict[str, tuple[bool, Check]] = {
    "title": (True, _text(200)),
    "owner": (True, _text(200)),
    "version": (True, _version),
    "issued": (True, _date),
    "review_due": (False, _date),
}
CLAUSE_FIELDS: dict[str, tuple[bool, Check]] = {
    "number": (True, _text(20)),
    "section": (True, _text(200)),
    "title": (True, _text(120)),
    "text": (True, _text(LONG_TEXT)),
    "pickable": (False, _bool),
    "guidance": (False, _bool),
}
MODULE_FIELDS: dict[str, tuple[bool, Check]] = {
    "slug": (True, _kebab(80)),
    "title": (True, _text(200)),
    "summary": (True, _text(1000)),
    "audience": (True, _choice(AUDIENCES)),
    "pass_mark": (True, _int_between(1, 100)),
    "draw": (False, _int_between(1, 1000)),
    "minutes": (True, _int_between(1, 600)),
}
SCENARIO_FIELDS: dict[str, tuple[bool, Check]] = {
    "id": (True, _kebab(80)),
    "platform": (True, _choice(PLATFORMS)),
    "author_role": (True, _text(120)),
    "account": (True, _choice(ACCOUNTS)),
    "posted_at": (True, _text(120)),
    "authorised_business_use": (True, _bool),
    "post": (True, _text(LONG_TEXT)),
    "verdict": (True, _choice(VERDICTS)),
    "clauses": (True, _clause_list),
    "followed": (False, _clause_list),
    "explanation": (True, _text(LONG_TEXT)),
    "difficulty": (False, _choice(DIFFICULTIES)),
}


class _Report:
    """Collects problems for one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, line: int, where: str, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, where, field_name, message))

    def fields(self, mapping: Any, spec: dict[str, tuple[bool, Check]], where: str, line: int) -> bool:
        """Check keys and values of one mapping; True when every field is usable."""
        if not isinstance(mapping, LineDict):
            self.add(line, where, "", f"must be a mapping of keys, not {_kind(mapping)}")
            return False
        ok = True
        for key in mapping:
            if key not in spec:
                self.add(mapping.key_lines[key], where, key,
                         f"unknown key (allowed: {', '.join(spec)})")
                ok = False
        for key, (required, check) in spec.items():
            if key not in mapping:
                if required:
                    self.add(mapping.line, where, key, "is missing")
                    ok = False
                continue
            message = check(mapping[key])
            if message:
                self.add(mapping.key_lines[key], where, key, message)
                ok = False
        return ok


def _read(path: Path, report: _Report) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        report.add(1, "", "", "file not found")
        return None
    except UnicodeDecodeError as exc:
        report.add(1, "", "", f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
        return None
    parsed = parse(text)
    if parsed.error:
        report.add(parsed.error_line or 1, "", "", parsed.error)
        return None
    for line, key in parsed.duplicates:
        report.add(line, "", key, "key appears twice in the same mapping")
    return parsed.data


def _top(data: Any, report: _Report, first: str, second: str) -> tuple[Any, Any]:
    if not isinstance(data, LineDict):
        report.add(1, "", "", f"must be a mapping with the keys '{first}' and '{second}'")
        return None, None
    for key in data:
        if key not in (first, second):
            report.add(data.key_lines[key], "", key, f"unknown top-level key (allowed: {first}, {second})")
    for key in (first, second):
        if key not in data:
            report.add(data.line, "", key, "is missing")
    return data.get(first), data.get(second)


def read_policy(path: Path, display: str | None = None) -> tuple[PolicySpec | None, list[Problem]]:
    report = _Report(display or str(path))
    data = _read(path, report)
    if data is None or report.problems:
        return None, report.problems
    head, clauses = _top(data, report, "policy", "clauses")
    if head is not None:
        report.fields(head, POLICY_FIELDS, "policy", data.key_lines.get("policy", 1))
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
    if report.problems:
        return None, report.problems
    return PolicySpec(
        version=head["version"].strip(), title=head["title"].strip(), owner=head["owner"].strip(),
        issued=head["issued"], review_due=head.get("review_due"), clauses=tuple(specs),
    ), []


def read_module(path: Path, policy: PolicySpec, display: str | None = None) -> tuple[ModuleSpec | None, list[Problem]]:
    report = _Report(display or str(path))
    data = _read(path, report)
    if data is None or report.problems:
        return None, report.problems
    head, scenarios = _top(data, report, "module", "scenarios")
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


def _read_scenarios(data: LineDict, scenarios: Any, policy: PolicySpec, report: _Report) -> list[ScenarioSpec]:
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


def _scenario_rules(item: LineDict, where: str, policy: PolicySpec, report: _Report) -> bool:
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


@dataclass
class Library:
    """The result of reading a set of content files."""

    policy: PolicySpec | None
    modules: list[ModuleSpec]
    problems: list[Problem]

    @property
    def scenario_count(self) -> int:
        return sum(len(m.scenarios) for m in self.modules)


def read_library(paths: list[Path], default_dir: Path, root: Path | None = None) -> Library:
    """Read the policy and the given module files (all of default_dir when none are given)."""
    paths = [p for p in paths] or sorted(default_dir.glob("*.yaml"))
    policy_paths = [p for p in paths if p.name == "policy.yaml"]
    module_paths = [p for p in paths if p.name != "policy.yaml"]
    policy_path = policy_paths[0] if policy_paths else default_dir / "policy.yaml"

    def show(p: Path) -> str:
        try:
            return str(p.resolve().relative_to((root or Path.cwd()).resolve()))
        except ValueError:
            return str(p)

    policy, problems = read_policy(policy_path, show(policy_path))
    modules: list[ModuleSpec] = []
    if policy is None:
        return Library(None, [], problems)
    slugs: dict[str, str] = {}
    for path in module_paths:
        module, module_problems = read_module(path, policy, show(path))
        problems.extend(module_problems)
        if module is None:
            continue
        if module.slug in slugs:
            problems.append(Problem(show(path), 1, "module", "slug",
                                    f"'{module.slug}' is also the slug of {slugs[module.slug]}"))
            continue
        slugs[module.slug] = show(path)
        modules.append(module)
    return Library(policy, modules, problems)
