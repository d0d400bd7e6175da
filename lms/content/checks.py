"""Checking one content file: reading it as YAML with the line of every key, the checks of single
field values, and the collector of the file's problems, each with its line.

The field tables that use these checks are beside the reader of their file: the policy's in
lms/content/policy_file.py, the modules' and scenarios' in lms/content/module_file.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from lms.content.spec import Problem
from lms.content.yamlfile import LineDict, parse
from lms.plain_text import BIDI_CONTROLS

KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LONG_TEXT = 5000

Check = Callable[[Any], "str | None"]
Fields = dict[str, tuple[bool, Check]]  # key -> (required?, check of its value)


def text(max_len: int) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"must be text, not {kind(value)}"
        if not value.strip():
            return "must not be empty"
        if len(value) > max_len:
            return f"is {len(value)} characters long; at most {max_len} are allowed"
        # A lone surrogate ("\ud800" in a quoted YAML string) cannot be stored in any database, and a
        # direction override makes a post read differently from its text: refused like a control character.
        bad = next((ch for ch in value if (unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t")
                    or ch in BIDI_CONTROLS), None)
        if bad is not None:
            what = {"Cc": "the control character", "Cs": "the unpaired surrogate"}.get(
                unicodedata.category(bad), "the direction override character")
            return f"contains {what} U+{ord(bad):04X}"
        return None
    return check


def choice(options: tuple[str, ...]) -> Check:
    def check(value: Any) -> str | None:
        if value not in options:
            return f"{value!r} is not one of: {', '.join(options)}"
        return None
    return check


def kebab(max_len: int) -> Check:
    def check(value: Any) -> str | None:
        problem = text(max_len)(value)
        if problem:
            return problem
        if not KEBAB.match(value):
            return f"{value!r} must be kebab-case (lower-case letters, digits and hyphens)"
        return None
    return check


def int_between(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, not {kind(value)}"
        if not low <= value <= high:
            return f"{value} is outside {low}–{high}"
        return None
    return check


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, not {kind(value)}"


def iso_date(value: Any) -> str | None:
    return None if isinstance(value, date) else "must be a date written as YYYY-MM-DD"


def version(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a quoted string such as \"2018-09\", not {kind(value)}"
    return text(40)(value)


def clause_list(value: Any) -> str | None:
    if not isinstance(value, list):
        return f"must be a list of clause numbers such as [\"4.4\"], not {kind(value)}"
    for item in value:
        if not isinstance(item, str):
            return f"{item!r} must be a quoted clause number such as \"4.4\""
    if len(set(value)) != len(value):
        return "lists a clause twice"
    return None


def kind(value: Any) -> str:
    """What a value is, in the words of a problem message."""
    if value is None:
        return "nothing"
    return {bool: "true/false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "a mapping", LineDict: "a mapping"}.get(type(value), type(value).__name__)


class FileReport:
    """Collects problems for one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, line: int, where: str, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, where, field_name, message))

    def fields(self, mapping: Any, spec: Fields, where: str, line: int) -> bool:
        """Check keys and values of one mapping; True when every field is usable."""
        if not isinstance(mapping, LineDict):
            self.add(line, where, "", f"must be a mapping of keys, not {kind(mapping)}")
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


def read_yaml(path: Path, report: FileReport) -> Any:
    """The file's YAML, or None with the reason in `report` (missing, not UTF-8, not YAML)."""
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        report.add(1, "", "", "file not found")
        return None
    except UnicodeDecodeError as exc:
        report.add(1, "", "", f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
        return None
    parsed = parse(content)
    if parsed.error:
        report.add(parsed.error_line or 1, "", "", parsed.error)
        return None
    for line, key in parsed.duplicates:
        report.add(line, "", key, "key appears twice in the same mapping")
    return parsed.data


def top_level(data: Any, report: FileReport, first: str, second: str) -> tuple[Any, Any]:
    """A file's two top-level keys (the head and its list), each None when absent."""
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
