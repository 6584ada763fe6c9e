"""The layers, read from the imports of every module (imports inside functions included, those
only for type checkers left out): `api/` (the process) -> `schema/` (the GraphQL face) ->
`contacts/` (the domain), never upward, and no two modules that import each other, directly or
through others."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["bench", "api", "schema", "contacts"]  # each may import those after it, never those before


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, (ast.Name, ast.Attribute)) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST, package: str) -> set[str]:
    found: set[str] = set()
    pending = list(ast.iter_child_nodes(tree))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return found


def graph() -> dict[str, set[str]]:
    """Each module of the project's layers -> the modules of the project it imports."""
    paths = [p for layer in LAYERS for p in (ROOT / layer).rglob("*.py") if "node_modules" not in p.parts]
    modules = {_module_name(p): p for p in paths}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported = _imports(ast.parse(path.read_text(), str(path)), package)
        edges[name] = {m for m in imported if m in modules and m != name}
    return edges


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_no_import_runs_upward():
    upward = [(a, b) for a, targets in graph().items() for b in targets if _layer(b) < _layer(a)]
    assert upward == []


def test_no_modules_import_each_other_even_through_others():
    edges = graph()
    # Strongly connected components (Tarjan): a component of more than one module is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert cycles == []


def test_the_layers_are_all_there():
    edges = graph()
    assert {_layer(m) for m in edges} == set(range(len(LAYERS)))
    assert sum(len(targets) for targets in edges.values()) > 200  # the graph is read, not empty
