"""crawl_once on statements that rewrite a dataset in place: self-reads, TRUNCATE, UPDATE (embedded graph)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from lineage_engine.graph.store import open_graph_store
from lineage_engine.pipeline import CrawlOptions, crawl_once
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.file import FileQueryHistorySource
from tests.history_file import write_history

T0 = datetime(2026, 2, 1, 6, 0, tzinfo=timezone.utc)
ROWS = [
    ("CREATE_TABLE_AS_SELECT", "create table db.s.t as select id, email from db.s.a"),
    # dedupe in place: the new t derives from the old t, so a stays an upstream
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.t as select distinct * from db.s.t where id > 0"),
    ("INSERT", "insert overwrite into db.s.u select id, email from db.s.u join db.s.b using (id)"),
    ("INSERT", "insert into db.s.u select id, email from db.s.c"),
    ("TRUNCATE_TABLE", "truncate table db.s.u"),  # every row gone: b and c no longer flow into u
    ("INSERT", "insert into db.s.u select id, sha2(email) as email from db.s.d"),
    ("UPDATE", "update db.s.t set email = null where id = 7"),  # reads no other dataset: changes no edge
]


def test_self_reads_keep_upstreams_and_truncate_closes_them(tmp_path: Path) -> None:
    source = write_history(tmp_path / "h.jsonl", ROWS, T0)
    store = open_graph_store("embedded", path=tmp_path / "graph")
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    registry.migrate()
    try:
        report = crawl_once(FileQueryHistorySource(source), store, registry, CrawlOptions(batch_size=3))
        assert report.quarantined == 0
        edges = {(e.downstream, e.upstream): e.valid_to for e in store.iter_edges()}
        columns = {(e.downstream, e.upstream, e.transform) for e in store.iter_column_edges() if e.valid_to is None}
    finally:
        store.close()
        registry.close()
    truncated_at = T0.replace(minute=4)
    assert edges == {
        ("db.s.t", "db.s.a"): None,  # kept open through the self-reading replace
        ("db.s.u", "db.s.b"): truncated_at,
        ("db.s.u", "db.s.c"): truncated_at,
        ("db.s.u", "db.s.d"): None,
    }  # and no self-loop t <- t or u <- u
    assert ("db.s.t.email", "db.s.a.email", "identity") in columns
    assert {c for c in columns if c[0].startswith("db.s.u.")} == {
        ("db.s.u.id", "db.s.d.id", "identity"), ("db.s.u.email", "db.s.d.email", "masked")}


def crawl_edges(tmp_path: Path, rows: list[tuple[str, str]]) -> tuple[dict, set]:
    source = write_history(tmp_path / "h.jsonl", rows, T0)
    store = open_graph_store("embedded", path=tmp_path / "graph")
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    registry.migrate()
    try:
        crawl_once(FileQueryHistorySource(source), store, registry, CrawlOptions(batch_size=2))
        edges = {(e.downstream, e.upstream): e.valid_to for e in store.iter_edges()}
        columns = {(e.downstream, e.upstream) for e in store.iter_column_edges() if e.valid_to is None}
    finally:
        store.close()
        registry.close()
    return edges, columns


def test_back_up_to_a_temp_empty_and_reload_keeps_the_upstreams(tmp_path: Path) -> None:
    edges, columns = crawl_edges(tmp_path, [
        ("CREATE_TABLE_AS_SELECT", "create table db.s.t as select id, email from db.s.a"),
        ("CREATE_TABLE_AS_SELECT", "create temporary table db.s.keep as select distinct id, email from db.s.t"),
        ("TRUNCATE_TABLE", "truncate table db.s.t"),
        ("INSERT", "insert into db.s.t select id, email from db.s.keep"),
    ])
    assert edges == {("db.s.t", "db.s.a"): None}
    assert ("db.s.t.email", "db.s.a.email") in columns


def test_a_temp_swapped_onto_the_table_it_read_keeps_that_tables_upstreams(tmp_path: Path) -> None:
    edges, _ = crawl_edges(tmp_path, [
        ("CREATE_TABLE_AS_SELECT", "create table db.s.t as select id, email from db.s.a"),
        ("CREATE_TABLE_AS_SELECT", "create table db.s.t__dbt_tmp as select id, email from db.s.t "
                                   "union all select id, email from db.s.b"),
        ("ALTER_TABLE", "alter table db.s.t__dbt_tmp swap with db.s.t"),
    ])
    assert edges == {("db.s.t", "db.s.a"): None, ("db.s.t", "db.s.b"): None}


def test_an_update_inside_a_temp_is_resolved_through_the_temp(tmp_path: Path) -> None:
    _, columns = crawl_edges(tmp_path, [
        ("CREATE_TABLE_AS_SELECT", "create temporary table db.s.tmp as select id, email, '' as notes from db.s.a"),
        ("UPDATE", "update db.s.tmp set notes = email"),
        ("INSERT", "insert into db.s.mart select id, notes from db.s.tmp"),
    ])
    assert columns == {("db.s.mart.id", "db.s.a.id"), ("db.s.mart.notes", "db.s.a.email")}


def test_clone_and_swap_keeps_the_column_edges_inside_the_table(tmp_path: Path) -> None:
    _, columns = crawl_edges(tmp_path, [
        ("CREATE_TABLE_AS_SELECT", "create table db.s.t as select id, email, notes from db.s.a"),
        ("UPDATE", "update db.s.t set notes = email"),
        ("CREATE_TABLE", "create table db.s.t_new clone db.s.t"),
        ("ALTER_TABLE", "alter table db.s.t_new swap with db.s.t"),
    ])
    assert ("db.s.t.notes", "db.s.t.email") in columns  # inherited through the clone
    assert ("db.s.t_new.notes", "db.s.t_new.email") in columns  # the old t's own edge, moved
