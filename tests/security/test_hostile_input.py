"""Hostile input through every form field (issue 7): stored safely or refused clearly, never a 500.

Every FlaskForm subclass in lms/ is found by walking the classes; TARGETS says how each is
reached (who signs in, which URL, what a valid submission is, where a stored value is shown).
A form that appears without a target fails `test_every_form_can_be_reached`, naming it.

For each form, each corpus entry (tests/security/hostile.py) is sent through each field in turn,
the other fields valid, and the answer must be one of:
- stored: then every page that shows the value shows it HTML-escaped, and a value the forms
  must refuse (control characters) was not stored;
- refused: a 200/400/413/422 page saying what was wrong at the field (or a flash after a
  redirect), and for control characters the PlainText message itself;
and never a 500, never the entry's markup unescaped in any page.
"""

from __future__ import annotations

import contextvars
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from argon2 import PasswordHasher
from flask import current_app
from markupsafe import escape
from sqlalchemy import delete, func, select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from lms.approvals import service as approvals
from lms.auth import passwords
from lms.auth.tokens import make_reset_token
from lms.clock import today
from lms.content import clauses as training_clauses
from lms.extensions import db, limiter
from lms.models import (
    Answer,
    ApiToken,
    Attempt,
    AttemptState,
    Contest,
    Delegation,
    ImportRun,
    Person,
    Request,
    RequestState,
    Role,
    UnitKind,
)
from lms.records.settings import RecordSettings
from lms.training import service as training
from tests.conftest import PASSWORD
from tests.security.discover import FieldInfo, fields_of, form_classes
from tests.security.hostile import CORPUS, Hostile

# Forms with no field a person fills in: nothing to send through them.
NO_FIELDS = {"EmptyForm": "a CSRF token only, for buttons", "RequestForm": "the base of the request forms"}

REFUSED_STATUSES = {200, 400, 413, 422}
ERROR_MARKERS = ('class="field-errors"', 'class="error-summary"', 'class="flash flash-error"')
PLAIN_TEXT_MESSAGES = ("it cannot be saved.", "keep this on one line;")


def text(response) -> str:
    return response.get_data(as_text=True)


def fresh(model) -> int:
    """Rows of a model as the database holds them now (other requests wrote them in their own sessions)."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# --- who is who, and their browsers -------------------------------------------------------

class World:
    """A small trust, a browser per role (signed in once), and the objects a form acts on."""

    def __init__(self, people, make_client, request) -> None:
        self._make_client = make_client
        self._request = request
        oak = people.unit("Oakfield Primary", UnitKind.school)
        central = people.unit("Central Team", UnitKind.central)
        self.ceo = people.person(unit=central, roles=(Role.ceo,), email="ceo@example.org")
        self.lead = people.person(unit=central, roles=(Role.trust_lead,), manager=self.ceo, email="lead@example.org")
        self.admin = people.person(unit=central, roles=(Role.admin,), manager=self.ceo, email="admin@example.org")
        self.head = people.person(unit=oak, roles=(Role.headteacher,), manager=self.ceo, email="head@example.org")
        self.manager = people.person(unit=oak, manager=self.head, email="manager@example.org")
        self.staff = people.person(unit=oak, manager=self.manager, email="staff@example.org")
        self.colleague = people.person(unit=oak, manager=self.manager, email="colleague@example.org")
        self.ids = {name: getattr(self, name).id for name in ("ceo", "lead", "admin", "head", "manager", "staff",
                                                               "colleague")}
        self.clients: dict[str, object] = {}
        self.attempt_id: int | None = None
        self.password = PASSWORD  # the staff member's, as changed by ChangePasswordForm
        self.sent = ""  # the hostile text of the submission being prepared, as the server decodes it

    def person(self, role: str) -> Person:
        db.session.rollback()
        return db.session.get(Person, self.ids[role])

    def client(self, role: str):
        if role not in self.clients:
            client = self._make_client()
            if role == "anonymous":
                client.get("/login")
            else:
                client.login(f"{role}@example.org", self.password if role == "staff" else PASSWORD)
            self.clients[role] = client
        return self.clients[role]

    def forget(self, role: str) -> None:
        """After a sign-in, or anything else that changes the browser's session: start a new browser."""
        self.clients.pop(role, None)

    def content(self) -> None:
        self._request.getfixturevalue("content")

    # Requests in the state a decision needs, made through the service (the pages are tested elsewhere).
    def business_use(self, state: RequestState = RequestState.submitted) -> Request:
        staff, manager = self.person("staff"), self.person("manager")  # read first: person() rolls back
        req = approvals.submit_business_use(
            db.session, staff, accounts="@OakfieldPrimary", platforms=["facebook"],
            purpose="School news.", starts_on=today(), ends_on=None, settings=RecordSettings())
        if state is RequestState.approved:
            approvals.approve(db.session, req, manager, RecordSettings(), expires_on=today() + timedelta(days=100))
        db.session.commit()
        return req

    def media_enquiry(self, state: RequestState = RequestState.submitted) -> Request:
        staff, head = self.person("staff"), self.person("head")
        req = approvals.submit_media_enquiry(db.session, staff, enquirer="A Reporter",
                                             outlet="Gazette", question="Is it true?", deadline=None)
        if state is RequestState.approved:
            approvals.approve(db.session, req, head, RecordSettings(), approved_response="No comment.")
        db.session.commit()
        return req

    def misuse_report(self) -> Request:
        req = approvals.submit_misuse_report(db.session, self.person("staff"), recipient="headteacher",
                                             link=None, description="A post naming a pupil.", withhold_name=False)
        db.session.commit()
        return req

    def attempt(self) -> Attempt:
        """The staff member's attempt in progress, started (again) when there is none."""
        self.content()
        db.session.rollback()
        attempt = db.session.get(Attempt, self.attempt_id) if self.attempt_id else None
        if attempt is None or attempt.state != AttemptState.in_progress:
            version = training.current_version(db.session, "core-social-media")
            attempt = training.start_or_resume(db.session, self.person("staff"), version)
            db.session.commit()
            self.attempt_id = attempt.id
        return attempt


