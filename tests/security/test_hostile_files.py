"""Hostile content in files (issue 7): the staff CSV import, scenario YAML files, and the CSV exports.

- Staff CSV: each corpus entry in each column of an uploaded file is either refused with the row
  and column named, or stored as text and shown escaped; never a 500.
- Scenario files: each entry in each text field is either reported as `file:line: ...` or loaded
  and shown escaped; malformed YAML, a 5 MB file, binary junk, deep nesting and alias bombs are
  reported, never raised.
- CSV exports: every CSV the application writes goes through the formula guard (safe_cell).
"""

from __future__ import annotations

import csv
import io
import random
import re
from dataclasses import dataclass

import pytest
import yaml
from markupsafe import escape
from sqlalchemy import func, select

from lms.clock import today
from lms.config import PROJECT_ROOT
from lms.content.schema import Library, ModuleSpec, PolicySpec, read_library, read_module, read_policy
from lms.content.store import load_library
from lms.extensions import db
from lms.models import ImportRun, Role, UnitKind
from lms.plain_text import first_unsafe
from lms.records.content_updates import after_content_load
from lms.records.settings import RecordSettings
from lms.training.post_display import sentence_case
from tests.conftest import SCENARIOS
from tests.security.hostile import CORPUS, Hostile


def text(response) -> str:
    return response.get_data(as_text=True)


def wire(data: str, h: Hostile) -> bytes:
    """`data` as UTF-8, with the entry's own bytes where it has them (not UTF-8 at all, for some)."""
    encoded = data.encode("utf-8")
    return encoded.replace(h.value.encode("utf-8"), h.wire) if h.wire is not None else encoded


# --- the staff CSV import --------------------------------------------------------------------

ROW = {"email": "new.person@example.org", "first name": "Sam", "last name": "Jones", "staff type": "employee",
       "unit": "Oakfield Primary", "role": "", "line manager email": "head@example.org",
       "start date": "2024-09-02", "active": "yes"}
SHOWN_AS_TYPED = {"first name", "last name", "unit"}  # the columns kept as text and shown on pages


def staff_csv(*rows: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(list(ROW))
    writer.writerows(list(row.values()) for row in rows)
    return out.getvalue()


@pytest.fixture
def importing(people, make_client):
    central = people.unit("Central Team", UnitKind.central)
    oak = people.unit("Oakfield Primary", UnitKind.school)
    admin = people.person(unit=central, roles=(Role.admin,), email="admin@example.org")
    head = people.person(unit=oak, roles=(Role.headteacher,), email="head@example.org")
    admin_client, head_client = make_client(), make_client()
    admin_client.login(admin.email)
    head_client.login(head.email)
    return admin_client, head_client


def upload(client, data: bytes):
    client.get("/people/import")
    return client.post("/people/import", {"file": (io.BytesIO(data), "staff.csv")},
                       content_type="multipart/form-data")


def imports() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ImportRun))


def names_row(body: str, n: int, column: str) -> bool:
    """The refusal page names this row (and its column, when the problem is in one), or the whole file."""
    return (str(escape(f"row {n}, column '{column}'")) in body or re.search(rf"\brow {n}:", body) is not None
            or "file:" in body)


