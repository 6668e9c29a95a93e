"""``GRANT ... ON ALL|FUTURE DYNAMIC TABLES|MATERIALIZED VIEWS ... IN SCHEMA`` are read (review s11 T14).

Snowflake "GRANT <privileges> ... TO ROLE|SHARE": ``ON { ALL | FUTURE } <object_type_plural> IN
{ DATABASE | SCHEMA } <name>`` where the type may be two words (``DYNAMIC TABLES``, ``MATERIALIZED
VIEWS``, ``EXTERNAL TABLES``, ``ICEBERG TABLES``). The grammar read one word before ``IN``: such a
grant was quarantined ("GRANT/REVOKE statement not understood"), so a share of every dynamic table of
a schema was no egress (false negative; only ``scan`` said "not seen") and ``grants`` missed the role.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled


def test_grants_on_all_dynamic_tables_reach_roles_and_shares(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "INSERT", "insert into db.s.pii select id, email, name from db.raw.people"),
        ("09:02", "CREATE_DYNAMIC_TABLE", "create dynamic table db.s.dt target_lag = '1 hour' warehouse = wh "
                                          "as select id, email from db.s.pii"),
        ("09:03", "GRANT", "grant select on future dynamic tables in schema db.s to role analyst"),
        ("09:04", "CREATE_SHARE", "create share sh5"),
        ("09:05", "GRANT", "grant select on all dynamic tables in schema db.s to share sh5"),
        ("09:06", "ALTER_SHARE", "alter share sh5 add accounts = partnerorg.acct2"),
    ])
    egress = json.loads(run_cli(config, "egress", "--format", "json").stdout)
    assert ("share:SH5", "db.s.dt.email") in {(row["destination"], row["held_in"]) for row in egress}
    readers = json.loads(run_cli(config, "grants", "--object", "db.s.dt", "--format", "json").stdout)
    assert "ANALYST" in {row["name"] for row in readers}
    assert "not seen" not in run_cli(config, "scan").stdout
