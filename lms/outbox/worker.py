"""The mail worker: claim a batch, send it over one SMTP connection, record each message at once.

`Worker.run` sends everything due (`flask --app wsgi mail work`) or keeps polling (`--loop`).
Each message is marked sent and committed right after the server accepts it, so a worker
killed mid-batch loses nothing: its claim runs out after the lease and another worker takes
the rest, sending at most the one in flight twice. A failure is retried after exponential
back-off and, after `max_attempts` failed tries, the message is dead with its last error kept.
With no mail server configured (the embedded default) a message is logged to `lms.mail` and
counts as sent.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lms.audit import record
from lms.clock import utcnow
from lms.extensions import mail
from lms.models.outbox import OutboxKind, OutboxMessage, OutboxState
from lms.outbox import queue
from lms.outbox.reset import reset_link

log = logging.getLogger("lms.mail")

# The server refused this one message; the connection is still good for the rest of the batch.
MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass(frozen=True)
class WorkerSettings:
    server: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    use_ssl: bool
    sender: str
    timeout: float       # seconds for any one SMTP step (connect, each reply), so a stalled server cannot hang us
    batch_size: int      # messages claimed at once and sent over one connection
    max_attempts: int    # failed tries before a message is dead
    lease: timedelta     # how long a claim keeps other workers off; outlasts a batch at `timeout` per message
    secret_key: str      # signs password links
    reset_hours: int
    retry_base: timedelta = queue.RETRY_BASE

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, lease_seconds: float | None = None) -> WorkerSettings:
        timeout, batch = float(config["MAIL_TIMEOUT_SECONDS"]), int(config["MAIL_BATCH_SIZE"])
        lease = lease_seconds if lease_seconds is not None else max(30.0, timeout * (batch + 2))
        return cls(server=config.get("MAIL_SERVER") or "", port=int(config.get("MAIL_PORT") or 25),
                   username=config.get("MAIL_USERNAME"), password=config.get("MAIL_PASSWORD"),
                   use_tls=bool(config.get("MAIL_USE_TLS")), use_ssl=bool(config.get("MAIL_USE_SSL")),
                   sender=config.get("MAIL_DEFAULT_SENDER") or "", timeout=timeout, batch_size=batch,
                   max_attempts=int(config["MAIL_MAX_ATTEMPTS"]), lease=timedelta(seconds=lease),
                   secret_key=config["SECRET_KEY"], reset_hours=int(config["PASSWORD_RESET_HOURS"]))


@dataclass(frozen=True)
class Claimed:
    """A claimed row, copied out before the claim is committed (so nothing is reloaded per message)."""

    id: int
    kind: OutboxKind
    recipients: list[str]
    subject: str
    body: str
    asked_from: str | None
    attempts: int
    created_at: datetime

    @classmethod
    def of(cls, row: OutboxMessage) -> Claimed:
        return cls(row.id, row.kind, list(row.recipients), row.subject, row.body, row.asked_from, row.attempts,
                   row.created_at)


@dataclass
class Tally:
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    dead: int = 0
    batches: int = 0
    connections: int = 0

    def line(self) -> str:
        return (f"Sent {self.sent} message(s) over {self.connections} connection(s); {self.retrying} to retry later, "
                f"{self.dead} dead, {self.skipped} password link(s) asked for addresses without an account.")


class Worker:
    def __init__(self, session: Session, settings: WorkerSettings, stop: threading.Event | None = None) -> None:
        self.session = session
        self.settings = settings
        self.stop = stop or threading.Event()
        self.tally = Tally()

    def run(self, *, loop: bool = False, poll: float = 2.0) -> Tally:
        """Send batches until nothing is due (or, with `loop`, until asked to stop)."""
        while not self.stop.is_set():
            if self.run_batch():
                continue
            if not loop:
                break
            self.stop.wait(poll)
        return self.tally

    def run_batch(self) -> int:
        """Claim one batch and deal with every message in it; returns how many were claimed."""
        s = self.settings
        token, rows = queue.claim(self.session, utcnow(), s.batch_size, s.lease)
        claimed = [Claimed.of(r) for r in rows]
        self.session.commit()  # the claim is durable before anything is sent
        if not claimed:
            return 0
        self.tally.batches += 1
        connection = None
        try:
            for index, row in enumerate(claimed):
                if self.stop.is_set():
                    queue.release(self.session, token)  # untried: due again now, for whoever runs next
                    self.session.commit()
                    break
                outgoing = self._compose(row)
                if outgoing is None:
                    queue.mark_skipped(self.session, row.id, token, utcnow())
                    self.session.commit()
                    self.tally.skipped += 1
                    continue
                try:
                    if s.server and connection is None:
                        connection = self._connect()
                    self._send(connection, row, outgoing)
                except MESSAGE_REFUSED as exc:
                    self._failed([row], token, exc)
                except OSError as exc:  # smtplib's errors are OSErrors too: the connection is gone or stalled
                    self._failed(claimed[index:], token, exc)
                    connection = self._close(connection)
                    break
                else:
                    self._sent(row, outgoing)
        finally:
            self._close(connection)
        return len(claimed)

    def _compose(self, row: Claimed) -> tuple[str, list[str], str, int | None] | None:
        """(subject, recipients, body, person to audit a password link for), or None when nothing is to be sent."""
        if row.kind is OutboxKind.password_reset:
            found = reset_link(self.session, row.recipients[0], row.body, secret_key=self.settings.secret_key,
                               hours=self.settings.reset_hours)
            return None if found is None else (found.subject, [found.person.email], found.body, found.person.id)
        return row.subject, row.recipients, row.body, None

    def _connect(self):
        s = self.settings
        connection = mail.get_connection(backend="smtp", host=s.server, port=s.port, username=s.username,
                                         password=s.password, use_tls=s.use_tls, use_ssl=s.use_ssl,
                                         timeout=s.timeout)
        connection.open()  # one connection for the whole batch: send_messages leaves an open one open
        self.tally.connections += 1
        return connection

    @staticmethod
    def _close(connection) -> None:
        if connection is not None:
            try:
                connection.close()
            except OSError:
                log.warning("mail server connection did not close cleanly", exc_info=True)
        return None

    def _send(self, connection, row: Claimed, outgoing: tuple[str, list[str], str, int | None]) -> None:
        from flask_mailman import EmailMessage

        subject, recipients, body, _ = outgoing
        if connection is None:
            log.info("mail (not sent: no MAIL_SERVER) to %s: %s\n%s", ", ".join(recipients), subject, body)
            return
        message = EmailMessage(subject, body, self.settings.sender, recipients,
                               headers={"X-Outbox-Id": str(row.id)}, connection=connection)
        connection.send_messages([message])

    def _sent(self, row: Claimed, outgoing: tuple[str, list[str], str, int | None]) -> None:
        now = utcnow()
        queue.mark_sent(self.session, row.id, now)
        person_id = outgoing[3]
        if person_id is not None:
            # Recorded with the sending, not the asking: the request that asked did the same for every address.
            record(self.session, "password_reset_requested", actor_id=None, subject_id=person_id,
                   detail={"asked_at": row.created_at.isoformat()}, address=row.asked_from)
        self.session.commit()
        self.tally.sent += 1

    def _failed(self, rows: list[Claimed], token: str, exc: Exception) -> None:
        self.session.rollback()
        error = f"{type(exc).__name__}: {exc}"
        now = utcnow()
        for row in rows:
            state = queue.mark_failed(self.session, row.id, row.attempts, token, error, now,
                                      max_attempts=self.settings.max_attempts, retry_base=self.settings.retry_base)
            if state is OutboxState.dead:
                self.tally.dead += 1
            else:
                self.tally.retrying += 1
        self.session.commit()
        log.warning("could not send %d message(s), outbox ids %s: %s", len(rows), [r.id for r in rows], error)
