"""Every CSV file the app writes: one writer, one formula guard, one byte order mark, streaming.

The files are opened in Excel more than anywhere else, so each one is UTF-8 with a byte order
mark (Excel then reads names and titles correctly), and every text cell that a spreadsheet
would run as a formula (starting with `= + - @`, a tab or a carriage return) is prefixed with a
single quote (CSV injection). Numbers are written as they are: a number is never a formula,
and a negative index keeps its sign. Nothing here knows Flask or the database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value: object) -> str:
    """A value as text a spreadsheet will not run: None is empty, a formula-like start is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def cell(value: object) -> object:
    """A cell as written: a number stays a number (never a formula; a negative keeps its sign), else `safe_cell`."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    return safe_cell(value)


def csv_bytes(header: Sequence[object] | None, rows: Iterable[Sequence[object]]) -> bytes:
    """A whole file in memory (with its byte order mark), every cell through `cell`."""
    return b"".join(csv_chunks(header, rows, chunk_rows=None))


def csv_chunks(header: Sequence[object] | None, rows: Iterable[Sequence[object]],
               chunk_rows: int | None) -> Iterator[bytes]:
    """The file a chunk at a time while `rows` is read, so memory stays flat for a million rows.

    The byte order mark and the header are the first chunk, handed on before the first row is
    read (a download starts at once); `chunk_rows=None` gives the whole file as one chunk.
    """
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    if header is not None:
        writer.writerow([cell(value) for value in header])
    if chunk_rows:
        yield out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()
    count = 0
    for row in rows:
        writer.writerow([cell(value) for value in row])
        count += 1
        if chunk_rows and count % chunk_rows == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    if out.tell():
        yield out.getvalue().encode("utf-8")


def download_name(stem: str, day: date) -> str:
    """The file name a download is saved under: what it is and the day it was made."""
    return f"{stem}-{day.isoformat()}.csv"


def attachment_headers(stem: str, day: date) -> dict[str, str]:
    """Headers of a CSV download: saved under its name, never kept in a shared cache."""
    return {"Content-Disposition": f'attachment; filename="{download_name(stem, day)}"',
            "Cache-Control": "no-store"}
