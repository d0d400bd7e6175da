"""Requests the policy puts in managers' hands (5.1, 5.2, 2.2/2.3, 4.5/6.5) and their history."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db
from lms.models.column_types import UTCDateTime


class RequestKind(enum.StrEnum):
    business_use = "business_use"      # 5.1: speak for the school or trust on social media
    media_enquiry = "media_enquiry"    # 5.2: respond to an enquiry for publication
    reference = "reference"            # 2.2 / 2.3: a professional reference on the school's or trust's behalf
    misuse_report = "misuse_report"    # 4.5 / 6.5: misuse, or content that disparages the school or trust

    @property
    def label(self) -> str:
        return {"business_use": "Business use of social media", "media_enquiry": "Media enquiry",
                "reference": "Reference on the school's or trust's behalf",
                "misuse_report": "Report of misuse or disparaging content"}[self.value]


class RequestState(enum.StrEnum):
    submitted = "submitted"
    training_required = "training_required"  # business use: approvable once the person passes the module
    approved = "approved"
    declined = "declined"
    revoked = "revoked"
    lapsed = "lapsed"
    withdrawn = "withdrawn"
    answered = "answered"    # media enquiry: the approved response was given
    closed = "closed"        # misuse report: the recipient recorded what was done

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Request(db.Model):
    """One request, routed to one approver. Never edited in place after a decision: every change
    of state is a conditional UPDATE plus a RequestEvent."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_approver_state", "approver_id", "state"),
        Index("ix_requests_kind_state", "kind", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RequestKind] = mapped_column(Enum(RequestKind, native_enum=False, length=20))
    state: Mapped[RequestState] = mapped_column(Enum(RequestState, native_enum=False, length=20),
                                                default=RequestState.submitted)
    requester_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # Snapshots at submission: an approval lapses when the person changes unit or manager.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    line_manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Business use (5.1)
    accounts: Mapped[str | None] = mapped_column(String(500))      # which accounts
    platforms: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    purpose: Mapped[str | None] = mapped_column(String(2000))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]                                   # what the person asked for
    conditions: Mapped[str | None] = mapped_column(String(4000))           # the approver's written conditions
    condition_flags: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    expires_on: Mapped[date | None]                                # the approval's review or expiry date
    training_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"))  # the pass relied on

    # Media enquiry (5.2)
    enquirer: Mapped[str | None] = mapped_column(String(200))
    outlet: Mapped[str | None] = mapped_column(String(200))
    question: Mapped[str | None] = mapped_column(String(4000))
    deadline: Mapped[date | None]
    approved_response: Mapped[str | None] = mapped_column(String(4000))

    # Reference (2.2, 2.3)
    subject_name: Mapped[str | None] = mapped_column(String(200))   # who the reference is about
    reference_for: Mapped[str | None] = mapped_column(String(300))  # where / for whom (e.g. LinkedIn, an employer)
    draft: Mapped[str | None] = mapped_column(String(4000))

    # Misuse report (4.5, 6.5)
    link: Mapped[str | None] = mapped_column(String(1000))
    description: Mapped[str | None] = mapped_column(String(4000))
    withhold_name: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str | None] = mapped_column(String(4000))               # what the recipient did

    requester = relationship("Person", foreign_keys=[requester_id])
    approver = relationship("Person", foreign_keys=[approver_id])
    unit = relationship("Unit")
    events: Mapped[list[RequestEvent]] = relationship(back_populates="request", order_by="RequestEvent.id")


class RequestEvent(db.Model):
    """Append-only history of a request: who, when, from -> to, and why."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # None: the system (a lapse)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(4000), default="")  # a close carries the outcome (4000)

    request: Mapped[Request] = relationship(back_populates="events")
    actor = relationship("Person")


class Delegation(db.Model):
    """An approver lets a colleague decide their requests while it lasts (holidays, absence)."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Ended early ("End now") by the approver or the delegate: no longer in force from that moment,
    # whatever its dates say. Kept, not deleted, so who could decide what, and until when, stays known.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    approver = relationship("Person", foreign_keys=[approver_id])
    delegate = relationship("Person", foreign_keys=[delegate_id])
    ended_by = relationship("Person", foreign_keys=[ended_by_id])
