"""Ingestion: readers, platform presets, validation, quarantine and PII hashing.

Public API (imported lazily)::

    from omnimix.ingest import ingest_files, quarantine_rows
    run = ingest_files("ws", ["data/meta_ads.csv"])      # IngestRun: .files, .rows_loaded, .to_json()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnimix._lazy import lazy_exports

if TYPE_CHECKING:
    from omnimix.ingest.loader import LoadResult, ingest_file
    from omnimix.ingest.workflow import IngestRun, QuarantineView, ingest_files, quarantine_rows

__all__ = ["IngestRun", "LoadResult", "QuarantineView", "ingest_file", "ingest_files", "quarantine_rows"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "IngestRun": "omnimix.ingest.workflow",
    "QuarantineView": "omnimix.ingest.workflow",
    "ingest_files": "omnimix.ingest.workflow",
    "quarantine_rows": "omnimix.ingest.workflow",
    "LoadResult": "omnimix.ingest.loader",
    "ingest_file": "omnimix.ingest.loader",
})
