"""Ingestion: readers, platform presets, validation, quarantine and PII hashing."""
