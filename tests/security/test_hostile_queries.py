"""Hostile text in addresses and query strings (issue 7): every GET page and the JSON API, never a 500.

The routes are read from the app's URL map, so a new page is covered without being listed here:
each text part of its path gets the corpus entry, an id part an id that exists, and the query
string every parameter name the views read (found in the source). The API gets each parameter
on its own, since it stops at the first bad one and names it.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

import pytest
from werkzeug.routing import IntegerConverter

from lms.api import tokens
from lms.config import PROJECT_ROOT
from lms.extensions import db, limiter
from lms.models import Role, UnitKind
from tests.security.hostile import CORPUS, Hostile

ARGS = re.compile(r"""args(?:\.get)?[(\[]\s*["']([a-z_]+)["']|["']([a-z_]+)["'] in (?:request\.)?args"""
                  r"""|int_arg\(["']([a-z_]+)["']""")
ALSO_READ = {"from", "to"}  # read in a loop over (name, field) pairs in dashboards/scope.py
NOT_PAGES = {"static", "dashboards.plotly_js", "api.openapi_json"}  # files, not views of the database
# A server refuses an address of a megabyte long before the application sees it (gunicorn: 4 KB a
# request line), so the megabyte entry is left to the forms; 10,000 characters stay in.
URL_CORPUS = [h for h in CORPUS if len(h.encoded) < 100_000]


def query_names() -> list[str]:
    found = set(ALSO_READ)
    for path in (PROJECT_ROOT / "lms").rglob("*.py"):
        for match in ARGS.finditer(path.read_text(encoding="utf-8")):
            found.add(next(g for g in match.groups() if g))
    return sorted(found)


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def trust(people, content):
    central = people.unit("Central Team", UnitKind.central)
    oak = people.unit("Oakfield Primary", UnitKind.school)
    ceo = people.person(unit=central, roles=(Role.ceo, Role.trust_lead, Role.admin), email="ceo@example.org")
    head = people.person(unit=oak, roles=(Role.headteacher,), manager=ceo, email="head@example.org")
    for _ in range(3):
        people.person(unit=oak, manager=head)
    return ceo


def path_for(rule, h: Hostile) -> str:
    parts = {}
    for name, converter in rule._converters.items():
        parts[name] = "1" if isinstance(converter, IntegerConverter) else quote(h.encoded, safe="")
    path = rule.rule
    for name, value in parts.items():
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", value, path)
    return path


def get_routes(app) -> list:
    return sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint not in NOT_PAGES),
                  key=lambda r: r.rule)


def test_the_query_names_are_found():
    names = query_names()
    assert {"scope", "unit", "module", "staff_type", "from", "to", "next", "code", "limit"} <= set(names), names


def check(response, h: Hostile, where: str, failures: list[str]) -> None:
    if response.status_code >= 500:
        failures.append(f"{where}: status {response.status_code}")
        return
    body = text(response)
    if h.markup and response.mimetype == "text/html" and h.markup in body:
        failures.append(f"{where}: markup {h.markup!r} unescaped")
    if response.mimetype == "application/json":
        json.loads(body)  # always a JSON answer, errors too


