"""Whole zh-CN and en in the browser (#20 acceptance): every GET page of the app, in both languages, as
chromium renders it (Playwright + Debian's chromium, marked ``browser``).

For each page and language: no raw key of the taxonomy channels, attribution models, funnel stages or MMM
diagnostics in the rendered DOM — the text and the labels plotly drew into its SVG (axes, legends) plus
the figures' own labels (hovers) — (rules in :mod:`tests.web.i18n_check`); a full-page screenshot
``<page>-<lang>.png`` in bench-out/screens/ (or ``$OMNIMIX_SCREENSHOTS``); no horizontal overflow at
1,280 px (neither the page nor any table wider than its card); and 0 JavaScript errors (console errors
and uncaught page errors). The pages come from the app's routes, so pages added later are covered.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import BrowserPage, live_server
from .i18n_check import build_i18n_workspace, page_paths, page_routes, raw_keys
from .test_browser import proportional

pytestmark = pytest.mark.browser

WIDTH = 1280
_MONTHS = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
#: Tables and the page that are wider than their box (scroll widths against client widths).
OVERFLOW_JS = """() => {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1) out.push(`page ${doc.scrollWidth} > ${doc.clientWidth}`);
  for (const t of document.querySelectorAll('table')) {
    const box = t.closest('.card, section, main') || t.parentElement;
    const r = t.getBoundingClientRect(), b = box.getBoundingClientRect();
    if (r.right > b.right + 1 || t.scrollWidth > t.clientWidth + 1)
      out.push(`table#${t.id || '?'} ${Math.round(r.width)} px in a ${Math.round(b.width)} px box`);
  }
  for (const c of document.querySelectorAll('.chart .main-svg')) {
    const w = c.getBoundingClientRect().right;
    if (w > doc.clientWidth + 1) out.push(`chart ${c.closest('.chart').id} ends at ${Math.round(w)} px`);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def i18n_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    from omnimix.web.app import create_app

    mod = types.ModuleType("omnimix.optimize")
    mod.optimize_curves = proportional  # type: ignore[attr-defined]
    saved = sys.modules.get("omnimix.optimize")
    sys.modules["omnimix.optimize"] = mod
    app = create_app(build_i18n_workspace(tmp_path_factory.mktemp("i18n_browser")))
    app.state.ctx.state.add_user("ana", "ana-pass-123", "admin")
    try:
        with live_server(app) as url:
            yield url, app
    finally:
        if saved is None:
            sys.modules.pop("omnimix.optimize", None)
        else:
            sys.modules["omnimix.optimize"] = saved


def _shot_name(path: str) -> str:
    return path.strip("/").replace("/", "_") or "overview"


def test_every_page_both_languages_in_chromium(browser: Any, i18n_server: tuple[str, Any], shots: Path) -> None:
    base, app = i18n_server
    p = BrowserPage(browser, base, width=WIDTH, height=900)
    # the login page, signed out
    for lang in ("zh-CN", "en"):
        assert p.goto(f"/login?lang={lang}").status == 200
        assert raw_keys(p.page.content(), lang) == []
        p.page.screenshot(path=str(shots / f"login-signed-out-{lang}.png"), full_page=True)
    p.login("ana", "ana-pass-123")
    plain = {}
    for path in (r for r in page_routes(app) if "{" not in r):
        p.goto(f"{path}?lang=en")
        plain[path] = p.page.content()
    paths, missing = page_paths(app, plain)
    paths += [] if "/customers/C00001" in paths else ["/customers/C00001"]  # the one with every timeline kind
    assert not missing, f"no page links to {missing}"
    leaks: dict[tuple[str, str], list[str]] = {}
    overflow: dict[tuple[str, str], list[str]] = {}
    shot_files = []
    for lang in ("zh-CN", "en"):
        for path in paths:
            sep = "&" if "?" in path else "?"
            resp = p.goto(f"{path}{sep}lang={lang}")
            assert resp.status == 200, (path, lang, resp.status)
            assert p.page.locator("html").get_attribute("lang") == lang
            n_charts = p.page.locator(".chart[data-figure]").count()
            if n_charts:
                p.page.wait_for_function(
                    f"document.querySelectorAll('.chart .main-svg').length >= {n_charts}", timeout=20000)
            svg_labels = p.page.eval_on_selector_all(".chart svg text", "els => els.map(e => e.textContent)")
            bad = raw_keys(p.page.content(), lang, svg_labels)
            if lang == "zh-CN":  # plotly's own English (month names on date axes) drawn into the chart
                bad += sorted({w for s in svg_labels for w in _MONTHS.findall(s)})
            if bad:
                leaks[(lang, path)] = bad
            wide = p.page.evaluate(OVERFLOW_JS)
            if wide:
                overflow[(lang, path)] = wide
            f = shots / f"{_shot_name(path)}-{lang}.png"
            p.page.screenshot(path=str(f), full_page=True)
            shot_files.append(f)
    assert leaks == {}, leaks
    assert overflow == {}, overflow
    assert p.errors == [], p.errors
    assert len(shot_files) == 2 * len(paths) and all(f.stat().st_size > 10_000 for f in shot_files)
