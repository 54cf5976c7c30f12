"""The /voice page: campaigns, consistency matrix, conflicts and the worst assets with highlighted issues."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from omnimix.cli import main
from omnimix.web.pages.voice import highlight

from .conftest import Env, login, make_env

BRAND = Path(__file__).parent.parent / "voice" / "corpus" / "brands" / "coffee.toml"
CSV = """asset_id,channel,campaign,language,text,published_at
d1,douyin,双11,zh-CN,云南产地直采，新鲜烘焙。双11满300减50，券码SHAN50，11月1日至11月11日。,2026-10-30
w1,wechat,双11,zh-CN,双11满300减60！截止11月12日 <b>,2026-10-31
"""


def _cli(args: list[str]) -> None:
    try:
        main(args)
    except SystemExit as exc:
        assert not exc.code


@pytest.fixture(scope="module")
def voice_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("voice_ws")
    ws, csv = root / "ws", root / "content.csv"
    csv.write_text(CSV, encoding="utf-8")
    _cli(["init", str(ws)])
    _cli(["ingest", str(csv), "--table", "content", "--workspace", str(ws)])
    _cli(["voice", "check", "--workspace", str(ws), "--brand", str(BRAND), "--embeddings", "lexical", "--save"])
    yield from make_env(ws)


def test_highlight_segments() -> None:
    segs = highlight(
        "满300减60，截止",
        [{"span_start": 0, "span_end": 7, "rule": "r"}, {"span_start": 3, "span_end": 5, "rule": "overlap"}],
    )
    assert [(s["text"], bool(s["issue"])) for s in segs] == [("满300减60", True), ("，截止", False)]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh-CN", ["一致性矩阵", "优惠冲突", "得分最低的素材"]),
        ("en", ["Consistency matrix", "Offer conflicts", "Worst assets"]),
    ],
)
def test_voice_page(voice_env: Env, lang: str, words: list[str]) -> None:
    c = TestClient(voice_env.app)  # type: ignore[arg-type]
    login(c, "viewer")
    r = c.get(f"/voice?lang={lang}&campaign=双11")
    assert r.status_code == 200
    for w in words:
        assert w in r.text
    assert 'id="voice-matrix"' in r.text and "云南产地直采咖啡豆" in r.text
    assert '<mark class="sev-error" title="offer.amount_mismatch' in r.text and ">满300减60</mark>" in r.text
    assert "&lt;b&gt;" in r.text  # copy is escaped
    assert r.text.index('id="asset-w1"') < r.text.index('id="asset-d1"')  # worst first
    # conflicts name their field in the page's language and link both assets
    field = {"zh-CN": "减免金额", "en": "amount"}[lang]
    assert f"<b>{field}</b>: " in r.text and '<a href="#asset-d1">d1</a>' in r.text
    cat = {"zh-CN": "优惠", "en": "offer"}[lang]
    assert f" · {cat} · <code>offer.amount_mismatch</code> «满300减60»" in r.text


def test_voice_page_not_computed(bare_env: Env) -> None:
    c = TestClient(bare_env.app)  # type: ignore[arg-type]
    login(c, "analyst")
    r = c.get("/voice?lang=en")
    assert r.status_code == 200 and 'data-state="not-computed"' in r.text and "omnimix voice check" in r.text
