"""A new policy version: passes that relied on changed clauses need a refresh; others stay valid."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.content.spec import same_or_nested
from lms.models import Clause, ModuleProgress, ModuleVersion, PolicyVersion
from lms.records.settings import RecordSettings


def changed_clauses(session: Session, old: PolicyVersion, new: PolicyVersion) -> set[str]:
    """Clause numbers whose words differ between two versions, or that one of them lacks."""
    def texts(policy: PolicyVersion) -> dict[str, str]:
        return dict(session.execute(select(Clause.number, Clause.text).where(Clause.policy_version_id == policy.id)).all())

    before, after = texts(old), texts(new)
    return {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}


def relied_on(version: ModuleVersion, changed: set[str]) -> list[str]:
    """The changed clauses a module's scenarios cite (2.1 relies on 2.1(a)–(f) and back)."""
    cited = {n for s in version.scenarios for n in (*s.clauses, *s.followed)}
    return sorted(c for c in changed if any(same_or_nested(c, n) for n in cited))


def apply_policy_change(session: Session, old: PolicyVersion, new: PolicyVersion,
                        settings: RecordSettings, today: date) -> dict[str, list[str]]:
    """Mark current passes of affected modules for refresh. Returns module slug -> clauses."""
    changed = changed_clauses(session, old, new)
    affected: dict[str, list[str]] = {}
    if not changed:
        return affected
    deadline = today + timedelta(days=settings.new_starter_days)
    for version in session.scalars(select(ModuleVersion).where(ModuleVersion.is_current)):
        clauses = relied_on(version, changed)
        if not clauses:
            continue
        affected[version.module.slug] = clauses
        for progress in session.scalars(select(ModuleProgress).where(
            ModuleProgress.module_id == version.module_id, ModuleProgress.valid_until >= today,
            ModuleProgress.pass_policy_version_id != new.id,
        )):
            progress.refresh_clauses = clauses
            progress.due_on = min(deadline, progress.valid_until)
    return affected
