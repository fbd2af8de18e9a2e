"""The shape's layer rules (DEVELOPERS.md), checked on every module's imports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.helpers import ROOT

FORBIDDEN = {
    "core": {"PySide6", "flask", "flask_wtf", "flask_limiter", "waitress", "desktop", "intake",
             "printdesk"},
    "storage": {"PySide6", "flask", "flask_wtf", "waitress", "desktop", "intake", "core",
                "printdesk"},
    "desktop": {"sqlalchemy", "alembic", "storage", "flask", "flask_wtf", "waitress", "intake"},
    "intake": {"sqlalchemy", "alembic", "storage", "PySide6", "desktop"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            roots.add(str(node.args[0].value).split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_never_imports_what_it_must_not(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    offences = {
        str(f.relative_to(ROOT)): sorted(imported_roots(f) & FORBIDDEN[package]) for f in files
    }
    assert {k: v for k, v in offences.items() if v} == {}


def test_the_checker_sees_an_offence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from sqlalchemy import select\n    import PySide6.QtCore\n")
    assert imported_roots(bad) >= {"sqlalchemy", "PySide6"}


def core_imports() -> dict[str, set[str]]:
    """Each core module and the core modules it imports (anywhere in it, type-only included)."""
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
               for p in (ROOT / "core").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            found.update(t for t in targets if t in modules and t != name)
        graph[name] = found
    return graph


def test_core_has_no_import_circle() -> None:
    graph = core_imports()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join([*path[path.index(nxt):], nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_the_fronts_never_reach_the_database_or_the_file_store() -> None:
    """desktop/ and intake/ use desk.workflow, desk.queries, desk.student and core services:
    never desk.db or desk.store (the service layer owns sessions and files)."""
    pattern = re.compile(r"\.(db|store)\b(?!\w)")
    offences = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
                for package in ("desktop", "intake") for p in sorted((ROOT / package).rglob("*.py"))
                for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                if pattern.search(line.split("#", 1)[0])]
    assert offences == []
