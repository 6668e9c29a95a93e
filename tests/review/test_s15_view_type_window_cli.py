"""A tagged view's "unmasked from … to …" window ends when its type came to match (review s15 T7).

A view's column has its base column's type at each instant (a view is live). ``db.s.v.c`` reads a
DATE column until 09:04, when the base is replaced with a VARCHAR one; the tag's only policy is a
STRING one, so the view's birth dates were in clear until 09:04. The resolved window ended at 09:03:20,
when the tag was set (an understated exposure in the evidence; the README promises over-stated, never
under-stated windows).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import Row, crawled

REGISTRY = "assets:\n  - {catalog_path: DB.S.PII.DOB, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"
ROWS: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, dob date)"),
    ("09:01", "CREATE_MASKING_POLICY", "create masking policy str_mask as (val string) returns string -> "
                                       "case when current_role() in ('PII_ADMIN') then val else '***' end"),
    ("09:01:01", "ALTER_TAG", "alter tag pii set masking policy str_mask"),
    ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.base as select dob as c from db.s.pii"),
    ("09:03:10", "CREATE_VIEW", "create view db.s.v as select c from db.s.base"),
    ("09:03:20", "ALTER_VIEW", "alter view db.s.v set tag pii = 'x'"),
    ("09:04", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.base as select dob::varchar as c from db.s.pii"),
]


def test_the_window_of_a_tagged_view_ends_when_its_base_type_matched(tmp_path: Path) -> None:
    config = crawled(tmp_path, ROWS, REGISTRY)
    run_cli(config, "scan")
    findings = json.loads(run_cli(config, "findings", "--format", "json").stdout)
    view = [f for f in findings if f["terminal"] == "db.s.v.c"]
    assert [(f["status"], f["unmasked window"]) for f in view] == [
        ("resolved", "unmasked from 2026-05-04T09:03:10Z to 2026-05-04T09:04:00Z")], view
