"""The display-name catalogue (web/locales/names.toml, #20 item 2): every key the code knows has a name in
both languages, the two languages define the same keys, and :func:`display_name` finds them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from omnimix.attribution.models import MODELS
from omnimix.clv.rfm import DEFAULT_SEGMENTS
from omnimix.config import Config
from omnimix.experiments.analysis import METHODS as EXPERIMENT_METHODS
from omnimix.lifecycle.stages import STAGE_NAMES
from omnimix.optimize.guard import CHANNEL_STATUSES
from omnimix.schema import RESULTS, TABLES
from omnimix.taxonomy import CHANNELS, FUNNEL_STAGES, IDENTIFIER_TYPES
from omnimix.web.i18n import CATALOG, LOCALE_DIR, display_name, fold_key, load_locale_files
from omnimix.web.queries.results import CHECK_TYPES, METRIC_TYPES
from omnimix.web.security import ROLES

NAMES = LOCALE_DIR / "names.toml"
#: The kinds names.toml owns; other catalogues own metric, alert_kind, severity, decision, method,
#: inference.
OWNED = {"channel", "model", "stage", "lifecycle", "diagnostic", "check", "segment", "role", "action", "objective",
         "identifier", "series", "table", "channel_status"}
FOREIGN = {"metric", "alert_kind", "severity", "decision", "method", "inference"}
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _names() -> dict[str, dict[str, dict[str, str]]]:
    data = tomllib.loads(NAMES.read_text(encoding="utf-8"))
    return {lang: data[lang]["name"] for lang in ("en", "zh-CN")}


def _audit_actions() -> set[str]:
    src = Path(__file__).resolve().parents[2] / "src" / "omnimix" / "web"
    found = set()
    for f in src.rglob("*.py"):
        arg = r"\s*(?:[^,()]|\([^()]*\))+"
        found |= set(re.findall(rf'\baudit\({arg},{arg},\s*"([a-z_]+)"', f.read_text()))
        found |= set(re.findall(r'\.audit\("[^"]*", "([a-z_]+)"', f.read_text()))
    return found


def test_names_toml_holds_exactly_its_own_kinds_in_both_languages() -> None:
    names = _names()
    assert set(names["en"]) == set(names["zh-CN"]) == OWNED
    assert not FOREIGN & set(names["en"])
    for kind in OWNED:
        assert set(names["en"][kind]) == set(names["zh-CN"][kind]), kind
        for key, zh in names["zh-CN"][kind].items():
            assert zh.strip() and names["en"][kind][key].strip(), (kind, key)
    # no other catalogue defines a name of these kinds (they would be duplicate keys anyway)
    for path in LOCALE_DIR.glob("*.toml"):
        if path != NAMES:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            for lang in data.values():
                assert not OWNED & set(lang.get("name", {})), path.name


@pytest.mark.parametrize(
    ("kind", "keys"),
    [
        ("channel", list(CHANNELS) + list(Config().taxonomy.channels)),
        ("model", list(MODELS)),
        ("stage", list(FUNNEL_STAGES) + list(Config().funnel.stages)),
        ("lifecycle", list(STAGE_NAMES) + list(Config().lifecycle.stages)),
        ("segment", [s.name for s in DEFAULT_SEGMENTS]),
        ("role", list(ROLES)),
        ("objective", ["kpi", "revenue", "profit"]),
        ("identifier", list(IDENTIFIER_TYPES)),
        ("diagnostic", list(METRIC_TYPES)),
        ("check", list(CHECK_TYPES)),
        ("table", list(TABLES) + list(RESULTS)),
        ("action", sorted(_audit_actions())),
        ("channel_status", list(CHANNEL_STATUSES)),
        ("method", list(EXPERIMENT_METHODS)),
        ("inference", sorted({i for infs in EXPERIMENT_METHODS.values() for i in infs})),
    ],
)
def test_every_key_of_the_code_has_a_name(kind: str, keys: list[str]) -> None:
    assert keys
    en = CATALOG["en"]
    missing = [k for k in keys if f"name.{kind}.{k}" not in en and f"name.{kind}.{fold_key(k)}" not in en]
    assert missing == []
    for k in keys:
        zh = display_name(kind, k, "zh-CN")
        assert zh != k or k.isupper() or k == "KOL", (kind, k)
        if kind not in ("identifier", "table"):  # "CRM ID", "WeChat OpenID" keep their Latin names
            assert _HAN.search(zh) or zh in ("KOL", "R²"), (kind, k, zh)
        assert display_name(kind, k, "en") != k or k[0].isupper(), (kind, k)


def test_zh_channel_names_agree_with_the_taxonomy() -> None:
    for key, zh in CHANNELS.items():
        assert display_name("channel", key, "zh-CN") == zh


def test_lookup_order_and_folding() -> None:
    assert display_name("channel", "douyin", "zh-CN") == "抖音"
    assert display_name("channel", "douyin", "en") == "Douyin"
    # the workspace's own [taxonomy.channels] names win in zh-CN
    assert display_name("channel", "douyin", "zh-CN", {"douyin": "抖音（巨量引擎）"}) == "抖音（巨量引擎）"
    assert display_name("channel", "douyin", "en", {"douyin": "抖音（巨量引擎）"}) == "Douyin"
    assert fold_key("Can't Lose Them") == "cant_lose_them" and fold_key("Organic Search") == "organic_search"
    assert display_name("segment", "Can't Lose Them", "zh-CN") == "不能流失的客户"
    assert display_name("segment", "at_risk", "en") == "At risk"
    assert display_name("model", "last_non_direct", "zh-CN") == "末次非直接触点"
    assert display_name("stage", "awareness", "zh-CN") == "认知"
    assert display_name("diagnostic", "ess_bulk_min", "zh-CN").startswith("有效样本量")
    assert display_name("role", "admin", "zh-CN") == "管理员"
    # unknown keys stay readable: as they are in zh-CN, underscores as spaces in English
    assert display_name("channel", "my_custom_channel", "zh-CN") == "my_custom_channel"
    assert display_name("channel", "my_custom_channel", "en") == "my custom channel"
    assert display_name("channel", None, "en") == "—"


def test_a_duplicate_key_across_catalogues_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[en.name.channel]\ndouyin = "Douyin"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('[en.name.channel]\ndouyin = "TikTok China"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"already defined elsewhere: name\.channel\.douyin"):
        load_locale_files(tmp_path, {})
    (tmp_path / "b.toml").write_text('[fr.name.channel]\ndouyin = "Douyin"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown locale 'fr'"):
        load_locale_files(tmp_path, {})
