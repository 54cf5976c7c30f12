"""Customer value: purchase and spend models, CLV, RFM segments and personas, CAC and LTV:CAC.

Models (maximum likelihood in log space, analytic gradients, Hessian standard errors):

* :class:`BetaGeoModel` (BG/NBD: r, alpha, a, b) and :class:`ParetoNBDModel` (r, alpha, s, beta):
  repeat purchases, P(alive), expected purchases over a horizon;
* :class:`GammaGammaModel` (p, q, gamma): spend per transaction;
* :class:`ShiftedBetaGeoModel` (alpha, beta): contractual churn from cohort survival counts.

The workflows behind ``omnimix clv fit|predict|segments|cac`` are in :mod:`omnimix.clv.workflow`.
Names load on first use, so ``import omnimix.clv`` does not load NumPy, SciPy or pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

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
    from omnimix.clv.workflow import (
        CacRun,
        FitRun,
        PredictRun,
        SegmentsRun,
        cac_files,
        cac_workspace,
        fit_summary_file,
        fit_survival,
        fit_transactions_file,
        fit_workspace,
        predict_summary_file,
        predict_transactions_file,
        predict_workspace,
        segments_transactions_file,
        segments_workspace,
    )

__all__ = [
    "DEFAULT_SEGMENTS",
    "BetaGeoModel",
    "CacRun",
    "FitResult",
    "FitRun",
    "GammaGammaModel",
    "ParetoNBDModel",
    "PersonaCard",
    "PredictRun",
    "SegmentRule",
    "SegmentsRun",
    "ShiftedBetaGeoModel",
    "cac_files",
    "cac_table",
    "cac_workspace",
    "discounted_clv",
    "fit_summary_file",
    "fit_survival",
    "fit_transactions_file",
    "fit_workspace",
    "holdout_chart",
    "holdout_check",
    "persona_cards",
    "predict_customers",
    "predict_summary_file",
    "predict_transactions_file",
    "predict_workspace",
    "rfm_table",
    "score",
    "segments_transactions_file",
    "segments_workspace",
    "summarize_transactions",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "CacRun": "omnimix.clv.workflow",
    "FitRun": "omnimix.clv.workflow",
    "PredictRun": "omnimix.clv.workflow",
    "SegmentsRun": "omnimix.clv.workflow",
    "cac_files": "omnimix.clv.workflow",
    "cac_workspace": "omnimix.clv.workflow",
    "fit_summary_file": "omnimix.clv.workflow",
    "fit_survival": "omnimix.clv.workflow",
    "fit_transactions_file": "omnimix.clv.workflow",
    "fit_workspace": "omnimix.clv.workflow",
    "predict_summary_file": "omnimix.clv.workflow",
    "predict_transactions_file": "omnimix.clv.workflow",
    "predict_workspace": "omnimix.clv.workflow",
    "segments_transactions_file": "omnimix.clv.workflow",
    "segments_workspace": "omnimix.clv.workflow",
    "FitResult": "omnimix.clv._mle",
    "BetaGeoModel": "omnimix.clv.bgnbd",
    "cac_table": "omnimix.clv.cac",
    "GammaGammaModel": "omnimix.clv.gammagamma",
    "ParetoNBDModel": "omnimix.clv.paretonbd",
    "discounted_clv": "omnimix.clv.predict",
    "holdout_chart": "omnimix.clv.predict",
    "holdout_check": "omnimix.clv.predict",
    "predict_customers": "omnimix.clv.predict",
    "DEFAULT_SEGMENTS": "omnimix.clv.rfm",
    "PersonaCard": "omnimix.clv.rfm",
    "SegmentRule": "omnimix.clv.rfm",
    "persona_cards": "omnimix.clv.rfm",
    "rfm_table": "omnimix.clv.rfm",
    "score": "omnimix.clv.rfm",
    "ShiftedBetaGeoModel": "omnimix.clv.sbg",
    "summarize_transactions": "omnimix.clv.summary",
})
