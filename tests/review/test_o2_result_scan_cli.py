"""A copy of an earlier query's result set carries what that query read (review O2, a false negative).

Snowflake "RESULT_SCAN" (https://docs.snowflake.com/en/sql-reference/functions/result_scan) returns
the result set of an earlier query as a table: ``RESULT_SCAN(LAST_QUERY_ID())`` the session's most
recent query, ``LAST_QUERY_ID(-k)`` the k-th most recent (Snowflake "LAST_QUERY_ID"), and
``RESULT_SCAN('<query id>')`` a query of the same user in any session within 24 hours. Every such
statement was quarantined as ``unsupported``: ``select id, email from db.s.pii`` followed by
``create table db.s.out as select * from table(result_scan(last_query_id()))`` gave no finding for
``db.s.out.email``, only a "not seen" count. A result the crawl does not know stays quarantined.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.review.history import PII_TABLE, Row, crawled, history_lines, install, terminals

PII = "db.s.pii.email"
QID = "01b2c3d4-0000-1111-0000-0129032279f6"
"""The query id of the SELECT that a copy names (Snowflake's shape)."""
OTHER: Row = ("09:00:30", "CREATE_TABLE", "create table db.s.other (id int, note varchar)")
LAST_COPY: list[Row] = [
    PII_TABLE,
    ("09:01", "SELECT", "select id, email from db.s.pii where id > 10"),
    ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.out as select * from table(result_scan(last_query_id()))"),
]


def _quarantined(config: Path) -> list[tuple[str, str]]:
    rows = json.loads(run_cli(config, "quarantine", "--format", "json").stdout)
    return sorted((row["query_id"], row["reason_code"]) for row in rows)


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_a_copy_of_the_last_query_result_is_an_exposure(tmp_path: Path, batch_size: int) -> None:
    config = crawled(tmp_path, LAST_COPY, batch_size=batch_size)
    assert terminals(config) == {(PII, "db.s.out.email")}
    assert _quarantined(config) == []
    assert "not seen" not in run_cli(config, "scan").stdout


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_a_result_read_by_its_query_id_is_followed_from_any_session(tmp_path: Path, batch_size: int) -> None:
    config = crawled(tmp_path, [
        PII_TABLE, OTHER,
        ("09:01", "SELECT", "select id, email as contact from db.s.pii", {"query_id": QID}),
        ("09:02", "SELECT", "select id, note from db.s.other"),
        ("09:03", "CREATE_TABLE", "create table db.s.out (contact varchar)"),
        ("09:04", "INSERT", f"insert into db.s.out select contact from table(result_scan('{QID.upper()}'))"),
        # the same user in another session: RESULT_SCAN('<id>') reaches any of its sessions' queries
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.out2 as select r.contact as c "
                                            f"from table(result_scan('{QID}')) r", {"session_id": "8"}),
    ], batch_size=batch_size)
    assert terminals(config) == {(PII, "db.s.out.contact"), (PII, "db.s.out2.c")}
    assert _quarantined(config) == []


def test_last_query_id_counts_back_in_its_own_session_only(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        PII_TABLE, OTHER,
        ("09:01", "SELECT", "select id, email from db.s.pii"),
        ("09:02", "SELECT", "select id, note as email from db.s.other"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.two as select * from table(result_scan(last_query_id(-2)))"),
        # LAST_QUERY_ID() is now the CTAS above (its result holds no e-mails)
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.one as select * from table(result_scan(last_query_id()))"),
        # session 8: its own last query read db.s.other, not session 7's e-mails
        ("09:00:40", "SELECT", "select note as email from db.s.other", {"session_id": "8"}),
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.eight as select * from table(result_scan(last_query_id()))",
         {"session_id": "8"}),
    ])
    # LAST_QUERY_ID(-2) reads the last two results (a row the crawl does not read would shift the count)
    assert terminals(config) == {(PII, "db.s.two.email")}
    # db.s.one read the result of a CREATE (not a query the crawl remembers): not followed, and said so
    assert _quarantined(config) == [("q005", "unsupported")]


def test_a_call_between_is_not_skipped(tmp_path: Path) -> None:
    """A procedure's result set is not known: LAST_QUERY_ID() after a CALL never reads the query before it."""
    config = crawled(tmp_path, [
        PII_TABLE,
        ("09:01", "SELECT", "select id, email from db.s.pii", {"query_id": QID}),
        ("09:02", "CALL", "call db.s.export_contacts()"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.one as select * from table(result_scan(last_query_id()))"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.three as select * from table(result_scan(last_query_id(-3)))"),
        ("09:05", "CREATE_TABLE_AS_SELECT", f"create table db.s.byid as select * from table(result_scan('{QID}'))"),
    ])
    assert terminals(config) == {(PII, "db.s.byid.email")}
    assert _quarantined(config) == [("q003", "unsupported"), ("q004", "unsupported")]


