"""Finding 6 (issue 15): a delegation stays within reach and time, and can be ended early.

Reach: the delegate is in the approver's unit or their line of management (above them, or below them
however far down). Time: at most DELEGATION_MAX_DAYS (90) days, both counted, starting today or later.
"End now" on the delegation page, by the approver or the delegate, takes effect at once and is audited.
"""

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.approvals import service
from lms.approvals.delegation import ALREADY_ENDED, IN_THE_PAST, OUT_OF_REACH, delegates_of, end_delegation
from lms.approvals.service import ApprovalError
from lms.clock import travel_to, utcnow
from lms.extensions import db
from lms.models import AuditEvent, Delegation, Role, UnitKind

NOW = datetime(2026, 9, 1, 9, 30, tzinfo=UTC)
DAY0 = NOW.date()


@pytest.fixture(autouse=True)
def fixed_time():
    with travel_to(NOW):
        yield


@pytest.fixture
def trust(people):
    """Oakfield: head (under the CEO) > manager > staff > intern, and a colleague; Riverside: its head (under
    the CEO) and a teacher; the central team: the CEO and a member of staff."""
    oak = people.unit("Oakfield Primary", UnitKind.school)
    river = people.unit("Riverside Academy", UnitKind.school)
    central = people.unit("Central Team", UnitKind.central)
    t = type("Trust", (), {})()
    t.ceo = people.person(unit=central, roles=(Role.ceo,), email="ceo@example.org")
    t.central = people.person(unit=central, email="central@example.org")
    t.head = people.person(unit=oak, roles=(Role.headteacher,), manager=t.ceo, email="head@example.org")
    t.manager = people.person(unit=oak, manager=t.head, email="manager@example.org")
    t.staff = people.person(unit=oak, manager=t.manager, email="staff@example.org")
    t.intern = people.person(unit=oak, manager=t.staff, email="intern@example.org")
    t.colleague = people.person(unit=oak, email="colleague@example.org")
    t.other_head = people.person(unit=river, roles=(Role.headteacher,), manager=t.ceo, email="other.head@example.org")
    t.river_teacher = people.person(unit=river, manager=t.other_head, email="river.teacher@example.org")
    return t


def text(response) -> str:
    return response.get_data(as_text=True)


def signed_in(make_client, person):
    client = make_client()
    client.login(person.email)
    return client


def delegate(client, email: str, starts_on: date | str, ends_on: date | str):
    client.get("/requests/delegate")
    return client.post("/requests/delegate", {"email": email, "starts_on": str(starts_on), "ends_on": str(ends_on)})


def end(client, delegation_id: int):
    client.get("/requests/delegate")
    return client.post(f"/requests/delegate/{delegation_id}/end", {})


def made(approver, delegate_, days: int = 7, starts: date = DAY0) -> Delegation:
    made_ = service.set_delegate(db.session, approver, delegate_, starts, starts + timedelta(days=days - 1))
    db.session.commit()
    return made_


