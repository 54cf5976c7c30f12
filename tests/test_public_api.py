"""Each package's public API, pinned (as httpx's tests/test_exported_members.py does).

A change to a package's ``__all__`` must change this file too, on purpose. Every exported name must
resolve to an object (not a submodule that happens to share its name), in a fresh interpreter, whatever
was imported before; importing a package must stay light.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types

import pytest

import omnimix

PUBLIC: dict[str, list[str]] = {
    "omnimix": ['ConfigError', 'ConvergenceError', 'EngineError', 'InfeasibleError', 'InputDataError', 'NotFittedError', 'OmnimixError', 'UsageError', 'WarehouseBusy', 'Workspace', '__version__'],
    "omnimix.attribution": ['Attribution', 'AttributionRun', 'MODELS', 'MarkovResult', 'PathData', 'attribute', 'attribute_file', 'attribute_workspace', 'chart', 'compare', 'exact_markov', 'exact_shapley', 'from_sequences', 'from_strings', 'read_paths_file', 'read_touches', 'read_workspace', 'shapley_ordered', 'shapley_simplified', 'touches_to_paths'],
    "omnimix.cli": ['app', 'emit_json', 'main'],
    "omnimix.clv": ['BetaGeoModel', 'CacRun', 'DEFAULT_SEGMENTS', 'FitResult', 'FitRun', 'GammaGammaModel', 'ParetoNBDModel', 'PersonaCard', 'PredictRun', 'SegmentRule', 'SegmentsRun', 'ShiftedBetaGeoModel', 'cac_files', 'cac_table', 'cac_workspace', 'discounted_clv', 'fit_summary_file', 'fit_survival', 'fit_transactions_file', 'fit_workspace', 'holdout_chart', 'holdout_check', 'persona_cards', 'predict_customers', 'predict_summary_file', 'predict_transactions_file', 'predict_workspace', 'rfm_table', 'score', 'segments_transactions_file', 'segments_workspace', 'summarize_transactions'],
    "omnimix.engine": ['DuckDBEngine', 'Engine', 'open_engine'],
    "omnimix.identity": ['ResolveResult', 'evaluate_identities', 'explain_identity', 'export_identity_map', 'resolve', 'resolve_identities'],
    "omnimix.ingest": ['IngestRun', 'LoadResult', 'QuarantineView', 'ingest_file', 'ingest_files', 'quarantine_rows'],
    "omnimix.journeys": ['ForgetResult', 'FunnelReport', 'JourneyResult', 'ResolveRun', 'build_journeys', 'export_journey_paths', 'export_paths', 'forget_person', 'funnel_report', 'resolve_workspace'],
    "omnimix.mmm": ['Experiment', 'FitSpec', 'FittedMMM', 'MMM', 'MMMConfig', 'MMMData', 'MMMReport', 'MMMRun', 'fit_data', 'fit_file', 'fit_workspace', 'from_frame', 'load_csv', 'load_experiments', 'load_file', 'load_fit', 'load_response_curves', 'load_workspace', 'prepare_host_devices', 'report_fit'],
    "omnimix.experiments": ['ABResult', 'DesignSearch', 'GeoPanel', 'Interval', 'ItsConfig', 'ItsResult', 'LiftResult', 'LiftTestPlan', 'METHODS', 'ab_from_frame', 'ab_test', 'analyze', 'assurance', 'calibration_row', 'its_fit', 'lift_chart', 'plan_from_fit', 'plan_tests', 'record_experiment', 'search_designs', 'set_power', 'to_meridian', 'to_pymc_marketing', 'to_robyn'],
    "omnimix.lifecycle": ['Breach', 'BusinessCalendar', 'FeedbackCounts', 'LifecycleReport', 'ScoringResult', 'SlaResult', 'StageEvents', 'StageModel', 'Transition', 'Velocity', 'calibrate', 'check_sla', 'count_feedback', 'first_entries', 'lifecycle_report', 'load_events'],
    "omnimix.metrics": ["GRAINS", "METRICS", "Metric", "attribution_model", "attribution_shares", "base_metrics", "data_span", "ltv", "metric", "metric_frame", "stage_metric"],
    "omnimix.monitor": ["Alert", "AlertStore", "Bands", "DEFAULT_METRICS", "Delivery", "MonitorRun", "Series", "bh_reject", "monitor_workspace", "post_webhook", "rolling_bands", "send_email", "series_matrix", "webhook_body"],
    "omnimix.plan": ['CalendarEntry', 'GoalCheck', 'ParsedGoal', 'Plan', 'PlanBuild', 'PlanValidation', 'PlanVsActual', 'RetailPeak', 'Target', 'build_plan', 'content_matrix', 'flight_entries', 'gantt_figure', 'load_plan', 'parse_plan', 'parse_statement', 'plan_calendar', 'plan_flighting', 'plan_vs_actual', 'raci_table', 'retail_peaks', 'targets_from_build', 'topic_clusters', 'validate_plan', 'validate_raci', 'write_plan', 'write_plan_files'],
    "omnimix.review": ['DECISIONS', 'Decision', 'Period', 'ReviewRun', 'ReviewStore', 'decide', 'parse_period', 'run_review'],
    "omnimix.schedule": ["JobContext", "JobFailed", "JobRun", "KINDS", "RunStore", "Scheduler", "Skipped", "cron_trigger", "next_fire"],
    "omnimix.voice": ['Asset', 'AssetResult', 'Brand', 'CampaignResult', 'ChannelProfile', 'Conflict', 'Issue', 'Offer', 'VoiceReport', 'check_ad_law', 'check_assets', 'check_terminology', 'extract_offers', 'load_brand', 'load_content', 'read_assets', 'save_results'],
    "omnimix.optimize": ['Allocation', 'ChannelBound', 'Constraints', 'Flighting', 'FlightingPlan', 'Frontier', 'Group', 'Objective', 'OptimizeRun', 'ResponseCurves', 'Scenario', 'compare_scenarios', 'curves_from_dict', 'curves_from_posterior', 'curves_from_truth', 'efficient_frontier', 'evaluate', 'load_curves', 'minimize_spend', 'optimize_budget', 'optimize_curves', 'optimize_file', 'optimize_flighting', 'optimize_workspace', 'scenarios_frame'],
    "omnimix.simulate": ['DEFAULT_CHANNELS', 'MediaWorld', 'simulate_media'],
    "omnimix.web": [],
}


def test_every_package_is_pinned() -> None:
    packages = {"omnimix"} | {f"omnimix.{m.name}" for m in pkgutil.iter_modules(omnimix.__path__) if m.ispkg}
    assert packages == set(PUBLIC)


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_all_is_pinned_and_resolves(package: str) -> None:
    mod = importlib.import_module(package)
    assert sorted(mod.__all__) == PUBLIC[package]
    for name in mod.__all__:
        value = getattr(mod, name)
        assert not isinstance(value, types.ModuleType), f"{package}.{name} is a module, not the exported object"
    assert set(mod.__all__) <= set(dir(mod))


@pytest.mark.parametrize("package", sorted(p for p in PUBLIC if p != "omnimix"))
def test_no_public_name_is_also_a_submodule(package: str) -> None:
    mod = importlib.import_module(package)
    subs = {m.name for m in pkgutil.iter_modules(mod.__path__)}
    assert set(mod.__all__) & subs == set()


def test_names_resolve_after_every_module_was_imported() -> None:
    code = """
