"""Writing generated rows fast: COPY on PostgreSQL, large executemany batches on SQLite.

Rows arrive as tuples of plain values (int, str, float, bool, None) in the table's column order;
dates and timestamps are already strings in the form SQLAlchemy stores on SQLite
('YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS.ffffff'), which PostgreSQL also reads as date and timestamp.
Everything goes in one transaction: an error or Ctrl-C leaves the database as it was.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

# Every table the generator fills, in an order that satisfies the foreign keys.
TABLES: dict[str, tuple[str, ...]] = {
    "units": ("id", "name", "kind"),
    "people": ("id", "email", "first_name", "last_name", "staff_type", "job_title", "unit_id", "line_manager_id",
               "start_date", "active", "password_hash", "created_at", "last_login_at", "deactivated_at"),
    "person_roles": ("id", "person_id", "role"),
    "attempts": ("id", "person_id", "module_id", "module_version_id", "policy_version_id", "state", "started_at",
                 "submitted_at", "points", "score", "passed", "kind", "certificate_code", "valid_until"),
    "attempt_items": ("id", "attempt_id", "position", "scenario_id"),
    "answers": ("id", "attempt_id", "scenario_id", "verdict", "clause", "outcome", "points", "sure", "answered_at"),
    "module_progress": ("id", "person_id", "module_id", "required", "reason", "assigned_on", "due_on", "valid_until",
                        "pass_policy_version_id", "open_attempt_id", "last_attempt_id", "last_score", "last_passed",
                        "last_submitted_at", "passed_at", "pass_score", "pass_attempt_id", "attempts_count",
                        "updated_at"),
    "contests": ("id", "person_id", "attempt_id", "scenario_id", "reason", "created_at"),
    "requests": ("id", "kind", "state", "requester_id", "approver_id", "unit_id", "line_manager_id", "created_at",
                 "updated_at", "accounts", "platforms", "purpose", "starts_on", "ends_on", "conditions",
                 "condition_flags", "expires_on", "training_attempt_id", "enquirer", "outlet", "question", "deadline",
                 "approved_response", "subject_name", "reference_for", "draft", "link", "description",
                 "withhold_name", "outcome"),
    "request_events": ("id", "request_id", "actor_id", "at", "from_state", "to_state", "note"),
}


class Writer(ABC):
    """Where generated rows go: subclasses send them to a database (tests collect them in a list)."""

    backend = "none"

    @abstractmethod
    def write(self, table: str, rows: Sequence[tuple]) -> None:
        """Add these rows (tuples in TABLES[table]'s column order) to `table`."""

    def finish(self) -> None:  # noqa: B027 - nothing to do for a writer that keeps nothing (the tests' list)
        """Make the rows permanent."""

    def abort(self) -> None:  # noqa: B027 - as finish
        """Forget every row written."""


class PostgresWriter(Writer):
    backend = "postgresql"

    def __init__(self, connection, check_constraints: bool = False) -> None:
        self.conn = connection  # a psycopg 3 connection; everything below is one transaction
        self.written: set[str] = set()
        self.checked = True
        with self.conn.cursor() as cur:
            # Do not wait for the WAL flush at commit: a crash in that instant loses a run that can simply be rerun.
            cur.execute("SET LOCAL synchronous_commit = off")
        if not check_constraints:
            self.checked = not self._skip_foreign_key_triggers()

    def _skip_foreign_key_triggers(self) -> bool:
        """Skip the per-row foreign-key triggers for this transaction only, where the role may.

        They check every answer against its attempt one by one, a third of the load time. The
        generator writes parents before children, and the tests load a trust with every check on.
        Unique and check constraints stay enforced either way. Needs a superuser; others load with
        the checks on, which is slower but the same.
        """
        import psycopg

        with self.conn.cursor() as cur:
            cur.execute("SAVEPOINT replica")
            try:
                cur.execute("SET LOCAL session_replication_role = replica")
            except psycopg.errors.InsufficientPrivilege:
                cur.execute("ROLLBACK TO SAVEPOINT replica")
                return False
            cur.execute("RELEASE SAVEPOINT replica")
        return True

    def write(self, table: str, rows: Sequence[tuple]) -> None:
        if not rows:
            return
        columns = ", ".join(TABLES[table])
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        self.written.add(table)

    def finish(self) -> None:
        with self.conn.cursor() as cur:
            for table in TABLES:
                if table in self.written:
                    # Ids were given explicitly, so the sequences never moved: the app's next insert
                    # would collide with a generated row without this.
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names  # nosec B608
                                f"(SELECT max(id) FROM {table}))")
        self.conn.commit()
        # Fresh statistics, so the planner sees a national trust as it is rather than empty tables.
        with self.conn.cursor() as cur:
            for table in TABLES:
                if table in self.written:
                    cur.execute(f"ANALYZE {table}")
        self.conn.commit()

    def abort(self) -> None:
        self.conn.rollback()


