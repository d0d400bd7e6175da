"""`flask --app wsgi staff import FILE.csv [--full]` (added to the app in lms/cli.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.exc import IntegrityError

from lms.clock import today, utcnow
from lms.extensions import db
from lms.people.importer import check_rows, read_staff_csv
from lms.people.retention import anonymise
from lms.people.service import DEFAULT_CENTRAL_UNIT, apply_import, known_people
from lms.records.settings import app_settings as record_settings

staff = click.Group("staff", help="Keep staff in line with the trust's staff list.")


@staff.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--full", is_flag=True,
              help="The file lists every member of staff: active people not in it are deactivated.")
def staff_import(path: Path, full: bool) -> None:
    """Create and update staff from a CSV file; any bad row means nothing is imported."""
    table = read_staff_csv(path.read_bytes())
    with click.progressbar(length=len(table.records), label="Checking rows", file=sys.stderr) as bar:
        checked = check_rows(table, known_people(db.session), progress=bar.update)
    if checked.problems:
        for problem in checked.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(checked.problems)} problem(s); nothing was imported.", err=True)
        raise SystemExit(1)
    try:
        with click.progressbar(length=len(checked.rows), label="Importing", file=sys.stderr) as bar:
            result = apply_import(
                db.session, checked, full=full, started_by=None, source=f"cli: {path.name}"[:255],
                settings=record_settings(), today=today(),
                central_unit_name=current_app.config.get("CENTRAL_UNIT_NAME", DEFAULT_CENTRAL_UNIT),
                progress=bar.update,
            )
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        click.echo(f"error: the staff list changed during the import ({exc.orig}); nothing was imported.", err=True)
        raise SystemExit(1)
    click.echo(result.summary())
    for line in result.details(checked.ignored):
        click.echo(line)


people = click.Group("people", help="Personal data: retention of leavers' records; resetting two-factor sign-in.")


@people.command("retention")
@click.option("--months", type=click.IntRange(1, 1200), default=None,
              help="Anonymise people who left more than this many months ago (default: RETENTION_MONTHS).")
@click.option("--dry-run", is_flag=True, help="Only count who and what would be anonymised; change nothing.")
def people_retention(months: int | None, dry_run: bool) -> None:
    """Anonymise leavers past the retention period, keeping what the dashboards count (run monthly from cron)."""
    months = months if months is not None else int(current_app.config["RETENTION_MONTHS"])
    report = anonymise(db.session, today(), utcnow(), months, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in report.lines():
        click.echo(line)


@people.command("reset-two-factor")
@click.argument("email")
def people_reset_two_factor(email: str) -> None:
    """Forget someone's authenticator app and recovery codes (a lost phone): they set up again at their next sign-in.

    Check first that the request really comes from the person: whoever next signs in with their
    password sets up the new app.
    """
    from lms.audit import record
    from lms.auth import two_factor
    from lms.people.directory import find_by_email

    person = find_by_email(db.session, email)
    if person is None:
        click.echo(f"error: no account has the email address {email.strip()}; nothing was changed.", err=True)
        raise SystemExit(1)
    had_app, codes = two_factor.reset(db.session, person.id)
    if not had_app and not codes:
        db.session.rollback()
        click.echo(f"{person.email} has no authenticator app or recovery codes set up; nothing was changed.")
        return
    record(db.session, "two_factor_reset", subject_id=person.id,
           detail={"how": "cli", "had_app": had_app, "recovery_codes": codes})
    db.session.commit()
    click.echo(f"Two-factor sign-in reset for {person.email}: the app and {codes} recovery code(s) no longer work. "
               "They set up an authenticator app again the next time they sign in with their password.")
