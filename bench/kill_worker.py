"""Kill gunicorn workers during a load run and count stored answers against acknowledged ones.

    .venv/bin/python bench/kill_worker.py [--seconds 30] [--clients 20] [--workers 4] [--kill-every 2] [--sqlite]

A throwaway database (PostgreSQL `lms_bench_<random>`, or a temporary SQLite file with --sqlite) is
built as a deploy builds it (`flask db upgrade`, `flask scenarios load`), one person per client is
added, and gunicorn serves the app. Each client signs in and takes modules as a person would in a
browser: start, read each scenario's page, post the form with the CSRF token from that page,
finish, start again. Meanwhile a random gunicorn worker is sent SIGKILL every few seconds (the
master starts a new one). A request caught in a killed worker fails; the client was told nothing
and simply carries on from where the server says it is, as a person would after a reload.

An answer is acknowledged when its POST is answered with the redirect back to the same scenario:
with no new flash message it was recorded as sent; with "your first answer stands" the server
acknowledges that an answer is stored (an earlier one whose response was lost, or another tab's).
At the end every acknowledged answer must be stored (a recorded one with the verdict and clause
that were sent), no scenario may hold two answers, and every acknowledged finish must have been
scored once from its stored answers. The summary is printed and written to
bench/results/kill_worker.md; exit 1 when anything acknowledged is lost or scored wrongly, and 2
when the run shows nothing (no answer acknowledged, or no worker killed).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from statistics import median, quantiles
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_REPORT = ROOT / "bench" / "results" / "kill_worker.md"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
FIRST_STANDS = "your first answer stands"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
CLAUSE = re.compile(r'name="clause" type="radio" value="([^"]+)"')
ATTEMPT = re.compile(r"^/attempts/(\d+)(?:/(q/(\d+)|finish|results))?$")


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Dropped(Exception):
    """The request got no answer: the worker died under it, or the server was unreachable."""


# ---------------------------------------------------------------- what the clients saw


@dataclass
class Ledger:
    """Everything the clients sent and every acknowledgement they got, shared by the threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    requests: int = 0
    dropped: int = 0
    server_errors: int = 0
    refused: int = 0
    # (attempt id, position) -> (verdict, clause) the server acknowledged as recorded
    recorded: dict[tuple[int, int], tuple[str, str | None]] = field(default_factory=dict)
    recorded_twice: list[tuple[int, int]] = field(default_factory=list)
    stood: set[tuple[int, int]] = field(default_factory=set)  # acknowledged: "your first answer stands"
    finished: set[int] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)  # seconds, requests that were answered

    def add(self, name: str, amount: int = 1) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + amount)


@dataclass
class Response:
    status: int
    location: str
    body: str
    cookies_set: bool


class Browser:
    """One person's browser: a cookie jar and plain HTTP/1.1 requests, redirects not followed."""

    def __init__(self, port: int, ledger: Ledger, flashes_of) -> None:
        self.port, self.ledger, self.flashes_of = port, ledger, flashes_of
        self.cookies: dict[str, str] = {}
        self.token: str | None = None

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode({"csrf_token": self.token or "", **form})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.ledger.add("requests")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        began = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", "replace")
            with self.ledger.lock:
                self.ledger.latencies.append(time.perf_counter() - began)
        except (OSError, http.client.HTTPException) as exc:  # reset, refused, cut short, timed out
            self.ledger.add("dropped")
            raise Dropped(str(exc)) from exc
        finally:
            connection.close()
        set_cookies = raw.headers.get_all("Set-Cookie") or []
        for header in set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if raw.status >= 500:
            self.ledger.add("server_errors")
            raise Dropped(f"{method} {path}: {raw.status}")
        match = TOKEN.search(text) if "text/html" in (raw.headers.get("Content-Type") or "") else None
        if match:
            self.token = match.group(1) or match.group(2)
        return Response(raw.status, urlsplit(raw.headers.get("Location") or "").path, text, bool(set_cookies))

    def flashes(self) -> list[tuple[str, str]]:
        return self.flashes_of(self.cookies.get("session"))


