"""The sample workspace of :mod:`tests.web.sample`, enriched for the Customers, customer and Mix pages.

:func:`build_pages_workspace` adds what those pages read beyond the plain sample, written the way the
real stages write it:

* RFM segments with their default names and ``segment_profiles`` JSON from
  :class:`omnimix.clv.rfm.PersonaCard` (what ``omnimix clv segments --save`` stores);
* for customer ``C00001`` a known history: touchpoints, orders, a hashed e-mail identifier, two CRM
  records whose e-mail consent changes, ``stage_history`` rows and a HubSpot became-date;
* ``mmm_diagnostics`` from :func:`omnimix.mmm.store._diagnostics_frame` of a fit payload whose review
  (:class:`omnimix.mmm.diagnostics.Diagnostics` with :class:`omnimix.mmm.checks.Check` rows) has six
  warnings, four of them weak identification, saved as ``DIR/mmm/latest/model.json`` like
  ``omnimix mmm fit`` does.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from omnimix.clv.rfm import PersonaCard
from omnimix.mmm.checks import Check
from omnimix.mmm.diagnostics import Diagnostics
from omnimix.mmm.store import _diagnostics_frame
from omnimix.workspace import Workspace

from .sample import build_sample_workspace

SEGMENTS = ("Champions", "Loyal", "At Risk", "Can't Lose Them")
CUSTOMER = "C00001"
HASHED_EMAIL = hashlib.sha256(b"li.wei@example.com").hexdigest()
WEAK = {"douyin": 0.12, "wechat": 0.3, "baidu": 0.41, "email": 0.05}

#: The known events of CUSTOMER (kind, time) — the sample adds its random ones around them.
EVENTS: list[tuple[str, datetime]] = [
    ("identifier", datetime(2026, 1, 3, 9, 0)),
    ("stage", datetime(2026, 1, 4, 8, 0)),  # became_subscriber_at (no stage_history row)
    ("consent", datetime(2026, 1, 5, 10, 0)),
    ("stage", datetime(2026, 1, 6, 11, 0)),  # lead (stage_history and became_lead_at: shown once)
    ("touchpoint", datetime(2026, 1, 7, 12, 30)),
    ("stage", datetime(2026, 1, 10, 9, 15)),  # mql
    ("order", datetime(2026, 1, 12, 20, 45)),
    ("stage", datetime(2026, 1, 20, 16, 0)),  # customer
    ("consent", datetime(2026, 2, 1, 10, 0)),  # e-mail consent withdrawn
]


def review_payload() -> tuple[dict[str, Any], dict[str, Any]]:
    """(the ``diagnostics`` of a fit payload, the ``Diagnostics.to_dict()`` saved in model.json)."""
    checks = [
        Check("rhat", 1.012, "<= 1.05", True, "largest rank-normalised split R-hat over every parameter", "gate"),
        Check("divergences", 0.004, "<= 0.01", True, "share of divergent NUTS transitions", "gate"),
        Check("ess_bulk", 412.7, ">= 100", True, "smallest bulk effective sample size", "gate"),
        Check("ppc_coverage", 0.88, ">= 0.6", True, "share of training periods inside the 90% interval", "gate"),
        Check("bayesian_ppp", 0.97, "0.05..0.95", False, "Bayesian posterior predictive p-value", "review"),
        Check("r2", 0.42, ">= 0.5", False, "in-sample R² of the posterior mean fit", "review"),
        Check("prior_posterior_shift", 2.0, "0 channels", False, "channels whose posterior is still the prior: "
              "douyin, email", "review"),
        Check("implausible_roi", None, "<= None", True, "not checked", "gate"),
        Check("prior_data_conflict", 0.0, "0", True, "none", "gate"),
    ]
    warnings = [
        f"{c}: ROI is weakly identified (the data removed only {k:.0%} of the prior's log-ROI variance); "
        f"its estimate leans on the prior. A lift test on {c} would pin it."
        for c, k in WEAK.items()
    ] + [
        "bayesian_ppp: Bayesian posterior predictive p-value = 0.97 (expected 0.05..0.95)",
        "r2: in-sample R² of the posterior mean fit = 0.42 (expected >= 0.5)",
    ]
    d = Diagnostics(mode="nuts", rhat_max=1.012, ess_bulk_min=412.7, ess_tail_min=388.2, divergences=16,
                    divergence_rate=0.004, ppc_coverage=0.88, r2=0.42, mape=0.081, holdout_mape=None,
                    holdout_coverage=None, passed=True, warnings=warnings, health=86,
                    details={"identification": dict(WEAK)}, checks=[c.to_dict() for c in checks])
    saved = d.to_dict()
    payload = {k: saved[k] for k in ("rhat_max", "ess_bulk_min", "ess_tail_min", "divergences", "ppc_coverage",
                                     "holdout_mape", "holdout_coverage", "r2", "passed", "reasons", "suggestions",
                                     "warnings", "health", "checks")}
    payload["identification"] = dict(WEAK)
    payload["conflict"] = []
    return payload, saved


def build_pages_workspace(directory: str | Path, *, with_report: bool = True) -> Path:
    d = build_sample_workspace(directory, users=60, days=60)
    ws = Workspace.open(d)
    con = ws.connect(read_only=True)
    try:
        custs = con.execute("SELECT customer_id, orders, revenue FROM customers ORDER BY customer_id").df()
    finally:
        con.close()
    seg = [SEGMENTS[i % len(SEGMENTS)] for i in range(len(custs))]
    clv = pd.DataFrame({"customer_id": custs["customer_id"], "segment": seg,
                        "clv": [100.0 + 10 * i for i in range(len(custs))],
                        "p_alive": [0.5 + (i % 5) / 10 for i in range(len(custs))]})
    cards = [
        PersonaCard(segment=s, description="", size=seg.count(s), share=seg.count(s) / len(seg), value_share=0.25,
                    aov=123.0, mean_orders=1.5, median_recency_days=12.0 + i, mean_clv=None,
                    top_channels=[("douyin", 0.6), ("email", 0.4)], typical_path="douyin > email",
                    top_regions=[("上海", 0.7)]).to_dict()
        for i, s in enumerate(SEGMENTS)
    ]
    profiles = pd.DataFrame({"segment": SEGMENTS, "persona": [json.dumps(c, ensure_ascii=False) for c in cards]})
    touch = pd.DataFrame([{"event_id": "tl-1", "ts": EVENTS[4][1], "channel": "xiaohongshu", "stage": "awareness",
                           "campaign": "spring_launch", "event_type": "click", "user_id": "u00001", "source": "tl"}])
    conv = pd.DataFrame([{"conversion_id": "tl-o1", "ts": EVENTS[6][1], "type": "purchase", "value": 688.0,
                          "currency": "CNY", "user_id": "u00001", "online": True, "source": "tl"}])
    contacts = pd.DataFrame([
        {"record_id": "R1", "source": "crm", "user_id": "u00001", "created_at": EVENTS[2][1], "consent_email": True,
         "consent_sms": False, "became_subscriber_at": EVENTS[1][1], "became_lead_at": EVENTS[3][1]},
        {"record_id": "R2", "source": "pos", "user_id": "u00001", "created_at": EVENTS[8][1], "consent_email": False,
         "consent_sms": False},
        {"record_id": "R9", "source": "crm", "user_id": "u00002", "created_at": EVENTS[2][1], "consent_email": True},
    ])
    stages = pd.DataFrame([
        {"record_id": "R1", "stage": "lead", "entered_at": EVENTS[3][1], "channel": "xiaohongshu", "source": "crm"},
        {"record_id": "R1", "stage": "mql", "entered_at": EVENTS[5][1], "owner": "zhang.san", "source": "crm"},
        {"record_id": "R1", "stage": "customer", "entered_at": EVENTS[7][1], "amount": 688.0, "source": "crm"},
        {"record_id": "R9", "stage": "lead", "entered_at": EVENTS[3][1], "source": "crm"},
    ])
    ident = pd.DataFrame([{"id_type": "email", "id_value": HASHED_EMAIL, "customer_id": CUSTOMER,
                           "first_seen": EVENTS[0][1], "last_seen": EVENTS[8][1]}])
    payload, saved = review_payload()
    with ws.writer() as w:
        w.write("clv_customers", clv)
        w.write("segment_profiles", profiles)
        w.write("touchpoints", touch, replace_where="event_id LIKE 'tl-%'")
        w.write("conversions", conv, replace_where="conversion_id LIKE 'tl-%'")
        w.write("contacts", contacts)
        w.write("stage_history", stages)
        w.write("identifiers", ident, replace_where="id_type = 'email' AND customer_id = ?", params=[CUSTOMER])
        w.write("mmm_diagnostics", _diagnostics_frame({"diagnostics": payload}))
        w.write("mmm_channel_status", pd.DataFrame(
            [{"channel": c, "status": "weak", "reason": "weakly identified"} for c in WEAK]))
    if with_report:
        fit_dir = d / "mmm" / "latest"
        fit_dir.mkdir(parents=True, exist_ok=True)
        (fit_dir / "model.json").write_text(json.dumps({"format": 1, "diagnostics": saved}), encoding="utf-8")
    return d


def visible_text(page: str) -> str:
    """The text a reader sees in ``page``'s main part (tags and attributes removed, entities decoded)."""
    import html
    import re

    main = page.split("<main", 1)[-1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", main)))


def figures(page: str) -> dict[str, dict[str, Any]]:
    """The plotly figures of ``page`` by chart id."""
    import html
    import re

    return {m.group(1): json.loads(html.unescape(m.group(2)))
            for m in re.finditer(r'<div class="chart" id="([^"]+)" data-figure=\'([^\']*)\'', page)}


def chart_labels(fig: dict[str, Any]) -> list[str]:
    """Every text a chart draws: trace names, category labels (x, y, labels)."""
    out: list[str] = []
    for t in fig["data"]:
        out += [str(t.get("name", ""))]
        for k in ("x", "y", "labels"):
            out += [str(v) for v in t.get(k) or [] if isinstance(v, str)]
    return out


def raw_keys_in(text: str, keys: Any) -> list[str]:
    """The keys that occur in ``text`` as whole words (case-sensitive)."""
    import re

    return [k for k in keys if re.search(rf"(?<![\w'-]){re.escape(k)}(?![\w'-])", text)]
