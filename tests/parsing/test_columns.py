"""Column-level lineage: one behaviour per test; the golden_columns files pin whole outputs."""

from __future__ import annotations

import pytest

from lineage_engine.model import ColumnLineage, Operation, StatementLineage
from lineage_engine.parsing import columns as columns_module
from lineage_engine.parsing.extract import extract_lineage
from lineage_engine.parsing.schema import LayeredSchema, MappingSchemaProvider
from lineage_engine.parsing.transforms import DEFAULT_MASKING_FUNCTIONS

EMAIL = "jane.doe@example.com"


def one(text: str, **kwargs: object) -> StatementLineage:
    result = extract_lineage(text, default_database="D", default_schema="S", columns=True, **kwargs)
    assert len(result.statements) == 1, result
    return result.statements[0]


def direct(st: StatementLineage) -> dict[tuple[str, str], str]:
    """(target column, source column) -> transform, DIRECT edges only."""
    return {(c.target, c.source): c.transform for c in st.columns if c.kind == "DIRECT"}


def test_table_level_default_leaves_columns_empty() -> None:
    result = extract_lineage("create table t as select a from x", default_database="D", default_schema="S")
    assert result.statements[0].columns == ()


def test_column_ids_share_the_table_level_canonical_ids() -> None:
    st = one('create table "Mart"."T" as select "Email" as "E" from raw."Customers"')
    assert st.target.id == "d.mart.t" and st.sources[0].id == "d.raw.customers"
    assert direct(st) == {("d.mart.t.e", "d.raw.customers.email"): "identity"}


@pytest.mark.parametrize(
    ("item", "transform"),
    [
        ("email", "identity"),
        ("(email)", "identity"),
        ("email::varchar", "cast"),  # the value as is, under the cast's type (review s15 T1)
        ("cast(email as varchar(100))", "cast"),
        ("try_cast(email as date)", "cast"),
        ("to_geography(email)", "cast"),  # sqlglot parses it into a cast
        ("(email::variant)", "cast"),
        ("detokenize(email)::varchar", "unmasked"),
        ("sha2(email)::varchar", "masked"),
        ("lower(email)", "expression"),
        ("email:domain::string", "expression"),
        ("max(email)", "aggregation"),
        ("sha2(email)", "masked"),
        ("sha2_hex(email)", "masked"),
        ("md5(email)", "masked"),
        ("hash(email)", "masked"),
        ("pii.tokenize_email(email)", "masked"),
        ("anonymize(email)", "masked"),
        ("detokenize(email)", "unmasked"),
        ("unmask(email)", "unmasked"),
        ("upper(sha2(email))", "masked"),
        ("concat(sha2(email), email)", "expression"),
        ("case when is_role_in_session('PII') then email else '***' end", "expression"),
        ("iff(current_role() = 'ADMIN', email, 'REDACTED')", "expression"),
        ("case when flag then email else 'n/a' end", "expression"),
    ],
)
def test_transform_of_one_select_item(item: str, transform: str) -> None:
    st = one(f"create table t as select {item} as out from customers")
    assert direct(st)[("d.s.t.out", "d.s.customers.email")] == transform


def test_masking_functions_are_configurable() -> None:
    text = "create table t as select my_hash(email) as a, sha2(email) as b from customers"
    st = one(text, masking_functions=frozenset({"MY_HASH"}))
    assert direct(st) == {("d.s.t.a", "d.s.customers.email"): "masked", ("d.s.t.b", "d.s.customers.email"): "expression"}
    assert "*MASK*" in DEFAULT_MASKING_FUNCTIONS


def test_union_keeps_the_most_revealing_transform() -> None:
    # the set operation's column has the branches' common type, not b.email's: ``cast`` (review s15 T3)
    st = one("create table t as select sha2(email) as e from a union all select email from b")
    assert direct(st) == {("d.s.t.e", "d.s.a.email"): "masked", ("d.s.t.e", "d.s.b.email"): "cast"}


