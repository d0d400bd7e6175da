"""Count the SQL statements a piece of work issues (for "same count at 10 and 1,000 people")."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from lms.extensions import db


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def count_statements(client, url: str) -> int:
    """Statements behind one GET of `url`, which must answer 200."""
    with recorded_statements() as statements:
        assert client.get(url).status_code == 200, url
    return len(statements)
