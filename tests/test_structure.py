"""The import graph: rules and normalisers do no I/O and never see how settings are stored.

Rules (``listclean/checks``) and normalisers (``listclean/normalize``) are pure: columns in,
columns or findings out. What they need of a run arrives as small options objects; the DNS,
the suppression store and the reporters are reached only by the stages around them. Read from
the source (``ast``), so an import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "listclean"
PURE = ("checks", "normalize")
#: What a pure module must not import, directly or through another listclean module.
FORBIDDEN = ("listclean.settings", "sqlite3", "dns", "listclean.dns", "listclean.suppression",
             "listclean.report", "listclean.sqlite", "listclean.lookups")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def statements(source: str, module: str, is_package: bool = False) -> list[tuple[str, list[str]]]:
    """(module named, names taken from it) for every import statement of ``source``, the source
    of ``module``: ``import a.b`` gives ("a.b", []), ``from a import b, c`` ("a", ["b", "c"]);
    relative imports are resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            found.append((base, [alias.name for alias in node.names]))
    return found


def named(found: list[tuple[str, list[str]]]) -> set[str]:
    """Every module the statements may import: ``from a import b`` may be module a or a.b."""
    return {name for base, taken in found for name in [base, *(f"{base}.{t}" for t in taken)]}


def loaded(found: list[tuple[str, list[str]]], modules: set[str]) -> set[str]:
    """The listclean modules the statements load: from a import b is a.b if that is a module, else a."""
    result = set()
    for base, taken in found:
        submodules = {f"{base}.{t}" for t in taken} & modules
        result |= submodules
        if base in modules and (not taken or len(submodules) < len(taken)):
            result.add(base)
    return result


def forbidden(names: set[str]) -> set[str]:
    return {n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)}


@functools.cache
def graph() -> dict[str, list[tuple[str, list[str]]]]:
    """listclean module → its import statements."""
    return {module_name(path): statements(path.read_text("utf-8"), module_name(path), path.name == "__init__.py")
            for path in PACKAGE.rglob("*.py")}


def pure_modules() -> list[str]:
    return sorted(m for m in graph() if m.split(".")[1:2] and m.split(".")[1] in PURE)


def test_the_walk_sees_every_kind_of_import():
    source = """
import sqlite3
import dns.resolver
from listclean import settings
from listclean.suppression.store import SuppressionStore
from ..report import text
def late():
    from listclean.dns import DnsOptions
"""
    found = statements(source, "listclean.checks.example")
    assert forbidden(named(found)) == {
        "sqlite3", "dns.resolver", "listclean.settings", "listclean.suppression.store",
        "listclean.suppression.store.SuppressionStore", "listclean.report", "listclean.report.text",
        "listclean.dns", "listclean.dns.DnsOptions"}
    assert not forbidden(named(statements("import dnslib\nfrom listclean.settingsx import y\nimport reporting", "x")))
    modules = {"listclean", "listclean.errors", "listclean.checks.registry"}
    assert loaded(statements("from listclean import errors\nfrom listclean.checks.registry import RULES", "x"),
                  modules) == {"listclean.errors", "listclean.checks.registry"}


def test_the_pure_packages_are_found():
    modules = pure_modules()
    assert "listclean.checks.engine" in modules and "listclean.normalize.email" in modules
    assert len(modules) >= 15


@pytest.mark.parametrize("module", pure_modules())
def test_rules_and_normalisers_import_no_io_and_no_settings(module):
    found = forbidden(named(graph()[module]))
    assert not found, f"{module} imports {sorted(found)}"


def test_nor_through_another_listclean_module():
    modules = graph()
    for start in pure_modules():
        path, todo = {start: [start]}, [start]
        while todo:
            current = todo.pop()
            found = forbidden(named(modules[current]))
            assert not found, f"{start} reaches {sorted(found)}: {' → '.join(path[current])}"
            for name in loaded(modules[current], set(modules)) - set(path):
                path[name] = path[current] + [name]
                todo.append(name)
