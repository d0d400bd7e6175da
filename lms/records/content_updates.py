"""Entry points that keep records current after the things that change them."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from lms.content.store import LoadReport
from lms.models import PolicyVersion
from lms.records.policy_change import apply_policy_change
from lms.records.requirements import sync_requirements
from lms.records.settings import RecordSettings


def after_content_load(session: Session, report: LoadReport, settings: RecordSettings,
                       today: date) -> dict[str, list[str]]:
    """A new policy version marks affected passes for refresh; new modules become required."""
    affected: dict[str, list[str]] = {}
    if report.previous_policy_id is not None:
        old = session.get(PolicyVersion, report.previous_policy_id)
        new = session.query(PolicyVersion).filter_by(version=report.policy_version).one()
        affected = apply_policy_change(session, old, new, settings, today)
    sync_requirements(session, settings, today)
    return affected
