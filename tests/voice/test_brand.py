from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from omnimix.errors import InputDataError
from omnimix.voice.brand import load_brand
from omnimix.voice.types import Asset, Issue

MINIMAL = """
[brand]
name = "绿野"
core_message = "天然成分，温和护肤"
pillars = ["天然成分", "温和不刺激"]
tone = ["亲切", "真诚"]
"""


def test_minimal_brand_book(tmp_path: Path) -> None:
    p = tmp_path / "brand.toml"
    p.write_text(MINIMAL, encoding="utf-8")
    b = load_brand(p)
    assert b.name == "绿野" and b.pillars == ("天然成分", "温和不刺激") and b.tone == ("亲切", "真诚")
    assert b.offers == () and b.script == "simplified" and b.industry == "general"
    assert b.channel("douyin").max_exclamation_density is None


def test_full_brand_book(tmp_path: Path) -> None:
    p = tmp_path / "brand.toml"
    p.write_text(
        MINIMAL
        + """industry = "cosmetics"
script = "simplified"
[tone_examples]
good = ["温和配方，敏感肌也能放心用"]
bad = ["史上最强！！！买它！！！"]
[terms]
banned = {"最便宜" = "超值"}
required = ["绿野"]
[names]
accepted = ["绿野", "LüYe"]
wrong = {"绿叶" = "绿野"}
[vale]
paths = ["styles/Brand"]
[channels.douyin]
max_exclamation_density = 2
max_emoji_density = 3
[[offers]]
text = "满300减50"
campaign = "双11"
amount = 50
threshold = 300
code = "GREEN50"
start = 2026-11-01
end = "2026-11-11"
""",
        encoding="utf-8",
    )
    b = load_brand(p)
    assert b.industry == "cosmetics" and b.banned_terms[0].replacement == "超值"
    assert b.name_variants == {"绿叶": "绿野"} and b.vale_paths == (tmp_path / "styles/Brand",)
    assert b.channel("Douyin").max_emoji_density == 3.0
    (o,) = b.offers_for("双11")
    assert (o.amount, o.threshold, o.code, o.start, o.end) == (
        50,
        300,
        "GREEN50",
        date(2026, 11, 1),
        date(2026, 11, 11),
    )
    assert b.offers_for("other") == ()


def test_errors_name_file_key_and_fix(tmp_path: Path) -> None:
    p = tmp_path / "brand.toml"
    p.write_text('[brand]\nname = "x"\npillars = "a"\n[[offers]]\npercent = 120\nend = "11/11"\n', encoding="utf-8")
    with pytest.raises(InputDataError) as exc:
        load_brand(p)
    msg = str(exc.value)
    assert str(p) in msg
    for key in ("brand.core_message", "brand.pillars", "brand.tone", "offers[0].percent", "offers[0].end"):
        assert key in msg
    assert "2026-11-11" in msg


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="not found"):
        load_brand(tmp_path / "nope.toml")
    p = tmp_path / "b.toml"
    p.write_text("[brand\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="TOML"):
        load_brand(p)


def test_types_validate() -> None:
    i = Issue("offer.amount", "offer", "error", 2, 4, "50", "m", "s")
    assert i.to_dict()["category"] == "offer"
    with pytest.raises(ValueError):
        Issue("x", "nope", "error", 0, 0, "", "m")  # type: ignore[arg-type]
    assert Asset("a", "wechat", "c", "", "满300减50，快来抢购").lang == "zh"
    assert Asset("a", "wechat", "c", "en-US", "x").lang == "en"


def test_example_brand_book_loads() -> None:
    b = load_brand(Path(__file__).parents[2] / "examples" / "brand.toml")
    assert b.name == "绿野" and b.industry == "cosmetics" and len(b.offers_for("双11")) == 2
    assert len(b.message_targets()) == 1 + len(b.pillars) and all(len(t) == 2 for _, t in b.message_targets())
