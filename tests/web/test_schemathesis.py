"""Property-based API fuzzing from /openapi.json: no request may produce a 5xx.

Runs every operation with generated parameters and bodies, as an admin (who reaches every endpoint),
with ``omnimix.optimize.optimize_curves`` stubbed. Slow-marked.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from .conftest import Env

pytestmark = pytest.mark.slow


def _opt(curves: Any, budget: float, reserve: float, objective: str, **_kw: Any) -> dict[str, Any]:
    ch = sorted(curves.channels)  # the job passes ResponseCurves (with draws) and the guardrails
    return {
        "allocation": {c: budget * (1 - reserve) / len(ch) for c in ch},
        "reserve": budget * reserve,
        "expected_kpi": 1.0,
        "marginal_roi": {c: 1.0 for c in ch},
    }


@pytest.fixture(scope="module")
def fuzz_env(env: Env) -> Iterator[Env]:
    mod = types.ModuleType("omnimix.optimize")
    mod.optimize_curves = _opt  # type: ignore[attr-defined]
    saved = sys.modules.get("omnimix.optimize")
    sys.modules["omnimix.optimize"] = mod
    yield env
    if saved is None:
        sys.modules.pop("omnimix.optimize", None)
    else:
        sys.modules["omnimix.optimize"] = saved


def test_no_server_errors(fuzz_env: Env) -> None:
    """Every operation, 25 generated cases each; failures are collected and reported together."""
    from hypothesis import given

    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_env.app)
    failures: list[str] = []
    ops = 0
    calls = 0
    for result in schema.get_all_operations():
        op = result.ok()
        ops += 1

        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=fuzz_env.headers("admin"))
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
                )
                return
            ctype = response.headers.get("content-type", "")
            ctype = ctype[0] if isinstance(ctype, list) else ctype
            if response.status_code >= 400 and ctype.startswith("application/json"):
                err = response.json()["error"]
                assert err["status"] == response.status_code and err["code"] and err["message"]

        run()
    assert ops >= 36
    assert failures == [], failures
    print(f"schemathesis: {ops} operations, {calls} generated requests, 0 server errors")
