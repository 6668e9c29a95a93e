"""Crawl state: watermarks in aware UTC; quarantine deduplicated across re-crawls."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from lineage_engine.model import QuarantineEntry, Watermark
from lineage_engine.registry import Registry
from lineage_engine.registry.engine import parse_registry_url
from lineage_engine.registry.tables import QuarantineRow

T0 = datetime(2024, 3, 14, 9, 0, tzinfo=timezone.utc)
CET = timezone(timedelta(hours=1))


def test_watermark_roundtrip_in_aware_utc(registry: Registry) -> None:
    assert registry.get_watermark("snowflake") is None
    local = datetime(2024, 3, 14, 10, 0, 0, 123456, tzinfo=CET)
    registry.set_watermark(Watermark("snowflake", local, "01b2-q1", rows_total=10))
    stored = registry.get_watermark("snowflake")
    assert stored == Watermark("snowflake", T0.replace(microsecond=123456), "01b2-q1", rows_total=10)
    assert stored is not None and stored.end_time.tzinfo == timezone.utc

    registry.set_watermark(Watermark("snowflake", T0 + timedelta(hours=1), "01b2-q9", rows_total=25))
    registry.set_watermark(Watermark("file", T0, "f-1"))
    assert registry.get_watermark("snowflake") == Watermark("snowflake", T0 + timedelta(hours=1), "01b2-q9", 25)
    assert registry.get_watermark("file") == Watermark("file", T0, "f-1", 0)


def test_crawl_state_keeps_resolver_state_with_the_watermark(registry: Registry) -> None:
    assert registry.get_crawl_state("snowflake") == (None, {})
    state = {"sessions": [{"key": ["42"], "last_seen": T0.isoformat(), "temps": {"db.s.tmp": {"via": []}}}]}
    registry.set_crawl_state(Watermark("snowflake", T0, "q1", 5), state)
    assert registry.get_crawl_state("snowflake") == (Watermark("snowflake", T0, "q1", 5), state)
    registry.set_watermark(Watermark("snowflake", T0 + timedelta(minutes=1), "q2", 6))  # state kept
    assert registry.get_crawl_state("snowflake")[1] == state
    registry.set_crawl_state(Watermark("snowflake", T0 + timedelta(minutes=2), "q3", 7), {})
    assert registry.get_crawl_state("snowflake") == (Watermark("snowflake", T0 + timedelta(minutes=2), "q3", 7), {})
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        registry.set_crawl_state(Watermark("snowflake", T0, "q4"), {"at": T0})


def test_naive_watermark_is_refused(registry: Registry) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        registry.set_watermark(Watermark("snowflake", datetime(2024, 3, 14), "q"))
    assert registry.get_watermark("snowflake") is None


def _entry(query_id: str | None, position: str, code: str = "parse_error", **kw: object) -> QuarantineEntry:
    return QuarantineEntry("snowflake", query_id, position, code, "cannot parse statement 1 at line 1",
                           **kw)  # type: ignore[arg-type]  # fmt: skip


def test_quarantine_repeats_bump_occurrences(registry: Registry) -> None:
    first = [
        _entry("q1", "page:1", seen_at=T0, fingerprint="f1", redacted_text="select ?"),
        _entry("q1", "page:1", code="truncated", seen_at=T0),
        _entry(None, "history.csv:7", code="malformed_row", seen_at=T0),
        _entry("q1", "page:1", seen_at=T0 + timedelta(minutes=1)),  # repeat within the batch
    ]
    assert registry.add_quarantine(first) == 3
    recrawl = [
        _entry("q1", "page:2", seen_at=T0 + timedelta(hours=1), fingerprint="f2", redacted_text="x" * 5000),
        _entry(None, "history.csv:7", code="malformed_row", seen_at=T0 + timedelta(hours=1)),
        _entry(None, "history.csv:8", code="malformed_row", seen_at=T0 + timedelta(hours=1)),
        QuarantineEntry("file", "q1", "page:1", "parse_error", "other source"),
    ]
    assert registry.add_quarantine(recrawl) == 2
    assert registry.count_quarantine() == 5
    assert registry.count_quarantine("snowflake") == 4
    assert registry.count_quarantine("nothing") == 0

    listed = registry.list_quarantine(limit=10)
    assert len(listed) == 5
    assert listed[0].source == "file" and listed[0].seen_at is not None  # seen now: newest
    q1 = next(e for e in listed if e.query_id == "q1" and e.reason_code == "parse_error" and e.source == "snowflake")
    assert q1.seen_at == T0 + timedelta(hours=1)
    assert q1.position == "page:2" and q1.fingerprint == "f2"
    assert q1.redacted_text == "x" * 4000
    # most recently seen first; ties by newest row
    assert [(e.source, e.position, e.reason_code) for e in listed] == [
        ("file", "page:1", "parse_error"),
        ("snowflake", "history.csv:8", "malformed_row"),
        ("snowflake", "page:2", "parse_error"),
        ("snowflake", "history.csv:7", "malformed_row"),
        ("snowflake", "page:1", "truncated"),
    ]
    assert registry.list_quarantine(limit=2) == listed[:2]


def test_quarantine_occurrences_are_counted(registry: Registry, registry_url: str) -> None:
    registry.add_quarantine([_entry("q1", "p", seen_at=T0)] * 3)
    registry.add_quarantine([_entry("q1", "p", seen_at=T0 + timedelta(minutes=5))])
    engine = create_engine(parse_registry_url(registry_url))
    try:
        with Session(engine) as session:
            row = session.scalars(select(QuarantineRow)).one()
    finally:
        engine.dispose()
    assert (row.occurrences, row.first_seen_at, row.last_seen_at) == (4, T0, T0 + timedelta(minutes=5))


def test_commit_crawl_state_writes_changes_row_by_row(registry: Registry) -> None:
    from lineage_engine.registry.crawl_state import CrawlStateChanges

    s1, s2 = ("session", "1"), ("user_db", "DBT", "DB")
    registry.commit_crawl_state(Watermark("f", T0, "q1", 1), CrawlStateChanges(
        sessions={s1: T0, s2: T0}, temps={(s1, "db.s.a"): {"upstreams": [["db.s.x", "X", "table"]], "via": []},
                                           (s2, "db.s.b"): {"upstreams": [], "via": ["db.s.c"]}},
        learned={"db.s.t": (0, ("id", "email")), "db.s.u": (1, ("k",))}))
    registry.commit_crawl_state(Watermark("f", T0 + timedelta(minutes=1), "q2", 2), CrawlStateChanges(
        sessions={s1: T0 + timedelta(minutes=1)}, temps={(s1, "db.s.a2"): {"upstreams": [], "via": []}},
        gone_temps={(s1, "db.s.a")}, gone_sessions={s2}, learned={"db.s.t": (2, ("id",))}, forgotten={"db.s.u"}))
    mark, state = registry.get_crawl_state("f")
    assert mark == Watermark("f", T0 + timedelta(minutes=1), "q2", 2)
    assert state == {
        "sessions": [{"key": ["session", "1"], "last_seen": (T0 + timedelta(minutes=1)).isoformat(),
                      "temps": {"db.s.a2": {"upstreams": [], "via": []}}}],
        "schema": [["db.s.t", ["id"]]], "schema_order": [2]}
    registry.set_crawl_state(Watermark("f", T0, "q3", 3), {})  # a full replace clears everything
    assert registry.get_crawl_state("f")[1] == {}


def test_reset_watermark_forgets_the_crawl_state_rows_too(registry: Registry) -> None:
    """A crawl after --reset-watermark starts from an empty state, also after a crash (issue 13)."""
    from lineage_engine.registry.crawl_state import CrawlStateChanges

    s1 = ("session", "1")
    registry.commit_crawl_state(Watermark("f", T0, "q1", 1), CrawlStateChanges(
        sessions={s1: T0}, temps={(s1, "db.s.a"): {"upstreams": [], "via": []}},
        learned={"db.s.t": (0, ("id", "email"))}))
    assert registry.reset_watermark("f") is True
    # the next crawl commits its first batch (changes only), then is killed: it resumes from this
    registry.commit_crawl_state(Watermark("f", T0, "q1", 1), CrawlStateChanges(learned={"db.s.u": (0, ("k",))}))
    assert registry.get_crawl_state("f")[1] == {"schema": [["db.s.u", ["k"]]], "schema_order": [0]}


def test_revision_0003_moves_a_stored_json_state_into_rows(registry_url: str) -> None:
    import json

    from alembic import command
    from sqlalchemy import text

    from lineage_engine.registry.engine import create_registry_engine
    from lineage_engine.registry.migrate import alembic_config

    url = parse_registry_url(registry_url)
    engine = create_registry_engine(url)
    state = {"sessions": [{"key": ["session", "9"], "last_seen": T0.isoformat(),
                           "temps": {"db.s.tmp": {"upstreams": [["db.s.x", "X", "table"]], "via": []}}}],
             "schema": [["db.s.t", ["id", "email"]]]}
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(text("INSERT INTO crawl_state (source, end_time, query_id, rows_total, resolver_state, "
                                "updated_at) VALUES ('f', :t, 'q1', 1, :s, :t)"),
                           {"t": T0 if url.get_backend_name() != "sqlite" else T0.replace(tzinfo=None),
                            "s": json.dumps(state)})
    engine.dispose()
    registry = Registry(registry_url)
    registry.migrate()
    assert registry.get_crawl_state("f") == (Watermark("f", T0, "q1", 1), {**state, "schema_order": [0]})
