"""SessionResolver: temporary objects collapse into ``via`` (design §5), shapes from solana."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lineage_engine.model import LineageEvent, Operation, QueryRecord
from lineage_engine.parsing.extract import extract_lineage
from lineage_engine.parsing.temp_tables import SessionResolver, UnresolvedTempRead, session_key

T0 = datetime(2026, 8, 23, 6, 0, tzinfo=timezone.utc)


class Session:
    """Feed texts through extract + resolver as consecutive rows of one session."""

    def __init__(self, resolver: SessionResolver | None = None, session_id: str | None = "s1") -> None:
        self.resolver = resolver or SessionResolver()
        self.session_id = session_id
        self.n = 0

    def run(self, text: str, query_type: str = "MERGE", **row: object) -> list[LineageEvent]:
        self.n += 1
        fields: dict[str, object] = {
            "query_id": f"q{self.n}", "query_text": text, "query_type": query_type,
            "start_time": T0 + timedelta(seconds=self.n), "end_time": T0 + timedelta(seconds=self.n, milliseconds=5),
            "database_name": "SOLANA", "schema_name": "SILVER", "session_id": self.session_id, "user_name": "DBT_PROD",
        }
        fields.update(row)
        record = QueryRecord(**fields)  # type: ignore[arg-type]
        result = extract_lineage(record.query_text, default_database=record.database_name,
                                 default_schema=record.schema_name)
        return self.resolver.feed(record, result)


def edges(events: list[LineageEvent]) -> list[tuple[str, str, list[str], tuple[str, ...]]]:
    return [(e.operation.value, e.target.id, [s.id for s in e.sources], e.via) for e in events]


def test_temp_view_then_merge_collapses_the_view() -> None:
    s = Session()
    assert s.run("create or replace temporary view SOLANA.silver.x__dbt_tmp as "
                 "(select * from SOLANA.bronze.a join SOLANA.bronze.b using (id))", "CREATE_VIEW") == []
    events = s.run("merge into SOLANA.silver.x as DBT_INTERNAL_DEST using SOLANA.silver.x__dbt_tmp as "
                   "DBT_INTERNAL_SOURCE on (FALSE) when not matched then insert (id) values (id)")
    assert edges(events) == [("merge", "solana.silver.x", ["solana.bronze.a", "solana.bronze.b"],
                              ("solana.silver.x__dbt_tmp",))]
    assert s.run("drop view if exists SOLANA.silver.x__dbt_tmp cascade", "DROP") == []
    assert s.resolver.unresolved == []


def test_event_carries_row_time_id_and_type() -> None:
    s = Session()
    [event] = s.run("create or replace view SOLANA.core.v copy grants as (select * from SOLANA.silver.x)",
                    "CREATE_VIEW")
    assert (event.at, event.query_id, event.query_type) == (T0 + timedelta(seconds=1, milliseconds=5), "q1",
                                                            "CREATE_VIEW")
    assert (event.operation, event.replaces, event.via) == (Operation.VIEW, True, ())


def test_delete_insert_as_separate_rows() -> None:
    s = Session()
    s.run("create or replace temporary table SOLANA.silver.blocks__dbt_tmp as (select * from SOLANA.bronze.raw)",
          "CREATE_TABLE_AS_SELECT")
    assert s.run("begin", "BEGIN_TRANSACTION") == []
    deleted = s.run("delete from SOLANA.silver.blocks as DBT_INTERNAL_DEST where (block_id) in "
                    "(select distinct block_id from SOLANA.silver.blocks__dbt_tmp as DBT_INTERNAL_SOURCE)", "DELETE")
    inserted = s.run('insert into SOLANA.silver.blocks ("BLOCK_ID") (select "BLOCK_ID" from '
                     "SOLANA.silver.blocks__dbt_tmp)", "INSERT")
    assert s.run("commit", "COMMIT") == []
    via = ("solana.silver.blocks__dbt_tmp",)
    assert edges(deleted) == [("delete", "solana.silver.blocks", ["solana.bronze.raw"], via)]
    assert edges(inserted) == [("insert", "solana.silver.blocks", ["solana.bronze.raw"], via)]


def test_delete_insert_in_one_multi_statement_text() -> None:
    s = Session()
    s.run("create or replace temporary view SOLANA.silver.e__dbt_tmp as (select * from SOLANA.bronze.ev)",
          "CREATE_VIEW")
    events = s.run("begin; delete from SOLANA.silver.e using SOLANA.silver.e__dbt_tmp where e.id = e__dbt_tmp.id; "
                   "insert into SOLANA.silver.e (id) (select id from SOLANA.silver.e__dbt_tmp); commit;", "DELETE")
    assert [(e.operation, [x.id for x in e.sources]) for e in events] == [
        (Operation.DELETE, ["solana.bronze.ev"]), (Operation.INSERT, ["solana.bronze.ev"])
    ]


def test_incremental_self_read_through_a_temp_is_reported_as_a_self_read() -> None:
    # The temp view reads the target (dbt's incremental filter); the event keeps that read so
    # the graph knows the new rows derive from the old ones (it stores no self-loop).
    s = Session()
    s.run("create or replace temporary view SOLANA.silver.x__dbt_tmp as (select * from SOLANA.bronze.a "
          "where ts > (select max(ts) from SOLANA.silver.x))", "CREATE_VIEW")
    events = s.run("merge into SOLANA.silver.x d using SOLANA.silver.x__dbt_tmp s on d.id = s.id "
                   "when matched then update set d.v = s.v")
    assert edges(events) == [
        ("merge", "solana.silver.x", ["solana.bronze.a", "solana.silver.x"], ("solana.silver.x__dbt_tmp",))]


def test_a_temp_reading_itself_keeps_its_upstreams_and_never_lists_itself() -> None:
    s = Session()
    s.run("create temporary table db.s.t as select * from db.s.a")
    s.run("create or replace temporary table db.s.t as select * from db.s.t where x > 1")
    events = s.run("insert into db.s.out select * from db.s.t")
    assert edges(events) == [("insert", "db.s.out", ["db.s.a"], ("db.s.t",))]


def test_temps_built_from_temps_resolve_recursively() -> None:
    s = Session()
    s.run("CREATE OR REPLACE TEMPORARY TABLE silver.pools__intermediate_tmp AS SELECT * FROM SOLANA.bronze.logs",
          "CREATE_TABLE_AS_SELECT")
    s.run("create or replace temporary view SOLANA.silver.pools__dbt_tmp as (select * from "
          "silver.pools__intermediate_tmp join SOLANA.silver.tokens using (mint))", "CREATE_VIEW")
    [event] = s.run("merge into SOLANA.silver.pools d using SOLANA.silver.pools__dbt_tmp s on d.id = s.id "
                    "when matched then delete")
    assert [x.id for x in event.sources] == ["solana.bronze.logs", "solana.silver.tokens"]
    assert event.via == ("solana.silver.pools__dbt_tmp", "solana.silver.pools__intermediate_tmp")


def test_create_or_replace_resets_a_temp_and_insert_adds_to_it() -> None:
    s = Session()
    s.run("create temporary table SOLANA.silver.t1 as select * from SOLANA.bronze.a", "CREATE_TABLE_AS_SELECT")
    s.run("insert into SOLANA.silver.t1 select * from SOLANA.bronze.b", "INSERT")  # no TEMPORARY keyword here
    [event] = s.run("create table SOLANA.gold.g as select * from SOLANA.silver.t1", "CREATE_TABLE_AS_SELECT")
    assert [x.id for x in event.sources] == ["solana.bronze.a", "solana.bronze.b"]
    s.run("create or replace temporary table SOLANA.silver.t1 as select * from SOLANA.bronze.c",
          "CREATE_TABLE_AS_SELECT")
    [event] = s.run("insert into SOLANA.gold.g select * from SOLANA.silver.t1", "INSERT")
    assert ([x.id for x in event.sources], event.via) == (["solana.bronze.c"], ("solana.silver.t1",))


def test_unknown_temp_read_is_noted_never_a_node() -> None:
    s = Session()
    events = s.run("merge into SOLANA.silver.x d using SOLANA.silver.x__dbt_tmp s on d.id = s.id "
                   "when matched then delete")
    assert edges(events) == [("merge", "solana.silver.x", [], ())]
    assert s.resolver.unresolved == [UnresolvedTempRead("q1", "solana.silver.x__dbt_tmp", "solana.silver.x")]


def test_dropped_temp_is_forgotten() -> None:
    s = Session()
    s.run("create or replace temporary view SOLANA.silver.x__dbt_tmp as (select * from SOLANA.bronze.a)",
          "CREATE_VIEW")
    s.run("drop view if exists SOLANA.silver.x__dbt_tmp cascade", "DROP")
    s.run("insert into SOLANA.silver.x select * from SOLANA.silver.x__dbt_tmp", "INSERT")
    assert [u.temp_id for u in s.resolver.unresolved] == ["solana.silver.x__dbt_tmp"]


def test_temp_objects_are_scoped_to_their_session() -> None:
    resolver = SessionResolver()
    one, two = Session(resolver, "s1"), Session(resolver, "s2")
    one.run("create temporary table SOLANA.silver.t as select * from SOLANA.bronze.a", "CREATE_TABLE_AS_SELECT")
    [event] = two.run("create table SOLANA.gold.g as select * from SOLANA.silver.t", "CREATE_TABLE_AS_SELECT")
    # In session s2, t is not a temp: it is read as the persistent table of that name.
    assert [x.id for x in event.sources] == ["solana.silver.t"]


def test_fallback_session_key_is_user_and_database() -> None:
    record = QueryRecord(query_id="q", query_text="", query_type="SELECT", start_time=T0, end_time=T0,
                         database_name="solana", user_name="dbt_prod")
    assert session_key(record) == ("user_db", "DBT_PROD", "SOLANA")
    resolver = SessionResolver()
    a, b = Session(resolver, None), Session(resolver, None)
    a.run("create temporary table SOLANA.silver.t as select * from SOLANA.bronze.a", "CREATE_TABLE_AS_SELECT")
    [event] = b.run("create table SOLANA.gold.g as select * from SOLANA.silver.t", "CREATE_TABLE_AS_SELECT")
    assert [x.id for x in event.sources] == ["solana.bronze.a"]


def test_persistent_statements_map_one_to_one() -> None:
    s = Session()
    texts = [
        ("create or replace table SOLANA.gov.f_swap clone SOLANA.gov.f", "CREATE_TABLE"),
        ("alter table SOLANA.gov.f swap with SOLANA.gov.f_swap", "ALTER_TABLE"),
        ("alter table SOLANA.gov.old rename to SOLANA.gov.new", "RENAME_TABLE"),
        ("drop table if exists SOLANA.gov.f_swap", "DROP"),
    ]
    got = [edges(s.run(text, qt)) for text, qt in texts]
    assert got == [
        [("clone", "solana.gov.f_swap", ["solana.gov.f"], ())],
        [("swap", "solana.gov.f", [], ())],
        [("rename", "solana.gov.old", [], ())],
        [("drop", "solana.gov.f_swap", [], ())],
    ]


def test_temp_renamed_onto_a_persistent_name_replaces_it() -> None:
    s = Session()
    s.run("create table SOLANA.silver.x__dbt_tmp as select * from SOLANA.bronze.a", "CREATE_TABLE_AS_SELECT")
    assert edges(s.run("alter table SOLANA.silver.x rename to SOLANA.silver.x__dbt_tmp_old", "RENAME_TABLE")) == [
        ("rename", "solana.silver.x", [], ())
    ]
    events = s.run("alter table SOLANA.silver.x__dbt_tmp rename to SOLANA.silver.x", "RENAME_TABLE")
    assert edges(events) == [("replace", "solana.silver.x", ["solana.bronze.a"], ("solana.silver.x__dbt_tmp",))]
    assert events[0].replaces is True


def test_no_event_ever_names_a_temporary_object() -> None:
    s = Session()
    texts = [
        "create or replace temporary view SOLANA.silver.x__dbt_tmp as (select * from SOLANA.bronze.a)",
        "create temporary table SOLANA.silver.scratch as select * from SOLANA.silver.x__dbt_tmp",
        "merge into SOLANA.silver.x d using SOLANA.silver.scratch s on d.id = s.id when matched then delete",
        "alter table SOLANA.silver.keep rename to SOLANA.silver.keep__dbt_tmp",
        "insert into SOLANA.silver.y select * from SOLANA.silver.unknown__dbt_tmp",
    ]
    events = [e for text in texts for e in s.run(text)]
    names = {e.target.id for e in events} | {x.id for e in events for x in e.sources}
    names |= {e.counterpart.id for e in events if e.counterpart}
    assert not any("__dbt_tmp" in n or n.endswith("scratch") for n in names)


def test_evict_idle_forgets_old_sessions() -> None:
    s = Session()
    s.run("create temporary table SOLANA.silver.t as select * from SOLANA.bronze.a", "CREATE_TABLE_AS_SELECT")
    assert s.resolver.evict_idle(T0) == 0
    assert s.resolver.evict_idle(T0 + timedelta(hours=1)) == 1
    [event] = s.run("create table SOLANA.gold.g as select * from SOLANA.silver.t", "CREATE_TABLE_AS_SELECT")
    assert [x.id for x in event.sources] == ["solana.silver.t"]


def test_truncating_a_temp_forgets_what_it_held() -> None:
    s = Session()
    s.run("create temporary table db.s.t as select * from db.s.a")
    s.run("truncate table db.s.t")
    s.run("insert into db.s.t select * from db.s.b")
    assert edges(s.run("insert into db.s.out select * from db.s.t")) == [("insert", "db.s.out", ["db.s.b"], ("db.s.t",))]


def test_an_in_place_write_to_an_unknown_temp_leaves_a_later_read_unresolved() -> None:
    s = Session()
    s.run("update db.s.x__dbt_tmp set a = 1")
    assert edges(s.run("insert into db.s.out select * from db.s.x__dbt_tmp")) == [("insert", "db.s.out", [], ())]
    assert [u.temp_id for u in s.resolver.unresolved] == ["db.s.x__dbt_tmp"]


def test_tsql_temp_tables_and_table_variables_are_session_objects_not_real_tables() -> None:
    resolver = SessionResolver()
    events: list[LineageEvent] = []
    texts = ["SELECT id, email INTO #stage FROM dbo.customers",
             "DECLARE @ids TABLE (id int); INSERT INTO @ids SELECT id FROM dbo.orders",
             "INSERT INTO dbo.export (id, email) SELECT s.id, s.email FROM #stage s JOIN @ids i ON s.id = i.id"]
    for n, text in enumerate(texts, start=1):
        record = QueryRecord(query_id=f"q{n}", query_text=text, query_type="INSERT", start_time=T0,
                             end_time=T0 + timedelta(seconds=n), database_name="DW", schema_name="DBO",
                             session_id="s1")
        events.extend(resolver.feed(record, extract_lineage(text, dialect="tsql", default_database="DW",
                                                            default_schema="DBO")))
    assert edges(events) == [("insert", "dw.dbo.export", ["dw.dbo.customers", "dw.dbo.orders"], ("#@ids", "#stage"))]
    assert resolver.unresolved == []


def test_a_late_row_past_the_names_gone_kept_is_listed_also_after_a_restore() -> None:
    """Names gone past ``GONE_KEPT`` leave the latest instant one went (kept in the state): a row read
    later that ended before it is listed in ``forgotten_reads``, in one resolver and in a restored one."""
    from lineage_engine.parsing.temp_late import GONE_FORGOTTEN_MESSAGE, GONE_KEPT

    s = Session()
    for n in range(GONE_KEPT + 1):
        s.run(f"create temporary table SOLANA.silver.t{n} as select id from SOLANA.bronze.a", "CREATE_TABLE_AS_SELECT")
        s.run(f"drop table SOLANA.silver.t{n}", "DROP")
    state = s.resolver.to_state()
    restored = Session(SessionResolver.from_state(state))
    assert restored.resolver.to_state() == state
    for session in (s, restored):
        session.run("create table SOLANA.silver.c as select id from SOLANA.silver.t0", "CREATE_TABLE_AS_SELECT",
                    end_time=T0 + timedelta(seconds=1, milliseconds=6))  # ended before t0 was dropped
        assert [f.message for f in session.resolver.forgotten_reads] == [GONE_FORGOTTEN_MESSAGE]


def test_names_gone_over_all_sessions_are_bounded_and_what_goes_is_said(monkeypatch) -> None:  # noqa: ANN001
    """At most ``GONE_KEPT_ALL`` names gone over all sessions, the least recently gone first: another session's
    names gone push a session's out, and its late row says so; a restored resolver evicts alike."""
    from lineage_engine.parsing import temp_late

    monkeypatch.setattr(temp_late, "GONE_KEPT_ALL", 3)
    resolver = SessionResolver()
    a, b = Session(resolver, "a"), Session(resolver, "b")
    a.run("create temporary table SOLANA.silver.t as select id from SOLANA.bronze.a", "CREATE_TABLE_AS_SELECT")
    a.run("drop table SOLANA.silver.t", "DROP")  # a's name gone, at T0 + 2 s
    for n in range(3):  # b's names gone, later (each row of b one second after a's rows)
        b.n = a.n + 2 * n + 1
        b.run(f"create temporary table SOLANA.silver.u{n} as select id from SOLANA.bronze.a", "CREATE_TABLE_AS_SELECT")
        b.run(f"drop table SOLANA.silver.u{n}", "DROP")
    state = resolver.to_state()
    restored = SessionResolver.from_state(state)
    assert restored.to_state() == state
    assert sum(len(s.gone) for s in resolver._sessions.values()) == 3
    for r in (resolver, restored):
        late = Session(r, "a")
        late.run("create table SOLANA.silver.c as select id from SOLANA.silver.t", "CREATE_TABLE_AS_SELECT",
                 end_time=T0 + timedelta(seconds=1, milliseconds=6))  # ended before t was dropped
        assert [f.message for f in r.forgotten_reads] == [temp_late.GONE_FORGOTTEN_MESSAGE]
    # b pushes on: the restored resolver forgets what one resolver forgets
    for r in (resolver, restored):
        more = Session(r, "b")
        more.n = 20
        more.run("create temporary table SOLANA.silver.v as select id from SOLANA.bronze.a", "CREATE_TABLE_AS_SELECT")
        more.run("drop table SOLANA.silver.v", "DROP")
    assert resolver.to_state() == restored.to_state()
