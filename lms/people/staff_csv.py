"""Reading a staff CSV: decode the bytes and understand the header (no database, no row checks).

Excel is where most staff files come from, so its habits are met here: a byte order mark, `;`
or tab as the separator in some locales, and "Unicode Text" (UTF-16), which is refused with the
menu path to the format that works. Blank lines are dropped; every other line keeps the row
number a spreadsheet would show, for the messages.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field

from lms.people.problems import Problem, shown
from lms.people.staff_columns import BY_KEY, HEADERS, REQUIRED, squash

SAVE_AS_UTF8 = "In Excel choose Save As > 'CSV UTF-8 (Comma delimited)' and upload that."


@dataclass(frozen=True)
class StaffTable:
    """The file decoded and its header understood; rows are still raw text."""

    columns: Mapping[str, int] = field(default_factory=dict)  # column key -> cell index
    headers: tuple[str, ...] = ()
    records: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (row number, cells)
    ignored: tuple[str, ...] = ()  # headers that are not documented columns
    problems: tuple[Problem, ...] = ()

    def header(self, key: str) -> str:
        return self.headers[self.columns[key]]


def _refused(message: str, row: int | None = None) -> StaffTable:
    return StaffTable(problems=(Problem(row, None, message),))


def _decode(data: bytes) -> str | StaffTable:
    """The file's text, or a table holding the one problem that stops it being read at all."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _refused(f"the file is UTF-16 text (Excel's 'Unicode Text'), not UTF-8. {SAVE_AS_UTF8}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _refused(f"the file is not UTF-8 text (an unexpected byte at position {exc.start}). {SAVE_AS_UTF8}")
    if "\x00" in text:
        return _refused("the file contains NUL bytes: it is not a CSV text file.")
    if not text.strip():
        return _refused("the file is empty.")
    return text


def _map_header(headers: tuple[str, ...]) -> tuple[dict[str, int], list[str], list[Problem]]:
    """Each documented column's cell index; headers nobody uses (listed back); a column given twice or missing."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for index, name in enumerate(headers):
        key = HEADERS.get(squash(name))
        if key is None:
            if name:
                ignored.append(shown(name))
        elif key in columns:
            problems.append(Problem(1, shown(name), (
                f"this column and column '{shown(headers[columns[key]])}' both give {BY_KEY[key].label.lower()}; "
                "keep one of them.")))
        else:
            columns[key] = index
    for key in REQUIRED:
        if key not in columns:
            column = BY_KEY[key]
            problems.append(Problem(1, None, (
                f"no {column.label.lower()} column (a header named one of: {', '.join(column.spellings)}).")))
    return columns, ignored, problems


def read_staff_csv(data: bytes) -> StaffTable:
    """Decode the file (UTF-8, with or without a byte order mark) and map its header."""
    text = _decode(data)
    if isinstance(text, StaffTable):
        return text
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        records = tuple((n, tuple(cells)) for n, cells in enumerate(reader, start=2)
                        if any(c.strip() for c in cells))
    except csv.Error as exc:
        return _refused(f"this line cannot be read as CSV ({exc}).", reader.line_num)
    headers = tuple(h.strip() for h in header)
    columns, ignored, problems = _map_header(headers)
    if not problems and not records:
        problems.append(Problem(None, None, "the file has a header row but no staff rows."))
    return StaffTable(columns=columns, headers=headers, records=records, ignored=tuple(ignored),
                      problems=tuple(problems))
