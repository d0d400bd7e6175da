"""The app as the benchmarks serve it: `gunicorn -c gunicorn.conf.py 'bench.benchapp:make_app()'`.

The same create_app() as wsgi.py, with two bench-only differences:

- `GET /_bench/bare` answers a short text and touches nothing else: the yardstick for item 1's
  "throughput relative to a bare route of the same app on the same server". It passes through
  every hook the real pages do (CSP nonce, security headers, the session and the signed-in
  person when a cookie is sent), so the ratio measures what a page adds over the framework.
- Rate limits are off: a hundred simulated staff signing in from 127.0.0.1 within seconds would
  otherwise be refused by the per-address sign-in limit, and repeated API calls by the per-token
  one. No page under measurement is rate-limited, so this changes none of the figures.
"""

from __future__ import annotations

from flask import Flask

from lms import create_app

BARE_PATH = "/_bench/bare"


def make_app(config: dict | None = None) -> Flask:
    application = create_app({"RATELIMIT_ENABLED": False, **(config or {})})

    @application.get(BARE_PATH)
    def bench_bare():
        return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}

    return application

