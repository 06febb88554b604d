"""The layers of ``src/``, checked on its static import graph (read with ``ast``; nothing is
imported, so the check needs no database, extra or environment).

The rules:

- the core (``paygate_core``) imports nothing of ours outside itself (``test_pure_core``
  checks its third-party imports: the standard library and attrs only);
- the adapters (``paygate_adapters``) never import the HTTP layer (``paygate_http``);
- in the HTTP layer only the composition root (``COMPOSITION_ROOT``: the modules that pick
  and build the adapters) imports the adapters or SQLAlchemy;
- no two modules of ``src/`` import each other, directly or through others (no circles).

What counts as an import. For the layer rules, every ``import`` statement anywhere in a
module: at module level, under ``if TYPE_CHECKING:`` and inside functions alike, since a
lazy import is a dependency all the same. For circles, the module-level statements (those
under ``if``/``try`` at module level included) and those under ``if TYPE_CHECKING:`` (type
checkers follow them, and they turn into real imports the moment someone drops the guard);
imports inside functions do not count: they run after every module involved has finished
loading, which is how a lazy import legitimately defers a dependency.

An import names the module it loads: ``from a.b import c`` is an edge to ``a.b.c`` when that
is a module, else to ``a.b``. The parent packages Python loads on the way (``a``, ``a.b``)
are not edges: with them, every package whose ``__init__`` re-exports its submodules would
be a circle with each of them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from enum import Enum
from functools import cache
from pathlib import Path
from typing import NamedTuple

SRC = Path(__file__).resolve().parents[2] / "src"
OURS = frozenset(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())

COMPOSITION_ROOT = frozenset(
    {
        "paygate_http.process.wiring",  # builds the units of work, hasher, tokens, dispatcher
        "paygate_http.process.cli",  # the ``paygate`` commands: migrate, create-admin, serve
        "paygate_http.settings",  # parses DATABASE_URL with SQLAlchemy's URL parser
    }
)
"""The HTTP-layer modules that may import the adapters and SQLAlchemy."""


class Scope(Enum):
    """Where an import statement sits in its module."""

    MODULE = "module level"
    TYPE_CHECKING = "under TYPE_CHECKING"
    FUNCTION = "inside a function"


class Import(NamedTuple):
    """One imported module: ``target`` is a module of ours, or the top-level name of any
    other (standard library or third-party)."""

    importer: str
    target: str
    line: int
    scope: Scope

    def __str__(self) -> str:
        path = MODULES[self.importer].relative_to(SRC.parent)
        return f"{path}:{self.line} imports {self.target} ({self.scope.value})"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(
    nodes: Iterable[ast.AST],
    scope: Scope,
) -> Iterator[tuple[ast.Import | ast.ImportFrom, Scope]]:
    """Every import statement under ``nodes``, with the scope it runs in."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, scope
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _statements(ast.iter_child_nodes(node), Scope.FUNCTION)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            inner = Scope.FUNCTION if scope is Scope.FUNCTION else Scope.TYPE_CHECKING
            yield from _statements(node.body, inner)
            yield from _statements(node.orelse, scope)
        else:
            yield from _statements(ast.iter_child_nodes(node), scope)


def _resolve(name: str) -> str:
    """The module of ours that ``name`` loads (its longest known prefix), or the top-level
    name of a third-party or standard-library import."""
    parts = name.split(".")
    if parts[0] not in OURS:
        return parts[0]
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    raise AssertionError(f"{name} is not a module of src/")  # pragma: no cover


