"""Every warehouse table: its columns, types, natural key, kind and the command that writes it.

This module is the only place where warehouse tables are defined. Three kinds:

* **canonical** (:data:`TABLES`): what ingestion loads and identity resolution writes; ``create_all``
  builds them when a workspace opens writable, and the loaders use them for column lists;
* **derived** (:data:`DERIVED`): rebuilt from the canonical tables by a stage (``omnimix resolve``
  writes the identity graph, ``journeys``, ``journey_touches`` and ``paths``); the stage's SQL creates
  them with exactly these columns (a test checks it);
* **result** (:data:`RESULTS`): what an analysis stores for the dashboard and later stages
  (attribution credit, MMM contributions and curves, CLV); :meth:`omnimix.workspace.Workspace.write`
  creates them from this definition on first write, and the web's registry is derived from them.

``docs/data-model.md`` documents the same tables for users.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnimix.taxonomy import IDENTIFIER_TYPES


@dataclass(frozen=True)
class Column:
    """One column: name, DuckDB type, whether a loaded row must have it, and a description."""

    name: str
    type: str
    required: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Table:
    """One canonical table.

    Attributes:
        name: table name in the warehouse.
        columns: columns in order.
        key: natural key used to skip rows already loaded (idempotent loads); empty for none.
        loadable: whether ``omnimix ingest --table NAME`` accepts files for it.
        doc: one line for the docs.
        kind: ``"canonical"``, ``"derived"`` or ``"result"``.
        written_by: the command that writes the table (shown when it is missing).
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    loadable: bool = True
    doc: str = ""
    kind: str = "canonical"
    written_by: str = "omnimix ingest"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def ddl(self) -> str:
        cols = ",\n  ".join(f'"{c.name}" {c.type}' for c in self.columns)
        return f'CREATE TABLE IF NOT EXISTS "{self.name}" (\n  {cols}\n)'


def _ids() -> tuple[Column, ...]:
    return tuple(Column(t, "VARCHAR", doc=f"identifier of type {t}") for t in IDENTIFIER_TYPES)


_LOAD = Column("load_id", "VARCHAR", doc="the load that wrote the row (see `loads`)")

SPEND = Table(
    "spend",
    (
        Column("date", "DATE", True, "day of the spend"),
        Column("channel", "VARCHAR", True, "channel from the taxonomy"),
        Column("campaign", "VARCHAR", doc="campaign name (巨量引擎 项目 / 广告组, 腾讯 推广计划)"),
        Column("ad_group", "VARCHAR", doc="ad group, ad set or 广告计划 when the report is below campaign level"),
        Column("ad", "VARCHAR", doc="ad, creative or keyword: the report's finest unit (NULL for campaign reports)"),
        Column("geo", "VARCHAR", doc="geo the spend was delivered in (city, region, DMA) for geo-split reports"),
        Column("spend", "DOUBLE", True, "amount spent, >= 0, in `currency`"),
        Column("impressions", "BIGINT", doc="impressions, >= 0"),
        Column("clicks", "BIGINT", doc="clicks, >= 0"),
        Column("currency", "VARCHAR", doc="ISO 4217 code; the workspace currency when absent"),
        Column("source", "VARCHAR", doc="platform or file the row came from"),
        _LOAD,
    ),
    key=("date", "channel", "campaign", "ad_group", "ad", "geo", "source"),
    doc="advertising cost per day, channel, campaign and (where the report has them) ad group, ad and geo",
)

TOUCHPOINTS = Table(
    "touchpoints",
    (
        Column("event_id", "VARCHAR", True, "unique id of the contact"),
        Column("ts", "TIMESTAMP", True, "time of the contact (workspace time zone)"),
        Column("channel", "VARCHAR", True, "channel from the taxonomy"),
        Column("stage", "VARCHAR", doc="funnel stage from the taxonomy"),
        Column("campaign", "VARCHAR", doc="campaign"),
        Column("event_type", "VARCHAR", doc="e.g. impression, click, session_start, page_view, open"),
        Column("utm_source", "VARCHAR", doc="source as reported (utm_source, referrer)"),
        Column("utm_medium", "VARCHAR", doc="medium as reported"),
        *_ids(),
        Column("cost", "DOUBLE", doc="cost of the contact where known"),
        Column("source", "VARCHAR", doc="system the row came from"),
        _LOAD,
    ),
    key=("event_id",),
    doc="one marketing contact with a person (click, visit, open, event check-in)",
)