def test_every_page_with_hostile_paths_and_query_strings(app, trust, make_client):
    signed_in, anonymous = make_client(), make_client()
    signed_in.login(trust.email)
    names = query_names()
    failures: list[str] = []
    tried = 0
    for rule in get_routes(app):
        if rule.rule.startswith("/api/v1/"):
            continue  # below, one parameter at a time with a token
        for h in URL_CORPUS:
            url = path_for(rule, h) + "?" + urlencode([(name, h.encoded) for name in names])
            for who, client in (("signed in", signed_in), ("anonymous", anonymous)):
                limiter.reset()  # /verify is rate-limited; the limit is tested elsewhere
                tried += 1
                try:
                    response = client.get(url)
                except Exception as exc:  # TESTING propagates a server error: the 500 this test is about
                    db.session.rollback()
                    failures.append(f"GET {rule.rule} ({who}) <- {h.name}: 500 ({type(exc).__name__}: "
                                    f"{str(exc).splitlines()[0][:150]})")
                    continue
                check(response, h, f"GET {rule.rule} ({who}) <- {h.name}", failures)
    print(f"\n{tried} page requests")
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def test_the_api_with_each_hostile_parameter(app, trust, make_client):
    _, plaintext = tokens.create_token(db.session, trust, "hostile test")
    db.session.commit()
    client = make_client()
    headers = {"Authorization": f"Bearer {plaintext}"}
    routes = [r for r in get_routes(app) if r.rule.startswith("/api/v1/")]
    assert routes
    failures: list[str] = []
    tried = 0
    for rule in routes:
        for name in [*query_names(), "unknown"]:
            for h in URL_CORPUS:
                limiter.reset()
                tried += 1
                url = f"{rule.rule}?{urlencode([(name, h.encoded)])}"
                where = f"GET {rule.rule}?{name}= <- {h.name}"
                try:
                    response = client.get(url, headers=headers)
                except Exception as exc:
                    db.session.rollback()
                    failures.append(f"{where}: 500 ({type(exc).__name__}: {str(exc).splitlines()[0][:150]})")
                    continue
                check(response, h, where, failures)
                if response.status_code == 400:
                    answer = json.loads(text(response))
                    named = answer.get("parameter") == name or f"'{name}'" in answer.get("message", "")
                    if not answer.get("error") or not named:
                        failures.append(f"{where}: 400 without a message naming the parameter: {answer}")
    print(f"\n{tried} API requests")
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def test_hostile_bearer_tokens_get_401(app, trust, make_client):
    client = make_client()
    sent = 0
    for h in URL_CORPUS:
        value = h.value
        if any(ch in value for ch in "\r\n\x00") or not value.isascii():
            continue  # not a value an HTTP header can carry
        sent += 1
        for header in (f"Bearer {value}", value, f"Bearer smp_{value}"):
            response = client.get("/api/v1/completion/units", headers={"Authorization": header})
            assert response.status_code == 401, (h.name, response.status_code)
            assert json.loads(text(response))["error"]
    assert sent >= 10


def test_a_control_character_in_an_address_is_refused_with_a_reason(trust, make_client):
    """A NUL would reach PostgreSQL (which refuses it in text) as a slug, a code or a searched email."""
    client = make_client()
    client.login(trust.email)
    for url in ("/training/core%00social", "/library/modules/x%00", "/people/subject-access?email=a%00@b.org",
                "/verify/ABCD%1B1234"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "invisible control character U+00" in text(response), url
    page = text(client.get("/people/subject-access?email=a%00@b.org"))
    assert "The query parameter &#39;email&#39; contains the invisible control character U+0000" in page
    answer = client.get("/api/v1/completion/units?module=%00", headers={"Authorization": "Bearer smp_x"})
    assert answer.status_code == 400 and "'module'" in json.loads(text(answer))["message"]
    # Ordinary text is untouched: an unknown slug is still just not found.
    assert client.get("/training/caf%C3%A9-%F0%9F%98%80").status_code == 404


def test_no_template_or_view_turns_escaping_off():
    """Autoescaping is what makes every stored value safe to show: it is never switched off for user text."""
    turned_off = re.compile(r"\|\s*safe\b|autoescape\s+false|Markup\(")
    found = [f"{path.relative_to(PROJECT_ROOT)}:{n}"
             for folder in ("templates", "lms") for path in sorted((PROJECT_ROOT / folder).rglob("*"))
             if path.suffix in (".html", ".py") and path.name != "test_hostile_queries.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if turned_off.search(line)]
    # The one exception: chart JSON, with <, > and & written as \u003c… (checked below with a unit's name).
    assert [where.split(":")[0] for where in found] == ["lms/dashboards/charts.py"], found


def test_a_hostile_unit_name_in_chart_data_stays_text(people, make_client, content):
    central = people.unit("Central Team", UnitKind.central)
    ceo = people.person(unit=central, roles=(Role.ceo, Role.trust_lead), email="ceo@example.org")
    name = "</script><script>alert(1)</script>"
    unit = people.unit(name, UnitKind.school)
    for _ in range(6):  # more than the smallest group a chart shows
        people.person(unit=unit)
    client = make_client()
    client.login(ceo.email)
    body = text(client.get("/dashboards/"))
    assert name not in body
    # In the chart's JSON as plotly's text (entities, drawn as the characters), with & < > as JSON escapes
    assert "\\u0026lt;\\u002fscript\\u0026gt;\\u0026lt;script\\u0026gt;alert(1)" in body
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in body  # and in its table
