"""What "one language per page, no raw keys" means, shared by the TestClient and the browser tests (#20).

* :func:`page_paths` lists every GET page of the app from its routes (so pages added later are covered):
  a route with a path parameter is filled from a link to it found on the other pages.
* :func:`raw_keys` finds raw data keys — taxonomy channels, attribution models, funnel stages, MMM
  diagnostics and review checks — in a page's text and chart labels. In zh-CN every key is raw
  wherever it stands as a word. In English a key that is also an ordinary word ("direct", "linear",
  "awareness") is raw only where it is a whole label by itself (a table cell, a list item, a chart
  label), and keys with an underscore or a pinyin / proper name (``douyin``, ``markov``) anywhere.
  Text inside ``<code>`` (file names, raw rows as loaded, commands) is data, not wording, and is left out.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from omnimix.attribution.models import MODELS
from omnimix.taxonomy import CHANNELS, FUNNEL_STAGES
from omnimix.web.i18n import CATALOG

DIAGNOSTICS = sorted(k.split(".", 2)[2] for k in CATALOG["en"] if k.startswith(("name.diagnostic.", "name.check.")))
#: Model keys the result tables hold beyond the registry (older runs, the sample).
EXTRA_MODELS = ("last_touch", "first_touch")
KEYS: tuple[str, ...] = tuple(sorted(set(CHANNELS) | set(MODELS) | set(EXTRA_MODELS) | set(FUNNEL_STAGES)
                                     | set(DIAGNOSTICS)))
#: English keys that are no English word: raw wherever they stand.
PROPER = frozenset({"douyin", "wechat", "xiaohongshu", "weibo", "bilibili", "baidu", "kol", "markov", "shapley",
                    "rhat", "ppp", "ess", "sms"})

_TAG = re.compile(r"<[^>]*>")
_CODE = re.compile(r"<code\b[^>]*>.*?</code>", re.S)
_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1>", re.S)
_CELL = re.compile(r"<(td|th|li|option|span|b|a|h[1-4]|label|div|text|tspan)\b[^>]*>([^<]*)</\1>", re.S)


def main_html(page: str) -> str:
    """The page without scripts, styles and ``<code>`` blocks (the header with its menu included)."""
    body = page.split("<body", 1)[-1]
    return _CODE.sub(" ", _SCRIPT.sub(" ", body))


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", _TAG.sub(" ", fragment))).strip()


def figures(page: str) -> list[dict[str, Any]]:
    return [json.loads(html.unescape(m.group(1))) for m in re.finditer(r"data-figure='([^']*)'", page)]


def chart_texts(fig: dict[str, Any]) -> list[str]:
    """Every text a plotly figure can draw: trace names, categories, texts, hover templates, axis titles."""
    out: list[str] = []
    for t in fig.get("data", []):
        for k in ("name", "hovertemplate", "text", "hovertext"):
            v = t.get(k)
            out += [str(x) for x in v] if isinstance(v, list) else [str(v)] if isinstance(v, str) else []
        for k in ("x", "y", "labels", "ids"):
            out += [str(v) for v in t.get(k) or [] if isinstance(v, str)]
    layout = fig.get("layout", {})
    for k, v in layout.items():
        if k.startswith(("xaxis", "yaxis")) and isinstance(v, dict):
            title = v.get("title")
            out.append(str(title.get("text", "")) if isinstance(title, dict) else str(title or ""))
            out += [str(x) for x in v.get("ticktext") or []]
    out += [str(a.get("text", "")) for a in layout.get("annotations", []) if isinstance(a, dict)]
    return [s for s in out if s]


def _word(key: str, text: str) -> bool:
    return re.search(rf"(?<![\w'-]){re.escape(key)}(?![\w'-])", text) is not None


def raw_keys(page: str, lang: str, extra_labels: Iterable[str] = (), keys: Iterable[str] = KEYS) -> list[str]:
    """The raw keys in ``page`` (HTML) and ``extra_labels`` (chart texts read from the browser)."""
    body = main_html(page)
    labels = [s for f in figures(page) for s in chart_texts(f)] + list(extra_labels)
    text = text_of(body) + " \n " + " \n ".join(labels)
    if lang == "zh-CN":
        return sorted(k for k in keys if _word(k, text))
    cells = {text_of(m.group(2)) for m in _CELL.finditer(body)} | {s.strip() for s in labels}
    return sorted(k for k in keys if (("_" in k or k in PROPER) and _word(k, text)) or k in cells)


def _routes(routes: Iterable[Any]) -> Iterator[Any]:
    for r in routes:
        inner = getattr(r, "original_router", None)  # FastAPI >= 0.165 keeps included routers whole
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield r


def page_routes(app: Any) -> list[str]:
    """The path of every GET page route of ``app`` (not the API, static files or redirects)."""
    out = []
    for r in _routes(app.routes):
        path = getattr(r, "path", "")
        if ("GET" not in (getattr(r, "methods", None) or set()) or getattr(r, "include_in_schema", True)
                or path.startswith(("/api/", "/static/")) or path in ("/favicon.ico", "/openapi.json")):
            continue
        out.append(path)
    return out


def page_paths(app: Any, pages: dict[str, str]) -> tuple[list[str], list[str]]:
    """(every GET page path of ``app``, the routes with a parameter no page links to).

    ``pages`` maps the parameterless paths to their HTML (one language); a parameterised route
    (``/customers/{customer_id}``) takes the first link on those pages that fits it.
    """
    routes = page_routes(app)
    plain = [p for p in routes if "{" not in p]
    found, missing = [], []
    links = [html.unescape(h) for page in pages.values() for h in re.findall(r'href="([^"?#]+)', page)]
    for path in (p for p in routes if "{" in p):
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        hit = next((h for h in links if pattern.match(h)), None)
        (found if hit else missing).append(hit or path)
    return plain + found, missing


VOICE_CSV = """asset_id,channel,campaign,language,text,published_at
d1,douyin,双11,zh-CN,云南产地直采，新鲜烘焙。双11满300减50，券码SHAN50，11月1日至11月11日。,2026-10-30
w1,wechat,双11,zh-CN,双11满300减60！截止11月12日,2026-10-31
x1,xiaohongshu,双11,zh-CN,新鲜烘焙的云南咖啡，双11满300减50。,2026-11-01
"""


def build_i18n_workspace(directory: Path) -> Path:
    """The pages sample (:func:`tests.web.pages_sample.build_pages_workspace`) with a plan.toml and checked
    brand-voice content, so every page has something in every section to name."""
    from omnimix.cli import main

    from .pages_sample import build_pages_workspace
    from .plan_sample import write_plan

    ws = build_pages_workspace(directory / "ws")
    write_plan(ws)
    csv = directory / "content.csv"
    csv.write_text(VOICE_CSV, encoding="utf-8")
    brand = Path(__file__).parent.parent / "voice" / "corpus" / "brands" / "coffee.toml"
    for args in (["ingest", str(csv), "--table", "content", "--workspace", str(ws)],
                 ["voice", "check", "--workspace", str(ws), "--brand", str(brand), "--embeddings", "lexical", "--save"]):
        try:
            main(args)
        except SystemExit as exc:
            assert not exc.code, args
    return ws
