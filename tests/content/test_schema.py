"""Each class of content problem is caught, with the file, line, scenario and field named."""

from pathlib import Path

import pytest

from lms.config import PROJECT_ROOT
from lms.content.schema import read_library

POLICY = """\
policy:
  title: Social media policy
  owner: Test Trust
  version: "2018-09"
  issued: 2018-09-01
clauses:
  - number: "2.1"
    section: Compliance
    title: Other policies
    pickable: false
    text: Social media should never be used in a way that breaches any other policies.
  - number: "2.1(a)"
    section: Compliance
    title: Code of conduct
    text: breach the code of conduct for employees
  - number: "4.4"
    section: Prohibited use
    title: Sensitive topics
    text: Employees must not post comments about sensitive topics.
  - number: "7.1"
    section: Monitoring
    title: Monitoring
    pickable: false
    text: The school reserves the right to monitor.
"""

MODULE = """\
module:
  slug: sample
  title: Sample module
  summary: A module for tests.
  audience: all-staff
  pass_mark: 80
  draw: 2
  minutes: 5
scenarios:
  - id: ofsted-post
    platform: facebook
    author_role: class teacher
    account: personal
    posted_at: Saturday 20:00
    authorised_business_use: false
    post: Our Ofsted went badly. [Photo of the school gate]
    verdict: breach
    clauses: ["4.4"]
    explanation: Clause 4.4 says "must not post comments about sensitive topics".
    difficulty: easy
  - id: hiking
    platform: instagram
    author_role: teaching assistant
    account: personal
    posted_at: Sunday 10:00
    authorised_business_use: false
    post: Lovely walk today.
    verdict: compliant
    clauses: []
    explanation: Nothing about the school.
"""


def check(tmp_path: Path, module_text: str = MODULE, policy_text: str = POLICY, name: str = "sample.yaml"):
    (tmp_path / "policy.yaml").write_text(policy_text)
    path = tmp_path / name
    path.write_text(module_text)
    return read_library([path], tmp_path, tmp_path)


def messages(tmp_path, module_text=MODULE, policy_text=POLICY, name="sample.yaml") -> list[str]:
    return [str(p) for p in check(tmp_path, module_text, policy_text, name).problems]


def test_a_valid_module_reads_cleanly(tmp_path):
    library = check(tmp_path)
    assert library.problems == []
    module = library.modules[0]
    assert (module.slug, module.draw, len(module.scenarios)) == ("sample", 2, 2)
    assert module.scenarios[0].clauses == ("4.4",)


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('clauses: ["4.4"]', 'clauses: ["9.9"]',
         "sample.yaml:18: scenario 'ofsted-post': clauses: '9.9' is not a clause of policy 2018-09"),
        ('clauses: ["4.4"]', 'clauses: ["7.1"]',
         "sample.yaml:18: scenario 'ofsted-post': clauses: '7.1' is not a clause staff can choose (pickable: false)"),
        ('clauses: ["4.4"]', "clauses: []",
         "sample.yaml:18: scenario 'ofsted-post': clauses: a breach must name at least one clause"),
        ("clauses: []", 'clauses: ["4.4"]',
         "sample.yaml:29: scenario 'hiking': clauses: a compliant scenario breaches no clause"),
        ("platform: facebook", "platform: myspace",
         "sample.yaml:11: scenario 'ofsted-post': platform: 'myspace' is not one of: facebook"),
        ("verdict: compliant", "verdict: maybe",
         "sample.yaml:28: scenario 'hiking': verdict: 'maybe' is not one of: breach, compliant"),
        ("authorised_business_use: false\n    post: Lovely", "authorised_business_use: 3\n    post: Lovely",
         "sample.yaml:26: scenario 'hiking': authorised_business_use: must be true or false, not a number"),
        ("    difficulty: easy\n", "    difficulty: easy\n    colour: blue\n",
         "sample.yaml:21: scenario 'ofsted-post': colour: unknown key"),
        ("    posted_at: Sunday 10:00\n", "",
         "sample.yaml:21: scenario 'hiking': posted_at: is missing"),
        ("id: hiking", "id: ofsted-post",
         "sample.yaml:21: scenario 'ofsted-post': id: duplicate id (first on line 10)"),
        ("post: Lovely walk today.", "post: '   '",
         "sample.yaml:27: scenario 'hiking': post: must not be empty"),
        ("pass_mark: 80", "pass_mark: 0",
         "sample.yaml:6: module: pass_mark: 0 is outside 1–100"),
        ("pass_mark: 80", "pass_mark: 101",
         "sample.yaml:6: module: pass_mark: 101 is outside 1–100"),
        ("draw: 2", "draw: 3",
         "sample.yaml:7: module: draw: 3 is more than the 2 scenarios in the module"),
        ("slug: sample", "slug: other-name",
         "sample.yaml:2: module: slug: 'other-name' differs from the file name 'sample'"),
        ("id: hiking", "id: Hiking Trip",
         "sample.yaml:21: scenario 'Hiking Trip': id: 'Hiking Trip' must be kebab-case"),
        ("  minutes: 5\n", "  minutes: 5\n  minutes: 6\n",
         "sample.yaml:9: minutes: key appears twice in the same mapping"),
        ("    explanation: Nothing about the school.", '    explanation: "bad \\e escape"',
         "sample.yaml:30: scenario 'hiking': explanation: contains the control character U+001B"),
        ("    explanation: Nothing about the school.", "    explanation: bad \x07 bell",
         "sample.yaml:30: YAML syntax: unacceptable character #x0007"),
    ],
)
def test_each_problem_is_named_precisely(tmp_path, old, new, expected):
    assert old in MODULE
    found = messages(tmp_path, MODULE.replace(old, new, 1))
    assert any(m.startswith(expected) for m in found), found


