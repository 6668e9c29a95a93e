"""Issue 14 as built, probed like a second engineer would (the review of 2026-12-03), through the command.

Each test pins a defect the review found, on a small history: shares reached through a
database role and grants with quoted names (egress missed), a shared table one of whose
columns no longer holds the data (egress missed), an external table made before its stage
got the data (readers missed), ``access --until DATE`` (the day's reads missed), ``access
--origin`` of a classified column nobody copied (an error instead of its readers), a place
reached first by a longer route (drift named the wrong statement and user), and the user
and role of a GRANT in egress and drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli_run import run_cli
from tests.cli_setup import crawled_installation

REGISTRY = "- {catalog_path: db.raw.customers.email, asset_type: column, classification: restricted, regulatory_tags: [pii]}\n"
ORIGIN = "db.raw.customers.email"


def _row(query_id: str, at: str, text: str, query_type: str = "SELECT", user: str = "DBT",
         role: str = "TRANSFORMER") -> dict[str, Any]:
    return {"query_id": query_id, "query_text": text, "query_type": query_type, "start_time": at, "end_time": at,
            "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "RAW", "user_name": user,
            "role_name": role, "warehouse_name": "WH", "session_id": query_id}


def _admin(query_id: str, at: str, text: str, query_type: str) -> dict[str, Any]:
    return _row(query_id, at, text, query_type, "ADMIN", "ACCOUNTADMIN")


def _installation(folder: Path, rows: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    history = folder / "history.jsonl"
    history.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return crawled_installation(folder, history, REGISTRY)


def _json(config: Path, *args: str) -> list[dict[str, Any]]:
    return json.loads(run_cli(config, *args, "--format", "json").stdout)


CREATE = _row("c1", "2026-11-01T08:00:00Z", "create table db.raw.customers (id int, email string, name string)",
              "CREATE_TABLE", "LOADER", "LOADER")


def test_shares_through_database_roles_quoted_names_and_partly_held_tables_are_egress(tmp_path: Path) -> None:
    config = _installation(tmp_path, [
        CREATE,
        _row("m1", "2026-11-02T08:00:00Z", "create table db.marts.c3 as select id, email from db.raw.customers",
             "CREATE_TABLE_AS_SELECT"),
        # a share reading through a database role (Snowflake's way of sharing with database roles)
        _admin("d1", "2026-11-03T08:00:00Z", "create database role db.share_reader", "CREATE_ROLE"),
        _admin("d2", "2026-11-03T09:00:00Z", "grant select on table db.marts.c3 to database role db.share_reader",
               "GRANT"),
        _admin("d3", "2026-11-03T10:00:00Z", "grant database role db.share_reader to share role_share", "GRANT"),
        # quoted names, as tools write them
        _admin("q1", "2026-11-03T11:00:00Z", 'grant select on table "DB"."MARTS"."C3" to share "Quoted_Share"',
               "GRANT"),
        # two columns got the value; an INSERT OVERWRITE later fills only one of them
        _row("m2", "2026-11-02T09:00:00Z", "create table db.marts.two (a string, z string)", "CREATE_TABLE"),
        _row("m3", "2026-11-02T10:00:00Z", "insert into db.marts.two (a, z) select email, email from db.raw.customers",
             "INSERT"),
        _row("m4", "2026-11-02T11:00:00Z", "insert overwrite into db.marts.two (a) select email from db.raw.customers",
             "INSERT"),
        _admin("s1", "2026-11-04T08:00:00Z", "grant select on table db.marts.two to share two_share", "GRANT"),
    ])
    assert "not understood" not in run_cli(config, "quarantine").stdout
    rows = {r["destination"]: r for r in _json(config, "egress")}
    assert set(rows) == {"share:ROLE_SHARE", "share:Quoted_Share", "share:TWO_SHARE"}, rows
    through_role = rows["share:ROLE_SHARE"]  # exporting from the grant that completed the chain
    assert (through_role["query_id"], through_role["since"][:19], through_role["user"], through_role["role"]) == (
        "d3", "2026-11-03T10:00:00", "ADMIN", "ACCOUNTADMIN")
    assert rows["share:TWO_SHARE"]["held_in"] == "db.marts.two.a"  # z no longer holds it, a does
    drift = {(d["kind"], d["new"]): d for d in _json(config, "drift", "--since", "2026-11-01")}
    assert drift[("new_egress", "share:TWO_SHARE")]["user"] == "ADMIN"  # the GRANT's user and role are named
    assert drift[("new_egress", "share:TWO_SHARE")]["role"] == "ACCOUNTADMIN"
    grants = {(r["kind"], r["name"]): r for r in _json(config, "grants", "--object", "db.marts.c3")}
    assert grants[("share", "ROLE_SHARE")]["via"] == ["DB.SHARE_READER"]


EXTERNAL_TABLE = [
    CREATE,
    _row("e1", "2026-11-01T09:00:00Z", "create external table db.ext.lake (email string as (value:email::string)) "
         "location=@db.raw.lake_stage/customers/ file_format=(type=parquet)", "CREATE_EXTERNAL_TABLE"),
    _row("r0", "2026-11-02T08:00:00Z", "select email from db.ext.lake", user="EARLY"),  # before the unload: no
    _row("u1", "2026-11-03T08:00:00Z", "copy into @db.raw.lake_stage/customers/ from (select email from "
         "db.raw.customers)", "UNLOAD", "EVE", "EXPORTER"),
    _row("r1", "2026-11-04T08:00:00Z", "select email from db.ext.lake", user="LATE"),
]


def _check_external_table(config: Path) -> None:
    readers = {r["principal"]: r for r in _json(config, "access", "--origin", ORIGIN)}
    assert "LATE" in readers and "EARLY" not in readers, readers
    assert readers["LATE"]["path"] == [ORIGIN, "@db.raw.lake_stage.email", "db.ext.lake"]
    drift = {(d["kind"], d["new"]): d for d in _json(config, "drift", "--since", "2026-11-01")}
    lake = drift[("new_terminal", "db.ext.lake")]
    assert (lake["at"][:19], lake["query_id"]) == ("2026-11-03T08:00:00", "e1")  # data arrived with the unload


def test_external_table_made_before_its_stage_got_the_data_is_read_live(tmp_path: Path) -> None:
    _check_external_table(_installation(tmp_path, EXTERNAL_TABLE))


def test_external_table_is_live_on_neo4j(neo4j_graph: Any, tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("".join(json.dumps(r) + "\n" for r in EXTERNAL_TABLE), encoding="utf-8")
    _check_external_table(crawled_installation(tmp_path, history, REGISTRY, neo4j=neo4j_graph.options))


def test_access_until_a_date_includes_that_whole_day_and_a_never_copied_column_is_an_origin(tmp_path: Path) -> None:
    config = _installation(tmp_path, [  # no lineage touches the e-mail column: it is known from the registry
        CREATE,
        _row("a1", "2026-11-03T10:00:00Z", "select email from db.raw.customers", user="ALICE"),
        _row("b1", "2026-11-04T00:00:00Z", "select email from db.raw.customers", user="BOB"),
    ])
    assert {r["principal"] for r in _json(config, "access", "--origin", ORIGIN, "--until", "2026-11-03")} == {"ALICE"}
    assert {r["principal"] for r in _json(config, "access", "--origin", ORIGIN,
                                          "--until", "2026-11-03T09:59:59Z")} == set()


def test_drift_names_the_statement_of_the_route_that_arrived_first(tmp_path: Path) -> None:
    config = _installation(tmp_path, [
        CREATE,
        _row("m1", "2026-11-02T08:00:00Z", "create table db.marts.c2 as select id, email from db.raw.customers",
             "CREATE_TABLE_AS_SELECT"),
        _row("t1", "2026-11-02T09:00:00Z", "create table db.marts.wide (email string)", "CREATE_TABLE"),
        _row("i1", "2026-11-03T08:00:00Z", "insert into db.marts.wide select email from db.marts.c2", "INSERT",
             "CAROL", "ANALYST"),  # the data arrives here first, through the copy...
        _row("i2", "2026-11-05T08:00:00Z", "insert into db.marts.wide select email from db.raw.customers", "INSERT",
             "DAN", "ANALYST"),  # ...and later straight from the origin (the shortest path)
    ])
    drift = {(d["kind"], d["new"]): d for d in _json(config, "drift", "--since", "2026-11-01")}
    wide = drift[("new_terminal", "db.marts.wide.email")]
    assert (wide["at"][:19], wide["query_id"], wide["user"]) == ("2026-11-03T08:00:00", "i1", "CAROL"), wide
    assert wide["path"] == [ORIGIN, "db.marts.c2.email", "db.marts.wide.email"]


def test_an_external_function_sent_a_hashed_value_sends_no_egress_of_the_column(tmp_path: Path) -> None:
    function = ("create external function db.ml.{0}(x string) returns variant api_integration = api "
                "as 'https://scoring.example.com/{0}'")
    config = _installation(tmp_path, [
        CREATE,
        _admin("f1", "2026-11-01T09:00:00Z", function.format("hashed"), "CREATE_EXTERNAL_FUNCTION"),
        _admin("f2", "2026-11-01T09:00:00Z", function.format("clear"), "CREATE_EXTERNAL_FUNCTION"),
        _row("k1", "2026-11-02T08:00:00Z", "select db.ml.hashed(sha2(email)) from db.raw.customers", user="K1"),
        _row("k2", "2026-11-02T08:00:00Z", "select db.ml.clear(upper(email)) from db.raw.customers", user="K2"),
    ])
    sent = {r["destination"] for r in _json(config, "egress")}
    assert sent == {"extfn:db.ml.clear.email"}, sent  # SHA2 masks the value on its way into the call


def test_a_share_granted_before_the_data_arrived_names_the_statement_that_brought_it(tmp_path: Path) -> None:
    config = _installation(tmp_path, [
        CREATE,
        _row("t1", "2026-11-01T09:00:00Z", "create table db.marts.c2 (id int, email string)", "CREATE_TABLE"),
        _admin("g1", "2026-11-02T08:00:00Z", "grant select on table db.marts.c2 to share early_share", "GRANT"),
        _row("i1", "2026-11-03T08:00:00Z", "insert into db.marts.c2 select id, email from db.raw.customers", "INSERT",
             "CAROL", "ANALYST"),
    ])
    (share,) = _json(config, "egress")
    assert (share["destination"], share["since"][:19], share["query_id"], share["user"]) == (
        "share:EARLY_SHARE", "2026-11-03T08:00:00", "i1", "CAROL")  # the data came last: its INSERT, not the GRANT


def test_a_renamed_copy_holds_the_data_under_its_new_name_from_the_rename(tmp_path: Path) -> None:
    config = _installation(tmp_path, [
        CREATE,
        _row("o1", "2026-11-01T09:00:00Z", "create table db.marts.final (id int, email string)", "CREATE_TABLE"),
        _row("m1", "2026-11-02T08:00:00Z", "create table db.marts.staging as select id, email from db.raw.customers",
             "CREATE_TABLE_AS_SELECT"),
        _row("r0", "2026-11-02T09:00:00Z", "select email from db.marts.final", user="OLD"),  # the old, empty table
        _row("d1", "2026-11-03T08:00:00Z", "drop table db.marts.final", "DROP"),
        _row("n1", "2026-11-03T09:00:00Z", "alter table db.marts.staging rename to db.marts.final", "RENAME_TABLE"),
        _row("r1", "2026-11-04T08:00:00Z", "select email from db.marts.final", user="NEW"),
    ])
    readers = {r["principal"] for r in _json(config, "access", "--origin", ORIGIN)}
    assert readers == {"DBT", "NEW"}, readers  # not OLD: the name held another table then
    drift = {(d["kind"], d["new"]): d for d in _json(config, "drift", "--since", "2026-11-03")}
    final = drift[("new_terminal", "db.marts.final.email")]  # the name got the data at the rename
    assert (final["at"][:19], final["query_id"]) == ("2026-11-03T09:00:00", "n1"), final


def test_an_external_function_called_on_a_union_in_a_cte_sends_every_branch(tmp_path: Path) -> None:
    config = _installation(tmp_path, [
        CREATE,
        _row("t1", "2026-11-01T09:00:00Z", "create table db.raw.leads (contact string)", "CREATE_TABLE"),
        _admin("f1", "2026-11-01T09:00:00Z", "create external function db.ml.enrich(x string) returns variant "
               "api_integration = api as 'https://enrich.example.com/'", "CREATE_EXTERNAL_FUNCTION"),
        _row("k1", "2026-11-02T08:00:00Z", "with people as (select contact as who from db.raw.leads union all "
             "select email from db.raw.customers) select db.ml.enrich(who) from people", user="K1"),
    ])
    sent = {(r["destination"], r["query_id"]) for r in _json(config, "egress")}
    assert sent == {("extfn:db.ml.enrich.email", "k1")}, sent  # the second branch, by position


def test_a_read_of_files_in_a_stage_by_position_reads_what_was_unloaded_there(tmp_path: Path) -> None:
    config = _installation(tmp_path, [
        CREATE,
        _row("u1", "2026-11-02T08:00:00Z", "copy into @db.raw.exports/x/ from (select email from db.raw.customers)",
             "UNLOAD", "EVE", "EXPORTER"),
        _row("r1", "2026-11-03T08:00:00Z", "select $1 from @db.raw.exports/x/", user="STAGE_READER"),
    ])
    rows = {r["principal"]: r for r in _json(config, "access", "--origin", ORIGIN)}
    assert rows["STAGE_READER"]["read"] == "@db.raw.exports.email", rows  # $1 names no column: every column