def audit(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


# --- reach --------------------------------------------------------------------------------------

def test_a_delegate_outside_the_unit_and_the_line_of_management_is_refused(make_client, trust):
    manager = signed_in(make_client, trust.manager)
    for outsider in (trust.other_head, trust.river_teacher, trust.central):
        response = delegate(manager, outsider.email, DAY0, DAY0 + timedelta(days=6))
        assert response.status_code == 422 and OUT_OF_REACH in text(response).replace("&#39;", "'"), outsider.email
        assert 'id="email-error"' in text(response)  # shown at the field it names
    head = signed_in(make_client, trust.head)
    response = delegate(head, trust.other_head.email, DAY0, DAY0)  # both under the CEO: neither manages the other
    assert response.status_code == 422 and "Delegate: choose someone in your own school or team" in text(response)
    assert db.session.scalar(select(Delegation.id)) is None and audit("delegation.created") == []


def test_the_unit_and_the_line_of_management_up_and_down_are_within_reach(trust):
    assert made(trust.manager, trust.colleague).delegate_id == trust.colleague.id  # same unit, not in line
    assert made(trust.head, trust.ceo).delegate_id == trust.ceo.id  # up: another unit, their manager
    assert made(trust.ceo, trust.other_head).delegate_id == trust.other_head.id  # down one step
    assert made(trust.ceo, trust.river_teacher).delegate_id == trust.river_teacher.id  # two steps down
    assert made(trust.ceo, trust.intern).delegate_id == trust.intern.id  # four steps down
    assert made(trust.other_head, trust.ceo).delegate_id == trust.ceo.id
    # The colleague has no line manager, so is under nobody: not in the CEO's line, nor in the CEO's unit.
    with pytest.raises(ApprovalError, match="^Delegate: choose someone in your own school or team"):
        service.set_delegate(db.session, trust.ceo, trust.colleague, DAY0, DAY0)


def test_a_loop_of_line_managers_does_not_hang_the_check(trust):
    trust.head.line_manager_id = trust.staff.id  # made by hand: the import refuses loops
    db.session.flush()
    with pytest.raises(ApprovalError, match="^Delegate:"):
        service.set_delegate(db.session, trust.manager, trust.river_teacher, DAY0, DAY0)


# --- time ---------------------------------------------------------------------------------------

def test_the_finding_dates_are_refused_naming_the_field(make_client, trust):
    head = signed_in(make_client, trust.head)
    response = delegate(head, trust.manager.email, "2000-01-01", "9999-12-31")
    assert response.status_code == 422 and IN_THE_PAST in text(response) and 'id="starts_on-error"' in text(response)
    response = delegate(head, trust.manager.email, DAY0, "9999-12-31")
    assert response.status_code == 422 and 'id="ends_on-error"' in text(response)
    assert "Until: a delegation lasts at most 90 days, both days counted; choose 29 Nov 2026 or earlier." in text(response)
    assert db.session.scalar(select(Delegation.id)) is None


def test_at_most_90_days_both_counted_from_today_or_later(make_client, trust):
    head = signed_in(make_client, trust.head)
    assert delegate(head, trust.manager.email, DAY0, DAY0 + timedelta(days=90)).status_code == 422  # 91 days
    assert delegate(head, trust.manager.email, DAY0 - timedelta(days=1), DAY0).status_code == 422  # yesterday
    assert delegate(head, trust.manager.email, DAY0, DAY0 + timedelta(days=89)).status_code == 302  # 90 days
    later = DAY0 + timedelta(days=30)
    assert delegate(head, trust.colleague.email, later, later + timedelta(days=89)).status_code == 302
    assert delegate(head, trust.colleague.email, later, later - timedelta(days=1)).status_code == 422
    assert len(audit("delegation.created")) == 2


def test_the_longest_delegation_is_the_setting(make_client, trust, app, monkeypatch):
    monkeypatch.setitem(app.config, "DELEGATION_MAX_DAYS", 14)
    head = signed_in(make_client, trust.head)
    response = delegate(head, trust.manager.email, DAY0, DAY0 + timedelta(days=14))
    assert response.status_code == 422 and "at most 14 days" in text(response)
    assert "for at most 14 days" in text(head.get("/requests/delegate"))
    assert delegate(head, trust.manager.email, DAY0, DAY0 + timedelta(days=13)).status_code == 302


# --- ending early -------------------------------------------------------------------------------

def _reference(make_client, trust) -> int:
    colleague = signed_in(make_client, trust.colleague)  # no line manager: the head decides
    colleague.get("/requests/new/reference")
    response = colleague.post("/requests/new/reference", {"subject_name": "Alex Former",
                                                          "reference_for": "LinkedIn recommendation", "draft": ""})
    assert response.status_code == 302, text(response)
    return int(re.fullmatch(r"/requests/(\d+)", response.location).group(1))


def test_end_now_takes_away_the_delegates_access_at_once_and_is_audited(make_client, trust, smtp):
    head = signed_in(make_client, trust.head)
    assert delegate(head, trust.manager.email, DAY0, DAY0 + timedelta(days=13)).status_code == 302
    request_id = _reference(make_client, trust)
    manager = signed_in(make_client, trust.manager)
    assert f'href="/requests/{request_id}"' in text(manager.get("/requests/"))
    assert manager.get(f"/requests/{request_id}").status_code == 200

    [delegation] = db.session.scalars(select(Delegation))
    page = text(head.get("/requests/delegate"))
    assert "In force" in page and f'action="/requests/delegate/{delegation.id}/end"' in page and "End now" in page
    with travel_to(NOW + timedelta(minutes=10)):  # within the session's idle limit
        response = end(head, delegation.id)
    assert response.status_code == 302 and response.location == "/requests/delegate"
    page = text(head.get("/requests/delegate"))
    assert "can no longer decide your requests" in page
    assert "Ended 1 Sep 2026 at 10:40 by you" in page  # 09:40 UTC is 10:40 in London in September
    assert f'action="/requests/delegate/{delegation.id}/end"' not in page

    assert f'href="/requests/{request_id}"' not in text(manager.get("/requests/"))  # the "to decide" list
    assert manager.get(f"/requests/{request_id}").status_code == 403
    assert manager.post(f"/requests/{request_id}/decline", {"decline_reason": "No"}).status_code == 403
    assert delegates_of(db.session, trust.head.id, DAY0) == []

    [event] = audit("delegation.ended")
    assert (event.actor_id, event.subject_id, event.object_type, event.object_id) == (
        trust.head.id, trust.manager.id, "delegation", delegation.id)
    assert json.loads(event.detail) == {"starts_on": "2026-09-01", "ends_on": "2026-09-14", "ended_on": "2026-09-01",
                                        "by": "approver"}
    db.session.expire_all()
    stored = db.session.get(Delegation, delegation.id)
    assert stored.ended_by_id == trust.head.id and stored.ended_at == NOW + timedelta(minutes=10)


def test_the_delegate_may_give_it_up_and_nobody_else_may_end_it(make_client, trust):
    delegation = made(trust.head, trust.intern, starts=DAY0 + timedelta(days=3))  # the intern approves nothing
    for outsider in (trust.colleague, trust.other_head, trust.ceo):
        assert signed_in(make_client, outsider).post(f"/requests/delegate/{delegation.id}/end", {}).status_code == 403
    assert signed_in(make_client, trust.head).post("/requests/delegate/99999/end", {}).status_code == 404
    intern = signed_in(make_client, trust.intern)
    page = text(intern.get("/requests/delegate"))  # the page is theirs while they stand in for someone
    assert "Who you decide for" in page and "Starts later" in page and "Give it up" in page
    assert 'name="email"' not in page  # only approvers name delegates
    assert intern.post("/requests/delegate", {"email": trust.colleague.email, "starts_on": str(DAY0),
                                             "ends_on": str(DAY0)}).status_code == 403
    response = end(intern, delegation.id)
    assert response.status_code == 302 and response.location == "/requests/"  # no delegation page left for them
    assert "You no longer decide requests for" in text(intern.get("/requests/"))
    assert intern.get("/requests/delegate").status_code == 403
    [event] = audit("delegation.ended")
    assert (event.actor_id, event.subject_id, json.loads(event.detail)["by"]) == (trust.intern.id, trust.intern.id,
                                                                                 "delegate")
    with travel_to(NOW + timedelta(days=4)):  # a future delegation ended before it began never comes into force
        assert delegates_of(db.session, trust.head.id, DAY0 + timedelta(days=4)) == []


def test_ending_twice_ends_once(make_client, trust):
    delegation = made(trust.head, trust.manager)
    head = signed_in(make_client, trust.head)
    assert end(head, delegation.id).status_code == 302
    response = end(head, delegation.id)
    assert response.status_code == 302 and ALREADY_ENDED in text(head.get("/requests/delegate"))
    assert len(audit("delegation.ended")) == 1
    with pytest.raises(ApprovalError, match=ALREADY_ENDED):
        end_delegation(db.session, db.session.get(Delegation, delegation.id), trust.head, utcnow(), DAY0)


def test_a_delegation_whose_dates_have_passed_cannot_be_ended(trust):
    delegation = made(trust.head, trust.manager, days=2)
    with pytest.raises(ApprovalError, match=ALREADY_ENDED):
        end_delegation(db.session, delegation, trust.head, utcnow(), DAY0 + timedelta(days=5))