def test_hostile_cells_in_every_column_of_a_staff_csv(importing):
    """Each entry goes into every column at once, one row per column (the other cells valid).

    A refused file must name each refused row and its column; the rows it did not name are sent
    again on their own until they are stored, so every (column, entry) ends stored or refused.
    """
    admin, head = importing
    failures: list[str] = []
    stored = refused = uploads = 0
    for h in CORPUS:
        batches = [[(column, {**ROW, "email": f"p{k}@example.org", column: h.value}) for k, column in enumerate(ROW)]]
        while batches:
            remaining = batches.pop()
            uploads += 1
            where = f"{h.name} in {[c for c, _ in remaining]}"
            before = imports()
            try:
                response = upload(admin, wire(staff_csv(*(row for _, row in remaining)), h))
            except Exception as exc:  # TESTING propagates a server error: the 500 this test is about
                db.session.rollback()
                failures.append(f"{where}: 500 ({type(exc).__name__}: {str(exc).splitlines()[0][:150]})")
                break
            body = text(response)
            if h.markup and h.markup in body:
                failures.append(f"{where}: markup unescaped in the response")
            if response.status_code == 302 and imports() > before:
                stored += len(remaining)
                pages = text(admin.get("/people/import")) + text(head.get("/team"))
                if h.markup and h.markup in pages:
                    failures.append(f"{where}: markup unescaped on the import summary or the team page")
                for column, _ in remaining:
                    if column not in SHOWN_AS_TYPED:
                        continue
                    kept = " ".join(h.value.split()) if column == "unit" else h.value.strip()
                    if first_unsafe(kept) is not None:
                        failures.append(f"{h.name} in {column!r}: a control character was stored")
                    if str(escape(kept)) not in pages:
                        failures.append(f"{h.name} in {column!r}: stored but not shown escaped")
                continue
            if response.status_code == 413 and "larger than" in body:
                if len(remaining) == 1:
                    refused += 1
                else:  # nine megabyte cells make a file over the limit: each row on its own is not
                    batches += [[item] for item in remaining]
                continue
            named = [i for i, (column, _) in enumerate(remaining) if names_row(body, i + 2, column)]
            if response.status_code != 422 or not named:
                failures.append(f"{where}: status {response.status_code}, refused without naming a row and column")
                break
            refused += len(named)
            rest = [item for i, item in enumerate(remaining) if i not in named]
            if rest:
                batches.append(rest)
    print(f"\nstaff CSV: {len(CORPUS)} entries x {len(ROW)} columns: {stored} stored, {refused} refused, "
          f"{uploads} uploads")
    assert stored + refused == len(CORPUS) * len(ROW) or failures
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


@pytest.mark.parametrize("name, data, message", [
    ("binary junk", random.Random(7).randbytes(4096), "not UTF-8 text"),
    ("NUL bytes", staff_csv(ROW).replace("Sam", "S\x00am").encode(), "contains NUL bytes"),
    ("UTF-16", staff_csv(ROW).encode("utf-16"), "UTF-16"),
    ("an unclosed quote", b'email,first name\n"a@b.org,"Sam\n', "cannot be read as CSV"),
    ("only a header", b"email,first name,last name,staff type,unit\n", "no staff rows"),
])
def test_whole_staff_files_that_are_not_csv(importing, name, data, message):
    admin, _ = importing
    response = upload(admin, data)
    assert response.status_code == 422, name
    assert message in text(response), name
    assert imports() == 0


def test_a_large_staff_file_with_one_bad_row_names_it(importing):
    admin, _ = importing
    rows = [f'"p{i}@example.org","Sam","Jones","employee","Oakfield Primary","","","",""' for i in range(20_000)]
    rows[15_000] = '"bad@example.org","<script>alert(1)</script>\x07","Jones","employee","Oakfield Primary","","","",""'
    data = ("\n".join([",".join(f'"{c}"' for c in ROW), *rows]) + "\n").encode()
    assert len(data) > 1024 * 1024
    response = upload(admin, data)
    assert response.status_code == 422
    body = text(response)
    assert str(escape("row 15002, column 'first name'")) in body and "<script>" not in body
    assert imports() == 0


# --- scenario files -------------------------------------------------------------------------

POLICY = SCENARIOS / "policy.yaml"
MODULE_FIELDS = ("title", "summary")
SCENARIO_FIELDS = ("id", "platform", "author_role", "account", "posted_at", "post", "verdict", "explanation",
                   "difficulty")