CONVERSIONS = Table(
    "conversions",
    (
        Column("conversion_id", "VARCHAR", True, "order or conversion id"),
        Column("ts", "TIMESTAMP", True, "time of the conversion"),
        Column("type", "VARCHAR", doc="purchase, lead, signup …"),
        Column("value", "DOUBLE", doc="value in `currency`, >= 0"),
        Column("currency", "VARCHAR", doc="ISO 4217"),
        *_ids(),
        Column("store_id", "VARCHAR", doc="store for offline conversions"),
        Column("geo", "VARCHAR", doc="geo of the conversion (store city, region, DMA; geo experiments)"),
        Column("online", "BOOLEAN", doc="true online, false in store"),
        Column("masked_ids", "VARCHAR",
               doc="identifiers the source masked (`phone=138****8000`), kept as written, never matched"),
        Column("source", "VARCHAR", doc="system the row came from"),
        _LOAD,
    ),
    key=("conversion_id", "source"),
    doc="one conversion or order, online or in store",
)

#: HubSpot's "Became a … Date" columns of a contacts export (read as stage events by omnimix.lifecycle)
BECAME_STAGES: tuple[str, ...] = ("subscriber", "lead", "mql", "sql", "opportunity", "customer", "evangelist")
_BECAME = tuple(Column(f"became_{s}_at", "TIMESTAMP", doc=f"when the record became {s} (HubSpot's became-date)")
                for s in BECAME_STAGES)

CONTACTS = Table(
    "contacts",
    (
        Column("record_id", "VARCHAR", True, "record id in the source system"),
        Column("source", "VARCHAR", doc="system the record came from (crm, pos …)"),
        *_ids(),
        Column("name", "VARCHAR", doc="full name (hashed unless the workspace keeps PII)"),
        Column("city", "VARCHAR", doc="city"),
        Column("birthday", "DATE", doc="date of birth"),
        Column("created_at", "TIMESTAMP", doc="record creation time"),
        Column("lifecycle_stage", "VARCHAR", doc="lead, customer …"),
        Column("consent_email", "BOOLEAN", doc="email marketing consent"),
        Column("consent_sms", "BOOLEAN", doc="SMS marketing consent"),
        Column("masked_ids", "VARCHAR",
               doc="identifiers the source masked (`phone=138****8000`), kept as written, never matched"),
        *_BECAME,
        Column("owner", "VARCHAR", doc="contact owner (the sales rep), HubSpot's Contact owner"),
        Column("lead_score", "DOUBLE", doc="lead score from the CRM (HubSpot Score)"),
        Column("lead_source", "VARCHAR", doc="the CRM's original source of the record (HubSpot Original Source)"),
        _LOAD,
    ),
    key=("record_id", "source"),
    doc="one CRM, POS-member or service-desk record",
)

CONTENT = Table(
    "content",
    (
        Column("asset_id", "VARCHAR", True, "asset id"),
        Column("channel", "VARCHAR", doc="channel it runs on"),
        Column("campaign", "VARCHAR", doc="campaign"),
        Column("language", "VARCHAR", doc="BCP-47 language, e.g. zh-CN"),
        Column("text", "VARCHAR", True, "copy"),
        Column("published_at", "TIMESTAMP", doc="publication time"),
        Column("source", "VARCHAR", doc="system the row came from"),
        _LOAD,
    ),
    key=("asset_id",),
    doc="one content asset (ad copy, post, email)",
)

EXPERIMENTS = Table(
    "experiments",
    (
        Column("experiment_id", "VARCHAR", doc="id; derived from channel and dates when absent"),
        Column("channel", "VARCHAR", True, "channel tested"),
        Column("start", "DATE", True, "first day"),
        Column("end", "DATE", True, "last day"),
        Column("lift", "DOUBLE", True, "measured incremental KPI over the period"),
        Column("lift_sd", "DOUBLE", True, "standard error of lift, > 0"),
        Column("spend", "DOUBLE", doc="spend of the channel during the test"),
        Column("source", "VARCHAR", doc="system the row came from"),
        Column("method", "VARCHAR", doc="how the test was read, e.g. synthetic_control, tbr, did, its, ab"),
        Column("geos", "VARCHAR", doc="treated geos, comma-separated (geo tests)"),
        _LOAD,
    ),
    key=("channel", "start", "end"),
    doc="one lift test (geo or conversion-lift experiment)",
)

