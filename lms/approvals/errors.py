"""The one refusal the approvals services raise, and the text check most refusals come from.

A message starts with the field it is about ("Purpose: enter this."), so the form that shows it
(lms/approvals/forms.py, FIELD_NAMES) can put it at that field.
"""

from __future__ import annotations


class ApprovalError(Exception):
    """A move that is not allowed; the message says why, for the person who tried it."""


def checked_text(value: str | None, field: str, max_len: int, required: bool = True) -> str | None:
    """The text without surrounding spaces, None when empty and optional; refused when missing or too long."""
    value = (value or "").strip()
    if not value:
        if required:
            raise ApprovalError(f"{field}: enter this.")
        return None
    if len(value) > max_len:
        raise ApprovalError(f"{field}: at most {max_len} characters ({len(value)} given).")
    return value
