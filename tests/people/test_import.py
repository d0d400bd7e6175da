"""Staff import: every row checked first, nothing half saved, nobody deleted (CLI and admin page)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from markupsafe import escape
from sqlalchemy import event, func, select

from lms.extensions import db
from lms.models import (
    Attempt,
    ImportRun,
    Module,
    ModuleProgress,
    Person,
    PersonRole,
    Role,
    StaffType,
    Unit,
    UnitKind,
)
from lms.people.importer import check_rows, read_staff_csv
from tests.training.helpers import start

HEADER = "email,first name,last name,staff type,unit,role,line manager email,start date,active"
CEO = "ceo@trust.org,Kiran,Rahman,employee,Central Team,ceo,,2020-01-06,yes"
HEAD = "head@oak.org,Alex,Morgan,employee,Oakfield Primary,headteacher,ceo@trust.org,01/09/2021,"
TEACHER = "teacher@oak.org,Jo,Shah,employee,Oakfield Primary,,head@oak.org,2024-09-02,"
AGENCY = "supply@oak.org,Isla,Hughes,agency worker,Oakfield Primary,,head@oak.org,,active"
ADMIN = "admin@trust.org,Nadia,Doyle,employee,Central Team,admin|trust lead,ceo@trust.org,,"


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def text(response) -> str:
    return response.get_data(as_text=True)


def counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Person, PersonRole, Unit, ModuleProgress, ImportRun, Attempt)}


def person(email: str) -> Person | None:
    db.session.expire_all()
    return db.session.scalar(select(Person).where(Person.email == email))


def run_cli(app, tmp_path, data: bytes, *args: str):
    path = tmp_path / "staff.csv"
    path.write_bytes(data)
    return app.test_cli_runner().invoke(args=["staff", "import", str(path), *args])


def required_slugs(p: Person) -> set[str]:
    return set(db.session.scalars(
        select(Module.slug).join(ModuleProgress, ModuleProgress.module_id == Module.id)
        .where(ModuleProgress.person_id == p.id, ModuleProgress.required)))


def upload(client, data: bytes, full: bool = False, filename: str = "staff.csv"):
    client.get("/people/import")
    form = {"file": (io.BytesIO(data), filename)}
    if full:
        form["full"] = "y"
    return client.post("/people/import", form, content_type="multipart/form-data")


# --- reading and checking (no database) ----------------------------------------------------

def problems_of(data: bytes, known: dict | None = None) -> list[str]:
    return [str(p) for p in check_rows(read_staff_csv(data), known or {}).problems]


def test_a_clean_file_becomes_row_specs():
    checked = check_rows(read_staff_csv(csv_bytes(CEO, HEAD, TEACHER)), {})
    assert not checked.problems
    head = checked.rows[1]
    assert (head.row, head.email, head.roles, head.line_manager_email, head.start_date, head.active) == (
        3, "head@oak.org", frozenset({Role.headteacher}), "ceo@trust.org", date(2021, 9, 1), True)


@pytest.mark.parametrize("header", [
    "E-mail,Legal Forename,Legal Surname,Contract Type,Establishment,System Role,Reports To,Employment Start,Status",
    "EMAIL_ADDRESS,forename,SURNAME,employment-type,School,roles,Manager Email,Date Started,Current",
    "Work Email,Preferred Forename,Family Name,Staff Category,Base,Role,Line Manager,Start Date,Active",
    "school email,given name,last_name,staff_type,unit,role,line manager email,start date,active",
])
def test_common_mis_header_spellings_are_understood(header):
    table = read_staff_csv(csv_bytes(CEO, HEAD, header=header))
    assert not table.problems and set(table.columns) == {
        "email", "first_name", "last_name", "staff_type", "unit", "roles", "line_manager", "start_date", "active"}


@pytest.mark.parametrize("value, expected", [
    ("employee", StaffType.employee), ("Permanent", StaffType.employee), ("fixed-term", StaffType.employee),
    ("consultant", StaffType.consultant), ("Volunteer", StaffType.volunteer), ("voluntary", StaffType.volunteer),
    ("agency worker", StaffType.agency_worker), ("agency_worker", StaffType.agency_worker),
    ("Agency", StaffType.agency_worker), ("Supply (Agency)", StaffType.agency_worker),
])
def test_staff_type_spellings(value, expected):
    checked = check_rows(read_staff_csv(csv_bytes(f"a@x.org,A,B,{value},Oak,,,,")), {})
    assert checked.rows[0].staff_type is expected


def test_bom_and_semicolons_as_excel_saves_them():
    data = "\ufeff" + HEADER.replace(",", ";") + "\n" + CEO.replace(",", ";") + "\n"
    checked = check_rows(read_staff_csv(data.encode()), {})
    assert not checked.problems and checked.rows[0].email == "ceo@trust.org"


@pytest.mark.parametrize("data, message", [
    (b"", "file: the file is empty."),
    (b"  \n\n", "file: the file is empty."),
    (HEADER.encode() + b"\n", "file: the file has a header row but no staff rows."),
    ("email,first name,last name,staff type,unit\nzoë@x.org,Zoë,Brontë,employee,Oak\n".encode("latin-1"),
     "file: the file is not UTF-8 text"),
    ("email,first name\n".encode("utf-16"), "file: the file is UTF-16 text"),
    (b"email,first name,unit\na@x.org,A,Oak\n", "row 1: no last name column (a header named one of: last name, surname"),
    (b"email,forename,first name,last name,staff type,unit\n",
     "row 1, column 'first name': this column and column 'forename' both give first name"),
    (b'email,first name,last name,staff type,unit\n"a@x.org"x,A,B,employee,Oak\n', "row 2: this line cannot be read as CSV"),
])
def test_file_level_problems_are_clear(data, message):
    found = problems_of(data)
    assert any(p.startswith(message) for p in found), found


def test_unknown_columns_are_ignored_and_listed():
    table = read_staff_csv(csv_bytes(CEO + ",Teacher,", header=HEADER + ",Job Title,"))
    assert table.ignored == ("Job Title",) and not table.problems


# Each bad row, the column it is reported in, and what the message says.
BAD_ROWS = [
    ("not-an-email,A,B,employee,Oak,,,,", "email", "'not-an-email' is not a valid email address"),
    (",A,B,employee,Oak,,,,", "email", "is empty"),
    ("ceo@trust.org,Dup,Licate,employee,Oak,,,,", "email", "ceo@trust.org is also on row 2"),
    ("b@x.org,,B,employee,Oak,,,,", "first name", "is empty"),
    ("c@x.org,C," + "L" * 81 + ",employee,Oak,,,,", "last name", "is 81 characters long; a last name may have at most 80"),
    ("d@x.org,D\x07,D,employee,Oak,,,,", "first name", "contains a control or formatting character"),
    ("e@x.org,E,E\u202eevil,employee,Oak,,,,", "last name", "contains a control or formatting character"),
    ("f@x.org,F,F,contractor,Oak,,,,", "staff type", "'contractor' is not a staff type"),
    ("g@x.org,G,G,,Oak,,,,", "staff type", "is empty"),
    ("h@x.org,H,H,employee,,,,,", "unit", "is empty"),
    ("i@x.org,I,I,employee," + "U" * 121 + ",,,,", "unit", "a unit name may have at most 120"),
    ("j@x.org,J,J,employee,Oak,Teacher,,,", "role", "'Teacher' is not a role here"),
    ("k@x.org,K,K,employee,Oak,,Jo Shah,,", "line manager email", "'Jo Shah' is not an email address"),
    ("l@x.org,L,L,employee,Oak,,l@x.org,,", "line manager email", "is the person themself"),
    ("q@x.org,Q,Q,employee,Oak,,nobody@x.org,,", "line manager email", "nobody@x.org is not in this file or in the system"),
    ("m@x.org,M,M,employee,Oak,,,09/31/2024,", "start date", "'09/31/2024' is not a date that exists"),
    ("n@x.org,N,N,employee,Oak,,,Sept 2024,", "start date", "write it as YYYY-MM-DD or DD/MM/YYYY"),
    ("o@x.org,O,O,employee,Oak,,,,maybe", "active", "'maybe' is not yes or no"),
    ("p@x.org,P,P,employee,Oak,,,,,surplus", None, "this row has 10 cells but the header has 9"),
]


@pytest.mark.parametrize("line, column, message", BAD_ROWS, ids=[m for _, _, m in BAD_ROWS])
def test_each_bad_row_names_its_row_and_column(line, column, message):
    found = problems_of(csv_bytes(CEO, line))
    where = "row 3" + (f", column '{column}'" if column else "")
    assert any(p.startswith(where + ": ") and message in p for p in found), found


def test_line_managers_must_exist_and_never_loop():
    found = problems_of(csv_bytes("a@x.org,A,A,employee,Oak,,nobody@x.org,,"))
    assert found == ["row 2, column 'line manager email': nobody@x.org is not in this file or in the system; "
                     "add the line manager to the file, or leave the cell blank."]
    assert not problems_of(csv_bytes("a@x.org,A,A,employee,Oak,,boss@x.org,,"), {"boss@x.org": None})
    loop = problems_of(csv_bytes("a@x.org,A,A,employee,Oak,,b@x.org,,", "b@x.org,B,B,employee,Oak,,c@x.org,,",
                                 "c@x.org,C,C,employee,Oak,,a@x.org,,", "d@x.org,D,D,employee,Oak,,a@x.org,,"))
    assert loop == ["row 2, column 'line manager email': line managers go round in a loop: "
                    "a@x.org → b@x.org → c@x.org → a@x.org; someone in the loop must report to someone outside it."]
    # A loop through someone already in the system, whose manager the file does not change.
    assert "loop" in problems_of(csv_bytes("a@x.org,A,A,employee,Oak,,boss@x.org,,"), {"boss@x.org": "a@x.org"})[0]


def test_hostile_text_in_messages_is_shortened_and_control_characters_shown_escaped():
    found = problems_of(csv_bytes("x@x.org,X,X,\x1b[31m" + "z" * 500 + ",Oak,,,,"))
    assert len(found) == 1 and "\\u001b[31mzzz" in found[0] and "\x1b" not in found[0] and len(found[0]) < 200


# --- saving (SQLite and PostgreSQL) --------------------------------------------------------

def test_a_clean_import_creates_people_roles_managers_units_and_requirements(app, tmp_path, content):
    result = run_cli(app, tmp_path, csv_bytes(CEO, HEAD, TEACHER, AGENCY, ADMIN))
    assert result.exit_code == 0, result.output
    assert "Imported 5 rows: 5 created, 0 updated, 0 deactivated." in result.output
    assert "New units: Central Team, Oakfield Primary." in result.output

    head, teacher, admin = person("head@oak.org"), person("teacher@oak.org"), person("admin@trust.org")
    assert head.role_set == {Role.headteacher} and admin.role_set == {Role.admin, Role.trust_lead}
    assert teacher.line_manager == head and head.line_manager.email == "ceo@trust.org"
    assert teacher.start_date == date(2024, 9, 2) and head.start_date == date(2021, 9, 1)
    assert person("supply@oak.org").staff_type is StaffType.agency_worker
    assert teacher.active and teacher.password_hash is None  # an admin sets a password later
    kinds = dict(db.session.execute(select(Unit.name, Unit.kind)).all())
    assert kinds == {"Central Team": UnitKind.central, "Oakfield Primary": UnitKind.school}
    assert required_slugs(teacher) == {"core-social-media"}
    run = db.session.scalar(select(ImportRun))
    assert (run.rows, run.created, run.updated, run.deactivated, run.full, run.started_by_id) == (5, 5, 0, 0, False, None)
    assert run.source == "cli: staff.csv"


def test_re_import_updates_by_email_without_duplicating(app, tmp_path, people):
    existing = people.person(email="Teacher@Oak.org", roles=(Role.headteacher,))
    old_hash = existing.password_hash
    assert run_cli(app, tmp_path, csv_bytes(CEO, HEAD, TEACHER)).exit_code == 0
    before = counts()
    teacher = person("teacher@oak.org")
    assert teacher.id == existing.id and teacher.first_name == "Jo" and teacher.password_hash == old_hash
    assert teacher.role_set == frozenset()  # exactly the roles the file gives

    changed = TEACHER.replace("Jo,Shah", "Joanna,Shah-Price").replace(",,head@oak.org", ",trust lead,head@oak.org")
    result = run_cli(app, tmp_path, csv_bytes(CEO, HEAD, changed))
    assert "Imported 3 rows: 0 created, 1 updated, 0 deactivated." in result.output
    assert "2 already up to date." in result.output
    assert counts() == {**before, "PersonRole": before["PersonRole"] + 1, "ImportRun": before["ImportRun"] + 1}
    teacher = person("teacher@oak.org")
    assert (teacher.first_name, teacher.last_name, teacher.role_set) == ("Joanna", "Shah-Price", {Role.trust_lead})


def test_a_file_without_optional_columns_leaves_them_alone(app, tmp_path):
    assert run_cli(app, tmp_path, csv_bytes(CEO, HEAD, TEACHER)).exit_code == 0
    slim = "Email,Forename,Surname,Contract Type,School\nteacher@oak.org,Jo,Shah,Permanent,Oakfield Primary\n"
    result = run_cli(app, tmp_path, slim.encode())
    assert result.exit_code == 0 and "0 updated" in result.output
    teacher, head = person("teacher@oak.org"), person("head@oak.org")
    assert teacher.line_manager_id == head.id and teacher.start_date == date(2024, 9, 2)
    assert head.role_set == {Role.headteacher} and head.active  # not a full import


def test_mis_export_with_its_own_spellings_imports(app, tmp_path):
    data = ("\ufeffE-mail;Legal Forename;Legal Surname;Contract Type;Establishment;Reports To;Employment Start;Status;Post\n"
            "ceo@trust.org;Kiran;Rahman;Permanent;Central Team;;06/01/2020;Current;CEO\n"
            "supply@oak.org;Isla;Hughes;Supply (Agency);Oakfield Primary;ceo@trust.org;2024-09-02;Left;Teacher\n")
    result = run_cli(app, tmp_path, data.encode())
    assert result.exit_code == 0, result.output
    assert "Columns ignored (not used by the import): Post." in result.output
    supply = person("supply@oak.org")
    assert supply.staff_type is StaffType.agency_worker and not supply.active
    assert person("ceo@trust.org").start_date == date(2020, 1, 6)


def test_bad_rows_change_nothing_and_every_problem_is_reported(app, tmp_path, people, content):
    people.person(email="ceo@trust.org")
    assert run_cli(app, tmp_path, csv_bytes(CEO, HEAD)).exit_code == 0
    before = counts()
    result = run_cli(app, tmp_path, csv_bytes(CEO, HEAD, TEACHER, *[line for line, _, _ in BAD_ROWS]))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == f"{len(BAD_ROWS)} problem(s); nothing was imported."
    for row, (_, column, message) in enumerate(BAD_ROWS, start=5):
        where = f"row {row}" + (f", column '{column}'" if column else "")
        assert any(line.startswith(where + ": ") and message in line for line in lines), (where, message)
    assert counts() == before
    assert person("teacher@oak.org") is None


def test_an_unknown_line_manager_changes_nothing(app, tmp_path, people):
    people.person(email="ceo@trust.org")
    before = counts()
    result = run_cli(app, tmp_path, csv_bytes(HEAD.replace("ceo@trust.org", "ceo@elsewhere.org")))
    assert result.exit_code == 1
    assert "row 2, column 'line manager email': ceo@elsewhere.org is not in this file or in the system" in result.output
    assert "1 problem(s); nothing was imported." in result.output
    assert counts() == before


def test_a_manager_already_in_the_system_is_found(app, tmp_path, people):
    boss = people.person(email="Boss@Trust.org")
    result = run_cli(app, tmp_path, csv_bytes("a@x.org,A,A,employee,Oak,,boss@trust.org,,"))
    assert result.exit_code == 0, result.output
    assert person("a@x.org").line_manager_id == boss.id


def test_full_import_deactivates_the_missing_who_keep_their_records(app, tmp_path, client, make_client, people,
                                                                     content):
    leaver = people.person(email="leaver@oak.org")
    client.login(leaver.email)
    attempt_id = start(client)
    assert run_cli(app, tmp_path, csv_bytes(CEO, HEAD)).exit_code == 0
    assert person("leaver@oak.org").active  # not a full import

    result = run_cli(app, tmp_path, csv_bytes(CEO, HEAD, TEACHER), "--full")
    assert "Imported 3 rows: 1 created, 0 updated, 1 deactivated." in result.output
    leaver = person("leaver@oak.org")
    assert leaver is not None and not leaver.active
    assert db.session.get(Attempt, attempt_id).person_id == leaver.id
    progress = db.session.scalar(select(ModuleProgress).where(ModuleProgress.person_id == leaver.id))
    assert progress is not None and not progress.required  # kept, no longer required
    assert db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc())).full is True
    assert "do not match an account" in text(make_client().login(leaver.email))

    again = run_cli(app, tmp_path, csv_bytes(CEO, HEAD, TEACHER, "leaver@oak.org,Lee,Ver,employee,Oak,,,,yes"))
    assert "1 updated" in again.output and "1 inactive people were made active again." in again.output
    assert person("leaver@oak.org").active


def test_active_no_deactivates(app, tmp_path, content):
    assert run_cli(app, tmp_path, csv_bytes(CEO, HEAD, TEACHER)).exit_code == 0
    result = run_cli(app, tmp_path, csv_bytes(CEO, HEAD, TEACHER.rstrip(",") + ",left"))
    assert "Imported 3 rows: 0 created, 0 updated, 1 deactivated." in result.output
    teacher = person("teacher@oak.org")
    assert not teacher.active and required_slugs(teacher) == set()


def test_cli_exit_codes(app, tmp_path):
    assert run_cli(app, tmp_path, b"").exit_code == 1
    missing = app.test_cli_runner().invoke(args=["staff", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    ok = run_cli(app, tmp_path, csv_bytes(CEO))
    assert ok.exit_code == 0 and ok.stdout.startswith("Imported 1 rows")


def test_import_uses_a_fixed_number_of_statements(app, tmp_path, content):
    """No per-row queries: 40 rows or 1,200, the import needs about the same statements."""
    def statements(n: int, offset: int) -> int:
        lines = [f"p{i}@x.org,P{i},Q{i},employee,School {i % 7},,{'' if i == offset else f'p{offset}@x.org'},,"
                 for i in range(offset, offset + n)]
        seen = []
        listen = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert run_cli(app, tmp_path, csv_bytes(*lines)).exit_code == 0
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        return len(seen)
    small, large = statements(40, 0), statements(1200, 100)
    assert large <= small + 20, (small, large)  # batched inserts may add a few round trips
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1240


# --- the admin page ------------------------------------------------------------------------

@pytest.fixture
def admin(people):
    return people.person(email="admin@trust.org", roles=(Role.admin,),
                         unit=people.unit("Central Team", UnitKind.central))


def test_only_admins_see_the_import_page(client, make_client, people, admin):
    anonymous = make_client().get("/people/import")
    assert anonymous.status_code == 302 and anonymous.location.startswith("/login")
    other = make_client()
    other.login(people.person(roles=(Role.trust_lead, Role.headteacher)).email)
    assert other.get("/people/import").status_code == 403
    assert "Staff import" not in text(other.get("/"))
    client.login(admin.email)
    page = client.get("/people/import")
    assert page.status_code == 200 and "Staff import" in text(page)
    assert "legal forename" in text(page) and "supply (agency)" in text(page)


def test_anonymous_and_non_admin_posts_import_nothing(make_client, people, admin):
    anonymous = make_client()
    response = upload(anonymous, csv_bytes(CEO))
    assert response.status_code == 302 and response.location.startswith("/login")
    staff = make_client()
    staff.login(people.person().email)
    assert upload(staff, csv_bytes(CEO)).status_code == 403
    assert person("ceo@trust.org") is None
    assert db.session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_admin_uploads_a_file_and_sees_a_summary(client, admin, content):
    client.login(admin.email)
    response = upload(client, csv_bytes(CEO, HEAD, TEACHER, ADMIN))
    assert response.status_code == 302 and response.location == "/people/import"
    page = text(client.get("/people/import"))
    assert "Imported 4 rows: 3 created, 1 updated, 0 deactivated." in page
    assert person("teacher@oak.org").line_manager.email == "head@oak.org"
    run = db.session.scalar(select(ImportRun))
    assert run.started_by_id == admin.id and run.source == "upload: staff.csv"


def test_upload_with_problems_lists_them_escaped_and_changes_nothing(client, admin):
    client.login(admin.email)
    before = counts()
    response = upload(client, csv_bytes(CEO, "bad@x.org,<script>alert(1)</script>,B,<b>boss</b>,Oak,,,,"))
    assert response.status_code == 422
    page = text(response)
    assert "1 problem; nothing was imported" in page
    assert str(escape("row 3, column 'staff type': '<b>boss</b>' is not a staff type")) in page
    assert "<b>boss</b>" not in page and "<script>" not in page
    assert counts() == before


def test_upload_form_errors(client, admin):
    client.login(admin.email)
    client.get("/people/import")
    missing = client.post("/people/import", {}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "Choose a CSV file to upload." in text(missing)
    wrong = upload(client, b"%PDF-1.4", filename="staff.pdf")
    assert wrong.status_code == 422 and "Upload a .csv file" in text(wrong)
    nocsrf = client.raw.post("/people/import", data={"file": (io.BytesIO(csv_bytes(CEO)), "staff.csv")},
                             content_type="multipart/form-data")
    assert nocsrf.status_code == 400
    assert person("ceo@trust.org") is None


def test_a_file_over_the_limit_gets_a_clear_answer(app, client, admin):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    client.login(admin.email)
    response = upload(client, csv_bytes(*[f"p{i}@x.org,P,Q,employee,Oak,,,," for i in range(3000)]))
    assert response.status_code == 413
    assert "the file is larger than 64 KB" in text(response) and "staff import FILE.csv" in text(response)
    assert person("p1@x.org") is None


def test_a_full_upload_never_deactivates_the_admin_running_it(client, admin):
    client.login(admin.email)
    response = upload(client, csv_bytes(CEO, "admin@trust.org,Nadia,Doyle,employee,Central Team,,,,no"), full=True)
    assert response.status_code == 302
    page = text(client.get("/people/import"))
    assert "your own account (admin@trust.org) was left active" in page
    assert "you kept your own admin role" in page
    me = person("admin@trust.org")
    assert me.active and me.has_role(Role.admin)


def test_hostile_values_are_stored_as_text_and_shown_escaped(client, admin, tmp_path, app):
    client.login(admin.email)
    name = '<script>alert("x")</script>'
    response = upload(client, csv_bytes(f'evil@x.org,"{name.replace(chr(34), chr(34) * 2)}",O\'Brien,employee,<i>Oak</i>,,,,'))
    assert response.status_code == 302
    stored = person("evil@x.org")
    assert stored.first_name == name and stored.unit.name == "<i>Oak</i>"
    page = text(client.get("/people/import"))
    assert "<i>Oak</i>" not in page and str(escape("<i>Oak</i>")) in page  # named in "New units"
    for hostile in ("a@x.org,\x00,B,employee,Oak,,,,", "a@x.org,A,B,employee,Oak,,,," + "x" * 200_000):
        response = upload(client, csv_bytes(hostile))
        assert response.status_code == 422, hostile[:20]
