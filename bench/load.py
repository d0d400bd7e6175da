"""Item 4: 100 simulated staff taking modules at once for 60 s against PostgreSQL.

    .venv/bin/python -m bench.load [--size trust] [--clients 100] [--seconds 60] [--workers 5]
                                   [--think 2-6] [--quick]

The staff are bench/kill_worker.py's `Trainee`s (its browser, its ledger of acknowledged answers and
its check of the database against them), with no worker killed: each signs in with the password
form, then starts a module, reads each scenario's page, posts an answer with the CSRF token from that
page, finishes, and starts again, pausing --think seconds (uniformly at random) before each step as a
person reading the post would, only faster. Everyone signs in first; the clock starts once all have.

gunicorn serves bench.benchapp with the production gunicorn.conf.py (--workers, worker recycling off)
on a throwaway copy of the data set. Reported: requests, their p50/p95/p99 latency (from sending the
request to the last byte, as the client sees it), errors (connections refused or cut, 5xx, any other
4xx, answers refused), and the check: every acknowledged answer stored as sent, no scenario answered
twice, every acknowledged finish scored from its stored answers.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import threading
import time
from urllib.parse import urlsplit

from bench.benchapp import make_app
from bench.common import BENCH_PASSWORD, SECRET_KEY, cloned, dataset, gunicorn, log, percentile, sqlalchemy_url
from bench.kill_worker import Browser, Dropped, Ledger, Trainee, check

TARGET_P99_MS = 200.0


class CountingBrowser(Browser):
    """kill_worker's browser, also counting answers with a 4xx status (none is expected when taking a module)."""

    client_errors: list[str]
    dropped_samples: list[str]
    by_route: dict[str, list[float]]

    def request(self, method: str, path: str, form: dict | None = None):
        started = time.perf_counter()
        try:
            response = super().request(method, path, form)
        except Dropped as exc:
            self.dropped_samples.append(f"{method} {path}: {exc}")
            raise
        self.by_route.setdefault(f"{method} {re.sub(r'/[0-9]+', '/N', path)}", []).append(
            (time.perf_counter() - started) * 1000)
        if 400 <= response.status < 500:
            self.client_errors.append(f"{method} {path}: {response.status}")
        return response


class Pacer(Trainee):
    """A Trainee who pauses before each step, as a person reads a post before answering."""

    think: tuple[float, float] = (0.0, 0.0)

    def step(self) -> None:
        if self.signed_in and self.think[1] > 0:
            time.sleep(self.rng.uniform(*self.think))
            if time.monotonic() >= self.deadline:
                return  # time was up while reading: no more requests
        super().step()


