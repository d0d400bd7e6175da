"""The scenario content contract: read and validate scenarios/*.yaml (no database, no request).

Every problem is reported as one line, `file:line: scenario 'id': field: message`, and a file
with any problem yields no spec at all, so nothing half-valid can be loaded.

`read_library` reads the policy first and then each module file against it. The parts live in
modules of their own: the specs and the contract's vocabulary (spec.py), the field checks and a
file's problems (checks.py), the policy file (policy_file.py) and a module file (module_file.py);
the names callers use are importable from here as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lms.content.module_file import read_module
from lms.content.policy_file import read_policy
from lms.content.spec import (
    ACCOUNTS,
    AUDIENCES,
    DIFFICULTIES,
    PLATFORMS,
    VERDICTS,
    ClauseSpec,
    ModuleSpec,
    PolicySpec,
    Problem,
    ScenarioSpec,
    clause_group,
)

__all__ = ["ACCOUNTS", "AUDIENCES", "DIFFICULTIES", "PLATFORMS", "VERDICTS", "ClauseSpec", "Library", "ModuleSpec",
           "PolicySpec", "Problem", "ScenarioSpec", "clause_group", "read_library", "read_module", "read_policy"]


@dataclass
class Library:
    """The result of reading a set of content files."""

    policy: PolicySpec | None
    modules: list[ModuleSpec]
    problems: list[Problem]

    @property
    def scenario_count(self) -> int:
        return sum(len(m.scenarios) for m in self.modules)


def read_library(paths: list[Path], default_dir: Path, root: Path | None = None) -> Library:
    """Read the policy and the given module files (all of default_dir when none are given)."""
    paths = [p for p in paths] or sorted(default_dir.glob("*.yaml"))
    policy_paths = [p for p in paths if p.name == "policy.yaml"]
    module_paths = [p for p in paths if p.name != "policy.yaml"]
    policy_path = policy_paths[0] if policy_paths else default_dir / "policy.yaml"

    def show(p: Path) -> str:
        try:
            return str(p.resolve().relative_to((root or Path.cwd()).resolve()))
        except ValueError:
            return str(p)

    policy, problems = read_policy(policy_path, show(policy_path))
    modules: list[ModuleSpec] = []
    if policy is None:
        return Library(None, [], problems)
    slugs: dict[str, str] = {}
    for path in module_paths:
        module, module_problems = read_module(path, policy, show(path))
        problems.extend(module_problems)
        if module is None:
            continue
        if module.slug in slugs:
            problems.append(Problem(show(path), 1, "module", "slug",
                                    f"'{module.slug}' is also the slug of {slugs[module.slug]}"))
            continue
        slugs[module.slug] = show(path)
        modules.append(module)
    return Library(policy, modules, problems)
