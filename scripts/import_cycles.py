#!/usr/bin/env python3
"""Count import cycles between the modules of `lms/` and fail on any.

Every import is counted, also those inside functions: a deferred import hides a cycle from
Python's loader but not from the reader who has to change one side without breaking the other.
Imports under `if TYPE_CHECKING:` are left out (they never run). A package's `__init__` is the
module `lms.pkg`; importing `lms.pkg.mod` is an edge to `lms.pkg.mod` only (the parent package
is loaded first by Python, which is not a dependency the code chose).

Usage: python scripts/import_cycles.py [--graph]   (exit 1 when there is a cycle)
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "lms"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported(tree: ast.Module, this: str, is_package: bool, modules: set[str]) -> set[str]:
    """The lms modules `this` imports, resolving `from x import name` to x.name when that is a module."""
    found: set[str] = set()

    def resolve(base: str, names: list[str]) -> None:
        for name in names:
            candidate = f"{base}.{name}" if base else name
            if candidate in modules:
                found.add(candidate)
            elif base in modules:
                found.add(base)

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and is_type_checking(child.test):
                for other in child.orelse:
                    visit_one(other)
                continue
            visit_one(child)

    def visit_one(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name:
                    found.add(name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = this if is_package else this.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{node.module}" if node.module else package
            else:
                base = node.module or ""
            if base == PACKAGE or base.startswith(PACKAGE + "."):
                resolve(base, [alias.name for alias in node.names])
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for other in node.orelse:
                visit_one(other)
            return
        visit(node)

    visit(tree)
    found.discard(this)
    return found


def graph() -> dict[str, set[str]]:
    files = sorted((ROOT / PACKAGE).rglob("*.py"))
    modules = {module_name(path) for path in files}
    edges: dict[str, set[str]] = {}
    for path in files:
        name = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges[name] = imported(tree, name, path.name == "__init__.py", modules)
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one module are the tangles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def shortest_cycle(edges: dict[str, set[str]], members: list[str]) -> list[str]:
    """One shortest cycle inside a component, to name in the report (breadth first)."""
    inside = set(members)
    best: list[str] = []
    for start in members:
        previous: dict[str, str | None] = {start: None}
        frontier = [start]
        while frontier and not best:
            nxt = []
            for node in frontier:
                for child in sorted(edges[node] & inside):
                    if child == start:
                        path = [node]
                        while previous[path[-1]] is not None:
                            path.append(previous[path[-1]])  # type: ignore[arg-type]
                        cycle = list(reversed(path)) + [start]
                        if not best or len(cycle) < len(best):
                            best = cycle
                    elif child not in previous:
                        previous[child] = node
                        nxt.append(child)
            frontier = nxt
        if best and len(best) == 3:
            break
    return best


def main(argv: list[str]) -> int:
    edges = graph()
    if "--graph" in argv:
        for name in sorted(edges):
            print(f"{name} -> {', '.join(sorted(edges[name])) or '-'}")
    components = strongly_connected(edges)
    for members in components:
        print(f"cycle among {len(members)} modules: {', '.join(members)}")
        print("  for example: " + " -> ".join(shortest_cycle(edges, members)))
    print(f"{len(components)} import cycles in {len(edges)} modules of {PACKAGE}/")
    return 1 if components else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