# --- how each form is reached ------------------------------------------------------------

@dataclass
class Post:
    """One submission prepared for one field: where it goes, who sends it, and how to tell it was stored."""

    role: str
    url: str
    stored: Callable[[object], bool]  # given the response
    shown: Callable[[], list[tuple[str, str]]] = list  # (role, url) of the pages showing what was stored
    after: Callable[[], None] | None = None  # undo a stored value that would stop the next one (a unique row)


@dataclass
class Target:
    valid: Callable[[World], dict]
    prepare: Callable[[World, str], Post]
    display: Callable[[str], str | None] | None = str.strip  # how a stored value is shown; None: nowhere
    multipart: bool = False
    mirror: dict[str, str] = field(default_factory=dict)  # a field sent with another's value (a confirmation)


def counted(model, role: str, url: str, shown: Callable[[], list[tuple[str, str]]] = list,
            after: Callable[[], None] | None = None) -> Post:
    before = fresh(model)
    return Post(role, url, stored=lambda _r: fresh(model) > before, shown=shown, after=after)


def newest_request() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.max(Request.id)))


def new_request(word: str) -> Callable[[World, str], Post]:
    def prepare(w: World, _field: str) -> Post:
        approver = "manager" if word == "business-use" else "head"
        return counted(Request, "staff", f"/requests/new/{word}",
                       shown=lambda: [("staff", f"/requests/{newest_request()}"), (approver, "/requests/")])
    return prepare


def decision(action: str, make: Callable[[World, str], Request], role: str) -> Callable[[World, str], Post]:
    def prepare(w: World, name: str) -> Post:
        req = make(w, name)
        seen = req.state

        def stored(_response) -> bool:
            db.session.rollback()
            return db.session.get(Request, req.id).state != seen

        detail = f"/requests/{req.id}"
        return Post(role, f"/requests/{req.id}/{action}", stored,
                    shown=lambda: [("staff", detail), (role if role != "staff" else "manager", detail)])
    return prepare


def answer_post(w: World, _field: str) -> Post:
    attempt = w.attempt()
    position = training.next_position(db.session, attempt)
    if position is None:  # every scenario answered by earlier successes: finish it and start again
        training.finish_attempt(db.session, attempt, RecordSettings())
        db.session.commit()
        attempt = w.attempt()
        position = training.next_position(db.session, attempt)
    return counted(Answer, "staff", f"/attempts/{attempt.id}/q/{position}")


def answer_valid(w: World) -> dict:
    attempt = w.attempt()
    clause = training_clauses.pickable(db.session, attempt.policy_version)[0].number
    return {"verdict": "breach", "clause": clause, "sure": "sure"}


def contest_post(w: World, _field: str) -> Post:
    attempt = w.attempt()
    if training.answer_for(db.session, attempt, attempt.items[0].scenario_id) is None:
        training.record_answer(db.session, attempt, 1, "compliant", None, True)
        db.session.commit()

    def forget_contests() -> None:  # one contest per scenario and attempt: clear it for the next entry
        db.session.rollback()
        db.session.execute(delete(Contest))
        db.session.commit()

    return counted(Contest, "staff", f"/attempts/{attempt.id}/q/1/contest", after=forget_contests,
                   shown=lambda: [("staff", f"/attempts/{attempt.id}/q/1"), ("lead", "/library/contests")])


