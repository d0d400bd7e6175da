"""Read-only queries behind the content library pages for trust leads."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from lms.content.coverage import Coverage, coverage
from lms.models import Clause, Contest, Module, ModuleVersion, Person, PolicyVersion, Scenario
from lms.training.service import current_versions


def current_policy(session: Session) -> PolicyVersion | None:
    return session.scalar(select(PolicyVersion).where(PolicyVersion.is_current))


def live_coverage(session: Session) -> Coverage | None:
    """The coverage matrix of the content staff are taking now (current module versions)."""
    policy = current_policy(session)
    if policy is None:
        return None
    clauses = session.scalars(select(Clause).where(Clause.policy_version_id == policy.id).order_by(Clause.position))
    versions = current_versions(session)
    return coverage(list(clauses), [(v.module.slug, v.scenarios) for v in versions])


def module_version(session: Session, slug: str) -> ModuleVersion | None:
    return session.scalar(
        select(ModuleVersion).join(Module).where(Module.slug == slug, ModuleVersion.is_current)
        .options(joinedload(ModuleVersion.scenarios))
    )


def contest_counts(session: Session, version: ModuleVersion) -> dict[int, int]:
    return dict(session.execute(
        select(Contest.scenario_id, func.count()).join(Scenario, Scenario.id == Contest.scenario_id)
        .where(Scenario.module_version_id == version.id).group_by(Contest.scenario_id)
    ).all())


def contests(session: Session, limit: int = 200) -> list[Contest]:
    """The newest contests first, each with its scenario and the person who raised it (never an anonymised one)."""
    return list(session.scalars(
        select(Contest).join(Person, Person.id == Contest.person_id).where(Person.anonymised_at.is_(None))
        .order_by(Contest.created_at.desc(), Contest.id.desc()).limit(limit)
        .options(joinedload(Contest.scenario).joinedload(Scenario.module_version), joinedload(Contest.person))
    ))
