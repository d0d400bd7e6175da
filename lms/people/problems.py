"""What is wrong with a staff file, said so that the file's own text can never harm the page.

A problem names the row as a spreadsheet numbers it (the header is row 1) and the column as the
file spells it. Cells and headers are echoed back through `shown`: short, with control and
bidirectional-override characters written as escapes, so a hostile file cannot garble or
disguise the message an admin reads.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class Problem:
    row: int | None  # None: the file as a whole, or its header
    column: str | None  # as the file spells it
    message: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


def shown(text: str, limit: int = 40) -> str:
    """A cell or header as it can safely appear in a message: short, control characters escaped."""
    out = "".join(
        ch if (unicodedata.category(ch)[0] != "C" and ch not in _BIDI) else f"\\u{ord(ch):04x}" for ch in text
    )
    return out if len(out) <= limit else out[: limit - 1] + "…"


def unsafe(text: str) -> bool:
    """Holds a control, formatting or private character, which no name, unit or address should."""
    if text.isascii() and text.isprintable():  # the common case, checked in C
        return False
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in _BIDI for ch in text)