def token_post(w: World, _field: str) -> Post:
    def forget_tokens() -> None:  # at most ten active tokens each
        db.session.rollback()
        db.session.execute(delete(ApiToken))
        db.session.commit()

    return counted(ApiToken, "lead", "/account/tokens", shown=lambda: [("lead", "/account/tokens")],
                   after=forget_tokens)


def delegate_post(w: World, _field: str) -> Post:
    def forget_delegations() -> None:
        db.session.rollback()
        db.session.execute(delete(Delegation))
        db.session.commit()

    return counted(Delegation, "manager", "/requests/delegate", shown=lambda: [("manager", "/requests/delegate")],
                   after=forget_delegations)


def login_post(w: World, _field: str) -> Post:
    limiter.reset()  # this test sends far more than the sign-in limits allow; they are tested elsewhere

    def signed_in(response) -> bool:
        if response.status_code == 302:
            w.forget("anonymous")  # that browser is now signed in
            return True
        return False

    return Post("anonymous", "/login", signed_in)


def two_factor_code_post(w: World, _field: str) -> Post:
    limiter.reset()  # a wrong code counts against a limit (tests/auth/test_two_factor.py tests it)
    return Post("admin", "/account/two-factor", stored=lambda _response: False)  # a code is never stored


def recovery_code_post(w: World, _field: str) -> Post:
    limiter.reset()
    w.client("admin")  # signed in once, so the admin has an app set up and the code page is theirs
    w.forget("anonymous")
    half = w.client("anonymous")
    half.post("/login", {"email": "admin@example.org", "password": PASSWORD})  # half signed in
    half.get("/login/code")  # the code page's form token
    return Post("anonymous", "/login/code", stored=lambda _response: False)


def import_post(w: World, _field: str) -> Post:
    return counted(ImportRun, "admin", "/people/import", shown=lambda: [("admin", "/people/import")])


def import_valid(_w: World) -> dict:
    staff_csv = (b"email,first name,last name,staff type,unit,role\n"
                 b"admin@example.org,Nadia,Doyle,employee,Central Team,admin\n")
    return {"file": (io.BytesIO(staff_csv), "staff.csv"), "full": ""}


def request_made(make: str) -> Callable[[World, str], Request]:
    return lambda w, _name: getattr(w, make)()


def approve_request(w: World, name: str) -> Request:
    # The approved response is asked of a media enquiry; the other fields of a business use.
    return w.media_enquiry() if name == "approved_response" else w.business_use()


def approve_valid(w: World) -> dict:
    return {"conditions": "Only school news.", "condition_flags": ["no_pupil_names"],
            "expires_on": (today() + timedelta(days=200)).isoformat(), "approved_response": "We do not comment.",
            "approve_note": "Fine."}


def approve_post(w: World, name: str) -> Post:
    role = "head" if name == "approved_response" else "manager"
    return decision("approve", approve_request, role)(w, name)


STRONG = "an-unusual-passphrase-for-tests-41"


def reset_request_post(w: World, _field: str) -> Post:
    limiter.reset()
    # The same answer for every address (no account is revealed); what was typed is repeated in the flash.
    return Post("anonymous", "/password/reset", stored=lambda response: response.status_code == 302,
                shown=lambda: [("anonymous", "/login")])


def new_password_post(w: World, _field: str) -> Post:
    token = make_reset_token(current_app.config["SECRET_KEY"], w.person("staff"))

    def stored(response) -> bool:
        if response.status_code == 302:
            w.forget("anonymous")  # a reset ends the browser's session
            return True
        return False

    return Post("anonymous", f"/password/reset/{token}", stored)


def change_password_post(w: World, name: str) -> Post:
    limiter.reset()
    becomes = w.sent if name == "password" else STRONG

    def stored(response) -> bool:
        if response.status_code == 302:
            w.password = becomes
            w.forget("staff")  # the session was renewed with the new password: sign in again
            return True
        return False

    return Post("staff", "/account/password", stored)


DAY = timedelta(days=1)

