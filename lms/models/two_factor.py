"""Time-based one-time codes for privileged password accounts (issue 16).

People with the admin, trust lead or CEO role who sign in with a password must also give a code
from an authenticator app. The shared secret has to be readable to check a code, so it is stored
as it is (base32); recovery codes are shown once and only their SHA-256 is kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db
from lms.models.column_types import UTCDateTime


class TwoFactorSecret(db.Model):
    __tablename__ = "two_factor_secrets"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))  # base32, as authenticator apps take it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None until a first code proved the set-up
    last_step: Mapped[int | None] = mapped_column(BigInteger)  # the 30-second step of the last code taken: no reuse


class RecoveryCode(db.Model):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 hex of the code, which is shown once
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
