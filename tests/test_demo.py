"""``omnimix demo`` runs the whole loop in one process through the workflows (no omnimix subprocess)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from omnimix.demo import STEPS, run_demo


def test_demo_runs_every_step_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []

    def refuse(self: subprocess.Popen, args: object, *a: object, **k: object) -> None:  # type: ignore[type-arg]
        started.append(args)
        raise AssertionError(f"the demo started a subprocess: {args!r}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    said: list[str] = []
    ctx = run_demo(tmp_path / "demo", customers=400, weeks=52, seed=3, say=said.append)
    assert started == []
    assert [name for name, _ in STEPS] == ["simulate", "init", "ingest", "resolve", "attribute", "clv", "mmm",
                                           "optimize"]
    assert {"simulate", "ingest", "resolve", "attribution", "clv", "mmm"} <= set(ctx.results)
    assert ctx.results["ingest"]["rows_loaded"] > 0
    assert (ctx.workspace / "mmm" / "latest" / "report.html").exists()
    if ctx.results["mmm"]["diagnostics"]["passed"]:
        lo, hi = ctx.results["optimize"]["kpi_interval_90"]
        assert lo < hi
    else:
        assert "optimize" not in ctx.results


def test_demo_module_has_no_subprocess_path() -> None:
    src = Path(__file__).resolve().parents[1] / "src" / "omnimix" / "demo.py"
    text = src.read_text(encoding="utf-8")
    assert "subprocess" not in text and "sys.executable" not in text
