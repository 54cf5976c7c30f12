"""Probabilistic matching of contact records that share no hard identifier, with Splink.

CRM and POS member records are compared on name, birthday, city, phone and email (hashed values are
compared exactly; raw values would allow fuzzy comparisons). The Fellegi-Sunter model is trained
without labels: λ from deterministic rules, u by random sampling, m by expectation maximisation on two
blocking rules. Pairs scoring at least ``[identity] match_threshold`` become ``identity_edges`` between
the two records' ``crm_id`` nodes, with the match probability as evidence.
"""

from __future__ import annotations

import logging
from typing import Any

from omnimix.engine.base import Engine

log = logging.getLogger("omnimix")

MIN_RECORDS = 50  # below this EM has too little to learn from


def splink_edges(engine: Engine, threshold: float, seed: int = 42) -> int:
    """Add probabilistic edges between contact records; returns how many were added."""
    records = engine.arrow("""
        SELECT source || ':' || record_id AS unique_id, name, CAST(birthday AS VARCHAR) AS birthday,
               city, phone, email, CAST(created_at AS TIMESTAMP) AS created_at
        FROM contacts WHERE name IS NOT NULL""").to_pandas()
    if len(records) < MIN_RECORDS:
        log.info("splink: %d contact records with a name, too few to train a model; skipped", len(records))
        return 0
    pairs = _predict(records, threshold, seed)
    if pairs is None or len(pairs) == 0:
        return 0
    import pyarrow as pa

    created = dict(zip(records["unique_id"], records["created_at"], strict=True))
    tbl = pa.table({
        "a_type": pa.array(["crm_id"] * len(pairs)), "a_value": pa.array(pairs["unique_id_l"].astype(str)),
        "b_type": pa.array(["crm_id"] * len(pairs)), "b_value": pa.array(pairs["unique_id_r"].astype(str)),
        "evidence": pa.array([f"splink p={p:.4f}" for p in pairs["match_probability"]]),
        "first_seen": pa.array([max(created[a], created[b]) for a, b in
                                zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True)],
                               type=pa.timestamp("us")),
        "n": pa.array([1] * len(pairs), type=pa.int64()),
        "cut_reason": pa.array([None] * len(pairs), type=pa.string())})
    engine.register_arrow("_splink_edges", tbl)
    engine.execute("""INSERT INTO identity_edges
        SELECT na.node, nb.node, s.a_type, s.a_value, s.b_type, s.b_value, s.evidence, s.first_seen, s.n,
               s.cut_reason
        FROM _splink_edges s
        JOIN identity_nodes na ON na.id_type = s.a_type AND na.id_value = s.a_value
        JOIN identity_nodes nb ON nb.id_type = s.b_type AND nb.id_value = s.b_value""")
    engine.drop("_splink_edges")
    return len(pairs)


def _predict(records: Any, threshold: float, seed: int) -> Any:
    import duckdb
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    from splink import comparison_library as cl

    con = duckdb.connect()
    splink_log = logging.getLogger("splink")
    level = splink_log.level
    splink_log.setLevel(logging.ERROR)
    try:
        db_api = DuckDBAPI(con)
        df = db_api.register(records.drop(columns=["created_at"]), table_name="contacts_for_linking")
        settings = SettingsCreator(
            link_type="dedupe_only",
            comparisons=[cl.ExactMatch("name"), cl.ExactMatch("birthday"), cl.ExactMatch("city"),
                         cl.ExactMatch("phone")],
            blocking_rules_to_generate_predictions=[block_on("name", "birthday"), block_on("phone")],
            retain_intermediate_calculation_columns=False,
        )
        linker = Linker(df, settings, log_level=logging.ERROR)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("name", "birthday", "city")], recall=0.9)
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("birthday"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
        pred = linker.inference.predict(threshold_match_probability=threshold)
        out = pred.as_pandas_dataframe()  # type: ignore[no-untyped-call]
        return out[["unique_id_l", "unique_id_r", "match_probability"]]
    finally:
        splink_log.setLevel(level)
        con.close()
