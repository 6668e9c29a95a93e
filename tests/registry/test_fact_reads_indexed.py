"""A replaced or moved dataset's facts are read through the ``catalog_path`` index (issue 13).

A crawl ends the warehouse facts of every dataset a ``CREATE OR REPLACE`` replaces; on SQLite a
``LIKE 'db.s.t.%'`` cannot use the index (SQLite's ``LIKE`` ignores case, the index does not), so
each replace scanned the whole fact table, which grows with the history. The answers must stay
those of the prefix rule: the dataset and its columns, ``_`` and ``%`` taken literally.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, event

from lineage_engine.model import RegistryFact
from lineage_engine.registry import Registry
from lineage_engine.registry.policies import FactMove

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@contextmanager
def _fact_selects() -> Iterator[list[tuple[str, tuple[object, ...]]]]:
    """Collect the SELECT statements sent to the driver that read the facts of one object and what it
    holds (``catalog_path = ? OR`` its prefix), with their parameters."""
    seen: list[tuple[str, tuple[object, ...]]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT") and "registry_facts.catalog_path = ? OR" in statement:
            seen.append((statement, tuple(parameters)))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _facts(paths: list[str], at: datetime) -> list[RegistryFact]:
    return [RegistryFact(p, "masking_policy", "db.s.mask", at, origin="query_history", query_id="q0") for p in paths]


def test_replace_and_move_read_facts_by_index_and_end_only_the_dataset_and_its_columns(registry_url: str) -> None:
    kept = ["db.s.t_10.c", "db.s.tx1.c", "db.s.t_1x.c", "db.s.t_1.c.d"]  # `_` is literal; a 5-part id is no column
    ended = ["db.s.t_1", "db.s.t_1.a", 'db.s.t_1."Mixed Case"', 'db.s."q.r".c']  # db.s."q.r": a column's fact only
    with Registry(registry_url) as registry:
        registry.migrate()
        registry.state_facts(_facts(kept + ended + ["db.s.src.c"], T0))
        with _fact_selects() as selects:
            registry.record_policies(recreated=[("db.s.t_1", T0 + timedelta(hours=1)), ("db.s.none", T0 + timedelta(hours=1)),
                                                ('db.s."q.r"', T0 + timedelta(hours=1))],
                                     moved=[FactMove("db.s.src", "db.s.dst", T0 + timedelta(hours=2), "rename", "q2")])
        now = registry.facts_as_of(T0 + timedelta(hours=3)).masking_policies()
    assert sorted(now) == sorted([*kept, "db.s.dst.c"])
    if not registry_url.startswith("sqlite"):
        return  # PostgreSQL keeps the LIKE (its collation does not order ids as prefixes)
    assert selects, "no read of registry_facts was seen"
    with sqlite3.connect(registry_url.removeprefix("sqlite:///")) as db:
        scans = [statement for statement, parameters in selects
                 if any("SCAN registry_facts" in row[-1]
                        for row in db.execute("EXPLAIN QUERY PLAN " + statement, parameters))]
    assert not scans, f"reads of registry_facts that scan the whole table: {scans}"
