"""crawl_once with column lineage (issue 5): learned schema, cache validity, exact resume, storage policy."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from lineage_engine.graph.store import GraphStore, open_graph_store
from lineage_engine.pipeline import CrawlOptions, crawl_once, options_from_settings
from lineage_engine.registry.repository import Registry
from lineage_engine.settings import TelemetrySettings
from lineage_engine.sources.file import FileQueryHistorySource
from tests.history_file import write_history

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)

ROWS = [
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.a as select id, email, country from db.s.src"),
    ("INSERT", "insert into db.s.t select * from db.s.u"),  # u unknown yet: a star edge
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.u as select k, v from db.s.src2"),
    ("INSERT", "insert into db.s.t select * from db.s.u"),  # the same text: now u's columns are known
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.b as select * from db.s.a where country = 'x'"),
    ("CREATE_TABLE_AS_SELECT", "create or replace temporary table db.s.c__dbt_tmp as select id, sha2(email) as e from db.s.b"),
    ("INSERT", "insert into db.s.c select * from db.s.c__dbt_tmp"),  # the temp's columns, learned a row earlier
]


def history(path: Path) -> Path:
    return write_history(path, ROWS, T0)


def crawl(folder: Path, source: Path, *, options: CrawlOptions = CrawlOptions(batch_size=2),
          stop_after: int | None = None) -> tuple[GraphStore, Registry]:
    store = open_graph_store("embedded", path=folder / "graph")
    registry = Registry(f"sqlite:///{folder / 'registry.db'}")
    registry.migrate()
    read = [0]
    stop = (lambda: read[0] >= stop_after) if stop_after is not None else None
    crawl_once(FileQueryHistorySource(source), store, registry, options, progress=lambda n: read.__setitem__(0, n),
               stop=stop)
    return store, registry


def open_columns(store: GraphStore) -> set[tuple[str, str, str]]:
    return {(e.downstream, e.upstream, e.transform) for e in store.iter_column_edges() if e.valid_to is None}


def test_earlier_outputs_resolve_select_star_and_a_cached_text_is_re_extracted(tmp_path: Path) -> None:
    store, _ = crawl(tmp_path / "run", history(tmp_path / "h.jsonl"))
    edges = open_columns(store)
    # the first INSERT could only say u.* -> t.*; the same text after u was created names the columns
    assert {("db.s.t.*", "db.s.u.*", "identity"), ("db.s.t.k", "db.s.u.k", "identity"),
            ("db.s.t.v", "db.s.u.v", "identity")} <= edges
    assert {e for e in edges if e[0].startswith("db.s.b.")} == {
        ("db.s.b.id", "db.s.a.id", "identity"), ("db.s.b.email", "db.s.a.email", "identity"),
        ("db.s.b.country", "db.s.a.country", "identity")}  # SELECT * over a, from the crawl's schema
    # through the temp (collapsed): c.e <- b.email, hashed
    assert {e for e in edges if e[0].startswith("db.s.c.")} == {
        ("db.s.c.id", "db.s.b.id", "identity"), ("db.s.c.e", "db.s.b.email", "masked")}
    assert not any("__dbt_tmp" in c for e in edges for c in e[:2])
    assert all(e.kind == "DIRECT" for e in store.iter_column_edges())  # INDIRECT not stored by default
    store.close()


def test_a_crawl_stopped_anywhere_resumes_to_the_same_column_graph(tmp_path: Path) -> None:
    source = history(tmp_path / "h.jsonl")
    clean, _ = crawl(tmp_path / "clean", source)
    expected = (clean.counts(), list(clean.iter_column_edges()), list(clean.iter_edges()))
    clean.close()
    for cut in range(1, len(ROWS)):
        folder = tmp_path / f"cut{cut}"
        first, _ = crawl(folder, source, stop_after=cut)
        first.close()  # a new process: a fresh parse cache, schema and temps from the stored state
        resumed, registry = crawl(folder, source)
        assert (resumed.counts(), list(resumed.iter_column_edges()), list(resumed.iter_edges())) == expected, cut
        _, state = registry.get_crawl_state(FileQueryHistorySource(source).key)
        assert [d for d, _ in state["schema"]] == ["db.s.a", "db.s.u", "db.s.b", "db.s.c__dbt_tmp"]
        resumed.close()


def test_indirect_column_edges_are_stored_only_when_configured(tmp_path: Path) -> None:
    assert TelemetrySettings().store_indirect_column_edges is False
    options = options_from_settings(TelemetrySettings(store_indirect_column_edges=True))
    assert options.store_indirect_column_edges is True
    store, _ = crawl(tmp_path / "run", history(tmp_path / "h.jsonl"), options=options)
    indirect = {(e.downstream, e.upstream) for e in store.iter_column_edges() if e.kind == "INDIRECT"}
    assert ("db.s.b.id", "db.s.a.country") in indirect  # the WHERE clause chooses b's rows
    store.close()


def test_the_crawl_parse_keeps_every_column_read_for_access_history() -> None:
    from lineage_engine.model import QueryRecord
    from lineage_engine.parsing.schema import MappingSchemaProvider
    from lineage_engine.pipeline import ParseCache

    record = QueryRecord("q1", "insert into db.s.t select id, email from db.s.src where country = 'x'; "
                         "select phone from db.s.src", "INSERT", T0, T0, database_name="DB", schema_name="S")
    result, _ = ParseCache(10).get_or_extract(record, CrawlOptions(), (), schema=MappingSchemaProvider({}))
    # the graph keeps DIRECT edges only (store_indirect_column_edges: false); the reads keep the filter and the SELECT
    assert {c.source for st in result.statements if st.target for c in st.columns} == {"db.s.src.id", "db.s.src.email"}
    assert result.reads == ("db.s.src.country", "db.s.src.email", "db.s.src.id", "db.s.src.phone")