class Trainee:
    """Signs in, then takes modules over and over until the time is up."""

    def __init__(self, browser: Browser, email: str, password: str, slugs: list[str], deadline: float) -> None:
        self.browser, self.email, self.password = browser, email, password
        self.slugs, self.deadline = slugs, deadline
        self.rng = random.Random()  # noqa: S311 - which answer to give, not a secret
        self.attempt_id: int | None = None
        self.signed_in = False

    def sign_in(self, give_up: float) -> None:
        while not self.signed_in and time.monotonic() < give_up:
            try:
                self.browser.request("GET", "/login")
                response = self.browser.request("POST", "/login", {"email": self.email, "password": self.password})
            except Dropped:
                continue
            self.signed_in = response.status == 302
            if not self.signed_in:
                time.sleep(2 if response.status == 429 else 0.5)  # the sign-in limit, or a refusal: wait a moment

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            try:
                self.step()
            except Dropped:
                time.sleep(self.rng.uniform(0.05, 0.3))  # a person reloads after a moment

    def step(self) -> None:
        b = self.browser
        if not self.signed_in:
            self.sign_in(self.deadline)
            return
        if self.attempt_id is None:
            slug = self.rng.choice(self.slugs)
            b.request("GET", f"/training/{slug}")
            started = b.request("POST", f"/training/{slug}/start", {})
            if started.status == 302 and (match := ATTEMPT.match(started.location)):
                self.attempt_id = int(match.group(1))
            elif started.location.startswith("/login"):
                self.signed_in = False
            return
        where = b.request("GET", f"/attempts/{self.attempt_id}")
        match = ATTEMPT.match(where.location)
        if where.status != 302 or not match:
            self.signed_in = not where.location.startswith("/login")
            self.attempt_id = None
            return
        if match.group(2) == "results":
            self.attempt_id = None  # finished (perhaps by a request whose answer was lost): start again
        elif match.group(2) == "finish":
            b.request("GET", where.location)
            done = b.request("POST", f"/attempts/{self.attempt_id}/finish", {})
            if done.status == 302 and done.location == f"/attempts/{self.attempt_id}/results":
                with b.ledger.lock:
                    b.ledger.finished.add(self.attempt_id)
                self.attempt_id = None
        else:
            self.answer(where.location, int(match.group(3)))

    def answer(self, path: str, position: int) -> None:
        b = self.browser
        page = b.request("GET", path)
        clauses = CLAUSE.findall(page.body)
        if page.status != 200 or not clauses:
            return  # not the answer form (already answered, finished meanwhile): ask where to go next
        verdict = self.rng.choice(["compliant", "breach"])
        clause = self.rng.choice(clauses) if verdict == "breach" else None
        form = {"verdict": verdict, "sure": self.rng.choice(["sure", "unsure"]), **({"clause": clause} if clause else {})}
        before = len(b.flashes())
        b.ledger.add("sent")
        try:
            response = b.request("POST", path, form)
        except Dropped:
            if self.rng.random() < 0.5:
                raise  # the person reloads and carries on from where the server says they are
            # The browser's "resend the form?": the same form, token and all, answered once more.
            time.sleep(self.rng.uniform(0.05, 0.3))
            b.ledger.add("sent")
            response = b.request("POST", path, form)
        key = (self.attempt_id, position)
        if response.status != 302 or response.location != path:
            b.ledger.add("refused")
            return
        new = b.flashes()[before:] if response.cookies_set else []
        with b.ledger.lock:
            if any(FIRST_STANDS in message for _, message in new):
                b.ledger.stood.add(key)
            elif any(category == "error" for category, _ in new):
                b.ledger.refused += 1
            elif key in b.ledger.recorded:
                b.ledger.recorded_twice.append(key)
            else:
                b.ledger.recorded[key] = (verdict, clause)


# ---------------------------------------------------------------- the server and its workers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    """The live child processes of `pid`, from /proc (the gunicorn master's are its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may hold spaces: state, ppid, ...
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(entry.name))
    return found


def wait_until_serving(port: int, master: subprocess.Popen, workers: int, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if master.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {master.returncode} before serving")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login")
            ok = connection.getresponse().status == 200
            connection.close()
        except (OSError, http.client.HTTPException):
            ok = False
        if ok and len(children(master.pid)) >= workers:
            return
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not serve on port {port} within {timeout:.0f} s")


def kill_workers(master: subprocess.Popen, every: float, stop: threading.Event, kills: list[int]) -> None:
    rng = random.Random()  # noqa: S311 - which worker to kill, not a secret
    while not stop.wait(every):
        workers = children(master.pid)
        if workers:
            victim = rng.choice(workers)
            try:
                os.kill(victim, signal.SIGKILL)
                kills.append(victim)
            except ProcessLookupError:
                pass  # it had just exited on its own