STAGE_HISTORY = Table(
    "stage_history",
    (
        Column("record_id", "VARCHAR", True, "person's record id in the CRM (as in `contacts.record_id`)"),
        Column("stage", "VARCHAR", True, "lifecycle stage entered (`[lifecycle] stages` or an alias)"),
        Column("entered_at", "TIMESTAMP", True, "when the record entered the stage"),
        Column("channel", "VARCHAR", doc="the lead's source channel"),
        Column("owner", "VARCHAR", doc="sales owner at the transition"),
        Column("lead_score", "DOUBLE", doc="lead score at the transition"),
        Column("contacted_at", "TIMESTAMP", doc="first sales contact after entering the stage (MQL hand-off)"),
        Column("feedback", "VARCHAR", doc="sales feedback on the hand-off: accepted, rejected or recycled"),
        Column("feedback_reason", "VARCHAR", doc="reason given with a rejection or recycling"),
        Column("amount", "DOUBLE", doc="deal value (opportunity and customer rows)"),
        Column("source", "VARCHAR", doc="system the row came from"),
        _LOAD,
    ),
    key=("record_id", "stage", "entered_at", "source"),
    doc="one lifecycle-stage transition of a CRM record (a stage-history export)",
)

IDENTIFIERS = Table(
    "identifiers",
    (
        Column("id_type", "VARCHAR", True),
        Column("id_value", "VARCHAR", True),
        Column("customer_id", "VARCHAR", True),
        Column("first_seen", "TIMESTAMP"),
        Column("last_seen", "TIMESTAMP"),
    ),
    key=("id_type", "id_value"),
    loadable=False,
    written_by="omnimix resolve",
    doc="identifier → customer (written by `omnimix resolve`)",
)

CUSTOMERS = Table(
    "customers",
    (
        Column("customer_id", "VARCHAR", True, "stable person id (C + 9 digits; merges keep the oldest)"),
        Column("first_seen", "TIMESTAMP", doc="first contact or order"),
        Column("last_seen", "TIMESTAMP", doc="last contact or order"),
        Column("channels", "VARCHAR[]", doc="distinct channels that touched the person"),
        Column("orders", "BIGINT", doc="conversions"),
        Column("revenue", "DOUBLE", doc="total conversion value"),
        Column("segment", "VARCHAR", doc="RFM segment (written by `omnimix clv segments`)"),
        Column("first_order_at", "TIMESTAMP", doc="first conversion"),
        Column("last_order_at", "TIMESTAMP", doc="last conversion"),
        Column("recency_days", "DOUBLE", doc="days from the last order to the newest data (RFM R)"),
        Column("monetary", "DOUBLE", doc="mean order value (RFM M); frequency is `orders`"),
        Column("acquisition_channel", "VARCHAR", doc="first channel that touched the person"),
        Column("n_identifiers", "BIGINT", doc="identifiers in the profile"),
        Column("consent_email", "BOOLEAN", doc="email consent from contact records (any true)"),
        Column("consent_sms", "BOOLEAN", doc="SMS consent from contact records (any true)"),
    ),
    key=("customer_id",),
    loadable=False,
    written_by="omnimix resolve",
    doc="one person, the customer 360 profile (written by `omnimix resolve`)",
)

IDENTITY_MERGES = Table(
    "identity_merges",
    (
        Column("merged_id", "VARCHAR", True, "customer id that stopped existing"),
        Column("into_id", "VARCHAR", True, "customer id it was merged into (the older one)"),
        Column("merged_at", "TIMESTAMP", doc="when the merge was resolved"),
    ),
    loadable=False,
    written_by="omnimix resolve",
    doc="customer ids merged by identity resolution",
)

