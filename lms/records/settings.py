"""The record-keeping periods, read once from the app config and passed to services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RecordSettings:
    new_starter_days: int = 30   # a new requirement is due this many days after it starts
    pass_valid_months: int = 12  # a pass is valid this long, then the person is due again
    due_soon_days: int = 14      # "due soon" this many days before a due date or expiry

    @classmethod
    def from_config(cls, config: Mapping) -> RecordSettings:
        return cls(
            new_starter_days=int(config.get("NEW_STARTER_DAYS", cls.new_starter_days)),
            pass_valid_months=int(config.get("PASS_VALID_MONTHS", cls.pass_valid_months)),
            due_soon_days=int(config.get("DUE_SOON_DAYS", cls.due_soon_days)),
        )


def app_settings() -> RecordSettings:
    """The running app's settings (for views and commands; services take them as an argument)."""
    from flask import current_app

    return RecordSettings.from_config(current_app.config)
