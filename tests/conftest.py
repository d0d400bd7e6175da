"""Shared fixtures. Every database test runs on SQLite and, where reachable, on PostgreSQL.

PostgreSQL: LMS_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) is used
only to create and drop a throwaway database per test session. With CI=true an unreachable
PostgreSQL fails the run instead of being left out. LMS_TEST_BACKENDS=sqlite limits the run.
"""

from __future__ import annotations

import contextvars
import os
import re
import secrets
import uuid
from datetime import date

import pyotp
import pytest
from sqlalchemy import create_engine, text

from lms import create_app
from lms.auth import two_factor
from lms.auth.passwords import hash_password
from lms.clock import today, utcnow
from lms.config import PROJECT_ROOT
from lms.content.schema import read_library
from lms.content.store import load_library
from lms.extensions import db
from lms.models import Person, PersonRole, RecoveryCode, Role, StaffType, TwoFactorSecret, Unit, UnitKind
from lms.people.directory import find_by_email
from lms.records.content_updates import after_content_load
from lms.records.requirements import sync_requirements
from lms.records.settings import RecordSettings

PASSWORD = "correct-horse-battery"
PG_ADMIN_URL = os.environ.get("LMS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SCENARIOS = PROJECT_ROOT / "scenarios"


def _postgres_reachable() -> str | None:
    """None when reachable, else the reason."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as exc:  # any failure to connect means "not reachable"
        return str(exc).strip().splitlines()[0]


def _backends() -> list[str]:
    wanted = os.environ.get("LMS_TEST_BACKENDS", "sqlite,postgresql").split(",")
    backends = [b for b in wanted if b == "sqlite"]
    if "postgresql" in wanted:
        problem = _postgres_reachable()
        if problem is None:
            backends.append("postgresql")
        elif os.environ.get("CI", "").lower() == "true":
            raise pytest.UsageError(f"CI=true but PostgreSQL at {PG_ADMIN_URL} is unreachable: {problem}")
        else:
            print(f"\nPostgreSQL not reachable ({problem}); running on SQLite only.")
    return backends


BACKENDS = _backends()


def pytest_report_header(config):
    return f"database backends: {', '.join(BACKENDS)}"


def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql_only: runs on PostgreSQL only (production behaviour, real concurrency)")


def pytest_collection_modifyitems(config, items):
    """A `postgresql_only` test is not collected for the SQLite backend (rather than shown as skipped)."""
    keep, drop = [], []
    browser = PROJECT_ROOT / "tests" / "browser"
    for item in items:
        if browser in item.path.parents:  # one live site, one Chromium, and the HTML check reads what the journeys saved
            item.add_marker(pytest.mark.xdist_group("browser"))
        callspec = getattr(item, "callspec", None)
        sqlite_case = callspec is not None and str(callspec.params.get("database_url", "")) == "sqlite"
        (drop if sqlite_case and item.get_closest_marker("postgresql_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A fresh database built by the migrations, for the whole session on one backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        _migrate(url)
        yield url
        return
    name = f"lms_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = re.sub(r"/[^/]*$", f"/{name}", PG_ADMIN_URL).replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def backend(database_url) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


@pytest.fixture
def app_overrides() -> dict:
    """Settings a folder's tests add to the app's (tests/sso configures its providers here)."""
    return {}


@pytest.fixture
def app(database_url, app_overrides):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "AUDIT_KEY": "test-audit-key-" + "k" * 32,
        "SCENARIOS_DIR": str(SCENARIOS),
        **app_overrides,
    })
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            # The audit log refuses DELETE (migration 0007); a test database is the one place it is emptied.
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(text("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                              "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"))


@pytest.fixture(scope="session")
def library():
    """The shipped content, read and validated once."""
    lib = read_library([SCENARIOS / "policy.yaml", SCENARIOS / "core-social-media.yaml"], SCENARIOS, PROJECT_ROOT)
    assert not lib.problems, "\n".join(map(str, lib.problems))
    return lib


@pytest.fixture
def content(app, library):
    report = load_library(db.session, library)
    after_content_load(db.session, report, RecordSettings(), today())
    db.session.commit()
    return report


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)  # Argon2 is slow on purpose: hash once per session


class People:
    """Factory for units and people in a test database."""

    def __init__(self, password_hash: str) -> None:
        self.password_hash = password_hash
        self.count = 0

    def unit(self, name: str = "Oakfield Primary", kind: UnitKind = UnitKind.school) -> Unit:
        unit = db.session.query(Unit).filter_by(name=name).one_or_none()
        if unit is None:
            unit = Unit(name=name, kind=kind)
            db.session.add(unit)
            db.session.flush()
        return unit

    def person(self, *, unit: Unit | None = None, staff_type: StaffType = StaffType.employee,
               roles: tuple[Role, ...] = (), manager: Person | None = None, email: str | None = None,
               active: bool = True, sync: bool = True) -> Person:
        self.count += 1
        person = Person(
            email=email or f"person{self.count}@example.org", first_name=f"First{self.count}",
            last_name=f"Last{self.count}", staff_type=staff_type, unit=unit or self.unit(),
            line_manager=manager, start_date=date(2024, 9, 1), active=active,
            password_hash=self.password_hash,
        )
        person.roles = [PersonRole(role=r) for r in roles]
        db.session.add(person)
        db.session.flush()
        if sync:
            sync_requirements(db.session, RecordSettings(), today())  # as an import does
        db.session.commit()
        return person


@pytest.fixture
def people(app, password_hash) -> People:
    return People(password_hash)


_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class Client:
    """The test client as a person uses it: CSRF tokens taken from the pages, as a browser does.

    Each request runs in an empty context, so it gets its own app context (and so its own
    database session and `g`) as in production, not the one the test itself holds open.
    """

    def __init__(self, flask_client) -> None:
        self.raw = flask_client
        self.token: str | None = None

    def _isolated(self, method, url: str, **kwargs):
        return contextvars.Context().run(method, url, **kwargs)

    def get(self, url: str, **kwargs):
        response = self._isolated(self.raw.get, url, **kwargs)
        match = _TOKEN.search(response.get_data(as_text=True)) if response.mimetype == "text/html" else None  # not PDFs
        if match:
            self.token = match.group(1) or match.group(2)
        return response

    def post(self, url: str, data: dict | None = None, **kwargs):
        if self.token is None:
            self.get("/login")
        payload = {"csrf_token": self.token, **(data or {})}
        return self._isolated(self.raw.post, url, data=payload, **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        """Sign in, giving the code too when the account needs one; the answer to the password is returned."""
        self.get("/login")
        response = self.post("/login", {"email": email, "password": password})
        if response.status_code == 302 and response.location.startswith("/login/code"):
            pass_second_factor(self, email, response.location)
        self.token = None
        self.get("/")  # a fresh session means a fresh CSRF token
        return response


_SHOWN_KEY = re.compile(r'id="two-factor-secret">([A-Z2-7 ]+)<')


def pass_second_factor(client: Client, email: str, location: str, **kwargs):
    """After an admin's, trust lead's or CEO's password: the code, typed into the pages (lms/auth/two_factor.py).

    The first time, the set-up page is followed, its key read as a person types it into an app. Later the
    code is made from the person's stored key as their app makes it, for a 30-second step the server has
    not taken yet (now or the next: it allows one either side). When both are taken (a third sign-in
    within one step, or a test that moved the clock back) a recovery code is added for the person and
    typed instead. Returns the answer that signed them in (it fails the test when none did).
    """
    if location.startswith("/login/code/setup"):
        page = client.get("/login/code/setup", **kwargs).get_data(as_text=True)
        key = _SHOWN_KEY.search(page).group(1).replace(" ", "")
        done = client.post("/login/code/setup", {"code": pyotp.TOTP(key).at(utcnow())}, **kwargs)
        assert done.status_code == 200 and "Save your recovery codes" in done.get_data(as_text=True), done.status_code
        return done
    app = client.raw.application

    def code_or_recovery_code() -> dict:
        with app.app_context():
            person = find_by_email(db.session, email)
            row = db.session.get(TwoFactorSecret, person.id)
            totp = pyotp.TOTP(row.secret)
            now = totp.timecode(utcnow())
            for step in (now, now + 1):
                if row.last_step is None or step > row.last_step:
                    return {"code": totp.generate_otp(step)}
            code = "".join(secrets.choice(two_factor.RECOVERY_ALPHABET) for _ in range(two_factor.RECOVERY_LENGTH))
            db.session.add(RecoveryCode(person_id=person.id, code_hash=two_factor.recovery_hash(code), created_at=utcnow()))
            db.session.commit()
            return {"recovery_code": code}

    client.get("/login/code", **kwargs)
    done = client.post("/login/code", contextvars.Context().run(code_or_recovery_code), **kwargs)
    assert done.status_code == 302 and not done.location.startswith("/login"), (done.status_code, done.location)
    return done


@pytest.fixture
def client(app) -> Client:
    return Client(app.test_client())


@pytest.fixture
def make_client(app):
    return lambda: Client(app.test_client())


@pytest.fixture
def smtp(app):
    """A real SMTP server (aiosmtpd on 127.0.0.1) the app sends to; `smtp.messages()` reads what arrived."""
    from tests.mailserver import LocalSMTP

    with LocalSMTP(app) as server:
        yield server
