"""The person-level synthetic world: a company's source exports with the ground truth behind them.

:func:`simulate_world` builds on :func:`omnimix.simulate.media.simulate_media` (weekly spend, KPI and
the true contribution of every channel) and draws the people behind the numbers:

* persons with cookies on several devices, a site login (``user_id``), emails, phones, WeChat
  openid/unionid and store loyalty cards; family iPads shared by two persons and a team mailbox
  shared by many (they must never merge people);
* orders online (Shopify-style export) and in store (POS export) whose weekly revenue equals the media
  world's KPI scaled to the customer base (money is scaled by one factor, so every ROI is unchanged);
* touchpoints before each order: the channel that drove it (drawn with probability
  contribution / KPI of that week, or the baseline) plus noise touches, and non-converting touches in
  proportion to each week's spend — GA4-style web events, WeChat events and event check-ins;
* CRM (HubSpot-style) and POS member records with duplicates and typos;
* ad platform spend reports (Google Ads, Meta, Ocean Engine in GBK, Tencent Ads in XLSX, a canonical
  file for the other channels) and the lift test.

``truth/`` holds identities (id_type, raw id_value, person_id), orders, true conversion paths, the
scaled media truth and a summary. The same seed gives byte-identical files.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omnimix.simulate.media import MediaWorld, simulate_media

log = logging.getLogger("omnimix")

AOV = 250.0  # mean order value, CNY
ORDERS_PER_CUSTOMER_PER_YEAR = 1.5
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬飞鹏辉建波宁欣怡晨浩宇子涵梓轩雨欣思远嘉诚佳琪俊豪")
CITIES = ["上海", "北京", "广州", "深圳", "杭州", "成都", "南京", "武汉", "西安", "苏州", "重庆", "天津"]
MOBILE_PREFIXES = ["138", "139", "150", "151", "186", "187", "135", "136", "158", "188", "177", "199"]
DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com"]
TEAM_EMAIL = "team@acme-trading.com"

#: how each media channel reaches the web: (utm_source, utm_medium)
WEB_UTM: dict[str, tuple[str, str]] = {
    "search": ("google", "cpc"),
    "social": ("facebook", "paid_social"),
    "douyin": ("douyin", "cpc"),
    "wechat": ("wechat", "social"),
    "xiaohongshu": ("xiaohongshu", "social"),
    "kol": ("kol_partner", "kol"),
    "display": ("dsp", "display"),
    "events": ("expo", "event"),
    "direct": ("(direct)", "(none)"),
    "organic_search": ("baidu", "organic"),
}


@dataclass
class WorldSummary:
    """What :func:`simulate_world` wrote."""

    out: Path
    files: dict[str, int] = field(default_factory=dict)  # file name → data rows
    truth_files: list[str] = field(default_factory=list)
    persons: int = 0
    orders: int = 0
    touchpoints: int = 0
    scale: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {"out": str(self.out), "files": self.files, "truth": self.truth_files, "persons": self.persons,
                "orders": self.orders, "touchpoints": self.touchpoints, "money_scale": self.scale}


def scale_world(world: MediaWorld, s: float) -> MediaWorld:
    """Scale every money amount of a media world by ``s`` (ROIs and shapes unchanged)."""
    weekly = world.weekly.copy()
    money = [c for c in weekly.columns if c.startswith(("spend_", "contribution_", "impressions_"))]
    money += ["baseline", "kpi"]
    for c in money:
        weekly[c] = weekly[c] * s
    truth = json.loads(json.dumps(world.truth))
    for spec in truth["channels"].values():
        sat = spec["saturation"]
        sat["beta"] *= s
        if sat["type"] == "hill":
            sat["half_saturation"] *= s
        else:
            sat["lam"] /= s
        for k in ("spend_total", "contribution_total", "current_weekly_spend"):
            spec[k] *= s
    for k in ("baseline_total", "media_total", "kpi_total", "noise_sd"):
        if k in truth:
            truth[k] *= s
    for ctl in truth.get("controls", {}).values():
        for k in ("coef", "effect_total"):
            if k in ctl:
                ctl[k] *= s
    for ex in truth.get("experiments", []):
        for k in ("lift", "lift_sd", "spend", "true_lift"):
            if k in ex:
                ex[k] *= s
    truth["money_scale"] = s
    return MediaWorld(weekly=weekly, truth=truth)


def _maybe(mask: Any, values: Any) -> np.ndarray:
    """An object array holding ``values`` where ``mask`` is true and None elsewhere."""
    vals = np.asarray(values, dtype=object)
    m = np.asarray(mask, dtype=bool)
    out = np.full(m.shape, None, dtype=object)
    out[m] = vals[m] if vals.shape == m.shape else vals
    return out


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    pre = rng.choice(MOBILE_PREFIXES, n)
    # distinct 8-digit suffixes so two people never share a number by chance
    suffix = rng.choice(100_000_000, size=n, replace=False) if n < 5_000_000 else rng.integers(0, 10**8, n)
    return np.char.add(pre.astype(str), np.char.zfill(suffix.astype(str), 8))


def _typo_digit(rng: np.random.Generator, phone: str) -> str:
    i = int(rng.integers(3, len(phone)))
    d = str((int(phone[i]) + int(rng.integers(1, 9))) % 10)
    return phone[:i] + d + phone[i + 1:]


def simulate_world(out: str | Path, customers: int = 20_000, weeks: int = 104, seed: int = 0,
                   progress: Callable[[str], None] | None = None) -> WorldSummary:
    """Write a synthetic company's source exports and ground truth under ``out``.

    Args:
        out: output directory (created); ``out/truth/`` gets the ground truth.
        customers: number of persons.
        weeks: weeks of history (from 2024-01-01).
        seed: random seed; the same seed writes the same files.
        progress: optional callback receiving a short message per step.
    """
    say = progress or (lambda _m: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    raw_world = simulate_media(weeks=weeks, seed=seed)
    s = customers * ORDERS_PER_CUSTOMER_PER_YEAR * (weeks / 52) * AOV / float(raw_world.weekly["kpi"].sum())
    world = scale_world(raw_world, s)
    w = world.weekly
    chans = world.channels
    week0 = pd.Timestamp(w["week"].iloc[0])
    summary = WorldSummary(out=out, scale=s, persons=customers)

    say("persons")
    P = _persons(rng, customers)
    say("orders")
    orders = _orders(rng, P, w, chans, week0)
    summary.orders = len(orders)
    say("touchpoints")
    touches, paths = _touches(rng, P, orders, w, chans, week0)
    summary.touchpoints = len(touches)
    say("writing exports")
    files = summary.files
    files.update(_write_spend(rng, out, w, chans, week0))
    files.update(_write_touches(out, touches, P))
    files.update(_write_orders(rng, out, orders, P))
    files.update(_write_contacts(rng, out, P))
    exp = pd.DataFrame(world.truth.get("experiments", []))
    if len(exp):
        exp[["channel", "start", "end", "lift", "lift_sd", "spend"]].to_csv(out / "experiments.csv", index=False)
        files["experiments.csv"] = len(exp)
    from omnimix.simulate.geo import write_geo_panel  # a geo panel with a known effect (issue #16)

    files.update(write_geo_panel(out, seed=seed))
    say("writing truth")
    truth = out / "truth"
    world.write(out)
    _identities(P, touches, orders).to_csv(truth / "identities.csv", index=False)
    orders[["order_id", "person_id", "ts", "value", "online", "driver"]].rename(
        columns={"online": "channel"}).assign(
        channel=lambda d: np.where(d["channel"], "online", "store")).to_csv(truth / "orders.csv", index=False)
    paths.to_csv(truth / "paths.csv", index=False)
    summary.truth_files = sorted(p.name for p in truth.iterdir())
    doc = {k: v for k, v in summary.to_json().items() if k != "out"}  # no machine paths: same seed, same bytes
    (truth / "summary.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2),
                                        encoding="utf-8")
    if "summary.json" not in summary.truth_files:
        summary.truth_files.append("summary.json")
    return summary


def _persons(rng: np.random.Generator, n: int) -> pd.DataFrame:
    idx = np.arange(n)
    pid = np.char.add("P", np.char.zfill(idx.astype(str), 7))
    registered = rng.random(n) < 0.75
    has_email = np.where(registered, rng.random(n) < 0.85, rng.random(n) < 0.40)
    has_phone = rng.random(n) < 0.85
    loyalty = has_phone & (rng.random(n) < 0.45)
    wechat = (registered | has_phone) & (rng.random(n) < 0.5)
    n_cookies = np.where(registered, rng.integers(1, 5, n), 0)
    surname = rng.choice(SURNAMES, n)
    given = np.char.add(rng.choice(GIVEN, n), np.where(rng.random(n) < 0.7, rng.choice(GIVEN, n), ""))
    name = np.char.add(surname, given)
    birthday = pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 365 * 45, n), unit="D")
    email = np.char.add(np.char.add(np.char.add("u", rng.integers(10**6, 10**9, n).astype(str)),
                                    np.char.add(".", idx.astype(str))), np.char.add("@", rng.choice(DOMAINS, n)))
    P = pd.DataFrame({
        "person_id": pid,
        "registered": registered,
        "user_id": _maybe(registered, np.char.add("U", (idx * 7919 % 10**9 + 10**9).astype(str))),
        "email": _maybe(has_email, email),
        "phone": _maybe(has_phone, _phones(rng, n)),
        "loyalty_id": _maybe(loyalty, np.char.add("C", (idx + 3 * 10**8).astype(str))),
        "openid": _maybe(wechat, np.char.add("o_", np.char.zfill((idx * 104_729 % 10**9).astype(str), 9))),
        "unionid": _maybe(wechat, np.char.add("un_", np.char.zfill((idx * 15_485_863 % 10**10).astype(str), 10))),
        "n_cookies": n_cookies,
        "name": name,
        "city": rng.choice(CITIES, n),
        "birthday": birthday.date,
        # behaviour
        "rate": rng.gamma(0.9, 1.0, n),
        "spend_mean": rng.gamma(6.0, AOV / 6.0, n),
        "store_pref": np.where(loyalty, 0.7, 0.08),
    })
    # cookies: "<pid>-k" style ids, shuffled so they do not reveal the person
    cookie_owner = np.repeat(idx, n_cookies)
    cookies = np.char.add("GA1.", (rng.choice(10**9, size=len(cookie_owner), replace=False)
                                    if len(cookie_owner) < 10**8 else rng.integers(0, 10**12, len(cookie_owner)))
                          .astype(str))
    P.attrs["cookies"] = pd.DataFrame({"owner": cookie_owner, "cookie": cookies})
    # family iPads: 2% of registered persons share one cookie with another registered person
    reg_idx = idx[registered]
    k = max(1, int(0.02 * len(reg_idx))) if len(reg_idx) > 3 else 0
    pairs = rng.choice(reg_idx, size=(k, 2), replace=False) if k and 2 * k <= len(reg_idx) else np.empty((0, 2), int)
    shared = np.char.add("GA1.shared", np.arange(len(pairs)).astype(str))
    P.attrs["shared_cookies"] = pd.DataFrame({"a": pairs[:, 0] if len(pairs) else [],
                                              "b": pairs[:, 1] if len(pairs) else [], "cookie": shared})
    # a team mailbox used on the orders of many different people
    team = rng.choice(idx, size=min(n, max(2, n // 800)), replace=False)
    P.attrs["team"] = team
    return P


def _orders(rng: np.random.Generator, P: pd.DataFrame, w: pd.DataFrame, chans: list[str],
            week0: pd.Timestamp) -> pd.DataFrame:
    n, W = len(P), len(w)
    kpi = w["kpi"].to_numpy()
    acq = np.where(rng.random(n) < 0.35, 0, rng.integers(0, W, n))
    life = rng.geometric(0.012, n)
    death = np.minimum(acq + life, W)
    rate = P["rate"].to_numpy()
    # Σ_i rate_i · alive_i(w) by a difference array over weeks
    diff = np.zeros(W + 1)
    np.add.at(diff, acq, rate)
    np.add.at(diff, death, -rate)
    denom = np.maximum(np.cumsum(diff)[:W], 1e-9)
    target_orders = kpi / AOV
    f = target_orders / denom
    rows_p, rows_w = [], []
    for lo in range(0, n, 50_000):
        hi = min(n, lo + 50_000)
        weeks = np.arange(W)
        alive = (weeks[None, :] >= acq[lo:hi, None]) & (weeks[None, :] < death[lo:hi, None])
        lam = rate[lo:hi, None] * f[None, :] * alive
        counts = rng.poisson(lam)
        pi, wi = np.nonzero(counts)
        reps = counts[pi, wi]
        rows_p.append(np.repeat(pi + lo, reps))
        rows_w.append(np.repeat(wi, reps))
    pidx = np.concatenate(rows_p) if rows_p else np.empty(0, int)
    widx = np.concatenate(rows_w) if rows_w else np.empty(0, int)
    m = len(pidx)
    ts = week0 + pd.to_timedelta(widx * 7, unit="D") + pd.to_timedelta(
        rng.integers(8 * 3600, 23 * 3600, m) + 86400 * rng.integers(0, 7, m), unit="s")
    value = rng.gamma(4.0, P["spend_mean"].to_numpy()[pidx] / 4.0)
    # weekly revenue equals the scaled KPI exactly
    wk_sum = np.bincount(widx, weights=value, minlength=W)
    value = value * (kpi[widx] / np.maximum(wk_sum[widx], 1e-9))
    # who drove each order: a channel with probability contribution/KPI, else the baseline
    probs = np.stack([w[f"contribution_{c}"].to_numpy() for c in chans] + [w["baseline"].to_numpy()], axis=1)
    probs = np.clip(probs, 0, None)
    probs = probs / probs.sum(axis=1, keepdims=True)
    cum = np.cumsum(probs[widx], axis=1)
    driver_i = (rng.random(m)[:, None] > cum).sum(axis=1)
    names = np.array([*chans, "baseline"])
    driver = names[np.minimum(driver_i, len(chans))]
    store_pref = P["store_pref"].to_numpy()[pidx]
    online = rng.random(m) >= np.where(driver == "events", np.maximum(store_pref, 0.6), store_pref)
    # store orders need a card or phone; web orders are what they are
    order = np.argsort(ts.values, kind="stable")
    o = pd.DataFrame({"person": pidx[order], "week": widx[order], "ts": ts.values[order],
                      "value": np.round(value[order], 2), "driver": driver[order], "online": online[order]})
    o["person_id"] = P["person_id"].to_numpy()[o["person"]]
    o["order_id"] = np.where(o["online"], "#" + pd.Series(np.arange(len(o)) + 100_001).astype(str),
                             "R" + pd.Series(np.arange(len(o)) + 5_000_001).astype(str))
    return o


def _touches(rng: np.random.Generator, P: pd.DataFrame, orders: pd.DataFrame, w: pd.DataFrame,
             chans: list[str], week0: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    W = len(w)
    spend = np.stack([w[f"spend_{c}"].to_numpy() for c in chans], axis=1)
    share = spend / np.maximum(spend.sum(axis=1, keepdims=True), 1e-9)
    chan_arr = np.array(chans)
    m = len(orders)
    o_ts = orders["ts"].to_numpy()
    o_week = orders["week"].to_numpy()
    o_person = orders["person"].to_numpy()
    drv = orders["driver"].to_numpy()
    parts = []
    # driver touches: 1-2 in the days before the order
    media = drv != "baseline"
    n_drv = np.where(media, 1 + (rng.random(m) < 0.4), 0)
    oi = np.repeat(np.arange(m), n_drv)
    lag = np.minimum(rng.exponential(3.0 * 86400, len(oi)), 27 * 86400) + 600
    parts.append(pd.DataFrame({"order": oi, "channel": drv[oi], "ts": o_ts[oi] - pd.to_timedelta(lag, unit="s")}))
    # noise touches: other channels, in proportion to that week's spend
    n_noise = rng.poisson(0.6, m)
    oi = np.repeat(np.arange(m), n_noise)
    cum = np.cumsum(share[o_week[oi]], axis=1)
    ci = (rng.random(len(oi))[:, None] > cum).sum(axis=1)
    lag = rng.uniform(3600, 28 * 86400, len(oi))
    parts.append(pd.DataFrame({"order": oi, "channel": chan_arr[np.minimum(ci, len(chans) - 1)],
                               "ts": o_ts[oi] - pd.to_timedelta(lag, unit="s")}))
    # baseline orders: half come through direct or organic search visits
    base = np.nonzero((~media) & (rng.random(m) < 0.5))[0]
    parts.append(pd.DataFrame({"order": base, "channel": np.where(rng.random(len(base)) < 0.6, "direct",
                                                                 "organic_search"),
                               "ts": o_ts[base] - pd.to_timedelta(rng.uniform(60, 3600, len(base)), unit="s")}))
    conv = pd.concat(parts, ignore_index=True)
    conv["person"] = o_person[conv["order"].to_numpy()]
    # true conversion paths (ordered channels before each order)
    conv = conv.sort_values(["order", "ts"], kind="stable")
    path_s = conv.groupby("order")["channel"].agg(" > ".join)
    paths = pd.DataFrame({"order_id": orders["order_id"], "person_id": orders["person_id"],
                          "driver": orders["driver"], "path": path_s.reindex(np.arange(m)).fillna("").to_numpy()})
    # non-converting touches: each person, in weeks they exist, in proportion to spend
    n = len(P)
    intensity = spend.sum(axis=1) / spend.sum(axis=1).mean()
    per_person = rng.poisson(0.12 * W, n)
    pi = np.repeat(np.arange(n), per_person)
    wk = rng.choice(W, size=len(pi), p=intensity / intensity.sum())
    cum = np.cumsum(share[wk], axis=1)
    ci = (rng.random(len(pi))[:, None] > cum).sum(axis=1)
    bg = pd.DataFrame({"order": -1, "channel": chan_arr[np.minimum(ci, len(chans) - 1)],
                       "ts": week0 + pd.to_timedelta(wk * 7 * 86400 + rng.integers(0, 7 * 86400, len(pi)), unit="s"),
                       "person": pi})
    t = pd.concat([conv, bg], ignore_index=True)
    t = t[t["ts"] >= week0].sort_values("ts", kind="stable").reset_index(drop=True)
    t["ts"] = t["ts"].dt.floor("s")
    return t, paths


def _write_spend(rng: np.random.Generator, out: Path, w: pd.DataFrame, chans: list[str],
                 week0: pd.Timestamp) -> dict[str, int]:
    campaigns = {"search": ["品牌词", "通用词", "竞品词"], "social": ["Prospecting", "Retargeting"],
                 "douyin": ["信息流-种草", "直播间引流", "大促冲刺"], "wechat": ["朋友圈广告", "公众号推文"],
                 "xiaohongshu": ["笔记种草", "搜索广告"], "kol": ["头部达人", "腰部达人"],
                 "display": ["程序化展示"], "events": ["线下快闪", "行业展会"]}
    rows: dict[str, list[dict[str, Any]]] = {c: [] for c in chans}
    for wi, row in w.iterrows():
        for c in chans:
            total = float(row[f"spend_{c}"])
            imps = float(row[f"impressions_{c}"])
            if total <= 0:
                continue
            day_w = rng.dirichlet(np.full(7, 8.0))
            camp = campaigns.get(c, [c])
            camp_w = rng.dirichlet(np.full(len(camp), 5.0))
            for d in range(7):
                day = (week0 + pd.Timedelta(days=7 * int(wi) + d)).date()
                for k, name in enumerate(camp):
                    sp = round(total * day_w[d] * camp_w[k], 2)
                    im = int(imps * day_w[d] * camp_w[k])
                    rows[c].append({"date": day, "campaign": name, "spend": sp, "impressions": im,
                                    "clicks": int(im * rng.uniform(0.005, 0.02))})
    files: dict[str, int] = {}
    g = pd.DataFrame(rows["search"])
    if len(g):
        g = g.rename(columns={"date": "Day", "campaign": "Campaign", "spend": "Cost", "impressions": "Impressions",
                              "clicks": "Clicks"})
        g["Currency code"] = "CNY"
        g["Day"] = g["Day"].astype(str)
        # a few export glitches that must be quarantined, not loaded
        bad = rng.choice(len(g), size=min(3, len(g)), replace=False)
        g.loc[bad[:1], "Cost"] = -abs(g.loc[bad[:1], "Cost"])
        g = g.astype({"Cost": object})
        if len(bad) > 1:
            g.loc[bad[1:2], "Cost"] = "--"
        g.to_csv(out / "google_ads_campaigns.csv", index=False)
        files["google_ads_campaigns.csv"] = len(g)
    m = pd.DataFrame(rows["social"])
    if len(m):
        m = m.rename(columns={"date": "Reporting starts", "campaign": "Campaign name", "spend": "Amount spent (CNY)",
                              "impressions": "Impressions", "clicks": "Link clicks"})
        m["Reporting starts"] = m["Reporting starts"].astype(str)
        m.to_csv(out / "meta_ads.csv", index=False, encoding="utf-8-sig")
        files["meta_ads.csv"] = len(m)
    o = pd.DataFrame(rows["douyin"])
    if len(o):
        o = o.rename(columns={"date": "日期", "campaign": "广告计划", "spend": "消耗", "impressions": "展示数",
                              "clicks": "点击数"})
        o["日期"] = pd.to_datetime(o["日期"]).dt.strftime("%Y/%m/%d")
        o.to_csv(out / "ocean_engine_report.csv", index=False, encoding="gbk")
        files["ocean_engine_report.csv"] = len(o)
    t = pd.DataFrame(rows["wechat"])
    if len(t):
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "推广计划报表"
        ws.append(["日期", "推广计划", "花费", "曝光量", "点击量"])
        for r in t.itertuples(index=False):
            ws.append([r.date.isoformat(), r.campaign, r.spend, r.impressions, r.clicks])
        wb.save(out / "tencent_ads_report.xlsx")
        files["tencent_ads_report.xlsx"] = len(t)
    other = [pd.DataFrame(rows[c]).assign(channel=c) for c in chans
             if c not in ("search", "social", "douyin", "wechat") and rows[c]]
    if other:
        x = pd.concat(other, ignore_index=True)
        x["currency"] = "CNY"
        x["source"] = "media_agency"
        x[["date", "channel", "campaign", "spend", "impressions", "clicks", "currency", "source"]].to_csv(
            out / "other_media_spend.csv", index=False)
        files["other_media_spend.csv"] = len(x)
    return files


def _write_touches(out: Path, t: pd.DataFrame, P: pd.DataFrame) -> dict[str, int]:
    import duckdb

    rng = np.random.default_rng(len(t) + 17)
    n = len(t)
    person = t["person"].to_numpy()
    chan = t["channel"].to_numpy()
    registered = P["registered"].to_numpy()[person]
    has_wechat = P["openid"].notna().to_numpy()[person]
    has_phone = P["phone"].notna().to_numpy()[person]
    to_wechat = (chan == "wechat") & has_wechat & (rng.random(n) < 0.7)
    to_events = (chan == "events") & has_phone & ~registered
    to_events |= (chan == "events") & has_phone & (rng.random(n) < 0.5)
    to_web = registered & ~to_wechat & ~to_events
    # persons without a site login and no other route: the contact is not observable (no file has it)
    cookies = P.attrs["cookies"]
    starts = np.zeros(len(P) + 1, dtype=np.int64)
    np.add.at(starts, cookies["owner"].to_numpy() + 1, 1)
    starts = np.cumsum(starts)
    ncook = P["n_cookies"].to_numpy()
    web = np.nonzero(to_web)[0]
    wp = person[web]
    pick = starts[wp] + (rng.random(len(web)) * ncook[wp]).astype(np.int64)
    cookie = cookies["cookie"].to_numpy()[pick].astype(object)
    shared = P.attrs["shared_cookies"]
    if len(shared):
        owners = np.concatenate([shared["a"].to_numpy(), shared["b"].to_numpy()])
        sc = np.concatenate([shared["cookie"].to_numpy(), shared["cookie"].to_numpy()])
        lut = dict(zip(owners.tolist(), sc.tolist(), strict=True))
        use_shared = rng.random(len(web)) < 0.25
        for i in np.nonzero(use_shared)[0]:
            c = lut.get(int(wp[i]))
            if c is not None:
                cookie[i] = c
    logged_in = rng.random(len(web)) < 0.35
    is_shared = pd.Series(cookie).str.startswith("GA1.shared").to_numpy()
    # every cookie logs in on its first event; on a family iPad each of the two people logs in once
    # (so the cookie links to two user ids: merge protection must keep the people apart)
    first_seen = ~pd.DataFrame({"c": cookie, "p": np.where(is_shared, wp, -1)}).duplicated().to_numpy()
    logged_in = np.where(is_shared, first_seen, logged_in | first_seen)
    user = _maybe(logged_in, P["user_id"].to_numpy()[wp])
    ts = pd.to_datetime(t["ts"].to_numpy()[web])
    utm = np.array([WEB_UTM[c] for c in chan[web]], dtype=object)
    event = np.where(first_seen, "login", np.where(rng.random(len(web)) < 0.8, "session_start", "page_view"))
    # GA4 stores UTC microseconds; the workspace clock is Asia/Shanghai (UTC+8)
    epoch_us = ((ts - pd.Timestamp("1970-01-01")) // pd.Timedelta(microseconds=1)).to_numpy() - 8 * 3_600_000_000
    camp = np.array([f"{c}_always_on" for c in chan[web]], dtype=object)
    ga = pd.DataFrame({"event_date": ts.strftime("%Y%m%d"), "event_timestamp": epoch_us.astype(str),
                       "event_name": event, "user_pseudo_id": cookie, "user_id": user,
                       "src": utm[:, 0] if len(utm) else [], "med": utm[:, 1] if len(utm) else [], "camp": camp})
    con = duckdb.connect()
    con.register("ga", ga)
    con.execute(f"""COPY (SELECT event_date, event_timestamp, event_name, user_pseudo_id, user_id,
                       {{'source': src, 'medium': med, 'name': camp}} AS traffic_source
                     FROM ga) TO '{out / "ga4_events.jsonl"}' (FORMAT JSON)""")
    con.close()
    files = {"ga4_events.jsonl": len(ga)}
    wi = np.nonzero(to_wechat)[0]
    wpp = person[wi]
    first = ~pd.Series(wpp).duplicated().to_numpy()
    wx = pd.DataFrame({
        "event_id": np.char.add("wx", np.arange(len(wi)).astype(str)),
        "ts": pd.to_datetime(t["ts"].to_numpy()[wi]).strftime("%Y-%m-%d %H:%M:%S"),
        "event_type": np.where(first, "member_bind", np.where(rng.random(len(wi)) < 0.6, "article_read",
                                                              "mini_program_visit")),
        "openid": P["openid"].to_numpy()[wpp], "unionid": P["unionid"].to_numpy()[wpp],
        # binding the WeChat account to the membership reveals the user id or phone once
        "user_id": _maybe(first, P["user_id"].to_numpy()[wpp]),
        "phone": _maybe(first & P["user_id"].isna().to_numpy()[wpp], P["phone"].to_numpy()[wpp]),
        "channel": "wechat", "campaign": "公众号", "source": "wechat_oa"})
    wx.to_csv(out / "wechat_touchpoints.csv", index=False)
    files["wechat_touchpoints.csv"] = len(wx)
    ei = np.nonzero(to_events)[0]
    ev = pd.DataFrame({
        "event_id": np.char.add("ev", np.arange(len(ei)).astype(str)),
        "ts": pd.to_datetime(t["ts"].to_numpy()[ei]).strftime("%Y-%m-%d %H:%M:%S"),
        "event_type": "checkin", "phone": P["phone"].to_numpy()[person[ei]],
        "channel": "events", "campaign": "线下快闪", "source": "event_checkin"})
    ev.to_csv(out / "event_checkins.csv", index=False)
    files["event_checkins.csv"] = len(ev)
    return files


def _write_orders(rng: np.random.Generator, out: Path, o: pd.DataFrame, P: pd.DataFrame) -> dict[str, int]:
    pi = o["person"].to_numpy()
    online = o["online"].to_numpy()
    team = np.zeros(len(P), bool)
    team[P.attrs["team"]] = True
    web = np.nonzero(online)[0]
    wp = pi[web]
    email = P["email"].to_numpy()[wp].astype(object)
    use_team = team[wp] & (rng.random(len(web)) < 0.8)
    email = np.where(use_team, TEAM_EMAIL, email)
    # some shoppers type their email in upper case or with spaces
    messy = rng.random(len(web)) < 0.05
    email = np.array([f"  {e.upper()} " if m and isinstance(e, str) else e for e, m in zip(email, messy,
                                                                                            strict=True)], object)
    phone = P["phone"].to_numpy()[wp].astype(object)
    phone = np.array([f"+86 {p[:3]} {p[3:7]} {p[7:]}" if isinstance(p, str) and r < 0.3 else p
                      for p, r in zip(phone, rng.random(len(web)), strict=True)], object)
    ts = pd.to_datetime(o["ts"].to_numpy()[web])
    shop = pd.DataFrame({"Name": o["order_id"].to_numpy()[web],
                         "Created at": ts.strftime("%Y-%m-%d %H:%M:%S +0800"),
                         "Total": o["value"].to_numpy()[web], "Currency": "CNY", "Email": email,
                         "Phone": _maybe(rng.random(len(web)) < 0.6, phone),
                         "Customer ID": P["user_id"].to_numpy()[wp]})
    shop.to_csv(out / "shopify_orders.csv", index=False)
    st = np.nonzero(~online)[0]
    sp = pi[st]
    card = P["loyalty_id"].to_numpy()[sp]
    ph = P["phone"].to_numpy()[sp]
    show_phone = (rng.random(len(st)) < 0.5) | pd.isna(card)
    ts = pd.to_datetime(o["ts"].to_numpy()[st])
    pos = pd.DataFrame({"小票号": o["order_id"].to_numpy()[st], "交易时间": ts.strftime("%Y/%m/%d %H:%M:%S"),
                        "实付金额": o["value"].to_numpy()[st], "会员卡号": card,
                        "手机号": _maybe(show_phone, ph),
                        "门店编号": np.char.add("S", rng.integers(1, 40, len(st)).astype(str))})
    bad = rng.choice(len(pos), size=min(2, len(pos)), replace=False)
    pos = pos.astype({"交易时间": object})
    pos.loc[bad, "交易时间"] = "2024/02/30 25:61:00"
    pos.to_csv(out / "pos_transactions.csv", index=False)
    return {"shopify_orders.csv": len(shop), "pos_transactions.csv": len(pos)}


def _write_contacts(rng: np.random.Generator, out: Path, P: pd.DataFrame) -> dict[str, int]:
    # every site member and every newsletter subscriber has a CRM record
    crm = P[P["email"].notna() | P["registered"]].reset_index(drop=True)
    n = len(crm)
    created = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700 * 86400, n), unit="s")
    hub = pd.DataFrame({
        "Record ID": (np.arange(n) * 37 + 1001).astype(str),
        "First Name": [s[1:] for s in crm["name"]], "Last Name": [s[:1] for s in crm["name"]],
        "Email": crm["email"], "Phone Number": crm["phone"], "City": crm["city"],
        "Create Date": created.strftime("%Y-%m-%d %H:%M"),
        "Lifecycle Stage": rng.choice(["subscriber", "lead", "customer"], n, p=[0.2, 0.3, 0.5]),
        "Date of birth": pd.to_datetime(crm["birthday"]).dt.strftime("%Y-%m-%d"),
        "User ID": crm["user_id"]})
    # duplicates: a second record with another email and a mistyped or missing phone
    dup = rng.choice(n, size=int(0.06 * n), replace=False) if n else np.empty(0, int)
    d = hub.iloc[dup].copy()
    dup_crm_person = crm["person_id"].to_numpy()[dup]
    d["Record ID"] = (np.arange(len(d)) * 37 + 9_000_001).astype(str)
    d["Email"] = [f"{e.split('@')[0]}.work@corp-mail.cn" if isinstance(e, str) else None for e in d["Email"]]
    d["Phone Number"] = [(_typo_digit(rng, p) if r < 0.6 else None) if isinstance(p, str) else None
                         for p, r in zip(d["Phone Number"], rng.random(len(d)), strict=True)]
    d["User ID"] = None
    d["First Name"] = [f" {x}" for x in d["First Name"]]  # stray space the normaliser must remove
    d["Lifecycle Stage"] = "lead"
    hub = pd.concat([hub, d], ignore_index=True)
    hub.to_csv(out / "hubspot_contacts.csv", index=False)
    mem = P[P["loyalty_id"].notna()].reset_index(drop=True)
    k = len(mem)
    members = pd.DataFrame({
        "会员编号": np.char.add("M", (np.arange(k) + 100_000).astype(str)), "会员卡号": mem["loyalty_id"],
        "姓名": mem["name"], "手机号": mem["phone"], "城市": mem["city"],
        "生日": pd.to_datetime(mem["birthday"]).dt.strftime("%Y年%m月%d日"),
        "注册时间": (pd.Timestamp("2022-06-01") + pd.to_timedelta(rng.integers(0, 900, k), unit="D"))
        .strftime("%Y/%m/%d"),
        "短信许可": rng.choice(["是", "否"], k, p=[0.6, 0.4])})
    dup = rng.choice(k, size=int(0.05 * k), replace=False) if k else np.empty(0, int)
    dm = members.iloc[dup].copy()
    dm["会员编号"] = np.char.add("M", (np.arange(len(dm)) + 900_000).astype(str))
    dm["会员卡号"] = np.char.add("C", (np.arange(len(dm)) + 9 * 10**8).astype(str))
    dm["手机号"] = [_typo_digit(rng, p) for p in dm["手机号"]]
    members = pd.concat([members, dm], ignore_index=True)
    members.to_csv(out / "pos_members.csv", index=False)
    # the duplicate cards are the person's too
    P.attrs["dup_cards"] = pd.DataFrame({"person": mem["person_id"].to_numpy()[dup], "card": dm["会员卡号"].to_numpy(),
                                         "phone": dm["手机号"].to_numpy()})
    P.attrs["dup_crm"] = pd.DataFrame({"person": dup_crm_person, "email": d["Email"].to_numpy(), "phone": d["Phone Number"].to_numpy()})
    return {"hubspot_contacts.csv": len(hub), "pos_members.csv": len(members)}


def _identities(P: pd.DataFrame, touches: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Every identifier that appears in a file, raw, with its true person (shared ids list each person)."""
    frames = []
    for col in ("user_id", "email", "phone", "loyalty_id", "openid", "unionid"):
        x = P.loc[P[col].notna(), ["person_id", col]].rename(columns={col: "id_value"})
        frames.append(x.assign(id_type=col))
    c = P.attrs["cookies"]
    frames.append(pd.DataFrame({"id_type": "anonymous_id", "id_value": c["cookie"],
                                "person_id": P["person_id"].to_numpy()[c["owner"].to_numpy()]}))
    s = P.attrs["shared_cookies"]
    for side in ("a", "b"):
        frames.append(pd.DataFrame({"id_type": "anonymous_id", "id_value": s["cookie"],
                                    "person_id": P["person_id"].to_numpy()[s[side].to_numpy().astype(int)]}))
    team = P.attrs["team"]
    frames.append(pd.DataFrame({"id_type": "email", "id_value": TEAM_EMAIL,
                                "person_id": P["person_id"].to_numpy()[team]}))
    dc = P.attrs.get("dup_cards")
    if dc is not None and len(dc):
        frames.append(pd.DataFrame({"id_type": "loyalty_id", "id_value": dc["card"], "person_id": dc["person"]}))
        frames.append(pd.DataFrame({"id_type": "phone", "id_value": dc["phone"], "person_id": dc["person"]}))
    dcrm = P.attrs.get("dup_crm")
    if dcrm is not None and len(dcrm):
        em = dcrm[dcrm["email"].notna()]
        frames.append(pd.DataFrame({"id_type": "email", "id_value": em["email"], "person_id": em["person"]}))
        ph = dcrm[dcrm["phone"].notna()]
        frames.append(pd.DataFrame({"id_type": "phone", "id_value": ph["phone"], "person_id": ph["person"]}))
    ids = pd.concat(frames, ignore_index=True)[["id_type", "id_value", "person_id"]]
    return ids.drop_duplicates().sort_values(["id_type", "id_value", "person_id"], kind="stable")