def test_a_result_the_crawl_does_not_know_stays_quarantined_and_not_seen(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        PII_TABLE,
        ("09:01", "SELECT", "select id, email from db.s.pii"),
        ("09:02", "INSERT", "insert into db.s.pii2 select * from table(result_scan('01b00000-0000-aaaa-0000-000000000001'))"),
        ("09:03", "SHOW", "show tables"),  # SHOW is not read: its result is not known
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.out as select * from table(result_scan(last_query_id()))"),
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.var as select * from table(result_scan($qid))"),
        ("09:06", "CREATE_TABLE_AS_SELECT", "create table db.s.first as select * from table(result_scan(last_query_id(2)))"),
        # not a query id's shape (a literal that may hold anything is never kept): not followed
        ("09:07", "CREATE_TABLE_AS_SELECT", "create table db.s.odd as select * from table(result_scan('q001'))"),
    ])
    assert terminals(config) == set()
    assert _quarantined(config) == [("q002", "unsupported"), ("q004", "unsupported"), ("q005", "unsupported"),
                                    ("q006", "unsupported"), ("q007", "unsupported")]
    assert "not seen: 5 quarantined" in run_cli(config, "scan").stdout
    reasons = json.loads(run_cli(config, "quarantine", "--format", "json").stdout)
    assert all("RESULT_SCAN" in row["reason"] for row in reasons)


def test_a_result_kept_by_an_earlier_crawl_is_followed(tmp_path: Path) -> None:
    """The query is read by one crawl, the copy by the next: the result set is in the crawl state."""
    config = install(tmp_path, LAST_COPY[:2])
    run_cli(config, "crawl")
    (tmp_path / "history.jsonl").write_text("\n".join(history_lines(LAST_COPY)) + "\n", encoding="utf-8")
    run_cli(config, "crawl")
    assert terminals(config) == {(PII, "db.s.out.email")}
    assert _quarantined(config) == []


FAR_BACK: list[Row] = [
    PII_TABLE,
    ("09:01", "SELECT", "select id, email from db.s.pii", {"query_id": QID}),
    *[(f"09:{10 + n}", "SELECT", "select current_date()") for n in range(12)],  # q002 .. q013
    ("09:30", "CREATE_TABLE_AS_SELECT", f"create table db.s.late as select * from table(result_scan('{QID}'))"),
    # Snowflake keeps a result 24 hours: a copy the next day cannot have read this one
    ("09:30", "CREATE_TABLE_AS_SELECT", f"create table db.s.stale as select * from table(result_scan('{QID}'))",
     {"session_id": "9", "start_time": "2026-05-05T09:30:00+00:00", "end_time": "2026-05-05T09:30:00+00:00"}),
]


@pytest.mark.parametrize("crawls", [1, 2])
def test_a_result_read_by_id_long_after_its_session_moved_on(tmp_path: Path, crawls: int) -> None:
    """Beyond the session's last 10 rows a result stays readable by its id (up to 1,000 results, 24 hours)."""
    if crawls == 1:
        config = crawled(tmp_path, FAR_BACK, batch_size=1)
    else:
        config = install(tmp_path, FAR_BACK[:14])
        run_cli(config, "crawl")
        (tmp_path / "history.jsonl").write_text("\n".join(history_lines(FAR_BACK)) + "\n", encoding="utf-8")
        run_cli(config, "crawl")
    assert terminals(config) == {(PII, "db.s.late.email")}
    assert _quarantined(config) == [("q015", "unsupported")]


def test_masking_in_the_query_stays_masked_in_the_copy(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        PII_TABLE,
        ("09:01", "SELECT", "select id, sha2(email) as hashed, email as raw from db.s.pii"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.out as select * from table(result_scan(last_query_id()))"),
    ])
    assert terminals(config) == {(PII, "db.s.out.raw")}  # db.s.out.hashed holds hashes only


def test_the_snowflake_source_reads_call_rows() -> None:
    """A CALL the source skipped would take no place: LAST_QUERY_ID() after it would read the query before it."""
    from lineage_engine.sources.snowflake import pushdown_query_types

    assert "CALL" in pushdown_query_types() and "CALL" in pushdown_query_types(["INSERT"])


def test_last_query_id_after_a_query_of_the_same_text_is_not_bound_to_an_older_row(tmp_path: Path) -> None:
    """In a text of several statements LAST_QUERY_ID() may name the text's own SELECT, which is not a row:
    bound to the row before (the other table) the copy of the e-mails would be lost without a word."""
    config = crawled(tmp_path, [
        PII_TABLE, OTHER,
        ("09:01", "SELECT", "select id, note as email from db.s.other"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "select id, email from db.s.pii; "
                                            "create table db.s.out as select * from table(result_scan(last_query_id()))"),
    ])
    assert terminals(config) == set()
    assert _quarantined(config) == [("q003", "unsupported")]
