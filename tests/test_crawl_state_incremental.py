"""Crawl state kept row by row (issue 13 §1): a batch commit writes what the batch changed,
sessions end after their idle time, and a crawl stopped anywhere resumes to the same graph."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import event

from lineage_engine.graph.store import GraphStore, open_graph_store
from lineage_engine.pipeline import CrawlOptions, crawl_once
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.file import FileQueryHistorySource
from tests.cli_run import file_config, run_cli
from tests.history_file import write_history

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
TEMPS = 30


def rows() -> list[tuple[str, str]]:
    """One session that keeps creating temps (never dropped) and loads a table from each."""
    out = []
    for i in range(TEMPS):
        out.append(("CREATE_TABLE_AS_SELECT", f"create temporary table db.s.tmp{i} as select id, email from db.s.src{i}"))
        out.append(("INSERT", f"insert into db.s.t{i % 3} select id, email from db.s.tmp{i}"))
    return out


def crawl(folder: Path, source: Path, *, stop_after: int | None = None,
          options: CrawlOptions = CrawlOptions(batch_size=1)) -> tuple[GraphStore, Registry]:
    store = open_graph_store("embedded", path=folder / "graph")
    registry = Registry(f"sqlite:///{folder / 'registry.db'}")
    registry.migrate()
    store.migrate()
    read = [0]
    stop = (lambda: read[0] >= stop_after) if stop_after is not None else None
    crawl_once(FileQueryHistorySource(source), store, registry, options,
               progress=lambda n: read.__setitem__(0, n), stop=stop)
    return store, registry


def test_a_batch_commit_writes_only_what_the_batch_changed(tmp_path: Path) -> None:
    source = write_history(tmp_path / "h.jsonl", rows(), T0)
    store = open_graph_store("embedded", path=tmp_path / "graph")
    store.migrate()
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    registry.migrate()
    written: list[int] = []  # crawl-state rows inserted per statement

    def count(conn: object, cursor: object, statement: str, parameters: object, context: object,
              executemany: bool) -> None:
        if statement.lstrip().upper().startswith(("INSERT INTO CRAWL_TEMP", "INSERT INTO CRAWL_LEARNED")):
            written.append(len(parameters) if executemany else 1)  # type: ignore[arg-type]

    event.listen(registry._engine, "before_cursor_execute", count)
    crawl_once(FileQueryHistorySource(source), store, registry, CrawlOptions(batch_size=1))
    store.close()
    # every row writes at most its own temp and its own learned dataset, whatever came before
    assert written and max(written) <= 1, written
    _, state = registry.get_crawl_state(FileQueryHistorySource(source).key)
    [session] = state["sessions"]
    assert len(session["temps"]) == TEMPS  # all still live: the session never ended


def test_a_crawl_stopped_anywhere_resumes_to_the_same_graph_and_state(tmp_path: Path) -> None:
    source = write_history(tmp_path / "h.jsonl", rows()[:12], T0)
    clean, clean_registry = crawl(tmp_path / "clean", source)
    expected = (clean.counts(), list(clean.iter_column_edges()), list(clean.iter_edges()))
    expected_state = clean_registry.get_crawl_state(FileQueryHistorySource(source).key)[1]
    clean.close()
    assert expected[1], "column edges resolved through the temps"
    for cut in range(1, 12):
        folder = tmp_path / f"cut{cut}"
        first, _ = crawl(folder, source, stop_after=cut)
        first.close()
        resumed, registry = crawl(folder, source)
        assert (resumed.counts(), list(resumed.iter_column_edges()), list(resumed.iter_edges())) == expected, cut
        assert registry.get_crawl_state(FileQueryHistorySource(source).key)[1] == expected_state, cut
        resumed.close()


def test_a_session_idle_longer_than_its_idle_time_has_ended(tmp_path: Path) -> None:
    # rows are one minute apart: with 90 s of idle time the session survives, with 30 s it ends
    history = [("CREATE_TABLE_AS_SELECT", "create temporary table db.s.tmp as select id from db.s.src"),
               ("SELECT", "select 1"),
               ("INSERT", "insert into db.s.t select id from db.s.tmp")]
    source = write_history(tmp_path / "h.jsonl", history, T0)
    kept, _ = crawl(tmp_path / "kept", source, options=CrawlOptions(session_idle=timedelta(seconds=90)))
    assert {(e.downstream, e.upstream) for e in kept.iter_edges()} == {("db.s.t", "db.s.src")}
    kept.close()
    ended, registry = crawl(tmp_path / "ended", source, options=CrawlOptions(session_idle=timedelta(seconds=30)))
    # the temp ended with its session: the name now means a persistent table of that name
    assert {(e.downstream, e.upstream) for e in ended.iter_edges()} == {("db.s.t", "db.s.tmp")}
    # the stored state keeps no temp: the session that held it ended (the INSERT opened it anew at
    # 08:02, which remembers its read of db.s.tmp for a creation that may still come: README Late rows)
    sessions = registry.get_crawl_state(FileQueryHistorySource(source).key)[1].get("sessions") or []
    assert [(s["last_seen"], s["temps"]) for s in sessions] in ([], [("2026-01-05T08:02:00+00:00", {})])
    ended.close()


def test_crawl_profile_prints_where_the_time_went(tmp_path: Path) -> None:
    source = write_history(tmp_path / "h.jsonl", rows()[:6], T0)
    config = file_config(tmp_path / "cli", source, batch_size=2, extra="")
    out = run_cli(config, "crawl", "--profile").stdout
    for kind in ("parse", "graph.create_intervals", "graph.create_columns", "registry.state.write", "source"):
        assert kind in out, out
    assert "graph." not in run_cli(config, "crawl").stdout  # without --profile: no table
