"""A share attached to a listing exports to the listing's consumers (review s11 T8, a false negative).

Snowflake "CREATE LISTING": ``CREATE EXTERNAL LISTING <name> SHARE <share> AS '<manifest>'``
attaches a share to a listing whose consumers (the manifest's ``targets: accounts: [...]``, an
organization, or the Marketplace) get the shared data; no ``ALTER SHARE ... ADD ACCOUNTS`` is
needed. The crawl quarantined the statement ("share statement not understood") and, since the
history created the share with no account, ``egress`` listed nothing (and said nothing).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled

LISTING = """create external listing contacts_listing share sh4 as
$$
title: "contacts"
listing_terms:
  type: "OFFLINE"
targets:
  accounts: ["partnerorg.acct9"]
$$ publish = true review = false"""


def test_share_published_through_a_listing_is_egress(tmp_path: Path) -> None:
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.c1 as select id, email from db.s.pii"),
        ("09:02", "CREATE_SHARE", "create share sh4"),
        ("09:03", "GRANT", "grant usage on database db to share sh4"),
        ("09:04", "GRANT", "grant select on table db.s.c1 to share sh4"),
    ]
    before = crawled(tmp_path / "no_listing", rows)
    assert json.loads(run_cli(before, "egress", "--format", "json").stdout) == []  # a share with no consumer yet
    config = crawled(tmp_path / "listing", [*rows, ("09:05", "CREATE_LISTING", LISTING)])
    egress = json.loads(run_cli(config, "egress", "--format", "json").stdout)
    assert [(row["destination"], row["held_in"], row["since"]) for row in egress] == [
        ("share:SH4", "db.s.c1.email", "2026-05-04T09:05:00+00:00")]
    assert "not seen" not in run_cli(config, "scan").stdout
