"""The privacy notice and the accessibility statement: public, in every footer, and true to the settings."""

from __future__ import annotations

import re

from lms import access
from lms.notices.views import WHO_SEES

# Every rule that lets someone see another person's data must be explained under "Who sees it".
SEEING_OTHERS = {"team.view", "dashboards.view", "requests.register", "request.view", "library.review",
                 "people.subject_access", "people.import", "api.read", "scope.trust", "scope.unit"}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_both_pages_are_public_and_linked_from_every_footer(client):
    for path in ("/privacy", "/accessibility"):
        response = client.get(path)
        assert response.status_code == 200, path
    login = text(client.get("/login"))
    assert 'href="/privacy"' in login and 'href="/accessibility"' in login


def test_the_privacy_notice_states_the_configured_retention_period(app, client):
    assert "72 months (6 years)" in text(client.get("/privacy"))
    app.config["RETENTION_MONTHS"] = 30
    page = text(client.get("/privacy"))
    assert "30 months" in page and "72 months" not in page


def test_the_privacy_notice_covers_basis_audiences_rights_and_the_audit_log(app, client):
    page = text(client.get("/privacy"))
    for words in ("employment contract", "legitimate interests", "Your line manager", "Your headteacher",
                  "Administrators", "subject access", "audit log", "Information Commissioner", app.config["PRIVACY_CONTACT"]):
        assert words in page, words


def test_who_sees_it_names_real_rules_and_every_rule_that_shows_others_data():
    named = {name for _, _, rules in WHO_SEES for name in rules}
    assert named <= set(access._RULES), named - set(access._RULES)
    assert SEEING_OTHERS <= named, SEEING_OTHERS - named


def test_the_accessibility_statement_is_honest_about_status_issues_and_enforcement(app, client):
    page = text(client.get("/accessibility"))
    for words in ("WCAG", "2.2", "partially compliant", "not tagged", "Equality and Human Rights Commission",
                  "Equality Advisory and Support Service", app.config["PRIVACY_CONTACT"]):
        assert words in page, words
    assert f"After {app.config['SESSION_IDLE_MINUTES']} minutes without activity" in page