@pytest.mark.parametrize(
    ("query", "transforms"),
    [
        # every branch a bare column at that position: the type is kept (the copies' types must still agree)
        ("select email as e from a union all select email from b", {"a": "identity", "b": "identity"}),
        ("select * from (select email as e from a union select e from c) x", {"a": "identity", "c": "identity"}),
        # a literal, an expression or a cast in one branch: the column's type is the branches' common one
        ("select email as e from a union all select 'x'", {"a": "cast"}),
        ("select email as e from a except select lower(email) from b", {"a": "cast", "b": "expression"}),
        ("select email as e from a union all select email::variant from b", {"a": "cast", "b": "cast"}),
        ("with u as (select email as e from a union all select null) select e from u", {"a": "cast"}),
        ("select e from (select email as e from a union all select current_timestamp())", {"a": "cast"}),
        ("select email as e from a union all by name select 1 as f", {"a": "cast"}),
    ],
)
def test_set_operation_column_keeps_its_type_only_when_bare_in_every_branch(query: str, transforms: dict[str, str]) -> None:
    st = one(f"create table t as {query}")
    assert {source.split(".")[2]: transform for (target, source), transform in direct(st).items()
            if target == "d.s.t.e"} == transforms


def test_filter_join_and_group_keys_are_indirect_to_every_target_column() -> None:
    st = one("create table t as select a.x, count(*) as n from a join b on a.k = b.k where b.flag group by a.x")
    indirect = {(c.target, c.source) for c in st.columns if c.kind == "INDIRECT"}
    for target in ("d.s.t.x", "d.s.t.n"):
        assert {(target, "d.s.a.k"), (target, "d.s.b.k"), (target, "d.s.b.flag")} <= indirect
    assert ("d.s.t.x", "d.s.a.x") not in indirect  # a DIRECT edge wins over INDIRECT for the same pair
    assert ("d.s.t.n", "d.s.a.x") in indirect


def test_merge_fast_path_is_off_in_column_mode() -> None:
    text = "merge into t using s on t.id = s.id when matched then update set t.v = s.v"
    assert extract_lineage(text, default_database="D", default_schema="S").statements[0].columns == ()
    st = one(text)
    assert direct(st) == {("d.s.t.v", "d.s.s.v"): "identity"}
    assert ("d.s.t.v", "d.s.s.id") in {(c.target, c.source) for c in st.columns if c.kind == "INDIRECT"}


def test_merge_insert_values_without_column_list_use_the_schema() -> None:
    schema = MappingSchemaProvider({"d.s.t": ["id", "v"]})
    st = one("merge into t using s on t.id = s.id when not matched then insert values (s.id, s.w)", schema=schema)
    assert direct(st) == {("d.s.t.id", "d.s.s.id"): "identity", ("d.s.t.v", "d.s.s.w"): "identity"}


def test_select_star_without_schema_is_unresolved_and_lowers_confidence() -> None:
    result = extract_lineage("create table t as select * from a join b on a.id = b.id", default_database="D",
                             default_schema="S", columns=True)
    edges = [c for c in result.statements[0].columns if c.kind == "DIRECT"]
    assert {(c.target, c.source, c.confidence) for c in edges} == {
        ("d.s.t.*", "d.s.a.*", 0.5), ("d.s.t.*", "d.s.b.*", 0.5)
    }
    assert [p.code for p in result.problems] == ["unresolved_column"]
    assert result.confidence == 0.8


def test_schema_expands_star_and_resolves_unqualified_columns() -> None:
    schema = MappingSchemaProvider({"D.S.A": ["ID", "Email"], "d.s.b": ["id", "phone"]})
    st = one("create table t as select a.*, phone from a join b on a.id = b.id", schema=schema)
    assert direct(st) == {
        ("d.s.t.id", "d.s.a.id"): "identity", ("d.s.t.email", "d.s.a.email"): "identity",
        ("d.s.t.phone", "d.s.b.phone"): "identity",
    }


def test_ambiguous_column_is_written_unresolved() -> None:
    result = extract_lineage("create table t as select x from a join b on a.id = b.id", default_database="D",
                             default_schema="S", columns=True)
    assert direct(result.statements[0]) == {("d.s.t.x", "<unresolved>.x"): "identity"}
    assert result.problems[0].code == "unresolved_column"


