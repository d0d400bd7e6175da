"""Run by tests/test_health.py in a process of its own: the app with a given rate-limit store.

Flask-Limiter is one object per process, and an app that finds its store dead marks it so for
every app made after it in that process. In production a process has one app; so the tests that
need another store run here, in a fresh process, and print what they saw as JSON.

    python -m tests.health_probe DATABASE_URL STORAGE_URI EMAIL PASSWORD
"""

from __future__ import annotations

import json
import re
import sys
import uuid

from lms import create_app

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _token(client) -> str:
    match = _TOKEN.search(client.get("/login").get_data(as_text=True))
    return match.group(1) or match.group(2)


def main(database_url: str, storage_uri: str, email: str, password: str) -> dict:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "test-secret-key",
                      "AUDIT_KEY": "test-audit-key-" + "k" * 32, "RATELIMIT_STORAGE_URI": storage_uri,
                      "RATELIMIT_KEY_PREFIX": f"lms-health-{uuid.uuid4().hex[:8]}"})  # counts of this run only
    seen: dict = {}
    health = app.test_client().get("/healthz")
    seen["health"] = {"status": health.status_code, "body": health.json}

    browser = app.test_client()
    signed_in = browser.post("/login", data={"csrf_token": _token(browser), "email": email, "password": password})
    seen["sign_in"] = signed_in.status_code
    seen["home"] = browser.get("/").get_data(as_text=True)

    guesser = app.test_client()
    token = _token(guesser)
    seen["wrong_passwords"] = [
        guesser.post("/login", data={"csrf_token": token, "email": email, "password": "wrong-password-guess"}).status_code
        for _ in range(11)
    ]
    return seen


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:5])))
