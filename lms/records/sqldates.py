"""Date arithmetic that SQLite and PostgreSQL spell differently."""

from __future__ import annotations

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction


class date_plus_days(GenericFunction):  # noqa: N801 - reads like the SQL function it stands for
    """date_plus_days(date_expression, days) -> date."""

    type = Date()
    inherit_cache = True


@compiles(date_plus_days, "postgresql")
def _pg(element, compiler, **kw):
    day, days = list(element.clauses)
    return f"(CAST({compiler.process(day, **kw)} AS DATE) + CAST({compiler.process(days, **kw)} AS INTEGER))"


@compiles(date_plus_days, "sqlite")
def _sqlite(element, compiler, **kw):
    day, days = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, '+' || {compiler.process(days, **kw)} || ' days')"
