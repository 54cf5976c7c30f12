"""Module messages shown on pages, rebuilt in the page's language (omnimix.web.messages, #20 item 2).

The quarantine reasons are the ones a real ingest writes (a spend file with one problem per row); the
optimizer's advice and the MMM's hold reasons are the sentences omnimix.optimize.advice and
omnimix.mmm.checks write.
"""

from __future__ import annotations

import re
from pathlib import Path

from omnimix.web.i18n import Formatter
from omnimix.web.messages import advice_reason, empty_state, hold_text, quarantine_reason
from omnimix.web.registry import not_computed
from omnimix.workspace import Workspace

ZH = Formatter("zh-CN", "CNY")
EN = Formatter("en", "CNY")
_HAN = re.compile(r"[\u4e00-\u9fff]")
#: English words of the modules' sentences that must not be left in a zh-CN rebuild.
_ENGLISH = re.compile(r"missing value|not a valid|negative value|unknown currency|duplicate key|earlier row|is outside|"
                      r"marginal ROI|threshold|at current spend|held at|weakly identified|prior|posterior|column ", re.I)

SPEND = """date,channel,campaign,spend,currency
2026-01-01,douyin,a,100,CNY
,douyin,b,100,CNY
2026-01-02,douyin,c,abc,CNY
2026-01-03,douyin,d,-5,CNY
2026-01-04,douyin,e,10,XXX
1890-01-05,douyin,f,10,CNY
2026-01-01,douyin,a,100,CNY
2026-01-06,douyin,g,1,2,CNY
"""


def test_quarantine_reasons_of_a_real_ingest_in_both_languages(tmp_path: Path) -> None:
    from omnimix.ingest.workflow import ingest_files

    ws = Workspace.init(tmp_path / "ws")
    f = tmp_path / "spend.csv"
    f.write_text(SPEND, encoding="utf-8")
    ingest_files(ws, [f], table="spend")
    con = ws.connect(read_only=True)
    try:
        reasons = [r[0] for r in con.execute("SELECT reason FROM quarantine ORDER BY line").fetchall()]
    finally:
        con.close()
    assert len(reasons) >= 6, reasons
    for text in reasons:
        zh, en = quarantine_reason(text, ZH), quarantine_reason(text, EN)
        assert _HAN.search(zh) and not _ENGLISH.search(zh), (text, zh)
        assert en and not _HAN.search(en), (text, en)
    shown = {quarantine_reason(t, ZH) for t in reasons}
    assert any("缺少值（必填）" in s for s in shown)
    assert any("“abc”不是有效的数字" in s for s in shown)
    assert any("负值 -5" in s for s in shown)
    assert any("未知货币“XXX”" in s for s in shown)
    assert any("与本文件中前面的一行重复" in s for s in shown)
    # an unknown form is shown as written
    assert quarantine_reason("something new went wrong", ZH) == "something new went wrong"


def test_optimizer_advice_and_hold_reasons() -> None:
    above = "marginal ROI 1.8 [1.3, 2.4] at current spend lies above the threshold 1"
    assert advice_reason(above, ZH) == "在当前花费下的边际 ROI 1.8 [1.3, 2.4] 高于门槛 1"
    assert advice_reason(above, EN) == above
    none = "marginal ROI 0.4 [0.2, 0.7] at 120 (no spend today) is below the threshold 1; nothing to cut"
    assert advice_reason(none, ZH) == "在花费 120 处（当前没有投放）的边际 ROI 0.4 [0.2, 0.7] 低于门槛 1；没有可削减的花费"
    weak = ("weakly identified: the data removed only 12% of the prior's variance; a lift test would pin it")
    held = hold_text("weak", weak, ZH)
    assert held == "识别较弱: 数据只消除了先验方差的 12%；一次增量实验即可确定"
    assert hold_text("weak", weak, EN).startswith("Weakly identified: the data removed only 12%")
    assert hold_text("conflict", "", ZH) == "未通过先验与数据冲突检验"
    assert advice_reason("held at current spend: weakly identified: x", ZH, {"douyin": held}, "douyin") == (
        "保持当前投放：" + held)
    for text in (above, none):
        assert not _ENGLISH.search(advice_reason(text, ZH))


