"""Attempts at a module, the answers given, and each person's standing per module."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
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
from lms.models.column_types import UTCDateTime


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
    # A refresh attempt covers only the clauses a new policy version changed.
    kind: Mapped[str] = mapped_column(String(10), default="full", server_default="full")
    refresh_clauses: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    # Set on a pass: the certificate's verification code and how long the pass is valid.
    certificate_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    valid_until: Mapped[date | None]

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

    Also the assignment: whether the module is required of the person, why, and by when.
    Dashboards, reminders and "My training" read this instead of scanning attempts or answers;
    the time-dependent state (due soon, overdue, expired) is derived from its dates
    (lms/records/status.py), in Python and in SQL alike.
    """

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("person_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    required: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    reason: Mapped[str | None] = mapped_column(String(40))  # all_staff | manages_others | assigned
    assigned_on: Mapped[date | None]
    due_on: Mapped[date | None]  # first due date, the renewal date after a pass, or a refresh deadline
    valid_until: Mapped[date | None]
    pass_policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))
    refresh_clauses: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))  # set when a new policy changed them
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


class ReminderLog(db.Model):
    """Every reminder sent, one per person, kind and day: running the job twice sends nothing new."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("person_id", "kind", "sent_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # due | digest | manual
    sent_on: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    detail: Mapped[str] = mapped_column(String(1000), default="")
