"""The package's layout: imports flow one way, the math stands alone."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sklearn_tinynet"
MODULES = {path.stem: path for path in PACKAGE.glob("*.py")}


def imported_modules(path):
    """The package's modules that ``path`` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module is None:  # from . import a, b
                found.update(alias.name for alias in node.names)
            else:  # from ._x import y
                found.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "sklearn_tinynet"
        ):
            parts = node.module.split(".")
            found.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "sklearn_tinynet" and len(parts) > 1:
                    found.add(parts[1])
    return found & set(MODULES)


GRAPH = {name: imported_modules(path) for name, path in MODULES.items()}


def find_cycle(graph):
    """A list of modules that import each other in a circle, or None."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for child in sorted(graph[node]):
            if state.get(child) == "open":
                return stack[stack.index(child) :] + [child]
            if child not in state:
                cycle = visit(child, [*stack, child])
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [node])
            if cycle:
                return cycle
    return None


def test_no_import_circle():
    assert find_cycle(GRAPH) is None, find_cycle(GRAPH)


def test_the_cycle_finder_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize(
    "module, forbidden",
    [
        # the dask backend knows rows and engines, not estimators
        ("_dask", {"_base", "_classifier", "_regressor", "_rows", "_training"}),
        ("_rows", {"_base", "_classifier", "_regressor", "_dask"}),
        ("_network", set(MODULES) - {"_network"}),
    ],
)
def test_layers_import_downwards_only(module, forbidden):
    assert not GRAPH[module] & forbidden


def test_the_math_does_not_import_scikit_learn():
    tree = ast.parse(MODULES["_network"].read_text())
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(str(name).startswith("sklearn") for name in names)


def test_no_module_holds_a_fifth_of_the_package():
    lines = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    biggest = max(lines, key=lines.get)
    assert lines[biggest] < 0.2 * sum(lines.values()), (biggest, lines)