SHOWN_FIELDS = {"title", "summary", "author_role", "posted_at", "post", "explanation"}
PROBLEM_LINE = re.compile(r"^[\w./-]+\.yaml:\d+: ")
# PyYAML reads about a megabyte in ten seconds: the megabyte entry is left to the 5 MB file below.
YAML_CORPUS = [h for h in CORPUS if len(h.value) < 100_000]


def module_data(slug: str, breach_clause: str) -> dict:
    return {
        "module": {"slug": slug, "title": "Hostile module", "summary": "A module for the hostile input test.",
                   "audience": "all-staff", "pass_mark": 80, "minutes": 5},
        "scenarios": [
            {"id": "a-breach", "platform": "facebook", "author_role": "class teacher", "account": "personal",
             "posted_at": "Saturday 20:00", "authorised_business_use": False, "post": "A post.",
             "verdict": "breach", "clauses": [breach_clause], "explanation": "Because.", "difficulty": "easy"},
            {"id": "a-compliant", "platform": "instagram", "author_role": "teaching assistant",
             "account": "personal", "posted_at": "Sunday 10:00", "authorised_business_use": False,
             "post": "A hike.", "verdict": "compliant", "clauses": [], "explanation": "Nothing wrong."},
        ],
    }


@pytest.fixture(scope="module")
def policy() -> PolicySpec:
    spec, problems = read_policy(POLICY)
    assert spec is not None, problems
    return spec


@pytest.fixture(scope="module")
def breach_clause(policy) -> str:
    return next(c.number for c in policy.clauses if c.pickable)


def write_module(folder, slug: str, data: dict, h: Hostile | None = None):
    path = folder / f"{slug}.yaml"
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1 << 30)
    path.write_bytes(wire(dumped, h) if h is not None else dumped.encode("utf-8"))
    return path


def read(path):
    return read_library([POLICY, path], SCENARIOS, path.parent)


@dataclass(frozen=True)
class Reading:
    field: str
    h: Hostile
    spec: ModuleSpec | None
    problems: list


@pytest.fixture(scope="module")
def readings(tmp_path_factory, policy, breach_clause) -> list[Reading]:
    """Every (field, entry) as its own module file, and what the schema made of it."""
    folder = tmp_path_factory.mktemp("hostile-yaml")
    found = []
    for field in (*MODULE_FIELDS, *SCENARIO_FIELDS):
        for h in YAML_CORPUS:
            slug = f"hostile-{len(found) + 1}"
            data = module_data(slug, breach_clause)
            (data["module"] if field in MODULE_FIELDS else data["scenarios"][0])[field] = h.value
            path = write_module(folder, slug, data, h)
            spec, problems = read_module(path, policy, path.name)
            found.append(Reading(field, h, spec, [str(p) for p in problems]))
    return found


def test_hostile_values_in_scenario_files_are_reported_by_line(readings):
    failures: list[str] = []
    for r in readings:
        where = f"{r.field} <- {r.h.name}"
        if r.problems:
            for problem in r.problems:
                if not PROBLEM_LINE.match(problem):
                    failures.append(f"{where}: problem not given as file:line: {problem[:120]}")
            if not any(f": {r.field}: " in p or "UTF-8" in p for p in r.problems):
                failures.append(f"{where}: problems do not name the field: {[p[:100] for p in r.problems]}")
        elif r.h.refused is True:
            failures.append(f"{where}: a control character was accepted")
    accepted = sum(1 for r in readings if not r.problems)
    print(f"\nscenario files: {len(readings)} read, {accepted} accepted")
    assert accepted > 50  # ordinary markup, SQL and Unicode are text a scenario may quote
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


SHOWN_AS = {"title": str.strip, "summary": lambda v: " ".join(v.split()), "posted_at": str.strip,
            "author_role": lambda v: sentence_case(v.strip()), "post": str.strip, "explanation": str.strip}