QUARANTINE = Table(
    "quarantine",
    (
        Column("load_id", "VARCHAR", True),
        Column("source_file", "VARCHAR", True),
        Column("line", "BIGINT", doc="line in the file (1 = header) or record number for JSON/XLSX"),
        Column("column_name", "VARCHAR", doc="offending column where one is to blame"),
        Column("raw", "VARCHAR", doc="the raw row (JSON object of header → text, or the raw line)"),
        Column("reason", "VARCHAR", True),
        Column("target_table", "VARCHAR"),
        Column("loaded_at", "TIMESTAMP"),
    ),
    loadable=False,
    doc="one rejected row with its reason (nothing is lost)",
    written_by="omnimix ingest",
)

LOADS = Table(
    "loads",
    (
        Column("load_id", "VARCHAR", True),
        Column("file", "VARCHAR", True),
        Column("sha256", "VARCHAR", True),
        Column("target_table", "VARCHAR", True),
        Column("preset", "VARCHAR"),
        Column("rows_in", "BIGINT"),
        Column("rows_loaded", "BIGINT"),
        Column("rows_quarantined", "BIGINT"),
        Column("rows_skipped", "BIGINT"),
        Column("loaded_at", "TIMESTAMP"),
        Column("source", "VARCHAR", doc="the rows' source (several joined by commas)"),
        Column("date_min", "DATE", doc="first day of the loaded rows (for `ingest --replace`)"),
        Column("date_max", "DATE", doc="last day of the loaded rows"),
        Column("status", "VARCHAR", doc="loaded, removed (`omnimix loads remove`) or replaced (`ingest --replace`)"),
        Column("removed_at", "TIMESTAMP", doc="when the load was removed or replaced"),
    ),
    key=("load_id",),
    loadable=False,
    doc="one file load (the audit trail of ingestion; `omnimix loads list`)",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (SPEND, TOUCHPOINTS, CONVERSIONS, CONTACTS, CONTENT, EXPERIMENTS, STAGE_HISTORY, IDENTIFIERS, CUSTOMERS,
              IDENTITY_MERGES, QUARANTINE, LOADS)
}
LOADABLE: tuple[str, ...] = tuple(n for n, t in TABLES.items() if t.loadable)


def _cols(spec: str) -> tuple[Column, ...]:
    """``"name:TYPE name:TYPE"`` → columns."""
    out = []
    for item in spec.split():
        name, typ = item.split(":", 1)
        out.append(Column(name, typ))
    return tuple(out)


def _derived(name: str, cols: str, doc: str, written_by: str = "omnimix resolve", key: tuple[str, ...] = ()) -> Table:
    return Table(name, _cols(cols), key=key, loadable=False, doc=doc, kind="derived", written_by=written_by)


def _result(name: str, cols: str, doc: str, written_by: str, key: tuple[str, ...] = ()) -> Table:
    return Table(name, _cols(cols), key=key, loadable=False, doc=doc, kind="result", written_by=written_by)


