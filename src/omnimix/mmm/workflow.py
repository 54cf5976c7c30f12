"""MMM workflows: fit on a workspace or a plain file, report a saved fit — spec in, result out.

``omnimix mmm fit`` and ``omnimix mmm report`` are thin wrappers around these functions, and the demo
and notebooks call them directly::

    from omnimix.mmm.workflow import FitSpec, fit_workspace
    run = fit_workspace("ws", FitSpec(mode="map"))
    run.to_json()["diagnostics"]["passed"]; run.fit.curves()

* :class:`FitSpec` — the model and sampler settings of one fit (the CLI's flags), validated on creation;
* :func:`fit_workspace` — aggregate the workspace warehouse to weekly series, fit, save the fit
  directory (default ``DIR/mmm/latest``) and store the result tables (:mod:`omnimix.mmm.store`);
* :func:`fit_file` — fit a weekly CSV, Parquet or Excel file (optionally saving the fit directory);
* :func:`fit_data` — fit an :class:`~omnimix.mmm.data.MMMData` you built yourself;
* :func:`report_fit` — reload a saved fit and (re)write its HTML report.

Each returns a frozen result whose ``to_json()`` is exactly what the CLI prints with ``--json``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnimix.errors import InputDataError, UsageError
from omnimix.mmm.data import Experiment, MMMData, load_experiments, load_file, load_workspace
from omnimix.mmm.devices import prepare_host_devices

if TYPE_CHECKING:
    from omnimix.curves import ResponseCurves
    from omnimix.mmm.analysis import FittedMMM
    from omnimix.mmm.spec import MMMConfig
    from omnimix.workspace import Workspace

__all__ = ["FitSpec", "MMMReport", "MMMRun", "fit_data", "fit_file", "fit_payload", "fit_workspace",
           "report_fit"]

MODES = ("nuts", "map")
CHAIN_METHODS = ("auto", "vectorized", "parallel")


@dataclass(frozen=True)
class FitSpec:
    """How to fit: the settings behind ``omnimix mmm fit``'s flags.

    Attributes:
        mode: ``"nuts"`` (full posterior) or ``"map"`` (posterior mode + Laplace draws, seconds).
        chains: NUTS chains.
        draws: NUTS draws per chain (``--samples``).
        warmup: NUTS warm-up iterations per chain.
        seed: random seed.
        holdout: hold out the last N periods for an out-of-sample check.
        prior: ``"auto"`` (default: ``"roi"`` when the KPI is in currency — ``kpi_type="revenue"`` or a
            ``kpi_value`` — else ``"share"``), ``"share"`` (unit-free prior on each channel's share of the
            KPI), ``"roi"`` (prior on ROI in currency) or ``"beta"`` (prior on the coefficients).
        kpi_type: ``"revenue"``, ``"count"`` or ``"unknown"`` (``--kpi-type``).
        kpi_value: currency per KPI unit of a count KPI (``--kpi-value``).
        adstock: ``geometric``, ``delayed`` or ``weibull``.
        saturation: ``hill`` or ``logistic``.
        chain_method: ``auto``, ``vectorized`` or ``parallel``.
        progress: show NUTS progress bars on stderr.
        options: further :class:`~omnimix.mmm.spec.MMMConfig` fields (``l_max``, ``fourier_order``,
            ``roi_priors`` …).

    Raises:
        UsageError: ``mode`` or ``chain_method`` is unknown (other settings are checked by
            :class:`~omnimix.mmm.spec.MMMConfig`, see :meth:`config`).
    """

    mode: str = "nuts"
    chains: int = 4
    draws: int = 1000
    warmup: int = 1000
    seed: int = 0
    holdout: int = 0
    prior: str = "auto"
    kpi_type: str = "unknown"
    kpi_value: float | None = None
    adstock: str = "geometric"
    saturation: str = "hill"
    chain_method: str = "auto"
    progress: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise UsageError(f"--mode {self.mode!r} is unknown", ["use --mode nuts or --mode map"])
        if self.prior not in ("auto", "share", "roi", "beta"):
            raise UsageError(f"--prior {self.prior!r} is unknown", ["use auto, share, roi or beta"])
        if self.kpi_type not in ("unknown", "revenue", "count"):
            raise UsageError(f"--kpi-type {self.kpi_type!r} is unknown", ["use revenue or count"])
        if self.chain_method not in CHAIN_METHODS:
            raise UsageError(f"--chain-method {self.chain_method!r} is unknown",
                             ["use auto, vectorized or parallel"])

    def config(self) -> MMMConfig:
        """The model configuration (raises ConfigError for invalid settings)."""
        from omnimix.mmm.spec import MMMConfig

        return MMMConfig(chains=self.chains, warmup=self.warmup, samples=self.draws, holdout=self.holdout,
                         prior=self.resolved_prior(), kpi_type=self.kpi_type, kpi_value=self.kpi_value,
                         adstock=self.adstock, saturation=self.saturation,
                         chain_method=self.chain_method, **dict(self.options))

    def resolved_prior(self) -> str:
        """The channel-effect prior ``"auto"`` stands for: ROI where the KPI is in currency, else share."""
        if self.prior != "auto":
            return self.prior
        if "roi_priors" in self.options:
            return "roi"
        return "roi" if self.kpi_type == "revenue" or self.kpi_value is not None else "share"


def fit_payload(fit: FittedMMM) -> dict[str, Any]:
    """The documented JSON of ``omnimix mmm fit --json`` (before ``saved_to``/``workspace_tables``)."""
    s = fit.summary()
    d = s["diagnostics"]
    status = s.get("channel_status", {})
    return {
        "channels": {
            c: {
                "contribution": v["contribution"],
                "roi": v["roi"],
                "mroi": v.get("mroi"),
                "share": v["share"],
                "spend": v["spend"],
                "status": status.get(c, {}).get("status", "ok"),
                "status_reason": status.get(c, {}).get("reason", ""),
            }
            for c, v in s["channels"].items()
        },
        "prior": fit.config.prior,
        "kpi_type": fit.config.kpi_type,
        "prior_predictive": s.get("prior_predictive", {}),
        "baseline": s["baseline"],
        "media_total": s["media_total"],
        "kpi_total": s["kpi_total"],
        "mode": s["mode"],
        "diagnostics": {k: d[k] for k in (
            "rhat_max", "ess_bulk_min", "ess_tail_min", "divergences", "ppc_coverage", "holdout_mape",
            "holdout_coverage", "r2", "passed", "reasons", "suggestions", "warnings", "identification",
            "health", "checks", "conflict")},
        "seconds": s["seconds"],
    }


@dataclass(frozen=True, eq=False)
class MMMRun:
    """One fit and what was done with it.

    Attributes:
        fit: the fitted model (posterior, diagnostics; ``fit.curves()`` for the response curves).
        payload: :func:`fit_payload` of the fit.
        saved_to: the fit directory written, if any.
        workspace_tables: rows written per result table (workspace fits only).
    """

    fit: FittedMMM
    payload: dict[str, Any]
    saved_to: Path | None = None
    workspace_tables: dict[str, int] | None = None

    @property
    def passed(self) -> bool:
        """Whether the fit passed its review gates."""
        return bool(self.payload["diagnostics"]["passed"])

    def to_json(self) -> dict[str, Any]:
        """The ``omnimix mmm fit --json`` document."""
        doc = dict(self.payload)
        if self.saved_to is not None:
            doc["saved_to"] = str(self.saved_to)
        if self.workspace_tables is not None:
            doc["workspace_tables"] = dict(self.workspace_tables)
        return doc


@dataclass(frozen=True, eq=False)
class MMMReport:
    """A reloaded fit, its rewritten HTML report and the budget plan the report shows (if any)."""

    fit: FittedMMM
    payload: dict[str, Any]
    report: Path
    plan: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``omnimix mmm report --json`` document (``plan``: the optimizer's document behind the
        budget panel, when one was made)."""
        doc = {**self.payload, "report": str(self.report)}
        if self.plan is not None:
            doc["plan"] = dict(self.plan)
        return doc


