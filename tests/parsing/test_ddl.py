"""ddl.py: identity-moving and session statements (the shapes added with issue 5)."""

from __future__ import annotations

import logging

from lineage_engine.model import Operation
from lineage_engine.parsing.extract import extract_lineage


def test_hive_exchange_partition_moves_rows_from_the_second_table() -> None:
    logging.disable(logging.WARNING)  # sqlglot logs its Command fallback
    try:
        text = "ALTER TABLE tab1 EXCHANGE PARTITION (pt='2024-01-01') WITH TABLE db.tab2"
        result = extract_lineage(text, dialect="hive", default_database="D", default_schema="S")
    finally:
        logging.disable(logging.NOTSET)
    [st] = result.statements
    assert (st.operation, st.target.id, [s.id for s in st.sources]) == (Operation.INSERT, "d.s.tab1", ["d.db.tab2"])
    assert "2024" not in result.redacted_text and result.problems == ()


def test_alter_without_rename_swap_or_exchange_is_not_parsed() -> None:
    result = extract_lineage("alter table t set data_retention_time_in_days = 1", default_database="D",
                             default_schema="S")
    assert (result.statements, result.problems) == ((), ())
