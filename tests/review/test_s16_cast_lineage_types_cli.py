"""A cast or a set operation anywhere on a column's way keeps its value, not its type (review s15 T1,
T3), through the installed CLI.

Snowflake "Tag-based masking policies": a tag's policy protects a column only when the policy's
signature type and the column's type match. A CTAS or view column copied from a VARCHAR column
through ``::VARIANT`` is VARIANT, and a set operation's column has the branches' common type
(``DATE`` with ``TIMESTAMP_LTZ`` is ``TIMESTAMP_LTZ``: "Set operators", "Data type conversion").
The column lineage followed the cast through CTEs, subqueries, ``SELECT *``, ``* REPLACE``,
unaliased items, column lists and ``IF NOT EXISTS`` as a plain ``identity`` copy, so the copy was
typed as its upstream (VARCHAR, DATE) and the tag's STRING / DATE policy was taken to mask it: a
false negative. The lineage now says ``cast`` there; only ``identity`` copies are typed.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import export_edges
from tests.review.history import Row, crawled, terminals

REGISTRY = """assets:
  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}
  - {catalog_path: DB.S.PII.DOB, classification: restricted, regulatory_tags: [pii], steward: dpo}
"""
BASE: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, dob date, ssn number)"),
    ("09:01", "CREATE_MASKING_POLICY", "create masking policy str_mask as (val string) returns string -> "
                                       "case when current_role() in ('PII_ADMIN') then val else '***' end"),
    ("09:01:10", "CREATE_MASKING_POLICY", "create masking policy date_mask as (val date) returns date -> "
                                          "case when current_role() in ('PII_ADMIN') then val else null end"),
    ("09:02", "ALTER_TAG", "alter tag pii set masking policy str_mask"),
    ("09:02:10", "ALTER_TAG", "alter tag pii set masking policy date_mask"),
]
# object, its creating statement, the (origin, terminal) that must be an exposure path: the column is
# VARIANT, NUMBER, GEOGRAPHY or TIMESTAMP_LTZ, and the tag has policies for VARCHAR and DATE only
OPEN = {
    "t01": ("create table db.s.t01 as with x as (select email::variant as c from db.s.pii) select c from x",
            ("db.s.pii.email", "db.s.t01.c")),  # c01_cte
    "t02": ("create table db.s.t02 as select c from (select email::variant as c from db.s.pii)",
            ("db.s.pii.email", "db.s.t02.c")),  # c02_subq
    "t03": ("create table db.s.t03 as select email::variant from db.s.pii",
            ("db.s.pii.email", "db.s.t03.email")),  # c03_unaliased
    "t04": ("create table db.s.t04 (c) as select email::variant from db.s.pii",
            ("db.s.pii.email", "db.s.t04.c")),  # c04_collist
    "v05": ("create view db.s.v05 (c) as select cast(email as variant) from db.s.pii",
            ("db.s.pii.email", "db.s.v05.c")),  # c05_view_collist
    "v06": ("create view if not exists db.s.v06 as select email::variant as c from db.s.pii",
            ("db.s.pii.email", "db.s.v06.c")),  # c06_view_ine (v06 did not exist)
    "t07": ("create table if not exists db.s.t07 as select email::variant as c from db.s.pii",
            ("db.s.pii.email", "db.s.t07.c")),  # c07_ctas_ine
    "t08": ("create table db.s.t08 as select * from (select email::variant as email from db.s.pii)",
            ("db.s.pii.email", "db.s.t08.email")),  # c08_star_subq
    "t13": ("create table db.s.t13 as select try_cast(email as time) from db.s.pii",
            ("db.s.pii.email", "db.s.t13.try_cast(email as time)")),  # c13 unaliased TRY_CAST
    "t14": ("create table db.s.t14 as select * replace (email::variant as email) from db.s.pii",
            ("db.s.pii.email", "db.s.t14.email")),  # c14_star_replace
    "t15": ("create table db.s.t15 as select email::variant date from db.s.pii",
            ("db.s.pii.email", "db.s.t15.date")),  # c15 alias without AS that is a keyword
    "t17": ("create table db.s.t17 as select to_geography(email) as c from db.s.pii",
            ("db.s.pii.email", "db.s.t17.c")),  # a cast sqlglot makes, no CAST in the text
    "u1": ("create table db.s.u1 as select * from db.s.pii union all select 1, 'x', current_timestamp(), 2",
           ("db.s.pii.dob", "db.s.u1.dob")),  # u1_star_union
    "u2": ("create table db.s.u2 as with u as (select dob as c from db.s.pii union all "
           "select current_timestamp()) select c from u", ("db.s.pii.dob", "db.s.u2.c")),  # u2_cte_union
    "u3": ("create table db.s.u3 as select c from (select dob as c from db.s.pii union all "
           "select current_timestamp())", ("db.s.pii.dob", "db.s.u3.c")),  # u3_subq_union
}
# controls: copies whose type the tag's policies match stay masked
MASKED = {
    "k1": ("create table db.s.k1 as select email as c, dob as d from db.s.pii",
           [("db.s.pii.email", "db.s.k1.c"), ("db.s.pii.dob", "db.s.k1.d")]),  # plain copies
    "k2": ("create table db.s.k2 as select dob as d from db.s.pii union all select dob from db.s.pii",
           [("db.s.pii.dob", "db.s.k2.d")]),  # a bare column in every branch
    "k3": ("create table db.s.k3 as with x as (select email as c from db.s.pii) select * from x",
           [("db.s.pii.email", "db.s.k3.c")]),  # a plain copy through a CTE and a star
    "k4": ("create table db.s.k4 as select email::varchar as c, cast(dob as date) as d from db.s.pii",
           [("db.s.pii.email", "db.s.k4.c"), ("db.s.pii.dob", "db.s.k4.d")]),  # a cast whose type is stated
    "k5": ("create view db.s.k5 as select email as c from db.s.pii", [("db.s.pii.email", "db.s.k5.c")]),
}


def _tag(name: str) -> str:
    kind = "view" if name.startswith(("v", "k5")) else "table"
    return f"alter {kind} db.s.{name} set tag pii = 'x'"


def test_a_cast_or_set_operation_on_the_way_leaves_the_copy_untyped(tmp_path: Path) -> None:
    statements = {**{k: v[0] for k, v in OPEN.items()}, **{k: v[0] for k, v in MASKED.items()}}
    rows: list[Row] = [*BASE]
    for n, (name, text) in enumerate(statements.items()):
        kind = "CREATE_VIEW" if " view " in text else "CREATE_TABLE_AS_SELECT"
        rows.append((f"09:03:{n:02d}", kind, text))
    for n, name in enumerate(statements):
        rows.append((f"09:05:{n:02d}", "ALTER_TABLE", _tag(name)))
    config = crawled(tmp_path, rows, REGISTRY)
    found = terminals(config)
    missing = sorted(name for name, (_, pair) in OPEN.items() if pair not in found)
    assert missing == []  # before: each typed as its upstream (VARCHAR, DATE) and taken as masked
    wrongly = sorted(name for name, (_, pairs) in MASKED.items() for pair in pairs if pair in found)
    assert wrongly == []
    # the value still flows: the cast copies are column edges ``cast``, the plain ones ``identity``
    edges = [json.loads(line) for line in export_edges(config, "--level", "column").splitlines() if line.strip()]
    transforms = {(e["downstream"], e["upstream"]): e["transform"] for e in edges}
    assert transforms[("db.s.t03.email", "db.s.pii.email")] == "cast"
    assert transforms[("db.s.k1.c", "db.s.pii.email")] == "identity"

