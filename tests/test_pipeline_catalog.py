"""crawl_once with a catalog snapshot under the learned schema (issue 5): layering, cache, resume."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from lineage_engine.graph.store import GraphStore, open_graph_store
from lineage_engine.model import QueryRecord
from lineage_engine.parsing.learned_schema import CrawlSchema, LearnedSchema
from lineage_engine.parsing.schema import MappingSchemaProvider, SchemaProvider
from lineage_engine.pipeline import CrawlOptions, ParseCache, crawl_once
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.file import FileQueryHistorySource
from tests.history_file import write_history

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)

ROWS = [
    # ext is never defined by the history: only the catalog knows it.
    ("INSERT", "insert into db.s.t select * from db.s.ext"),
    # a is defined here with two columns; the catalog says a has three now (a column added later).
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.a as select id, email from db.s.src"),
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.b as select * from db.s.a"),
    ("INSERT", "insert into db.s.t2 select * from db.s.ext"),
]
CATALOG = MappingSchemaProvider({"DB.S.EXT": ["K", "V"], "db.s.a": ["id", "email", "phone"]})


def history(path: Path) -> Path:
    return write_history(path, ROWS, T0)


def crawl(folder: Path, source: Path, catalog: SchemaProvider | None, *,
          stop_after: int | None = None) -> tuple[GraphStore, Registry]:
    store = open_graph_store("embedded", path=folder / "graph")
    registry = Registry(f"sqlite:///{folder / 'registry.db'}")
    registry.migrate()
    read = [0]
    stop = (lambda: read[0] >= stop_after) if stop_after is not None else None
    crawl_once(FileQueryHistorySource(source), store, registry, CrawlOptions(batch_size=1),
               progress=lambda n: read.__setitem__(0, n), stop=stop, catalog=catalog)
    return store, registry


def open_columns(store: GraphStore) -> set[tuple[str, str]]:
    return {(e.downstream, e.upstream) for e in store.iter_column_edges() if e.valid_to is None}


def test_the_catalog_expands_what_the_history_never_defined_and_learned_columns_win(tmp_path: Path) -> None:
    source = history(tmp_path / "h.jsonl")
    store, registry = crawl(tmp_path / "with", source, CATALOG)
    edges = open_columns(store)
    assert {e for e in edges if e[0].startswith("db.s.t.")} == {("db.s.t.k", "db.s.ext.k"), ("db.s.t.v", "db.s.ext.v")}
    # a: the history's two columns, not the catalog's three (the catalog is now, the CTAS was then)
    assert {e for e in edges if e[0].startswith("db.s.b.")} == {("db.s.b.id", "db.s.a.id"),
                                                                ("db.s.b.email", "db.s.a.email")}
    # the crawl state keeps what was learned, never the catalog
    _, state = registry.get_crawl_state(FileQueryHistorySource(source).key)
    assert [d for d, _ in state["schema"]] == ["db.s.a", "db.s.b"]
    store.close()

    without, _ = crawl(tmp_path / "without", source, None)
    assert {e for e in open_columns(without) if e[0].startswith("db.s.t.")} == {("db.s.t.*", "db.s.ext.*")}
    without.close()


def test_a_crawl_stopped_anywhere_resumes_to_the_same_graph_with_the_catalog(tmp_path: Path) -> None:
    source = history(tmp_path / "h.jsonl")
    clean, _ = crawl(tmp_path / "clean", source, CATALOG)
    expected = (list(clean.iter_column_edges()), list(clean.iter_edges()))
    clean.close()
    for cut in range(1, len(ROWS)):
        folder = tmp_path / f"cut{cut}"
        first, _ = crawl(folder, source, CATALOG, stop_after=cut)
        first.close()  # a new process: the catalog is loaded again, the learned part comes from the state
        resumed, _ = crawl(folder, source, CATALOG)
        assert (list(resumed.iter_column_edges()), list(resumed.iter_edges())) == expected, cut
        resumed.close()


def test_a_cached_extraction_is_reused_only_while_the_layered_answers_hold() -> None:
    record = QueryRecord(query_id="q1", query_text="insert into db.s.t select * from db.s.ext", query_type="INSERT",
                         start_time=T0, end_time=T0, database_name="DB", schema_name="S")
    cache, options, learned = ParseCache(10), CrawlOptions(), LearnedSchema()

    def targets(catalog: SchemaProvider | None) -> tuple[set[str], bool]:
        result, hit = cache.get_or_extract(record, options, (), CrawlSchema(learned, catalog))
        return {c.target for st in result.statements for c in st.columns}, hit

    assert targets(CATALOG) == ({"db.s.t.k", "db.s.t.v"}, False)
    assert targets(MappingSchemaProvider({"db.s.ext": ["k", "v"], "x.y.z": ["q"]})) == ({"db.s.t.k", "db.s.t.v"}, True)
    # the catalog changed (a reload between two windows): the cached result is not served
    assert targets(MappingSchemaProvider({"db.s.ext": ["k", "v", "w"]})) == ({"db.s.t.k", "db.s.t.v", "db.s.t.w"}, False)
    assert targets(None) == ({"db.s.t.*"}, False)
