"""Score the voice checks on labelled corpora (precision/recall per category, conflicts, message pairs).

Run from the repository root::

    PYTHONPATH=src .venv/bin/python benchmarks/voice_offers.py [FILES ...] [--embeddings auto|e5|lexical]
        [--errors] [--json]

Scores the whole pipeline (:func:`omnimix.voice.check.check_assets`) per asset; the span-level scorer
of the ad-law and terminology checks is ``benchmarks/voice_corpus.py``. Default FILES:
``tests/voice/corpus/offers_message.jsonl``; any corpus file of either format can be given (rows without
a brand are skipped). Prints the number of zh/en assets, precision and
recall of ad_law, terminology and offer (target >= 0.9 each), the planted offer conflicts found with both
assets named, conflicts reported for consistent campaigns (target 0), and the share of (on-message,
off-message) pairs where the on-message asset has the higher coverage (target >= 0.9).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from omnimix.voice.corpus import load_corpus, score_corpus


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--embeddings", default="auto", choices=["auto", "use", "e5", "lexical"])
    ap.add_argument("--errors", action="store_true", help="list every false positive/negative and missed conflict")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    files = args.files or [Path("tests/voice/corpus/offers_message.jsonl")]
    items = [it for f in files for it in load_corpus(f)]
    t0 = time.perf_counter()
    s = score_corpus(items, embeddings=args.embeddings)
    took = time.perf_counter() - t0
    emb = s.reports[0].embeddings if s.reports else args.embeddings
    res = {
        "files": [str(f) for f in files],
        "assets_zh": s.n_zh,
        "assets_en": s.n_en,
        "embeddings": emb,
        "seconds": round(took, 2),
        "categories": {
            c: {"precision": round(s.precision(c), 3), "recall": round(s.recall(c), 3), **s.counts[c]} for c in s.counts
        },
        "planted_conflicts": s.planted,
        "planted_found": s.planted_found,
        "consistent_campaigns": s.consistent_campaigns,
        "consistent_campaigns_with_conflicts": len(s.consistent_with_conflicts),
        "unexpected_conflicts": len(s.unexpected_conflicts),
        "message_pairs": s.message_pairs,
        "message_pairs_on_above_off": round(s.pair_rate, 4),
    }
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=2))
    else:
        print(
            f"corpus: {', '.join(res['files'])}: {s.n_zh} zh + {s.n_en} en assets, embeddings {emb}, "
            f"checked in {took:.1f} s"
        )
        for c, v in res["categories"].items():
            print(
                f"  {c:<12} precision {v['precision']:.3f}  recall {v['recall']:.3f}  "
                f"(tp {v['tp']} fp {v['fp']} fn {v['fn']} tn {v['tn']})"
            )
        print(
            f"  offer conflicts: {s.planted_found}/{s.planted} planted found with both assets named; "
            f"{len(s.consistent_with_conflicts)} of {s.consistent_campaigns} consistent campaigns report one; "
            f"{len(s.unexpected_conflicts)} unexpected in planted campaigns"
        )
        print(
            f"  message coverage: on-message above off-message in {s.message_pairs_ordered}/{s.message_pairs} "
            f"pairs ({100 * s.pair_rate:.1f}%)"
        )
    if args.errors:
        for line in s.errors + [f"missed {m}" for m in s.missed] + s.consistent_with_conflicts + s.unexpected_conflicts:
            print("  -", line, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