# ---------------------------------------------------------------- database


@dataclass
class Database:
    url: str
    drop: object  # a callable that removes it


def create_database(use_sqlite: bool, admin_url: str) -> Database:
    if use_sqlite:
        folder = tempfile.mkdtemp(prefix="lms_bench_")
        return Database(f"sqlite:///{folder}/bench.sqlite3", lambda: shutil.rmtree(folder, ignore_errors=True))
    import psycopg

    name = f"lms_bench_{secrets.token_hex(6)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return Database(re.sub(r"/[^/]*$", f"/{name}", admin_url), drop)


def flask(app, *args: str) -> None:
    """A `flask --app wsgi` command, run in this process (one import of the app instead of one per command)."""
    with app.app_context():  # as `flask` itself provides
        result = app.test_cli_runner().invoke(args=list(args))
    if result.exit_code != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.output}{result.exception or ''}")


def add_people(app, count: int, password: str) -> tuple[list[str], list[str]]:
    """`count` staff with one password (Argon2 is slow on purpose: hashed once); the module slugs."""
    from lms.auth.passwords import hash_password
    from lms.clock import today, utcnow
    from lms.extensions import db
    from lms.models import Person, StaffType, Unit, UnitKind
    from lms.records.requirements import sync_requirements
    from lms.records.settings import RecordSettings
    from lms.training.service import current_versions

    with app.app_context():
        unit = Unit(name="Bench Academy", kind=UnitKind.school)
        hashed = hash_password(password)
        emails = [f"bench{i}@bench.example.org" for i in range(1, count + 1)]
        db.session.add_all([
            Person(email=email, first_name="Bench", last_name=f"Person {i}", staff_type=StaffType.employee, unit=unit,
                   start_date=date(2024, 9, 1), active=True, password_hash=hashed, password_changed_at=utcnow())
            for i, email in enumerate(emails, start=1)
        ])
        db.session.flush()
        sync_requirements(db.session, RecordSettings(), today())
        slugs = [v.module.slug for v in current_versions(db.session)]
        db.session.commit()
        return emails, slugs


def check(app, ledger: Ledger) -> dict:
    """Compare what the database holds with what the clients were told."""
    from sqlalchemy import func, select

    from lms.extensions import db
    from lms.models import Answer, Attempt, AttemptItem, AttemptState

    with app.app_context():
        stored = {
            (r.attempt_id, r.position): (r.verdict, r.clause)
            for r in db.session.execute(
                select(Answer.attempt_id, AttemptItem.position, Answer.verdict, Answer.clause)
                .join(AttemptItem, (AttemptItem.attempt_id == Answer.attempt_id)
                      & (AttemptItem.scenario_id == Answer.scenario_id)))
        }
        rows = db.session.scalar(select(func.count()).select_from(Answer))
        duplicates = db.session.scalar(select(func.count()).select_from(
            select(Answer.attempt_id).group_by(Answer.attempt_id, Answer.scenario_id)
            .having(func.count() > 1).subquery()))
        points = dict(db.session.execute(select(Answer.attempt_id, func.sum(Answer.points)).group_by(Answer.attempt_id)).all())
        answered = dict(db.session.execute(select(Answer.attempt_id, func.count()).group_by(Answer.attempt_id)).all())
        drawn = dict(db.session.execute(
            select(AttemptItem.attempt_id, func.count()).group_by(AttemptItem.attempt_id)).all())
        attempts = {a.id: a for a in db.session.scalars(select(Attempt))}
        open_per_person = Counter(a.person_id for a in attempts.values() if a.state == AttemptState.in_progress)
        db.engine.dispose()

    lost = [k for k, sent in ledger.recorded.items() if stored.get(k) != sent]
    lost += [k for k in ledger.stood if k not in stored]
    badly_scored = [
        i for i in ledger.finished
        if attempts[i].state != AttemptState.submitted or answered.get(i) != drawn.get(i) or attempts[i].points != points.get(i)
    ]
    return {
        "stored": rows,
        "stored_without_own_ack": len(set(stored) - set(ledger.recorded)),
        "lost": len(lost),
        "lost_keys": lost[:20],
        "duplicates": duplicates,
        "acknowledged_twice": len(ledger.recorded_twice),
        "badly_scored": len(badly_scored),
        "two_open_attempts": sum(1 for n in open_per_person.values() if n > 1),
        "attempts_submitted": sum(1 for a in attempts.values() if a.state == AttemptState.submitted),
    }


