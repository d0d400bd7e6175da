"""Items 2 and 3: dashboard pages and the API at each size; their SQL statements per request.

    .venv/bin/python -m bench.dashboards [--sizes small,trust,national] [--backends sqlite,postgresql]
                                         [--requests 50] [--quick]

In-process, through the Flask test client: every request goes through the whole WSGI app (the
session, access rules, the views, the templates, the audit events they write) against the data set's
database, but not through a socket or gunicorn, so the figures are the app's own time. Each page is
asked 5 times to warm up, then --requests times; p50 and p95 are over those requests. A page that
takes seconds (trust-wide views at the national size) is warmed up once and asked at least 10 times,
then only until it has taken a minute. The trust lead
and the headteacher (of the largest school) are signed in with the password form; the API is called
with the trust lead's token.

Item 3 counts the statements each page sends (SQLAlchemy's before_cursor_execute, as
tests/sqlcount.py does) on one request after the warm-up: the count must be the same at every size.
SQLite holds the small and trust sizes; PostgreSQL all three.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event

from bench.common import BENCH_PASSWORD, SECRET_KEY, dataset, log, percentile, postgres_reachable, sqlalchemy_url
from bench.common import profile as cprofile

TARGET_NATIONAL_P95_MS = 250.0  # the trust lead's dashboard, national size, PostgreSQL, 2 cores
TARGET_GROWTH = 2.0  # p95 at trust size at most this many times p95 at small size
# A page of tens of seconds (a trust-wide view at the national size) gets fewer requests: at least
# MIN_REQUESTS, then more only while it has taken less than BUDGET_S; one warm-up when over SLOW_S.
MIN_REQUESTS, BUDGET_S, SLOW_S = 10, 60.0, 2.0

# (who, label, path): who is "lead", "head" or "api" (the trust lead's token).
PAGES: list[tuple[str, str, str]] = [
    ("lead", "trust lead: completion dashboard", "/dashboards/"),
    ("lead", "trust lead: understanding dashboard", "/dashboards/understanding"),
    ("head", "headteacher: completion dashboard", "/dashboards/"),
    ("head", "headteacher: understanding dashboard", "/dashboards/understanding"),
    ("head", "headteacher: team", "/team"),
    ("api", "API: completion by unit", "/api/v1/completion/units"),
    ("api", "API: completion by module", "/api/v1/completion/modules"),
    ("api", "API: completion by staff type", "/api/v1/completion/staff-types"),
    ("api", "API: team records (100)", "/api/v1/team/records?limit=100"),
]
LEAD_DASHBOARD = "trust lead: completion dashboard"
LEAD_DASHBOARDS = (LEAD_DASHBOARD, "trust lead: understanding dashboard")  # the target's "trust-lead dashboard"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Measured:
    label: str
    path: str
    statements: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    requests: int
    profile: dict


def _signed_in(app, email: str):
    client = app.test_client()
    page = client.get("/login")
    token = _CSRF.search(page.get_data(as_text=True)).group(1)
    done = client.post("/login", data={"csrf_token": token, "email": email, "password": BENCH_PASSWORD})
    if done.status_code != 302:
        raise RuntimeError(f"sign-in as {email} answered {done.status_code}")
    if done.location.startswith("/login/code"):  # the trust lead also gives a code (lms/auth/two_factor.py)
        _second_factor(app, client, email, done.location)
    return client


def _second_factor(app, client, email: str, location: str) -> None:
    """The code after the password, through the pages: the first time the app is set up with the key the
    set-up page shows; later the code is made from the stored key, for a 30-second step not taken yet."""
    import pyotp

    from lms.clock import utcnow
    from lms.extensions import db
    from lms.models import TwoFactorSecret
    from lms.people.directory import find_by_email

    page = client.get(location).get_data(as_text=True)
    token = _CSRF.search(page).group(1)
    if location.startswith("/login/code/setup"):
        key = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
        done = client.post(location, data={"csrf_token": token, "code": pyotp.TOTP(key).at(utcnow())})
        if done.status_code != 200:
            raise RuntimeError(f"setting up two-factor sign-in for {email} answered {done.status_code}")
        return
    with app.app_context():
        row = db.session.get(TwoFactorSecret, find_by_email(db.session, email).id)
        totp, last = pyotp.TOTP(row.secret), row.last_step
    while True:  # the server takes now or the next step, once each: wait when both are taken
        now = totp.timecode(utcnow())
        step = next((s for s in (now, now + 1) if last is None or s > last), None)
        if step is not None:
            break
        time.sleep(1)
    done = client.post(location, data={"csrf_token": token, "code": totp.generate_otp(step)})
    if done.status_code != 302:
        raise RuntimeError(f"the sign-in code for {email} answered {done.status_code}")


def measure(backend: str, size: str, requests: int, warmup: int = 5, rebuild: bool = False,
            explain: bool = False) -> dict:
    from bench.benchapp import make_app
    from lms.extensions import db

    data = dataset(backend, size, rebuild=rebuild)
    app = make_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(data.url), "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        engine = db.engine
    clients = {"lead": _signed_in(app, data.info["trust_lead"]), "head": _signed_in(app, data.info["headteacher"])}
    api_headers = {"Authorization": f"Bearer {data.info['api_token']}"}
    statements: list[list] = []  # [statement, parameters, seconds]

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append([statement, parameters, time.perf_counter()])

    def after(conn, cursor, statement, parameters, context, executemany):
        statements[-1][2] = time.perf_counter() - statements[-1][2]

    results = []
    for who, label, path in PAGES:
        client = clients["lead" if who == "api" else who]
        headers = api_headers if who == "api" else {}

        def get(client=client, path=path, headers=headers, label=label) -> None:
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{label} ({path}) answered {response.status_code} on {data.label}")
            response.get_data()  # a streamed body is produced here, inside the timing

        began = time.perf_counter()
        get()
        if time.perf_counter() - began < SLOW_S:  # a page of seconds is warm after one request
            for _ in range(warmup - 1):
                get()
        statements.clear()
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            started = time.perf_counter()
            get()
            whole_ms = (time.perf_counter() - started) * 1000
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
        counted = len(statements)
        slowest = sorted(statements, key=lambda s: -s[2])[:2]
        profile = {"request_ms": whole_ms, "sql_ms": sum(s[2] for s in statements) * 1000,
                   "slowest": [{"ms": s[2] * 1000, "sql": " ".join(s[0].split())[:300]} for s in slowest]}
        selects = [s for s in sorted(statements, key=lambda s: -s[2]) if s[0].lstrip().upper().startswith(("SELECT", "WITH"))]
        if explain and backend == "postgresql" and selects:
            profile["explain"] = _explain(engine, *selects[0][:2])
        times = _timed(get, requests)
        if explain:
            profile.update(cprofile(get, repeat=1 if percentile(times, 50) > SLOW_S * 1000 else 3))
        results.append(Measured(label, path, counted, percentile(times, 50), percentile(times, 95),
                                sum(times) / len(times), len(times), profile))
        log(f"item 2 {data.label}: {label}: p50 {results[-1].p50_ms:.1f} ms, p95 {results[-1].p95_ms:.1f} ms, "
            f"{counted} statements, SQL {profile['sql_ms']:.0f} of {whole_ms:.0f} ms")
    with app.app_context():
        db.engine.dispose()
    return {"backend": backend, "size": size, "dataset": data.label, "info": _public(data.info),
            "pages": [m.__dict__ for m in results]}


def _explain(engine, statement: str, parameters) -> str:
    """EXPLAIN ANALYZE of one statement as the app sent it (PostgreSQL): where its time goes."""
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        conn.rollback()
    return plan


def _timed(get: Callable[[], None], requests: int) -> list[float]:
    """`requests` timings, or fewer (never under MIN_REQUESTS) once a page has taken BUDGET_S."""
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < requests and (len(times) < MIN_REQUESTS or time.perf_counter() - started < BUDGET_S):
        began = time.perf_counter()
        get()
        times.append((time.perf_counter() - began) * 1000)
    return times


def _public(info: dict) -> dict:
    return {k: v for k, v in info.items() if k not in ("takers", "api_token")}


def run(sizes: list[str], backends: list[str], requests: int, rebuild: bool = False, explain: bool = False) -> dict:
    runs = []
    for backend in backends:
        for size in sizes:
            if backend == "sqlite" and size == "national":
                continue  # the national size is PostgreSQL only (the generator refuses SQLite beyond 200,000 people)
            runs.append(measure(backend, size, requests, rebuild=rebuild, explain=explain))
    return {"requests": requests, "runs": runs, "checks": checks(runs)}


def checks(runs: list[dict]) -> list[dict]:
    """The targets of items 2 and 3, each with its verdict."""
    found = []
    by = {(r["backend"], r["size"]): {p["label"]: p for p in r["pages"]} for r in runs}
    national = by.get(("postgresql", "national"))
    if national:
        for label in LEAD_DASHBOARDS:
            p95 = national[label]["p95_ms"]
            found.append({"item": 2, "what": f"{label}, national, PostgreSQL: p95 {p95:,.0f} ms "
                                             f"(target at most {TARGET_NATIONAL_P95_MS:.0f} ms)",
                          "met": p95 <= TARGET_NATIONAL_P95_MS})
    for backend in ("sqlite", "postgresql"):
        small, trust = by.get((backend, "small")), by.get((backend, "trust"))
        if small and trust:
            for label, page in trust.items():
                ratio = page["p95_ms"] / small[label]["p95_ms"]
                found.append({"item": 2, "what": f"{label}, {backend}: p95 trust / small = {ratio:.2f} "
                                                 f"(target at most {TARGET_GROWTH:g})", "met": ratio <= TARGET_GROWTH})
        sizes = {size: by[(backend, size)] for size in ("small", "trust", "national") if (backend, size) in by}
        if len(sizes) > 1:
            for label in next(iter(sizes.values())):
                counts = {size: pages[label]["statements"] for size, pages in sizes.items()}
                found.append({"item": 3, "what": f"{label}, {backend}: statements " +
                              ", ".join(f"{s} {n}" for s, n in counts.items()), "met": len(set(counts.values())) == 1})
    return found


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="small,trust,national")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page, after 5 to warm up")
    parser.add_argument("--quick", action="store_true", help="small size only, 10 requests per page")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached data sets first")
    parser.add_argument("--explain", action="store_true",
                        help="profile each page: cProfile, and EXPLAIN ANALYZE of its slowest SELECT on PostgreSQL")
    args = parser.parse_args(argv)
    sizes, backends = args.sizes.split(","), args.backends.split(",")
    if args.quick:
        sizes, args.requests = ["small"], 10
    if "postgresql" in backends and not postgres_reachable():
        log("PostgreSQL is not reachable: SQLite only")
        backends = [b for b in backends if b != "postgresql"]
    result = run(sizes, backends, args.requests, rebuild=args.rebuild, explain=args.explain)
    print(json.dumps(result["checks"], indent=2))
    return result


if __name__ == "__main__":
    main()
