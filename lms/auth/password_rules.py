"""What a new password must be: long enough, not common, not the person's own name or address.

Following NIST SP 800-63B and the NCSC: length and a check against known-bad passwords, no
composition rules ("one capital, one symbol…"), which push people towards guessable patterns.
The common-password list ships with the project (see COMMON-PASSWORDS-NOTICE.txt): the
server reaches no network beyond package registries, so nothing is fetched at run time.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 256  # Argon2 takes any length; this only keeps a pasted novel out of the form
COMMON_LIST = Path(__file__).with_name("common-passwords.txt.gz")

TOO_SHORT = f"Use at least {MIN_LENGTH} characters."
TOO_LONG = f"Use at most {MAX_LENGTH} characters."
COMMON = "This password is on a list of common passwords; choose another."
HAS_NAME = "This password contains your name; choose another."
HAS_EMAIL = "This password contains your email address; choose another."

# Shorter pieces of a name ("Jo", "Li", "Tom") turn up inside ordinary words, so only
# pieces of at least this many letters and digits are looked for inside a password.
_MIN_PIECE = 4
_NOT_ALNUM = re.compile(r"[\W_]+")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once per process (about 20,000 lower-cased lines)."""
    with gzip.open(COMMON_LIST, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def _squash(text: str) -> str:
    """Lower case, letters and digits only: 'Jo.Bloggs!' and 'jobloggs' are the same to a guesser."""
    return _NOT_ALNUM.sub("", text.lower())


def _pieces(*texts: str) -> set[str]:
    """Each text whole and split at spaces, dots, hyphens…, squashed, long enough to matter."""
    found: set[str] = set()
    for text in texts:
        for piece in [text, *_NOT_ALNUM.split(text)]:
            squashed = _squash(piece)
            if len(squashed) >= _MIN_PIECE:
                found.add(squashed)
    return found


def problems(password: str, *, email: str = "", first_name: str = "", last_name: str = "") -> list[str]:
    """Every reason this password may not be used (none means it may), in words for the person."""
    found: list[str] = []
    if len(password) < MIN_LENGTH:
        found.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        found.append(TOO_LONG)
    if password.strip().lower() in common_passwords():
        found.append(COMMON)
    squashed = _squash(password)
    names = _pieces(first_name, last_name, first_name + last_name)
    if any(piece in squashed for piece in names):
        found.append(HAS_NAME)
    # An address made of the name ("jo.bloggs@") is told once, as the name.
    address = _pieces(email.rsplit("@", 1)[0]) - names if email else set()
    if any(piece in squashed for piece in address):
        found.append(HAS_EMAIL)
    return found
