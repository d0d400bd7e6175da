"""Helpers for walking through a module as a person would."""

from __future__ import annotations

import re

from sqlalchemy import select

from lms.extensions import db
from lms.models import Attempt, AttemptItem, Scenario

SLUG = "core-social-media"


def start(client, slug: str = SLUG) -> int:
    """Press Start (or Continue) and return the attempt id it leads to."""
    client.get(f"/training/{slug}")
    response = client.post(f"/training/{slug}/start")
    assert response.status_code == 302, response.status_code
    return int(re.search(r"/attempts/(\d+)", response.location).group(1))


def scenario_at(attempt_id: int, position: int) -> Scenario:
    db.session.expire_all()
    return db.session.scalar(
        select(Scenario).join(AttemptItem, AttemptItem.scenario_id == Scenario.id)
        .where(AttemptItem.attempt_id == attempt_id, AttemptItem.position == position)
    )


def right_answer(scenario: Scenario, sure: str = "sure") -> dict:
    if scenario.verdict == "compliant":
        return {"verdict": "compliant", "sure": sure}
    return {"verdict": "breach", "clause": scenario.clauses[0], "sure": sure}


def wrong_answer(scenario: Scenario, sure: str = "sure") -> dict:
    if scenario.verdict == "compliant":
        return {"verdict": "breach", "clause": "4.3", "sure": sure}
    return {"verdict": "compliant", "sure": sure}


def wrong_clause_answer(scenario: Scenario) -> dict:
    assert scenario.verdict == "breach"
    other = next(c for c in ("6.4", "5.2", "4.3") if c not in scenario.clauses)
    return {"verdict": "breach", "clause": other, "sure": "unsure"}


def answer(client, attempt_id: int, position: int, data: dict):
    client.get(f"/attempts/{attempt_id}/q/{position}")
    return client.post(f"/attempts/{attempt_id}/q/{position}", data)


def drawn(attempt_id: int) -> int:
    db.session.expire_all()
    return len(db.session.get(Attempt, attempt_id).items)
