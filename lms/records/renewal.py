"""What a finished attempt does to the record: a pass is valid for a period, then due again."""

from __future__ import annotations

import secrets
from datetime import date

from lms.clock import add_months
from lms.models import Attempt, ModuleProgress
from lms.records.settings import RecordSettings


def new_certificate_code() -> str:
    """Short enough to type from a printed certificate, long enough not to be guessed."""
    return secrets.token_hex(8).upper()


def record_pass(progress: ModuleProgress, attempt: Attempt, settings: RecordSettings, today: date) -> None:
    """A full pass starts a new validity period; a refresh pass confirms the current one."""
    if attempt.kind == "refresh" and progress.valid_until is not None and progress.valid_until >= today:
        valid_until = progress.valid_until
    else:
        valid_until = add_months(today, settings.pass_valid_months)
    attempt.valid_until = valid_until
    attempt.certificate_code = new_certificate_code()
    progress.valid_until = valid_until
    progress.due_on = valid_until  # due again when the pass runs out
    progress.pass_policy_version_id = attempt.policy_version_id
    progress.refresh_clauses = None
