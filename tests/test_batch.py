"""Batch extraction (``lineage extract``): JSON Lines in, JSON Lines out, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage_engine import batch
from lineage_engine.batch import extract_case, extract_cases
from lineage_engine.cli import lineage_app

EMAIL = "jane.doe@example.com"


def run(*cases: object) -> list[dict]:
    return list(extract_cases([json.dumps(c) if not isinstance(c, str) else c for c in cases], source_name="c.jsonl"))


def test_a_script_is_one_unit_for_tables_and_columns() -> None:
    [out] = run({
        "id": "s1", "default_database": "Prod", "default_schema": "Raw",
        "sql": "create temporary table stage as select id, sha2(email) as h from customers;\n"
               "insert into mart.feed (id, email_hash) select id, h from stage;\n"
               "drop table stage",
        "ignored_field": [1, 2],
    })
    assert (out["id"], out["targets"], out["sources"]) == ("s1", ["prod.mart.feed"], ["prod.raw.customers"])
    direct = {(e["source"], e["target"], e["transform"]) for e in out["column_lineage"] if e["kind"] == "DIRECT"}
    assert direct == {("prod.raw.customers.id", "prod.mart.feed.id", "identity"),
                      ("prod.raw.customers.email", "prod.mart.feed.email_hash", "masked")}
    assert out["problems"] == [] and out["confidence"] == 1.0


def test_defaults_are_optional_names_lower_case_and_stages_prefixed() -> None:
    [plain, staged] = run(
        {"id": 1, "sql": "INSERT INTO Sch.T SELECT A FROM S2.U"},
        {"id": 2, "sql": "copy into t from @stg/path/", "default_database": "D", "default_schema": "S"},
    )
    assert (plain["targets"], plain["sources"]) == (["sch.t"], ["s2.u"])
    assert (staged["targets"], staged["sources"]) == (["d.s.t"], ["@d.s.stg"])


def test_schema_keys_are_qualified_with_the_defaults() -> None:
    [out] = run({"id": "x", "sql": "create table t as select * from u", "default_database": "D",
                 "default_schema": "S", "schema": {"u": ["A", "B"]}})
    assert {e["target"] for e in out["column_lineage"]} == {"d.s.t.a", "d.s.t.b"}
    assert out["problems"] == []


def test_dialect_defaults_to_snowflake_and_ansi_names_the_generic_dialect() -> None:
    sql = "select v:a::string as x from t"  # a Snowflake variant path
    [snow, generic] = run({"id": 1, "sql": f"create table o as {sql}"}, {"id": 2, "sql": "insert into o select a from t",
                                                                         "dialect": "ansi"})
    assert snow["column_lineage"][0]["source"] == "t.v" and generic["targets"] == ["o"]


def test_bad_lines_give_a_problem_with_file_and_line_and_the_run_goes_on() -> None:
    outs = run("{not json", "[1, 2]", {"id": "n"}, {"id": "d", "sql": "select 1", "dialect": "no_such"},
               {"id": "ok", "sql": "select * from t"})
    assert [o["id"] for o in outs] == [None, None, "n", "d", "ok"]
    for number, out in enumerate(outs[:4], start=1):
        [problem] = out["problems"]
        assert problem["code"] == "bad_input" and problem["message"].startswith(f"c.jsonl:{number}:")
    assert outs[4]["sources"] == ["t"]
    assert [p["code"] for p in outs[4]["problems"]] == ["unqualified_name", "unresolved_column"]


def test_a_bad_schema_entry_is_a_problem_on_the_case_and_the_rest_of_the_schema_applies() -> None:
    [out] = run({"id": "s", "sql": "insert into o select * from t", "default_database": "D", "default_schema": "S",
                 "schema": {"a": "not a list", "1.2.3.4.": ["x"], "t": ["c1", "c2"]}})
    assert [p["code"] for p in out["problems"]] == ["bad_schema", "bad_schema"]
    assert all("entry" in p["message"] and "left out" in p["message"] for p in out["problems"])
    assert {e["source"] for e in out["column_lineage"]} == {"d.s.t.c1", "d.s.t.c2"}
    [other] = run({"id": "s", "sql": "select a from t", "schema": ["not", "an", "object"]})
    assert other["sources"] == ["t"] and other["problems"][0]["code"] == "bad_schema"


def test_schema_keys_are_table_names_of_the_case_dialect() -> None:
    schema = {"`my-proj`.ds.t1": ["a"], "my-proj.ds.t2_yyyymmdd": ["b"], "proj.ds.t3": ["c"],
              "srv.db.s.t4": ["d"]}
    [out] = run({"id": "bq", "dialect": "bigquery", "schema": schema,
                 "sql": "select * from `my-proj.ds.t1` join `my-proj`.ds.t2_20230101 on true "
                        "join proj.ds.t3 on true join srv.db.s.t4 on true"})
    assert out["problems"] == []
    assert {e["source"] for e in out["column_lineage"]} == {
        "my-proj.ds.t1.a", "my-proj.ds.t2_yyyymmdd.b", "proj.ds.t3.c", "srv.db.s.t4.d"}
    [tsql] = run({"id": "ms", "dialect": "tsql", "default_database": "Db", "schema": {"[Db].[dbo].[T]": ["x"]},
                  "sql": "use Db; select * from dbo.T"})
    assert [e["source"] for e in tsql["column_lineage"]] == ["db.dbo.t.x"]


def test_an_extractor_defect_costs_one_case_not_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError(EMAIL)

    monkeypatch.setattr(batch, "extract_lineage", broken)
    [out] = run({"id": "x", "sql": "select 1"})
    assert [p["code"] for p in out["problems"]] == ["internal_error"]
    assert EMAIL not in out["problems"][0]["message"] and "c.jsonl:1" in out["problems"][0]["message"]


def test_problem_messages_never_quote_sql() -> None:
    out = extract_case({"id": 1, "sql": f"insert into t select * from a join b on a.x = b.x where e = '{EMAIL}'; "
                                        f"insert into t values ('{EMAIL}', ((", "default_database": "D", "default_schema": "S"})
    assert {p["code"] for p in out["problems"]} >= {"unresolved_column", "parse_error"}
    assert all(EMAIL not in p["message"] for p in out["problems"])


def test_blank_lines_are_skipped() -> None:
    assert [o["id"] for o in run("", "  ", {"id": 7, "sql": "select 1"})] == [7]


def test_cli_writes_one_prediction_per_case(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "a", "sql": "create table t as select x from u"}) + "\n{oops\n",
                     encoding="utf-8")
    output = tmp_path / "predictions.jsonl"
    result = CliRunner().invoke(lineage_app, ["extract", "--input", str(cases), "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "2 case(s)" in result.output and "1 bad input line(s)" in result.output
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["targets"] == ["t"] and lines[0]["column_lineage"][0]["target"] == "t.x"
    assert lines[1]["problems"][0]["message"].startswith("cases.jsonl:2:")


def test_cli_refuses_a_missing_input_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(lineage_app, ["extract", "--input", str(tmp_path / "nope.jsonl"), "--output",
                                              str(tmp_path / "o.jsonl")])
    assert result.exit_code != 0 and not (tmp_path / "o.jsonl").exists()
