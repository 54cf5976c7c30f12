"""SMART validation accuracy on labelled goal statements (issue #17 acceptance).

Each line of a labels file (JSON Lines) is one statement with its expected goals, in order, and each
goal's expected verdict per criterion (``achievable`` is null: without a workspace it is not judged)::

    {"statement": "...", "parent": "g1"?, "strategy": "..."?,
     "goals": [{"kpi": "new_customers", "specific": true, "measurable": true, "relevant": false, "time_bound": true}]}

The statement becomes a one-goal plan of year 2026 (its ``parent``/``strategy`` set when the line has
them) and goes through :func:`omnimix.plan.smart.check_goal`. A labelled goal the parser did not
produce (or produced in another place) counts as wrong on every criterion.

Run: ``PYTHONPATH=src python benchmarks/plan_smart.py tests/plan/smart_labels.jsonl [more.jsonl …]``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from omnimix.plan.smart import CRITERIA, check_goal
from omnimix.plan.spec import parse_plan

FIELDS = ("kpi", *CRITERIA)


def score(path: str | Path) -> dict[str, Any]:
    """Per-criterion accuracy over every labelled goal of the file, and the misses."""
    right = dict.fromkeys(FIELDS, 0)
    total = 0
    statements = 0
    count_ok = 0
    misses: list[str] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        statements += 1
        goal: dict[str, Any] = {"id": "g", "statement": row["statement"]}
        extra: dict[str, Any] = {}
        if row.get("parent"):
            goal["parent"] = "p"
            extra = {"id": "p", "kpi": "revenue"}
        if row.get("strategy"):
            goal["strategy"] = row["strategy"]
        plan = parse_plan({"plan": {"year": 2026, "strategy": [row["strategy"]] if row.get("strategy") else []},
                           "goals": [goal, extra] if extra else [goal]})
        got = [c.to_json() for c in check_goal(plan.goals[0], plan)]
        want = row["goals"]
        count_ok += len(got) == len(want)
        if len(got) != len(want):
            misses.append(f"{row['statement']!r}: expected {len(want)} goal(s), got {[g['kpi'] for g in got]}")
        for i, w in enumerate(want):
            total += 1
            g = got[i] if i < len(got) else None
            for f in FIELDS:
                actual = None if g is None else (g["kpi"] if f == "kpi" else g["smart"][f])
                expected = w.get(f) if f != "achievable" else w.get(f, None)
                if g is not None and actual == expected:
                    right[f] += 1
                else:
                    misses.append(f"{row['statement']!r} goal {i + 1} {f}: expected {expected}, got {actual}")
    return {"file": str(path), "statements": statements, "goals": total,
            "goal_count_accuracy": count_ok / statements if statements else 0.0,
            "accuracy": {f: right[f] / total if total else 0.0 for f in FIELDS}, "misses": misses}


def main(argv: list[str]) -> int:
    for path in argv or ["tests/plan/smart_labels.jsonl"]:
        res = score(path)
        print(f"{res['file']}: {res['statements']} statements, {res['goals']} goals, "
              f"goal count right {res['goal_count_accuracy']:.1%}")
        for f, acc in res["accuracy"].items():
            print(f"  {f:<11} {acc:6.1%}")
        for m in res["misses"]:
            print("  miss:", m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