def run(size: str, clients: int, seconds: float, workers: int, think: tuple[float, float]) -> dict:
    data = dataset("postgresql", size)
    emails = list(data.info["takers"])[:clients]
    if len(emails) < clients:
        raise SystemExit(f"the {size} data set has only {len(emails)} members of staff to sign in; use a larger size")
    with cloned(data) as copy:
        app = make_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(copy.url), "SECRET_KEY": SECRET_KEY})
        serializer = app.session_interface.get_signing_serializer(app)

        def flashes_of(cookie: str | None) -> list[tuple[str, str]]:
            # The session cookie is signed, not encrypted: with the key it reads as the server wrote it.
            try:
                return [tuple(f) for f in serializer.loads(cookie).get("_flashes", [])] if cookie else []
            except Exception:  # an unreadable cookie carries no flash to count
                return []

        with app.app_context():
            from lms.extensions import db
            from lms.training.service import current_versions

            slugs = [v.module.slug for v in current_versions(db.session)]
            db.session.remove()
        with gunicorn(copy.url, workers, max_requests=0) as base:
            port = urlsplit(base).port
            ledger = Ledger()
            client_errors: list[str] = []
            by_route: dict[str, list[float]] = {}
            dropped: list[str] = []
            people = []
            for email in emails:
                browser = CountingBrowser(port, ledger, flashes_of)
                browser.client_errors, browser.by_route, browser.dropped_samples = client_errors, by_route, dropped
                person = Pacer(browser, email, BENCH_PASSWORD, slugs, deadline=0.0)
                person.think = think
                people.append(person)
            log(f"item 4: signing in {clients} staff")
            signing = [threading.Thread(target=p.sign_in, args=(time.monotonic() + 300,)) for p in people]
            for t in signing:
                t.start()
            for t in signing:
                t.join()
            signed_in = sum(p.signed_in for p in people)
            # The clock starts now: what signing in cost is not part of the figures.
            with ledger.lock:
                signing_dropped = ledger.dropped
                ledger.requests, ledger.dropped, ledger.server_errors, ledger.latencies[:] = 0, 0, 0, []
            client_errors.clear()
            by_route.clear()
            dropped.clear()
            log(f"item 4: {signed_in} signed in; {clients} staff taking modules for {seconds:g} s "
                f"(think {think[0]:g}-{think[1]:g} s)")
            cpu_before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.monotonic()
            for p in people:
                p.deadline = started + seconds
            threads = [threading.Thread(target=p.run, name=f"staff-{i}") for i, p in enumerate(people)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            duration = time.monotonic() - started
            cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        log("item 4: load stopped; checking the database against what was acknowledged")
        figures = check(app, ledger)
        with app.app_context():
            from lms.extensions import db

            db.engine.dispose()
    latencies_ms = [s * 1000 for s in ledger.latencies]
    errors = ledger.dropped + ledger.server_errors + len(client_errors) + ledger.refused
    return {
        "dataset": data.label, "clients": clients, "signed_in": signed_in, "seconds": seconds,
        "duration": duration, "workers": workers, "think": list(think),
        "requests": len(latencies_ms), "rps": len(latencies_ms) / seconds,
        "p50_ms": percentile(latencies_ms, 50), "p95_ms": percentile(latencies_ms, 95),
        "p99_ms": percentile(latencies_ms, 99), "max_ms": max(latencies_ms, default=0.0),
        "errors": errors, "dropped": ledger.dropped - ledger.server_errors, "server_errors": ledger.server_errors,
        "client_errors": len(client_errors), "client_error_samples": client_errors[:5], "refused": ledger.refused,
        "dropped_samples": dropped[:5], "dropped_while_signing_in": signing_dropped,
        "answers_sent": ledger.sent, "acknowledged": len(ledger.recorded) + len(ledger.stood),
        "finished": len(ledger.finished), "lost": figures["lost"], "duplicates": figures["duplicates"],
        "badly_scored": figures["badly_scored"],
        "routes": {route: {"requests": len(times), "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95),
                           "p99_ms": percentile(times, 99)} for route, times in sorted(by_route.items())},
        "client_cpu_s": (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime),
    }


def checks(result: dict) -> list[dict]:
    return [
        {"item": 4, "what": f"{result['errors']} errors in {result['requests']:,} requests (target 0)",
         "met": result["errors"] == 0 and result["signed_in"] == result["clients"]},
        {"item": 4, "what": f"{result['acknowledged']:,} answers acknowledged, {result['lost']} of them not stored "
                            f"as sent, {result['duplicates']} duplicates (target 0 and 0)",
         "met": result["lost"] == 0 and result["duplicates"] == 0 and result["badly_scored"] == 0},
        {"item": 4, "what": f"p99 latency {result['p99_ms']:.0f} ms (target at most {TARGET_P99_MS:.0f} ms)",
         "met": result["p99_ms"] <= TARGET_P99_MS},
    ]


def parse_think(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="trust", choices=["small", "trust", "national"])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (production default: 2 x cores + 1)")
    parser.add_argument("--think", default="2-6", help="seconds a person pauses before each step, LOW-HIGH")
    parser.add_argument("--quick", action="store_true", help="20 staff for 10 s")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.seconds = 20, 10
    result = run(args.size, args.clients, args.seconds, args.workers, parse_think(args.think))
    result["checks"] = checks(result)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
