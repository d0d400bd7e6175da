"""`flask --app wsgi mail work [--loop]`, `mail status`, `mail retry`: the mail worker and its dead letters."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app

from lms.audit import record
from lms.clock import utcnow
from lms.extensions import db
from lms.outbox import queue
from lms.outbox.worker import Worker, WorkerSettings

mail = click.Group("mail", help="The mail outbox: send what is queued, see the backlog, retry dead letters.")


@mail.command("work")
@click.option("--loop", is_flag=True, help="Keep polling for new mail until stopped (production: run under systemd).")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between looks at the outbox when it is empty.")
@click.option("--lease", type=float, default=None,
              help="Seconds a claimed batch is kept from other workers (default: enough for a whole batch to time out).")
def mail_work(loop: bool, poll: float, lease: float | None) -> None:
    """Send every message that is due, then exit (or, with --loop, keep going)."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (systemd stop) and Ctrl+C finish the message in flight, give back the rest and exit.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    settings = WorkerSettings.from_config(current_app.config, lease_seconds=lease)
    tally = Worker(db.session, settings, stop).run(loop=loop, poll=poll)
    click.echo(tally.line())


@mail.command("status")
def mail_status() -> None:
    """Print how many messages wait, how many are dead, and when the oldest waiting one was queued."""
    queued, dead, oldest = queue.backlog(db.session)
    since = f", the oldest queued {oldest:%Y-%m-%d %H:%M} UTC" if oldest else ""
    click.echo(f"{queued} message(s) waiting{since}; {dead} dead.")


@mail.command("retry")
@click.argument("message_id", type=int, required=False)
def mail_retry(message_id: int | None) -> None:
    """Queue dead letters again: the one given, or all of them."""
    ids = queue.retry(db.session, utcnow(), message_id)
    if ids:
        record(db.session, "mail.retried", object_type="mail", object_id=ids[0] if len(ids) == 1 else None,
               detail={"ids": ids[:500], "count": len(ids), "by": "command"})
    db.session.commit()
    click.echo(f"{len(ids)} dead message(s) queued again.")
