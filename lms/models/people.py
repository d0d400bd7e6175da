"""Units of the trust and the people who work in them (policy 1.3)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db
from lms.models.column_types import UTCDateTime


class UnitKind(enum.StrEnum):
    school = "school"
    central = "central"


class StaffType(enum.StrEnum):
    """Everyone policy 1.3 covers."""

    employee = "employee"
    consultant = "consultant"
    volunteer = "volunteer"
    agency_worker = "agency_worker"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Role(enum.StrEnum):
    """Roles beyond "staff", which everyone has."""

    headteacher = "headteacher"  # of the person's own unit
    ceo = "ceo"
    trust_lead = "trust_lead"
    admin = "admin"


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[UnitKind] = mapped_column(Enum(UnitKind, native_enum=False, length=20))

    people: Mapped[list[Person]] = relationship(back_populates="unit")

    def __repr__(self) -> str:
        return f"<Unit {self.name}>"


class Person(UserMixin, db.Model):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    staff_type: Mapped[StaffType] = mapped_column(Enum(StaffType, native_enum=False, length=20))
    job_title: Mapped[str] = mapped_column(String(120), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    line_manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    start_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Sessions and data protection (issue 7): a password change ends other sessions; retention
    # counts from when someone left; an anonymised person keeps only what aggregates need.
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship(back_populates="people")
    line_manager: Mapped[Person | None] = relationship(remote_side=[id])
    roles: Mapped[list[PersonRole]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.roles)

    def has_role(self, role: Role) -> bool:
        return role in self.role_set

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive people
        return self.active

    def __repr__(self) -> str:
        return f"<Person {self.email}>"


class PersonRole(db.Model):
    __tablename__ = "person_roles"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))

    person: Mapped[Person] = relationship(back_populates="roles")


class ImportRun(db.Model):
    """A staff import, kept as evidence of who changed the staff list and how."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    source: Mapped[str] = mapped_column(String(255))
    full: Mapped[bool]
    rows: Mapped[int]
    created: Mapped[int]
    updated: Mapped[int]
    deactivated: Mapped[int]
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