def test_accepted_hostile_scenarios_load_and_are_shown_escaped(app, tmp_path, readings, policy, breach_clause,
                                                               people, make_client):
    """The accepted values load, and the pages showing them (My training, the library) show them as text."""
    accepted = [r for r in readings if not r.problems]
    modules = [r.spec for r in accepted if r.field in MODULE_FIELDS]
    for field in SCENARIO_FIELDS:  # a module per field, a scenario per accepted entry
        values = [r.h.value for r in accepted if r.field == field]
        if not values:
            continue
        slug = f"field-{field.replace('_', '-')}"
        data = module_data(slug, breach_clause)
        first, compliant = data["scenarios"]
        data["scenarios"] = [{**first, "id": f"s-{i}", field: value} for i, value in enumerate(values)] + [compliant]
        spec, problems = read_module(write_module(tmp_path, slug, data), policy, slug)
        assert spec is not None, problems[:3]
        modules.append(spec)
    report = load_library(db.session, Library(policy, modules, []))
    after_content_load(db.session, report, RecordSettings(), today())
    db.session.commit()
    lead = people.person(unit=people.unit("Central Team", UnitKind.central), roles=(Role.trust_lead,))
    staff = people.person()
    lead_client, staff_client = make_client(), make_client()
    lead_client.login(lead.email)
    staff_client.login(staff.email)
    pages = {"/": staff_client.get("/"), "/library/": lead_client.get("/library/")}
    pages |= {f"/library/modules/field-{f.replace('_', '-')}": lead_client.get(f"/library/modules/field-"
                                                                              f"{f.replace('_', '-')}")
              for f in SCENARIO_FIELDS if any(r.field == f for r in accepted)}
    assert all(response.status_code == 200 for response in pages.values()), {u: r.status_code for u, r in pages.items()}
    bodies = {url: text(response) for url, response in pages.items()}
    failures = []
    for r in accepted:
        where = f"{r.field} <- {r.h.name}"
        if r.h.markup and any(r.h.markup in body for body in bodies.values()):
            failures.append(f"{where}: markup unescaped")
        if r.field in SHOWN_AS:
            page = "/" if r.field in MODULE_FIELDS else f"/library/modules/field-{r.field.replace('_', '-')}"
            if str(escape(SHOWN_AS[r.field](r.h.value))) not in bodies[page]:
                failures.append(f"{where}: loaded but not shown escaped on {page}")
    print(f"\n{len(accepted)} accepted values loaded in {len(modules)} modules")
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def test_escapes_yaml_turns_into_bad_characters_are_reported(tmp_path, breach_clause):
    """A quoted YAML string can spell any character as an escape: NUL, a lone surrogate, an override."""
    for escape_text, message in (('"\\0"', "control character U+0000"),
                                 ('"\\ud800"', "unpaired surrogate U+D800"),
                                 ('"\\u202e"', "direction override character U+202E"),
                                 ('"\\e[31m"', "control character U+001B")):
        dumped = yaml.safe_dump(module_data("escapes", breach_clause), sort_keys=False)
        path = tmp_path / "escapes.yaml"
        path.write_text(dumped.replace("post: A post.", f"post: {escape_text}"), encoding="utf-8")
        problems = [str(p) for p in read(path).problems]
        assert len(problems) == 1 and re.match(r"escapes\.yaml:\d+: scenario 'a-breach': post: contains ", problems[0]), \
            problems
        assert message in problems[0], problems


# Nine lists of nine references to the one before: 9**9 strings if anything expanded them.
ALIAS_BOMB = ("l0: &l0 [x, x, x, x, x, x, x, x, x]\n"
              + "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9))
              + "module: *l8\nscenarios: *l8\n").encode()