def _experiments(experiments: str | Path | Sequence[Experiment] | None) -> tuple[Experiment, ...]:
    if experiments is None:
        return ()
    if isinstance(experiments, str | Path):
        return load_experiments(experiments)
    return tuple(experiments)


def fit_data(data: MMMData, spec: FitSpec, *, out: str | Path | None = None) -> MMMRun:
    """Fit ``data`` with ``spec``; save the fit directory to ``out`` when given."""
    if spec.chain_method != "vectorized":
        prepare_host_devices(spec.chains)  # parallel NUTS chains: before JAX is first imported
    from omnimix.mmm.model import MMM

    fit = MMM(spec.config()).fit(data, mode=spec.mode, seed=spec.seed, progress=spec.progress)
    saved = None
    if out is not None:
        saved = Path(out)
        fit.save(saved)
    return MMMRun(fit=fit, payload=fit_payload(fit), saved_to=saved)


def fit_workspace(
    workspace: Workspace | str | Path,
    spec: FitSpec,
    *,
    channels: Sequence[str] | None = None,
    controls: Sequence[str] = (),
    experiments: str | Path | Sequence[Experiment] | None = None,
    out: str | Path | None = None,
) -> MMMRun:
    """Fit the MMM on a workspace and store the results for the dashboard and the optimizer.

    Args:
        workspace: a :class:`~omnimix.workspace.Workspace` or its directory.
        spec: fit settings.
        channels: channels to model (default: every channel in ``spend``).
        controls: not available from the warehouse yet; must be empty.
        experiments: extra lift tests (a file or :class:`~omnimix.mmm.data.Experiment` objects) on top
            of the warehouse's ``experiments`` table.
        out: the fit directory (default ``DIR/mmm/latest``, which the dashboard reads).

    Returns:
        The run; the warehouse's ``mmm_channels``, ``mmm_diagnostics``, ``mmm_fit``,
        ``response_curves`` and ``response_curve_draws`` now hold it (curve tables empty when the fit
        failed review).
    """
    from omnimix.mmm.store import save_to_workspace
    from omnimix.workspace import Workspace

    data = load_workspace(workspace, channels=list(channels) if channels else None, controls=controls)
    extra = _experiments(experiments)
    if extra:
        data = replace(data, experiments=data.experiments + extra)
    ws = Workspace.of(workspace)
    target = Path(out) if out is not None else ws.root / "mmm" / "latest"
    run = fit_data(data, spec, out=target)
    tables = save_to_workspace(ws, run.fit, run.payload)
    return replace(run, workspace_tables=tables)


