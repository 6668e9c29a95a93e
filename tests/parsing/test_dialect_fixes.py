"""Dialect token fixes (parsing/dialect_fixes.py, parsing/teradata_phrases.py), end to end.

Each syntax case is checked through ``extract_lineage`` at table and column level, and
against the same extraction with the fixes switched off, so a test fails without its fix.
"""

from __future__ import annotations

import pytest
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import Token

import lineage_engine.parsing.extract as extract_module
from lineage_engine.model import ExtractionResult, StatementLineage
from lineage_engine.parsing.dialect_fixes import dialect_fix, expand_compound_assignments, quote_backticks
from lineage_engine.parsing.extract import extract_lineage

SCRAP_REASON = (
    "UPDATE sr  \nSET sr.Name += ' - tool malfunction'  \nFROM Production.ScrapReason AS sr  \n"
    "JOIN Production.WorkOrder AS wo   \n     ON sr.ScrapReasonID = wo.ScrapReasonID  \n"
    "     AND wo.ScrappedQty > 300; "
)
TITLE_PHRASE = "CREATE VIEW foo AS\nSELECT Name, DOB (TITLE 'Birthdate')\nFROM Employee;"


def unfixed(monkeypatch: pytest.MonkeyPatch, text: str, **kwargs: object) -> ExtractionResult:
    with monkeypatch.context() as m:
        m.setattr(extract_module, "dialect_fix", lambda engine: None)
        return extract_lineage(text, **kwargs)


def only(result: ExtractionResult) -> StatementLineage:
    assert len(result.statements) == 1, result
    return result.statements[0]


def edges(st: StatementLineage, kind: str = "DIRECT") -> set[tuple[str, str]]:
    return {(c.target, c.source) for c in st.columns if c.kind == kind}


def tokens(dialect: str, text: str) -> list[Token]:
    return Dialect.get_or_raise(dialect).tokenize(text)


# --- Athena: backtick-quoted names ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "source"),
    [("SELECT * FROM `tab1`", "tab1"), ("SELECT col1 FROM `schema1`.`tab1`", "schema1.tab1")],
)
def test_athena_backticks_name_the_table_read(monkeypatch: pytest.MonkeyPatch, text: str, source: str) -> None:
    result = extract_lineage(text, dialect="athena", queries=True)
    assert [s.id for s in only(result).sources] == [source]
    assert [p.code for p in result.problems] == ["unqualified_name"]  # no session default: fine
    assert unfixed(monkeypatch, text, dialect="athena", queries=True).problems[0].code == "parse_error"


def test_athena_backticks_carry_table_and_column_lineage(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "INSERT INTO `db`.`tgt` SELECT `col1`, col2 AS `c2` FROM `schema1`.`tab1`"
    st = only(extract_lineage(text, dialect="athena", columns=True))
    assert (st.target.id, [s.id for s in st.sources]) == ("db.tgt", ["schema1.tab1"])
    assert edges(st) == {("db.tgt.col1", "schema1.tab1.col1"), ("db.tgt.c2", "schema1.tab1.col2")}
    assert not any(s.columns for s in unfixed(monkeypatch, text, dialect="athena", columns=True).statements)


def test_athena_doubled_backticks_are_left_alone() -> None:
    text = "SELECT 1 FROM `a``b`"
    assert quote_backticks(chunk := tokens("athena", text), text) is chunk


def test_athena_backtick_names_canonicalise_like_double_quoted_ones() -> None:
    backticks = only(extract_lineage("SELECT 1 FROM `Schema1`.`Tab1`", dialect="athena", queries=True))
    quotes = only(extract_lineage('SELECT 1 FROM "Schema1"."Tab1"', dialect="athena", queries=True))
    assert backticks.sources == quotes.sources


# --- T-SQL: compound assignment ----------------------------------------------------------


def test_tsql_compound_assignment_keeps_table_and_column_lineage(monkeypatch: pytest.MonkeyPatch) -> None:
    result = extract_lineage(SCRAP_REASON, dialect="tsql", columns=True)
    st = only(result)
    assert st.target.id == "production.scrapreason"
    assert {s.id for s in st.sources} - {st.target.id} == {"production.workorder"}
    assert edges(st) == {("production.scrapreason.name", "production.scrapreason.name")}
    assert "parse_error" not in [p.code for p in result.problems]
    assert unfixed(monkeypatch, SCRAP_REASON, dialect="tsql").problems[0].code == "parse_error"


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "%", "&", "^", "|"])
def test_every_tsql_compound_operator_reads_target_and_expression(op: str) -> None:
    text = f"UPDATE t SET t.a {op}= s.x * 2, t.b = s.y FROM dbo.t AS t JOIN dbo.s AS s ON s.id = t.id"
    st = only(extract_lineage(text, dialect="tsql", columns=True))
    assert edges(st) == {("dbo.t.a", "dbo.t.a"), ("dbo.t.a", "dbo.s.x"), ("dbo.t.b", "dbo.s.y")}