@pytest.mark.parametrize("name, content, message", [
    ("unclosed quote", b'module:\n  slug: "broken\nscenarios: []\n', "YAML syntax"),
    ("tab indentation", b"module:\n\tslug: x\n", "YAML syntax"),
    ("binary junk", random.Random(11).randbytes(8192), "not UTF-8 text"),
    ("a NUL byte", b"module:\n  slug: a\x00b\n", "YAML syntax"),
    ("a list, not a mapping", b"- 1\n- 2\n", "must be a mapping"),
    ("deep nesting", b"module: " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested too deeply"),
    ("an alias bomb", ALIAS_BOMB, "must be"),
    ("five megabytes", b"module:\n  slug: big\n  title: " + b"x" * (5 * 1024 * 1024) + b"\nscenarios: []\n",
     "at most 200 are allowed"),
])
def test_broken_scenario_files_are_reported_not_raised(tmp_path, name, content, message):
    path = tmp_path / "broken.yaml"
    path.write_bytes(content)
    problems = [str(p) for p in read(path).problems]
    assert problems, name
    assert all(PROBLEM_LINE.match(p) for p in problems), problems[:3]
    assert any(message in p for p in problems), (name, [p[:160] for p in problems[:5]])


# --- CSV exports -------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def test_every_csv_writer_uses_the_formula_guard():
    """Any module that writes CSV passes its cells through the formula guard (lms.csv_files.safe_cell)."""
    unguarded = []
    for path in sorted((PROJECT_ROOT / "lms").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if ("csv.writer(" in source or "csv.DictWriter(" in source) and "safe_cell" not in source:
            unguarded.append(str(path.relative_to(PROJECT_ROOT)))
    assert not unguarded, f"CSV written without safe_cell: {unguarded}"


def formula_cells(body: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body.lstrip("\ufeff"))) for cell in row
            if cell.startswith(FORMULA_START) and not NUMBER.fullmatch(cell)]


def test_downloaded_csvs_hold_no_formulas(app, people, make_client, content):
    """Formula-shaped names, units, accounts and conditions come out of every CSV as text."""
    from lms.approvals import service as approvals

    formula = '=HYPERLINK("http://evil.example","x")'
    central = people.unit("Central Team", UnitKind.central)
    unit = people.unit("+cmd|' /C calc'!A0", UnitKind.school)
    ceo = people.person(unit=central, roles=(Role.ceo, Role.trust_lead, Role.admin), email="ceo@example.org")
    head = people.person(unit=unit, roles=(Role.headteacher,), manager=ceo, email="head@example.org")
    staff = [people.person(unit=unit, manager=head) for _ in range(6)]
    for n, person in enumerate(staff):
        person.first_name, person.last_name = ("@SUM(1+1)", "-2+3")[n % 2], formula
    db.session.commit()
    req = approvals.submit_business_use(db.session, staff[0], accounts=formula, platforms=["facebook"],
                                        purpose="-1+1", starts_on=today(), ends_on=None, settings=RecordSettings())
    approvals.approve(db.session, req, head, RecordSettings(), expires_on=today().replace(year=today().year + 1),
                      conditions="@cmd")
    db.session.commit()
    client = make_client()
    client.login(ceo.email)
    downloads = ["/requests/register.csv", "/training/history.csv", "/dashboards/csv/scenario-analysis.csv",
                 "/dashboards/csv/understanding-heatmap.csv"]
    downloads += [f"/dashboards/csv/{chart}.csv" for chart in
                  ("by-unit", "by-staff-type", "over-time", "due", "scores", "authorisations")]
    found = []
    for url in downloads:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/csv", url
        found += [(url, cell) for cell in formula_cells(text(response))]
    register = [cell for row in csv.reader(io.StringIO(text(client.get("/requests/register.csv")).lstrip("\ufeff")))
                for cell in row]
    assert "'" + formula in register and "'@cmd" in register  # present, and made text
    assert not found, found
    export = client.get(f"/people/{staff[0].id}/data.csv")  # the subject-access export (admins)
    assert export.status_code == 200 and export.mimetype == "text/csv"
    cells = [cell for row in csv.reader(io.StringIO(text(export).lstrip("\ufeff"))) for cell in row]
    assert "'" + formula in cells and not formula_cells(text(export))