def _absolute(node: ast.ImportFrom, importer: str) -> str:
    if node.level == 0:
        assert node.module is not None
        return node.module
    package = importer if MODULES[importer].name == "__init__.py" else importer.rpartition(".")[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def _targets(node: ast.Import | ast.ImportFrom, importer: str) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield _resolve(alias.name)
        return
    base = _absolute(node, importer)
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        yield submodule if submodule in MODULES else _resolve(base)


def _module_imports(name: str, source: str) -> list[Import]:
    """The imports of module ``name`` whose text is ``source``, one per module a statement
    loads."""
    found: list[Import] = []
    for node, scope in _statements(ast.parse(source).body, Scope.MODULE):
        targets = dict.fromkeys(_targets(node, name))  # ``from a import b, c``: ``a`` once
        found.extend(Import(name, target, node.lineno, scope) for target in targets)
    return found


@cache
def imports() -> tuple[Import, ...]:
    """Every import of every module of ``src/``."""
    return tuple(
        i
        for name, path in MODULES.items()
        for i in _module_imports(name, path.read_text(encoding="utf-8"))
    )


def _layer(module: str) -> str:
    return module.partition(".")[0]


def _violations(importers: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    """Each import by one of ``importers`` of a module under one of the ``forbidden`` roots."""
    chosen, roots = set(importers), set(forbidden)
    return [str(i) for i in imports() if i.importer in chosen and _layer(i.target) in roots]


# --- circles ---------------------------------------------------------------------------------


def _graph() -> dict[str, set[str]]:
    """Module-level and TYPE_CHECKING imports between modules of ``src/``."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for i in imports():
        if i.scope is not Scope.FUNCTION and i.target in MODULES and i.target != i.importer:
            graph[i.importer].add(i.target)
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


def _strongly_connected(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The groups of nodes that reach one another; a node in no circle is a group alone."""
    reach = {node: _reachable(graph, node) for node in graph}
    groups = {
        frozenset({node, *(other for other in reach[node] if node in reach[other])})
        for node in graph
    }
    return sorted(groups, key=sorted)


def circles() -> list[frozenset[str]]:
    """Each group of modules that import one another round a circle."""
    return [c for c in _strongly_connected(_graph()) if len(c) > 1]


def _describe(circle: frozenset[str]) -> str:
    graph = _graph()
    edges = [f"{a} -> {b}" for a in sorted(circle) for b in sorted(graph[a] & circle)]
    return "circle: " + "; ".join(edges)


# --- the graph itself ------------------------------------------------------------------------


EVERY_KIND = """
from typing import TYPE_CHECKING
import sqlalchemy.orm
from paygate_core import money, errors
from paygate_core.money import Money, Currency
from . import app
if TYPE_CHECKING:
    from paygate_adapters.sql import tables
else:
    import attrs
try:
    import msgspec
except ImportError:
    msgspec = None
class Config:
    import json
    def load(self):
        from paygate_adapters.webhooks import sender
        if TYPE_CHECKING:
            import httpx
"""


def test_every_kind_of_import_is_found_in_its_scope() -> None:
    found = [(i.target, i.scope) for i in _module_imports("paygate_http.process.cli", EVERY_KIND)]
    module, type_checking, function = Scope
    assert found == [
        ("typing", module),
        ("sqlalchemy", module),
        ("paygate_core.money", module),
        ("paygate_core.errors", module),
        ("paygate_core.money", module),
        ("paygate_http.process.app", module),
        ("paygate_adapters.sql.tables", type_checking),
        ("attrs", module),
        ("msgspec", module),
        ("json", module),
        ("paygate_adapters.webhooks.sender", function),
        ("httpx", function),
    ]


def test_the_graph_covers_src() -> None:
    found = {(i.importer, i.target, i.scope) for i in imports()}
    assert ("paygate_http.process.wiring", "paygate_adapters.security", Scope.MODULE) in found
    assert (
        "paygate_core.testing.contract",
        "paygate_core.testing.contract._base",
        Scope.MODULE,
    ) in found
    assert "paygate_adapters.sql.migrations.env" in MODULES
    assert len(MODULES) > 100


def test_circles_are_found_and_only_them() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    components = _strongly_connected(graph)
    assert sorted(map(sorted, components)) == [["a", "b", "c"], ["d"], ["e"]]


# --- the layers ------------------------------------------------------------------------------


def test_the_core_imports_nothing_of_ours_outside_itself() -> None:
    core = [m for m in MODULES if _layer(m) == "paygate_core"]
    assert _violations(core, OURS - {"paygate_core"}) == []


def test_adapters_never_import_the_http_layer() -> None:
    adapters = [m for m in MODULES if _layer(m) == "paygate_adapters"]
    assert _violations(adapters, {"paygate_http"}) == []


def test_only_the_composition_root_of_the_http_layer_imports_adapters_or_sqlalchemy() -> None:
    http = [m for m in MODULES if _layer(m) == "paygate_http" and m not in COMPOSITION_ROOT]
    assert _violations(http, {"paygate_adapters", "sqlalchemy"}) == []


def test_every_composition_root_module_exists_and_imports_adapters_or_sqlalchemy() -> None:
    """The exemption list stays honest: a module that stops needing it leaves the list."""
    for module in COMPOSITION_ROOT:
        assert module in MODULES, f"{module} is gone: drop it from COMPOSITION_ROOT"
        assert _violations([module], {"paygate_adapters", "sqlalchemy"}), (
            f"{module} no longer imports adapters or SQLAlchemy: drop it from COMPOSITION_ROOT"
        )


# --- circles ---------------------------------------------------------------------------------


def test_only_the_package_itself_imports_the_process() -> None:
    """``paygate_http.process`` is the composition root: it builds the API, the pages and the
    pipeline, so none of them may reach back into it."""
    process = "paygate_http.process"
    inside = {process, "paygate_http"}  # the package re-exports ``create_app``
    assert [
        str(i)
        for i in imports()
        if i.target.startswith(process)
        and i.importer not in inside
        and not i.importer.startswith(f"{process}.")
    ] == []


def test_no_import_circles_in_src() -> None:
    assert [_describe(c) for c in circles()] == []
