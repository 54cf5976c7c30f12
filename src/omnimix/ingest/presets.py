"""Platform presets: how an export of one platform maps onto a canonical table.

A preset names the canonical table, the accepted header names for each canonical column (exports
change their headers across versions and languages; every comparison goes through
:func:`omnimix.ingest.headers.normalize`, so case, spaces, full-width brackets and a bracketed unit
such as ``（元）`` or ``(USD)`` do not matter), fallbacks (the first non-empty of several columns, per
row), constants the file does not carry (the channel of an ad platform, ``online`` for an e-commerce
export), value maps (HubSpot's lifecycle stages), date formats, and how to derive a missing
``event_id``. ``detect_preset`` picks the preset that explains most of a header; canonical files (the
columns of docs/data-model.md) are detected as ``table:<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from omnimix.errors import InputDataError
from omnimix.ingest.headers import HeaderIndex, normalize, split_unit, unit_currency
from omnimix.schema import LOADABLE, TABLES

DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d", "%d.%m.%Y", "%b %d, %Y", "%B %d, %Y",
    "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S",
)
TS_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
    "%Y-%m-%d %I:%M %p", "%Y-%m-%d %I:%M:%S %p", "%Y/%m/%d %I:%M %p", "%Y/%m/%d %I:%M:%S %p",
    "%b %d, %Y %I:%M %p", "%b %d, %Y %I:%M:%S %p", "%Y%m%d%H%M", "%Y%m%d%H",
    "%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日",
)


class Coalesce(tuple[str, ...]):
    """Header names of which the first non-empty one, row by row, gives the column (``Phone``, then
    ``Billing Phone``)."""

    __slots__ = ()


class Labelled(tuple[str, ...]):
    """(name header, id header): the value is ``name [id]`` (either alone when the other is empty), so
    two ads with the same name but different ids stay two rows."""

    __slots__ = ()


Mapping = dict[str, str | tuple[str, ...]]


@dataclass(frozen=True)
class Preset:
    """How one platform's export maps to a canonical table.

    Attributes:
        name: preset name used on the command line.
        table: canonical table written.
        title: human name of the platform export.
        columns: canonical column → accepted header names (first present wins; a header serves one
            column, earlier columns first).
        concat: canonical column → header names joined with a space (e.g. last + first name).
        fallback: canonical column → header names whose first non-empty value per row is used.
        ids: canonical column → id header names; with a name column the value is ``name [id]``, without
            one the id (ad and ad group ids: names repeat, ids do not).
        constants: canonical column → value for every row.
        values: canonical column → {value in the file (case-insensitive) → canonical value}.
        epoch_units: canonical timestamp column → unit of epoch numbers ("s", "ms", "us").
        event_id_from: canonical columns hashed into ``event_id`` when the export has none.
        date_formats / ts_formats: strptime formats tried in order.
        line_items: rows without the order's time and value that repeat an order's id are its line
            items (Shopify): they belong to the order row and are skipped, not quarantined.
        null_tokens: extra cell texts meaning "no value" (GA4's ``(not set)``).
    """

    name: str
    table: str
    title: str
    columns: dict[str, tuple[str, ...]]
    concat: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fallback: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    epoch_units: dict[str, str] = field(default_factory=dict)
    event_id_from: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = DATE_FORMATS
    ts_formats: tuple[str, ...] = TS_FORMATS
    line_items: bool = False
    null_tokens: tuple[str, ...] = ()

    def required_canonical(self) -> list[str]:
        """Canonical columns that must come from the file (required, not constant, not derived)."""
        table = TABLES[self.table]
        out = []
        for col in table.columns:
            if not col.required or col.name in self.constants:
                continue
            if col.name == "event_id" and self.event_id_from:
                continue
            if col.name == "channel" and self.table == "touchpoints":
                continue  # derived from utm_source / utm_medium by the taxonomy when absent
            out.append(col.name)
        return out

    def aliases(self, canon: str) -> tuple[str, ...]:
        """Every header name accepted for ``canon``."""
        return (*self.columns.get(canon, ()), *self.fallback.get(canon, ()), *self.concat.get(canon, ()),
                *self.ids.get(canon, ()))

    def match(self, header: list[str], forced: dict[str, str] | None = None) -> tuple[Mapping, list[str]]:
        """Map canonical columns to header names present in a file.

        Args:
            header: the file's header.
            forced: canonical column → header name given by a mapping ([[sources]] or ``--map``);
                these win over the aliases.

        Returns:
            (canonical column → header name, tuple of names for concatenated columns or a
            :class:`Coalesce` for fallbacks; the required columns that are missing).
        """
        idx = HeaderIndex(header)
        mapping: Mapping = dict(forced or {})
        taken: set[str] = {h for h in mapping.values() if isinstance(h, str)}
        for canon, names in self.fallback.items():
            if canon in mapping:
                continue
            hits = []
            for n in names:
                hit = idx.find(n, taken)
                if hit is not None and hit not in hits:
                    hits.append(hit)
            if hits:
                mapping[canon] = hits[0] if len(hits) == 1 else Coalesce(hits)
                taken.update(hits)
        for canon, names in self.columns.items():
            if canon in mapping:
                continue
            for n in names:
                hit = idx.find(n, taken)
                if hit is not None:
                    mapping[canon] = hit
                    taken.add(hit)
                    break
        for canon, names in self.concat.items():
            if canon in mapping:
                continue
            found = tuple(h for h in (idx.find(n, taken) for n in names) if h is not None)
            if found:
                mapping[canon] = found
                taken.update(found)
        for canon, names in self.ids.items():
            if forced and canon in forced:
                continue
            idh = next((h for h in (idx.find(n, taken) for n in names) if h is not None), None)
            if idh is None:
                continue
            name = mapping.get(canon)
            mapping[canon] = Labelled((name, idh)) if isinstance(name, str) else idh
            taken.add(idh)
        missing = [c for c in self.required_canonical() if c not in mapping]
        if self.table == "touchpoints" and "channel" not in mapping and "utm_source" not in mapping:
            missing.append("channel (or utm_source for the channel taxonomy)")
        return mapping, missing

    def missing_problems(self, missing: list[str]) -> list[str]:
        """One line per missing required column with the header names this preset accepts for it."""
        out = []
        for c in missing:
            names = self.aliases(c.split(" ")[0]) or (c,)
            out.append(f"missing required column {c!r}: expected a header named "
                       + " or ".join(repr(n) for n in names[:6]))
        return out

    def resolve(self, header: list[str], file: str, forced: dict[str, str] | None = None) -> Mapping:
        """Like :meth:`match`, but a missing required column is an error.

        Raises:
            InputDataError: a required column is missing (names it and the accepted spellings).
        """
        mapping, missing = self.match(header, forced)
        if missing:
            raise InputDataError(
                file,
                f"does not match preset {self.name!r} ({self.title}). Header found: {header}. "
                "Fix: rename the column(s), map them with `--map 'HEADER=column'` or under [[sources]] "
                "in omnimix.toml (columns = {'HEADER' = 'column'}), give a constant with "
                "`--set column=VALUE`, or choose another --preset / --table (`omnimix presets`).",
                self.missing_problems(missing),
            )
        return mapping

    def unit_constants(self, header: list[str], mapping: Mapping) -> dict[str, str]:
        """Constants a header's unit implies: ``Amount spent (USD)`` → currency USD when no column says it."""
        if "currency" in mapping or "currency" in self.constants:
            return {}
        for canon in ("spend", "value", "cost"):
            src = mapping.get(canon)
            if isinstance(src, str):
                cur = unit_currency(src)
                if cur is not None and "currency" in TABLES[self.table].column_names:
                    return {"currency": cur}
        return {}


#: Header names of the geo a row belongs to (``spend.geo``, ``conversions.geo``), the coarse units first:
#: a report with both a region and a city column reads the region (geo tests assign DMAs, provinces
#: or cities; the first present wins, ``--map 'City=geo'`` picks another).
GEO_ALIASES: tuple[str, ...] = (
    "geo", "geo_id", "dma", "DMA region", "Metro area", "region", "province", "city",
    "大区", "区域", "地区", "省份", "地域", "城市", "门店城市", "所在城市",
)


def _canonical(table: str) -> Preset:
    t = TABLES[table]
    columns: dict[str, tuple[str, ...]] = {c.name: (c.name,) for c in t.columns if c.name != "load_id"}
    if "geo" in columns:
        columns["geo"] = GEO_ALIASES
    return Preset(
        name=f"table:{table}",
        table=table,
        title=f"canonical {table} file (docs/data-model.md)",
        columns=columns,
    )


#: HubSpot's lifecycle stages (labels and internal names) → omnimix's lifecycle vocabulary.
HUBSPOT_LIFECYCLE: dict[str, str] = {
    "subscriber": "subscriber", "lead": "lead", "marketing qualified lead": "marketing_qualified_lead",
    "marketingqualifiedlead": "marketing_qualified_lead", "mql": "marketing_qualified_lead",
    "sales qualified lead": "sales_qualified_lead", "salesqualifiedlead": "sales_qualified_lead",
    "sql": "sales_qualified_lead", "opportunity": "opportunity", "customer": "customer",
    "evangelist": "evangelist", "other": "other",
}

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "google_ads", "spend", "Google Ads campaign / ad group / ad / keyword report",
            columns={"date": ("Day", "Date", "Week", "日期", "天"),
                     "campaign": ("Campaign", "Campaign name", "广告系列"),
                     "ad_group": ("Ad group", "Ad group name", "广告组"),
                     "ad": ("Ad", "Ad name", "Search keyword", "Keyword", "关键字"),
                     "spend": ("Cost", "Spend", "费用"), "impressions": ("Impr.", "Impressions", "展示次数"),
                     "clicks": ("Clicks", "点击次数"), "currency": ("Currency code", "Currency", "货币代码"),
                     "geo": ("Metro area", "DMA", "Region", "Region (User location)", "City",
                             "City (User location)", "地区", "城市")},
            ids={"ad_group": ("Ad group ID",), "ad": ("Ad ID", "Keyword ID")},
            constants={"channel": "search", "source": "google_ads"},
        ),
        Preset(
            "meta_ads", "spend", "Meta Ads Manager export (campaign / ad set / ad)",
            columns={"date": ("Day", "Reporting starts", "Date", "Reporting start"),
                     "campaign": ("Campaign name", "Campaign"),
                     "ad_group": ("Ad set name", "Ad set", "Adset name"),
                     "ad": ("Ad name", "Ad"),
                     "spend": ("Amount spent", "Spend", "Amount spent (CNY)"),
                     "impressions": ("Impressions",), "clicks": ("Link clicks", "Clicks (all)", "Clicks"),
                     "currency": ("Currency",), "geo": ("DMA region", "Region", "City")},
            ids={"ad_group": ("Ad set ID",), "ad": ("Ad ID",)},
            constants={"channel": "social", "source": "meta_ads"},
        ),
        Preset(
            "ocean_engine", "spend", "巨量引擎 (Ocean Engine) 项目/广告 or 广告组/广告计划 report",
            columns={"date": ("日期", "时间", "数据日期", "统计日期", "stat_datetime"),
                     "campaign": ("项目名称", "项目", "广告组名称", "广告组", "广告计划名称", "广告计划", "计划名称",
                                  "计划", "项目ID", "广告组ID"),
                     "ad_group": ("广告计划名称", "广告计划", "计划名称"),
                     "ad": ("广告名称", "广告", "创意名称", "创意"),
                     "spend": ("消耗", "总消耗", "消耗金额", "stat_cost"),
                     "impressions": ("展示数", "展示次数", "展现数", "show_cnt"),
                     "clicks": ("点击数", "点击次数", "click_cnt"),
                     "geo": ("省份", "地域", "地区", "城市", "province_name", "city_name")},
            ids={"ad_group": ("广告计划ID", "计划ID"), "ad": ("广告ID", "创意ID")},
            constants={"channel": "douyin", "source": "ocean_engine", "currency": "CNY"},
        ),
        Preset(
            "tencent_ads", "spend", "腾讯广告 (Tencent Ads) 推广计划/广告 report",
            columns={"date": ("日期", "时间", "数据日期"),
                     "campaign": ("推广计划名称", "推广计划", "计划名称", "推广计划ID"),
                     "ad_group": ("广告组名称", "广告组"),
                     "ad": ("广告名称", "广告", "广告创意名称", "创意名称"),
                     "spend": ("花费", "消耗", "总花费"), "impressions": ("曝光量", "曝光次数", "曝光数"),
                     "clicks": ("点击量", "点击次数", "点击数"), "geo": ("地域", "省份", "地区", "城市")},
            ids={"ad_group": ("广告组ID",), "ad": ("广告ID", "创意ID")},
            constants={"channel": "wechat", "source": "tencent_ads", "currency": "CNY"},
        ),
        Preset(
            "ga4_events", "touchpoints", "GA4 BigQuery export (events, JSON lines)",
            columns={"ts": ("event_timestamp",), "event_type": ("event_name",),
                     "anonymous_id": ("user_pseudo_id",), "user_id": ("user_id",),
                     "utm_source": ("collected_traffic_source.manual_source",
                                    "session_traffic_source_last_click.manual_campaign.source",
                                    "traffic_source.source"),
                     "utm_medium": ("collected_traffic_source.manual_medium",
                                    "session_traffic_source_last_click.manual_campaign.medium",
                                    "traffic_source.medium"),
                     "campaign": ("collected_traffic_source.manual_campaign_name",
                                  "session_traffic_source_last_click.manual_campaign.campaign_name",
                                  "traffic_source.name"),
                     "device_id": ("device.advertising_id",), "event_id": ("event_id",)},
            constants={"source": "ga4"},
            epoch_units={"ts": "us"},
            event_id_from=("anonymous_id", "user_id", "ts", "event_type", "utm_source", "utm_medium",
                           "campaign"),
        ),
        Preset(
            "ga4_transactions", "conversions", "GA4 UI / Exploration CSV download (one row per transaction)",
            columns={"conversion_id": ("Transaction ID", "Transaction id", "transaction_id", "交易 ID"),
                     "ts": ("Date", "Date + hour (YYYYMMDDHH)", "Date hour and minute", "日期"),
                     "value": ("Purchase revenue", "Total revenue", "Revenue", "购买收入", "总收入"),
                     "user_id": ("Effective user ID", "User ID"),
                     "geo": ("Region", "City", "地区", "城市")},
            constants={"type": "purchase", "online": "true", "source": "ga4"},
            null_tokens=("(not set)",),
        ),
        Preset(
            "shopify_orders", "conversions", "Shopify orders export (one row per line item)",
            columns={"conversion_id": ("Name", "Order ID", "Order"), "ts": ("Created at", "Paid at"),
                     "value": ("Total",), "currency": ("Currency",), "email": ("Email",),
                     "user_id": ("Customer ID",), "store_id": ("Location",)},
            fallback={"phone": ("Phone", "Billing Phone", "Shipping Phone"),
                      "geo": ("Shipping City", "Billing City")},
            constants={"type": "purchase", "online": "true", "source": "shopify"},
            line_items=True,
        ),
        Preset(
            "hubspot_contacts", "contacts", "HubSpot contacts export",
            columns={"record_id": ("Record ID", "Contact ID", "Record ID - Contact"), "email": ("Email",),
                     "city": ("City",), "created_at": ("Create Date", "Create date", "Created at"),
                     "lifecycle_stage": ("Lifecycle Stage",),
                     "birthday": ("Date of birth", "Birthday"), "user_id": ("User ID",),
                     "consent_email": ("Marketing contact status", "Email consent"),
                     "became_subscriber_at": ("Became a Subscriber Date",),
                     "became_lead_at": ("Became a Lead Date",),
                     "became_mql_at": ("Became a Marketing Qualified Lead Date",),
                     "became_sql_at": ("Became a Sales Qualified Lead Date",),
                     "became_opportunity_at": ("Became an Opportunity Date",),
                     "became_customer_at": ("Became a Customer Date",),
                     "became_evangelist_at": ("Became an Evangelist Date",),
                     "owner": ("Contact owner", "HubSpot Owner"), "lead_score": ("HubSpot Score", "Lead score"),
                     "lead_source": ("Original Source", "Original source")},
            fallback={"phone": ("Phone Number", "Mobile Phone Number")},
            concat={"name": ("Last Name", "First Name")},
            constants={"source": "hubspot"},
            values={"lifecycle_stage": HUBSPOT_LIFECYCLE},
        ),
        Preset(
            "pos_transactions", "conversions", "门店 POS 交易导出 (receipts with phone / loyalty card)",
            columns={"conversion_id": ("小票号", "交易单号", "流水号", "订单号", "单号", "receipt_no"),
                     "ts": ("交易时间", "销售时间", "下单时间", "txn_time"),
                     "value": ("实付金额", "实收金额", "实付", "金额", "amount"),
                     "loyalty_id": ("会员卡号", "会员号", "card_no"),
                     "store_id": ("门店编号", "门店代码", "门店", "store_id"),
                     "geo": ("大区", "区域", "地区", "省份", "门店城市", "城市", "region", "city")},
            fallback={"phone": ("手机号", "会员手机号", "手机", "联系电话", "mobile")},
            constants={"type": "purchase", "online": "false", "source": "pos", "currency": "CNY"},
        ),
        Preset(
            "pos_members", "contacts", "门店 POS 会员导出",
            columns={"record_id": ("会员编号", "会员ID", "member_no"), "loyalty_id": ("会员卡号", "card_no"),
                     "name": ("姓名", "会员姓名", "name"), "city": ("城市", "所在城市", "city"),
                     "birthday": ("生日", "出生日期", "birthday"),
                     "created_at": ("注册时间", "开卡时间", "入会时间", "join_time"),
                     "consent_sms": ("短信许可", "接收短信", "sms_optin")},
            fallback={"phone": ("手机号", "手机", "联系电话", "mobile")},
            constants={"source": "pos", "lifecycle_stage": "customer"},
        ),
    ]
}
for _t in LOADABLE:
    PRESETS[f"table:{_t}"] = _canonical(_t)


