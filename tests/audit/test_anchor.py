"""`flask audit anchor` and `flask audit verify --anchor FILE`: the head kept elsewhere, checked
later; exit codes 0 (holds), 1 (does not, naming the anchor), 2 (could not be checked)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from lms.audit import record
from lms.audit.chain import MissingKey
from lms.extensions import db
from tests.audit import forging
from tests.audit.forging import tampering


def append(n: int) -> None:
    for i in range(n):
        record(db.session, "test.event", actor_id=1, detail={"i": i})
    db.session.commit()


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["audit", *args])


def anchor(app) -> str:
    result = cli(app, "anchor")
    assert result.exit_code == 0, result.output
    return result.output


def test_an_anchor_is_one_json_line_naming_the_newest_event(app):
    append(3)
    line = anchor(app)
    assert line.endswith("\n") and line.count("\n") == 1
    value = json.loads(line)
    newest = forging.stored()[-1]
    assert value == {"seq": 3, "hash": newest["hash"], "at": newest["at"].strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert datetime.fromisoformat(value["at"]).utcoffset().total_seconds() == 0


def test_the_empty_log_anchors_at_zero(app, tmp_path):
    line = anchor(app)
    assert json.loads(line) == {"seq": 0, "hash": "0" * 64, "at": None}
    (tmp_path / "a.jsonl").write_text(line)
    append(1)
    assert cli(app, "verify", "--anchor", str(tmp_path / "a.jsonl")).exit_code == 0


def test_anchors_hold_as_the_log_grows_and_name_the_one_a_truncation_breaks(app, backend, tmp_path):
    append(3)
    first = anchor(app)
    append(2)
    second = anchor(app)
    append(2)
    path = tmp_path / "anchors.jsonl"
    path.write_text(f"# kept on the trust's file server\n{first}\n{second}")  # blank lines and comments are fine
    result = cli(app, "verify", "--anchor", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["Audit log intact: 7 events checked.", "Anchors hold: 2 checked."]

    events = forging.stored()
    with tampering(backend):
        forging.run("DELETE FROM audit_events WHERE seq > 4")
    forging.wind_head(4, events[3]["hash"])
    result = cli(app, "verify", "--anchor", str(path))
    assert result.exit_code == 1, result.output
    at = json.loads(second)["at"]
    assert (f"Anchor at line 4 (event 5, {at}): the log ends at event 4, before this anchor: events were removed"
            in result.output)
    assert "line 2" not in result.output  # the first anchor, at event 3, still holds


def test_an_anchor_whose_event_was_replaced_is_named(app, tmp_path):
    append(2)
    line = json.loads(anchor(app))
    (tmp_path / "a.jsonl").write_text(json.dumps(line | {"hash": "f" * 64}) + "\n")
    result = cli(app, "verify", "--anchor", str(tmp_path / "a.jsonl"))
    assert result.exit_code == 1
    assert f"Anchor at line 1 (event 2, {line['at']}): event 2 has a different hash" in result.output


def test_several_anchor_files_may_be_given(app, tmp_path):
    append(1)
    (tmp_path / "a").write_text(anchor(app))
    append(1)
    (tmp_path / "b").write_text(anchor(app))
    result = cli(app, "verify", "--anchor", str(tmp_path / "a"), "--anchor", str(tmp_path / "b"))
    assert result.exit_code == 0 and "Anchors hold: 2 checked." in result.output


def test_anchor_refuses_to_vouch_for_a_broken_log(app, backend):
    append(3)
    with tampering(backend):
        forging.run("UPDATE audit_events SET action = 'test.forged' WHERE seq = 2")
    result = cli(app, "anchor")
    assert result.exit_code == 1
    assert "Not anchored: the audit log is broken at event 2" in result.output
    assert '"seq"' not in result.output


def test_a_line_that_is_not_an_anchor_is_named_and_nothing_is_checked(app, tmp_path):
    append(1)
    path = tmp_path / "a.jsonl"
    for bad, says in [("not json", "line 2: not an anchor"), ('{"seq": -1, "hash": "' + "0" * 64 + '"}', 'line 2: "seq"'),
                      ('{"seq": 1, "hash": "abc"}', 'line 2: "hash" must be 64 lower-case hex digits')]:
        path.write_text(anchor(app) + bad + "\n")
        result = cli(app, "verify", "--anchor", str(path))
        assert result.exit_code == 2, result.output
        assert f"Cannot read the anchors: {path} {says}" in result.output
        assert "Audit log intact" not in result.output
    path.write_text("\n# nothing yet\n")
    result = cli(app, "verify", "--anchor", str(path))
    assert result.exit_code == 2 and f"{path} holds no anchor" in result.output


def test_a_missing_anchor_file_is_a_usage_error(app, tmp_path):
    result = cli(app, "verify", "--anchor", str(tmp_path / "nowhere.jsonl"))
    assert result.exit_code == 2 and "does not exist" in result.output


def test_without_an_audit_key_nothing_is_checked_or_written(app):
    append(1)
    app.config["AUDIT_KEY"] = ""
    for command in ("verify", "anchor"):
        result = cli(app, command)
        assert result.exit_code == 2 and "AUDIT_KEY is not set" in result.output
    with pytest.raises(MissingKey, match="AUDIT_KEY is not set"):
        record(db.session, "test.event")
    db.session.rollback()
