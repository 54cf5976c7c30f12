from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import RunCli

BRAND = Path(__file__).parent / "corpus" / "brands" / "coffee.toml"
CSV = """asset_id,channel,campaign,language,text,published_at
d1,douyin,双11,zh-CN,云南产地直采，新鲜烘焙。双11满300减50，券码SHAN50，11月1日至11月11日。,2026-10-30
w1,wechat,双11,zh-CN,双11满300减60！截止11月12日,2026-10-31
"""


def test_check_json_and_gate(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIMIX_VOICE_EMBEDDINGS", "lexical")
    p = tmp_path / "content.csv"
    p.write_text(CSV, encoding="utf-8")
    code, out, _ = run_cli(["voice", "check", str(p), "--brand", str(BRAND), "--json"])
    js = json.loads(out)
    assert code == 0
    assert [a["asset_id"] for a in js["assets"]] == ["d1", "w1"]
    assert js["conflicts"][0]["assets"] == ["d1", "w1"] and js["conflicts"][0]["campaign"] == "双11"
    code, _, err = run_cli(["voice", "check", str(p), "--brand", str(BRAND), "--fail-below", "90"])
    assert code == 1 and "w1" in err


def test_bad_input_names_file_row_and_column(tmp_path: Path, run_cli: RunCli) -> None:
    p = tmp_path / "content.csv"
    p.write_text("asset_id,text\na1,\n", encoding="utf-8")
    code, _, err = run_cli(["voice", "check", str(p), "--brand", str(BRAND)])
    assert code == 3 and "row 2, column text" in err and str(p) in err
    code, _, err = run_cli(["voice", "check", "--brand", str(BRAND)])
    assert code == 2 and "exactly one" in err


def test_workspace_content_table_and_results(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omnimix.workspace import Workspace

    monkeypatch.setenv("OMNIMIX_VOICE_EMBEDDINGS", "lexical")
    ws_dir = tmp_path / "ws"
    p = tmp_path / "content.csv"
    p.write_text(CSV, encoding="utf-8")
    for args in (["init", str(ws_dir)], ["ingest", str(p), "--table", "content", "--workspace", str(ws_dir)]):
        code, out, err = run_cli(args)
        assert code == 0, (out, err)
    code, out, _ = run_cli(["voice", "check", "--workspace", str(ws_dir), "--brand", str(BRAND), "--save", "--json"])
    assert code == 0
    js = json.loads(out)
    assert {a["asset_id"] for a in js["assets"]} == {"d1", "w1"}
    con = Workspace.loaded(ws_dir).connect(read_only=True)
    try:
        n = con.execute("SELECT count(DISTINCT asset_id) FROM voice_results").fetchall()[0][0]
        camp = con.execute("SELECT campaign, assets FROM voice_campaigns").fetchall()
    finally:
        con.close()
    assert n == 2 and camp == [("双11", 2)]


def test_unsupported_vale_rule_is_a_warning_on_stderr(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIMIX_VOICE_EMBEDDINGS", "lexical")
    style = tmp_path / "styles" / "House"
    style.mkdir(parents=True)
    (style / "Spell.yml").write_text("extends: spelling\nmessage: x\n", encoding="utf-8")
    (style / "Cheap.yml").write_text(
        "extends: substitution\nmessage: \"用'%s'，不用'%s'\"\nlevel: warning\nswap:\n  便宜: 实惠\n", encoding="utf-8"
    )
    brand = tmp_path / "brand.toml"
    brand.write_text(
        '[brand]\nname = "山茶咖啡"\ncore_message = "新鲜烘焙"\npillars = ["新鲜烘焙"]\ntone = ["亲切"]\n'
        '[vale]\npaths = ["styles"]\n',
        encoding="utf-8",
    )
    p = tmp_path / "content.csv"
    p.write_text("asset_id,text\na1,新鲜烘焙的豆子很便宜\n", encoding="utf-8")
    code, out, err = run_cli(["voice", "check", str(p), "--brand", str(brand), "--json"])
    assert code == 0
    warn = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warn) == 1 and "Spell.yml" in warn[0] and "House.Spell" in warn[0] and "spelling" in warn[0]
    rules = [i["rule"] for i in json.loads(out)["assets"][0]["issues"]]
    assert "vale.House.Cheap" in rules
