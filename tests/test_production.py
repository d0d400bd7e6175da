"""Production mode for real: two gunicorn instances sharing one PostgreSQL and one Redis.

A person signed in on one instance is signed in on the other, signing out on either ends the
session on both (its row is in the shared database), and the sign-in rate limit counts requests
to both. Needs PostgreSQL (as the rest of the suite) and Redis on 127.0.0.1:6379;
with CI=true a missing Redis is a failure, elsewhere the test says why it did not run.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, PROJECT_ROOT

REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_problem() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:  # any failure to reach it
        return str(exc)


@pytest.fixture
def redis_url() -> str:
    problem = _redis_problem()
    if problem is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but Redis at {REDIS_URL} is unreachable: {problem}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {problem}")
    return REDIS_URL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Just enough of a browser: one cookie jar, used against either instance."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, body: str | None = None) -> tuple[int, str, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response.status, text, dict(response.headers)

    def token(self, port: int) -> str:
        _, page, _ = self.request(port, "GET", "/login")
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def form_token(self, port: int, path: str) -> str:
        """The CSRF token of any form on the page (a signed-in page's sign-out button too)."""
        _, page, _ = self.request(port, "GET", path)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def sign_in(self, port: int, email: str, password: str) -> int:
        from urllib.parse import urlencode

        body = urlencode({"csrf_token": self.token(port), "email": email, "password": password})
        return self.request(port, "POST", "/login", body)[0]


pytestmark = pytest.mark.postgresql_only


@pytest.fixture
def two_instances(app, database_url, people, redis_url, tmp_path: Path):
    person = people.person(email="jo@oakfield.example.org")
    name = person.full_name
    env = {
        **os.environ, "LMS_ENV": "production", "SECRET_KEY": uuid.uuid4().hex * 2, "AUDIT_KEY": uuid.uuid4().hex * 2,
        "DATABASE_URL": database_url.replace("postgresql+psycopg://", "postgresql://"),
        "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": f"lms-test-{uuid.uuid4().hex[:8]}",
        "WEB_CONCURRENCY": "2", "LOG_LEVEL": "warning",
    }
    ports = [_free_port(), _free_port()]
    servers = [
        subprocess.Popen(  # noqa: S603 - our own gunicorn with fixed arguments
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"{port}.log", "w"),  # noqa: SIM115
        )
        for port in ports
    ]
    try:
        for port, server in zip(ports, servers, strict=True):
            deadline = time.monotonic() + 30
            while True:
                assert server.poll() is None, (tmp_path / f"{port}.log").read_text()
                try:
                    if Browser().request(port, "GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "gunicorn did not start in 30 s"
                time.sleep(0.2)
        yield ports, name
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def test_a_person_signed_in_on_one_instance_is_signed_in_on_the_other(two_instances):
    (first, second), name = two_instances
    browser = Browser()
    assert browser.sign_in(first, "jo@oakfield.example.org", PASSWORD) == 302
    status, page, headers = browser.request(second, "GET", "/")
    assert status == 200, headers.get("Location")
    assert name in page
    stranger = Browser()
    assert stranger.request(second, "GET", "/")[0] == 302  # sent to sign in: the session is what carries it


def test_signing_out_on_one_instance_ends_the_session_on_both(two_instances):
    from urllib.parse import urlencode

    (first, second), name = two_instances
    browser = Browser()
    assert browser.sign_in(first, "jo@oakfield.example.org", PASSWORD) == 302
    stolen = dict(browser.cookies)  # a copy of the cookie, taken while signed in
    assert browser.request(second, "GET", "/")[0] == 200
    token = browser.form_token(second, "/")
    assert browser.request(second, "POST", "/logout", urlencode({"csrf_token": token}))[0] == 302
    for port in (first, second, first):
        thief = Browser()
        thief.cookies = dict(stolen)
        status, page, headers = thief.request(port, "GET", "/")
        assert status == 302 and headers["Location"].startswith("/login"), (port, status)
        assert name not in page


def test_the_sign_in_rate_limit_counts_requests_to_both_instances(two_instances):
    (first, second), _ = two_instances
    browser = Browser()
    answers = []
    for n in range(21):  # 20 per minute per address: alternate instances, different unknown accounts
        port = (first, second)[n % 2]
        answers.append(browser.sign_in(port, f"nobody{n}@oakfield.example.org", "wrong-password-here"))
    assert answers[:20] == [200] * 20  # the form again, with "do not match"
    assert answers[20] == 429
