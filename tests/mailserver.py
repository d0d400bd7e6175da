"""A real SMTP server for tests (aiosmtpd on 127.0.0.1), and reading what arrived."""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from flask import Flask

from lms.extensions import mail


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Collect:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted"


class LocalSMTP:
    """Start a server and point the app's mail settings at it; stop and restore on exit."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.handler = _Collect()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> LocalSMTP:
        self.controller.start()
        self.saved = {k: self.app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT")}
        self.app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=self.port)
        mail.init_app(self.app)  # Flask-Mail reads its settings when it is bound to the app
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
        self.app.config.update(self.saved)
        mail.init_app(self.app)

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.original_content or e.content, policy=email.policy.default)
                for e in self.handler.envelopes]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if address in m["To"]]