# ---------------------------------------------------------------- the run


def run(args) -> dict:
    database = create_database(args.sqlite, args.postgres_url)
    secret_key, audit_key = secrets.token_hex(32), secrets.token_hex(32)
    env = {**os.environ, "DATABASE_URL": database.url, "SECRET_KEY": secret_key, "AUDIT_KEY": audit_key,
           "LMS_ENV": "development",
           "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    env.pop("FLASK_APP", None)
    master = None
    log_dir = Path(tempfile.mkdtemp(prefix="lms_bench_log_"))
    try:
        from lms import create_app
        from lms.config import normalise_database_url

        app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database.url), "SECRET_KEY": secret_key,
                          "AUDIT_KEY": audit_key})
        log(f"database {database.url}")
        flask(app, "db", "upgrade")  # as a deploy builds it
        flask(app, "scenarios", "load")
        password = secrets.token_urlsafe(16)
        log("schema built, scenarios loaded")
        emails, slugs = add_people(app, args.clients, password)
        log(f"{len(emails)} people added; modules: {', '.join(slugs)}")
        serializer = app.session_interface.get_signing_serializer(app)

        def flashes_of(cookie: str | None) -> list[tuple[str, str]]:
            # The session cookie is signed, not encrypted: with the key it reads as the server wrote it.
            if not cookie:
                return []
            try:
                return [tuple(f) for f in serializer.loads(cookie).get("_flashes", [])]
            except Exception:  # noqa: BLE001 - an unreadable cookie carries no flash we can count
                return []

        port = free_port()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        server_log = (log_dir / "gunicorn.log").open("w")
        # -w and -b on the command line win over gunicorn.conf.py, which is read from ROOT as in production.
        # --preload: the master imports the app once and a killed worker is forked again in milliseconds;
        # without it each new worker imports the app itself, seconds on a busy machine, and with a kill
        # every two seconds the run would spend most of its time waiting for workers rather than answering.
        # --no-control-socket: gunicorn's control socket has one default path per user, which a second
        # gunicorn on the machine (another bench, a dev server) would share.
        command = [str(gunicorn), "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--no-control-socket",
                   *(["--preload"] if args.preload else []), "wsgi:app"]
        master = subprocess.Popen(command, cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT)  # noqa: S603
        wait_until_serving(port, master, args.workers)
        log(f"gunicorn serving on port {port} with {args.workers} workers; load for {args.seconds:g} s")

        ledger = Ledger()
        people = [Trainee(Browser(port, ledger, flashes_of), email, password, slugs, 0) for email in emails]
        # Everyone signs in first, before any worker is killed: Argon2 makes a sign-in the slowest request
        # by far, and what is measured is answering, not signing in.
        signing_in = [threading.Thread(target=p.sign_in, args=(time.monotonic() + 120,)) for p in people]
        for t in signing_in:
            t.start()
        for t in signing_in:
            t.join()
        log(f"{sum(p.signed_in for p in people)} of {len(people)} signed in")
        started = time.monotonic()
        for p in people:
            p.deadline = started + args.seconds
        threads = [threading.Thread(target=p.run, name=f"client-{i}") for i, p in enumerate(people)]
        stop, kills = threading.Event(), []
        killer = threading.Thread(target=kill_workers, args=(master, args.kill_every, stop, kills))
        for t in threads:
            t.start()
        killer.start()
        for t in threads:
            t.join()
        stop.set()
        killer.join()
        duration = time.monotonic() - started
        log(f"clients done after {duration:.1f} s; stopping gunicorn")
        # Quick shutdown: every client has its answer or its error already, so nothing is in flight.
        master.send_signal(signal.SIGQUIT)
        master.wait(timeout=30)
        server_log.close()

        log("load stopped, gunicorn stopped; counting")
        figures = check(app, ledger)
        return {
            "backend": "SQLite" if args.sqlite else "PostgreSQL",
            "clients": args.clients, "workers": args.workers, "kill_every": args.kill_every,
            "seconds": args.seconds, "preload": args.preload, "duration": round(duration, 1), "worker_kills": len(kills),
            "requests": ledger.requests, "median_ms": round(1000 * median(ledger.latencies or [0])),
            "p95_ms": round(1000 * quantiles(ledger.latencies, n=20)[-1]) if len(ledger.latencies) > 1 else 0,
            "dropped": ledger.dropped, "server_errors": ledger.server_errors,
            "sent": ledger.sent, "acknowledged": len(ledger.recorded) + len(ledger.stood),
            "acknowledged_recorded": len(ledger.recorded), "acknowledged_stood": len(ledger.stood),
            "refused": ledger.refused, "finished": len(ledger.finished),
            "signed_in": sum(p.signed_in for p in people), **figures,
        }
    except BaseException:
        if (log_dir / "gunicorn.log").exists():
            print("gunicorn's log, last lines:", *(log_dir / "gunicorn.log").read_text().splitlines()[-30:],
                  sep="\n", file=sys.stderr)
        raise
    finally:
        if master is not None and master.poll() is None:
            master.kill()
            master.wait()
        database.drop()
        shutil.rmtree(log_dir, ignore_errors=True)


