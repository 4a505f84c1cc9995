"""The shape of the code, checked: no import cycle among the modules of `src/`, and every
room's `model.py` pure (issue 11).

Imports are read from the source with `ast`, wherever they stand: an import inside a function
hides a cycle from Python's loader, it does not break it, so it counts here.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import singlewindow

PACKAGE = Path(singlewindow.__file__).parent
# What a room's model may import besides the standard library and other rooms' models: the
# value modules of core (and its lifecycle table, itself pure).
CORE_VALUES = {
    "singlewindow.core.money",
    "singlewindow.core.countries",
    "singlewindow.core.ids",
    "singlewindow.core.units",
    "singlewindow.core.clock",
    "singlewindow.core.errors",
    "singlewindow.core.transitions",
}
# A room's domain model spread over more modules than `model.py`, held to the same rule (and
# so importable from other models): the tariff's measures and what they lay on an item.
MODEL_MODULES = {
    "singlewindow.tariff.measures",
    "singlewindow.tariff.measure_set",
    "singlewindow.tariff.taxes",
    "singlewindow.tariff.book",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    _module_name(path): path
    for path in sorted(PACKAGE.rglob("*.py"))
    if "migrations/versions" not in path.as_posix()
}


def _imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every module `name` imports (absolute names, relative imports resolved), with its line."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "__future__":
                continue
            yield module, node.lineno
            # `from singlewindow.risk import services` imports the module risk.services.
            for alias in node.names:
                if f"{module}.{alias.name}" in MODULES:
                    yield f"{module}.{alias.name}", node.lineno


def _internal(module: str) -> str | None:
    """The module of ours that an imported name resolves to (the longest known prefix)."""
    while module:
        if module in MODULES:
            return module
        module = module.rpartition(".")[0]
    return None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for imported, _ in _imports(name, path):
            target = _internal(imported)
            # A package's __init__ is imported on the way to its modules; it is not an edge
            # of design (and ours are empty or re-export only their own modules).
            if target is not None and target != name and MODULES[target].name != "__init__.py":
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for successor in graph[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_the_modules_of_src():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles (imports inside functions count):\n" + "\n".join(
        " <-> ".join(cycle) for cycle in cycles
    )


def _is_model(name: str) -> bool:
    if name in MODEL_MODULES:
        return True
    return name.rpartition(".")[2] == "model" and not name.startswith("singlewindow.core")


def _is_errors(name: str) -> bool:
    """A room's errors module: its kinds of core's errors, as pure as a model."""
    return name.rpartition(".")[2] == "errors"


def test_every_rooms_model_imports_only_the_standard_library_core_values_and_models():
    models = [name for name in MODULES if _is_model(name) or _is_errors(name)]
    assert len(models) >= 6, models  # declarations, tariff, risk, exchange, origin, access, ...
    impure = []
    for name in models:
        for imported, line in _imports(name, MODULES[name]):
            top = imported.partition(".")[0]
            if top in sys.stdlib_module_names:
                continue
            target = _internal(imported)
            if target in CORE_VALUES:
                continue
            if target is not None and (_is_model(target) or _is_errors(target)):
                continue
            if target is not None and MODULES[target].name == "__init__.py":
                continue  # the package on the way to a module checked on its own
            impure.append(f"{MODULES[name].relative_to(PACKAGE.parent)}:{line} imports {imported}")
    assert not impure, "models must stay pure:\n" + "\n".join(impure)
