"""Put validated content into the database: idempotent, versioned, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lms.content import clauses
from lms.content.schema import Library
from lms.content.spec import ModuleSpec, PolicySpec, clause_group
from lms.models import Clause, Module, ModuleVersion, PolicyVersion, Scenario


class ContentError(Exception):
    """The content cannot be loaded as it stands; nothing was changed."""


@dataclass(frozen=True)
class LoadReport:
    policy_version: str
    policy_created: bool
    modules: list[tuple[str, int, bool]]  # slug, version_no, created?
    previous_policy_id: int | None = None  # the version that was current before, if it changed

    def lines(self) -> list[str]:
        out = [f"policy {self.policy_version}: {'loaded' if self.policy_created else 'unchanged'}"]
        for slug, version_no, created in self.modules:
            out.append(f"{slug}: {'new version' if created else 'unchanged at version'} {version_no}")
        return out


def load_library(session: Session, library: Library) -> LoadReport:
    """Load a problem-free library. The caller commits (or rolls back on error)."""
    if library.problems or library.policy is None:
        raise ContentError("the content has problems; run 'scenarios check' to list them")
    previous = session.scalar(select(PolicyVersion.id).where(PolicyVersion.is_current))
    policy, created = _upsert_policy(session, library.policy)
    modules = [_upsert_module(session, spec, policy) for spec in library.modules]
    clauses.forget()  # titles or flags may have been corrected in place
    return LoadReport(policy.version, created, modules, previous if previous not in (None, policy.id) else None)


def _upsert_policy(session: Session, spec: PolicySpec) -> tuple[PolicyVersion, bool]:
    existing = session.scalar(select(PolicyVersion).where(PolicyVersion.version == spec.version))
    if existing is not None:
        if existing.content_hash != spec.content_hash:
            raise ContentError(
                f"policy version {spec.version} is already loaded with different text; "
                "a changed policy needs a new version string"
            )
        policy, created = existing, False
        _update_clause_details(existing, spec)
    else:
        policy = PolicyVersion(
            version=spec.version, title=spec.title, owner=spec.owner, issued=spec.issued,
            review_due=spec.review_due, content_hash=spec.content_hash,
        )
        policy.clauses = [
            Clause(number=c.number, section=c.section, title=c.title, text=c.text,
                   pickable=c.pickable, guidance=c.guidance, position=i)
            for i, c in enumerate(spec.clauses, start=1)
        ]
        session.add(policy)
        created = True
    session.flush()
    session.execute(update(PolicyVersion).values(is_current=PolicyVersion.id == policy.id))
    return policy, created


def _update_clause_details(policy: PolicyVersion, spec: PolicySpec) -> None:
    """Titles, sections and flags are presentation: correct them in place (the words are hashed)."""
    by_number = {c.number: c for c in spec.clauses}
    for clause in policy.clauses:
        new = by_number[clause.number]
        clause.section, clause.title = new.section, new.title
        clause.pickable, clause.guidance = new.pickable, new.guidance


def _upsert_module(session: Session, spec: ModuleSpec, policy: PolicyVersion) -> tuple[str, int, bool]:
    module = session.scalar(select(Module).where(Module.slug == spec.slug))
    if module is None:
        module = Module(slug=spec.slug)
        session.add(module)
        session.flush()
    content_hash = spec.content_hash(policy.version)
    current = session.scalar(
        select(ModuleVersion).where(ModuleVersion.module_id == module.id, ModuleVersion.is_current)
    )
    if current is not None and current.content_hash == content_hash:
        return spec.slug, current.version_no, False
    last = session.scalar(select(func.max(ModuleVersion.version_no)).where(ModuleVersion.module_id == module.id))
    if current is not None:
        current.is_current = False
        session.flush()  # the partial unique index allows one current version at a time
    version = ModuleVersion(
        module_id=module.id, version_no=(last or 0) + 1, policy_version_id=policy.id,
        content_hash=content_hash, is_current=True, title=spec.title, summary=spec.summary,
        audience=spec.audience, pass_mark=spec.pass_mark, draw=spec.draw, minutes=spec.minutes,
    )
    version.scenarios = [
        Scenario(
            key=s.key, position=i, platform=s.platform, author_role=s.author_role, account=s.account,
            posted_at=s.posted_at, authorised_business_use=s.authorised_business_use, post=s.post,
            verdict=s.verdict, clauses=list(s.clauses), followed=list(s.followed),
            explanation=s.explanation, difficulty=s.difficulty,
            clause_group=clause_group(s.verdict, s.clauses, s.followed),
        )
        for i, s in enumerate(spec.scenarios, start=1)
    ]
    session.add(version)
    session.flush()
    return spec.slug, version.version_no, True
