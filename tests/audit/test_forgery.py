"""Issue 15 finding 3: someone who can write the database rewrites the audit log. Each of the
three forgeries (an appended approval, an edited event with recomputed hashes, the newest
events deleted with the head wound back) must fail `flask audit verify`: the first two by the
HMAC under AUDIT_KEY, the third by an anchor kept where the database writer cannot reach."""

from __future__ import annotations

import json

import pytest

from lms.audit import record
from lms.extensions import db
from tests.audit import forging
from tests.audit.forging import tampering

# The forger knows the algorithm and the stored rows but not the key: they write an event the old
# way (plain SHA-256, which is also what a bare INSERT gets) or guess a key.
GUESSES = [pytest.param("sha256", None, id="unkeyed"), pytest.param("hmac-sha256", "guessed-key", id="guessed-key")]


def append(n: int, action: str = "test.event") -> None:
    for i in range(1, n + 1):
        record(db.session, action, actor_id=1, subject_id=i, detail={"n": i})
    db.session.commit()


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["audit", *args])


@pytest.mark.parametrize(("scheme", "key"), GUESSES)
def test_an_approval_appended_with_the_head_moved_is_caught(app, scheme, key):
    append(3, "request.submitted")
    forged = forging.append("request.approved", scheme=scheme, key=key, actor_id=2, subject_id=1,
                            object_type="request", object_id=1, detail='{"from":"submitted","to":"approved"}')
    result = cli(app, "verify")
    assert result.exit_code == 1, result.output
    assert f"Audit log broken at event 4 (id {forged['id']})" in result.output
    assert "3 event(s) before it are intact." in result.output


@pytest.mark.parametrize(("scheme", "key"), GUESSES)
def test_an_edited_event_with_every_hash_recomputed_is_caught(app, backend, scheme, key):
    append(5)
    events = forging.stored()
    events[1]["detail"] = '{"n":99}'
    with tampering(backend):
        forging.rehash_from(events, 2, key, scheme)
    result = cli(app, "verify")
    assert result.exit_code == 1, result.output
    assert f"Audit log broken at event 2 (id {events[1]['id']})" in result.output
    reason = ("written without the key after events written with it" if key is None
              else "its HMAC does not match its contents")
    assert reason in result.output


def test_the_newest_events_deleted_with_the_head_wound_back_are_caught_by_an_anchor(app, backend, tmp_path):
    append(40)
    anchor = cli(app, "anchor")
    assert anchor.exit_code == 0, anchor.output
    (tmp_path / "anchors.jsonl").write_text(anchor.output)
    events = forging.stored()
    with tampering(backend):
        forging.run("DELETE FROM audit_events WHERE seq > 15")
    forging.wind_head(15, events[14]["hash"])

    result = cli(app, "verify", "--anchor", str(tmp_path / "anchors.jsonl"))
    assert result.exit_code == 1, result.output
    assert "Audit log intact: 15 events checked." in result.output  # the chain alone cannot tell
    at = json.loads(anchor.output)["at"]
    assert (f"Anchor at line 1 (event 40, {at}): the log ends at event 15, before this anchor: "
            "events were removed" in result.output)


def test_rewriting_the_whole_log_as_if_written_before_the_key_is_caught_by_an_anchor(app, backend, tmp_path):
    """With no keyed event left the chain walk sees an old log; the anchor still holds its head's hash."""
    append(4)
    (tmp_path / "anchors.jsonl").write_text(cli(app, "anchor").output)
    events = forging.stored()
    events[2]["detail"] = '{"n":99}'
    with tampering(backend):
        forging.rehash_from(events, 1, None, "sha256")
    result = cli(app, "verify", "--anchor", str(tmp_path / "anchors.jsonl"))
    assert result.exit_code == 1, result.output
    assert "4 of them were written before AUDIT_KEY was set" in result.output
    assert "(event 4, " in result.output and "event 4 has a different hash" in result.output


def test_a_wrong_key_is_named_as_such(app):
    append(3)
    app.config["AUDIT_KEY"] = "not-the-key-the-log-was-written-with-000000"
    result = cli(app, "verify")
    assert result.exit_code == 1, result.output
    assert "the key does not match the one the log was written with" in result.output
    assert "AUDIT_KEY" in result.output


def test_the_key_is_never_stored_in_the_database(app):
    append(2)
    key = app.config["AUDIT_KEY"]
    stored = json.dumps(forging.stored(), default=str)
    assert key and key not in stored and key.encode().hex() not in stored