TARGETS: dict[str, Target] = {
    "LoginForm": Target(lambda w: {"email": "staff@example.org", "password": PASSWORD}, login_post, display=None),
    "ResetRequestForm": Target(lambda w: {"email": "staff@example.org"}, reset_request_post,
                               display=lambda v: v.strip().lower()),
    "NewPasswordForm": Target(lambda w: {"password": STRONG, "confirm": STRONG}, new_password_post, display=None,
                              mirror={"password": "confirm"}),
    "ChangePasswordForm": Target(lambda w: {"current": w.password, "password": STRONG, "confirm": STRONG},
                                 change_password_post, display=None, mirror={"password": "confirm"}),
    "AnswerForm": Target(answer_valid, answer_post, display=None),
    "ContestForm": Target(lambda w: {"reason": "The clause quoted does not apply here."}, contest_post,
                          display=lambda v: " ".join(v.split())),
    "TokenForm": Target(lambda w: {"name": "Governors' report"}, token_post),
    "BusinessUseForm": Target(
        lambda w: {"accounts": "@OakfieldPrimary", "platforms": ["facebook"], "purpose": "News for parents.",
                   "starts_on": today().isoformat(), "ends_on": (today() + 100 * DAY).isoformat()},
        new_request("business-use")),
    "MediaEnquiryForm": Target(
        lambda w: {"enquirer": "Sam Reporter", "outlet": "Herts Gazette", "question": "Is the nursery closing?",
                   "deadline": (today() + 2 * DAY).isoformat()},
        new_request("media-enquiry")),
    "ReferenceForm": Target(
        lambda w: {"subject_name": "Alex Former", "reference_for": "LinkedIn", "draft": "Reliable."},
        new_request("reference")),
    "MisuseReportForm": Target(
        lambda w: {"recipient": "headteacher", "link": "https://example.com/post/1",
                   "description": "A parent group post naming a pupil.", "withhold_name": ""},
        new_request("misuse-report")),
    "ApproveForm": Target(approve_valid, approve_post),
    "DeclineForm": Target(lambda w: {"decline_reason": "Not now."},
                          decision("decline", request_made("business_use"), "manager")),
    "RevokeForm": Target(lambda w: {"revoke_reason": "Posts named a pupil."},
                         decision("revoke", lambda w, _n: w.business_use(RequestState.approved), "manager")),
    "RequireTrainingForm": Target(lambda w: {"training_note": "Pass the module first."},
                                  decision("require_training", request_made("business_use"), "manager")),
    "WithdrawForm": Target(lambda w: {"withdraw_note": "No longer needed."},
                           decision("withdraw", request_made("business_use"), "staff")),
    "MarkAnsweredForm": Target(lambda w: {"answered_note": "Given by phone."},
                               decision("mark_answered", lambda w, _n: w.media_enquiry(RequestState.approved),
                                        "staff")),
    "CloseForm": Target(lambda w: {"outcome": "Asked the parent to take it down."},
                        decision("close", request_made("misuse_report"), "head")),
    "DelegateForm": Target(
        lambda w: {"email": "colleague@example.org", "starts_on": today().isoformat(),
                   "ends_on": (today() + 7 * DAY).isoformat()},
        delegate_post, display=None),
    "ImportForm": Target(import_valid, import_post, display=None, multipart=True),
    "CodeForm": Target(lambda w: {"code": "000000"}, two_factor_code_post, display=None),
    "RecoveryCodeForm": Target(lambda w: {"recovery_code": "22222-22222"}, recovery_code_post, display=None),
}


# --- sending -----------------------------------------------------------------------------

def send(client, url: str, data: dict, multipart: bool):
    """POST as a browser would, with bytes that need not be valid UTF-8 (a lone surrogate, Latin-1)."""
    if multipart:
        payload = {"csrf_token": client.token, **data}
        return contextvars.Context().run(client.raw.post, url, data=payload, content_type="multipart/form-data")
    pairs = [("csrf_token", client.token)]
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item))
    body = urlencode(pairs).encode("ascii")
    return contextvars.Context().run(client.raw.post, url, data=body,
                                     content_type="application/x-www-form-urlencoded")


def hostile_value(h: Hostile, multipart: bool):
    # A multipart part is text here: the entries sent as bytes go as the text they stand for.
    return h.value if multipart else h.encoded


def as_received(h: Hostile, multipart: bool) -> str:
    """The text the view gets (Werkzeug keeps a percent-escape that is not UTF-8 as it was: "%ED%A0%80")."""
    if multipart:
        return h.value
    builder = EnvironBuilder(method="POST", data=urlencode([("v", h.encoded)]).encode("ascii"),
                             content_type="application/x-www-form-urlencoded")
    return WerkzeugRequest(builder.get_environ()).form["v"]


@dataclass
class Tally:
    inputs: int = 0
    stored: int = 0
    refused: int = 0
    failures: list[str] = field(default_factory=list)


