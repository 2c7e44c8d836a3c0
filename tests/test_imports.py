"""No module of kir imports itself back, not even through an import inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kir

Graph = dict[str, set[str]]


def _modules(root: Path, package: str) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((package, *parts))] = path
    return found


def _absolute(module: str, is_package: bool, target: str | None, level: int) -> str:
    if not level:
        return target or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, target] if target else base)


def _targets(module: str, path: Path, node: ast.AST, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = _absolute(module, path.name == "__init__.py", node.module, node.level)
    # `from package import name` imports the module package.name when there is one.
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def import_graph(root: Path, package: str) -> Graph:
    """Each module of the package and the package's modules it imports, at any depth of code."""
    modules = _modules(root, package)
    known = set(modules)
    graph: Graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text("utf-8"))
        targets = {t for node in ast.walk(tree) for t in _targets(module, path, node, known)}
        graph[module] = {t for t in targets if t in known and t != module}
    return graph


def find_cycle(graph: Graph) -> list[str] | None:
    """One import cycle as the path round it (first module repeated at the end), or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        path.append(module)
        for imported in sorted(graph.get(module, ())):
            if imported in path:
                return [*path[path.index(imported) :], imported]
            if imported not in done and (cycle := visit(imported)):
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        if module not in done and (cycle := visit(module)):
            return cycle
    return None


def _kir_graph() -> Graph:
    return import_graph(Path(kir.__file__).parent, "kir")


def test_no_module_of_kir_imports_itself_back():
    cycle = find_cycle(_kir_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_it_sees_imports_at_module_and_function_level():
    graph = _kir_graph()
    assert {"kir.tracker.engine.state", "kir.tracker.engine.sql_cells"} <= graph[
        "kir.tracker.engine.analyse"
    ]
    # `generate` imports the synthetic data writer inside the method.
    assert "kir.tracker.engine.synthetic" in graph["kir.tracker.management.commands.tracker"]
    assert "kir.register.selectors.visibility" in graph["kir.register.services._common"]


@pytest.mark.parametrize(
    "deferred",
    [
        "from pkg.a import VALUE",
        "from . import a",
        "from .a import VALUE",
        "import pkg.a",
    ],
)
def test_it_finds_a_cycle_dodged_by_an_import_inside_a_function(tmp_path, deferred):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "a.py").write_text("from pkg import b\n\nVALUE = 1\n")
    (tmp_path / "b.py").write_text(f"def value():\n    {deferred}\n\n    return 1\n")
    (tmp_path / "c.py").write_text("from pkg.b import value\n")
    graph = import_graph(tmp_path, "pkg")
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.a"]
    del graph["pkg.b"]
    assert find_cycle(graph) is None
