"""Flask commands: `flask --app wsgi scenarios check|load`, `flask --app wsgi demo seed`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app

from lms.clock import today
from lms.config import PROJECT_ROOT
from lms.content.schema import read_library
from lms.content.store import ContentError, load_library
from lms.extensions import db
from lms.generate.cli import demo_generate
from lms.records.content_updates import after_content_load
from lms.records.requirements import sync_requirements
from lms.records.settings import app_settings as record_settings


def _library(paths: tuple[str, ...]):
    return read_library([Path(p) for p in paths], Path(current_app.config["SCENARIOS_DIR"]), PROJECT_ROOT)


def _report_problems(library, consequence: str) -> None:
    for problem in library.problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(library.problems)} problem(s) found; {consequence}.", err=True)


scenarios = click.Group("scenarios", help="Check and load training content from scenarios/*.yaml.")
records = click.Group("records", help="Keep training records current.")



@records.command("sync")
def records_sync() -> None:
    """Bring who-must-take-what in line with the rules (run nightly, and after imports)."""
    sync_requirements(db.session, record_settings(), today())
    db.session.commit()
    click.echo("Requirements are up to date.")


@records.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="The CSV file to write (standard output when not given).")
def records_export(output: Path | None) -> None:
    """Write every active person's required modules, with state, score and dates, as CSV (any size of trust)."""
    from lms.audit import record
    from lms.dashboards.records_csv import RecordsCsv

    export = RecordsCsv(db.session, today(), record_settings())
    target = output.open("wb") if output else click.get_binary_stream("stdout")
    try:
        for chunk in export:
            target.write(chunk)
    finally:
        if output:
            target.close()
    db.session.rollback()  # end the read (and its server-side cursor) before writing the audit event
    record(db.session, "export.records_csv", detail={"rows": export.rows, "to": output.name if output else "stdout"})
    db.session.commit()
    click.echo(f"Exported {export.rows:,} record(s){f' to {output}' if output else ''}.", err=True)


dashboards = click.Group("dashboards", help="The counts behind the dashboards and the API.")


@dashboards.command("refresh")
def dashboards_refresh() -> None:
    """Recount completion for today (run nightly after `records sync`, so the first viewer does not wait)."""
    import time

    from lms.dashboards import kept_counts

    started = time.perf_counter()
    recounted = kept_counts.refresh(db.engine, today(), record_settings())  # commits its own transaction
    click.echo(f"Completion counts {'recounted' if recounted else 'were already up to date'} "
               f"for {today():%-d %b %Y} ({time.perf_counter() - started:.1f} s).")


reminders = click.Group("reminders", help="Email staff whose training is due, and their managers.")


@reminders.command("send")
def reminders_send() -> None:
    """Queue today's reminders and manager digests (run daily from cron; a second run queues nothing new).

    The mail worker (`flask --app wsgi mail work`) sends them; what it cannot send it retries, then
    lists as dead letters at /admin/mail.
    """
    from lms import mail
    from lms.records.reminders import send_reminders

    report = send_reminders(db.session, mail.send, today(), record_settings(),
                            base_url=current_app.config["APP_BASE_URL"], after_each=db.session.commit)
    db.session.commit()
    click.echo(f"Queued {report.staff_queued} reminder(s) and {report.digests_queued} manager digest(s); "
               f"{report.skipped_already_sent} already sent today.")


approvals = click.Group("approvals", help="Business-use authorisations (policy 5.1).")


@approvals.command("lapse")
def approvals_lapse() -> None:
    """Lapse every authorisation that no longer stands and tell the person and the approver (run daily from cron).

    Each lapse is committed with its two emails (queued in the mail outbox), one request at a time,
    so a lapse is recorded exactly when both are told, and a crash leaves the rest for the next run.
    """
    from lms import mail
    from lms.approvals import notify
    from lms.approvals.authorisations import Lapse, lapse_due

    base_url = current_app.config["APP_BASE_URL"]
    done: list[str] = []

    def announce(lapse: Lapse) -> None:
        request = lapse.request
        notify.lapsed(mail.send, request, lapse.reason, base_url)
        db.session.commit()
        done.append(f"request {request.id} ({request.requester.full_name}): {lapse.reason}")

    lapse_due(db.session, record_settings(), today(), after_each=announce)
    db.session.commit()
    click.echo(f"{len(done)} authorisation(s) lapsed.")
    for line in done:
        click.echo(line)


