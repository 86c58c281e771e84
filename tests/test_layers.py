"""The layers of the code, read from the source: who imports whom.

Every module of the project's packages is parsed (not imported) and each ``import`` in it,
at module level or inside a function, becomes an edge of the graph of project modules. The
graph must have no cycle; the pure rules and state machines reach for no server, network or
database library; the API never imports an activity; and the operations package
(``procure/``) imports the API only where it assembles the processes that serve it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "rules",
    "state_machines",
    "workflows",
    "activities",
    "api",
    "db",
    "procure",
    "cooperative",
)

# Libraries that do I/O or belong to a server: none of them in the pure layers.
PURE_LAYERS = ("rules", "state_machines", "cooperative")
IMPURE_LIBRARIES = frozenset(
    {"temporalio", "fastapi", "starlette", "asyncpg", "httpx", "socket", "urllib"}
)

# The only modules of procure/ that import api/: they assemble the processes that serve it,
# ``procure dev`` (devstack: PostgreSQL, Temporal, the worker and the API in one process) and
# ``procure api`` (serve). Nothing in api/ imports them, so no cycle. The command line
# (cli.py) reaches the API only through these two.
PROCURE_ASSEMBLES_API = frozenset({"procure.devstack", "procure.serve"})

# What api/ may take from procure/: what the API and the worker share (the clock, the
# settings, the counters and logging context, how to connect to Temporal), never the worker,
# the dispatcher or the processes' assembly.
PROCURE_SHARED_WITH_API = frozenset(
    {"procure.clock", "procure.settings", "procure.observability", "procure.temporal_client"}
)

# Cycles known and not yet removed, each named with the reason it stays: none.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _sources() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imported_names(name: str, path: Path) -> Iterator[str]:
    """Every module name an import statement of the module names, relative ones resolved."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                if not is_package:
                    base.pop()
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            yield prefix
            # ``from package import module`` imports the module too.
            for alias in node.names:
                yield f"{prefix}.{alias.name}"


@cache
def _imports() -> dict[str, frozenset[str]]:
    """All names imported by each project module (project or not)."""
    return {name: frozenset(_imported_names(name, path)) for name, path in _sources().items()}


def _project_edges() -> dict[str, set[str]]:
    """The import graph restricted to project modules: an import of ``a.b.c`` reaches the
    deepest project module it names (and, as Python does, the packages above it)."""
    modules = set(_sources())
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, imported in _imports().items():
        for target in imported:
            parts = target.split(".")
            for i in range(1, len(parts) + 1):
                candidate = ".".join(parts[:i])
                # A module's own package (its __init__) is loaded before it, not by it.
                if (
                    candidate in modules
                    and candidate != name
                    and not name.startswith(candidate + ".")
                ):
                    graph[name].add(candidate)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_every_package_is_read() -> None:
    # Without the sources this test would pass vacuously.
    modules = _sources()
    for package in PACKAGES:
        assert package in modules, package
    assert "procure.temporal_client" in modules
    assert "api.observability" in modules


def test_the_graph_sees_function_level_imports() -> None:
    # ``procure reconcile`` connects inside its function, and that import is an edge.
    assert "procure.temporal_client" in _project_edges()["procure.cli"]


def test_no_import_cycle_among_project_modules() -> None:
    cycles = [c for c in _cycles(_project_edges()) if c not in KNOWN_CYCLES]
    assert not cycles, [sorted(c) for c in cycles]


def test_rules_and_state_machines_import_no_io_library() -> None:
    offending = {
        name: sorted(t for t in imported if t.split(".")[0] in IMPURE_LIBRARIES)
        for name, imported in _imports().items()
        if any(_in(name, layer) for layer in PURE_LAYERS)
    }
    assert not {k: v for k, v in offending.items() if v}


def test_the_api_imports_no_activity() -> None:
    graph = _project_edges()
    offending = {
        name: sorted(t for t in targets if _in(t, "activities"))
        for name, targets in graph.items()
        if _in(name, "api")
    }
    assert not {k: v for k, v in offending.items() if v}


def test_the_api_takes_from_procure_only_what_is_shared() -> None:
    graph = _project_edges()
    offending = {
        name: sorted(
            # ``procure`` itself is only the package that holds them.
            t
            for t in targets
            if _in(t, "procure") and t != "procure" and t not in PROCURE_SHARED_WITH_API
        )
        for name, targets in graph.items()
        if _in(name, "api")
    }
    assert not {k: v for k, v in offending.items() if v}


def test_procure_imports_the_api_only_where_it_assembles_it() -> None:
    graph = _project_edges()
    importing_api = {
        name
        for name, targets in graph.items()
        if _in(name, "procure") and any(_in(t, "api") for t in targets)
    }
    assert importing_api - PROCURE_ASSEMBLES_API == set()
    # The allowance names no module that has stopped needing it.
    assert importing_api == PROCURE_ASSEMBLES_API
