"""collapse_script: a multi-statement script read as one unit (batch extraction)."""

from __future__ import annotations

from lineage_engine.parsing.extract import extract_lineage
from lineage_engine.parsing.script import ScriptLineage, collapse_script


def script(text: str) -> ScriptLineage:
    return collapse_script(
        extract_lineage(text, default_database="D", default_schema="S", columns=True, queries=True).statements
    )


def ids(refs: tuple) -> list[str]:
    return [r.id for r in refs]


def edges(result: ScriptLineage) -> set[tuple[str, str, str, str]]:
    return {(c.target, c.source, c.transform, c.kind) for c in result.columns}


def test_an_object_created_and_consumed_drops_out_for_tables_and_columns() -> None:
    result = script(
        "create table tmp as select id, sha2(email) as h from raw.c where ok;"
        "insert into out (id, email_hash) select id, upper(h) from tmp"
    )
    assert (ids(result.targets), ids(result.sources)) == (["d.s.out"], ["d.raw.c"])
    assert edges(result) == {
        ("d.s.out.id", "d.raw.c.id", "identity", "DIRECT"),
        ("d.s.out.email_hash", "d.raw.c.email", "masked", "DIRECT"),
        ("d.s.out.id", "d.raw.c.ok", "expression", "INDIRECT"),
        ("d.s.out.email_hash", "d.raw.c.ok", "expression", "INDIRECT"),
    }


def test_created_then_dropped_leaves_nothing_and_a_plain_drop_gives_nothing() -> None:
    assert script("create table t as select 1 as x; drop table t") == ScriptLineage((), (), ())
    assert script("drop table if exists other") == ScriptLineage((), (), ())


def test_rename_moves_a_script_object() -> None:
    result = script("insert into tab1 select * from tab2; alter table tab1 rename to tab3")
    assert (ids(result.targets), ids(result.sources)) == (["d.s.tab3"], ["d.s.tab2"])
    assert edges(result) == {("d.s.tab3.*", "d.s.tab2.*", "identity", "DIRECT")}


def test_star_of_an_object_made_by_an_unexpanded_star_maps_by_name() -> None:
    result = script("create table a as select * from raw.src; create table b as select x from a")
    assert edges(result) == {("d.s.b.x", "d.raw.src.x", "identity", "DIRECT")}


def test_reads_of_select_statements_are_sources_and_read_before_write_stays() -> None:
    result = script("insert into t select * from s; insert into s select * from u; select * from v")
    assert (ids(result.targets), ids(result.sources)) == (["d.s.t", "d.s.s"], ["d.s.s", "d.s.u", "d.s.v"])


def test_swap_gives_each_side_the_other() -> None:
    result = script("alter table a swap with b")
    assert (sorted(ids(result.targets)), sorted(ids(result.sources))) == (["d.s.a", "d.s.b"], ["d.s.a", "d.s.b"])


def test_truncate_empties_a_script_object_and_gives_nothing_for_others() -> None:
    assert script("truncate table other") == ScriptLineage((), (), ())
    result = script("insert into t select a from x; truncate table t; insert into t select a from y")
    assert (ids(result.targets), ids(result.sources)) == (["d.s.t"], ["d.s.x", "d.s.y"])
    assert edges(result) == {("d.s.t.a", "d.s.y.a", "identity", "DIRECT")}


def test_a_script_object_reading_itself_stays_a_target() -> None:
    result = script("create table t as select a from x; insert into t select a + 1 as a from t")
    assert (ids(result.targets), ids(result.sources)) == (["d.s.t"], ["d.s.x"])
    assert edges(result) == {("d.s.t.a", "d.s.x.a", "identity", "DIRECT")}
