"""`flask --app wsgi demo generate`: a synthetic trust of any size (registered on the `demo` group in lms/cli.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app

from lms.clock import today
from lms.extensions import db
from lms.generate.options import SIZES, Options, problems

_SIZES_HELP = "; ".join(f"{name}: {size.about}" for name, size in SIZES.items())


@click.command("generate", help=f"""Generate a synthetic trust into an empty database, with a progress bar.

Schools (--units) plus one central team; --people in all, of every staff type, with headteachers, line
managers, a CEO, trust leads and admins; training history (--attempts per person on average, about 11
answers each, with plausible mistakes); module records; and requests of every kind and state. The same
--seed on the same day gives the same trust. Every account's password is the demo password.

Sizes (--size sets all three numbers; any given number overrides it): {_SIZES_HELP}.
SQLite takes up to 200,000 people; the national size needs PostgreSQL.""")
@click.option("--size", type=click.Choice(list(SIZES)), default="small", show_default=True,
              help="A preset for --units, --people and --attempts.")
@click.option("--units", type=int, help="Schools (the central team comes in addition).")
@click.option("--people", type=int, help="People in the whole trust, central team included.")
@click.option("--attempts", type=float, help="Attempts at modules per person, on average.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same trust.")
def demo_generate(size: str, units: int | None, people: int | None, attempts: float | None, seed: int) -> None:
    from lms.audit.log import record
    from lms.auth.passwords import hash_password
    from lms.demo import DEMO_PASSWORD
    from lms.generate import NoContent, occupied, prepare, write_trust
    from lms.records.settings import app_settings

    preset = SIZES[size]
    options = Options(units=preset.units if units is None else units, people=preset.people if people is None else people,
                      attempts=preset.attempts if attempts is None else attempts, seed=seed)
    backend = db.engine.dialect.name
    found = problems(options, backend)
    reason = occupied(db.session)
    if reason:
        found.append(f"{reason}.")
    if found:
        for problem in found:
            click.echo(f"error: {problem}", err=True)
        click.echo("Nothing was generated.", err=True)
        raise SystemExit(1)
    settings = app_settings()
    password_hash = hash_password(DEMO_PASSWORD)  # Argon2 is slow on purpose: one hash, shared by every account
    try:
        generator = prepare(db.session, options, settings, today(), password_hash, current_app.config["CENTRAL_UNIT_NAME"])
    except NoContent:
        _load_content()
        generator = prepare(db.session, options, settings, today(), password_hash, current_app.config["CENTRAL_UNIT_NAME"])
    db.session.commit()  # end the read: the rows go over a connection of their own
    click.echo(f"Generating {options.units:,} school(s) and the central team, {options.people:,} people, "
               f"about {options.attempts:g} attempts each (seed {seed}) into {backend}...", err=True)
    with click.progressbar(length=options.people, label="People", file=sys.stderr, show_pos=True) as bar:
        report = write_trust(generator, db.engine, bar.update)
    record(db.session, "demo.generate", detail={"units": options.units, "people": options.people,
                                                "attempts": options.attempts, "seed": seed, "rows": report.rows})
    db.session.commit()
    click.echo(f"Generated {report.units:,} units and {report.people:,} people in {report.seconds:.1f}s "
               f"({report.attempts_per_person:.2f} attempts per person):")
    for table, count in report.rows.items():
        click.echo(f"  {table:<16} {count:>12,}")
    if report.constraints_checked is False:
        click.echo("(PostgreSQL's per-row foreign-key checks were skipped for this load; the generator writes every "
                   "row after the rows it refers to.)")
    click.echo(f"\nSign in with password: {DEMO_PASSWORD}")
    for label, email in report.logins:
        click.echo(f"  {label:<20} {email}")


def _load_content() -> None:
    """No content yet: load scenarios/ as `scenarios load` does, or stop when it has problems."""
    from lms.content.schema import read_library
    from lms.content.store import load_library
    from lms.records.content_updates import after_content_load
    from lms.records.settings import app_settings

    library = read_library([], Path(current_app.config["SCENARIOS_DIR"]))
    if library.problems:
        for problem in library.problems:
            click.echo(str(problem), err=True)
        click.echo("error: no training content is loaded and scenarios/ has problems; nothing was generated.", err=True)
        raise SystemExit(1)
    report = load_library(db.session, library)
    after_content_load(db.session, report, app_settings(), today())
    db.session.flush()
    click.echo(f"No training content was loaded: loaded {current_app.config['SCENARIOS_DIR']} first.", err=True)
