"""A crash between two answers loses nothing acknowledged: gunicorn workers killed under load.

Runs bench/kill_worker.py briefly against a throwaway PostgreSQL database (the full-size run and its
figures are in bench/results/kill_worker.md).
"""

import json
import subprocess  # nosec B404 - runs the project's own bench script
import sys

import pytest

from lms.config import PROJECT_ROOT
from tests.conftest import BACKENDS, PG_ADMIN_URL


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs PostgreSQL (CI always has it)")
def test_killing_workers_under_load_loses_no_acknowledged_answer(tmp_path):
    figures_file = tmp_path / "figures.json"
    run = subprocess.run(  # noqa: S603  # nosec B603 - fixed arguments
        [sys.executable, str(PROJECT_ROOT / "bench" / "kill_worker.py"), "--seconds", "8", "--clients", "6",
         "--workers", "2", "--kill-every", "2", "--postgres-url", PG_ADMIN_URL,
         "--report", str(tmp_path / "kill_worker.md"), "--json", str(figures_file)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(figures_file.read_text())
    assert figures["worker_kills"] >= 2
    assert figures["acknowledged"] > 0 and figures["signed_in"] == 6
    assert figures["lost"] == 0 and figures["duplicates"] == 0 and figures["acknowledged_twice"] == 0
    assert figures["badly_scored"] == 0
    assert figures["stored"] >= figures["acknowledged_recorded"]


def test_the_count_names_an_acknowledged_answer_stored_differently_or_not_at_all(app, client, people, content):
    """The bench's own check can fail: what the clients were told is held against the database."""
    from bench.kill_worker import Ledger, check
    from tests.training.helpers import answer, right_answer, scenario_at, start, wrong_answer

    client.login(people.person().email)
    attempt_id = start(client)
    first, second = scenario_at(attempt_id, 1), scenario_at(attempt_id, 2)
    answer(client, attempt_id, 1, right_answer(first))
    answer(client, attempt_id, 2, right_answer(second))

    ledger = Ledger()
    ledger.recorded[(attempt_id, 1)] = (first.verdict, first.clauses[0] if first.verdict == "breach" else None)
    told = wrong_answer(second)
    ledger.recorded[(attempt_id, 2)] = (told["verdict"], told.get("clause"))  # told one thing, stored another
    ledger.stood.add((attempt_id, 3))  # told "your first answer stands", but nothing is stored
    ledger.finished.add(attempt_id)  # told it was finished, but it is still open
    figures = check(app, ledger)
    assert (figures["stored"], figures["lost"], figures["badly_scored"], figures["duplicates"]) == (2, 2, 1, 0)
    assert sorted(figures["lost_keys"]) == [(attempt_id, 2), (attempt_id, 3)]
