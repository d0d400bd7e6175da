"""The shipped library: valid, covering every clause, quoting the policy, balanced."""

import re
from collections import Counter

import pytest

from lms.config import PROJECT_ROOT
from lms.content.coverage import coverage
from lms.content.schema import PLATFORMS, read_library
from tests.content.test_schema import MODULE, check

SOURCE = (PROJECT_ROOT / "docs" / "policy" / "social-media-policy.txt").read_text()


def normal(text: str) -> str:
    return " ".join(text.replace("**", "").replace("’", "'").split()).lower()


@pytest.fixture(scope="module")
def shipped():
    library = read_library([], PROJECT_ROOT / "scenarios", PROJECT_ROOT)
    assert library.problems == []
    return library


def test_every_clause_of_the_policy_is_present_verbatim(shipped):
    source = normal(SOURCE)
    numbers = [c.number for c in shipped.policy.clauses]
    for clause in shipped.policy.clauses:
        assert normal(clause.text) in source, clause.number
    for n in ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3", "4.1", "4.5", "5.3", "6.5", "7.2", "8.2"]:
        assert n in numbers
    assert [n for n in numbers if n.startswith("2.1(")] == [f"2.1({x})" for x in "abcdef"]


def test_at_least_48_scenarios_in_at_least_four_modules(shipped):
    assert len(shipped.modules) >= 4 and shipped.scenario_count >= 48


def test_every_substantive_clause_meets_the_bar(shipped):
    result = coverage(shipped.policy.clauses, [(m.slug, m.scenarios) for m in shipped.modules])
    assert [r.number for r in result.gaps] == []
    assert {r.number for r in result.rows} >= {f"2.1({x})" for x in "abcdef"} | {
        "2.2", "2.3", "3", "4.1", "4.2", "4.3", "4.4", "4.5", "5.1", "5.2", "5.3", "6.1", "6.2", "6.3", "6.4", "6.5"}


def test_about_40_to_50_percent_are_compliant_overall_and_per_module(shipped):
    result = coverage(shipped.policy.clauses, [(m.slug, m.scenarios) for m in shipped.modules])
    assert 0.40 <= result.compliant_share <= 0.50
    for module in shipped.modules:
        share = sum(s.verdict == "compliant" for s in module.scenarios) / len(module.scenarios)
        assert 0.35 <= share <= 0.55, module.slug


def test_a_breach_decides_on_a_rule_not_on_guidance(shipped):
    guidance = {c.number for c in shipped.policy.clauses if c.guidance}
    deciding_on_guidance = [s.key for m in shipped.modules for s in m.scenarios
                            if s.verdict == "breach" and s.clauses[0] in guidance]
    assert deciding_on_guidance == []


def test_each_explanation_quotes_the_policy_words_it_relies_on(shipped):
    source = normal(SOURCE)
    for module in shipped.modules:
        for s in module.scenarios:
            quotes = [normal(q) for q in re.findall(r'"([^"]{12,})"', s.explanation)]
            assert any(q.strip(" .,;:") in source for q in quotes), f"{module.slug}/{s.key}"


def test_authors_accounts_and_platforms_vary(shipped):
    scenarios = [s for m in shipped.modules for s in m.scenarios]
    assert {s.platform for s in scenarios} == set(PLATFORMS)
    assert {s.account for s in scenarios} == {"personal", "school_official", "trust_official"}
    roles = " ".join(s.author_role.lower() for s in scenarios)
    for kind in ("teacher", "assistant", "volunteer", "agency", "consultant", "central"):
        assert kind in roles, kind
    assert any(s.authorised_business_use for s in scenarios)
    assert max(Counter(s.author_role for s in scenarios).values()) <= 6


def test_a_draw_smaller_than_the_clause_groups_is_refused(tmp_path):
    problems = [str(p) for p in check(tmp_path, MODULE.replace("draw: 2", "draw: 1")).problems]
    assert problems == ["sample.yaml:7: module: draw: 1 is fewer than the 2 clause groups in the module "
                        "(4.4, none); every attempt must draw one of each"]


def test_coverage_command_passes_on_the_shipped_library(app):
    result = app.test_cli_runner().invoke(args=["scenarios", "coverage"])
    assert result.exit_code == 0, result.output
    assert "Every clause meets the bar" in result.output
    assert re.search(r"^2\.1\(c\)\s+Confidentiality", result.output, re.M)


def test_coverage_command_fails_and_names_the_clauses_below_the_bar(app, tmp_path):
    check(tmp_path)  # writes policy.yaml and sample.yaml with one 4.4 breach
    result = app.test_cli_runner().invoke(args=["scenarios", "coverage", str(tmp_path / "policy.yaml"),
                                                str(tmp_path / "sample.yaml")])
    assert result.exit_code == 1
    assert "Below the bar (2 deciding breaches, or 2 followed for guidance): 2.1(a), 4.4" in result.output
    assert re.search(r"^4\.4\s+Sensitive topics\s+1/0\s+1\s+0\s+0\s+BELOW", result.output, re.M)
