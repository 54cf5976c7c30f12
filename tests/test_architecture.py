"""The layout a maintainer can walk: no import circles, no module over 700 lines, the layers contract.

The cycle check reads every ``import`` statement with :mod:`ast`, including imports inside functions
(a lazy import that points back up is still a circle a reader has to untangle). An import of a name
from a package counts as an import of the submodule when the name is one.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
MAX_LINES = 700


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for p in sorted((SRC / "omnimix").rglob("*.py")):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def import_graph() -> dict[str, set[str]]:
    """module → omnimix modules it imports anywhere in its body (package ``__init__`` resolved)."""
    mods = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in mods else module for a in node.names]
            for t in targets:
                while t and t not in mods:
                    t = t.rsplit(".", 1)[0] if "." in t else ""
                if t and t != name and t.startswith("omnimix"):
                    graph[name].add(t)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_planted_cycle() -> None:
    g = {"omnimix.a": {"omnimix.b"}, "omnimix.b": {"omnimix.c"}, "omnimix.c": {"omnimix.a"}, "omnimix.d": set()}
    assert _cycles(g) == [["omnimix.a", "omnimix.b", "omnimix.c"]]


def test_no_import_circle_among_src_modules() -> None:
    # a package __init__ that imports its submodules counts too: a submodule importing its own package
    # back (``from omnimix.cli import app`` inside omnimix/cli/ingest.py) is a circle
    assert _cycles(import_graph()) == []


def test_no_module_over_700_lines() -> None:
    long = {str(p.relative_to(SRC)): n for p in (SRC / "omnimix").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_layers_contract_holds() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed (dev extra)")
    root = SRC.parent
    res = subprocess.run([exe, "--config", str(root / "pyproject.toml")], cwd=root, capture_output=True,
                         text=True, env={"PYTHONPATH": str(SRC), "PATH": str(Path(sys.executable).parent)})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