def test_tsql_compound_assignment_in_merge_update() -> None:
    text = (
        "MERGE INTO dbo.t AS t USING dbo.s AS s ON t.id = s.id "
        "WHEN MATCHED THEN UPDATE SET t.total += s.amount WHEN NOT MATCHED THEN INSERT (id) VALUES (s.id);"
    )
    st = only(extract_lineage(text, dialect="tsql", columns=True))
    assert ("dbo.t.total", "dbo.s.amount") in edges(st)
    assert ("dbo.t.total", "dbo.t.total") in edges(st)


def test_tsql_compound_expression_is_parenthesised_up_to_its_clause() -> None:
    chunk = tokens("tsql", "UPDATE t SET a -= b - c, d = 1 WHERE e = 2")
    assert " ".join(t.text for t in expand_compound_assignments(chunk, "")) == (
        "UPDATE t SET a = a - ( b - c ) , d = 1 WHERE e = 2"
    )


def test_a_failing_rewrite_reports_the_original_error(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "UPDATE dbo.t SET a += 1 + FROM dbo.t"
    assert expand_compound_assignments(chunk := tokens("tsql", text), text) is not chunk
    fixed = extract_lineage(text, dialect="tsql")
    assert fixed.problems == unfixed(monkeypatch, text, dialect="tsql").problems
    assert fixed.problems[0].code == "parse_error"


# --- Teradata: data attribute phrases -----------------------------------------------------


def test_teradata_title_phrase_keeps_table_and_column_lineage(monkeypatch: pytest.MonkeyPatch) -> None:
    st = only(extract_lineage(TITLE_PHRASE, dialect="teradata", columns=True))
    assert (st.target.id, [s.id for s in st.sources]) == ("foo", ["employee"])
    assert edges(st) == {("foo.dob", "employee.dob"), ("foo.name", "employee.name")}
    assert not any(s.columns for s in unfixed(monkeypatch, TITLE_PHRASE, dialect="teradata", columns=True).statements)


@pytest.mark.parametrize(
    ("item", "column"),
    [
        ("DOB (FORMAT 'YYYY-MM-DD')", "dob"),  # sqlglot parses it, but named the column after the phrase
        ("DOB (CHAR(10))", "dob"),  # sqlglot read a call of a function DOB: the read was lost
        ("e.DOB(DATE, FORMAT 'YYYY') (TITLE 'Born')", "dob"),
        ("DOB (NAMED born)", "born"),
        ("DOB (NAMED born, TITLE 'x') AS birth", "birth"),
        ("DOB (DECIMAL(18,2)) (NOT CASESPECIFIC)", "dob"),
        ("DOB (VARCHAR(10) CHARACTER SET LATIN, UPPERCASE)", "dob"),
    ],
)
def test_teradata_phrases_are_dropped_and_named_becomes_alias(
    monkeypatch: pytest.MonkeyPatch, item: str, column: str
) -> None:
    text = f"CREATE VIEW foo AS SELECT {item} FROM Employee AS e"
    st = only(extract_lineage(text, dialect="teradata", columns=True))
    assert edges(st) == {(f"foo.{column}", "employee.dob")}
    before = unfixed(monkeypatch, text, dialect="teradata", columns=True).statements
    assert not before or edges(before[0]) != edges(st)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ADD_MONTHS (DATE, 1), COALESCE (a, b), CAST (c AS DATE), EXTRACT (YEAR FROM d) FROM t",
        "SELECT TRIM (x), MAX (DATE) FROM t WHERE y IN (1, 2)",
        "CREATE TABLE t (title VARCHAR(10), named INTEGER)",
        "INSERT INTO t (a, b) SELECT a, b FROM u",
        "SELECT 'DOB (TITLE ''x'')' AS s, \"q (TITLE 'y')\" FROM t",
    ],
)
def test_teradata_rewrite_leaves_calls_column_lists_and_literals_alone(text: str) -> None:
    chunk = tokens("teradata", text)
    fix = dialect_fix(Dialect.get_or_raise("teradata"))
    assert fix is not None
    assert fix(chunk, text) is chunk


# --- scope, literals, robustness ---------------------------------------------------------


