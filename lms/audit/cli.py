"""`flask --app wsgi audit verify` and `audit show` (added to the app in lms/cli.py)."""

from __future__ import annotations

import click
from sqlalchemy import select

from lms.audit.log import verify
from lms.extensions import db
from lms.models import AuditEvent

audit = click.Group("audit", help="Check and read the audit log.")


@audit.command("verify")
def audit_verify() -> None:
    """Walk the whole chain; exit 1 naming the first event that was changed, removed or inserted."""
    checked, broken = verify(db.session)
    db.session.rollback()  # read only; end the transaction
    if broken is not None:
        click.echo(f"Audit log broken at {broken}", err=True)
        click.echo(f"{checked} event(s) before it are intact.", err=True)
        raise SystemExit(1)
    click.echo(f"Audit log intact: {checked} events checked.")


@audit.command("show")
@click.option("--last", "last", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="How many of the newest events to print.")
def audit_show(last: int) -> None:
    """Print the newest events, oldest first: sequence, time (UTC), action, who, about whom, what."""
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(last)))
    for event in reversed(events):
        about = f" {event.object_type} {event.object_id}" if event.object_type else ""
        click.echo(f"{event.seq:>7} {event.at:%Y-%m-%d %H:%M:%S} {event.action:<24} "
                   f"actor={event.actor_id if event.actor_id is not None else '-'} "
                   f"subject={event.subject_id if event.subject_id is not None else '-'}{about} "
                   f"{event.address or ''} {event.detail}".rstrip())
    if not events:
        click.echo("The audit log is empty.")
