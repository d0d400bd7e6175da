"""The business-use training module (5.1): an approver may require a pass before approving, and an
approval that relied on a pass lapses when it runs out. Both ask here what the person holds."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.clock import today
from lms.models import Module, ModuleProgress, Person
from lms.records.settings import RecordSettings
from lms.records.status import Standing, standing

BUSINESS_USE_MODULE = "speaking-for-the-school"


def _progress(session: Session, person: Person) -> ModuleProgress | None:
    return session.scalar(select(ModuleProgress).join(Module, Module.id == ModuleProgress.module_id)
                          .where(Module.slug == BUSINESS_USE_MODULE, ModuleProgress.person_id == person.id))


def business_use_pass(session: Session, person: Person, settings: RecordSettings,
                      on: date | None = None) -> ModuleProgress | None:
    """The person's progress in the business-use module when it holds a current pass, else None."""
    progress = _progress(session, person)
    return progress if progress is not None and standing(progress, on or today(), settings).current else None


def business_use_standing(session: Session, person: Person, settings: RecordSettings, on: date) -> Standing:
    """Where the person stands in the module (shown to them while their request waits for training)."""
    return standing(_progress(session, person), on, settings)
