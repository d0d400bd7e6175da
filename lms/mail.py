"""Sending email: through SMTP (Flask-Mail) when MAIL_SERVER is set, else logged (the embedded default)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence

from flask import current_app
from flask_mail import Message

from lms.extensions import mail

log = logging.getLogger("lms.mail")


class MailError(Exception):
    """A message could not be handed to the mail server."""


def send(subject: str, recipients: Sequence[str], body: str) -> None:
    """Send a plain-text message; raise MailError when the server refuses it or cannot be reached."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log.info("mail (not sent: no MAIL_SERVER) to %s: %s\n%s", ", ".join(recipients), subject, body)
        return
    message = Message(subject=subject, recipients=list(recipients), body=body,
                      sender=config.get("MAIL_DEFAULT_SENDER"))
    try:
        mail.send(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"could not send '{subject}' to {', '.join(recipients)}: {exc}") from exc
