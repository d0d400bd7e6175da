"""Subject access: an admin downloads everything held about one person, as JSON and as CSV;
every category is there, nobody else's data is, and the download is audited."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.api import tokens
from lms.approvals import service as approvals
from lms.clock import today
from lms.extensions import db
from lms.models import ApiToken, Attempt, AuditEvent, ReminderLog, Role
from lms.people.subject_access import SECTIONS
from lms.records.settings import RecordSettings
from lms.training import service as training
from tests.certificates.test_certificates import take

SETTINGS = RecordSettings()
ALICE_CONTEST = "Alice thinks clause 4.3 fits better here"
BOB_CONTEST = "Bob's private doubt about the marking"
ALICE_PURPOSE = "Alice posts class news for parents"
BOB_PURPOSE = "Bob runs the PE department account"


def signed_in(make_client, person):
    client = make_client()
    client.login(person.email)
    return client


@pytest.fixture
def world(people, content, make_client):
    """Alice (the subject) and Bob, both with training, contests, requests; Alice decides Bob's as a delegate."""
    w = type("World", (), {})()
    school = people.unit("Oakfield Primary")
    w.head = people.person(unit=school, roles=(Role.headteacher,), email="head@example.org")
    w.manager = people.person(unit=school, manager=w.head, email="manager@example.org")
    w.alice = people.person(unit=school, manager=w.manager, email="alice@example.org")
    w.bob = people.person(unit=school, manager=w.manager, email="bob@example.org")
    w.admin = people.person(unit=school, roles=(Role.admin,), email="admin@example.org")
    for person, reason in ((w.alice, ALICE_CONTEST), (w.bob, BOB_CONTEST)):
        take(signed_in(make_client, person), wrong=1)
        attempt = db.session.scalar(select(Attempt).where(Attempt.person_id == person.id))
        training.contest(db.session, person, attempt, 1, reason)
    mine = approvals.submit_business_use(db.session, w.alice, accounts="@oak_y3", platforms=["instagram"],
                                         purpose=ALICE_PURPOSE, starts_on=today(), ends_on=None, settings=SETTINGS)
    approvals.decline(db.session, mine, w.manager, "Please use the school account")
    approvals.set_delegate(db.session, w.manager, w.alice, today(), today() + timedelta(days=7))
    bobs = approvals.submit_business_use(db.session, w.bob, accounts="@oak_pe", platforms=["x"], purpose=BOB_PURPOSE,
                                         starts_on=today(), ends_on=None, settings=SETTINGS)
    approvals.require_training(db.session, bobs, w.alice, "Alice asks Bob to take the module first")
    db.session.add(ReminderLog(person_id=w.alice.id, kind="due", sent_on=today(), detail="core-social-media"))
    tokens.create_token(db.session, w.alice, "Alice's spreadsheet")
    db.session.commit()
    w.bobs_request = bobs.id
    return w


def download(client, person_id: int, fmt: str):
    response = client.get(f"/people/{person_id}/data.{fmt}")
    assert response.status_code == 200, response.status_code
    assert response.headers["Cache-Control"] == "no-store"
    assert f'filename="subject-access-{person_id}-' in response.headers["Content-Disposition"]
    return response