def test_empty_states_name_what_and_who() -> None:
    st = not_computed("attribution", "table attribution_results is empty")
    zh, en = empty_state(st, ZH), empty_state(st, EN)
    assert "分析师" in zh["text"] and "analyst" in en["text"]
    assert zh["reason"] == "表 attribution_results 没有数据行" and en["command"].startswith("omnimix attribute")
    st = not_computed("mmm", "table mmm_channels lacks columns roi_lo, roi_hi")
    assert empty_state(st, EN)["reason"] == "the table mmm_channels lacks columns roi_lo, roi_hi"
    assert empty_state(not_computed("clv"), ZH)["reason"] == "数据仓库中还没有该结果表"


def test_admin_errors_of_the_app_state(tmp_path: Path) -> None:
    """The user errors AppState raises, as the admin page shows them."""
    import pytest

    from omnimix.errors import UsageError
    from omnimix.web.messages import admin_error
    from omnimix.web.state import AppState

    st = AppState(f"sqlite:///{tmp_path / 'app.db'}")
    st.add_user("ana", "ana-pass-123", "admin")
    cases = [
        (lambda: st.add_user("bob", "short", "viewer"), "密码太短：至少需要 8 个字符。"),
        (lambda: st.add_user("ana", "long-enough-1", "viewer"), "用户“ana”已存在：请先删除，或换一个用户名。"),
        (lambda: st.add_user("bo b", "long-enough-1", "viewer"), "用户名“bo b”不可用"),
        (lambda: st.add_user("bob", "long-enough-1", "boss"), "未知角色“boss”：请从查看者、分析师、管理员中选择。"),
        (lambda: st.remove_user("ana"), "“ana”是最后一位管理员"),
        (lambda: st.remove_user("ghost"), "没有用户“ghost”。"),
    ]
    for call, want in cases:
        with pytest.raises(UsageError) as exc:
            call()
        assert admin_error(exc.value, ZH).startswith(want), (str(exc.value), admin_error(exc.value, ZH))
        assert not _HAN.search(admin_error(exc.value, EN))


#: the scheduled runs' message forms (omnimix.schedule.jobs / scheduler; tests/schedule pins them)
RUN_MESSAGES = [
    "no files in the watch folders (inbox)",
    "2 file(s): 2 rows loaded, 0 quarantined, 0 already loaded; 1 failed (moved to failed/): bad.csv: "
    "MISSING COLUMNS spend",
    "1 file(s): 1 rows loaded, 0 quarantined, 0 already loaded",
    "12 series 2026-03-01 – 2026-03-31: 3 alert(s), 1 new, 1 of 1 deliveries ok",
    "refit (map) of 2 channel(s): passed review",
    "refit (nuts) of all channel(s): FAILED review: rhat_max 1.2 > 1.01",
    "review 2026-03 (zh-CN) written to /ws/reports: 2 file(s)",
    "warehouse locked: another load holds the lock",
]
_RUN_ENGLISH = re.compile(r"watch folders|rows loaded|quarantined|already loaded|moved to|series|alert\(s\)|"
                          r"deliveries|refit|review|written to|file\(s\)|warehouse locked|channel\(s\)")


def test_run_messages_rebuilt_in_chinese_and_kept_in_english() -> None:
    from omnimix.web.messages import run_message

    for text in RUN_MESSAGES:
        zh = run_message(text, ZH)
        assert _HAN.search(zh), (text, zh)
        # the data parts (folders, file names, the reasons, the period) survive
        assert not _RUN_ENGLISH.search(zh.replace("/ws/reports", "").replace("failed/", "")), (text, zh)
        en = run_message(text, EN)
        assert not _HAN.search(en)
        for token in re.findall(r"\d{4}-\d{2}(?:-\d{2})?|\d+|inbox|bad\.csv|rhat_max", text):
            assert token in zh and token in en, (token, text, zh)
    assert run_message("ValueError: boom", ZH) == "ValueError: boom"  # unknown form: as written
    assert "NUTS" in run_message(RUN_MESSAGES[5], ZH) and "全部" in run_message(RUN_MESSAGES[5], ZH)


AUDIT_DETAILS = [
    ("user_add", "role=analyst"), ("login", "role=viewer"), ("role_change", "viewer -> admin"),
    ("token_create", "owner=ana name=ci"), ("scenario_save", "shared=True"), ("scenario_save", "shared=False"),
    ("login_failed", "bad CSRF token"), ("login_refused", "locked; retry after 300 s"),
    ("login_failed", "wrong username or password"), ("login_failed", "wrong username or password; blocked for 60 s"),
    ("alert_ack", "anomaly spend douyin 2026-03-05; checked with the agency"),
    ("alert_resolve", "pacing revenue * 2026-03-06"), ("user_add", "demo login (admin)"),
]
_AUDIT_ENGLISH = re.compile(r"role|owner|shared|CSRF token|retry|wrong|password|locked|blocked|viewer|admin|"
                            r"analyst|douyin|\*|anomaly|pacing|demo", re.I)


