"""API tokens that expire, die with a leaver and stay dead on their return, and are audited (issue 15, finding 9)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.api import tokens
from lms.clock import travel_to
from lms.extensions import db
from lms.models import ApiToken, AuditEvent, Person, Role, UnitKind

NOW = datetime(2026, 10, 15, 9, 0, tzinfo=UTC)
UNITS = "/api/v1/completion/units"
TOKEN_SHAPE = re.compile(r"smp_[A-Za-z0-9_-]{43}")
HEADER = "email,first name,last name,staff type,unit,role,line manager email,start date,active"
LEAD = "lead@trust.org,Lee,Ead,employee,Central Team,trust lead,,2020-01-06,yes"
ADMIN = "admin@trust.org,Ada,Min,employee,Central Team,admin,,2020-01-06,yes"


@pytest.fixture(autouse=True)
def fixed_clock():
    with travel_to(NOW):
        yield


@pytest.fixture
def lead(people) -> Person:
    return people.person(unit=people.unit("Central Team", UnitKind.central), roles=(Role.trust_lead,),
                         email="lead@trust.org", sync=False)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def signed_in(make_client, person: Person):
    client = make_client()
    client.login(person.email)
    return client


def page(client) -> str:
    return client.get("/account/tokens").get_data(as_text=True)


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def run_import(app, tmp_path, *lines: str, full: bool = False):
    path = tmp_path / "staff.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    result = app.test_cli_runner().invoke(args=["staff", "import", str(path), *(["--full"] if full else [])])
    assert result.exit_code == 0, result.output
    return result


# --- expiry -----------------------------------------------------------------------------------

def test_a_token_is_made_for_the_months_chosen_and_refused_once_expired(make_client, client, lead):
    browser = signed_in(make_client, lead)
    made = browser.post("/account/tokens", {"name": "Termly report", "months": "1"})
    assert made.status_code == 200
    assert "it works until 15 Nov 2026" in made.get_data(as_text=True)
    plaintext = TOKEN_SHAPE.search(made.get_data(as_text=True)).group(0)
    token = db.session.scalar(select(ApiToken))
    assert token.expires_at == datetime(2026, 11, 15, 9, 0, tzinfo=UTC)
    listed = page(browser)
    assert "<td>15 Nov 2026</td>" in listed and "Active" in listed

    with travel_to(token.expires_at - timedelta(seconds=1)):
        assert client.get(UNITS, headers=bearer(plaintext)).status_code == 200
    with travel_to(token.expires_at):
        refused = client.get(UNITS, headers=bearer(plaintext))
        assert refused.status_code == 401
        assert refused.json == {"error": "The token expired on 15 November 2026. Make a new one at /account/tokens "
                                         "and put it in place of this one."}
        assert refused.headers["WWW-Authenticate"] == ('Bearer realm="api", error="invalid_token", '
                                                       'error_description="The token expired"')
        assert refused.headers["Cache-Control"] == "no-store"
        listed = page(signed_in(make_client, lead))  # a month on: the earlier session has timed out
        assert "Expired" in listed and ">Active<" not in listed and "You have 0 of at most 10 active tokens" in listed


def test_the_expiry_day_is_shown_as_in_london(make_client, lead):
    """Made at 23:30 UTC on 30 April: it is already 1 May in London (BST), and so is the day it expires."""
    with travel_to(datetime(2026, 4, 30, 23, 30, tzinfo=UTC)):
        browser = signed_in(make_client, lead)
        assert browser.post("/account/tokens", {"name": "Late", "months": "3"}).status_code == 200
        assert "<td>31 Jul 2026</td>" in page(browser)  # 30 Jul 23:30 UTC + 00:30 BST
        assert tokens.expires_on(db.session.scalar(select(ApiToken))).isoformat() == "2026-07-31"


def test_the_choice_is_1_3_6_or_12_months_never_longer_and_12_by_default(app, make_client, lead):
    browser = signed_in(make_client, lead)
    form = page(browser)
    offered = re.findall(r'<option (?:selected )?value="(\d+)"', form)
    assert offered == ["1", "3", "6", "12"]
    assert '<option selected value="12">12 months</option>' in form
    for months in ("13", "24", "0", "-1", "twelve", ""):
        refused = browser.post("/account/tokens", {"name": "Too long", "months": months})
        assert refused.status_code == 422 and 'id="months-error"' in refused.get_data(as_text=True), months
        assert not TOKEN_SHAPE.search(refused.get_data(as_text=True))
    assert db.session.scalar(select(ApiToken)) is None
    with pytest.raises(tokens.TokenError, match="months: a token lasts 1 to 12 months"):
        tokens.create_token(db.session, lead, "Too long", months=13)

    app.config["API_TOKEN_MONTHS"] = 6  # the trust's own default
    assert '<option selected value="6">6 months</option>' in page(browser)
    assert browser.post("/account/tokens", {"name": "Default"}).status_code == 200  # no choice sent: the default
    assert db.session.scalar(select(ApiToken)).expires_at == datetime(2027, 4, 15, 9, 0, tzinfo=UTC)
    app.config["API_TOKEN_MONTHS"] = 36  # a setting over the limit is held to it
    assert '<option selected value="12">12 months</option>' in page(browser)


def test_months_run_to_the_end_of_a_shorter_month(lead):
    with travel_to(datetime(2027, 1, 31, 12, 0, tzinfo=UTC)):
        token, _ = tokens.create_token(db.session, lead, "End of January", months=1)
    assert token.expires_at == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)


def test_expired_tokens_do_not_count_against_the_ten(lead):
    for i in range(tokens.MAX_ACTIVE):
        tokens.create_token(db.session, lead, f"Old {i}", months=1)
    with pytest.raises(tokens.TokenError, match="10 active tokens"):
        tokens.create_token(db.session, lead, "One too many")
    with travel_to(NOW + timedelta(days=31)):
        tokens.create_token(db.session, lead, "After they expired")


# --- leavers ----------------------------------------------------------------------------------

def test_a_leavers_token_is_revoked_and_stays_revoked_when_they_return(app, tmp_path, client, people):
    run_import(app, tmp_path, ADMIN, LEAD)
    lead = db.session.scalar(select(Person).where(Person.email == "lead@trust.org"))
    _, plaintext = tokens.create_token(db.session, lead, "Governors' report")
    db.session.commit()
    assert client.get(UNITS, headers=bearer(plaintext)).status_code == 200

    with travel_to(NOW + timedelta(days=1)):
        run_import(app, tmp_path, ADMIN, full=True)  # the lead has left
    token = db.session.scalar(select(ApiToken))
    assert token.revoked_at == NOW + timedelta(days=1)  # revoked, not merely refused while away
    left = events("api_token.revoked")
    assert [(e.subject_id, e.object_type, e.object_id, json.loads(e.detail)) for e in left] == [
        (lead.id, "api_token", token.id, {"name": "Governors' report", "reason": "left"})]
    assert client.get(UNITS, headers=bearer(plaintext)).status_code == 401

    with travel_to(NOW + timedelta(days=2)):
        result = run_import(app, tmp_path, ADMIN, LEAD)  # back again
    assert "made active again" in result.output
    db.session.expire_all()
    assert db.session.get(Person, lead.id).active
    assert db.session.get(ApiToken, token.id).revoked_at == NOW + timedelta(days=1)
    refused = client.get(UNITS, headers=bearer(plaintext))
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert len(events("api_token.revoked")) == 1


def test_an_import_without_leavers_touches_no_token(app, tmp_path, people):
    run_import(app, tmp_path, ADMIN, LEAD)
    lead = db.session.scalar(select(Person).where(Person.email == "lead@trust.org"))
    tokens.create_token(db.session, lead, "Kept")
    db.session.commit()
    run_import(app, tmp_path, ADMIN, LEAD, full=True)
    assert db.session.scalar(select(ApiToken)).revoked_at is None and events("api_token.revoked") == []


def test_revoke_all_for_revokes_only_live_tokens_of_those_named(people, lead):
    other = people.person(email="other@trust.org", sync=False)
    live, _ = tokens.create_token(db.session, lead, "Live")
    done, _ = tokens.create_token(db.session, lead, "Done")
    theirs, _ = tokens.create_token(db.session, other, "Theirs")
    tokens.revoke(db.session, lead, done.id)
    db.session.commit()
    earlier = done.revoked_at
    with travel_to(NOW + timedelta(hours=1)):
        assert tokens.revoke_all_for(db.session, [lead.id, lead.id], "left") == 1
        assert tokens.revoke_all_for(db.session, [], "left") == 0
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ApiToken, live.id).revoked_at == NOW + timedelta(hours=1)
    assert db.session.get(ApiToken, done.id).revoked_at == earlier
    assert db.session.get(ApiToken, theirs.id).revoked_at is None


# --- audited ----------------------------------------------------------------------------------

def test_making_and_revoking_a_token_are_audited_without_the_token(make_client, lead):
    browser = signed_in(make_client, lead)
    made = browser.post("/account/tokens", {"name": "Power BI", "months": "6"})
    plaintext = TOKEN_SHAPE.search(made.get_data(as_text=True)).group(0)
    token = db.session.scalar(select(ApiToken))
    [created] = events("api_token.created")
    assert (created.actor_id, created.subject_id, created.object_type, created.object_id) == (
        lead.id, lead.id, "api_token", token.id)
    assert json.loads(created.detail) == {"name": "Power BI", "months": 6, "expires_at": "2027-04-15T09:00:00+00:00"}

    page(browser)
    assert browser.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    page(browser)
    browser.post(f"/account/tokens/{token.id}/revoke")  # again: nothing changes, nothing more is logged
    [revoked] = events("api_token.revoked")
    assert (revoked.actor_id, revoked.subject_id, revoked.object_id) == (lead.id, lead.id, token.id)
    assert json.loads(revoked.detail) == {"name": "Power BI", "reason": "owner"}
    for event in events("api_token.created") + events("api_token.revoked"):
        assert plaintext not in event.detail and token.token_hash not in event.detail


def test_a_refused_token_is_not_audited(make_client, lead):
    browser = signed_in(make_client, lead)
    assert browser.post("/account/tokens", {"name": "", "months": "1"}).status_code == 422
    assert events("api_token.created") == []
