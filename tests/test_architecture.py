"""The architecture, enforced: the core and the analysis never import Qt (Anki's pylib/aqt
split); the GUI holds no SQL; writes happen only in the row writers; no import cycles between
our modules; no module imports another's private names.

Read from the sources with `ast` (no extra dependency, and the messages name file and line).
Imports under `if TYPE_CHECKING:` are type hints, never run, and do not count as imports;
imports inside functions do.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "qagrader"
QT_PACKAGES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "matplotlib.backends.backend_qt")
CORE_PACKAGES = ("core", "analysis")
SQL_CALLS = {"execute", "executemany", "executescript"}
ROW_WRITERS = {"qagrader.core.storage.writers", "qagrader.core.storage.migrations"}
SQL_WRITE = re.compile(r"\b(INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|REPLACE\s+INTO)\b", re.I)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported from
    name: str | None  # the name taken from it (`from target import name`), None for `import target`
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@cache
def tree(module: str) -> ast.Module:
    return ast.parse(modules()[module].read_text(encoding="utf-8"))


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _runtime_nodes(module: str) -> list[ast.AST]:
    """Every node of the module except those under `if TYPE_CHECKING:`."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = [tree(module)]
    while stack:
        node = stack.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                stack.extend(child.orelse)
            else:
                stack.append(child)
    return out


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if modules()[module].name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


@cache
def imports(module: str) -> tuple[Import, ...]:
    found: list[Import] = []
    for node in _runtime_nodes(module):
        if isinstance(node, ast.Import):
            found.extend(Import(module, alias.name, None, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, node)
            found.extend(Import(module, target, alias.name, node.lineno) for alias in node.names)
    return tuple(found)


def where(module: str, line: int) -> str:
    return f"{modules()[module].relative_to(ROOT)}:{line}"


def internal_edges() -> dict[str, set[str]]:
    """module -> the qagrader modules it imports at run time (a submodule taken with
    `from package import module` counts as that module)."""
    known = modules()
    edges: dict[str, set[str]] = {m: set() for m in known}
    for module in known:
        for imp in imports(module):
            if imp.name and f"{imp.target}.{imp.name}" in known:
                edges[module].add(f"{imp.target}.{imp.name}")
            elif imp.target in known:
                edges[module].add(imp.target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def in_package(module: str, *packages: str) -> bool:
    return any(module == f"qagrader.{p}" or module.startswith(f"qagrader.{p}.") for p in packages)


# ---------------------------------------------------------------------------------- the rules

def test_core_sources_import_no_qt_or_gui():
    offenders = [
        f"{where(imp.module, imp.line)} imports {imp.target}"
        for module in modules() if in_package(module, *CORE_PACKAGES)
        for imp in imports(module)
        if imp.target.startswith(QT_PACKAGES) or imp.target.startswith(("qagrader.gui", "qagrader.cli"))
    ]
    assert offenders == []


def test_importing_every_core_module_loads_no_qt():
    core = [m for m in modules() if in_package(m, *CORE_PACKAGES)]
    code = (
        "import importlib, sys\n"
        f"for m in {core!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.startswith({QT_PACKAGES!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_gui_holds_no_sql():
    """No sqlite3 and no execute() in qagrader/gui: screens call core functions."""
    offenders = []
    for module in modules():
        if not in_package(module, "gui"):
            continue
        offenders += [f"{where(module, imp.line)} imports {imp.target}" for imp in imports(module)
                      if imp.target == "sqlite3" or imp.target.startswith("sqlite3.") or imp.target == "sqlite_utils"
                      or imp.target.startswith("sqlite_utils.")]
        offenders += [f"{where(module, node.lineno)} calls .{node.func.attr}()" for node in ast.walk(tree(module))
                      if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                      and node.func.attr in SQL_CALLS]
    assert offenders == []


def test_rows_are_written_only_by_the_row_writers():
    """SQL that inserts, updates or deletes rows appears only in core/storage/writers.py (and
    the schema migrations): every write records its Changes."""
    offenders = [
        f"{where(module, node.lineno)}: {node.value.strip().splitlines()[0][:60]}"
        for module in modules() if module not in ROW_WRITERS
        for node in ast.walk(tree(module))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_WRITE.search(node.value)
        and not _is_docstring(module, node)
    ]
    assert offenders == []


def _is_docstring(module: str, constant: ast.Constant) -> bool:
    for node in ast.walk(tree(module)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and body[0].value is constant:
                return True
    return False


def test_no_import_cycles_between_modules():
    assert cycles(internal_edges()) == []


def test_the_cycle_finder_finds_a_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(edges) == [["a", "b", "c"]]


def test_no_module_imports_another_modules_private_names():
    offenders = [
        f"{where(imp.module, imp.line)} imports {imp.target}.{imp.name}"
        for module in modules() for imp in imports(module)
        if imp.name and imp.name.startswith("_") and not imp.name.startswith("__")
        and imp.target.split(".")[0] == "qagrader" and imp.target != imp.module
    ]
    assert offenders == []