def test_audit_details_in_chinese() -> None:
    from omnimix.web.messages import audit_detail

    for action, text in AUDIT_DETAILS:
        zh = audit_detail(action, text, ZH)
        assert _HAN.search(zh), (text, zh)
        assert not _AUDIT_ENGLISH.search(zh.replace("CSRF", "").replace("checked with the agency", "")), (text, zh)
        assert not _HAN.search(audit_detail(action, text, EN))
    assert "checked with the agency" in audit_detail(*AUDIT_DETAILS[10], ZH)  # the user's note as written
    assert audit_detail("settings", "timezone=Asia/Shanghai", ZH) == "timezone=Asia/Shanghai"


def test_plan_load_errors_in_chinese(tmp_path: Path) -> None:
    """The errors a real load_plan raises: an unknown key, a missing key, a validator's fix, not TOML."""
    from omnimix.errors import InputDataError
    from omnimix.plan.spec import load_plan
    from omnimix.web.messages import plan_problem

    bad = tmp_path / "plan.toml"
    bad.write_text('[plan]\nname = "x"\nyear = 2026\nbudget = 100\ncolour = 1\n'
                   '[[goals]]\nid = "g1"\nchange = -2\n', encoding="utf-8")
    texts = []
    for content in (None, '[plan\n'):
        if content is not None:
            bad.write_text(content, encoding="utf-8")
        try:
            load_plan(bad)
        except InputDataError as exc:
            texts.append(str(exc))
    try:
        load_plan(tmp_path / "none.toml")
    except InputDataError as exc:
        texts.append(str(exc))
    assert len(texts) == 3
    for text in texts:
        zh = plan_problem(text, ZH)
        assert plan_problem(text, EN) == text  # the English rebuild is the module's own text
        assert len(zh.split("\n")) == len(text.split("\n"))
        assert not re.search(r"unknown key|missing: add|not a valid plan|not found|not valid TOML", zh), zh
        assert _HAN.search(zh)
        assert str(bad.name) in zh or "none.toml" in zh
    assert "colour" in plan_problem(texts[0], ZH)  # the key path is kept


def test_lifecycle_report_errors_in_chinese(tmp_path: Path) -> None:
    """The hand-off page's reasons, from the lifecycle code's real errors: each form rebuilt in zh-CN,
    the English rebuild equal to the code's own text, the values (items, keys, stages, file) kept."""
    import datetime as dt

    from omnimix.errors import OmnimixError
    from omnimix.lifecycle import lifecycle_report
    from omnimix.lifecycle.sla import BusinessCalendar, _dates, _parse_hours
    from omnimix.lifecycle.stages import StageModel
    from omnimix.web.messages import lifecycle_problem

    cases = [
        (lambda: _parse_hours(["9-12"]), "9-12"),
        (lambda: _parse_hours(["12:00-09:00"]), "12:00-09:00"),
        (lambda: _parse_hours(["09:00-12:00", "11:00-13:00"]), "11:00-13:00"),
        (lambda: _parse_hours([]), "work_hours"),
        (lambda: _dates(["2026-13-01"], "extra_holidays"), "2026-13-01"),
        (lambda: BusinessCalendar(((32400, 64800),), frozenset(range(1, 6))).is_workday(dt.date(2200, 1, 5)),
         "2200"),
        (lambda: StageModel(stages=("lead", "mql", "sql", "opportunity"), customer="won"), "won"),
    ]
    ws = Workspace.init(tmp_path / "ws")
    cases.append((lambda: lifecycle_report(ws), "warehouse"))
    for make, kept in cases:
        try:
            make()
        except OmnimixError as exc:
            text = str(exc)
        else:  # pragma: no cover - every case raises
            raise AssertionError(f"no error for {kept}")
        zh = lifecycle_problem(text, ZH)
        assert lifecycle_problem(text, EN) == text, text
        assert zh != text and _HAN.search(zh), text
        assert kept in zh, (kept, zh)
        assert not re.search(r"\b(expected|must be|give|is not|upgrade|load a)\b", zh), zh
    assert lifecycle_problem("something else", ZH) == "something else"
