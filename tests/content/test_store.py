"""Loading content: idempotent, versioned, and all-or-nothing."""

from pathlib import Path

from sqlalchemy import func, select

from lms.config import PROJECT_ROOT
from lms.content.schema import read_library
from lms.extensions import db
from lms.models import Clause, Module, ModuleVersion, PolicyVersion, Scenario
from tests.content.test_schema import MODULE, POLICY

SCENARIOS = PROJECT_ROOT / "scenarios"


def write(tmp_path: Path, module_text: str = MODULE, policy_text: str = POLICY) -> list[str]:
    (tmp_path / "policy.yaml").write_text(policy_text)
    (tmp_path / "sample.yaml").write_text(module_text)
    return [str(tmp_path / "policy.yaml"), str(tmp_path / "sample.yaml")]


def counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (PolicyVersion, Clause, Module, ModuleVersion, Scenario)}


def test_load_puts_policy_and_module_in_the_database(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["scenarios", "load", *write(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "policy 2018-09: loaded" in result.output and "sample: new version 1" in result.output
    version = db.session.scalar(select(ModuleVersion))
    assert version.is_current and version.pass_mark == 80 and len(version.scenarios) == 2
    assert [c.number for c in version.policy_version.clauses] == ["2.1", "2.1(a)", "4.4", "7.1"]


def test_loading_twice_changes_nothing(app, tmp_path):
    runner = app.test_cli_runner()
    paths = write(tmp_path)
    runner.invoke(args=["scenarios", "load", *paths])
    before = counts()
    result = runner.invoke(args=["scenarios", "load", *paths])
    assert result.exit_code == 0 and "sample: unchanged at version 1" in result.output
    assert counts() == before


def test_changed_content_makes_a_new_version_and_old_attempts_keep_theirs(app, tmp_path, people):
    from lms.training import service

    runner = app.test_cli_runner()
    runner.invoke(args=["scenarios", "load", *write(tmp_path)])
    person = people.person()
    first = service.current_version(db.session, "sample")
    attempt = service.start_or_resume(db.session, person, first)
    db.session.commit()

    result = runner.invoke(args=["scenarios", "load", *write(tmp_path, MODULE.replace("Lovely walk", "Lovely swim"))])
    assert "sample: new version 2" in result.output
    second = service.current_version(db.session, "sample")
    assert second.version_no == 2 and second.id != first.id
    db.session.refresh(first)
    assert not first.is_current
    db.session.refresh(attempt)
    assert attempt.module_version_id == first.id
    assert {s.post for s in attempt.module_version.scenarios} >= {"Lovely walk today."}


def test_a_file_with_any_problem_loads_nothing(app, tmp_path):
    broken = MODULE.replace('clauses: ["4.4"]', 'clauses: ["9.9"]')
    result = app.test_cli_runner().invoke(args=["scenarios", "load", *write(tmp_path, broken)])
    assert result.exit_code == 1
    assert "scenario 'ofsted-post': clauses: '9.9' is not a clause of policy 2018-09" in result.output
    assert "nothing was loaded" in result.output
    assert all(n == 0 for n in counts().values())


def test_one_bad_file_among_good_ones_loads_none_of_them(app, tmp_path):
    paths = write(tmp_path)
    (tmp_path / "second.yaml").write_text(MODULE.replace("slug: sample", "slug: second").replace("pass_mark: 80", "pass_mark: 0"))
    result = app.test_cli_runner().invoke(args=["scenarios", "load", *paths, str(tmp_path / "second.yaml")])
    assert result.exit_code == 1
    assert all(n == 0 for n in counts().values())


def test_changed_policy_text_under_the_same_version_is_refused(app, tmp_path):
    runner = app.test_cli_runner()
    runner.invoke(args=["scenarios", "load", *write(tmp_path)])
    before = counts()
    result = runner.invoke(args=["scenarios", "load", *write(tmp_path, policy_text=POLICY.replace("reserves", "keeps"))])
    assert result.exit_code == 1 and "already loaded with different text" in result.output
    assert counts() == before


def test_check_prints_a_summary_and_exits_zero_on_the_shipped_content(app):
    result = app.test_cli_runner().invoke(args=["scenarios", "check"])
    library = read_library([], SCENARIOS, PROJECT_ROOT)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"OK: policy 2018-09 ({len(library.policy.clauses)} clauses), {len(library.modules)} module(s), "
        f"{library.scenario_count} scenarios.")


def test_check_lists_problems_one_per_line_and_exits_non_zero(app, tmp_path):
    broken = MODULE.replace("platform: facebook", "platform: myspace").replace("pass_mark: 80", "pass_mark: 0")
    result = app.test_cli_runner().invoke(args=["scenarios", "check", *write(tmp_path, broken)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and all(line.split(":")[0].endswith("sample.yaml") for line in lines)


def test_loading_corrected_titles_forgets_the_clause_cache_in_this_process(app, tmp_path):
    from lms.content import clauses

    runner = app.test_cli_runner()
    runner.invoke(args=["scenarios", "load", *write(tmp_path)])
    policy = db.session.scalar(select(PolicyVersion).where(PolicyVersion.is_current))
    assert clauses.by_number(db.session, policy)["4.4"].title == "Sensitive topics"  # now cached

    result = runner.invoke(args=["scenarios", "load", *write(tmp_path, policy_text=POLICY.replace(
        "title: Sensitive topics", "title: Contentious topics"))])
    assert result.exit_code == 0 and "policy 2018-09: unchanged" in result.output
    db.session.expire_all()
    assert clauses.by_number(db.session, policy)["4.4"].title == "Contentious topics"