#: Tables a stage rebuilds from the canonical ones (``name:TYPE`` per column, in order).
DERIVED: dict[str, Table] = {t.name: t for t in (
    _derived("row_customers", "src_table:VARCHAR row_key:VARCHAR customer_id:VARCHAR",
             "source row (table, natural key) → customer"),
    _derived("identity_priority", "id_type:VARCHAR rnk:INTEGER max_per_person:INTEGER",
             "identifier types by priority with their per-person limit"),
    _derived("identity_obs", "src_table:VARCHAR row_key:VARCHAR source:VARCHAR ts:TIMESTAMP id_type:VARCHAR "
             "id_value:VARCHAR", "one identifier seen on one source row"),
    _derived("identity_nodes", "node:BIGINT id_type:VARCHAR id_value:VARCHAR first_seen:TIMESTAMP "
             "last_seen:TIMESTAMP n_obs:BIGINT", "one distinct identifier (graph node)"),
    _derived("identity_shared", "v_type:VARCHAR v_value:VARCHAR reason:VARCHAR",
             "identifier values blocked as shared (devices, team mailboxes)"),
    _derived("identity_edges", "a_node:BIGINT b_node:BIGINT a_type:VARCHAR a_value:VARCHAR b_type:VARCHAR "
             "b_value:VARCHAR evidence:VARCHAR first_seen:TIMESTAMP n:BIGINT cut_reason:VARCHAR",
             "identifiers seen together, with the evidence and why an edge was cut"),
    _derived("identity_labels", "node:BIGINT label:BIGINT", "graph node → connected component"),
    _derived("journey_touches", "journey_id:VARCHAR customer_id:VARCHAR ts:TIMESTAMP channel:VARCHAR "
             "campaign:VARCHAR stage:VARCHAR event_type:VARCHAR converted:BOOLEAN conversion_value:DOUBLE "
             "conversion_ts:TIMESTAMP", "one touch of a journey, in time order"),
    _derived("journeys", "journey_id:VARCHAR customer_id:VARCHAR converted:BOOLEAN conversion_value:DOUBLE "
             "conversion_ts:TIMESTAMP n_touches:BIGINT n_channels:BIGINT path:VARCHAR",
             "one journey: the touches before a conversion (or the open tail)"),
    _derived("paths", "path:VARCHAR total_conversions:DOUBLE total_conversion_value:DOUBLE total_null:DOUBLE",
             "distinct channel paths with conversions, value and non-converting journeys (attribution input)"),
    _derived("stale_tables", "table_name:VARCHAR reason:VARCHAR marked_at:TIMESTAMP",
             "tables built from loaded rows that were removed or replaced since (rebuild them)",
             written_by="omnimix loads remove / omnimix ingest --replace"),
    _derived("erasures", "erased_at:TIMESTAMP id_type:VARCHAR request_sha256:VARCHAR deleted:VARCHAR",
             "audit of `omnimix identity forget` (a salted hash of the request and rows deleted per table)",
             written_by="omnimix identity forget"),
)}