demo = click.Group("demo", help="Demo data for trying the app on a laptop, and synthetic trusts of any size.")
demo.add_command(demo_generate)  # lms/generate/cli.py


@scenarios.command("check")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
def scenarios_check(paths: tuple[str, ...]) -> None:
    """Validate content files (all of scenarios/ when no PATH is given)."""
    library = _library(paths)
    if library.problems:
        for problem in library.problems:
            click.echo(str(problem))
        raise SystemExit(1)
    click.echo(f"OK: policy {library.policy.version} ({len(library.policy.clauses)} clauses), "
               f"{len(library.modules)} module(s), {library.scenario_count} scenarios.")


@scenarios.command("coverage")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
def scenarios_coverage(paths: tuple[str, ...]) -> None:
    """Print the clause x module matrix; exit 1 when a clause is taught below the bar."""
    from lms.content.coverage import BAR, coverage, format_table

    library = _library(paths)
    if library.problems:
        _report_problems(library, "coverage is counted once every file is valid")
        raise SystemExit(1)
    result = coverage(library.policy.clauses, [(m.slug, m.scenarios) for m in library.modules])
    for line in format_table(result):
        click.echo(line)
    if result.gaps:
        click.echo(f"Below the bar ({BAR} deciding breaches, or {BAR} followed for guidance): "
                   + ", ".join(r.number for r in result.gaps))
        raise SystemExit(1)
    click.echo(f"Every clause meets the bar ({BAR} deciding breaches, or {BAR} followed for guidance).")


@scenarios.command("load")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
def scenarios_load(paths: tuple[str, ...]) -> None:
    """Load content into the database; unchanged content is left as it is."""
    library = _library(paths)
    if library.problems:
        _report_problems(library, "nothing was loaded")
        raise SystemExit(1)
    try:
        report = load_library(db.session, library)
        affected = after_content_load(db.session, report, record_settings(), today())
        db.session.commit()
    except ContentError as exc:
        db.session.rollback()
        click.echo(f"error: {exc}; nothing was loaded.", err=True)
        raise SystemExit(1)
    for line in report.lines():
        click.echo(line)
    for slug, clauses in affected.items():
        click.echo(f"{slug}: passes on the previous policy need a refresh on clauses {', '.join(clauses)}")


@demo.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when people already exist.")
def demo_seed(if_empty: bool) -> None:
    """Create the demo trust (3 schools, central team, ~60 people) and print the logins."""
    from lms.demo import DEMO_LAUNCHED_DAYS_AGO, DEMO_PASSWORD, demo_logins, seed_demo_history, seed_demo_trust

    created = seed_demo_trust(db.session, only_if_empty=if_empty)
    # The demo trust launched its training two months ago, so staff who never started are overdue.
    launched = today() - timedelta(days=DEMO_LAUNCHED_DAYS_AGO) if created else today()
    sync_requirements(db.session, record_settings(), launched)
    history = seed_demo_history(db.session, record_settings(), today()) if created else 0
    db.session.commit()
    click.echo("Demo trust created." if created else "Demo trust already present; nothing changed.")
    if history:
        click.echo(f"Backdated training history: {history} attempts by demo staff (not the logins below).")
    click.echo(f"\nSign in at {current_app.config['APP_BASE_URL']}/login with password: {DEMO_PASSWORD}")
    for role, email in demo_logins(db.session):
        click.echo(f"  {role:<38} {email}")


def register(app: Flask) -> None:
    from lms.audit.cli import audit
    from lms.outbox.cli import mail as mail_commands
    from lms.people.cli import people, staff
    from lms.sso.cli import sso

    app.cli.add_command(scenarios)
    app.cli.add_command(demo)
    app.cli.add_command(records)
    app.cli.add_command(dashboards)
    app.cli.add_command(staff)
    app.cli.add_command(reminders)
    app.cli.add_command(approvals)
    app.cli.add_command(audit)
    app.cli.add_command(people)
    app.cli.add_command(mail_commands)
    app.cli.add_command(sso)
