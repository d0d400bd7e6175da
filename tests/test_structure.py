"""The shape of `lms/` that docs/architecture.md promises: imports one way, small modules, views
reached only through the app factory. These fail naming the module, so the next change that
bends the structure is caught where it is made."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from lms.config import PROJECT_ROOT

LMS = PROJECT_ROOT / "lms"
MAX_LINES = 400


def _cycles_script():
    spec = importlib.util.spec_from_file_location("import_cycles", PROJECT_ROOT / "scripts" / "import_cycles.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _modules() -> dict[str, Path]:
    script = _cycles_script()
    return {script.module_name(path): path for path in sorted(LMS.rglob("*.py"))}


def _adds_routes(tree: ast.Module) -> bool:
    """A view module: it imports a blueprint to add its routes to."""
    return any(isinstance(node, ast.ImportFrom) and (node.module or "").endswith(".blueprint")
               for node in ast.walk(tree))


def test_no_import_cycle_between_modules_of_lms():
    script = _cycles_script()
    edges = script.graph()
    assert len(edges) == len(_modules())
    cycles = script.strongly_connected(edges)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(script.shortest_cycle(edges, c)) for c in cycles)


def test_the_cycle_check_finds_a_cycle_when_there_is_one():
    script = _cycles_script()
    edges = {"lms.a": {"lms.b"}, "lms.b": {"lms.c"}, "lms.c": {"lms.a"}, "lms.d": {"lms.a"}}
    assert script.strongly_connected(edges) == [["lms.a", "lms.b", "lms.c"]]
    assert len(script.shortest_cycle(edges, ["lms.a", "lms.b", "lms.c"])) == 4  # a -> b -> c -> a


def test_no_module_of_lms_is_longer_than_the_limit():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by responsibility): {long}"


def test_only_the_app_factory_reaches_the_view_modules():
    """Importing a service never loads views; no view module imports another to register routes."""
    script = _cycles_script()
    modules = _modules()
    views = {name for name, path in modules.items() if _adds_routes(ast.parse(path.read_text(encoding="utf-8")))}
    assert "lms.approvals.views" in views and "lms.api.account" in views  # the rule sees what it is about
    edges = script.graph()
    reaching = {f"{name} imports {target}" for name, targets in edges.items() for target in targets & views}
    assert not reaching, sorted(reaching)


def test_each_blueprint_is_made_in_its_packages_blueprint_module_and_registered_by_the_factory():
    import lms

    made_in = set()
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Blueprint" for node in ast.walk(tree)):
            made_in.add(name)
    assert made_in == {module for module, *_ in lms.BLUEPRINTS}
    assert all(name.endswith(".blueprint") for name in made_in)


def test_package_init_modules_hold_no_code_that_loads_others():
    """`import lms.people.directory` runs `lms/people/__init__.py` first: it must not load the package's views."""
    loud = []
    for path in sorted(LMS.glob("*/__init__.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and _points_at_views(node):
                loud.append(f"{path.relative_to(PROJECT_ROOT)} imports {node.module}")
    assert not loud, loud


def _points_at_views(node: ast.ImportFrom) -> bool:
    module = node.module or ""
    return module.endswith(("views", ".account", ".blueprint")) or any(
        alias.name.endswith("views") for alias in node.names)
