"""Is a staff file's cell an email address, and which address does it match (no database)?

The answer is normalised the way every lookup by email is (`directory.normalise_email`), so an
address in the file and the same address already in the system are always the same key.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from lms.people.directory import normalise_email
from lms.people.staff_columns import EMAIL_MAX

# The plain address nearly every staff file holds: an ASCII dot-atom before the @ (email_validator's own
# DOT_ATOM_TEXT, at most 64 characters) and an ASCII host name after it. Anything else (quotes, Unicode,
# a display name, a bracketed IP) goes through validate_email whole.
_ATEXT = r"a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~"
_PLAIN_EMAIL = re.compile(rf"([{_ATEXT}]+(?:\.[{_ATEXT}]+)*)@([a-zA-Z0-9.\-]+)")
_LOCAL_MAX = 64


class EmailCheck:
    """validate_email, remembered; for a plain address the host name is validated once per domain.

    A trust's file holds 100,000 addresses on a few hundred domains, and validating every whole
    address took most of the import's time. For a plain address validate_email checks the part
    before the @ with the dot-atom rule and its length, the domain on its own, and the whole length;
    that is what this does, asking validate_email about each domain only once.
    """

    def __init__(self) -> None:
        self.seen: dict[str, str | None] = {}
        self.domains: dict[str, str | None] = {}

    def _full(self, text: str) -> str | None:
        try:
            return normalise_email(validate_email(text, check_deliverability=False).normalized)
        except EmailNotValidError:
            return None

    def _domain(self, domain: str) -> str | None:
        if domain not in self.domains:
            checked = self._full(f"x@{domain}")
            self.domains[domain] = None if checked is None else checked.split("@", 1)[1]
        return self.domains[domain]

    def __call__(self, text: str) -> str | None:
        if text not in self.seen:
            plain = _PLAIN_EMAIL.fullmatch(text)
            if plain is None or len(plain.group(1)) > _LOCAL_MAX or len(text) > EMAIL_MAX:
                self.seen[text] = self._full(text)
            else:
                domain = self._domain(plain.group(2))
                address = None if domain is None else normalise_email(f"{plain.group(1)}@{domain}")
                self.seen[text] = address if address is not None and len(address) <= EMAIL_MAX else self._full(text)
        return self.seen[text]
