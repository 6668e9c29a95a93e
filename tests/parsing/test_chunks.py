"""Token-level preparation: statement split, parse skipping, the MERGE fast path."""

from __future__ import annotations

import pytest
from sqlglot.dialects.dialect import Dialect

from lineage_engine.parsing.chunks import body_statement, needs_parse, split_unterminated, rewrite_for_retry, split_statements, trim_merge
from lineage_engine.parsing.extract import extract_lineage

SNOWFLAKE = Dialect.get_or_raise("snowflake")


def chunks(text: str) -> list[str]:
    return [" ".join(t.text for t in c) for c in split_statements(text, SNOWFLAKE.tokenize(text))]


def test_split_ignores_semicolons_in_strings_and_empty_statements() -> None:
    assert chunks("select ';' ;; insert into t select 1;") == ["select ;", "insert into t select 1"]
    assert chunks("select 1") == ["select 1"]
    assert chunks("") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("select 1", False), ("show tables", False), ("commit", False), ("begin", False), ("call p()", False),
        ("alter table t cluster by (a)", False), ("alter table t rename to u", True),
        ("alter table t swap with u", True), ("use schema s", True), ("merge into t using s on 1=1", True),
    ],
)
def test_needs_parse(text: str, expected: bool) -> None:
    assert needs_parse(SNOWFLAKE.tokenize(text)) is expected


def test_merge_fast_path_drops_plain_when_clauses() -> None:
    tokens = SNOWFLAKE.tokenize("merge into t using s on (t.a = s.a) when matched then update set t.b = s.b")
    assert " ".join(t.text for t in trim_merge(SNOWFLAKE, tokens)) == (
        "merge into t using s on ( t . a = s . a ) WHEN MATCHED THEN DELETE"
    )


@pytest.mark.parametrize(
    "text",
    [
        "merge into t using s on t.a = s.a when matched then update set t.b = (select max(b) from u)",
        "merge into t using s on t.a = s.a when not matched then insert (a) select a from identifier('u')",
    ],
)
def test_merge_fast_path_keeps_clauses_that_may_read_datasets(text: str) -> None:
    tokens = SNOWFLAKE.tokenize(text)
    assert trim_merge(SNOWFLAKE, tokens) is tokens


def test_case_when_in_the_on_clause_is_not_a_merge_clause() -> None:
    text = "merge into t using s on t.a = case when s.x then 1 else 2 end when matched then delete"
    result = extract_lineage(text, default_database="D", default_schema="S")
    assert [(s.target.id, [x.id for x in s.sources]) for s in result.statements] == [("d.s.t", ["d.s.s"])]
    assert result.problems == ()


def test_rewrite_for_retry_drops_flavour_words_only_before_table_or_view() -> None:
    def words(text: str) -> str | None:
        out = rewrite_for_retry(SNOWFLAKE.tokenize(text))
        return None if out is None else " ".join(t.text for t in out)

    assert words("create local temporary table t as select 1") == "create temporary table t as select 1"
    assert words("drop dynamic table t") == "drop table t"
    assert words("alter materialized view v rename to w") == "alter view v rename to w"
    assert words("create or replace procedure p() as 'x'") is None
    assert words("select 1") is None


@pytest.mark.parametrize(
    ("dialect", "text", "expected"),
    [
        ("tsql", "CREATE PROCEDURE p @a INT AS BEGIN INSERT INTO t SELECT 1", "INSERT INTO t SELECT 1"),
        ("oracle", "CREATE OR REPLACE PROCEDURE p() AS BEGIN INSERT INTO t SELECT 1", "INSERT INTO t SELECT 1"),
        ("bigquery", "CREATE PROCEDURE d.p() BEGIN INSERT INTO t SELECT 1", "INSERT INTO t SELECT 1"),
        ("tsql", "BEGIN TRY INSERT INTO t SELECT 1", "INSERT INTO t SELECT 1"),
        ("tsql", "BEGIN TRANSACTION", "BEGIN TRANSACTION"),
        ("tsql", "CREATE PROCEDURE p AS BEGIN SET NOCOUNT ON", "CREATE PROCEDURE p AS BEGIN SET NOCOUNT ON"),
        ("snowflake", "CREATE PROCEDURE p() RETURNS INT LANGUAGE SQL AS $$ BEGIN INSERT INTO t SELECT 1; END $$",
         "CREATE PROCEDURE p ( ) RETURNS INT LANGUAGE SQL AS  BEGIN INSERT INTO t SELECT 1; END "),
        ("snowflake", "CREATE TABLE t AS SELECT 1", "CREATE TABLE t AS SELECT 1"),
    ],
)
def test_body_statement_reads_the_first_statement_of_an_inline_routine_body(
    dialect: str, text: str, expected: str
) -> None:
    engine = Dialect.get_or_raise(dialect)
    (chunk,) = split_statements(text, engine.tokenize(text)) if ";" not in text or "$$" in text else [None]
    assert " ".join(t.text for t in body_statement(chunk)) == expected


def test_first_statement_of_a_procedure_body_has_lineage_like_the_others() -> None:
    text = ("CREATE PROCEDURE etl.p AS BEGIN INSERT INTO db.s.a SELECT x FROM db.s.src; "
            "INSERT INTO db.s.b SELECT x FROM db.s.a; END")
    result = extract_lineage(text, dialect="tsql")
    assert [(st.target.id, [u.id for u in st.sources]) for st in result.statements] == [
        ("db.s.a", ["db.s.src"]), ("db.s.b", ["db.s.a"])]


def test_split_unterminated_cuts_before_statement_words_only_at_top_level() -> None:
    tsql = Dialect.get_or_raise("tsql")
    text = ("insert into a select x from (select x from s) q\nupdate a set x = 1\nGO\n"
            "merge into t using s on t.id = s.id when matched then update set x = s.x "
            "when not matched then insert (x) values (s.x)")
    pieces = [" ".join(t.text for t in p) for p in split_unterminated(tsql.tokenize(text))]
    assert pieces == ["insert into a select x from ( select x from s ) q", "update a set x = 1",
                      "merge into t using s on t . id = s . id when matched then update set x = s . x "
                      "when not matched then insert ( x ) values ( s . x )"]


def test_tsql_statements_without_semicolons_each_have_lineage() -> None:
    result = extract_lineage("insert into db.s.a select * from db.s.f\ninsert into db.s.b select * from db.s.g",
                             dialect="tsql")
    assert [(st.target.id, [u.id for u in st.sources]) for st in result.statements] == [
        ("db.s.a", ["db.s.f"]), ("db.s.b", ["db.s.g"])]
    assert result.problems == ()
