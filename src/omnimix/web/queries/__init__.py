"""The dashboard's queries, one module per area.

* :mod:`~omnimix.web.queries.common` — the date/channel :class:`~omnimix.web.queries.common.Filters`,
  the data range and the person key (identifiers → customers);
* :mod:`~omnimix.web.queries.kpis` — headline KPIs, cross-channel conversion, the per-channel table;
* :mod:`~omnimix.web.queries.trends` — funnel and time series;
* :mod:`~omnimix.web.queries.quality` — table counts, loads, quarantine, workspace status;
* :mod:`~omnimix.web.queries.customers` — customer search and profiles (identifiers masked);
* :mod:`~omnimix.web.queries.results` — attribution, MMM, response curves, CLV and segments.

Every query reads through :class:`omnimix.web.warehouse.Warehouse` (read-only, pooled, cached).
"""
