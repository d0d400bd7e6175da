import json
import runpy
import stat

import pytest
from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

from lms import create_app
from lms.config import PROJECT_ROOT
from lms.extensions import db
from lms.models import Person, Role

OLD_BUILT_IN_KEY = "dev-only-insecure-key"  # what signed every session whenever LMS_ENV was unset (issue 15)


def test_config_override_reaches_the_app(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "x" * 40})
    assert app.testing and app.config["SECRET_KEY"] == "x" * 40


@pytest.fixture
def instance(monkeypatch, tmp_path):
    """The instance folder of apps made here: a fresh one, so no test writes keys into the real one."""
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    for name in ("SECRET_KEY", "AUDIT_KEY", "LMS_ENV"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "instance"


def test_embedded_default_is_sqlite_in_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x" * 40, "AUDIT_KEY": "a" * 40})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/lms.sqlite3")


def test_database_url_from_environment_uses_psycopg(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/lms")
    assert create_app({"SECRET_KEY": "x" * 40, "AUDIT_KEY": "a" * 40}).config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://u@db.example/lms")


@pytest.mark.parametrize("env", ["production", "staging"])
@pytest.mark.parametrize("key", [None, "", OLD_BUILT_IN_KEY, "short"])
def test_outside_development_the_app_refuses_to_start_without_a_real_secret_key(monkeypatch, instance, env, key):
    monkeypatch.setenv("LMS_ENV", env)
    monkeypatch.setenv("AUDIT_KEY", "a" * 64)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match=f"LMS_ENV={env} needs SECRET_KEY"):
        create_app()
    assert not instance.exists() or not (instance / "secret_key").exists()  # no key made for it


def test_development_without_a_secret_key_makes_one_once_and_keeps_it(instance, database_url):
    first = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    key_file, audit_file = instance / "secret_key", instance / "audit_key"
    assert first.config["SECRET_KEY"] == key_file.read_text().strip() and len(first.config["SECRET_KEY"]) >= 32
    assert first.config["AUDIT_KEY"] == audit_file.read_text().strip() != first.config["SECRET_KEY"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and stat.S_IMODE(audit_file.stat().st_mode) == 0o600
    again = create_app({"SQLALCHEMY_DATABASE_URI": database_url})  # a restart: the same keys, so sessions survive
    assert (again.config["SECRET_KEY"], again.config["AUDIT_KEY"]) == (first.config["SECRET_KEY"],
                                                                       first.config["AUDIT_KEY"])
    assert OLD_BUILT_IN_KEY not in (first.config["SECRET_KEY"], first.config["AUDIT_KEY"])


def test_a_key_given_in_the_settings_is_used_and_no_file_is_made(instance, database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "s" * 40, "AUDIT_KEY": "a" * 40})
    assert app.config["SECRET_KEY"] == "s" * 40 and not (instance / "secret_key").exists()
    tested = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})  # tests: random, in memory
    assert len(tested.config["SECRET_KEY"]) >= 32 and not (instance / "secret_key").exists()


def _forged_cookie(app, key: str, person_id: int) -> str:
    """A session cookie saying `person_id` is signed in, signed with `key`, as an attacker would make it."""
    forger = Flask("forger")
    forger.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    return serializer.dumps({"_user_id": str(person_id), "_fresh": True})


def test_a_cookie_signed_with_the_old_built_in_key_signs_nobody_in(instance, database_url, people):
    admin = people.person(roles=(Role.admin,), email="admin@example.org")
    ceo = people.person(roles=(Role.ceo,), email="ceo@example.org")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})  # the default: LMS_ENV unset, no SECRET_KEY
    for person in (admin, ceo):
        for key in (OLD_BUILT_IN_KEY, app.config["SECRET_KEY"]):  # even this app's own key makes no session row
            browser = app.test_client()
            browser.set_cookie("session", _forged_cookie(app, key, person.id))
            response = browser.get("/people/import")
            assert response.status_code == 302 and response.location.startswith("/login"), (person.email, key)
    assert db.session.get(Person, admin.id) is not None


def test_gunicorn_listens_on_the_loopback_address_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("BIND", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    assert runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))["bind"] == "127.0.0.1:8000"
    monkeypatch.setenv("BIND", "0.0.0.0:9000")
    assert runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))["bind"] == "0.0.0.0:9000"


def test_production_starts_with_a_real_secret_key(monkeypatch):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("AUDIT_KEY", "a" * 64)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["LOG_FORMAT"] == "json"


@pytest.mark.parametrize("key", [None, "", "short"])
def test_production_refuses_to_start_without_an_audit_key(monkeypatch, key):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    if key is None:
        monkeypatch.delenv("AUDIT_KEY", raising=False)
    else:
        monkeypatch.setenv("AUDIT_KEY", key)
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        create_app()


def test_production_refuses_per_worker_rate_limit_storage(monkeypatch):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("AUDIT_KEY", "a" * 64)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app()


def test_json_log_lines_carry_the_request(database_url, capsys):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "LOG_FORMAT": "json",
                      "LOG_REQUESTS": True})
    app.test_client().get("/healthz", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    request_lines = [line for line in lines if line["logger"] == "lms.request"]
    assert request_lines, lines
    assert request_lines[-1]["path"] == "/healthz" and request_lines[-1]["status"] == 200
    assert request_lines[-1]["address"] == "192.0.2.7" and request_lines[-1]["ts"].endswith("Z")


@pytest.mark.parametrize("hops, expected", [(0, "10.0.0.1"), (1, "203.0.113.9")])
def test_client_address_is_taken_from_the_proxy_only_when_configured(database_url, hops, expected):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "PROXY_HOPS": hops})
    seen = []
    app.before_request(lambda: seen.append(request.remote_addr))
    app.test_client().get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen == [expected]


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.sqlite3", "TESTING": True})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"


def test_security_headers_on_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_app_made_with_rate_limits_off_does_not_switch_them_off_for_the_next(database_url):
    from lms.extensions import limiter

    create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "k" * 32,
                "RATELIMIT_ENABLED": False})
    create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "k" * 32})
    assert limiter.enabled  # Flask-Limiter's one limiter would otherwise keep the last app's "off"
