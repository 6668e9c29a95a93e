"""A dynamic table keeps refreshing from its query: data that reaches its base later reaches it too.

Snowflake "Dynamic tables" (docs.snowflake.com/en/user-guide/dynamic-tables-about): a dynamic
table materializes its query's result and is refreshed automatically (within its TARGET_LAG)
when the base tables change; refreshes run with the dynamic table's owner role only
("Troubleshoot dynamic table permission issues"). The crawl reads ``CREATE DYNAMIC TABLE ... AS
SELECT`` as a CTAS: a copy taken once, at creation. A base table that is loaded with e-mails
after the dynamic table was created is therefore never followed into it (a materialized view,
read as a live view, is).

Fixed: the walk reads the intervals a ``CREATE_DYNAMIC_TABLE`` statement wrote as refreshing
(derivation window to ``valid_to`` or T, like a view's) while keeping a table's rules for what it
holds (it keeps its content when the base is dropped, and its copy holds what its owner role saw).
"""

from __future__ import annotations

from pathlib import Path


from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_dynamic_table_holds_what_its_base_receives_after_its_creation(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE", "create table db.s.stage (id int, email varchar)"),
        ("09:02", "CREATE_DYNAMIC_TABLE", "create dynamic table db.s.dt target_lag = '1 minute' warehouse = wh "
                                          "as select id, email from db.s.stage"),
        ("09:03", "CREATE_MATERIALIZED_VIEW", "create materialized view db.s.mv as select id, email from db.s.stage"),
        ("09:05", "INSERT", "insert into db.s.stage select id, email from db.s.pii"),
    ])
    found = terminals(config)
    assert (PII, "db.s.mv.email") in found  # live, as a view: passes today
    assert (PII, "db.s.dt.email") in found  # refreshed at 09:05 + lag


def test_dynamic_table_keeps_its_rows_when_its_base_is_dropped_and_not_before_they_arrive(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE", "create table db.s.stage (id int, email varchar)"),
        ("09:02", "CREATE_DYNAMIC_TABLE", "create dynamic table db.s.dt target_lag = '1 minute' warehouse = wh "
                                          "as select id, email from db.s.stage"),
        ("09:03", "CREATE_VIEW", "create view db.s.v as select id, email from db.s.stage"),
        ("09:05", "INSERT", "insert into db.s.stage select id, email from db.s.pii"),
        ("09:06", "DROP", "drop table db.s.stage"),
    ])
    found = terminals(config)
    assert (PII, "db.s.dt.email") in found  # a table: keeps what it refreshed
    assert (PII, "db.s.v.email") not in found  # a view over a dropped table shows nothing
    assert (PII, "db.s.dt.email") not in terminals(config, "--as-of", "2026-05-04T09:04:00+00:00")
