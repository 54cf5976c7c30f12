"""Platform presets: how an export of one platform maps onto a canonical table.

A preset names the canonical table, the accepted header names for each canonical column (exports
change their headers across versions and languages), constants the file does not carry (the channel of
an ad platform, ``online`` for an e-commerce export), date formats, and how to derive a missing
``event_id``. ``detect_preset`` picks the preset whose columns best cover a header; canonical files
(the columns of docs/data-model.md) are detected as ``table:<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omnimix.errors import InputDataError
from omnimix.schema import LOADABLE, TABLES

DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d", "%d.%m.%Y")
TS_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
    "%Y-%m-%d", "%Y/%m/%d", "%Y%m%d",
)


@dataclass(frozen=True)
class Preset:
    """How one platform's export maps to a canonical table.

    Attributes:
        name: preset name used on the command line.
        table: canonical table written.
        title: human name of the platform export.
        columns: canonical column → accepted header names (first present wins).
        concat: canonical column → header names joined with a space (e.g. first + last name).
        constants: canonical column → value for every row.
        epoch_units: canonical timestamp column → unit of epoch numbers ("s", "ms", "us").
        event_id_from: canonical columns hashed into ``event_id`` when the export has none.
        date_formats / ts_formats: strptime formats tried in order.
    """

    name: str
    table: str
    title: str
    columns: dict[str, tuple[str, ...]]
    concat: dict[str, tuple[str, ...]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    epoch_units: dict[str, str] = field(default_factory=dict)
    event_id_from: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = DATE_FORMATS
    ts_formats: tuple[str, ...] = TS_FORMATS

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

    def resolve(self, header: list[str], file: str) -> dict[str, str | tuple[str, ...]]:
        """Map canonical columns to header names present in a file.

        Returns:
            canonical column → header name, or a tuple of header names for concatenated columns.

        Raises:
            InputDataError: a required column is missing (names it and the accepted spellings).
        """
        present = {h.strip(): h for h in header}
        lowered = {h.strip().lower(): h for h in header}
        mapping: dict[str, str | tuple[str, ...]] = {}
        for canon, names in self.columns.items():
            for n in names:
                hit = present.get(n) or lowered.get(n.lower())
                if hit is not None:
                    mapping[canon] = hit
                    break
        for canon, names in self.concat.items():
            hits = tuple(present.get(n) or lowered.get(n.lower()) or "" for n in names)
            if any(hits) and canon not in mapping:
                mapping[canon] = tuple(h for h in hits if h)
        missing = [c for c in self.required_canonical() if c not in mapping]
        if self.table == "touchpoints" and "channel" not in mapping and "utm_source" not in mapping:
            missing.append("channel (or utm_source for the channel taxonomy)")
        if missing:
            problems = []
            for c in missing:
                names = self.columns.get(c.split(" ")[0], (c,))
                problems.append(f"missing required column {c!r}: expected a header named "
                                + " or ".join(repr(n) for n in names))
            raise InputDataError(
                file,
                f"does not match preset {self.name!r} ({self.title}). Header found: {header}. "
                "Fix: rename the column(s), add a column mapping under [[sources]] in omnimix.toml, "
                "or choose another --preset / --table.",
                problems,
            )
        return mapping


def _canonical(table: str) -> Preset:
    t = TABLES[table]
    return Preset(
        name=f"table:{table}",
        table=table,
        title=f"canonical {table} file (docs/data-model.md)",
        columns={c.name: (c.name,) for c in t.columns if c.name != "load_id"},
    )


_IDS = ("user_id", "crm_id", "loyalty_id", "email", "phone", "unionid", "openid", "device_id", "anonymous_id")

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "google_ads", "spend", "Google Ads campaign report",
            columns={"date": ("Day", "Date"), "campaign": ("Campaign",), "spend": ("Cost",),
                     "impressions": ("Impressions", "Impr."), "clicks": ("Clicks",),
                     "currency": ("Currency code", "Currency")},
            constants={"channel": "search", "source": "google_ads"},
        ),
        Preset(
            "meta_ads", "spend", "Meta Ads Manager export",
            columns={"date": ("Reporting starts", "Day"), "campaign": ("Campaign name",),
                     "spend": ("Amount spent (CNY)", "Amount spent (USD)", "Amount spent (EUR)", "Amount spent"),
                     "impressions": ("Impressions",), "clicks": ("Link clicks", "Clicks (all)"),
                     "currency": ("Currency",)},
            constants={"channel": "social", "source": "meta_ads"},
        ),
        Preset(
            "ocean_engine", "spend", "巨量引擎 (Ocean Engine) 广告计划报表",
            columns={"date": ("日期", "时间"), "campaign": ("广告计划", "计划名称", "广告计划名称"),
                     "spend": ("消耗", "消耗(元)", "总消耗"), "impressions": ("展示数", "展示次数"),
                     "clicks": ("点击数", "点击次数")},
            constants={"channel": "douyin", "source": "ocean_engine", "currency": "CNY"},
        ),
        Preset(
            "tencent_ads", "spend", "腾讯广告 (Tencent Ads) 推广计划报表",
            columns={"date": ("日期",), "campaign": ("推广计划", "计划名称"),
                     "spend": ("花费", "花费(元)"), "impressions": ("曝光量", "曝光次数"),
                     "clicks": ("点击量", "点击次数")},
            constants={"channel": "wechat", "source": "tencent_ads", "currency": "CNY"},
        ),
        Preset(
            "ga4_events", "touchpoints", "GA4-style event export (BigQuery JSON lines)",
            columns={"ts": ("event_timestamp",), "event_type": ("event_name",),
                     "anonymous_id": ("user_pseudo_id",), "user_id": ("user_id",),
                     "utm_source": ("collected_traffic_source.manual_source", "traffic_source.source"),
                     "utm_medium": ("collected_traffic_source.manual_medium", "traffic_source.medium"),
                     "campaign": ("collected_traffic_source.manual_campaign_name", "traffic_source.name"),
                     "device_id": ("device.advertising_id",), "event_id": ("event_id",)},
            constants={"source": "ga4"},
            epoch_units={"ts": "us"},
            event_id_from=("anonymous_id", "user_id", "ts", "event_type", "utm_source", "utm_medium",
                           "campaign"),
        ),
        Preset(
            "shopify_orders", "conversions", "Shopify-style orders export",
            columns={"conversion_id": ("Name", "Order ID"), "ts": ("Created at", "Paid at"),
                     "value": ("Total",), "currency": ("Currency",), "email": ("Email",),
                     "phone": ("Phone", "Billing Phone"), "user_id": ("Customer ID",)},
            constants={"type": "purchase", "online": "true", "source": "shopify"},
        ),
        Preset(
            "hubspot_contacts", "contacts", "HubSpot-style contacts export",
            columns={"record_id": ("Record ID", "Contact ID"), "email": ("Email",),
                     "phone": ("Phone Number", "Mobile Phone Number"), "city": ("City",),
                     "created_at": ("Create Date",), "lifecycle_stage": ("Lifecycle Stage",),
                     "birthday": ("Date of birth", "Birthday"), "user_id": ("User ID",),
                     "consent_email": ("Marketing contact status", "Email consent")},
            concat={"name": ("Last Name", "First Name")},
            constants={"source": "hubspot"},
        ),
        Preset(
            "pos_transactions", "conversions", "门店 POS 交易导出 (phone / loyalty card)",
            columns={"conversion_id": ("小票号", "交易单号", "receipt_no"), "ts": ("交易时间", "txn_time"),
                     "value": ("实付金额", "金额", "amount"), "loyalty_id": ("会员卡号", "card_no"),
                     "phone": ("手机号", "mobile"), "store_id": ("门店编号", "store_id")},
            constants={"type": "purchase", "online": "false", "source": "pos", "currency": "CNY"},
        ),
        Preset(
            "pos_members", "contacts", "门店 POS 会员导出",
            columns={"record_id": ("会员编号", "member_no"), "loyalty_id": ("会员卡号", "card_no"),
                     "name": ("姓名", "name"), "phone": ("手机号", "mobile"), "city": ("城市", "city"),
                     "birthday": ("生日", "birthday"), "created_at": ("注册时间", "join_time"),
                     "consent_sms": ("短信许可", "sms_optin")},
            constants={"source": "pos", "lifecycle_stage": "customer"},
        ),
    ]
}
for _t in LOADABLE:
    PRESETS[f"table:{_t}"] = _canonical(_t)


def get_preset(name: str, file: str = "") -> Preset:
    """Return a preset by name or raise an error listing the known names."""
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(n for n in PRESETS if not n.startswith("table:"))
        raise InputDataError(file or name, f"unknown preset {name!r}. Known presets: {known}; "
                             f"or pass --table {{{','.join(LOADABLE)}}} for canonical files.") from None


def detect_preset(header: list[str], file: str) -> Preset:
    """Pick the preset that best covers a header.

    Scores every preset whose required columns are all present by the share of its mapped columns
    found in the header; the best wins.

    Raises:
        InputDataError: no preset fits (the message lists the closest ones and what they miss).
    """
    scored: list[tuple[float, int, Preset]] = []
    near: list[str] = []
    for preset in PRESETS.values():
        try:
            mapping = preset.resolve(header, file)
        except InputDataError as exc:
            near.append(f"{preset.name}: " + "; ".join(exc.problems))
            continue
        known = len(preset.columns) + len(preset.concat)
        hits = len(mapping)
        extra = len([h for h in header if h.strip()]) - sum(
            len(v) if isinstance(v, tuple) else 1 for v in mapping.values())
        scored.append((hits / known - 0.01 * max(extra, 0), hits, preset))
    if not scored:
        raise InputDataError(
            file,
            f"no preset matches the header {header}. Pass --preset NAME or --table NAME "
            f"(see `omnimix ingest --help` and docs/ingest.md).",
            near[:4],
        )
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return scored[0][2]
