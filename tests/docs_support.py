"""Support for tests/test_docs_examples.py: find the fenced code blocks of README.md and docs/*.md and run them.

What runs, per fence language (the word after the opening fence):

* ``python``/``py``: executed in order within one page, sharing one namespace (like a doctest of the
  page), with the page's directory as the working directory.
* ``bash``/``sh``/``shell``: run as one ``bash -e -o pipefail`` script in the page's directory, with the
  running interpreter's ``bin`` directory (where ``omnimix`` is installed) first on ``PATH``. Commands
  that cannot run in a test are shown but not executed: see :data:`SHOWN_NOT_RUN`.
* ``toml``: must parse; a block that looks like an ``omnimix.toml`` must also validate
  (:func:`omnimix.config.parse_config`).
* ``json``: must parse.
* ``text``, ``console``, ``output``, ``plain`` and fences without a language: shown, not code.

The page's directory is a fresh copy, per docs page, of one directory built once per test session:
``data/`` from ``omnimix simulate --out data --customers 2000 --weeks 60 --seed 7`` and a workspace
``ws/`` from ``omnimix init ws``, ``omnimix ingest data/*.* --workspace ws`` and ``omnimix resolve
--workspace ws``. Blocks of one page run in order and share the directory, so files a block writes are
there for the blocks after it.

An HTML comment on the last non-blank line before a fence changes how it is run (several words may be
given, separated by spaces; anything after ``--`` is a free-text reason):

* ``<!-- docs-test: skip -- reason -->``: not run (use for a block that cannot run anywhere, and say why);
* ``<!-- docs-test: slow -->``: marked ``slow`` (skipped by the default run, like the other slow tests);
  a later block of the same page runs it first only when the slow block is selected too, so mark a
  block that needs what a slow block leaves (files, names) slow as well;
* ``<!-- docs-test: empty-dir -->``: the block builds its own ``data/`` and ``ws/``, so it runs in a new
  empty directory, which the page's later blocks then use.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

PYTHON = frozenset({"python", "py", "python3"})
SHELL = frozenset({"bash", "sh", "shell"})
TOML = frozenset({"toml"})
JSON = frozenset({"json"})
TEXT = frozenset({"", "text", "console", "output", "plain", "txt"})
KNOWN = PYTHON | SHELL | TOML | JSON | TEXT

DIRECTIVES = frozenset({"skip", "slow", "empty-dir"})

#: Shell commands shown in the docs but not executed by the test: set-up of the machine, long-running
#: servers and requests to them. A logical line (continuations joined) whose command starts with one of
#: these is replaced by ``:`` (a no-op), the rest of the block runs.
SHOWN_NOT_RUN: tuple[str, ...] = (
    "make",
    "pip install",
    "python -m pip",
    "python3 -m pip",
    "apt-get",
    "sudo",
    ". .venv/bin/activate",
    "source .venv/bin/activate",
    "omnimix serve",
    "curl",
)

#: The session's simulated world (the docs refer to these files and to ``ws``).
SIMULATE = ("simulate", "--out", "data", "--customers", "2000", "--weeks", "60", "--seed", "7")

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*docs-test:\s*(?P<words>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a docs page."""

    page: str          # path relative to the repository root, e.g. "docs/mmm.md"
    line: int          # 1-based line of the opening fence
    lang: str          # first word of the info string, lower-cased ("" when none)
    code: str          # the block's text (indentation of the fence removed)
    directives: frozenset[str] = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def kind(self) -> str:
        """``python``, ``shell``, ``toml``, ``json``, ``text`` or ``unknown``."""
        for name, langs in (("python", PYTHON), ("shell", SHELL), ("toml", TOML), ("json", JSON),
                            ("text", TEXT)):
            if self.lang in langs:
                return name
        return "unknown"

    @property
    def stateful(self) -> bool:
        """Whether the block runs in (and may change) the page's directory and namespace."""
        return self.kind in ("python", "shell")