def must_refuse(h: Hostile, info: FieldInfo) -> bool:
    if not info.is_text or info.is_password:
        return False
    one_line = info.field_class.__name__ != "TextAreaField"
    return h.refused is True or (h.refused == "one-line" and one_line)


def try_one(w: World, target: Target, info: FieldInfo, h: Hostile, tally: Tally) -> None:
    where = f"{info.key} <- {h.name}"
    w.sent = as_received(h, target.multipart)
    post = target.prepare(w, info.name)
    client = w.client(post.role)
    value = hostile_value(h, target.multipart)
    data = {**target.valid(w), info.name: value}
    if info.name in target.mirror:
        data[target.mirror[info.name]] = value
    tally.inputs += 1
    try:
        response = send(client, post.url, data, target.multipart)
    except Exception as exc:  # TESTING propagates a server error: it is the 500 this test is about
        db.session.rollback()
        w.forget(post.role)
        tally.failures.append(f"{where}: 500 ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})")
        return
    body = text(response)
    if response.status_code >= 500:
        tally.failures.append(f"{where}: status {response.status_code}")
        return
    if h.markup and h.markup in body:
        tally.failures.append(f"{where}: markup {h.markup!r} unescaped in the response")
    if post.stored(response):
        tally.stored += 1
        if must_refuse(h, info):
            tally.failures.append(f"{where}: stored although it must be refused")
        pages = [text(w.client(role).get(url)) for role, url in post.shown()]
        if h.markup and any(h.markup in page for page in pages):
            tally.failures.append(f"{where}: markup {h.markup!r} unescaped on a page showing it")
        shown = target.display(w.sent) if target.display and info.is_text else None
        if pages and shown and str(escape(shown)) not in "".join(pages):
            tally.failures.append(f"{where}: stored but not shown escaped on {[u for _, u in post.shown()]}")
        if post.after:
            post.after()
        return
    tally.refused += 1
    if response.status_code in (302, 303):
        # Refused after a redirect (post/redirect/get): the next page must say why.
        body = text(client.get(response.location))
        if 'class="flash flash-error"' not in body:
            tally.failures.append(f"{where}: redirected to {response.location} without storing or saying why")
        return
    if response.status_code not in REFUSED_STATUSES:
        tally.failures.append(f"{where}: refused with status {response.status_code}")
    elif response.status_code == 413:
        if "larger than" not in body:
            tally.failures.append(f"{where}: 413 without saying the limit")
    elif not any(marker in body for marker in ERROR_MARKERS):
        tally.failures.append(f"{where}: refused ({response.status_code}) without an error message on the page")
    elif must_refuse(h, info) and not any(m in body for m in PLAIN_TEXT_MESSAGES):
        tally.failures.append(f"{where}: refused, but not with the control-character message")


# --- the tests ---------------------------------------------------------------------------

FORMS = form_classes()
SENT = [form for form in FORMS if form.__name__ not in NO_FIELDS]


def test_every_form_can_be_reached():
    names = {form.__name__ for form in FORMS}
    unknown = sorted(names - set(TARGETS) - set(NO_FIELDS))
    assert not unknown, f"forms this test does not know how to reach (add them to TARGETS): {', '.join(unknown)}"
    assert not set(TARGETS) - names, f"TARGETS names forms that no longer exist: {sorted(set(TARGETS) - names)}"
    assert all(not fields_of(form) for form in FORMS if form.__name__ in NO_FIELDS)


@pytest.fixture
def quick_hashes(monkeypatch):
    """Argon2 at its lowest cost: this test sends thousands of passwords, and what it checks is not the hashing."""
    quick = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", quick)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", quick.hash("not-a-real-password-just-timing"))


@pytest.mark.parametrize("form", SENT, ids=lambda f: f.__name__)
def test_hostile_input_through_every_field(form, people, make_client, request, quick_hashes):
    target = TARGETS.get(form.__name__)
    assert target is not None, f"{form.__name__} has no target"
    people.password_hash = passwords.hash_password(PASSWORD)
    w = World(people, make_client, request)
    tally = Tally()
    started = time.perf_counter()
    for info in fields_of(form):
        for h in CORPUS:
            try_one(w, target, info, h, tally)
    elapsed = time.perf_counter() - started
    print(f"\n{form.__name__}: {len(fields_of(form))} fields x {len(CORPUS)} entries = {tally.inputs} inputs, "
          f"{tally.stored} stored, {tally.refused} refused, {elapsed:.1f}s")
    assert not tally.failures, f"{len(tally.failures)} problems:\n" + "\n".join(tally.failures)
    assert tally.inputs == len(fields_of(form)) * len(CORPUS)
