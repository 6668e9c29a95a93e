"""Crash safety of policy facts: a crawl stopped anywhere, or replayed, stores the same facts once (issue 10)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lineage_engine.graph.store import open_graph_store
from lineage_engine.pipeline import CrawlOptions, crawl_once
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.file import FileQueryHistorySource

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ROWS = [
    ("ETL", "create table db.s.customers (id int, email varchar, phone varchar)"),
    ("SECADMIN", "create or replace masking policy gov.m as (v string) returns string -> "
                 "case when current_role() in ('PII_ADMIN') then v else '*' end"),
    ("SECADMIN", "alter table db.s.customers modify column email set masking policy gov.m, column phone set tag t = 'x'"),
    ("ANALYST", "create table db.s.c1 as select id, email from db.s.customers"),
    ("SECADMIN", "alter table db.s.customers modify column email unset masking policy"),
    ("SECADMIN", "alter table db.s.customers add row access policy gov.rap on (id)"),
    ("PII_ADMIN", "insert into db.s.c1 (id, email) select id, email from db.s.customers"),
]


def _history(path: Path) -> Path:
    path.write_text("".join(json.dumps({
        "query_id": f"q{n}", "query_text": text, "query_type": "UNKNOWN",
        "start_time": (T0 + timedelta(minutes=n)).isoformat(), "end_time": (T0 + timedelta(minutes=n)).isoformat(),
        "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S", "role_name": role}) + "\n"
        for n, (role, text) in enumerate(ROWS)))
    return path


def _state(registry: Registry) -> tuple[object, ...]:
    return (registry.fact_history(), registry.policy_bodies(), registry.column_reads())


@pytest.mark.parametrize("stop_after", [1, 2, 3, 4, 5, 6])
def test_a_crawl_stopped_anywhere_then_resumed_stores_the_facts_of_one_clean_crawl(
        tmp_path: Path, stop_after: int) -> None:
    history = _history(tmp_path / "history.jsonl")
    states = []
    for name, stops in (("clean", None), ("stopped", stop_after)):
        store = open_graph_store("embedded", path=tmp_path / name / "graph")
        with Registry(f"sqlite:///{tmp_path / name / 'registry.db'}") as registry:
            registry.migrate()
            read = [0]
            stop = (lambda: read[0] >= stops) if stops is not None else None
            crawl_once(FileQueryHistorySource(history), store, registry, CrawlOptions(batch_size=2),
                       progress=lambda n: read.__setitem__(0, n), stop=stop)
            crawl_once(FileQueryHistorySource(history), store, registry, CrawlOptions(batch_size=2))
            states.append(_state(registry))
        store.close()
    assert states[0] == states[1]
    facts, bodies, reads = states[0]
    assert sorted((f.catalog_path, f.value) for f in facts if f.fact == "data_type") == [
        ("db.s.customers.email", "VARCHAR"), ("db.s.customers.id", "NUMBER"), ("db.s.customers.phone", "VARCHAR")]
    assert [(f.catalog_path, f.fact, f.key, f.value) for f in facts if f.fact != "data_type"] == [
        ("db.s.customers", "row_access_policy", "", "rap"),
        ("db.s.customers.email", "masking_policy", "", "m"),
        ("db.s.customers.email", "masking_policy", "", None),
        ("db.s.customers.phone", "tag", "t", "x"),
    ]
    assert [(b.name, b.understood, b.clear_roles) for b in bodies] == [("db.gov.m", True, ("PII_ADMIN",))]
    assert [(r.downstream, r.role_name) for r in reads] == [("db.s.c1.email", "ANALYST"), ("db.s.c1.email", "PII_ADMIN")]


def test_a_replayed_history_changes_no_fact(tmp_path: Path) -> None:
    history = _history(tmp_path / "history.jsonl")
    store = open_graph_store("embedded", path=tmp_path / "graph")
    with Registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        registry.migrate()
        crawl_once(FileQueryHistorySource(history), store, registry, CrawlOptions())
        before = _state(registry)
        replay = _history(tmp_path / "replay.jsonl")  # the same rows under another file: read again
        crawl_once(FileQueryHistorySource(replay), store, registry, CrawlOptions())
        assert _state(registry) == before
    store.close()