def test_problem_messages_quote_no_query_text() -> None:
    text = f"create table t as select * from a join b on a.id = b.id where a.email = '{EMAIL}'"
    result = extract_lineage(text, default_database="D", default_schema="S", columns=True)
    assert result.problems and all(EMAIL not in p.message and "email" not in p.message for p in result.problems)


def test_unaliased_expression_names_never_carry_literals() -> None:
    st = one(f"create table t as select concat(name, '{EMAIL}'), count(*) over (partition by name) from customers")
    targets = {c.target for c in st.columns}
    assert targets == {"d.s.t.concat(name, ?)", "d.s.t.count(*) over (partition by name)"}
    assert st.defined_columns == ("concat(name, ?)", "count(*) over (partition by name)")


def test_count_star_carries_no_column() -> None:
    st = one("create table t as select region, count(*) as n, count(*) + 1 as m from customers group by region")
    assert {c.target for c in st.columns if c.kind == "DIRECT"} == {"d.s.t.region"}
    assert st.defined_columns == ("region", "n", "m")


def test_insert_with_column_list_maps_by_position() -> None:
    st = one("insert into t (a, b) select y, x from s")
    assert direct(st) == {("d.s.t.a", "d.s.s.y"): "identity", ("d.s.t.b", "d.s.s.x"): "identity"}
    assert {c.confidence for c in st.columns} == {1.0}


def test_insert_without_column_list_guesses_names_with_lower_confidence() -> None:
    st = one("insert into t select y, x from s")
    assert {(c.target, c.source, c.confidence) for c in st.columns} == {
        ("d.s.t.y", "d.s.s.y", 0.8), ("d.s.t.x", "d.s.s.x", 0.8)
    }


def test_insert_overwrite_skips_static_partition_columns() -> None:
    schema = MappingSchemaProvider({"t": ["a", "b", "dt"]})
    result = extract_lineage("insert overwrite table t partition (dt=1) select x, y from s", dialect="hive",
                             columns=True, schema=schema)
    assert direct(result.statements[0]) == {("t.a", "s.x"): "identity", ("t.b", "s.y"): "identity"}


def test_columns_defined_earlier_in_the_text_expand_a_later_star() -> None:
    result = extract_lineage("create table a as select id, email from raw.c; create table b as select * from a",
                             default_database="D", default_schema="S", columns=True)
    assert direct(result.statements[1]) == {("d.s.b.id", "d.s.a.id"): "identity",
                                            ("d.s.b.email", "d.s.a.email"): "identity"}
    assert result.problems == ()


def test_layered_schema_forgets_dropped_and_follows_renamed_objects() -> None:
    layered = LayeredSchema(MappingSchemaProvider({"base": ["x"]}))
    layered.learn("a", ["id"])
    layered.learn("star", ["*"])  # an unexpanded star teaches nothing
    assert (layered.columns_of("a"), layered.columns_of("base"), layered.columns_of("star")) == (("id",), ("x",), None)
    layered.forget("a")
    assert layered.columns_of("a") is None
    text = "create table a as select id from c; alter table a rename to b; create table t as select * from b"
    result = extract_lineage(text, default_database="D", default_schema="S", columns=True)
    assert direct(result.statements[-1]) == {("d.s.t.id", "d.s.b.id"): "identity"}


