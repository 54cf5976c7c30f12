"""Every fenced code block of README.md and docs/*.md runs against a small simulated workspace.

The rules (which languages run and how, the ``<!-- docs-test: … -->`` comments, the commands shown but not
run) are in the docstring of tests/docs_support.py. Each block is one test, named ``PAGE:LINE`` after its
opening fence, e.g. ``pytest 'tests/test_docs_examples.py::test_docs_block[docs/mmm.md:42]'`` (or ``-k mmm``).
A block that needs the blocks before it on its page (python shares one namespace per page; every block shares
the page's directory) runs them first, in this process, so a block can be selected alone and pytest-xdist may
spread the blocks over workers.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
from pathlib import Path

import pytest

from omnimix.errors import ConfigError

from .docs_support import (
    KNOWN,
    SHOWN_NOT_RUN,
    Block,
    EarlierBlockFailed,
    Page,
    build_base,
    check_json,
    check_toml,
    collect,
    parse_blocks,
    run_omnimix,
    shell_script,
)

BLOCKS = collect()
CODE = [b for b in BLOCKS if b.kind not in ("text", "unknown")]


def _param(block: Block) -> object:
    marks = []
    if "slow" in block.directives:
        marks.append(pytest.mark.slow)
    if "skip" in block.directives:
        marks.append(pytest.mark.skip(reason="<!-- docs-test: skip --> before the block"))
    return pytest.param(block, id=block.id, marks=marks)


@pytest.fixture(scope="session")
def docs_base(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """``data/`` and ``ws/`` built once per session (shared by the xdist workers of one run)."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    base, done = root / "docs-base", root / "docs-base.done"
    with open(root / "docs-base.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                if base.exists():
                    shutil.rmtree(base)
                build_base(base, run_omnimix)
                done.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return base


@pytest.fixture(scope="session")
def pages() -> dict[str, Page]:
    """One :class:`Page` per docs page, started on first use (a fresh copy of ``docs_base``)."""
    return {}


def _page(pages: dict[str, Page], block: Block, docs_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Page:
    if block.page not in pages:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", block.page).strip("-")
        workdir = tmp_path_factory.mktemp(f"docs-{slug}", numbered=True) / "page"
        pages[block.page] = Page.start([b for b in BLOCKS if b.page == block.page], docs_base, workdir)
    return pages[block.page]


@pytest.mark.parametrize("block", [_param(b) for b in CODE])
def test_docs_block(block: Block, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The block runs as written (python, shell) or parses and validates (toml, json)."""
    if block.kind == "toml":
        check_toml(block)
        return
    if block.kind == "json":
        check_json(block)
        return
    # only blocks that run need the simulated workspace (built on first use)
    docs_base: Path = request.getfixturevalue("docs_base")
    page = _page(request.getfixturevalue("pages"), block, docs_base, tmp_path_factory)
    selected = {item.callspec.params["block"].id for item in request.session.items
                if getattr(item, "originalname", None) == "test_docs_block" and hasattr(item, "callspec")}
    try:
        page.run_through(block, selected)
    except EarlierBlockFailed as exc:
        pytest.skip(f"not judged: the earlier block {exc} of this page failed")


def test_every_fence_has_a_known_language() -> None:
    """A typo in a fence's language (```pyhton) would silently turn code into text."""
    unknown = [f"{b.id} ({b.lang!r})" for b in BLOCKS if b.lang not in KNOWN]
    assert not unknown, f"fences with a language the docs test does not know: {unknown}; known: {sorted(KNOWN)}"


def test_the_docs_have_code_to_run() -> None:
    """The collection finds the pages' blocks (a broken parser would make every test above vanish)."""
    pages = {b.page for b in CODE}
    assert "README.md" in pages
    assert sum(1 for b in CODE if b.kind == "python") >= 5
    assert sum(1 for b in CODE if b.kind == "shell") >= 5


# ------------------------------------------------------------------------------------- the harness itself
PAGE = """# t

Some text.

```python
x = 1
```

<!-- docs-test: slow -- a full NUTS fit -->

```bash
omnimix simulate --out d \\
    --weeks 12
make demo   # shown only
```

  ```toml
  [workspace]
  engine = 'spark'
  ```

```
omnimix serve --workspace DIR
```
"""


def test_parser_finds_blocks_lines_languages_and_directives() -> None:
    blocks = parse_blocks("p.md", PAGE)
    assert [(b.line, b.lang, b.kind) for b in blocks] == [
        (5, "python", "python"), (11, "bash", "shell"), (17, "toml", "toml"), (22, "", "text")]
    assert blocks[0].code == "x = 1\n"
    assert blocks[1].directives == frozenset({"slow"})
    assert blocks[0].directives == frozenset()
    assert blocks[2].code == "[workspace]\nengine = 'spark'\n"
    assert blocks[1].id == "p.md:11"


def test_unknown_directive_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown docs-test directive"):
        parse_blocks("p.md", "<!-- docs-test: skipp -->\n```bash\ntrue\n```\n")


def test_shell_script_keeps_line_numbers_and_leaves_out_only_the_listed_commands() -> None:
    code = ("make demo   # comment\n"
            "omnimix simulate --out d \\\n    --weeks 12\n"
            "omnimix serve --workspace ws \\\n    --port 8000\n"
            "makefoo\n"
            ". .venv/bin/activate\n")
    script, left_out = shell_script(code)
    lines = script.splitlines()
    assert len(lines) == len(code.splitlines())
    assert left_out == ["make demo   # comment", "omnimix serve --workspace ws --port 8000", ". .venv/bin/activate"]
    assert lines[1].startswith("omnimix simulate") and lines[2].strip() == "--weeks 12"
    assert lines[0].startswith(":") and lines[3].startswith(":") and lines[4] == ""
    assert lines[5] == "makefoo"            # a prefix matches whole words only
    assert "make" in SHOWN_NOT_RUN and "omnimix serve" in SHOWN_NOT_RUN


def test_toml_blocks_that_look_like_omnimix_toml_are_validated() -> None:
    good = Block("p.md", 1, "toml", "[workspace]\nengine = 'spark'\n")
    check_toml(good)
    check_toml(Block("p.md", 1, "toml", "[tool.other]\nx = 1\n"))      # not an omnimix.toml: parse only
    with pytest.raises(ConfigError, match="currency"):
        check_toml(Block("p.md", 1, "toml", "[workspace]\ncurrency = 'RMBX'\n"))
    with pytest.raises(json.JSONDecodeError):
        check_json(Block("p.md", 1, "json", '{"a": {...}}\n'))


def test_a_failing_shell_line_is_named_by_its_docs_line(tmp_path: Path) -> None:
    blocks = parse_blocks("p.md", "t\n\n```bash\ntrue\nfalse\ntrue\n```\n\n```python\ny = 2\n```\n")
    page = Page(blocks, tmp_path, tmp_path)
    with pytest.raises(AssertionError, match=r"failed at p\.md:5"):
        page.run_through(blocks[0])
    with pytest.raises(EarlierBlockFailed, match=r"p\.md:3"):
        page.run_through(blocks[1])


def test_a_slow_block_runs_before_a_later_one_only_when_it_is_selected(tmp_path: Path) -> None:
    blocks = parse_blocks("p.md", "<!-- docs-test: slow -->\n```python\nx = 1\n```\n\n```python\ny = 2\n```\n")
    page = Page(blocks, tmp_path, tmp_path)
    page.run_through(blocks[1], selected={"p.md:6"})
    assert "y" in page.namespace and "x" not in page.namespace
    page = Page(blocks, tmp_path, tmp_path)
    page.run_through(blocks[1], selected={"p.md:2", "p.md:6"})
    assert page.namespace["x"] == 1 and page.namespace["y"] == 2


def test_python_blocks_share_a_namespace_and_report_docs_lines(tmp_path: Path) -> None:
    blocks = parse_blocks("p.md", "```python\nx = 40\n```\n\n```python\ny = x + 2\n```\n\n```py\n\nboom\n```\n")
    page = Page(blocks, tmp_path, tmp_path)
    page.run_through(blocks[1])
    assert page.namespace["y"] == 42
    with pytest.raises(NameError) as info:
        page.run_through(blocks[2])
    assert info.traceback[-1].lineno + 1 == 11            # `boom` is on line 11 of p.md

