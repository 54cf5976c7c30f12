"""Customer value: purchase and spend models, CLV, RFM segments and personas, CAC and LTV:CAC.

Models (maximum likelihood in log space, analytic gradients, Hessian standard errors):

* :class:`BetaGeoModel` (BG/NBD: r, alpha, a, b) and :class:`ParetoNBDModel` (r, alpha, s, beta):
  repeat purchases, P(alive), expected purchases over a horizon;
* :class:`GammaGammaModel` (p, q, gamma): spend per transaction;
* :class:`ShiftedBetaGeoModel` (alpha, beta): contractual churn from cohort survival counts.

Heavy dependencies (scipy, pandas) load on first use of a model or function.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omnimix.clv._mle import FitResult
    from omnimix.clv.bgnbd import BetaGeoModel
    from omnimix.clv.cac import cac_table
    from omnimix.clv.gammagamma import GammaGammaModel
    from omnimix.clv.paretonbd import ParetoNBDModel
    from omnimix.clv.predict import discounted_clv, holdout_chart, holdout_check, predict_customers
    from omnimix.clv.rfm import DEFAULT_SEGMENTS, PersonaCard, SegmentRule, persona_cards, rfm_table, score
    from omnimix.clv.sbg import ShiftedBetaGeoModel
    from omnimix.clv.summary import summarize_transactions

_WHERE = {
    "FitResult": "_mle",
    "BetaGeoModel": "bgnbd",
    "cac_table": "cac",
    "GammaGammaModel": "gammagamma",
    "ParetoNBDModel": "paretonbd",
    "discounted_clv": "predict",
    "holdout_chart": "predict",
    "holdout_check": "predict",
    "predict_customers": "predict",
    "DEFAULT_SEGMENTS": "rfm",
    "PersonaCard": "rfm",
    "SegmentRule": "rfm",
    "persona_cards": "rfm",
    "rfm_table": "rfm",
    "score": "rfm",
    "ShiftedBetaGeoModel": "sbg",
    "summarize_transactions": "summary",
}


def __getattr__(name: str) -> Any:
    """Import public names lazily so ``omnimix --help`` does not load numpy/scipy."""
    if name in _WHERE:
        return getattr(importlib.import_module(f"omnimix.clv.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'omnimix.clv' has no attribute {name!r}")


__all__ = [
    "DEFAULT_SEGMENTS",
    "BetaGeoModel",
    "FitResult",
    "GammaGammaModel",
    "ParetoNBDModel",
    "PersonaCard",
    "SegmentRule",
    "ShiftedBetaGeoModel",
    "cac_table",
    "discounted_clv",
    "holdout_chart",
    "holdout_check",
    "persona_cards",
    "predict_customers",
    "rfm_table",
    "score",
    "summarize_transactions",
]