def verdict(figures: dict) -> str:
    if (figures["lost"] or figures["duplicates"] or figures["acknowledged_twice"] or figures["badly_scored"]
            or figures["two_open_attempts"]):
        return "FAIL"
    if not figures["acknowledged"] or not figures["worker_kills"]:
        return "INCONCLUSIVE"  # nothing was answered, or nothing killed: the run shows nothing
    return "PASS"


def report(figures: dict) -> str:
    rows = [
        ("answers sent", figures["sent"]),
        ("acknowledged", f"{figures['acknowledged']} ({figures['acknowledged_recorded']} recorded as sent, "
                         f"{figures['acknowledged_stood']} \"your first answer stands\")"),
        ("stored", figures["stored"]),
        ("stored, response lost before it was acknowledged", figures["stored_without_own_ack"]),
        ("**lost** (acknowledged, not stored as acknowledged; must be 0)", f"**{figures['lost']}**"),
        ("duplicates (two answers stored for one scenario of one attempt)", figures["duplicates"]),
        ("one scenario acknowledged as recorded twice", figures["acknowledged_twice"]),
        ("finishes acknowledged / scored wrongly", f"{figures['finished']} / {figures['badly_scored']}"),
        ("people with two open attempts at one module", figures["two_open_attempts"]),
        ("answers refused (not acknowledged)", figures["refused"]),
        ("worker kills (SIGKILL)", figures["worker_kills"]),
        ("requests / cut off by a kill / 5xx", f"{figures['requests']} / {figures['dropped'] - figures['server_errors']}"
                                                f" / {figures['server_errors']}"),
        ("response time, median / 95th percentile", f"{figures['median_ms']} ms / {figures['p95_ms']} ms"),
        ("duration", f"{figures['duration']} s"),
        ("gunicorn workers / clients", f"{figures['workers']} / {figures['clients']}"),
    ]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Killing gunicorn workers under load: nothing acknowledged is lost",
        "",
        f"`bench/kill_worker.py --seconds {figures['seconds']:g} --clients {figures['clients']} "
        f"--workers {figures['workers']} --kill-every {figures['kill_every']:g}"
        f"{'' if figures['preload'] else ' --no-preload'}`"
        f"{' --sqlite' if figures['backend'] == 'SQLite' else ''}, {figures['backend']}, {when}.",
        "",
        "| | |", "| --- | --- |", *[f"| {name} | {value} |" for name, value in rows],
        "",
        f"Result: {verdict(figures)}.",
    ]
    if figures["lost_keys"]:
        lines.append(f"Lost (attempt, position): {figures['lost_keys']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="how long the load runs (default 30)")
    parser.add_argument("--clients", type=int, default=20, help="simulated people, one thread each (default 20)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--kill-every", type=float, default=2, help="seconds between worker kills (default 2)")
    parser.add_argument("--no-preload", dest="preload", action="store_false",
                        help="let each new worker import the app itself, as gunicorn.conf.py does (slow restarts)")
    parser.add_argument("--sqlite", action="store_true", help="use a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="a PostgreSQL server to create and drop the throwaway database on")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help=f"the Markdown summary (default {DEFAULT_REPORT})")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.workers < 1 or args.seconds <= 0 or args.kill_every <= 0:
        parser.error("--clients and --workers must be at least 1; --seconds and --kill-every above 0")

    figures = run(args)
    text = report(figures)
    print(text)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return {"PASS": 0, "FAIL": 1, "INCONCLUSIVE": 2}[verdict(figures)]


if __name__ == "__main__":
    sys.exit(main())