#: Tables written by the analysis stages, read by the dashboard and later stages.
RESULTS: dict[str, Table] = {t.name: t for t in (
    _result("attribution_results", "model:VARCHAR channel:VARCHAR conversions:DOUBLE value:DOUBLE",
            "credit per attribution model and channel", "omnimix attribute --workspace DIR --model all",
            key=("model", "channel")),
    _result("mmm_channels", "channel:VARCHAR contribution_mean:DOUBLE contribution_lo:DOUBLE "
            "contribution_hi:DOUBLE roi_mean:DOUBLE roi_lo:DOUBLE roi_hi:DOUBLE mroi_mean:DOUBLE mroi_lo:DOUBLE "
            "mroi_hi:DOUBLE spend:DOUBLE", "MMM contribution, ROI and marginal ROI per channel (90% intervals)",
            "omnimix mmm fit --workspace DIR", key=("channel",)),
    _result("mmm_diagnostics", "metric:VARCHAR value:DOUBLE", "the latest MMM fit's diagnostics (passed = 1/0)",
            "omnimix mmm fit --workspace DIR", key=("metric",)),
    _result("mmm_fit", "date:DATE actual:DOUBLE predicted:DOUBLE", "weekly KPI: actual and fitted",
            "omnimix mmm fit --workspace DIR", key=("date",)),
    _result("mmm_channel_status", "channel:VARCHAR status:VARCHAR reason:VARCHAR",
            "per channel of the latest MMM fit: ok, weak (weakly identified) or conflict (failed the "
            "prior–data conflict gate), with the reason", "omnimix mmm fit --workspace DIR", key=("channel",)),
    _result("response_curves", "channel:VARCHAR type:VARCHAR beta:DOUBLE half_saturation:DOUBLE slope:DOUBLE "
            "lam:DOUBLE current_spend:DOUBLE min_spend:DOUBLE max_spend:DOUBLE",
            "weekly response curve per channel (posterior mean) of the latest passed MMM fit",
            "omnimix mmm fit --workspace DIR", key=("channel",)),
    _result("response_curve_draws", "draw:BIGINT channel:VARCHAR beta:DOUBLE half_saturation:DOUBLE "
            "slope:DOUBLE lam:DOUBLE", "posterior draws of the response curves (optimizer intervals)",
            "omnimix mmm fit --workspace DIR", key=("draw", "channel")),
    _result("clv_customers", "customer_id:VARCHAR segment:VARCHAR clv:DOUBLE p_alive:DOUBLE "
            "expected_purchases:DOUBLE", "predicted CLV, P(alive) and purchases per customer",
            "omnimix clv predict --workspace DIR --horizon 52 --time-unit weeks --save", key=("customer_id",)),
    _result("segment_profiles", "segment:VARCHAR persona:VARCHAR", "one persona card (JSON) per RFM segment",
            "omnimix clv segments --workspace DIR --save", key=("segment",)),
    _result("voice_results", "asset_id:VARCHAR campaign:VARCHAR channel:VARCHAR language:VARCHAR score:DOUBLE "
            "band:VARCHAR issue_no:INTEGER rule:VARCHAR category:VARCHAR severity:VARCHAR span_start:INTEGER "
            "span_end:INTEGER span_text:VARCHAR message:VARCHAR suggestion:VARCHAR checked_at:TIMESTAMP",
            "one voice issue per row (issue_no 0: an asset without issues) with the asset's 0–100 score",
            "omnimix voice check --workspace DIR --brand BRAND.toml --save", key=("asset_id", "issue_no")),
    _result("voice_campaigns", "campaign:VARCHAR score:DOUBLE band:VARCHAR assets:INTEGER conflicts:VARCHAR "
            "matrix:VARCHAR checked_at:TIMESTAMP",
            "per campaign: voice score, offer conflicts (JSON) and the asset × pillar consistency matrix (JSON)",
            "omnimix voice check --workspace DIR --brand BRAND.toml --save", key=("campaign",)),
    _result("experiment_results", "experiment_id:VARCHAR channel:VARCHAR start:DATE end:DATE method:VARCHAR "
            "inference:VARCHAR level:DOUBLE treated:VARCHAR att_mean:DOUBLE att_lo:DOUBLE att_hi:DOUBLE "
            "incremental_kpi_mean:DOUBLE incremental_kpi_lo:DOUBLE incremental_kpi_hi:DOUBLE lift_mean:DOUBLE "
            "lift_lo:DOUBLE lift_hi:DOUBLE p_value:DOUBLE iroas_mean:DOUBLE iroas_lo:DOUBLE iroas_hi:DOUBLE "
            "incremental_cost:DOUBLE pre_rmse:DOUBLE pre_r2:DOUBLE weights:VARCHAR periods:VARCHAR "
            "recorded_at:TIMESTAMP",
            "a recorded lift test's full read: intervals, p-value, iROAS, donor weights and the observed and "
            "counterfactual series (the dashboard's /experiments)",
            "omnimix experiment record RESULT.json --workspace DIR --channel C --start D --end D",
            key=("experiment_id",)),
    _result("experiment_plan", "rank:INTEGER channel:VARCHAR start:VARCHAR end:VARCHAR expected_lift:DOUBLE "
            "lift_sd:DOUBLE cost:DOUBLE sd_before:DOUBLE sd_after:DOUBLE reduction_per_cost:DOUBLE "
            "objective:VARCHAR reserve:DOUBLE funding:VARCHAR planned_at:TIMESTAMP",
            "the planner's next lift tests in order, with the test fund they were planned against",
            "omnimix experiment plan --workspace DIR --save", key=("rank",)),
)}

#: Every table the warehouse can hold, by name.
ALL_TABLES: dict[str, Table] = {**TABLES, **DERIVED, **RESULTS}


def table(name: str) -> Table:
    """The definition of a warehouse table by name (KeyError names the known tables)."""
    try:
        return ALL_TABLES[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a warehouse table; known: {sorted(ALL_TABLES)}") from None


def create_all(con: object) -> None:
    """Create every canonical table that does not exist yet on a DuckDB connection."""
    for table in TABLES.values():
        con.execute(table.ddl())  # type: ignore[attr-defined]
    # a warehouse made by an older omnimix gains the columns added since (``loads`` bookkeeping)
    have: dict[str, set[str]] = {}
    for t, c in con.execute(  # type: ignore[attr-defined]
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall():
        have.setdefault(t, set()).add(c)
    for table in TABLES.values():
        for col in table.columns:
            if col.name not in have.get(table.name, {col.name}):
                con.execute(  # type: ignore[attr-defined]
                    f'ALTER TABLE "{table.name}" ADD COLUMN "{col.name}" {col.type}')
