"""Log lines: readable text on a laptop, one JSON object per line in production.

A log collector (journald, Loki, CloudWatch…) parses JSON lines without guessing, and every
request gets one line saying who asked for what and how long it took, with no personal data
beyond the person's id.
"""

from __future__ import annotations

import json
import logging
import time

from flask import Flask, g, request

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    # Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in self._STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


JsonFormatter.converter = time.gmtime  # timestamps in UTC, marked Z


def configure(app: Flask) -> None:
    """Set the root handler's format once (gunicorn workers each build the app once)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if app.config["LOG_FORMAT"] == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "lms_handler", False):
            root.removeHandler(old)
    handler.lms_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    if app.config["LOG_REQUESTS"]:
        _log_requests(app)


def _log_requests(app: Flask) -> None:
    log = logging.getLogger("lms.request")

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        from flask_login import current_user

        started = g.get("request_started")
        log.info(
            "%s %s %s", request.method, request.path, response.status_code,
            extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                "person_id": current_user.get_id() if current_user and current_user.is_authenticated else None,
                "address": request.remote_addr,
            },
        )
        return response
