"""Voice benchmark: check 10,000 assets (zh and en, offers, several campaigns) against a brand book.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python benchmarks/voice.py [--n 10000] [--embeddings auto|use|e5|lexical] [--seed 0]

Builds ``--n`` distinct assets from copy fragments (random products, numbers, dates and codes, so no
two texts are equal and no cache helps), then times :func:`omnimix.voice.check.check_assets` end to end:
offer extraction and campaign conflicts, message coverage (embeddings or the lexical fallback), tone,
score and the ad-law/terminology checks. Target: 10,000 assets in <= 60 s on 2 cores. Prints the wall time,
the process's CPU time (both threads: on a machine shared with other jobs the wall time is longer than on
2 free cores) and the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

from omnimix.voice.brand import load_brand
from omnimix.voice.check import check_assets
from omnimix.voice.types import Asset

ZH_OPEN = [
    "云南产地直采的咖啡豆",
    "新鲜烘焙的{p}",
    "这周新烘的{p}",
    "来自保山小农庄的{p}",
    "一杯好喝不贵的{p}",
    "门店新到{p}",
    "给上班族的{p}",
    "周末手冲就选{p}",
]
ZH_MID = [
    "烘焙后七天内发货",
    "香气干净，回甘明显",
    "每天一杯刚刚好",
    "适合做拿铁也适合手冲",
    "冷萃风味更甜",
    "袋子上印着烘焙日期",
    "农户直供，可追溯到种植户",
]
ZH_OFFER = [
    "满{t}减{a}",
    "每满{t}元减{a}元",
    "全场{d}折",
    "领{a}元券",
    "立减{a}元",
    "到手价{pr}元",
    "优惠码{c}",
    "即日起至{m}月{dd}日",
    "{m}月{d0}日-{m}月{dd}日",
    "截止{m}月{dd}日",
]
EN_OPEN = [
    "Freshly roasted {p}",
    "Single-origin {p} from Yunnan",
    "Our new {p}",
    "Direct-trade {p}",
    "Everyday {p} that tastes great",
]
EN_MID = [
    "shipped within seven days of roasting",
    "sweet and clean in the cup",
    "great for pour-over",
    "traceable to the farm",
    "priced for every day",
]
EN_OFFER = [
    "{a}% off with code {c}",
    "${a} off orders over ${t}",
    "spend ${t}, get ${a} off",
    "until Nov {dd}",
    "ends {m}/{dd}",
    "now only ${pr}",
]
PRODUCTS_ZH = ["日晒豆", "水洗豆", "挂耳礼盒", "冷萃包", "意式拼配", "小粒咖啡"]
PRODUCTS_EN = ["beans", "drip bags", "cold brew kit", "espresso blend", "gift box"]
CAMPAIGNS = ["双11", "618", "年货节", "会员日", "春季新品", "Black Friday", "Holiday", "Subscribe"]
CHANNELS = ["douyin", "wechat", "store", "email", "tmall", "xiaohongshu", "sms", "instagram"]


def make_assets(n: int, seed: int) -> list[Asset]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        en = rng.random() < 0.3
        v = {
            "p": rng.choice(PRODUCTS_EN if en else PRODUCTS_ZH),
            "t": rng.choice([99, 199, 200, 299, 300, 500]),
            "a": rng.choice([10, 15, 20, 30, 50]),
            "d": rng.choice([7, 8, 9, "八五", "七五"]),
            "pr": rng.randint(19, 199),
            "c": f"C{rng.randint(100, 999)}X",
            "m": rng.randint(1, 12),
            "d0": rng.randint(1, 9),
            "dd": rng.randint(10, 28),
        }
        if en:
            parts = [rng.choice(EN_OPEN), rng.choice(EN_MID), *rng.sample(EN_OFFER, rng.randint(0, 3))]
            text = ". ".join(parts).format(**v) + f". Ref {i}."
        else:
            parts = [rng.choice(ZH_OPEN), rng.choice(ZH_MID), *rng.sample(ZH_OFFER, rng.randint(0, 3))]
            text = "，".join(parts).format(**v) + f"。编号{i}"
        out.append(Asset(f"a{i:05d}", rng.choice(CHANNELS), rng.choice(CAMPAIGNS), "en" if en else "zh-CN", text))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--embeddings", default="auto", choices=["auto", "use", "e5", "lexical"])
    ap.add_argument("--brand", type=Path, default=Path("tests/voice/corpus/brands/coffee.toml"))
    args = ap.parse_args(argv)
    brand = load_brand(args.brand)
    assets = make_assets(args.n, args.seed)
    t0, c0 = time.perf_counter(), time.process_time()
    report = check_assets(assets, brand, embeddings=args.embeddings)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    n_issues = sum(len(a.issues) for a in report.assets)
    print(
        f"{len(assets)} assets checked in {took:.1f} s ({1000 * took / len(assets):.2f} ms/asset, embeddings "
        f"{report.embeddings}): {n_issues} issues, {len(report.conflicts)} conflicts, "
        f"{len(report.campaigns)} campaigns; target <= 60 s"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"CPU time {cpu:.1f} s (all threads; the embedder runs beside the rule checks), load average {load:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
