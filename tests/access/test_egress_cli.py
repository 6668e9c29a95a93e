"""``lineage-engine egress`` (issue 14 §4) through the installed command: unloads of a copy to a stage and
a URL, and an outbound share of a dataset holding the data; a share of a table that no longer holds it
(replaced without it) is not egress."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.cli_setup import crawled_installation

REGISTRY = "- {catalog_path: db.raw.customers.email, asset_type: column, classification: restricted}\n"


def _row(query_id: str, at: str, text: str, query_type: str, user: str = "DBT", role: str = "TRANSFORMER") -> str:
    return json.dumps({"query_id": query_id, "query_text": text, "query_type": query_type, "start_time": at,
                       "end_time": at, "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "RAW",
                       "user_name": user, "role_name": role}) + "\n"


HISTORY = [
    _row("c1", "2026-11-01T08:00:00Z", "create table db.raw.customers (id int, email string)", "CREATE_TABLE"),
    _row("m1", "2026-11-02T08:00:00Z", "create table db.marts.c2 as select id, email from db.raw.customers",
         "CREATE_TABLE_AS_SELECT"),
    _row("m2", "2026-11-02T09:00:00Z", "create table db.marts.old as select id, email from db.raw.customers",
         "CREATE_TABLE_AS_SELECT"),
    _row("u1", "2026-11-03T09:00:00Z", "copy into @db.raw.exports from (select email from db.marts.c2)", "UNLOAD",
         "EVE", "EXPORTER"),
    _row("u2", "2026-11-03T10:00:00Z", "copy into 's3://partner-bucket/x/' from (select email from db.marts.c2)",
         "UNLOAD", "EVE", "EXPORTER"),
    _row("s1", "2026-11-04T09:00:00Z", "grant select on table db.marts.c2 to share partner_share", "GRANT",
         "ADMIN", "ACCOUNTADMIN"),
    _row("r1", "2026-11-05T09:00:00Z", "create or replace table db.marts.old as select 1 as id, 'x' as email",
         "CREATE_TABLE_AS_SELECT"),
    _row("s2", "2026-11-05T10:00:00Z", "grant select on table db.marts.old to share other_share", "GRANT",
         "ADMIN", "ACCOUNTADMIN"),
]


def test_egress_lists_unloads_and_shares_of_data_held_now(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("".join(HISTORY), encoding="utf-8")
    config = crawled_installation(tmp_path, history, REGISTRY)
    rows = json.loads(run_cli(config, "egress", "--format", "json").stdout)
    got = {(r["kind"], r["destination"], r["held_in"], r["query_id"], r["user"]) for r in rows}
    assert got == {
        ("unload", "@db.raw.exports.email", "@db.raw.exports.email", "u1", "EVE"),
        ("unload", "s3://partner-bucket.email", "s3://partner-bucket.email", "u2", "EVE"),
        ("share", "share:PARTNER_SHARE", "db.marts.c2.email", "s1", "ADMIN"),  # the GRANT's user
    }, rows  # not OTHER_SHARE: db.marts.old was replaced without the data before it was shared
    share = next(r for r in rows if r["kind"] == "share")
    assert share["path"] == ["db.raw.customers.email", "db.marts.c2.email", "share:PARTNER_SHARE"]
    assert share["since"].startswith("2026-11-04")
    assert "partner-bucket" in run_cli(config, "egress").stdout
