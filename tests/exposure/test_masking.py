"""Masking policies with time (pure): spans, views enforcing their base policy, what a copy holds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lineage_engine.exposure.masking import MaskingView, Span, masking_spans
from lineage_engine.model import ColumnRead, EdgeRow, MaskingPolicyBody, RegistryFact

T = datetime(2026, 3, 2, tzinfo=timezone.utc)
EMAIL = "db.s.customers.email"


def h(n: int) -> datetime:
    return T + timedelta(hours=n)


def fact(value: str | None, start: int, end: int | None = None, origin: str = "query_history",
         path: str = EMAIL) -> RegistryFact:
    return RegistryFact(path, "masking_policy", value, h(start), h(end) if end is not None else None, origin=origin)


def copy(first: int, last: int | None = None, down: str = "db.s.c.email", up: str = EMAIL) -> EdgeRow:
    return EdgeRow(downstream=down, upstream=up, valid_from=h(first), valid_to=None, first_seen=h(first),
                   last_seen=h(last if last is not None else first), observations=1, last_query_id="q",
                   query_type="INSERT", transform="identity", kind="DIRECT")


def test_spans_take_the_newest_statement_of_any_origin() -> None:
    spans = masking_spans([fact("file_mask", -1000, origin="import"), fact(None, 2), fact("m2", 5, 8),
                           fact("NONE", 10, origin="policy_references")])
    assert spans == {EMAIL: [Span(h(-1000), h(2), "file_mask"), Span(h(5), h(8), "m2")]}


def test_a_view_column_is_masked_only_when_every_column_it_shows_is() -> None:
    spans = masking_spans([fact("m", 2)])
    view = MaskingView(spans, live_upstreams={"db.s.v.email": [EMAIL], "db.s.v.contact": [EMAIL, "db.s.customers.name"],
                                              "db.s.v2.email": ["db.s.v.email"]})
    assert view.masked_since("db.s.v.email", h(3)) == h(2)
    assert view.masked_since("db.s.v2.email", h(3)) == h(2)  # a view over a view
    assert not view.is_masked("db.s.v.email", h(1))
    assert not view.is_masked("db.s.v.contact", h(3))  # shows an unmasked column too


def test_what_a_copy_holds() -> None:
    spans = masking_spans([fact("m", 2), fact("other", 2, path="db.s.customers.phone")])
    bodies = [MaskingPolicyBody("m", True, ("PII_ADMIN",), h(1))]
    reads = [ColumnRead("db.s.a.email", EMAIL, h(3), "q1", "ANALYST"),
             ColumnRead("db.s.b.email", EMAIL, h(3), "q2", "PII_ADMIN"),
             ColumnRead("db.s.c.phone", "db.s.customers.phone", h(3), "q3", "ANALYST")]
    view = MaskingView(spans, bodies, reads)
    assert view.judge_copy(copy(1, 3)).clear  # one copy before the policy
    assert "before its masking policy (m) began" in view.judge_copy(copy(1, 3)).note
    assert not view.judge_copy(copy(3, down="db.s.a.email")).clear  # ANALYST sees masked values
    assert "role PII_ADMIN, which masking policy m shows clear" in view.judge_copy(copy(3, down="db.s.b.email")).note
    unknown = view.judge_copy(copy(3, down="db.s.c.phone", up="db.s.customers.phone"))
    assert unknown.clear and "whose body is unknown" in unknown.note
    unrecorded = view.judge_copy(copy(3, down="db.s.z.email"))
    assert unrecorded.clear and "role is not recorded" in unrecorded.note


def test_tag_spans_overlap_the_tag_and_its_policy_and_a_direct_policy_wins() -> None:
    """Rule 5: masked while the column carries the tag *and* the tag carries a policy."""
    from lineage_engine.exposure.masking import tag_masking_spans

    tag = [RegistryFact(EMAIL, "tag", "email", h(2), h(10), origin="query_history", key="gov.tags.pii"),
           RegistryFact("db.s.orders", "tag", "yes", h(0), origin="tag_references", key="PII")]
    on_tag = [RegistryFact("pii", "tag_masking_policy", "str_mask", h(4), h(6), key="str_mask"),
              RegistryFact("pii", "tag_masking_policy", None, h(6), h(8), key="str_mask"),
              RegistryFact("gov.tags.pii", "tag_masking_policy", "str_mask", h(8), key="str_mask")]
    spans = tag_masking_spans([*tag, *on_tag])
    assert spans[EMAIL] == [Span(h(4), h(6), "str_mask"), Span(h(8), h(10), "str_mask")]
    assert "db.s.orders" not in spans  # "PII" (quoted, other case) is another tag
    view = MaskingView(masking_spans([fact("direct_mask", 5)]), [MaskingPolicyBody("str_mask", True, (), h(0),
                                                                                   data_type="VARCHAR")],
                       tag_spans=spans, column_types={EMAIL: [(h(0), None, "VARCHAR")]})
    assert [s.policy for s in view.policies_at(EMAIL, h(4.5))] == ["str_mask"]  # type: ignore[arg-type, union-attr]
    assert [s.policy for s in view.policies_at(EMAIL, h(5.5))] == ["direct_mask"]  # type: ignore[arg-type, union-attr]
    assert view.policies_at(EMAIL, h(7)) is None or [s.policy for s in view.policies_at(EMAIL, h(7))] == [  # type: ignore[union-attr]
        "direct_mask"]
    assert not view.is_masked("db.s.other.email", h(5))


def test_a_tag_policy_masks_only_columns_of_its_data_type() -> None:
    """Rule 6 (Snowflake "Tag-based masking policies": the signature's type and the column's must
    match; a tag holds one policy per data type). Review s12 O1: every tagged column was taken as masked."""
    from lineage_engine.exposure.masking import data_type_spans

    table = "db.s.customers"
    spans = {table: [Span(h(1), None, "str_mask"), Span(h(1), None, "num_mask")],  # a table tag: all its columns
             "db.s.legacy.email": [Span(h(1), None, "str_mask")]}
    bodies = [MaskingPolicyBody("gov.str_mask", True, (), h(0), data_type="VARCHAR"),
              MaskingPolicyBody("gov.str_mask", True, ("R",), h(0.5)),  # SET BODY keeps the signature
              MaskingPolicyBody("gov.num_mask", True, (), h(0), data_type="NUMBER")]
    types = data_type_spans([
        RegistryFact(EMAIL, "data_type", "VARCHAR", h(0), origin="query_history"),
        RegistryFact(f"{table}.dob", "data_type", "DATE", h(0), origin="query_history"),
        RegistryFact(f"{table}.ssn", "data_type", "NUMBER", h(0), origin="query_history"),
        RegistryFact(f"{table}.ssn", "data_type", "VARCHAR", h(5), origin="query_history")])  # SET DATA TYPE
    copies = {"db.s.legacy.email": [(h(0.5), None, h(0.5), "db.s.raw.email")]}  # copied unchanged: its upstream's
    view = MaskingView({}, bodies, tag_spans=spans, column_types=types,
                       type_copies={**copies, "db.s.crm.email": [(h(0.5), None, h(0.5), EMAIL)]})
    assert view.is_masked(EMAIL, h(2))  # VARCHAR: the tag's VARCHAR policy
    assert [s.policy for s in view.policies_at(f"{table}.ssn", h(2)) or ()] == ["num_mask"]
    assert [s.policy for s in view.policies_at(f"{table}.ssn", h(6)) or ()] == ["str_mask"]
    assert not view.is_masked(f"{table}.dob", h(2))  # a DATE: no DATE policy on the tag
    assert view.doubt(f"{table}.dob", h(2)) == (
        "db.s.customers.dob is DATE; a tag it carries has masking policies only for other data types: "
        "num_mask (NUMBER), str_mask (VARCHAR)")
    assert not view.is_masked(f"{table}.name", h(2))  # no type known: over-report, and say why
    assert "the data type of db.s.customers.name is not known" in (view.doubt(f"{table}.name", h(2)) or "")
    assert not view.is_masked(table, h(2))  # the table as a whole: its DATE column is clear
    assert view.column_type("db.s.crm.email", h(2)) == "VARCHAR"  # a plain copy of a VARCHAR column
    assert view.column_type("db.s.crm.email", h(0.25)) is None  # not made yet
    assert not view.is_masked("db.s.legacy.email", h(2))  # copied from a column whose type is not known
    assert view.doubt(EMAIL, h(2)) is None
    # ACCOUNT_USAGE.COLUMNS lags: a sync's type that the history contradicts is not known (review s14 R7)
    synced = data_type_spans([RegistryFact("db.s.t.c", "data_type", "VARCHAR", h(3), origin="columns"),
                              RegistryFact("db.s.t.c", "data_type", "DATE", h(2), origin="query_history")])
    assert MaskingView({}, column_types=synced).column_type("db.s.t.c", h(2.5)) == "DATE"
    assert MaskingView({}, column_types=synced).column_type("db.s.t.c", h(4)) is None
    copied = MaskingView({}, column_types={**synced, "db.s.t.c": synced["db.s.t.c"][:1], EMAIL: types[EMAIL]},
                         type_copies={"db.s.t.c": [(h(2), None, h(2), EMAIL)]})
    assert copied.column_type("db.s.t.c", h(4)) == "VARCHAR"  # the copy and the sync agree
    # a sync within COLUMNS' 90 min latency after the history replaced the table may show the old
    # column: it does not type a column the history could not type (review s15 T8)
    stale = data_type_spans([RegistryFact("db.s.t.c", "data_type", "VARCHAR", h(3), origin="columns")])
    assert MaskingView({}, column_types=stale, recreated={"db.s.t": [h(2.5)]}).column_type("db.s.t.c", h(4)) is None
    assert MaskingView({}, column_types=stale, recreated={"db.s.t": [h(1)]}).column_type("db.s.t.c", h(4)) == "VARCHAR"
    assert MaskingView({}, column_types=stale).column_type("db.s.t.c", h(4)) == "VARCHAR"  # created before the history
    # a type the history states as not known ("?": a cast, a set operation) is filled only by a later sync
    unsure = data_type_spans([RegistryFact("db.s.t.c", "data_type", "?", h(2), origin="query_history"),
                              RegistryFact("db.s.t.c", "data_type", "VARCHAR", h(3), origin="columns")])
    assert MaskingView({}, column_types=unsure).column_type("db.s.t.c", h(4)) is None
    later = data_type_spans([RegistryFact("db.s.t.c", "data_type", "?", h(2), origin="query_history"),
                             RegistryFact("db.s.t.c", "data_type", "VARCHAR", h(4), origin="columns")])
    assert MaskingView({}, column_types=later).column_type("db.s.t.c", h(5)) == "VARCHAR"
    unknown = MaskingView({}, [], tag_spans=spans, column_types=types)  # no CREATE MASKING POLICY seen
    assert not unknown.is_masked(EMAIL, h(2))
    assert "its signature's data type is not known" in (unknown.doubt(EMAIL, h(2)) or "")
