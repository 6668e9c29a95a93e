"""The crawl's learned schema (parsing/learned_schema.py) and the column edges a crawl keeps."""

from __future__ import annotations

import json

import pytest

from lineage_engine.model import ColumnLineage, DatasetRef, Operation, StatementLineage
from lineage_engine.parsing.column_compose import columns_for_graph
from lineage_engine.parsing.extract import extract_lineage
from lineage_engine.parsing.learned_schema import LearnedSchema, RecordingSchema, same_answers


def st(op: Operation, target: str, counterpart: str | None = None, columns: tuple[str, ...] = ()) -> StatementLineage:
    return StatementLineage(op, DatasetRef(target, target), counterpart=DatasetRef(counterpart, counterpart)
                            if counterpart else None, defined_columns=columns)


def test_learns_defined_columns_and_follows_drop_rename_swap() -> None:
    schema = LearnedSchema()
    schema.learn([st(Operation.CREATE, "d.s.a", columns=("id", "email")), st(Operation.VIEW, "d.s.v", columns=("x",)),
                  st(Operation.INSERT, "d.s.a"), st(Operation.CREATE, "d.s.star", columns=("*",))])
    assert (schema.columns_of("d.s.a"), schema.columns_of("d.s.v"), schema.columns_of("d.s.star")) == (
        ("id", "email"), ("x",), None)  # an INSERT states no schema; an unexpanded star is not learned
    schema.learn([st(Operation.RENAME, "d.s.a", "d.s.b"), st(Operation.SWAP, "d.s.b", "d.s.v")])
    assert (schema.columns_of("d.s.a"), schema.columns_of("d.s.b"), schema.columns_of("d.s.v")) == (
        None, ("x",), ("id", "email"))
    schema.learn([st(Operation.DROP, "d.s.v")])
    assert schema.columns_of("d.s.v") is None and len(schema) == 1


def test_extraction_states_defined_columns_in_table_order() -> None:
    result = extract_lineage("create table db.s.t as select z, a, count(*) as n from db.s.u group by z, a",
                             columns=True)
    assert result.statements[0].defined_columns == ("z", "a", "n")
    assert extract_lineage("insert into db.s.t select 1", columns=True).statements[0].defined_columns == ()


def test_bounded_oldest_learned_first_out_and_state_round_trips() -> None:
    schema = LearnedSchema(limit=2)
    for name in ("a", "b", "a", "c"):  # relearning "a" makes it the newest
        schema.learn([st(Operation.CREATE, f"d.s.{name}", columns=(name,))])
    assert [i for i, _ in schema.to_state()] == ["d.s.a", "d.s.c"]
    state = json.loads(json.dumps(schema.to_state()))
    again = LearnedSchema.from_state(state, limit=2)
    assert again.to_state() == schema.to_state()
    assert LearnedSchema.from_state(None).to_state() == []
    with pytest.raises(ValueError, match="documented shape"):
        LearnedSchema.from_state([["d.s.a", [1]]])


def test_recorded_answers_tell_when_a_cached_result_is_stale() -> None:
    schema = LearnedSchema()
    recording = RecordingSchema(schema)
    result = extract_lineage("insert into db.s.t select * from db.s.u", columns=True, schema=recording)
    assert recording.answers == {"db.s.u": None, "db.s.t": None}
    assert [c.source for c in result.statements[0].columns] == ["db.s.u.*"]
    assert same_answers(schema, recording.answers)
    schema.learn([st(Operation.CREATE, "d.s.other", columns=("q",))])
    assert same_answers(schema, recording.answers)  # unrelated knowledge keeps the result valid
    schema.learn([st(Operation.CREATE, "db.s.u", columns=("k", "v"))])
    assert not same_answers(schema, recording.answers)


def test_columns_for_graph_keeps_direct_edges_and_spreads_unresolved_sources() -> None:
    statement = StatementLineage(
        Operation.INSERT, DatasetRef("d.s.t", "d.s.t"), (DatasetRef("d.s.a", "d.s.a"), DatasetRef("d.s.b", "d.s.b")),
        columns=(ColumnLineage("d.s.a.k", "d.s.t.v", "expression", "INDIRECT"),
                 ColumnLineage("d.s.a.x", "d.s.t.x"),
                 ColumnLineage("<unresolved>.y", "d.s.t.y", "masked", "DIRECT", 0.5)))
    [kept] = columns_for_graph([statement], indirect=False)
    assert [(c.source, c.target, c.transform, c.kind) for c in kept.columns] == [
        ("d.s.a.x", "d.s.t.x", "identity", "DIRECT"),
        ("d.s.a.y", "d.s.t.y", "masked", "DIRECT"),  # y is a column of a or b: both candidates kept
        ("d.s.b.y", "d.s.t.y", "masked", "DIRECT"),
    ]
    [everything] = columns_for_graph([statement], indirect=True)
    assert [c.kind for c in everything.columns] == ["INDIRECT", "DIRECT", "DIRECT", "DIRECT"]
    plain = StatementLineage(Operation.INSERT, DatasetRef("d.s.t", "d.s.t"), columns=(ColumnLineage("d.s.a.x", "d.s.t.x"),))
    assert columns_for_graph([plain], indirect=True)[0] is plain


def test_an_unresolved_column_of_an_update_may_also_be_the_targets_own() -> None:
    [st] = extract_lineage("update t set notes = email from s, u where t.id = s.id and s.k = u.k",
                           default_database="D", default_schema="S", columns=True).statements
    [kept] = columns_for_graph([st], indirect=False)
    assert {c.source for c in kept.columns} == {"d.s.s.email", "d.s.u.email", "d.s.t.email"}
