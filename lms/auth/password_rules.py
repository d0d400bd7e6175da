"""What a new password must be: long enough, not common, not the person's own name or address, and hard to guess.

Following NIST SP 800-63B and the NCSC: length and a check against known-bad passwords, no
composition rules ("one capital, one symbol…"), which push people towards guessable patterns.
How hard a password is to guess is estimated by zxcvbn (Dropbox's estimator, `zxcvbn==4.5.0`), told
the words a guesser who knows this person tries first: their names and address, their school or
team, the trust, and the demo password printed in the README. Its verdict comes with the patterns it
found, and the person is told each of them in words, then what would pass.

The common-password list ships with the project (see COMMON-PASSWORDS-NOTICE.txt): the server
reaches no network beyond package registries, so nothing is fetched at run time. It stays beside
zxcvbn because it is a different rule: passwords known from breaches, refused however strong they
look (56 of its 190 entries of 12 or more characters, such as "ichliebedich", score 3 or more in
zxcvbn).
"""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256  # Argon2 takes any length; this only keeps a pasted novel out of the form
COMMON_LIST = Path(__file__).with_name("common-passwords.txt.gz")
# zxcvbn's matching grows faster than the square of the length (about 15 ms at 64 characters, 400 ms
# at 256), so it reads only the start: 64 characters that are hard to guess make a strong password
# whatever follows, and a weak start is refused (its reasons name what was found there).
ANALYSED_LENGTH = 64
MIN_SCORE = 3  # zxcvbn's 0-4: 3 is "safely unguessable", about 10^8 guesses or more

TOO_SHORT = f"Use at least {MIN_LENGTH} characters."
TOO_LONG = f"Use at most {MAX_LENGTH} characters."
COMMON = "This password is on a list of common passwords; choose another."
HAS_NAME = "This password contains your name; choose another."
HAS_EMAIL = "This password contains your email address; choose another."

# Why zxcvbn found a password too easy to guess, one sentence per kind of pattern it found.
WEAK = "This password would be too easy to guess."
PLACE = "It is built on the name of your school or team, or of the trust, which guessers try first."
PUBLISHED = "It is built on the demo password, which is printed in the guide for anyone to read."
COMMON_PART = "It is built on a password many people use, which guessers try first."
WORDS = "Common words and names, even with a few digits or symbols added, are easy to guess."
LOOKALIKE = "Swapping letters for look-alike digits or symbols (like @ for a, or 0 for o) does not fool a guesser."
REVERSED = "A word spelt backwards is easy to guess."
REPEATS = "Repeated characters or patterns (like aaa or abcabc) are easy to guess."
SEQUENCE = "Runs of letters or numbers (like abcd or 6789) are easy to guess."
KEYBOARD = "Rows of neighbouring keys (like qwerty or zxcvbn) are easy to guess."
DATES = "Years and dates are easy to guess."
ADVICE = ("What would pass: three or four unrelated words that you choose yourself, with spaces between them; "
          "adding another word helps more than adding digits or symbols.")

# Shorter pieces of a name ("Jo", "Li", "Tom") turn up inside ordinary words, so only
# pieces of at least this many letters and digits are looked for inside a password.
_MIN_PIECE = 4
# A pattern shorter than this ("as", "12") is part of every password and explains nothing.
_MIN_EXPLAINED = 3
_NOT_ALNUM = re.compile(r"[\W_]+")
# zxcvbn adds 10^4 guesses for every token after the first, so "Riverside-Academy" (three tokens, the
# hyphen one of them) scores 3 even when both words are ones it was told to refuse. A guesser tries
# words with the usual separators between them, so the password is also judged without them.
_SEPARATORS = re.compile(r"[\s._-]+")
_PATTERNS = {"repeat": REPEATS, "sequence": SEQUENCE, "spatial": KEYBOARD, "date": DATES, "regex": DATES}
# zxcvbn 4.5.0 keeps the words it is given in a module-level dictionary while it runs, so two threads
# checking at once could each be judged by the other's words: one check at a time per process.
_ZXCVBN = threading.Lock()


@dataclass(frozen=True)
class Estimate:
    score: int  # 0-4
    matches: list[dict]  # zxcvbn's match sequence: the patterns the password was read as


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once per process (about 20,000 lower-cased lines)."""
    with gzip.open(COMMON_LIST, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def estimate(password: str, words: Sequence[str]) -> Estimate:
    """zxcvbn's verdict on the start of `password`, knowing `words` (lower-cased, as zxcvbn matches them)."""
    with _ZXCVBN:
        result = zxcvbn(password[:ANALYSED_LENGTH], user_inputs=list(words), max_length=ANALYSED_LENGTH)
    return Estimate(score=result["score"], matches=result["sequence"])


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


