from __future__ import annotations

from pathlib import Path

import pytest

from omnimix.config import Config, load_config, parse_config, render_config
from omnimix.errors import ConfigError
from omnimix.workspace import Workspace


def test_init_writes_a_config_that_round_trips(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "w", keep_pii=True)
    assert ws.config.pii.keep_pii is True
    assert load_config(tmp_path / "w") == ws.config
    assert parse_config({}) == Config()
    assert "[[taxonomy.rules]]" in render_config(Config())
    con = ws.connect(read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"spend", "touchpoints", "conversions", "contacts", "quarantine", "loads", "identifiers"} <= tables


def test_init_refuses_an_existing_workspace(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "w")
    with pytest.raises(ConfigError, match="already exists"):
        Workspace.init(tmp_path / "w")


def test_every_problem_is_reported_at_once_with_its_key_path() -> None:
    bad = {
        "workspace": {"currency": "RMBX", "engine": "oracle", "colour": "red"},
        "pii": {"default_region": "china"},
        "identity": {"max_per_person": {"shoe_size": 2, "email": 0}},
        "taxonomy": {"rules": [{"channel": "x", "stage": "awareness", "source": "("}]},
        "sources": [{"name": "crm", "preset": "hubspot_contacts"}],
    }
    with pytest.raises(ConfigError) as exc:
        parse_config(bad, "omnimix.toml")
    problems = exc.value.problems
    text = "\n".join(problems)
    assert len(problems) == 7, text
    assert "workspace.currency: unknown currency 'RMBX'" in text
    assert "workspace.engine:" in text
    assert "workspace.colour: unknown key" in text
    assert "pii.default_region:" in text
    assert "identity.max_per_person: unknown identifier types ['shoe_size']" in text
    assert "taxonomy.rules.0: source pattern '(' is not a valid regex" in text
    assert "sources.0: give a file-name pattern, a header list, or both" in text


def test_stage_must_be_a_funnel_stage() -> None:
    with pytest.raises(ConfigError, match="stage 'buy'"):
        parse_config({"taxonomy": {"rules": [{"channel": "x", "stage": "buy", "medium": "cpc"}]}})


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="omnimix init"):
        load_config(tmp_path)
    (tmp_path / "omnimix.toml").write_text("[workspace\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path)
