"""merge_clauses: the column-mode MERGE fast path reads plain copies and nothing else."""

from __future__ import annotations

import pytest
from sqlglot.dialects.dialect import Dialect

from lineage_engine.parsing import extract as extract_module
from lineage_engine.parsing.chunks import merge_clauses_start
from lineage_engine.parsing.extract import extract_lineage
from lineage_engine.parsing.merge_clauses import PlainClause, plain_merge_clauses

DBT_MERGE = (
    'merge into DB.S.T as DBT_INTERNAL_DEST using DB.S.T__dbt_tmp as DBT_INTERNAL_SOURCE '
    'on (DBT_INTERNAL_SOURCE.id = DBT_INTERNAL_DEST.id) '
    'when matched then update set "ID" = DBT_INTERNAL_SOURCE."ID", "Email" = DBT_INTERNAL_SOURCE."Email" '
    'when not matched then insert ("ID", "Email") values ("ID", DBT_INTERNAL_SOURCE."Email")'
)


def clauses(text: str) -> tuple[PlainClause, ...] | None:
    tokens = Dialect.get_or_raise("snowflake").tokenize(text)
    start = merge_clauses_start(tokens)
    return None if start is None else plain_merge_clauses(tokens[start:])


def test_plain_copies_are_read_from_tokens() -> None:
    assert clauses(DBT_MERGE) == (
        PlainClause(True, (("id", ("dbt_internal_source", "id")), ("email", ("dbt_internal_source", "email")))),
        PlainClause(False, (("id", ("", "id")), ("email", ("dbt_internal_source", "email")))),
    )


@pytest.mark.parametrize(
    "clause",
    [
        "when matched and s.x = 1 then update set a = s.a",
        "when matched then update set a = s.a + 1",
        "when matched then update set a = 'x'",
        "when matched then delete",
        "when not matched then insert (a, b) values (s.a)",
        "when not matched then insert (a) values (sha2(s.a))",
        "when not matched by source then delete",
    ],
)
def test_anything_else_is_left_to_the_parser(clause: str) -> None:
    assert clauses(f"merge into t using s on t.id = s.id {clause}") is None


def test_fast_path_and_full_parse_give_the_same_lineage(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = extract_lineage(DBT_MERGE, columns=True)
    monkeypatch.setattr(extract_module, "plain_merge_clauses", lambda tail: None)
    full = extract_lineage(DBT_MERGE, columns=True)
    assert fast == full
    assert {(c.target, c.source) for c in fast.statements[0].columns if c.kind == "DIRECT"} == {
        ("db.s.t.id", "db.s.t__dbt_tmp.id"), ("db.s.t.email", "db.s.t__dbt_tmp.email")
    }
