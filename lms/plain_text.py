"""What every text field accepts besides its length: printable text only.

PostgreSQL refuses a NUL byte in text outright (the request would fail with a 500 instead of a
message), and the other control characters, lone surrogates and the bidirectional override
characters are invisible: stored, they make a name or a note read differently from what was
typed (U+202E turns "gpj.exe" into "exe.jpg"). So a form refuses them with a message naming the
field and the character, before anything reaches a service or the database.

Tab and line breaks are allowed in multi-line fields (a browser sends a textarea's lines as
CR LF); a one-line field refuses them too. Joiners, combining marks and emoji are ordinary text
and pass. Lengths: every text field also has `Length(max=...)` no larger than its column, and a
field stored in a Text column is capped at 2,000 characters (a note or reason) or 4,000 (a
description, a draft, a question); tests/security/test_lengths.py holds every form to that.
"""

from __future__ import annotations

import unicodedata

from wtforms.validators import StopValidation

# Explicit embeddings, overrides and isolates: invisible, and they reorder what is displayed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MULTILINE_ALLOWED = frozenset("\t\n\r")
_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a line break"}


def first_unsafe(text: str, multiline: bool = False) -> str | None:
    """The first character `text` may not hold, or None."""
    if text.isascii() and text.isprintable():  # the common case, checked in C
        return None
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc" and not (multiline and ch in MULTILINE_ALLOWED):
            return ch
        if category == "Cs" or ch in BIDI_CONTROLS:
            return ch
    return None


def describe(ch: str) -> str:
    """A character as a person can find it: "a line break", "the control character U+0000"."""
    if ch in _NAMES:
        return _NAMES[ch]
    if unicodedata.category(ch) == "Cs":
        return f"the unpaired surrogate U+{ord(ch):04X} (half of a character)"
    kind = "direction override character" if ch in BIDI_CONTROLS else "control character"
    return f"the invisible {kind} U+{ord(ch):04X}"


class PlainText:
    """Refuse control characters (and tabs and line breaks in a one-line field) with a clear message.

    `label` starts the message, as the approvals forms' messages do ("Purpose: ..."); without it
    the field's own label is used.
    """

    field_flags = {"plain_text": True}  # lets tests find every field that carries this check

    def __init__(self, label: str | None = None, multiline: bool = False) -> None:
        self.label = label
        self.multiline = multiline

    def __call__(self, form, field) -> None:
        data = field.data
        if not isinstance(data, str):
            return
        bad = first_unsafe(data, self.multiline)
        if bad is None:
            return
        label = self.label or field.label.text
        if bad in MULTILINE_ALLOWED:
            message = f"{label}: keep this on one line; remove {describe(bad)}."
        else:
            message = f"{label}: remove {describe(bad)}; it cannot be saved."
        raise StopValidation(message)


def _control(text: str) -> str | None:
    if text.isascii() and text.isprintable():
        return None
    return next((ch for ch in text if unicodedata.category(ch) in ("Cc", "Cs")), None)


def address_problem(path: str, args) -> str | None:
    """Why an address cannot be answered (a control character in its path or query string), or None.

    No page or API call needs one, and a NUL passed on to a query makes PostgreSQL fail the request
    (a 500): a slug, a code or a searched email with one is refused here instead, with a 400.
    """
    bad = _control(path)
    if bad is not None:
        return f"The address contains {describe(bad)}, which no page uses."
    for name, values in args.lists():
        for text in (name, *values):
            bad = _control(text)
            if bad is not None:
                return f"The query parameter '{_control_free(name)}' contains {describe(bad)}, which is not allowed."
    return None


def _control_free(text: str) -> str:
    return "".join(ch if unicodedata.category(ch) not in ("Cc", "Cs") else "?" for ch in text)[:40]


def refuse_unsafe_address() -> None:
    """A before_request hook: answer 400, saying why, to an address holding a control character."""
    from flask import abort, request

    problem = address_problem(request.path, request.args)
    if problem is not None:
        abort(400, description=problem)