import importlib, pkgutil, types, omnimix
for m in pkgutil.walk_packages(omnimix.__path__, 'omnimix.'):
    if m.name.startswith('omnimix.engine.spark'):
        continue
    importlib.import_module(m.name)
bad = []
for m in pkgutil.iter_modules(omnimix.__path__):
    if m.ispkg:
        pkg = importlib.import_module('omnimix.' + m.name)
        bad += [f'{pkg.__name__}.{n}' for n in pkg.__all__ if isinstance(getattr(pkg, n), types.ModuleType)]
print(bad)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_importing_packages_is_light() -> None:
    code = ("import sys, omnimix, omnimix.cli, omnimix.mmm, omnimix.optimize, omnimix.attribution, omnimix.clv, "
            "omnimix.identity, omnimix.journeys, omnimix.ingest, omnimix.web, omnimix.simulate; "
            "print(','.join(m for m in ('numpy', 'pandas', 'jax', 'pyspark', 'fastapi', 'duckdb', 'scipy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_start_imports_no_config_machinery() -> None:
    """``omnimix attribute FILE`` and ``--help`` never need pydantic (about 0.1 s of every CLI start)."""
    code = ("import sys, omnimix.cli; "
            "print(','.join(m for m in ('pydantic', 'omnimix.config', 'rich', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_compact_units_shared_by_report_and_dashboard() -> None:
    from omnimix.formatting import compact_unit
    from omnimix.mmm.report_i18n import compact
    from omnimix.web.i18n import format_compact

    assert compact_unit(3_766_600, "zh-CN") == pytest.approx((376.66, "万"))
    assert compact_unit(3_766_600, "en") == pytest.approx((3.7666, "M"))
    assert compact_unit(-2.5e8, "zh-CN") == pytest.approx((-2.5, "亿"))
    assert compact_unit(999, "en") == (999, "")
    assert compact(3_766_600, "zh-CN") == "376.7万" and compact(3_766_600, "en") == "3.77M"
    assert format_compact(12_345_678, "zh-CN") == "1,234.6万" and format_compact(12_345_678, "en") == "12.3M"
