"""schemathesis, every check, against the API served by a real HTTP server: the document is the truth.

The app is served by werkzeug on a free port (so each xdist worker has its own) over this
session's throwaway database (its own per worker and backend), seeded with a small trust and
the shipped modules, and `st run --checks all` runs as a subprocess with a trust lead's token.
Every response the API gives must be one the document describes, with the body, headers and
content type it describes; schema-valid requests must not be refused as malformed and invalid
ones must be.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from lms import create_app
from lms.api import tokens
from lms.config import PROJECT_ROOT
from lms.content.schema import read_library
from lms.content.store import load_library
from lms.extensions import db
from lms.models import Role, StaffType, UnitKind
from lms.records.content_updates import after_content_load
from lms.records.requirements import sync_requirements
from lms.records.settings import RecordSettings
from tests.conftest import SCENARIOS

ST = Path(sys.executable).with_name("st")
EXAMPLES = 60  # per operation and phase: a few hundred requests in all, well under two minutes


def seed(people) -> str:
    """A trust lead (with a team of their own), a headteacher and staff in three units; the lead's token."""
    lib = read_library([], PROJECT_ROOT / "scenarios", PROJECT_ROOT)
    from lms.clock import today

    report = load_library(db.session, lib)
    after_content_load(db.session, report, RecordSettings(), today())
    central = people.unit("Central Team", UnitKind.central)
    a, b = people.unit("Oakfield Primary"), people.unit("Riverside Academy")
    lead = people.person(unit=central, roles=(Role.trust_lead,), sync=False)
    head = people.person(unit=a, roles=(Role.headteacher,), manager=lead, sync=False)
    for i, staff_type in enumerate(list(StaffType) * 2):
        people.person(unit=(a, b)[i % 2], staff_type=staff_type, manager=head, sync=False)
    sync_requirements(db.session, RecordSettings(), today())
    _, plaintext = tokens.create_token(db.session, lead, "schemathesis")
    db.session.commit()
    return plaintext


@pytest.fixture
def live_api(app, people, database_url):
    """(base URL, token): the app served over this test's database, as in production (not TESTING)."""
    token = seed(people)
    served = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "schemathesis-secret-key-not-for-production",
        "SCENARIOS_DIR": str(SCENARIOS),
        "MAIL_SERVER": "",
        "RATELIMIT_ENABLED": False,  # the limit has its own test; here it would turn most answers into 429
    })
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="schemathesis-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", token
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with served.app_context():
            db.engine.dispose()


# A request the document allows may still be one that cannot be answered (`from` after `to`, a
# scope or unit the caller does not have): that is a 422, described. Anything else refused (a 400
# above all: "malformed") means the document promised more than the code accepts.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "422"]
"""


def test_schemathesis_finds_nothing_the_document_does_not_describe(live_api, tmp_path):
    url, token = live_api
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [str(ST), "--config-file", str(config), "--no-color", "run", f"{url}/api/openapi.json",
               "--checks", "all", "--header", f"Authorization: Bearer {token}", "--max-examples", str(EXAMPLES),
               "--workers", "1", "--phases", "examples,coverage,fuzzing", "--seed", "15", "--continue-on-failure"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"}
    result = subprocess.run(  # noqa: S603 - the venv's own st, with fixed arguments
        command, capture_output=True, text=True, timeout=170, cwd=tmp_path, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output.replace(token, "smp_<token>")
    print(output[output.find("Test cases:"):].strip())  # how many were tried, in the log of a passing run
    tested = re.search(r"(\d+) generated", output)
    assert tested and int(tested.group(1)) >= 300, output  # a few hundred requests, not a handful