def test_yaml_syntax_error_names_the_line(tmp_path):
    found = messages(tmp_path, MODULE.replace("  audience: all-staff", "  audience: [all-staff"))
    assert len(found) == 1 and found[0].startswith("sample.yaml:") and "YAML syntax" in found[0]


def test_a_file_that_is_not_a_mapping(tmp_path):
    assert messages(tmp_path, "- just\n- a list\n") == [
        "sample.yaml:1: must be a mapping with the keys 'module' and 'scenarios'"]


def test_over_long_text_is_refused(tmp_path):
    found = messages(tmp_path, MODULE.replace("author_role: class teacher", "author_role: " + "x" * 121))
    assert any("author_role: is 121 characters long; at most 120 are allowed" in m for m in found)


def test_every_problem_in_a_file_is_reported_not_just_the_first(tmp_path):
    broken = MODULE.replace("platform: facebook", "platform: myspace").replace("pass_mark: 80", "pass_mark: 0")
    assert len(messages(tmp_path, broken)) == 2


def test_a_broken_file_yields_no_module(tmp_path):
    library = check(tmp_path, MODULE.replace('clauses: ["4.4"]', 'clauses: ["9.9"]'))
    assert library.modules == []


def test_citing_a_parent_clause_is_allowed_when_its_sub_clauses_are_pickable(tmp_path):
    assert messages(tmp_path, MODULE.replace('clauses: ["4.4"]', 'clauses: ["2.1"]')) == []


def test_problems_in_the_policy_file_are_named(tmp_path):
    broken = POLICY.replace('  - number: "4.4"', '  - number: "2.1(a)"')
    found = messages(tmp_path, policy_text=broken)
    assert found == ["policy.yaml:16: clause '2.1(a)': number: duplicate clause number (first on line 12)"]


def test_policy_version_must_be_a_string(tmp_path):
    found = messages(tmp_path, policy_text=POLICY.replace('version: "2018-09"', "version: 2018"))
    assert found == ['policy.yaml:4: policy: version: must be a quoted string such as "2018-09", not a number']


def test_the_shipped_content_is_valid():
    library = read_library([], PROJECT_ROOT / "scenarios", PROJECT_ROOT)
    assert library.problems == []
    assert library.scenario_count >= 10
