"""No import circles among ``forms_service`` modules, not even hidden inside a function.

A circle means neither module can be understood, tested or moved without the
other, and an import tucked into a function only hides it. So this reads every
module with ``ast`` and counts every import it finds: at module level, inside
functions and classes, and inside ``if TYPE_CHECKING:`` blocks (a type-only
import is still a dependency; none is skipped, so none needs a reason).
Relative imports are resolved; ``from pkg import name`` counts as importing
the submodule ``pkg.name`` when there is one, else ``pkg``'s ``__init__``.
The implicit import of a module's parent packages is not counted: it is how
Python loads every submodule, not a choice the module makes.

Every strongly connected component of more than one module is a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "forms_service"

Graph = dict[str, dict[str, list[str]]]  # module -> imported module -> ["file:line", …]


def _modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` under ``root / package``."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """``name`` if it is a module here, else its longest prefix that is (or None)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path, modules: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import statement anywhere in ``path``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _known(alias.name, modules)
                if target:
                    yield target, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(anchor + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                # A submodule, or else a name the package (or module) itself defines.
                target = submodule if submodule in modules else _known(source, modules)
                if target:
                    yield target, node.lineno


def import_graph(root: Path, package: str) -> Graph:
    """Which module imports which, with where each import is written."""
    modules = _modules(root, package)
    graph: Graph = {name: {} for name in modules}
    for name, path in modules.items():
        for target, line in _imports(name, path, modules):
            if target != name:
                where = f"{path.relative_to(root)}:{line}"
                places = graph[name].setdefault(target, [])
                if where not in places:
                    places.append(where)
    return graph


def circles(graph: Graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
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
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _describe(graph: Graph, component: list[str]) -> str:
    members = set(component)
    lines = [" <-> ".join(component)]
    for source in component:
        for target, places in sorted(graph[source].items()):
            if target in members:
                lines.append(f"    {source} -> {target}  ({', '.join(places)})")
    return "\n".join(lines)


def test_no_import_circles_among_forms_service_modules() -> None:
    graph = import_graph(ROOT, PACKAGE)
    found = circles(graph)
    assert not found, "import circles:\n" + "\n".join(_describe(graph, c) for c in found)


# --------------------------------------------------------------------------- the checker itself


def _package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_circle_hidden_in_a_function_is_found(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "def f():\n    from .sub import b\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/b.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
        "    from ..c import X\n",
        "pkg/c.py": "from .a import f\n",
        "pkg/d.py": "import pkg.sub.b\nfrom pkg import a\n",
    }
    _package(tmp_path, files)
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.a"] == {"pkg.sub.b": ["pkg/a.py:2"]}
    assert graph["pkg.sub.b"] == {"pkg.c": ["pkg/sub/b.py:4"]}
    assert set(graph["pkg.d"]) == {"pkg.a", "pkg.sub.b"}
    assert circles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
    _package(tmp_path, {"pkg/a.py": "def f():\n    return None\n"})
    assert circles(import_graph(tmp_path, "pkg")) == []


def test_a_name_from_a_package_init_is_an_edge_to_the_init(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "pkg/__init__.py": "def make():\n    from .views import page\n",
            "pkg/views.py": "from . import make\n",
            "pkg/other.py": "from . import views\nfrom pkg import views as v\n",
        },
    )
    graph = import_graph(tmp_path, "pkg")
    assert set(graph["pkg.other"]) == {"pkg.views"}
    assert circles(graph) == [["pkg", "pkg.views"]]