def _guessable_words(groups: Iterable[tuple[str, Iterable[str], bool]]) -> dict[str, str]:
    """Each word zxcvbn is told (whole text, as typed and squashed, and its pieces when `split`), with the
    reason it is refused; the first group that gives a word names it."""
    words: dict[str, str] = {}
    for reason, texts, split in groups:
        for text in texts:
            for piece in [text, *(_NOT_ALNUM.split(text) if split else ())]:
                for word in {piece.strip().lower(), _squash(piece)}:
                    if len(word) >= _MIN_EXPLAINED:
                        words.setdefault(word, reason)
    return words


def _without(text: str, words: dict[str, str]) -> tuple[str, list[str]]:
    """`text` lower-cased without the words to refuse (of 4 or more characters, longest first), and the reason
    for each taken out. zxcvbn adds 10^4 guesses for every token after the first, so three refused words
    ("kestrel-vale-learning" at the Kestrel Vale Learning Trust) would score 3: they count for nothing here,
    and what is left must be hard to guess on its own."""
    rest, reasons = text.lower(), []
    for word in sorted((w for w in words if len(w) >= _MIN_PIECE and " " not in w), key=len, reverse=True):
        if word in rest:
            rest = rest.replace(word, "")
            reasons.append(words[word])
    return rest, reasons


def _reason(match: dict, words: dict[str, str]) -> list[str]:
    """What a pattern zxcvbn found is, in words for the person (nothing for a stretch it had to guess)."""
    if len(match["token"]) < _MIN_EXPLAINED or match["pattern"] == "bruteforce":
        return []
    if match["pattern"] != "dictionary":
        return [_PATTERNS.get(match["pattern"], WORDS)]
    if match["dictionary_name"] == "user_inputs":
        found = [words.get(match["matched_word"], WORDS)]
    else:
        found = [COMMON_PART if match["dictionary_name"] == "passwords" else WORDS]
    if match.get("l33t"):
        found.append(LOOKALIKE)
    if match.get("reversed"):
        found.append(REVERSED)
    return found


def problems(password: str, *, email: str = "", first_name: str = "", last_name: str = "",
             places: Sequence[str] = (), published: Sequence[str] = ()) -> list[str]:
    """Every reason this password may not be used (none means it may), in words for the person.

    `places` are the names of the person's unit and of the trust; `published` passwords anyone can
    read (the demo's). A password too easy to guess gets WEAK, each pattern found, then ADVICE.
    """
    found: list[str] = []
    if len(password) < MIN_LENGTH:
        found.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        found.append(TOO_LONG)
    listed = password.strip().lower() in common_passwords()
    if listed:
        found.append(COMMON)
    squashed = _squash(password)
    names = _pieces(first_name, last_name, first_name + last_name)
    if any(piece in squashed for piece in names):
        found.append(HAS_NAME)
    # An address made of the name ("jo.bloggs@") is told once, as the name.
    local_part = email.rsplit("@", 1)[0] if email else ""
    address = _pieces(local_part) - names
    if any(piece in squashed for piece in address):
        found.append(HAS_EMAIL)
    if found and (listed or len(password) < MIN_LENGTH or len(password) > MAX_LENGTH):
        return found  # refused already for a reason that needs no estimate
    # The address comes last: its domain is usually the school's name, told as the school's.
    # A published password is refused whole: its pieces ("the", "2026") say nothing about this person.
    words = _guessable_words([(HAS_NAME, [first_name, last_name, first_name + last_name], True),
                              (PLACE, places, True), (PUBLISHED, published, False),
                              (HAS_EMAIL, [email, local_part], True)])
    joined = _SEPARATORS.sub("", password)
    rest, removed = _without(joined, words)
    judged = [(estimate(password, list(words)), [])]  # the weakest reading decides; the first if equal
    if joined and joined != password:
        judged.append((estimate(joined, list(words)), []))
    if removed:
        judged.append((estimate(rest, list(words)) if rest else Estimate(score=0, matches=[]), removed))
    verdict, told = min(judged, key=lambda pair: pair[0].score)
    if verdict.score >= MIN_SCORE:
        return found
    reasons = [WEAK, *told, *(reason for match in verdict.matches for reason in _reason(match, words)), ADVICE]
    return list(dict.fromkeys([*found, *reasons]))  # each reason once, in the order found
