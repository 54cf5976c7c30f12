"""Precision and recall of omnimix.voice's checks on the labelled corpus (issue #18 acceptance).

Corpus files are JSON Lines, one asset a line::

    {"asset_id": "zh-v01", "language": "zh", "channel": "douyin", "brand": "lvye", "industry": "food",
     "text": "...", "expected": [{"category": "ad_law", "start": 9, "end": 12, "text": "最低价"}]}

``brand`` names ``tests/voice/corpus/brands/NAME.toml`` (optional), ``industry`` the ad-law mode
(optional, default general). A found issue matches an expected one of the same category when their
spans overlap; a whole-asset issue (start == end == 0) matches a whole-asset one. Precision = found
issues that match / found; recall = expected issues matched / expected.

    PYTHONPATH=src python benchmarks/voice_corpus.py                      # the acceptance corpus (below)
    PYTHONPATH=src python benchmarks/voice_corpus.py FILE.jsonl ... --json --misses
    PYTHONPATH=src python benchmarks/voice_corpus.py --offers FILE.jsonl   # and an offers file of your own
    PYTHONPATH=src python benchmarks/voice_corpus.py --speed 10000         # time ad_law + terminology

Without FILES it scores the acceptance corpus: ad_law and terminology span by span on
``adlaw_terms.jsonl`` and ``medical.jsonl``, then offer per asset (the whole pipeline,
:func:`omnimix.voice.corpus.score_corpus`) on ``offers_message.jsonl`` with its planted conflicts and
message pairs, and prints the assets per language over all of them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from omnimix.voice.adlaw import check_ad_law
from omnimix.voice.brand import Brand, load_brand
from omnimix.voice.terms import check_terminology
from omnimix.voice.types import Issue

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "voice" / "corpus"
CATEGORIES = ("ad_law", "terminology")


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a == (0, 0) or b == (0, 0):
        return a == b
    return a[0] < b[1] and b[0] < a[1]


def found_issues(row: dict[str, Any], brand: Brand | None) -> list[Issue]:
    """The issues of the categories scored here, for one corpus row."""
    lang = str(row.get("language", ""))
    out = check_ad_law(row["text"], language=lang, industry=row.get("industry") or "general", brand=brand)
    if brand is not None:
        out += check_terminology(row["text"], brand, language=lang)
    return out


def score(paths: list[Path], categories: tuple[str, ...] = CATEGORIES) -> dict[str, Any]:
    brands: dict[str, Brand] = {}
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # tp_found, found, tp_exp, expected
    misses: list[dict[str, Any]] = []
    n_assets: dict[str, int] = defaultdict(int)
    t0 = time.perf_counter()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            lang = str(row.get("language", "zh"))[:2]
            n_assets[lang] += 1
            bname = row.get("brand")
            if bname and bname not in brands:
                brands[bname] = load_brand(path.parent / "brands" / f"{bname}.toml")
            got = [i for i in found_issues(row, brands.get(bname) if bname else None) if i.category in categories]
            exp = [e for e in row.get("expected", []) if e["category"] in categories]
            for cat in categories:
                g = [(i.start, i.end, i) for i in got if i.category == cat]
                x = [(int(e["start"]), int(e["end"]), e) for e in exp if e["category"] == cat]
                for key in ((cat, "all"), (cat, lang)):
                    t = tally[key]
                    t[1] += len(g)
                    t[3] += len(x)
                    t[0] += sum(1 for s, e, _ in g if any(_overlap((s, e), (a, b)) for a, b, _ in x))
                    t[2] += sum(1 for a, b, _ in x if any(_overlap((s, e), (a, b)) for s, e, _ in g))
                for s, e, i in g:
                    if not any(_overlap((s, e), (a, b)) for a, b, _ in x):
                        misses.append(
                            {
                                "asset_id": row["asset_id"],
                                "kind": "false_positive",
                                "category": cat,
                                "text": i.text,
                                "rule": i.rule,
                                "span": [s, e],
                                "copy": row["text"],
                            }
                        )
                for a, b, ex in x:
                    if not any(_overlap((s, e), (a, b)) for s, e, _ in g):
                        misses.append(
                            {
                                "asset_id": row["asset_id"],
                                "kind": "missed",
                                "category": cat,
                                "text": ex.get("text", ""),
                                "span": [a, b],
                                "copy": row["text"],
                            }
                        )
    seconds = time.perf_counter() - t0
    figures: dict[str, Any] = {}
    for (cat, lang), (tpf, f, tpe, x) in sorted(tally.items()):
        figures.setdefault(cat, {})[lang] = {
            "precision": round(tpf / f, 3) if f else None,
            "recall": round(tpe / x, 3) if x else None,
            "found": f,
            "expected": x,
        }
    return {"assets": dict(n_assets), "figures": figures, "misses": misses, "seconds": round(seconds, 2)}


def speed(paths: list[Path], n: int, seed: int = 0) -> dict[str, Any]:
    """Time check_ad_law + check_terminology on ``n`` assets, each two corpus texts of one language joined
    with a random number (so no two are equal); jieba's dictionary load is inside the timing."""
    import random

    rows = [json.loads(line) for p in paths for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    brand = load_brand(paths[0].parent / "brands" / "lvye.toml")
    rng = random.Random(seed)
    assets = []
    for _ in range(n):
        a = rng.choice(rows)
        b = rng.choice([r for r in rows if r["language"] == a["language"]])
        sep = "，" if a["language"] == "zh" else ". "
        assets.append(
            (f"{a['text']} {rng.randint(1, 999)}{sep}{b['text']}", a["language"], a.get("industry") or "general")
        )
    t0 = time.perf_counter()
    found = 0
    for text, lang, ind in assets:
        found += len(check_ad_law(text, language=lang, industry=ind, brand=brand))
        found += len(check_terminology(text, brand, language=lang))
    return {"assets": n, "seconds": round(time.perf_counter() - t0, 2), "issues": found}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", type=Path, help="corpus .jsonl files (default: adlaw_terms.jsonl)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--misses", action="store_true", help="list every false positive and missed issue")
    ap.add_argument("--speed", type=int, default=0, metavar="N", help="instead, time the checks on N assets")
    ap.add_argument(
        "--offers",
        type=Path,
        action="append",
        default=None,
        help="asset-level offers corpus (default with no FILES: offers_message.jsonl)",
    )
    ap.add_argument("--embeddings", default="auto", choices=["auto", "use", "e5", "lexical"])
    args = ap.parse_args(argv)
    files = args.files or [CORPUS / "adlaw_terms.jsonl", CORPUS / "medical.jsonl"]
    offers = args.offers if args.offers is not None else ([] if args.files else [CORPUS / "offers_message.jsonl"])
    if args.speed:
        print(json.dumps(speed(files, args.speed)))
        return 0
    res = score(files)
    if args.json:
        print(
            json.dumps(
                res if args.misses else {k: v for k, v in res.items() if k != "misses"}, ensure_ascii=False, indent=2
            )
        )
        return 0
    print(f"assets: {res['assets']}  ({res['seconds']} s)")
    print(f"{'category':<12} {'lang':<4} {'precision':>9} {'recall':>7} {'found':>6} {'expected':>8}")
    for cat, by in res["figures"].items():
        for lang, v in by.items():
            p = "-" if v["precision"] is None else f"{v['precision']:.3f}"
            r = "-" if v["recall"] is None else f"{v['recall']:.3f}"
            print(f"{cat:<12} {lang:<4} {p:>9} {r:>7} {v['found']:>6} {v['expected']:>8}")
    if args.misses:
        for m in res["misses"]:
            head = f"  {m['kind']:<14} {m['asset_id']:<8} {m['category']:<11} {m['text']!r} {m.get('rule', '')}"
            print(f"{head}  | {m['copy']}")
    if offers:
        _print_offers(offers, res["assets"], args.embeddings, args.misses)
    return 0


def _print_offers(files: list[Path], span_assets: dict[str, int], embeddings: str, misses: bool) -> None:
    """Offer precision/recall per asset (whole pipeline), planted conflicts and message pairs."""
    from omnimix.voice.corpus import load_corpus, score_corpus

    items = [it for f in files for it in load_corpus(f)]
    s = score_corpus(items, embeddings=embeddings, categories=("offer",))
    emb = s.reports[0].embeddings if s.reports else embeddings
    c = s.counts["offer"]
    print(f"\noffers: {', '.join(f.name for f in files)}: {s.n_zh} zh + {s.n_en} en assets, embeddings {emb}")
    print(
        f"offer        all  {s.precision('offer'):>9.3f} {s.recall('offer'):>7.3f}  "
        f"(per asset: tp {c['tp']} fp {c['fp']} fn {c['fn']} tn {c['tn']})"
    )
    print(
        f"planted conflicts found with both assets named: {s.planted_found}/{s.planted}; consistent campaigns "
        f"with a conflict: {len(s.consistent_with_conflicts)} of {s.consistent_campaigns}; message pairs "
        f"on > off: {s.message_pairs_ordered}/{s.message_pairs} ({100 * s.pair_rate:.1f}%)"
    )
    zh, en = span_assets.get("zh", 0) + s.n_zh, span_assets.get("en", 0) + s.n_en
    print(f"corpus in all: {zh} zh + {en} en assets (target >= 150 zh and >= 50 en)")
    if misses:
        for line in s.errors + [f"missed {m}" for m in s.missed] + s.consistent_with_conflicts:
            print("  -", line)


if __name__ == "__main__":
    sys.exit(main())
