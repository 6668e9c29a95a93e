"""Column lineage through temporary objects (SessionResolver, issue 5): composed, never a node."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from lineage_engine.model import LineageEvent, QueryRecord
from lineage_engine.parsing.extract import extract_lineage
from lineage_engine.parsing.temp_tables import SessionResolver

T0 = datetime(2026, 8, 23, 6, 0, tzinfo=timezone.utc)


class Session:
    """Feed texts (extracted with column lineage) through one resolver as rows of one session."""

    def __init__(self, resolver: SessionResolver | None = None) -> None:
        self.resolver = resolver or SessionResolver()
        self.n = 0

    def run(self, text: str) -> list[LineageEvent]:
        self.n += 1
        record = QueryRecord(query_id=f"q{self.n}", query_text=text, query_type="X",
                             start_time=T0 + timedelta(seconds=self.n), end_time=T0 + timedelta(seconds=self.n),
                             database_name="DB", schema_name="S", session_id="s1", user_name="DBT")
        result = extract_lineage(text, default_database="DB", default_schema="S", columns=True)
        return self.resolver.feed(record, result)


def direct(events: list[LineageEvent]) -> list[tuple[str, str, str]]:
    return [(c.source, c.target, c.transform) for e in events for c in e.columns if c.kind == "DIRECT"]


def test_target_column_from_a_temp_column_collapses_to_the_source_column_masked_stays_masked() -> None:
    s = Session()
    assert s.run("create temporary table tmp as select sha2(email) as eh, id, name from db.s.src") == []
    events = s.run("insert into db.s.t (email_hash, id, label) select eh, id, upper(name) from tmp")
    assert [(e.target.id, [x.id for x in e.sources], e.via) for e in events] == [("db.s.t", ["db.s.src"], ("db.s.tmp",))]
    assert direct(events) == [
        ("db.s.src.email", "db.s.t.email_hash", "masked"),  # hashed in the temp, copied out: still masked
        ("db.s.src.id", "db.s.t.id", "identity"),
        ("db.s.src.name", "db.s.t.label", "expression"),
    ]
    assert not any("tmp" in c.source or "tmp" in c.target for e in events for c in e.columns)


def test_dbt_incremental_temp_view_merge_and_delete_insert() -> None:
    s = Session()
    s.run("create or replace temporary view db.s.m__dbt_tmp as (select a.id, a.v * 2 as v2 from db.s.a a)")
    merged = s.run("merge into db.s.m d using db.s.m__dbt_tmp t on d.id = t.id "
                   "when matched then update set v2 = t.v2 when not matched then insert (id, v2) values (t.id, t.v2)")
    assert ("db.s.a.v", "db.s.m.v2", "expression") in direct(merged)
    assert {c.source.rpartition(".")[0] for e in merged for c in e.columns if c.kind == "DIRECT"} == {"db.s.a"}
    # the ON key d.id is the target's own column: an INDIRECT edge inside m (the graph drops it)
    assert {c.source for e in merged for c in e.columns if c.source.startswith("db.s.m.")} == {"db.s.m.id"}
    s.run("create or replace temporary table db.s.n__dbt_tmp as select id, v from db.s.a")
    inserted = s.run("insert into db.s.n (id, v) select id, v from db.s.n__dbt_tmp")
    assert direct(inserted) == [("db.s.a.id", "db.s.n.id", "identity"), ("db.s.a.v", "db.s.n.v", "identity")]


def test_temp_built_from_temp_composes_twice_and_insert_adds_alternatives() -> None:
    s = Session()
    s.run("create temporary table t1 as select md5(e) as e from db.s.src")
    s.run("create temporary table t2 as select e from t1")
    s.run("insert into t2 select e from db.s.clear")  # t2.e now also holds a clear value
    events = s.run("create table db.s.out as select e from t2")
    assert direct(events) == [("db.s.clear.e", "db.s.out.e", "identity"), ("db.s.src.e", "db.s.out.e", "masked")]
    assert events[0].via == ("db.s.t1", "db.s.t2")


def test_unknown_temp_columns_are_dropped_with_the_read() -> None:
    s = Session()
    events = s.run("insert into db.s.t select x from db.s.never_seen__dbt_tmp")
    assert [e.sources for e in events] == [()] and direct(events) == []
    assert [u.temp_id for u in s.resolver.unresolved] == ["db.s.never_seen__dbt_tmp"]


def test_temp_renamed_onto_a_persistent_name_carries_its_columns() -> None:
    s = Session()
    s.run("create or replace temporary table db.s.x__dbt_tmp as select lower(e) as e from db.s.src")
    events = s.run("alter table db.s.x__dbt_tmp rename to db.s.x")
    assert [(e.operation.value, e.target.id) for e in events] == [("replace", "db.s.x")]
    assert direct(events) == [("db.s.src.e", "db.s.x.e", "expression")]


def test_column_state_round_trips_for_exact_resume() -> None:
    s = Session()
    s.run("create temporary table tmp as select sha2(e) as e, k from db.s.src")
    state = json.loads(json.dumps(s.resolver.to_state()))
    [temp] = state["sessions"][0]["temps"].values()
    assert sorted(temp["columns"]) == ["e", "k"]
    resumed = Session(SessionResolver.from_state(state))
    resumed.n = s.n
    text = "insert into db.s.t select e, k from tmp"
    assert direct(resumed.run(text)) == direct(s.run(text)) == [
        ("db.s.src.e", "db.s.t.e", "masked"), ("db.s.src.k", "db.s.t.k", "identity")]