def test_the_json_holds_every_category_of_the_persons_data_and_nobody_elses(make_client, world):
    admin = signed_in(make_client, world.admin)
    response = download(admin, world.alice.id, "json")
    assert response.mimetype == "application/json"
    body = json.loads(response.get_data(as_text=True))
    sections = {key: value["rows"] for key, value in body["sections"].items()}
    assert list(sections) == [key for key, _ in SECTIONS]
    empty = [key for key, rows in sections.items() if not rows]
    assert empty == ["roles", "imports"], empty  # Alice has no role and ran no import: every other category is held

    assert sections["profile"][0]["email"] == "alice@example.org"
    assert sections["profile"][0]["line_manager_email"] == "manager@example.org"
    assert "password_hash" not in sections["profile"][0] and sections["profile"][0]["has_password"] is True
    assert {r["module"] for r in sections["module_progress"]} >= {"core-social-media"}
    assert len(sections["attempts"]) == 1 and sections["attempts"][0]["passed"] is True
    answers = sections["answers"]
    assert len(answers) == 12 and all(set(a) >= {"scenario_id", "scenario", "verdict", "clause", "sure", "outcome",
                                                  "answered_at"} for a in answers)
    assert [c["reason"] for c in sections["contests"]] == [ALICE_CONTEST]
    assert [r["purpose"] for r in sections["requests_made"]] == [ALICE_PURPOSE]
    assert [e["to_state"] for e in sections["request_events"]] == ["submitted", "declined"]
    assert [(d["request_id"], d["to_state"], d["note"]) for d in sections["decisions"]] == [
        (world.bobs_request, "training_required", "Alice asks Bob to take the module first")]
    assert [d["role"] for d in sections["delegations"]] == ["delegate"]
    assert [r["kind"] for r in sections["reminders"]] == ["due"]
    assert [t["name"] for t in sections["api_tokens"]] == ["Alice's spreadsheet"]
    actions = {e["action"] for e in sections["audit_events"]}
    assert {"request.submitted", "request.declined", "request.training_required", "delegation.created"} <= actions

    text = response.get_data(as_text=True)
    for other in ("bob@example.org", world.bob.full_name, BOB_CONTEST, BOB_PURPOSE, "@oak_pe", "admin@example.org"):
        assert other not in text, other
    token_hash = db.session.scalar(select(ApiToken.token_hash).where(ApiToken.person_id == world.alice.id))
    assert token_hash not in text


def test_the_csv_is_one_file_with_a_titled_section_per_category(make_client, world):
    admin = signed_in(make_client, world.admin)
    response = download(admin, world.alice.id, "csv")
    assert response.mimetype == "text/csv"
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a byte-order mark
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    titles = [title for _, title in SECTIONS]
    found = [row[0] for row in rows if len(row) == 1 and row[0] in titles]
    assert found == titles
    text = data.decode("utf-8-sig")
    assert "alice@example.org" in text and ALICE_CONTEST in text and ALICE_PURPOSE in text
    assert "bob@example.org" not in text and BOB_CONTEST not in text and BOB_PURPOSE not in text
    profile = rows[rows.index(["Profile"]) + 1: rows.index(["Profile"]) + 3]
    assert profile[0][:2] == ["id", "email"] and profile[1][1] == "alice@example.org"
    assert rows[rows.index(["Roles"]) + 1] == ["None held"]


def test_each_download_is_audited_as_an_export_about_the_person(make_client, world):
    admin = signed_in(make_client, world.admin)
    download(admin, world.alice.id, "json")
    download(admin, world.alice.id, "csv")
    db.session.expire_all()
    logged = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.subject_access")
                                     .order_by(AuditEvent.seq)))
    assert [(e.actor_id, e.subject_id, json.loads(e.detail)["format"]) for e in logged] == [
        (world.admin.id, world.alice.id, "json"), (world.admin.id, world.alice.id, "csv")]


def test_only_admins_answer_subject_access_requests(make_client, client, world):
    for person in (world.head, world.alice):
        other = signed_in(make_client, person)
        assert other.get("/people/subject-access").status_code == 403
        assert other.get(f"/people/{world.bob.id}/data.json").status_code == 403
    assert client.get(f"/people/{world.bob.id}/data.csv").status_code == 302  # sign in first
    assert signed_in(make_client, world.admin).get("/people/999999/data.json").status_code == 404


def test_the_search_finds_a_person_by_email_and_explains_a_miss(make_client, world):
    admin = signed_in(make_client, world.admin)
    page = admin.get("/people/subject-access?email=ALICE@example.org")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert world.alice.full_name in html and f"/people/{world.alice.id}/data.json" in html
    missing = admin.get("/people/subject-access?email=nobody@example.org")
    assert missing.status_code == 404 and "there is nobody with the address nobody@example.org" in missing.get_data(
        as_text=True)
    empty = admin.get("/people/subject-access?email=")
    assert empty.status_code == 422 and "type the email address" in empty.get_data(as_text=True)
    assert "Subject access" in admin.get("/").get_data(as_text=True)  # in the admin's navigation
