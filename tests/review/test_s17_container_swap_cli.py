"""``ALTER SCHEMA|DATABASE a SWAP WITH b`` moves every table of both containers to the other's name, with
its lineage, column types, tags and policies, through the installed CLI.

Snowflake "ALTER SCHEMA … SWAP WITH" ("ALTER DATABASE" the same): the two exchange their contents in one
statement, so each name then holds the other's tables. ``a.t.e`` holds VARCHAR e-mails masked by the ``pii``
tag's STRING policy, ``b.t.e`` the same e-mails as VARIANT (the policy does not mask them), ``b.solo`` a
clear copy (and ``b.w`` a copy of it): after the swap ``a.t.e`` and ``a.solo`` are the exposed ones, and a copy out of ``a.t`` holds
clear values. The statement was not read at all: each name kept its own tables, ``a.t.e`` was taken as
masked and the copy out of it as masked (false negatives).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review.history import EMAIL_PII, PII_TABLE, Row, crawled, role_policy, scan_paths

SIDES = {"schema": ("db.a", "db.b", "alter schema db.a swap with db.b"),
         "database": ("x.s", "y.s", "alter database x swap with y")}


@pytest.mark.parametrize("container", sorted(SIDES))
def test_a_container_swap_moves_every_table_of_both(tmp_path: Path, container: str) -> None:
    a, b, swap = SIDES[container]
    rows: list[Row] = [
        PII_TABLE,
        role_policy("09:01", "str_mask", "PII_ADMIN"),
        ("09:02", "ALTER_TAG", "alter tag pii set masking policy str_mask"),
        ("09:03", "CREATE_TABLE_AS_SELECT", f"create table {a}.t as select email as e from db.s.pii"),
        ("09:03:05", "CREATE_TABLE_AS_SELECT", f"create table {b}.t as select email::variant as e from db.s.pii"),
        ("09:03:10", "CREATE_TABLE_AS_SELECT", f"create table {b}.solo as select email from db.s.pii"),
        ("09:03:12", "CREATE_TABLE_AS_SELECT", f"create table {b}.w as select email from {b}.solo"),
        ("09:03:15", "ALTER_TABLE", f"alter table {a}.t set tag pii = 'x'"),
        ("09:03:20", "ALTER_TABLE", f"alter table {b}.t set tag pii = 'x'"),
        ("09:04", "ALTER", swap),
        ("09:05", "CREATE_TABLE_AS_SELECT", f"create table db.s.r as select e from {a}.t"),
    ]
    found = {(p["origin"], p["terminal"]) for p in scan_paths(crawled(tmp_path, rows, EMAIL_PII))}
    assert ("db.s.pii.email", f"{a}.t.e") in found, sorted(found)  # b's VARIANT column, now at a
    assert ("db.s.pii.email", f"{a}.solo.email") in found, sorted(found)
    assert ("db.s.pii.email", f"{a}.w.email") in found, sorted(found)  # reads a.solo now (lineage inside moved)
    assert ("db.s.pii.email", "db.s.r.e") in found, sorted(found)  # copied by TRANSFORMER from the VARIANT
    assert ("db.s.pii.email", f"{b}.t.e") not in found, sorted(found)  # a's VARCHAR column, masked
    assert not {t for _, t in found if t.startswith(b + ".")}, sorted(found)