def parse_blocks(page: str, text: str) -> list[Block]:
    """Every fenced code block of a markdown text, in order (unclosed fences run to the end, as in
    CommonMark)."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m or (m["fence"][0] == "`" and "`" in m["info"]):
            i += 1
            continue
        fence, indent = m["fence"], len(m["indent"])
        info = m["info"].strip()
        lang = info.split()[0].lower() if info else ""
        lang = lang.removeprefix("{").removesuffix("}")
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines):
            close = lines[i].strip()
            if close.startswith(fence[0] * len(fence)) and set(close) == {fence[0]} and \
                    len(lines[i]) - len(lines[i].lstrip()) <= 3:
                break
            raw = lines[i]
            strip = min(indent, len(raw) - len(raw.lstrip(" ")))
            body.append(raw[strip:])
            i += 1
        i += 1
        blocks.append(Block(page, start + 1, lang, "\n".join(body) + ("\n" if body else ""),
                            _directives_before(lines, start)))
    return blocks


def _directives_before(lines: list[str], fence_index: int) -> frozenset[str]:
    j = fence_index - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if j < 0:
        return frozenset()
    m = _DIRECTIVE.match(lines[j])
    if not m:
        return frozenset()
    words = m["words"].split("--", 1)[0].split()
    unknown = set(words) - DIRECTIVES
    if unknown:
        raise ValueError(f"line {j + 1}: unknown docs-test directive(s) {sorted(unknown)}; "
                         f"known: {sorted(DIRECTIVES)}")
    return frozenset(words)


def docs_pages(root: Path = ROOT) -> list[Path]:
    """README.md and docs/*.md."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def collect(root: Path = ROOT) -> list[Block]:
    """Every fenced block of every docs page."""
    out: list[Block] = []
    for path in docs_pages(root):
        out.extend(parse_blocks(path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")))
    return out


# ---------------------------------------------------------------------------------------------- shell
def logical_lines(code: str) -> list[tuple[int, int]]:
    """(first, last) 0-based line ranges of the shell commands of a block, continuations joined."""
    lines = code.splitlines()
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        j = i
        while lines[j].rstrip().endswith("\\") and j + 1 < len(lines):
            j += 1
        out.append((i, j))
        i = j + 1
    return out


def shown_not_run(command: str) -> bool:
    """Whether a shell command is one of :data:`SHOWN_NOT_RUN` (matched at a word boundary)."""
    cmd = command.strip()
    return any(cmd == p or cmd.startswith(p + " ") or cmd.startswith(p + "\t") for p in SHOWN_NOT_RUN)


def shell_script(code: str) -> tuple[str, list[str]]:
    """The script run for a shell block (same line numbers as the block) and the commands left out."""
    lines = code.splitlines()
    left_out: list[str] = []
    for first, last in logical_lines(code):
        if shown_not_run(lines[first]):
            left_out.append(" ".join(line.rstrip("\\").strip() for line in lines[first:last + 1]))
            lines[first] = ":  # shown, not run: " + lines[first].strip().rstrip("\\").replace("'", "")
            for k in range(first + 1, last + 1):
                lines[k] = ""
    return "\n".join(lines) + "\n", left_out


def shell_env() -> dict[str, str]:
    """The environment of shell blocks: this interpreter's ``bin`` first on PATH, this checkout's
    ``src`` on PYTHONPATH (so ``omnimix`` and ``python`` are the ones under test)."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def run_shell(block: Block, cwd: Path, timeout: float = 600.0) -> None:
    """Run a shell block; raise AssertionError naming the docs line that failed."""
    script, _ = shell_script(block.code)
    header = ('set -eo pipefail; trap \'echo "docs-test: failed at block line $((LINENO - 1)), '
              'exit $?" >&2\' ERR\n')
    proc = subprocess.run(["bash", "-c", header + script], cwd=cwd, env=shell_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        m = re.search(r"docs-test: failed at block line (\d+)", proc.stderr)
        where = f"{block.page}:{block.line + int(m[1])}" if m else block.id
        raise AssertionError(f"shell block {block.id} failed at {where} (exit {proc.returncode})\n"
                             f"--- stdout (tail)\n{proc.stdout[-3000:]}\n--- stderr (tail)\n{proc.stderr[-3000:]}")


# ------------------------------------------------------------------------------------ python, toml, json
def run_python(block: Block, namespace: dict[str, Any], cwd: Path) -> None:
    """Execute a python block in ``namespace`` with ``cwd`` as working directory; tracebacks name the
    docs file and its line numbers."""
    source = "\n" * block.line + block.code       # line numbers of the page
    compiled = compile(source, str(ROOT / block.page), "exec")
    old = Path.cwd()
    os.chdir(cwd)
    try:
        exec(compiled, namespace)
    finally:
        os.chdir(old)


def looks_like_omnimix_toml(data: dict[str, Any]) -> bool:
    """Whether a TOML mapping uses only sections of omnimix.toml (then it must validate)."""
    from omnimix.config import Config

    return bool(data) and set(data) <= set(Config.model_fields)


def check_toml(block: Block) -> None:
    data = tomllib.loads(block.code)
    if looks_like_omnimix_toml(data):
        from omnimix.config import parse_config

        parse_config(data, origin=block.id)


def check_json(block: Block) -> None:
    json.loads(block.code)


# ---------------------------------------------------------------------------------------------- pages
def build_base(dest: Path, omnimix: Callable[..., None]) -> None:
    """Build the session directory: ``data/`` and the workspace ``ws/`` (see the module docstring)."""
    dest.mkdir(parents=True, exist_ok=True)
    omnimix(*SIMULATE, cwd=dest)
    omnimix("init", "ws", cwd=dest)
    files = sorted(p.name for p in (dest / "data").iterdir() if p.is_file())
    omnimix("ingest", *[f"data/{f}" for f in files], "--workspace", "ws", cwd=dest)
    omnimix("resolve", "--workspace", "ws", cwd=dest)


def run_omnimix(*args: str, cwd: Path) -> None:
    """Run the ``omnimix`` console script of this interpreter; raise with its output on failure."""
    exe = Path(sys.executable).parent / "omnimix"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "omnimix.cli"]
    proc = subprocess.run([*cmd, *args], cwd=cwd, env=shell_env(), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"omnimix {' '.join(args)} failed (exit {proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


@dataclass
class Page:
    """The running state of one docs page: its directory, its python namespace, the blocks run so far."""

    blocks: list[Block]
    base: Path
    workdir: Path
    namespace: dict[str, Any] = field(default_factory=lambda: {"__name__": "__docs__"})
    next_index: int = 0
    first_failure: tuple[Block, BaseException] | None = None
    _fresh: int = 0

    @classmethod
    def start(cls, blocks: list[Block], base: Path, workdir: Path) -> Page:
        if workdir.exists():
            shutil.rmtree(workdir)
        shutil.copytree(base, workdir)
        return cls(blocks, base, workdir)

    def _run(self, block: Block) -> None:
        if "empty-dir" in block.directives:
            self._fresh += 1
            fresh = self.workdir.with_name(f"{self.workdir.name}-empty{self._fresh}")
            if fresh.exists():
                shutil.rmtree(fresh)
            fresh.mkdir(parents=True)
            self.workdir = fresh
        if block.kind == "python":
            run_python(block, self.namespace, self.workdir)
        elif block.kind == "shell":
            run_shell(block, self.workdir)

    def run_through(self, block: Block, selected: Container[str] | None = None) -> None:
        """Run every not-yet-run stateful block of the page up to and including ``block``.

        A ``slow`` block before ``block`` runs only when ``selected`` (the ids of the blocks this test
        session runs; None: all) holds it, so the default run does not pay for a slow block it skips.

        Raises:
            the block's own failure; ``EarlierBlockFailed`` when a block before it failed.
        """
        target = self.blocks.index(block)
        while self.next_index <= target and self.first_failure is None:
            b = self.blocks[self.next_index]
            self.next_index += 1
            if not b.stateful or "skip" in b.directives:
                continue
            if b != block and "slow" in b.directives and selected is not None and b.id not in selected:
                continue
            try:
                self._run(b)
            except (Exception, SystemExit) as exc:
                self.first_failure = (b, exc)
        if self.first_failure is not None:
            failed, error = self.first_failure
            if failed == block:
                raise error
            if self.blocks.index(failed) < target:
                raise EarlierBlockFailed(failed.id)


class EarlierBlockFailed(Exception):
    """A block before this one on the same page failed, so this one was not judged."""
