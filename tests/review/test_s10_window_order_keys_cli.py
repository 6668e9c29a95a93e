"""Columns that only order or partition rows carry no value into the result.

``row_number() over (partition by email order by id) as rn`` holds a number: no e-mail
reaches ``rn`` (OpenLineage calls such a dependency INDIRECT, subtype WINDOW; sorting keys
are INDIRECT, SORT). The same holds for the ``ORDER BY`` of an aggregate's ``WITHIN GROUP``.
Read as DIRECT, every de-duplication column (``rn``) next to an e-mail was reported as an
exposure of its own. ``ARRAY_AGG(email) WITHIN GROUP (ORDER BY id)`` failed outright
(``column_error``): the statement lost all its column lineage and was reported at table
level only.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import export_edges
from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_window_and_within_group_order_keys_are_indirect(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT",
         "create table db.s.w as select id, row_number() over (partition by email order by id) as rn, "
         "count(*) over (partition by name order by email) as c, "
         "first_value(email) over (partition by name order by id) as fe from db.s.pii"),
        ("09:02", "CREATE_TABLE_AS_SELECT",
         "create table db.s.g as select name, array_agg(id) within group (order by email) as ids, "
         "array_agg(email) within group (order by id) as emails, "
         "listagg(name, ',') within group (order by email) as names from db.s.pii group by name"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.h as select emails from db.s.g"),
    ])
    assert terminals(config) == {(PII, "db.s.w.fe"), (PII, "db.s.g.emails"), (PII, "db.s.h.emails")}
    edges = [json.loads(line) for line in export_edges(config, "--level", "column").splitlines()]
    carries = {e["downstream"] for e in edges if e["upstream"] == PII and e["kind"] == "DIRECT"}
    assert carries == {"db.s.w.fe", "db.s.g.emails"}
    # the other columns keep their own lineage (the statement's column lineage is not lost)
    assert {(e["downstream"], e["upstream"]) for e in edges if e["downstream"] in ("db.s.g.ids", "db.s.g.names")} == {
        ("db.s.g.ids", "db.s.pii.id"), ("db.s.g.names", "db.s.pii.name")}


def test_max_by_key_chooses_the_row_and_carries_no_value(tmp_path: Path) -> None:
    """``MAX_BY(id, email)`` is the id of the row with the largest e-mail: the e-mail only
    chooses the row (INDIRECT); ``MIN_BY(email, id)`` returns e-mails (DIRECT, aggregation).
    Read as two values, every "latest id by e-mail" column was reported as holding e-mails."""
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT",
         "create table db.s.m as select name, max_by(id, email) as last_id, min_by(email, id) as first_email, "
         "max_by(id, email, 3) as top_ids from db.s.pii group by name"),
    ])
    assert terminals(config) == {(PII, "db.s.m.first_email")}
    edges = [json.loads(line) for line in export_edges(config, "--level", "column").splitlines()]
    from_pii = {(e["downstream"], e["kind"]) for e in edges if e["upstream"] == PII}
    assert ("db.s.m.first_email", "DIRECT") in from_pii
    assert ("db.s.m.last_id", "DIRECT") not in from_pii and ("db.s.m.top_ids", "DIRECT") not in from_pii
    carried = {(e["downstream"], e["upstream"]) for e in edges if e["kind"] == "DIRECT"}
    assert {("db.s.m.last_id", "db.s.pii.id"), ("db.s.m.top_ids", "db.s.pii.id")} <= carried
