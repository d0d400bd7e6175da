"""Every distinct page the browser tests reached is valid HTML, by the W3C Nu HTML Checker.

The checker is `vnu.jar` from the npm package vnu-jar (pinned in package.json and installed by
`make test` with `npm ci`), run with the system Java, once over the server's HTML of every page
the other browser tests saved (it takes seconds to start, so never once per page). The conftest
runs this test after all the others.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from lms.config import PROJECT_ROOT

VNU_JAR = PROJECT_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA = os.environ.get("LMS_JAVA") or shutil.which("java") or "/usr/bin/java"
# Pages every full run of tests/browser/ reaches; fewer means the journeys did not run first.
EXPECTED = ["-login", "-attempts-n-q-n", "-attempts-n-results", "-requests-n", "-dashboards", "-privacy"]


def test_every_page_visited_is_valid_html(visits):
    files = sorted(visits.html_folder.glob("*.html"))
    names = " ".join(f.stem for f in files)
    missing = [part for part in EXPECTED if part not in names]
    assert not missing, (f"no saved page matching {missing} in {visits.html_folder}: run the whole of tests/browser/ "
                         "so the journeys save their pages before this test checks them")
    if not VNU_JAR.exists():
        pytest.fail(f"{VNU_JAR} is missing: run `npm ci` (make test does)", pytrace=False)
    if not shutil.which(JAVA):
        pytest.fail(f"Java not found ({JAVA}): the Nu HTML Checker needs it (Debian: default-jre-headless)",
                    pytrace=False)
    result = subprocess.run(  # noqa: S603 - fixed program and arguments, the files are our own
        [JAVA, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout", *map(str, files)],
        capture_output=True, text=True, timeout=300,
    )
    report = json.loads(result.stdout or "{}")
    errors = [f"{m.get('url', '').rsplit('/', 1)[-1]}:{m.get('lastLine', '?')}: {m.get('message')}"
              f"\n    {m.get('extract', '').strip()}"
              for m in report.get("messages", []) if m.get("type") in ("error", "non-document-error")]
    assert result.returncode in (0, 1), f"vnu.jar failed to run: {result.stderr}"
    assert not errors, f"{len(errors)} HTML error(s) in {len(files)} pages:\n" + "\n".join(errors)
    assert result.returncode == 0, result.stdout + result.stderr
