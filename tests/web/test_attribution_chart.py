"""The attribution chart and table: one channel → colour map for every chart, legend = bars, display names."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import duckdb
import pytest

from omnimix.web.figures import OTHER_COLOR, PALETTE, channel_colors, color_of
from omnimix.web.i18n import CATALOG

from .conftest import Env
from .pages_sample import chart_labels, figures, raw_keys_in, visible_text

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CHANNELS = ("baidu", "douyin", "email", "wechat", "xiaohongshu")
MODELS = ("last_touch", "markov", "shapley")




def test_channel_colors_are_the_palette_over_the_sorted_keys() -> None:
    colors = channel_colors(["wechat", "douyin", "baidu", "douyin", None])
    assert colors == {"baidu": PALETTE[0], "douyin": PALETTE[1], "wechat": PALETTE[2]}
    assert channel_colors(["baidu", "wechat", "douyin"]) == colors  # order of appearance does not matter
    many = channel_colors(f"c{i:02d}" for i in range(25))
    assert len(set(list(many.values())[:20])) == 20 and many["c20"] == PALETTE[0]  # 20 distinct, then cycles
    assert color_of(colors, "nope") == OTHER_COLOR


def _workspace_channels(ws: Path) -> list[str]:
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    try:
        return [r[0] for r in con.execute(
            "SELECT DISTINCT channel FROM (SELECT channel FROM spend UNION ALL SELECT channel FROM touchpoints "
            "UNION ALL SELECT channel FROM attribution_results UNION ALL SELECT channel FROM mmm_channels) "
            "ORDER BY 1").fetchall()]
    finally:
        con.close()


def test_traces_legend_and_table_agree(penv: Env, pclient: TestClient) -> None:
    chans = _workspace_channels(penv.workspace)
    assert chans == sorted(CHANNELS)
    expected = {ch: PALETTE[i] for i, ch in enumerate(chans)}
    page = pclient.get("/channels?lang=en").text
    figs = figures(page)
    names = {"baidu": "Baidu", "douyin": "Douyin", "email": "Email", "wechat": "WeChat"}
    seen: dict[str, dict[str, str]] = {}
    for fid in ("chart-attr-value", "chart-attr-conv"):
        traces = figs[fid]["data"]
        assert {t["meta"] for t in traces} == set(names)  # one legend entry (trace) per channel
        for t in traces:
            color = t["marker"]["color"]
            assert isinstance(color, str), "one colour per trace: the legend swatch is the bars' colour"
            assert color == expected[t["meta"]] and t["name"] == names[t["meta"]]
            seen.setdefault(fid, {})[t["meta"]] = color
    assert seen["chart-attr-value"] == seen["chart-attr-conv"]  # the two charts agree
    assert [t["meta"] for t in figs["chart-attr-value"]["data"]] == [t["meta"] for t in figs["chart-attr-conv"]["data"]]
    # the table under the chart: one row per channel with the same colour, the numbers per model
    rows = re.findall(r'<tr data-channel="([^"]+)" data-color="([^"]+)">(.*?)</tr>', page)
    assert [r[0] for r in rows] == [t["meta"] for t in figs["chart-attr-value"]["data"]]
    con = duckdb.connect(str(penv.workspace / "warehouse.duckdb"), read_only=True)
    try:
        truth = {(m, ch): (conv, val) for m, ch, conv, val in con.execute(
            "SELECT model, channel, sum(conversions), sum(value) FROM attribution_results GROUP BY 1, 2").fetchall()}
    finally:
        con.close()
    for ch, color, cells in rows:
        assert color == expected[ch]
        nums = re.findall(r'<span[^>]*data-field="(value|conversions)">([^<]*)</span>', cells)
        want = []
        for m in MODELS:
            conv, val = truth[(m, ch)]
            want += [("value", f"{val:,.0f}"), ("conversions", f"{conv:,.1f}")]
        assert nums == want, ch
    # the value chart's bars are the table's values
    value = {t["meta"]: t["y"] for t in figs["chart-attr-value"]["data"]}
    assert value["douyin"] == pytest.approx([truth[(m, "douyin")][1] for m in MODELS])


def test_a_channel_has_one_colour_on_every_page(pclient: TestClient) -> None:
    attr = {t["meta"]: t["marker"]["color"] for t in figures(pclient.get("/channels?lang=en").text)
            ["chart-attr-value"]["data"]}
    mix = figures(pclient.get("/mix?lang=en").text)
    names = {"Baidu": "baidu", "Douyin": "douyin", "Email": "email", "WeChat": "wechat"}
    for fid in ("chart-contrib", "chart-roi"):
        bar = mix[fid]["data"][0]
        assert {names[x]: c for x, c in zip(bar["x"], bar["marker"]["color"], strict=True)} == attr
    lines = {names[t["name"]]: t["line"]["color"] for t in mix["chart-curves"]["data"] if t.get("name") in names}
    assert lines == {ch: attr[ch] for ch in lines} and len(lines) == 4


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_no_raw_channel_or_model_key(pclient: TestClient, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    model_names = {"en": ("Last touch", "Markov chain", "Shapley value"), "zh-CN": ("末次触点", "马尔可夫链", "沙普利值")}
    for m, name in zip(MODELS, model_names[lang], strict=True):
        monkeypatch.setitem(CATALOG[lang], f"name.model.{m}", name)
    page = pclient.get(f"/channels?lang={lang}").text
    figs = figures(page)
    drawn = " | ".join(chart_labels(figs["chart-attr-value"]) + chart_labels(figs["chart-attr-conv"]))
    text = visible_text(page)
    for where in (text, drawn):
        assert raw_keys_in(where, CHANNELS + MODELS) == []
    for name in model_names[lang]:
        assert name in text and name in drawn
    assert ("抖音" if lang == "zh-CN" else "Douyin") in drawn
