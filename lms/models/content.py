"""The policy and the training modules, as loaded from scenarios/*.yaml."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db
from lms.models.column_types import UTCDateTime


class PolicyVersion(db.Model):
    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(200))
    issued: Mapped[date]
    review_due: Mapped[date | None]
    content_hash: Mapped[str] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(default=False)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    clauses: Mapped[list[Clause]] = relationship(
        back_populates="policy_version", order_by="Clause.position", cascade="all, delete-orphan"
    )


class Clause(db.Model):
    __tablename__ = "clauses"
    __table_args__ = (UniqueConstraint("policy_version_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    number: Mapped[str] = mapped_column(String(20))
    section: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    pickable: Mapped[bool] = mapped_column(default=True)
    guidance: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    position: Mapped[int]

    policy_version: Mapped[PolicyVersion] = relationship(back_populates="clauses")


class Module(db.Model):
    """A module's identity; its content lives in versions."""

    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)

    versions: Mapped[list[ModuleVersion]] = relationship(
        back_populates="module", order_by="ModuleVersion.version_no"
    )


class ModuleVersion(db.Model):
    """One immutable edition of a module's content; attempts point at the one they took."""

    __tablename__ = "module_versions"
    __table_args__ = (
        UniqueConstraint("module_id", "version_no"),
        # At most one current version per module.
        Index(
            "uq_module_versions_current",
            "module_id",
            unique=True,
            sqlite_where=db.text("is_current"),
            postgresql_where=db.text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    version_no: Mapped[int]
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(default=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(20))
    pass_mark: Mapped[int]
    draw: Mapped[int]
    minutes: Mapped[int]
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    module: Mapped[Module] = relationship(back_populates="versions")
    policy_version: Mapped[PolicyVersion] = relationship()
    scenarios: Mapped[list[Scenario]] = relationship(
        back_populates="module_version", order_by="Scenario.position"
    )


class Scenario(db.Model):
    __tablename__ = "scenarios"
    __table_args__ = (UniqueConstraint("module_version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    key: Mapped[str] = mapped_column(String(80))  # the scenario's id in the YAML file
    position: Mapped[int]
    platform: Mapped[str] = mapped_column(String(20))
    author_role: Mapped[str] = mapped_column(String(120))
    account: Mapped[str] = mapped_column(String(20))
    posted_at: Mapped[str] = mapped_column(String(120))
    authorised_business_use: Mapped[bool]
    post: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(10))
    clauses: Mapped[list[str]] = mapped_column(JSON)
    followed: Mapped[list[str]] = mapped_column(JSON)
    # The clause the scenario teaches (lms.content.schema.clause_group), for GROUP BY in dashboards.
    clause_group: Mapped[str] = mapped_column(String(20), default="none", server_default="none", index=True)
    explanation: Mapped[str] = mapped_column(Text)
    difficulty: Mapped[str | None] = mapped_column(String(10))

    module_version: Mapped[ModuleVersion] = relationship(back_populates="scenarios")
