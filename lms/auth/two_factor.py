"""Two-factor sign-in for privileged password accounts: a time-based code (RFC 6238) after the password.

Who: people with the admin, trust lead or CEO role who sign in with a password (`required_for`);
single sign-on is left to the school's own provider. After the right password, `begin` remembers
who is half signed in, in the session cookie with the time (`PENDING_MINUTES`), and sends them to
the code page, or to set-up when they have no confirmed secret. Only a right code (or an unused
recovery code) signs them in (`finish`): a fresh session, `last_login_at`, and `sign_in` audited
with the second factor used.

The shared secret (160 bits, base32) must be readable to check a code, so it is stored as it is;
a code is accepted within one 30-second step either side of `lms.clock.utcnow()`, and never a
second time: `last_step` keeps the step of the last code taken, and a code whose step is not
later is refused (RFC 6238 section 5.2), by one conditional UPDATE, so two requests racing with
one code take it once. Recovery codes are shown once and only their SHA-256 is kept; each is
spent by a conditional UPDATE too. The pages are lms/auth/two_factor_views.py; an IT manager's
reset (lost phone and codes) is `flask people reset-two-factor EMAIL`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pyotp
from flask import Response, redirect, session, url_for
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms import access_rules
from lms.audit import record_request
from lms.auth import sessions
from lms.clock import utcnow
from lms.extensions import db
from lms.models import Person, RecoveryCode, TwoFactorSecret

# The roles whose accounts reach the whole trust's records or the system itself.
PRIVILEGED = access_rules.PRIVILEGED
PENDING_KEY = "two_factor"  # in the session cookie, between the password and the code
PENDING_MINUTES = 10
VALID_WINDOW = 1  # steps either side of now: a phone's clock may be a little out
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read off paper without doubt
RECOVERY_LENGTH = 10  # about 49 bits each

_CODE = re.compile(r"[0-9]{6}")
_RECOVERY = re.compile(f"[{RECOVERY_ALPHABET}]{{{RECOVERY_LENGTH}}}")
_SEPARATORS = re.compile(r"[\s\-]+")


class Verdict(StrEnum):
    ok = "ok"
    wrong = "wrong"  # not a code of this secret now (or a recovery code not in the list)
    reused = "reused"  # a right code whose step was taken already, or a recovery code spent
    malformed = "malformed"  # not six digits (or not a recovery code's ten characters)


def required_for(person: Person) -> bool:
    """Whether signing in with a password also needs a code: active admins, trust leads and CEOs."""
    return access_rules.needs_second_factor(person)


# --- the secret and its codes -------------------------------------------------------------------

def secret_of(session_: Session, person_id: int) -> TwoFactorSecret | None:
    return session_.get(TwoFactorSecret, person_id)


def is_set_up(session_: Session, person_id: int) -> bool:
    row = secret_of(session_, person_id)
    return row is not None and row.confirmed_at is not None


def fingerprint(secret: str) -> str:
    """What the session keeps of the secret a browser was shown (never the secret itself)."""
    return hashlib.sha256(f"two-factor-shown:{secret}".encode()).hexdigest()[:32]


def secret_for_setup(session_: Session, person_id: int, shown: str | None) -> TwoFactorSecret | None:
    """The unconfirmed secret to show this browser; None when the person has a confirmed one already.

    `shown` is the fingerprint of the secret this browser was shown before (a reload keeps it).
    Any other unconfirmed secret (shown to another browser, perhaps someone else's) is replaced,
    so a person never confirms a secret that someone else has seen.
    """
    row = secret_of(session_, person_id)
    if row is not None and row.confirmed_at is not None:
        return None
    if row is not None and shown and hmac.compare_digest(fingerprint(row.secret), shown):
        return row
    if row is not None:
        row.secret, row.created_at, row.last_step = pyotp.random_base32(), utcnow(), None
        session_.flush()
        return row
    try:
        with session_.begin_nested():  # two tabs setting up at once: the second finds the first's row
            row = TwoFactorSecret(person_id=person_id, secret=pyotp.random_base32(), created_at=utcnow())
            session_.add(row)
    except IntegrityError:
        session_.expire_all()
        return secret_for_setup(session_, person_id, None)  # the other tab's row: replaced, or confirmed already
    return row


def grouped(secret: str) -> str:
    """The secret in groups of four, as a person types it into an app."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def otpauth_uri(secret: str, email: str, issuer: str) -> str:
    """What the QR code holds: otpauth://totp/<issuer>:<email>?secret=...&issuer=..."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def typed_code(text: str | None) -> str:
    """A code as typed, without the spaces (or dashes) people put in it."""
    return _SEPARATORS.sub("", text or "")


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The latest 30-second step within the window whose code is `code`, or None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def confirm(session_: Session, row: TwoFactorSecret, typed: str, now: datetime) -> Verdict:
    """Set-up: the first code proves the app holds `row`'s secret; it is then confirmed (and that step taken)."""
    code = typed_code(typed)
    if not _CODE.fullmatch(code):
        return Verdict.malformed
    step = matching_step(row.secret, code, now)
    if step is None:
        return Verdict.wrong
    done = session_.execute(
        update(TwoFactorSecret)
        .where(TwoFactorSecret.person_id == row.person_id, TwoFactorSecret.confirmed_at.is_(None),
               TwoFactorSecret.secret == row.secret)
        .values(confirmed_at=now, last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    session_.expire(row)
    return Verdict.ok if done == 1 else Verdict.wrong


def check_code(session_: Session, person_id: int, typed: str, now: datetime) -> Verdict:
    """Take a code from the person's confirmed app: right, and of a later step than the last one taken."""
    code = typed_code(typed)
    if not _CODE.fullmatch(code):
        return Verdict.malformed
    row = secret_of(session_, person_id)
    if row is None or row.confirmed_at is None:
        return Verdict.wrong
    step = matching_step(row.secret, code, now)
    if step is None:
        return Verdict.wrong
    taken = session_.execute(
        update(TwoFactorSecret)
        .where(TwoFactorSecret.person_id == person_id, TwoFactorSecret.confirmed_at.is_not(None),
               or_(TwoFactorSecret.last_step.is_(None), TwoFactorSecret.last_step < step))
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    session_.expire(row)
    return Verdict.ok if taken == 1 else Verdict.reused


# --- recovery codes -----------------------------------------------------------------------------

def recovery_key(typed: str | None) -> str:
    """A recovery code as it is hashed: lower case, without spaces or dashes."""
    return typed_code(typed).lower()


def recovery_hash(typed: str) -> str:
    return hashlib.sha256(recovery_key(typed).encode("ascii", "replace")).hexdigest()


def make_recovery_codes(session_: Session, person_id: int, now: datetime) -> list[str]:
    """A new set of recovery codes, replacing every earlier one; returned once, as shown ("abcde-fghjk")."""
    session_.execute(delete(RecoveryCode).where(RecoveryCode.person_id == person_id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODE_COUNT)]
    session_.add_all([RecoveryCode(person_id=person_id, code_hash=recovery_hash(c), created_at=now) for c in codes])
    session_.flush()
    half = RECOVERY_LENGTH // 2
    return [f"{c[:half]}-{c[half:]}" for c in codes]


def use_recovery_code(session_: Session, person_id: int, typed: str, now: datetime) -> Verdict:
    """Spend one of the person's recovery codes: each works once, even when sent twice at once."""
    if not _RECOVERY.fullmatch(recovery_key(typed)):
        return Verdict.malformed
    digest = recovery_hash(typed)
    spent = session_.execute(
        update(RecoveryCode)
        .where(RecoveryCode.person_id == person_id, RecoveryCode.code_hash == digest, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent:
        return Verdict.ok
    used_before = session_.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.person_id == person_id, RecoveryCode.code_hash == digest))
    return Verdict.reused if used_before else Verdict.wrong


def recovery_codes_left(session_: Session, person_id: int) -> int:
    return session_.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.person_id == person_id, RecoveryCode.used_at.is_(None))) or 0


def reset(session_: Session, person_id: int) -> tuple[bool, int]:
    """Forget the person's app and recovery codes (they set up again at their next password sign-in).

    Returns whether there was a secret, and how many recovery codes were removed; the caller audits and commits.
    """
    codes = session_.execute(delete(RecoveryCode).where(RecoveryCode.person_id == person_id)).rowcount
    had = session_.execute(delete(TwoFactorSecret).where(TwoFactorSecret.person_id == person_id)).rowcount
    session_.expire_all()
    return bool(had), codes


# --- half signed in: between the password and the code -----------------------------------------

@dataclass(frozen=True)
class Pending:
    person: Person
    next_url: str
    started: datetime
    shown: str | None = None  # the fingerprint of the secret set-up showed this browser


def begin(person: Person, next_url: str) -> Response:
    """After the right password: remember who is half signed in (nothing else), and ask for the code."""
    session.clear()  # nothing from before the password carries over, a signed-in person's keys least of all
    session[PENDING_KEY] = {"id": person.id, "at": int(utcnow().timestamp()), "next": next_url}
    target = "auth.two_factor_code" if is_set_up(db.session, person.id) else "auth.two_factor_setup"
    return redirect(url_for(target))


def read_pending() -> tuple[Pending | None, str]:
    """Who is half signed in in this browser, or None and why: "none" or "expired" (then it is forgotten)."""
    found = session.get(PENDING_KEY)
    if not isinstance(found, dict):
        return None, "none"
    started = datetime.fromtimestamp(int(found.get("at", 0)), UTC)
    if utcnow() - started > timedelta(minutes=PENDING_MINUTES):
        session.pop(PENDING_KEY, None)
        return None, "expired"
    person = db.session.get(Person, int(found.get("id", 0)))
    if person is None or not person.active:
        session.pop(PENDING_KEY, None)
        return None, "none"
    return Pending(person, str(found.get("next") or url_for("training.index")), started, found.get("shown")), ""


def remember_shown(secret: str) -> None:
    """Note in the half-signed-in state which secret this browser was shown (see `secret_for_setup`)."""
    session[PENDING_KEY] = {**session[PENDING_KEY], "shown": fingerprint(secret)}


def finish(pending: Pending, second_factor: str) -> None:
    """Sign the person in, now that the code was right ("totp" or "recovery_code"). The caller commits."""
    person = pending.person
    session_id = sessions.start(person)  # a fresh session: the half-signed-in state goes with the old one
    person.last_login_at = utcnow()
    record_request("sign_in", actor_id=person.id, subject_id=person.id, object_type="web_session",
                   object_id=session_id, detail={"method": "password", "second_factor": second_factor})


def record_failure(person_id: int, second_factor: str, verdict: Verdict, page: str) -> None:
    """A wrong, reused or malformed code, for the audit log; the caller commits it on its own."""
    record_request("two_factor_failed", subject_id=person_id,
                   detail={"second_factor": second_factor, "reason": verdict.value, "page": page})
