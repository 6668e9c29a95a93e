"""``CREATE SCHEMA|DATABASE new CLONE old`` copies every table of ``old``: the classic copy of
production PII into a development schema. The clone's tables were not derived at all, so
nothing in the clone was reported; now each is a copy of its original (table level: the
columns of a container's tables are not read for the clone).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_schema_and_database_clones_hold_copies(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.a as select id, email from db.s.pii"),
        ("09:02", "CREATE_TABLE", "create table db.s.gone as select id, email from db.s.pii"),
        ("09:03", "DROP", "drop table db.s.gone"),
        ("09:04", "CREATE_SCHEMA", "create schema db.dev clone db.s"),
        ("09:05", "CREATE_DATABASE", "create or replace database db2 clone db"),
    ])
    found = terminals(config)
    assert {(PII, "db.s.a.email"), (PII, "db.dev.pii"), (PII, "db.dev.a"), (PII, "db2.s.pii"),
            (PII, "db2.s.a"), (PII, "db2.dev.a")} <= found, found
    assert not {t for _, t in found if "gone" in t}  # dropped before the clone: not copied
    # before the clones nothing outside db.s held it
    assert terminals(config, "--as-of", "2026-05-04T09:03:30Z") == {(PII, "db.s.a.email")}
