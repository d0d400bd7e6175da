"""The app served on a free local port from a throwaway SQLite database, for a real browser to use.

The server runs in a background thread of the test process, so a test can also read the same
database (for example, which scenario an attempt drew) through `server.app.app_context()`.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from werkzeug.serving import make_server

from lms import create_app
from lms.extensions import db
from tests.conftest import SCENARIOS


class LiveServer:
    def __init__(self, database: Path, prepare: Callable[[Flask], None], *, port: int = 0,
                 config: dict | None = None) -> None:
        """`port`: 0 for any free one; a test that must know the address first (a redirect URI) picks it."""
        self.app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SECRET_KEY": "browser-test-secret-key-not-for-production",
            "AUDIT_KEY": "browser-test-audit-key-not-for-production",
            "SCENARIOS_DIR": str(SCENARIOS),
            "MAIL_SERVER": "",  # mail is logged, never sent
            **(config or {}),
        })
        with self.app.app_context():
            from flask_migrate import upgrade

            upgrade()
            prepare(self.app)
            db.session.remove()
        # Not TESTING: a server error must reach the app's own error page, as in production.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns a failure's output
        self._server = make_server("127.0.0.1", port, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.app.config["APP_BASE_URL"] = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    @staticmethod
    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def deliver_mail(self) -> None:
        """Run the mail worker once over the server's outbox, as `make run`'s worker does every few seconds."""
        from tests.mailserver import deliver_outbox

        deliver_outbox(self.app)

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        with self.app.app_context():
            db.engine.dispose()


def cli(app: Flask, *args: str) -> str:
    """Run a `flask --app wsgi …` command against the server's database, as `make run` does."""
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, f"flask {' '.join(args)} failed:\n{result.output}"
    return result.output
