"""/healthz names each dependency, and sign-in goes on when Redis (the rate-limit store) is down."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import PASSWORD, PROJECT_ROOT

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _probe(database_url: str, storage_uri: str, email: str) -> dict:
    """The app on another rate-limit store, in a process of its own (see tests/health_probe.py)."""
    done = subprocess.run(  # noqa: S603 - our own module with fixed arguments
        [sys.executable, "-m", "tests.health_probe", database_url, storage_uri, email, PASSWORD],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_healthz_names_the_database_and_the_rate_limit_store(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"
    assert response.json["rate_limits"] == "memory"  # the embedded default: counted in this process


def test_with_redis_down_sign_in_works_and_healthz_says_degraded(app, database_url, people):
    person = people.person(email="jo@oakfield.example.org")
    seen = _probe(database_url, DEAD_REDIS, person.email)
    assert seen["health"]["status"] == 200  # still serving: a load balancer must not take it out
    assert seen["health"]["body"]["status"] == "degraded"
    assert seen["health"]["body"]["rate_limits"] == "unreachable"
    assert seen["sign_in"] == 302
    assert person.full_name in seen["home"]


def test_with_redis_down_failed_sign_ins_are_still_limited_in_memory(app, database_url, people):
    person = people.person(email="sam@oakfield.example.org")
    seen = _probe(database_url, DEAD_REDIS, person.email)
    codes = seen["wrong_passwords"]
    assert codes[:10] == [200] * 10
    assert codes[10] == 429  # the 10-per-15-minutes limit for one address held, in this process's memory


def test_healthz_says_ok_when_redis_answers(app, database_url, people):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    person = people.person(email="kim@oakfield.example.org")
    seen = _probe(database_url, REDIS_URL, person.email)
    assert seen["health"]["status"] == 200
    assert seen["health"]["body"]["rate_limits"] == "ok"
    assert seen["sign_in"] == 302


def test_healthz_reports_the_mail_outbox_backlog(app, client):
    from lms import mail
    from lms.extensions import db
    from lms.models import OutboxMessage, OutboxState

    assert client.get("/healthz").json["mail"] == {"queued": 0, "dead": 0, "oldest_queued_minutes": None}
    mail.send("Reminder", ["jo@oakfield.example.org"], "Please finish the module.")
    mail.send("Reminder", ["sam@oakfield.example.org"], "Please finish the module.")
    db.session.commit()
    dead = db.session.query(OutboxMessage).order_by(OutboxMessage.id).first()
    dead.state = OutboxState.dead
    db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["mail"]["queued"] == 1 and response.json["mail"]["dead"] == 1
    assert response.json["mail"]["oldest_queued_minutes"] == 0
    assert response.json["status"] == "degraded"  # a dead letter needs someone to look
