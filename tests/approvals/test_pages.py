"""Requests through the pages (issue 5): every kind made through its form, walked through every state,
with the right people told by email, and refused to everyone else."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from lms.clock import travel_to
from lms.extensions import db
from lms.models import Request, RequestEvent, RequestState, Role, UnitKind
from tests.conftest import SCENARIOS
from tests.training.helpers import answer, drawn, right_answer, scenario_at, start

NOW = datetime(2026, 9, 1, 9, 30, tzinfo=UTC)
DAY0 = NOW.date()
S = RequestState


@pytest.fixture(autouse=True)
def fixed_time():
    with travel_to(NOW):
        yield


@pytest.fixture
def trust(people):
    """Oakfield (a head, a manager, two staff), Riverside (a head) and the central team (the CEO, one person)."""
    oak = people.unit("Oakfield Primary", UnitKind.school)
    river = people.unit("Riverside Academy", UnitKind.school)
    central = people.unit("Central Team", UnitKind.central)
    t = type("Trust", (), {})()
    t.ceo = people.person(unit=central, roles=(Role.ceo,), email="ceo@example.org")
    t.central = people.person(unit=central, email="central@example.org")
    t.head = people.person(unit=oak, roles=(Role.headteacher,), manager=t.ceo, email="head@example.org")
    t.manager = people.person(unit=oak, manager=t.head, email="manager@example.org")
    t.staff = people.person(unit=oak, manager=t.manager, email="staff@example.org")
    t.colleague = people.person(unit=oak, email="colleague@example.org")  # no line manager: the head decides
    t.other_head = people.person(unit=river, roles=(Role.headteacher,), email="other.head@example.org")
    return t


def text(response) -> str:
    return response.get_data(as_text=True)


def signed_in(make_client, person):
    client = make_client()
    client.login(person.email)
    return client


def load_all(app) -> None:
    result = app.test_cli_runner().invoke(args=["scenarios", "load", *sorted(str(p) for p in SCENARIOS.glob("*.yaml"))])
    assert result.exit_code == 0, result.output


BUSINESS_USE = {"accounts": "@OakfieldPrimary", "platforms": ["facebook", "instagram"],
                "purpose": "News of school events for parents.", "starts_on": DAY0.isoformat(),
                "ends_on": (DAY0 + timedelta(days=300)).isoformat()}
MEDIA = {"enquirer": "Sam Reporter, 01234 567890", "outlet": "Herts Gazette",
         "question": "Is the school closing its nursery?", "deadline": (DAY0 + timedelta(days=2)).isoformat()}
REFERENCE = {"subject_name": "Alex Former", "reference_for": "LinkedIn recommendation",
             "draft": "Alex was a reliable teaching assistant."}
MISUSE = {"recipient": "headteacher", "link": "https://example.com/post/1",
          "description": "A parent group post naming a pupil."}


def make(client, word: str, data: dict):
    client.get(f"/requests/new/{word}")
    return client.post(f"/requests/new/{word}", data)


def made(client, word: str, data: dict) -> int:
    response = make(client, word, data)
    assert response.status_code == 302, text(response)
    return int(re.fullmatch(r"/requests/(\d+)", response.location).group(1))


def act(client, request_id: int, action: str, data: dict | None = None):
    client.get(f"/requests/{request_id}")
    return client.post(f"/requests/{request_id}/{action}", data or {})


def state(request_id: int) -> RequestState:
    db.session.expire_all()
    return db.session.get(Request, request_id).state


def events(request_id: int) -> list[tuple]:
    db.session.expire_all()
    return [(e.from_state, e.to_state, e.actor_id, e.note) for e in
            db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == request_id)
                               .order_by(RequestEvent.id))]


def count_requests() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Request))


def body(message) -> str:
    return message.get_content()


# --- making each kind -------------------------------------------------------------------

@pytest.mark.parametrize("word, data, who, approver, clause", [
    ("business-use", BUSINESS_USE, "staff", "manager", "Policy 5.1"),
    ("media-enquiry", MEDIA, "staff", "head", "Policy 5.2"),
    ("reference", REFERENCE, "central", "ceo", "Policy 2.2 and 2.3"),
    ("misuse-report", {**MISUSE, "recipient": "ceo"}, "staff", "ceo", "Policy 4.5 and 6.5"),
])
def test_each_kind_is_made_through_its_form_and_reaches_the_approver(make_client, trust, smtp, word, data, who,
                                                                     approver, clause):
    requester, approver = getattr(trust, who), getattr(trust, approver)
    client = signed_in(make_client, requester)
    form = text(client.get(f"/requests/new/{word}"))
    assert clause in form and approver.full_name in form and "disabled" not in form
    request_id = made(client, word, data)

    page = text(client.get(f"/requests/{request_id}"))
    assert "request-submitted" in page and f"Your request was sent to {approver.full_name}." in page
    mine = text(client.get("/requests/"))
    assert f'href="/requests/{request_id}"' in mine and "Requests you have made: 1" in mine

    deciding = text(signed_in(make_client, approver).get("/requests/"))
    assert f'href="/requests/{request_id}"' in deciding and requester.full_name in deciding
    inbox = smtp.to(approver.email)
    assert len(inbox) == 1 and f"/requests/{request_id}" in body(inbox[0])
    assert inbox[0]["Subject"].startswith("To decide:")
    assert smtp.to(requester.email) == []


def test_the_form_pages_name_the_approver_in_words(make_client, trust):
    staff = text(signed_in(make_client, trust.staff).get("/requests/new/business-use"))
    assert f"<strong>{trust.manager.full_name}</strong>, your line manager" in staff
    assert 'type="checkbox"' in staff and "Facebook" in staff and "X (Twitter)" in staff and "<legend>" in staff
    colleague = text(signed_in(make_client, trust.colleague).get("/requests/new/reference"))
    assert f"<strong>{trust.head.full_name}</strong>, your headteacher" in colleague
    head = text(signed_in(make_client, trust.head).get("/requests/new/reference"))
    assert f"<strong>{trust.ceo.full_name}</strong>, the Chief Executive Officer" in head
    report = text(signed_in(make_client, trust.staff).get("/requests/new/misuse-report"))
    assert trust.head.full_name in report and trust.ceo.full_name in report
    assert "Withhold my name from everyone but the recipient" in report
    central = text(signed_in(make_client, trust.central).get("/requests/new/misuse-report"))
    assert 'value="headteacher"' not in central and 'value="ceo"' in central  # the central team has no head


def test_nobody_to_decide_means_the_form_says_why_and_cannot_be_sent(make_client, people):
    loner = people.person(unit=people.unit("Lonely School", UnitKind.school))
    client = signed_in(make_client, loner)
    page = text(client.get("/requests/new/reference"))
    assert "Nobody in the system can decide this request for you" in page and "disabled" in page
    response = make(client, "reference", REFERENCE)
    assert response.status_code == 422 and "Nobody in the system can decide" in text(response)
    assert count_requests() == 0


def test_the_nav_links_to_requests_and_unknown_kinds_are_not_found(make_client, trust):
    client = signed_in(make_client, trust.staff)
    assert 'href="/requests/">Requests</a>' in text(client.get("/"))
    assert client.get("/requests/new/business_use").status_code == 404
    assert client.get("/requests/new/complaint").status_code == 404


# --- business use: every state ------------------------------------------------------------

def pass_business_use_module(client) -> None:
    attempt_id = start(client, "speaking-for-the-school")
    for position in range(1, drawn(attempt_id) + 1):
        answer(client, attempt_id, position, right_answer(scenario_at(attempt_id, position)))
    client.get(f"/attempts/{attempt_id}/finish")
    assert client.post(f"/attempts/{attempt_id}/finish").status_code == 302


def test_business_use_training_first_then_approved_with_conditions_then_revoked(app, make_client, trust, smtp):
    load_all(app)
    staff, manager = signed_in(make_client, trust.staff), signed_in(make_client, trust.manager)
    request_id = made(staff, "business-use", BUSINESS_USE)
    assert "Require training first" in text(manager.get(f"/requests/{request_id}"))
    assert "Require training first" not in text(staff.get(f"/requests/{request_id}"))  # the requester cannot decide

    response = act(manager, request_id, "require_training", {"training_note": "Take the module first, please."})
    assert response.status_code == 302 and response.location == f"/requests/{request_id}"
    assert state(request_id) is S.training_required
    told = smtp.to(trust.staff.email)
    assert len(told) == 1 and "/training/speaking-for-the-school" in body(told[0])
    assert "Take the module first, please." in body(told[0])

    mine = text(staff.get(f"/requests/{request_id}"))
    assert "Your manager requires you to pass the business-use training module before this can be approved" in mine
    assert 'href="/training/speaking-for-the-school"' in mine and "badge-" in mine
    theirs = text(manager.get(f"/requests/{request_id}"))
    assert "does not hold a current pass of the business-use module yet" in theirs

    before = events(request_id)
    refused = act(manager, request_id, "approve", {"expires_on": "2027-08-31", "condition_flags": ["no_pupil_images"]})
    assert refused.status_code == 422
    assert "does not hold a current pass of the business-use module yet, so this cannot be approved" in text(refused)
    assert state(request_id) is S.training_required and events(request_id) == before

    pass_business_use_module(staff)
    assert "now holds a current pass" in text(manager.get(f"/requests/{request_id}"))
    assert "badge-passed" in text(staff.get(f"/requests/{request_id}"))

    no_date = act(manager, request_id, "approve", {"condition_flags": ["no_pupil_images"]})
    assert no_date.status_code == 422 and 'id="expires_on-error"' in text(no_date)
    assert "Review or expiry date: give a date after today." in text(no_date)
    assert state(request_id) is S.training_required

    response = act(manager, request_id, "approve", {
        "condition_flags": ["no_pupil_images", "official_account_only"],
        "conditions": "Posts checked by Mrs Patel for the first month.", "expires_on": "2027-08-31"})
    assert response.status_code == 302 and state(request_id) is S.approved
    page = text(staff.get(f"/requests/{request_id}"))
    assert "No images of pupils" in page and "Official account only" in page
    assert "Posts checked by Mrs Patel for the first month." in page and "31 Aug 2027" in page
    assert "You may now speak for the school or trust" in body(smtp.to(trust.staff.email)[-1])
    assert "What you can do" not in page  # nothing left for the requester to do
    assert f'href="/requests/{request_id}"' in text(manager.get("/requests/"))  # still the manager's to revoke

    missing = act(manager, request_id, "revoke", {"revoke_reason": "  "})
    assert missing.status_code == 422 and "Reason: enter this." in text(missing)
    assert state(request_id) is S.approved
    response = act(manager, request_id, "revoke", {"revoke_reason": "A post showed a pupil's face."})
    assert response.status_code == 302 and state(request_id) is S.revoked
    assert "Stop speaking for the school or trust" in body(smtp.to(trust.staff.email)[-1])

    assert [(f, t, a) for f, t, a, _ in events(request_id)] == [
        (None, "submitted", trust.staff.id), ("submitted", "training_required", trust.manager.id),
        ("training_required", "approved", trust.manager.id), ("approved", "revoked", trust.manager.id)]
    history = text(staff.get(f"/requests/{request_id}"))
    assert "<caption>Every change to this request, oldest first</caption>" in history
    assert "1 Sep 2026 09:30 UTC" in history
    assert "New → Submitted" in history and "Submitted → Training required" in history
    assert "Training required → Approved" in history and "Approved → Revoked" in history
    assert escape("A post showed a pupil's face.") in history and "Take the module first, please." in history
    assert history.count(f"<td>{trust.manager.full_name}</td>") == 3
    assert f"<td>{trust.staff.full_name}</td>" in history


def test_business_use_declined_with_a_reason_or_withdrawn_by_the_person(make_client, trust, smtp):
    staff, manager = signed_in(make_client, trust.staff), signed_in(make_client, trust.manager)
    first = made(staff, "business-use", BUSINESS_USE)
    response = act(manager, first, "decline", {"decline_reason": "The school account is run by the office."})
    assert response.status_code == 302 and state(first) is S.declined
    assert "Do not go ahead." in body(smtp.to(trust.staff.email)[-1])
    assert "The school account is run by the office." in text(staff.get(f"/requests/{first}"))
    again = act(manager, first, "approve", {"expires_on": "2027-08-31"})
    assert again.status_code == 422 and "This request is declined; it can no longer be approved." in text(again)

    second = made(staff, "business-use", BUSINESS_USE)
    response = act(staff, second, "withdraw", {"withdraw_note": "No longer needed."})
    assert response.status_code == 302 and state(second) is S.withdrawn
    told = smtp.to(trust.manager.email)
    assert told[-1]["Subject"] == f"Request {second}: withdrawn" and "has withdrawn" in body(told[-1])
    late = act(manager, second, "approve", {"expires_on": "2027-08-31"})
    assert late.status_code == 422 and "This request is withdrawn" in text(late)
    assert state(second) is S.withdrawn and len(events(second)) == 2
    assert f'href="/requests/{second}"' not in text(manager.get("/requests/"))  # nothing left to decide


def test_a_start_date_in_the_past_is_refused_at_its_field(make_client, trust):
    client = signed_in(make_client, trust.staff)
    response = make(client, "business-use", {**BUSINESS_USE, "starts_on": "2026-08-01"})
    page = text(response)
    assert response.status_code == 422 and 'id="starts_on-error"' in page
    assert "From: the start date cannot be in the past." in page and count_requests() == 0
    response = make(client, "business-use", {**BUSINESS_USE, "platforms": []})
    assert response.status_code == 422 and "Platforms: choose at least one." in text(response)
    assert 'value="@OakfieldPrimary"' in text(response)  # what was typed is kept


# --- media enquiries ----------------------------------------------------------------------

def test_a_media_enquiry_needs_written_approval_before_it_is_answered(make_client, trust, smtp):
    staff, head = signed_in(make_client, trust.staff), signed_in(make_client, trust.head)
    request_id = made(staff, "media-enquiry", MEDIA)
    assert "Mark as answered" not in text(staff.get(f"/requests/{request_id}"))
    early = act(staff, request_id, "mark_answered")
    assert early.status_code == 422 and "it cannot be marked as answered until it is approved" in text(early)
    assert state(request_id) is S.submitted

    empty = act(head, request_id, "approve", {"approved_response": ""})
    assert empty.status_code == 422 and "Approved response: enter this." in text(empty)
    assert 'id="approved_response-error"' in text(empty) and state(request_id) is S.submitted
    response = act(head, request_id, "approve", {"approved_response": "The nursery stays open. No further comment."})
    assert response.status_code == 302 and state(request_id) is S.approved
    assert "You may now give the approved response" in body(smtp.to(trust.staff.email)[-1])

    page = text(staff.get(f"/requests/{request_id}"))
    assert "The nursery stays open. No further comment." in page and "Mark as answered" in page
    response = act(staff, request_id, "mark_answered", {"answered_note": "Quoted in Friday's paper."})
    assert response.status_code == 302 and state(request_id) is S.answered
    assert "marked as answered" in body(smtp.to(trust.head.email)[-1])
    assert [t for _, t, _, _ in events(request_id)] == ["submitted", "approved", "answered"]


def test_a_media_enquiry_can_be_declined(make_client, trust):
    staff, head = signed_in(make_client, trust.staff), signed_in(make_client, trust.head)
    request_id = made(staff, "media-enquiry", MEDIA)
    act(head, request_id, "decline", {"decline_reason": "I will answer it myself."})
    assert state(request_id) is S.declined
    assert act(staff, request_id, "mark_answered").status_code == 422 and state(request_id) is S.declined


# --- references -----------------------------------------------------------------------------

def test_references_are_approved_or_declined_by_the_head_and_never_by_oneself(make_client, trust, smtp):
    staff, head, ceo = (signed_in(make_client, p) for p in (trust.staff, trust.head, trust.ceo))
    declined = made(staff, "reference", REFERENCE)
    act(head, declined, "decline", {"decline_reason": "References go through the office."})
    assert state(declined) is S.declined

    approved = made(staff, "reference", REFERENCE)
    response = act(head, approved, "approve", {"approve_note": "Factual dates only."})
    assert response.status_code == 302 and state(approved) is S.approved
    assert "express authority" in body(smtp.to(trust.staff.email)[-1])
    assert "Factual dates only." in text(staff.get(f"/requests/{approved}"))
    assert f'href="/requests/{approved}"' not in text(head.get("/requests/"))  # nothing more to decide

    own = made(head, "reference", REFERENCE)  # the head's own reference goes to the CEO
    assert db.session.get(Request, own).approver_id == trust.ceo.id
    page = text(head.get(f"/requests/{own}"))
    assert "What you can do" in page and f'action="/requests/{own}/approve"' not in page  # only withdraw
    refused = head.post(f"/requests/{own}/approve", {"approve_note": "Fine by me."})
    assert refused.status_code == 403  # deciding is the approver's side, never the asker's
    assert state(own) is S.submitted
    assert f'href="/requests/{own}"' not in text(head.get("/requests/")).split('id="mine"')[0]  # not "to decide"
    assert act(ceo, own, "approve").status_code == 302 and state(own) is S.approved


# --- misuse reports ---------------------------------------------------------------------------

def test_a_withheld_name_is_seen_by_the_recipient_and_the_reporter_only(make_client, trust, smtp):
    head = signed_in(make_client, trust.head)
    head.get("/requests/delegate")
    response = head.post("/requests/delegate", {"email": trust.manager.email, "starts_on": DAY0.isoformat(),
                                                "ends_on": (DAY0 + timedelta(days=7)).isoformat()})
    assert response.status_code == 302

    staff = signed_in(make_client, trust.staff)
    request_id = made(staff, "misuse-report", {**MISUSE, "withhold_name": "y"})
    name = trust.staff.full_name
    assert name in text(staff.get(f"/requests/{request_id}"))
    assert name in text(head.get(f"/requests/{request_id}")) and name in text(head.get("/requests/"))

    delegate = signed_in(make_client, trust.manager)
    page = text(delegate.get(f"/requests/{request_id}"))
    assert name not in page and "Name withheld" in page and "Close the report" in page
    assert name not in text(delegate.get("/requests/"))
    assert name in body(smtp.to(trust.head.email)[0])
    to_delegate = body(smtp.to(trust.manager.email)[0])
    assert name not in to_delegate and "name withheld" in to_delegate

    missing = act(head, request_id, "close", {"outcome": ""})
    assert missing.status_code == 422 and "What was done: enter this." in text(missing)
    response = act(head, request_id, "close", {"outcome": "Asked the group's admin to remove the post; done."})
    assert response.status_code == 302 and state(request_id) is S.closed
    assert "Asked the group&#39;s admin to remove the post; done." in text(staff.get(f"/requests/{request_id}"))
    assert "Thank you for reporting it." in body(smtp.to(trust.staff.email)[-1])
    assert name not in text(delegate.get(f"/requests/{request_id}"))


def test_a_report_needs_a_link_or_a_description(make_client, trust):
    client = signed_in(make_client, trust.staff)
    response = make(client, "misuse-report", {"recipient": "headteacher", "link": "", "description": ""})
    assert response.status_code == 422 and "Give a link to the content or describe it" in text(response)
    response = make(client, "misuse-report", {"recipient": "headteacher", "link": "javascript:alert(1)"})
    assert response.status_code == 422 and "Link: give a web address starting with http" in text(response)
    assert 'id="link-error"' in text(response) and count_requests() == 0


# --- who may see and do what ------------------------------------------------------------------

def test_strangers_are_refused_unknown_ids_not_found_and_visitors_sent_to_sign_in(client, make_client, trust):
    staff = signed_in(make_client, trust.staff)
    request_id = made(staff, "business-use", BUSINESS_USE)
    for outsider in (trust.other_head, trust.colleague, trust.head):
        other = signed_in(make_client, outsider)
        assert other.get(f"/requests/{request_id}").status_code == 403
        assert other.post(f"/requests/{request_id}/approve", {"expires_on": "2027-08-31"}).status_code == 403
    assert state(request_id) is S.submitted
    assert staff.get("/requests/99999").status_code == 404
    assert staff.post("/requests/99999/approve").status_code == 404
    assert staff.post(f"/requests/{request_id}/lapse").status_code == 404
    for url in ("/requests/", f"/requests/{request_id}", "/requests/new/reference", "/requests/delegate"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_a_delegate_decides_within_the_dates_and_not_after(make_client, trust, smtp):
    head = signed_in(make_client, trust.head)
    assert "Let a colleague decide requests for you" in text(head.get("/requests/"))
    head.get("/requests/delegate")
    response = head.post("/requests/delegate", {"email": trust.manager.email.upper(), "starts_on": DAY0.isoformat(),
                                                "ends_on": (DAY0 + timedelta(days=3)).isoformat()})
    assert response.status_code == 302
    page = text(head.get("/requests/delegate"))
    assert trust.manager.full_name in page and "In force" in page and "4 Sep 2026" in page

    colleague = signed_in(make_client, trust.colleague)
    first, second = made(colleague, "reference", REFERENCE), made(colleague, "reference", REFERENCE)
    assert len(smtp.to(trust.manager.email)) == 2  # the delegate is told too

    delegate = signed_in(make_client, trust.manager)
    assert f'href="/requests/{first}"' in text(delegate.get("/requests/"))
    assert act(delegate, first, "approve", {"approve_note": "Agreed while the head is away."}).status_code == 302
    assert state(first) is S.approved and events(first)[-1][2] == trust.manager.id

    with travel_to(NOW + timedelta(days=5)):
        later = signed_in(make_client, trust.manager)
        assert f'href="/requests/{second}"' not in text(later.get("/requests/"))
        assert later.get(f"/requests/{second}").status_code == 403
        assert later.post(f"/requests/{second}/approve", {}).status_code == 403
    assert state(second) is S.submitted


def test_only_approvers_delegate_and_the_form_says_what_is_wrong(make_client, trust):
    assert signed_in(make_client, trust.staff).get("/requests/delegate").status_code == 403
    assert "Let a colleague decide" not in text(signed_in(make_client, trust.staff).get("/requests/"))
    head = signed_in(make_client, trust.head)
    head.get("/requests/delegate")
    dates = {"starts_on": DAY0.isoformat(), "ends_on": DAY0.isoformat()}
    response = head.post("/requests/delegate", {"email": trust.head.email, **dates})
    assert response.status_code == 422 and "Delegate: choose someone other than yourself." in text(response)
    response = head.post("/requests/delegate", {"email": "nobody@example.org", **dates})
    assert response.status_code == 422 and "Delegate: there is nobody with that email address." in text(response)
    response = head.post("/requests/delegate", {"email": trust.manager.email, "starts_on": "2026-09-05",
                                                "ends_on": "2026-09-04"})
    assert response.status_code == 422 and "Until: the end date must be on or after the start date." in text(response)
    assert 'id="ends_on-error"' in text(response)
    assert signed_in(make_client, trust.manager).get("/requests/delegate").status_code == 200  # has a report


# --- what people type ---------------------------------------------------------------------------

def test_hostile_text_is_shown_escaped(make_client, trust):
    staff, head = signed_in(make_client, trust.staff), signed_in(make_client, trust.head)
    hostile = "<script>alert(1)</script>"
    request_id = made(staff, "reference", {**REFERENCE, "subject_name": hostile, "draft": hostile})
    act(head, request_id, "decline", {"decline_reason": hostile})
    for client in (staff, head):
        page = text(client.get(f"/requests/{request_id}"))
        assert hostile not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("word, data, field, message", [
    ("business-use", {**BUSINESS_USE, "accounts": "a" * 501}, "accounts", "Which accounts: at most 500 characters."),
    ("business-use", {**BUSINESS_USE, "purpose": "p" * 2001}, "purpose", "Purpose: at most 2000 characters."),
    ("media-enquiry", {**MEDIA, "outlet": "o" * 201}, "outlet", "Outlet: at most 200 characters."),
    ("media-enquiry", {**MEDIA, "question": "q" * 4001}, "question", "Question: at most 4000 characters."),
    ("reference", {**REFERENCE, "reference_for": "r" * 301}, "reference_for",
     "Where or for whom: at most 300 characters."),
    ("misuse-report", {**MISUSE, "link": "https://example.com/" + "l" * 1000}, "link", "Link: at most 1000 characters."),
])
def test_over_long_fields_are_refused_naming_the_field(make_client, trust, word, data, field, message):
    response = make(signed_in(make_client, trust.staff), word, data)
    page = text(response)
    assert response.status_code == 422 and message in page
    assert f'id="{field}-error"' in page and f'href="#{field}"' in page
    assert count_requests() == 0


def test_an_over_long_reason_is_refused_and_nothing_changes(make_client, trust):
    staff, manager = signed_in(make_client, trust.staff), signed_in(make_client, trust.manager)
    request_id = made(staff, "business-use", BUSINESS_USE)
    response = act(manager, request_id, "decline", {"decline_reason": "x" * 2001})
    assert response.status_code == 422 and "Reason: at most 2000 characters." in text(response)
    assert state(request_id) is S.submitted and len(events(request_id)) == 1


def test_an_unknown_condition_is_refused(app, make_client, trust):
    staff, manager = signed_in(make_client, trust.staff), signed_in(make_client, trust.manager)
    request_id = made(staff, "business-use", BUSINESS_USE)
    response = act(manager, request_id, "approve", {"expires_on": "2027-08-31", "condition_flags": ["anything_goes"]})
    assert response.status_code == 422 and state(request_id) is S.submitted


def test_an_approval_date_must_be_a_real_date(make_client, trust):
    staff, manager = signed_in(make_client, trust.staff), signed_in(make_client, trust.manager)
    request_id = made(staff, "business-use", BUSINESS_USE)
    response = act(manager, request_id, "approve", {"expires_on": "31/02/2027"})
    assert response.status_code == 422
    assert "Review or expiry date: give a date as day, month and year." in text(response)
    assert state(request_id) is S.submitted