def fit_file(
    path: str | Path,
    spec: FitSpec,
    *,
    date_col: str = "date",
    kpi_col: str = "kpi",
    channels: Sequence[str],
    controls: Sequence[str] = (),
    experiments: str | Path | Sequence[Experiment] | None = None,
    out: str | Path | None = None,
    sheet: str | int | None = None,
) -> MMMRun:
    """Fit the MMM on a weekly file (CSV, Parquet or Excel; one row per period).

    Args:
        path: the file.
        spec: fit settings.
        date_col: period start date column.
        kpi_col: KPI column.
        channels: media columns (at least one).
        controls: control columns.
        experiments: lift tests: a file (channel, start, end, lift, lift_sd[, spend]) or objects.
        out: save the fit directory here (curves, charts, draws).
        sheet: Excel sheet (default: the first).
    """
    if not channels:
        raise InputDataError(str(path), "no --channels given", ["pass --channels a,b with the media columns"])
    data = load_file(path, date_col=date_col, kpi_col=kpi_col, channels=list(channels),
                     controls=list(controls), experiments=_experiments(experiments), sheet=sheet)
    return fit_data(data, spec, out=out)


def report_fit(
    fit_dir: str | Path,
    *,
    html: str | Path | None = None,
    lang: str = "en",
    currency: str | None = None,
    planner: Callable[[ResponseCurves, Mapping[str, tuple[str, str]]], Mapping[str, Any]] | None = None,
) -> MMMReport:
    """Reload a fit saved by ``omnimix mmm fit --out`` and (re)write its one-page HTML report.

    Args:
        fit_dir: the fit directory.
        html: where to write the report (default ``FIT_DIR/report.html``).
        lang: ``"en"`` or ``"zh-CN"``.
        currency: ISO 4217 code of the spend (default: the workspace's, when the fit lies in one).
        planner: fills the budget panel: called with the fit's response curves and the recorded
            channel statuses (channel → (``ok`` | ``weak`` | ``conflict``, reason); empty when the fit
            recorded none), it returns the optimizer's plan document at the current budget
            (``omnimix mmm report`` passes :func:`omnimix.optimize.optimize_curves` with
            ``guardrails=True``, the dashboard's and ``omnimix optimize``'s plan, which this stage
            cannot import). Not called for a fit that failed review.
    """
    from omnimix.mmm.analysis import load_fit
    from omnimix.mmm.report import find_currency, write_report
    from omnimix.mmm.report_data import channel_statuses

    fit = load_fit(fit_dir)
    target = Path(html) if html is not None else Path(fit_dir) / "report.html"
    plan: Mapping[str, Any] | None = None
    held: tuple[str, ...] = ()
    payload = fit_payload(fit)
    if planner is not None and fit.diagnostics.passed:
        statuses, recorded, reasons = channel_statuses(fit.diagnostics.to_dict(), payload, fit.channels)
        recorded_status = {c: (s, reasons.get(c, "")) for c, s in statuses.items() if recorded and s}
        plan = planner(fit.curves(), recorded_status)
        held = tuple(str(c) for c in (plan.get("held") or {}))
    found, names = find_currency(Path(fit_dir))
    write_report(fit, target, lang=lang, currency=currency or found, plan=plan, held=held, channel_names=names)
    return MMMReport(fit=fit, payload=payload, report=target, plan=plan)
