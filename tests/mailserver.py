"""A real SMTP server for tests (aiosmtpd on 127.0.0.1), reading what arrived, and delivering the outbox.

Email is queued in the outbox by the request or command that causes it; `deliver_outbox(app)`
runs the mail worker once, as `flask --app wsgi mail work` does, so a test sees it arrive.
"""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from flask import Flask

from lms.extensions import db
from lms.outbox.worker import Tally, Worker, WorkerSettings


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deliver_outbox(app: Flask, **settings) -> Tally:
    """Send everything due in the outbox now, with the app's settings (and any given), as the worker does."""
    with app.app_context():
        config = {**app.config, **settings}
        tally = Worker(db.session, WorkerSettings.from_config(config)).run()
        db.session.remove()
    return tally


class _Collect:
    """Keep every message, and which connection (client address and port) it came over."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.peers: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        self.peers.append(session.peer)
        return "250 Message accepted"


class LocalSMTP:
    """Start a server and point the app's mail settings at it; stop and restore on exit."""

    def __init__(self, app: Flask, handler=None) -> None:
        self.app = app
        self.handler = handler or _Collect()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> LocalSMTP:
        self.controller.start()
        self.saved = {k: self.app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT")}
        self.app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=self.port)  # the worker reads them when it runs
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
        self.app.config.update(self.saved)

    def messages(self) -> list[EmailMessage]:
        """What arrived, after running the mail worker once (as a deployment's worker would within seconds)."""
        deliver_outbox(self.app)
        return self.arrived()

    def arrived(self) -> list[EmailMessage]:
        """What arrived so far, without delivering the outbox."""
        return [email.message_from_bytes(e.original_content or e.content, policy=email.policy.default)
                for e in self.handler.envelopes]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if address in m["To"]]
