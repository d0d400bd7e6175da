"""Attempts at a module, the answers given, and each person's standing per module."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db
from lms.models.types import UTCDateTime


class AttemptState(enum.StrEnum):
    in_progress = "in_progress"
    submitted = "submitted"
    abandoned = "abandoned"


class Outcome(enum.StrEnum):
    correct = "correct"
    wrong_clause = "wrong_clause"  # right verdict (breach), clause not among the scenario's
    incorrect = "incorrect"


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (
        # One open attempt per person and module, whatever the number of tabs or clicks.
        Index(
            "uq_attempts_one_open",
            "person_id",
            "module_id",
            unique=True,
            sqlite_where=db.text("state = 'in_progress'"),
            postgresql_where=db.text("state = 'in_progress'"),
        ),
        Index("ix_attempts_person_module", "person_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    state: Mapped[AttemptState] = mapped_column(
        Enum(AttemptState, native_enum=False, length=20), default=AttemptState.in_progress
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    points: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # percent, rounded for display
    passed: Mapped[bool | None]

    person = relationship("Person")
    module = relationship("Module")
    module_version = relationship("ModuleVersion")
    policy_version = relationship("PolicyVersion")
    items: Mapped[list[AttemptItem]] = relationship(
        back_populates="attempt", order_by="AttemptItem.position", cascade="all, delete-orphan"
    )
    answers: Mapped[list[Answer]] = relationship(back_populates="attempt")


class AttemptItem(db.Model):
    """The scenarios drawn for an attempt, in the order they are shown."""

    __tablename__ = "attempt_items"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position"),
        UniqueConstraint("attempt_id", "scenario_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1-based
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"))

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    scenario = relationship("Scenario")


class Answer(db.Model):
    __tablename__ = "answers"
    __table_args__ = (
        # A resent form or a second tab can never record a second answer.
        UniqueConstraint("attempt_id", "scenario_id"),
        CheckConstraint("verdict IN ('breach', 'compliant')", name="verdict"),
        CheckConstraint("points IN (0, 0.5, 1)", name="points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"))
    verdict: Mapped[str] = mapped_column(String(10))
    clause: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[Outcome] = mapped_column(Enum(Outcome, native_enum=False, length=20))
    points: Mapped[Decimal] = mapped_column(Numeric(2, 1))
    sure: Mapped[bool | None]
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")
    scenario = relationship("Scenario")


class ModuleProgress(db.Model):
    """Each person's standing in a module, kept current in the same transaction as attempts.

    Dashboards and "My training" read this instead of scanning answers.
    """

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("person_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    open_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"))
    last_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"))
    last_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    last_passed: Mapped[bool | None]
    last_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pass_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    pass_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"))
    attempts_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Contest(db.Model):
    """"I think this answer is wrong": a person's challenge to a scenario's marking."""

    __tablename__ = "contests"
    __table_args__ = (UniqueConstraint("attempt_id", "scenario_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"), index=True)
    reason: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person = relationship("Person")
    attempt = relationship("Attempt")
    scenario = relationship("Scenario")
