"""Synthetic trusts for trying the app and measuring it at trust and national scale.

`flask --app wsgi demo generate` (lms/cli.py) calls `prepare` with the ORM session, then
`write_trust`, which streams the rows over one raw DBAPI connection in one transaction: COPY on
PostgreSQL, executemany on SQLite. See docs/synthetic-data.md for the design.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from lms.generate.content import NoContent, module_plans
from lms.generate.options import SIZES, Options, problems
from lms.generate.trust import Report, TrustGenerator
from lms.generate.writer import TABLES, BackgroundWriter, PostgresWriter, SQLiteWriter
from lms.models import Person, Unit
from lms.records.settings import RecordSettings

__all__ = ["SIZES", "NoContent", "Options", "Report", "TrustGenerator", "occupied", "prepare", "problems",
           "write_trust"]


def occupied(session: Session) -> str | None:
    """Why the database cannot take a generated trust (it already has one), or None."""
    people = session.scalar(select(func.count()).select_from(Person))
    units = session.scalar(select(func.count()).select_from(Unit))
    if people or units:
        return (f"the database already holds a trust ({people:,} people, {units:,} units); demo generate builds a "
                "whole trust, only into an empty database (a fresh one after 'flask --app wsgi db upgrade')")
    return None


def prepare(session: Session, options: Options, settings: RecordSettings, today: date, password_hash: str,
            central_name: str = "Central Team") -> TrustGenerator:
    """Read the loaded content and the first free ids. Raises NoContent when no module is loaded."""
    modules = module_plans(session, options.seed)
    first_ids = {table: (session.scalar(text(f"SELECT max(id) FROM {table}")) or 0) + 1  # noqa: S608 - fixed names  # nosec B608
                 for table in TABLES}
    return TrustGenerator(options, modules, settings, today, first_ids, password_hash, central_name)


def write_trust(generator: TrustGenerator, engine: Engine, progress: Callable[[int], None] | None = None,
                check_constraints: bool = False) -> Report:
    """Generate into the database in one transaction: all of it is saved, or none (errors, Ctrl-C).

    `check_constraints` keeps PostgreSQL's foreign-key triggers on even where they could be skipped.
    """
    def open_writer():
        raw = engine.raw_connection()
        connection = raw.driver_connection
        if engine.dialect.name == "postgresql":
            return PostgresWriter(connection, check_constraints), raw.close
        return SQLiteWriter(connection), raw.close

    started = time.perf_counter()
    writer = BackgroundWriter(open_writer)
    try:
        report = generator.run(writer, progress)
    except BaseException:
        writer.abort()
        raise
    writer.finish()
    report.constraints_checked = writer.checked
    report.seconds = time.perf_counter() - started  # generating, loading, committing and ANALYZE
    return report
