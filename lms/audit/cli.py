"""`flask --app wsgi audit verify`, `audit anchor` and `audit show` (added to the app in lms/cli.py).

Exit codes: 0 the log (and every anchor given) holds; 1 it does not (the first broken event, or
each anchor that fails, is named); 2 it could not be checked (no AUDIT_KEY, an unreadable anchor
file or a line in it that is not an anchor).
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from lms.audit.anchors import AnchorFileError, check, current, parse
from lms.audit.chain import MissingKey, Walk, audit_key, walk
from lms.extensions import db
from lms.models import AuditEvent

audit = click.Group("audit", help="Check and read the audit log.")


def _walk() -> Walk:
    try:
        return walk(db.session, audit_key())
    except MissingKey as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        raise SystemExit(2) from exc


@audit.command("verify")
@click.option("--anchor", "anchor_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file of anchors printed by `audit anchor` (one JSON line each); may be given more than once.")
def audit_verify(anchor_files: tuple[Path, ...]) -> None:
    """Walk the whole chain, and check it against anchors kept elsewhere; exit 1 naming what is wrong."""
    try:
        anchors = [a for path in anchor_files
                   for a in parse(path.read_text(encoding="utf-8").splitlines(), str(path))]
    except (AnchorFileError, OSError, UnicodeDecodeError) as exc:
        click.echo(f"Cannot read the anchors: {exc}", err=True)
        raise SystemExit(2) from exc
    walked = _walk()
    problems = check(db.session, anchors, walked) if anchors else []
    db.session.rollback()  # read only; end the transaction
    if walked.broken is not None:
        click.echo(f"Audit log broken at {walked.broken}", err=True)
        click.echo(f"{walked.checked} event(s) before it are intact.", err=True)
    else:
        click.echo(f"Audit log intact: {walked.checked} events checked.")
    if walked.unkeyed:
        click.echo(f"{walked.unkeyed} of them were written before AUDIT_KEY was set: they are checked by "
                   "SHA-256 alone, without the key.")
    for problem in problems:
        click.echo(problem, err=True)
    if anchors and not problems:
        click.echo(f"Anchors hold: {len(anchors)} checked.")
    if walked.broken is not None or problems:
        raise SystemExit(1)


@audit.command("anchor")
def audit_anchor() -> None:
    """Print the head of a verified chain as one JSON line (seq, hash, at in UTC) to keep elsewhere."""
    walked = _walk()
    anchor = current(db.session)
    db.session.rollback()
    if walked.broken is not None:  # anchoring a forged log would vouch for it
        click.echo(f"Not anchored: the audit log is broken at {walked.broken}", err=True)
        raise SystemExit(1)
    click.echo(anchor.line_text())


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