@cache
def known_headers() -> frozenset[str]:
    """Normalised header names of every preset (what header-row detection looks for)."""
    out: set[str] = set()
    for p in PRESETS.values():
        for canon in (*p.columns, *p.fallback, *p.concat, *p.ids):
            for a in p.aliases(canon):
                out.add(normalize(a))
                out.add(split_unit(a)[0])
    return frozenset(out)


def get_preset(name: str, file: str = "") -> Preset:
    """Return a preset by name or raise an error listing the known names."""
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(n for n in PRESETS if not n.startswith("table:"))
        raise InputDataError(file or name, f"unknown preset {name!r}. Known presets: {known} "
                             f"(`omnimix presets` lists their columns); or pass --table "
                             f"{{{','.join(LOADABLE)}}} for canonical files.") from None


def _explained(mapping: Mapping) -> int:
    return sum(len(v) if isinstance(v, tuple) else 1 for v in mapping.values())


def detect_preset(header: list[str], file: str, forced: dict[str, str] | None = None,
                  constants: tuple[str, ...] = ()) -> Preset:
    """Pick the preset that explains most of a header.

    Every preset whose required columns are present (counting ``forced`` mappings and the canonical
    columns given as ``constants``) is scored by the header columns it maps; ties go to the preset with
    the larger share of its columns found.

    Raises:
        InputDataError: no preset fits; the message names the closest presets by the columns they
            found and says which required columns each misses.
    """
    scored: list[tuple[int, float, Preset]] = []
    near: list[tuple[int, Preset, list[str]]] = []
    for preset in PRESETS.values():
        mapping, missing = preset.match(header, forced)
        missing = [m for m in missing if m.split(" ")[0] not in constants]
        hits = _explained(mapping)
        if missing:
            if hits:
                near.append((hits, preset, missing))
            continue
        known = len(preset.columns) + len(preset.concat) + len(preset.fallback)
        scored.append((hits, len(mapping) / max(known, 1), preset))
    if not scored:
        near.sort(key=lambda n: -n[0])
        problems = [f"closest: {p.name} ({p.title}) found {h} column(s); "
                    + "; ".join(p.missing_problems(m)) for h, p, m in near[:3]]
        if not problems:
            problems = ["no column of this header is a known header of any preset"]
        raise InputDataError(
            file,
            f"no preset matches the header {header}. Pass --preset NAME or --table NAME (`omnimix presets` "
            "lists them with their columns), or map the missing columns with --map 'HEADER=column' / "
            "--set column=VALUE or [[sources]] in omnimix.toml (docs/ingest.md).",
            problems,
        )
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return scored[0][2]