class SQLiteWriter(Writer):
    backend = "sqlite"

    def __init__(self, connection) -> None:  # a sqlite3 connection
        self.conn = connection
        cur = self.conn.cursor()
        self.saved = {name: cur.execute(f"PRAGMA {name}").fetchone()[0]
                      for name in ("synchronous", "journal_mode", "cache_size")}
        # For the generation only: nothing is synced to disk until the one commit, and the
        # rollback journal stays in memory. Restored afterwards, whatever happens.
        cur.execute("PRAGMA synchronous = OFF")
        cur.execute("PRAGMA journal_mode = MEMORY")
        cur.execute("PRAGMA cache_size = -131072")  # 128 MB of page cache for the indexes being built
        cur.execute("BEGIN")

    def write(self, table: str, rows: Sequence[tuple]) -> None:
        if not rows:
            return
        columns = TABLES[table]
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608  # nosec B608
        self.conn.executemany(statement, rows)

    def finish(self) -> None:
        self.conn.commit()
        self._restore()

    def abort(self) -> None:
        self.conn.rollback()
        self._restore()

    def _restore(self) -> None:
        cur = self.conn.cursor()
        cur.execute(f"PRAGMA journal_mode = {self.saved['journal_mode']}")
        cur.execute(f"PRAGMA synchronous = {self.saved['synchronous']}")
        cur.execute(f"PRAGMA cache_size = {int(self.saved['cache_size'])}")


_DONE, _ABORT = object(), object()


class BackgroundWriter(Writer):
    """Hands rows to a database writer running in a thread of its own.

    Generating rows is Python work and loading them is the database's (PostgreSQL's server process,
    or SQLite's B-tree code, which releases the GIL): in two threads they overlap, so a run takes
    about the longer of the two rather than their sum. The queue is short, so memory stays bounded.
    """

    backend = "background"

    def __init__(self, open_writer: Callable[[], tuple[Writer, Callable[[], None]]]) -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=len(TABLES) + 2)  # about one flush waiting, one being written
        self.error: BaseException | None = None
        self.checked: bool | None = None
        self.thread = threading.Thread(target=self._work, args=(open_writer,), name="generate-writer", daemon=True)
        self.thread.start()

    def _work(self, open_writer) -> None:
        writer, close = None, None
        try:
            writer, close = open_writer()
            self.checked = getattr(writer, "checked", True)
            while True:
                item = self.queue.get()
                if item is _DONE:
                    writer.finish()
                    return
                if item is _ABORT:
                    writer.abort()
                    return
                writer.write(*item)
        except BaseException as exc:  # handed to the generating thread, which raises it
            self.error = exc
            if writer is not None:
                with contextlib.suppress(Exception):  # the first error is the one to report
                    writer.abort()
            while self.queue.get() not in (_DONE, _ABORT):
                pass  # keep draining so the generating thread never blocks on a full queue
        finally:
            if close is not None:
                close()

    def _put(self, item) -> None:
        while True:
            if self.error is not None and item not in (_DONE, _ABORT):
                raise self.error
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def write(self, table: str, rows: Sequence[tuple]) -> None:
        if rows:
            self._put((table, rows))

    def finish(self) -> None:
        self._put(_DONE)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def abort(self) -> None:
        self._put(_ABORT)
        self.thread.join()
