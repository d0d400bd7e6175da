"""Item 1: taking training under gunicorn, as throughput relative to a bare route of the same app.

    .venv/bin/python -m bench.taking [--size trust] [--backend postgresql] [--workers 5] [--rounds 5]
                                     [--duration 20] [--quick]

gunicorn serves bench.benchapp with the production gunicorn.conf.py (workers = --workers, worker
recycling off so no worker restarts inside a measurement) on a throwaway copy of the data set.
wrk (one thread, 2 x workers keep-alive connections) then measures, in each round and in this order:

- bare:   GET /_bench/bare as a signed-in member of staff (the framework and session alone);
- page:   GET of the scenario page (an unanswered question with its answer form), cycling over the
          first scenario of attempts no one answers;
- answer: POST of a real answer (CSRF token, verdict, clause, sure), each to a different unanswered
          scenario, round robin over hundreds of attempts so that no two requests race for one attempt.

Throughput is requests per second over the round; the ratios page/bare and answer/bare are taken
within the same round, and the report gives their median and worst over the rounds. Afterwards the
database must hold a stored answer for every POST answered with a redirect (and at most one more per
connection, for requests still in flight when wrk stopped): a POST that was not a real answer (a
repeat, a refusal) would make the figure meaningless.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.benchapp import BARE_PATH
from bench.common import BENCH, BENCH_PASSWORD, Dataset, cloned, dataset, gunicorn, log, median
from bench.kill_worker import ATTEMPT, CLAUSE, Browser, Ledger

TARGET_RATIO = 0.6
_OF = re.compile(r"Scenario (\d+) of (\d+)")
FEEDBACK = 'id="feedback-heading"'  # the page of a scenario already answered


@dataclass
class Open:
    """An attempt opened by a signed-in member of staff, ready to be answered from position 1."""

    attempt_id: int
    total: int
    cookie: str
    csrf: str
    clauses: list[str]


def _module_slugs(url: str) -> list[str]:
    return [row[0] for row in _query(url, "SELECT slug FROM modules ORDER BY slug")]


def _query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _open_attempts(port: int, email: str, slugs: list[str]) -> list[Open]:
    browser = Browser(port, Ledger(), lambda cookie: [])
    browser.request("GET", "/login")  # the form's CSRF token
    signed_in = browser.request("POST", "/login", {"email": email, "password": BENCH_PASSWORD})
    if signed_in.status != 302:
        raise RuntimeError(f"sign-in as {email} answered {signed_in.status}")
    opened = []
    for slug in slugs:
        browser.request("GET", f"/training/{slug}")
        started = browser.request("POST", f"/training/{slug}/start", {})
        match = ATTEMPT.match(started.location)
        if started.status != 302 or not match:
            raise RuntimeError(f"start {slug} as {email} answered {started.status} {started.location}")
        attempt_id = int(match.group(1))
        page = browser.request("GET", f"/attempts/{attempt_id}/q/1")
        of = _OF.search(page.body)
        if page.status != 200 or of is None or of.group(1) != "1" or FEEDBACK in page.body:
            continue  # resumed an attempt begun before: not a clean pool entry
        opened.append(Open(attempt_id, int(of.group(2)), "", browser.token or "", CLAUSE.findall(page.body)))
    # The cookie as it stands now: it holds the CSRF secret, put in the session by the first form after sign-in.
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    for o in opened:
        o.cookie = cookie
    return opened


def _open_many(base: str, emails: list[str], slugs: list[str], parallel: int) -> list[Open]:
    port = urlsplit(base).port or 80
    with ThreadPoolExecutor(parallel) as pool:
        return [o for batch in pool.map(lambda e: _open_attempts(port, e, slugs), emails) for o in batch]


def _answered(url: str, pool: list[Open]) -> dict[int, int]:
    """How many scenarios of each attempt are answered (they are answered in order: positions 1..n)."""
    ids = tuple(o.attempt_id for o in pool)
    marks = ",".join(["%s"] * len(ids))
    rows = _query(url, f"SELECT attempt_id, count(*) FROM answers WHERE attempt_id IN ({marks}) GROUP BY attempt_id", ids)  # noqa: S608
    return {o.attempt_id: 0 for o in pool} | dict(rows)


def _answer_lines(pool: list[Open], answered: dict[int, int], rng: random.Random) -> list[str]:
    """Every unanswered scenario as a POST, position by position across all the attempts.

    Between two positions of one attempt come the next position of every other attempt, far more
    requests than there are connections, so each is sent after the one before it was stored.
    """
    lines = []
    for position in range(1, max(o.total for o in pool) + 1):
        for o in pool:
            if not answered[o.attempt_id] < position <= o.total:
                continue
            verdict = rng.choice(["compliant", "breach"])
            form = {"csrf_token": o.csrf, "verdict": verdict, "sure": rng.choice(["sure", "unsure"])}
            if verdict == "breach":
                form["clause"] = rng.choice(o.clauses)
            lines.append(f"POST\t/attempts/{o.attempt_id}/q/{position}\t{o.cookie}\t{urlencode(form)}")
    return lines


def wrk(base: str, lines: list[str], seconds: float, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as listing:
        listing.write("\n".join(lines) + "\n")
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
             "-s", str(BENCH / "wrk_list.lua"), base, "--", listing.name],
            capture_output=True, text=True, check=True)
    finally:
        Path(listing.name).unlink(missing_ok=True)
    for line in out.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            result = json.loads(line.removeprefix("WRK_JSON "))
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise RuntimeError(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")


def run(data: Dataset, *, workers: int, rounds: int, seconds: float, connections: int | None = None,
        seed: int = 7) -> dict:
    connections = connections or 2 * workers
    rng = random.Random(seed)
    takers = list(data.info["takers"])
    with cloned(data) as copy:
        with gunicorn(copy.url, workers, max_requests=0) as base:
            slugs = _module_slugs(copy.url)
            log(f"item 1: {workers} workers, {connections} connections, {rounds} rounds of {seconds:g} s")
            # The page: the first scenario of attempts nobody answers, so every GET renders the answer form.
            readers = _open_many(base, takers[:8], slugs[:1], workers)
            page_lines = [f"GET\t/attempts/{o.attempt_id}/q/1\t{o.cookie}\t" for o in readers]
            bare_lines = [f"GET\t{BARE_PATH}\t{o.cookie}\t" for o in readers]
            wrk(base, bare_lines, 2, connections)  # warm-up: every worker has served both before measuring
            calibration = wrk(base, page_lines, 2, connections)
            # Enough distinct unanswered scenarios that no round runs out, with room for a faster POST.
            needed = int(calibration["rps"] * 2.5 * seconds * (rounds + 1)) + 200
            per_taker = sum(o.total for o in readers) // len(readers) * len(slugs)  # roughly, scenarios per person
            writers_wanted = min(len(takers) - 8, max(4, needed // max(per_taker, 1) + 1))
            log(f"item 1: opening attempts for {writers_wanted} staff ({needed} answers wanted)")
            writers = _open_many(base, takers[8:8 + writers_wanted], slugs, workers)
            log(f"item 1: {len(_answer_lines(writers, _answered(copy.url, writers), rng))} scenarios ready to answer")
            if len({o.attempt_id for o in writers}) <= 4 * connections:
                raise RuntimeError("too few attempts to keep the answers of one attempt apart; use a larger data set")
            wrk(base, _answer_lines(writers, _answered(copy.url, writers), rng), 1, connections)  # warm-up
            time.sleep(0.5)  # requests still in flight when wrk stopped are finished by the server
            before = sum(_answered(copy.url, writers).values())
            posted_redirects = 0
            results = []
            for number in range(rounds):
                bare = wrk(base, bare_lines, seconds, connections)
                page = wrk(base, page_lines, seconds, connections)
                answer = wrk(base, _answer_lines(writers, _answered(copy.url, writers), rng), seconds, connections)
                time.sleep(0.5)
                posted_redirects += answer["redirected"]
                results.append({"bare": bare, "page": page, "answer": answer,
                                "page_ratio": page["rps"] / bare["rps"], "answer_ratio": answer["rps"] / bare["rps"]})
                log(f"item 1 round {number + 1}: bare {bare['rps']:.0f}/s, page {page['rps']:.0f}/s "
                    f"({results[-1]['page_ratio']:.2f}), answer {answer['rps']:.0f}/s ({results[-1]['answer_ratio']:.2f})")
            stored = sum(_answered(copy.url, writers).values()) - before
        # Where the page's time goes: in-process on the same copy, once the server has stopped.
        explained = explain_page(copy.url, takers[-1], slugs[0])
    problems = []
    for number, r in enumerate(results, start=1):
        for kind in ("bare", "page", "answer"):
            w = r[kind]
            if w["failed"] or any(w["errors"].values()):
                problems.append(f"round {number} {kind}: {w['failed']} error statuses ({w['failed_4xx']} of them 4xx), "
                                f"socket errors {w['errors']}")
            if kind == "answer" and w["wrapped"]:
                problems.append(f"round {number} {kind}: the request list ran out and repeated")
        if r["page"]["redirected"] or r["bare"]["redirected"]:
            problems.append(f"round {number}: page or bare answered redirects (session ended?)")
        if r["answer"]["ok"]:
            problems.append(f"round {number}: {r['answer']['ok']} answers were refused with a page (form errors)")
    # Requests in flight when wrk stops are still answered and stored, uncounted by wrk: up to one per connection.
    if not posted_redirects <= stored <= posted_redirects + rounds * connections:
        problems.append(f"{posted_redirects} answers acknowledged by a redirect but {stored} stored")
    return {"workers": workers, "connections": connections, "rounds": results, "seconds": seconds,
            "stored": stored, "acknowledged": posted_redirects, "problems": problems, "profile": explained,
            "summary": summarise(results)}


def explain_page(url: str, email: str, slug: str, requests: int = 50) -> dict:
    """In-process (Flask test client): the bare route and the scenario page, their statements and a profile."""
    from sqlalchemy import event

    from bench.benchapp import make_app
    from bench.common import SECRET_KEY, profile, sqlalchemy_url
    from bench.dashboards import _signed_in
    from lms.extensions import db

    app = make_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": SECRET_KEY})
    client = _signed_in(app, email)
    page = client.get(f"/training/{slug}")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    started = client.post(f"/training/{slug}/start", data={"csrf_token": token})
    attempt = ATTEMPT.match(urlsplit(started.headers["Location"]).path).group(1)
    with app.app_context():
        engine = db.engine
    figures = {}
    for name, path in (("bare", BARE_PATH), ("page", f"/attempts/{attempt}/q/1")):
        def get(path=path) -> None:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        for _ in range(5):
            get()
        statements: list[float] = []

        def before(*_args, statements=statements) -> None:
            statements.append(time.perf_counter())

        def after(*_args, statements=statements) -> None:
            statements[-1] = time.perf_counter() - statements[-1]

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        get()
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            get()
            times.append((time.perf_counter() - began) * 1000)
        figures[name] = {"median_ms": median(times), "statements": len(statements),
                         "sql_ms": sum(statements) * 1000, **profile(get, repeat=10)}
    with app.app_context():
        db.engine.dispose()
    figures["in_process_ratio"] = figures["bare"]["median_ms"] / figures["page"]["median_ms"]
    return figures


def summarise(results: list[dict]) -> dict:
    def col(key: str, sub: str | None = None) -> list[float]:
        return [r[key][sub] if sub else r[key] for r in results]

    return {
        "bare_rps": median(col("bare", "rps")), "page_rps": median(col("page", "rps")),
        "answer_rps": median(col("answer", "rps")),
        "page_ratio": median(col("page_ratio")), "page_ratio_worst": min(col("page_ratio")),
        "answer_ratio": median(col("answer_ratio")), "answer_ratio_worst": min(col("answer_ratio")),
        "latency_ms": {kind: {p: median([r[kind]["latency_us"][p] / 1000 for r in results]) for p in ("p50", "p95", "p99")}
                       for kind in ("bare", "page", "answer")},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="trust", choices=["small", "trust", "national"])
    parser.add_argument("--backend", default="postgresql", choices=["sqlite", "postgresql"])
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (production default: 2 x cores + 1)")
    parser.add_argument("--connections", type=int, default=None, help="wrk connections (default 2 x workers)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=20, help="seconds per measurement")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 3 s, to try the harness")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached data set first")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration = 2, 3
    data = dataset(args.backend, args.size, rebuild=args.rebuild)
    result = run(data, workers=args.workers, rounds=args.rounds, seconds=args.duration, connections=args.connections)
    result["dataset"] = data.label
    print(json.dumps(result["summary"], indent=2))
    for problem in result["problems"]:
        print("PROBLEM:", problem)
    return result


if __name__ == "__main__":
    main()