def test_a_column_failure_keeps_table_lineage(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError(EMAIL)

    monkeypatch.setattr(columns_module, "create_columns", broken)
    result = extract_lineage("create table t as select a from x", default_database="D", default_schema="S",
                             columns=True)
    st = result.statements[0]
    assert (st.target.id, [s.id for s in st.sources], st.columns) == ("d.s.t", ["d.s.x"], ())
    assert [p.code for p in result.problems] == ["column_error"]
    assert EMAIL not in result.problems[0].message and result.confidence == 0.5


def test_queries_mode_reports_select_reads_and_select_into() -> None:
    text = "select a from x join y on x.id = y.id; select * into z from w"
    plain = extract_lineage(text, default_database="D", default_schema="S")
    assert plain.statements == ()
    result = extract_lineage(text, dialect="postgres", default_database="D", default_schema="S", queries=True)
    assert [(s.operation, s.target.id if s.target else None, [r.id for r in s.sources]) for s in result.statements] == [
        (Operation.QUERY, None, ["d.s.x", "d.s.y"]), (Operation.CREATE, "d.s.z", ["d.s.w"])
    ]
    crawl = extract_lineage(text, dialect="tsql", default_database="D", default_schema="S")  # a CTAS in T-SQL
    assert [(s.operation, s.target.id, [r.id for r in s.sources]) for s in crawl.statements] == [
        (Operation.CREATE, "d.s.z", ["d.s.w"])]


def test_tsql_update_of_an_alias_writes_the_aliased_table() -> None:
    text = "UPDATE t SET t.c = s.c FROM tab1 t JOIN tab2 s ON t.id = s.id"
    result = extract_lineage(text, dialect="tsql", default_database="D", default_schema="S", columns=True)
    st = result.statements[0]
    assert (st.target.id, [s.id for s in st.sources]) == ("d.s.tab1", ["d.s.tab2"])
    assert direct(st) == {("d.s.tab1.c", "d.s.tab2.c"): "identity"}


def test_mysql_update_with_join_reads_the_joined_table() -> None:
    text = "UPDATE tab1 a INNER JOIN tab2 b ON a.col1 = b.col1 SET a.col2 = b.col2"
    st = extract_lineage(text, dialect="mysql", default_database="D", default_schema="S", columns=True).statements[0]
    assert (st.target.id, [s.id for s in st.sources]) == ("d.s.tab1", ["d.s.tab2"])
    assert direct(st) == {("d.s.tab1.col2", "d.s.tab2.col2"): "identity"}


def test_column_lineage_is_a_frozen_value_with_a_default_confidence() -> None:
    edge = ColumnLineage("a.b.c.x", "a.b.d.x")
    assert (edge.transform, edge.kind, edge.confidence) == ("identity", "DIRECT", 1.0)
    with pytest.raises(AttributeError):
        edge.kind = "INDIRECT"  # type: ignore[misc]


def test_insert_by_name_matches_on_names_not_positions() -> None:
    schema = MappingSchemaProvider({"d.s.t": ["id", "email"]})
    st = one("insert into t by name select email, id from src", schema=schema)
    # by position the e-mail would land in t.id: a wrong, PII-hiding edge
    assert direct(st) == {("d.s.t.email", "d.s.src.email"): "identity", ("d.s.t.id", "d.s.src.id"): "identity"}


@pytest.mark.parametrize("dialect", ["databricks", "snowflake"])
def test_merge_star_actions_copy_every_source_column_by_name(dialect: str) -> None:
    text = ("merge into t using src s on t.id = s.id "
            "when matched then update set * when not matched then insert *")
    known = one(text, dialect=dialect, schema=MappingSchemaProvider({"d.s.src": ["id", "email"]}))
    assert direct(known) == {("d.s.t.email", "d.s.src.email"): "identity", ("d.s.t.id", "d.s.src.id"): "identity"}
    both = one(text, dialect=dialect, schema=MappingSchemaProvider({"d.s.src": ["id", "email", "extra"],
                                                                     "d.s.t": ["id", "email"]}))
    assert direct(both) == direct(known)  # only the target's own names are matched
    unknown = one(text, dialect=dialect)
    assert direct(unknown) == {("d.s.t.*", "d.s.src.*"): "identity"}
    hashed = one("merge into t using (select id, sha2(email) as email from src) s on t.id = s.id "
                 "when not matched then insert *", dialect=dialect)
    assert direct(hashed) == {("d.s.t.email", "d.s.src.email"): "masked", ("d.s.t.id", "d.s.src.id"): "identity"}


def test_an_unqualified_name_in_update_from_is_ambiguous_until_a_schema_says_whose_it_is() -> None:
    text = "update t set notes = email from s where t.id = s.id"
    assert direct(one(text)) == {("d.s.t.notes", "<unresolved>.email"): "identity"}  # t's or s's: not s's silently
    known = one(text, schema=MappingSchemaProvider({"d.s.t": ["id", "email", "notes"], "d.s.s": ["id", "k"]}))
    assert direct(known) == {("d.s.t.notes", "d.s.t.email"): "identity"}
