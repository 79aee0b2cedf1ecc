"""No import cycles between the modules of interview_graph.

The graph is built from the source with `ast`, so nothing is imported to check it. An import
inside a function counts (it still ties the two modules together, and a cycle through one
breaks as soon as someone moves it to the top); imports under `if TYPE_CHECKING:` do not, as
they never run. `from package import name` points at `package.name` when that is a module,
else at the package itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "interview_graph"


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package under root."""
    modules: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under node, at any depth, except under `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.orelse:
                yield from _imports_of_statement(statement)
            continue
        yield from _imports_of_statement(child)


def _imports_of_statement(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    yield from _imports(node)


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The module itself, or the closest enclosing package we have."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _targets(
    statement: ast.Import | ast.ImportFrom, importer: str, modules: dict[str, Path]
) -> Iterator[str | None]:
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            yield _known(alias.name, modules)
        return
    base = statement.module or ""
    if statement.level:
        is_package = modules[importer].name == "__init__.py"
        package = importer if is_package else importer.rpartition(".")[0]
        anchor = package.split(".")[: len(package.split(".")) - (statement.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    for alias in statement.names:
        submodule = f"{base}.{alias.name}"
        yield submodule if submodule in modules else _known(base, modules)


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Each module of the package -> the package's modules it imports."""
    modules = module_files(root, package)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = {
            target
            for statement in _imports(tree)
            for target in _targets(statement, name, modules)
            if target is not None and target != name
        }
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as its modules in import order (the first repeated at the end), or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> list[str] | None:
        path.append(module)
        on_path.add(module)
        for target in sorted(graph.get(module, ())):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        path.pop()
        on_path.discard(module)
        done.add(module)
        return None

    for module in sorted(graph):
        if module not in done:
            cycle = visit(module)
            if cycle is not None:
                return cycle
    return None


def test_interview_graph_has_no_import_cycle() -> None:
    graph = import_graph(SRC, PACKAGE)
    assert len(graph) > 40 and "interview_graph.cli.app" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",
            "pkg/b.py": "def late():\n    from pkg.sub.c import thing\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/c.py": "from .. import a\nthing = 1\n",
        },
    )
    assert find_cycle(import_graph(tmp_path, "pkg")) == ["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]


def test_type_checking_imports_and_names_from_a_package_make_no_cycle(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.a import VALUE\n",
            "pkg/a.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from pkg.b import B\n"
                "else:\n    import json\n"
                "VALUE = 1\n"
            ),
            "pkg/b.py": "from pkg.a import VALUE\nclass B: ...\n",
        },
    )
    graph = import_graph(tmp_path, "pkg")
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": set(), "pkg.b": {"pkg.a"}}
    assert find_cycle(graph) is None