def test_string_literals_holding_the_syntax_are_untouched() -> None:
    text = "UPDATE t SET a = 'x += y', b += '(TITLE ''z'')' WHERE c = 'p *= q'"
    out = expand_compound_assignments(tokens("tsql", text), text)
    strings = [t.text for t in out if t.token_type.name == "STRING"]
    assert strings == ["x += y", "(TITLE 'z')", "p *= q"]
    assert " ".join(t.text for t in out).count("b = b + (") == 1
    plain = "UPDATE t SET a = 'x += y' WHERE c = 'p *= q'"
    assert expand_compound_assignments(chunk := tokens("tsql", plain), plain) is chunk
    athena = "SELECT 'a `b` c' FROM t"
    assert quote_backticks(chunk := tokens("athena", athena), athena) is chunk
    st = only(extract_lineage("CREATE VIEW v AS SELECT x, '(TITLE ''a'')' AS y FROM t", dialect="teradata",
                              columns=True))
    assert edges(st) == {("v.x", "t.x")}


@pytest.mark.parametrize("dialect", ["trino", "hive", "fabric", "postgres", "bigquery"])
def test_other_dialects_get_no_fix(dialect: str) -> None:
    assert dialect_fix(Dialect.get_or_raise(dialect)) is None


def test_compound_assignment_is_not_rewritten_outside_tsql() -> None:
    result = extract_lineage("UPDATE t SET a += 1 FROM u", dialect="snowflake")
    assert result.problems[0].code == "parse_error"


@pytest.mark.parametrize(
    ("dialect", "text"),
    [
        ("athena", "INSERT INTO `db`.`t` SELECT `a` FROM `s` WHERE x = '`'"),
        ("tsql", "UPDATE t SET t.a += (SELECT MAX(b) FROM u), @v |= CASE WHEN x THEN 1 END FROM t"),
        ("teradata", "SEL a (NAMED b, TITLE 'c') (CHAR(3)), d(DATE, FORMAT 'Y') FROM t QUALIFY x (INTEGER) = 1"),
    ],
)
def test_fixes_never_raise_on_any_prefix(dialect: str, text: str) -> None:
    fix = dialect_fix(Dialect.get_or_raise(dialect))
    assert fix is not None
    chunk = tokens(dialect, text)
    for end in range(len(chunk) + 1):
        for start in range(end):
            fix(chunk[start:end], text)


def test_a_fix_that_raises_costs_only_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(chunk: list[Token], text: str) -> list[Token]:
        raise IndexError("bug")

    monkeypatch.setattr(extract_module, "dialect_fix", lambda engine: broken)
    st = only(extract_lineage("INSERT INTO a.t SELECT x FROM a.s", dialect="tsql"))
    assert (st.target.id, [s.id for s in st.sources]) == ("a.t", ["a.s"])


# --- Snowflake: MERGE ... ALL BY NAME ----------------------------------------------------


def test_snowflake_merge_all_by_name_maps_every_column_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from lineage_engine.parsing.schema import MappingSchemaProvider

    text = ("merge into t using (select id, sha2(email) as email from src) s on t.id = s.id "
            "when matched then update all by name when not matched then insert all by name")
    kwargs = {"default_database": "D", "default_schema": "S", "columns": True}
    st = only(extract_lineage(text, **kwargs))
    assert [s.id for s in st.sources] == ["d.s.src"]
    assert edges(st) == {("d.s.t.id", "d.s.src.id"), ("d.s.t.email", "d.s.src.email")}
    assert {c.transform for c in st.columns if c.target == "d.s.t.email" and c.kind == "DIRECT"} == {"masked"}
    known = only(extract_lineage("merge into t using src s on t.id = s.id when not matched then insert all by name",
                                 schema=MappingSchemaProvider({"d.s.src": ["id", "v"]}), **kwargs))
    assert edges(known) == {("d.s.t.id", "d.s.src.id"), ("d.s.t.v", "d.s.src.v")}
    broken = unfixed(monkeypatch, text, **kwargs)
    assert [p.code for p in broken.problems] == ["parse_error"]  # what sqlglot 30.22 alone does


def test_snowflake_fix_leaves_other_statements_and_literals_alone() -> None:
    fix = dialect_fix(Dialect.get_or_raise("snowflake"))
    assert fix is not None
    for text in ("insert into t select 'update all by name' from s",
                 "merge into t using s on t.id = s.id when matched then update set v = 'insert all by name'"):
        chunk = tokens("snowflake", text)
        assert fix(chunk, text) is chunk


def test_oracle_cursor_attributes_are_values_not_columns() -> None:
    from lineage_engine.parsing.extract import extract_lineage

    text = "SELECT SQL%ROWCOUNT AS aff_rows, c.id FROM s.customers c"
    result = extract_lineage(text, dialect="oracle", default_database="db", columns=True, queries=True)
    [query] = result.statements
    assert sorted((e.source, e.target) for e in query.columns if e.kind == "DIRECT") == [
        ("db.s.customers.id", "<select>.id")]
