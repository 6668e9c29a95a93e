"""A classified table renamed or swapped away still holds its data under the new name.

Snowflake "ALTER TABLE": ``RENAME TO`` gives the table (its rows) a new name; ``SWAP WITH``
exchanges two tables' contents and metadata. A backup (``alter table pii rename to pii_bak``
then a new ``pii``) and a blue/green load (``alter table pii_new swap with pii``) are common.
Lineage moves with a rename or swap, but the sensitive *origin* is a registry name with no
incoming lineage, so nothing moves: the table holding the e-mails under its new name is not an
origin, not a copy, and copies made from it are not reported. ``scan`` says "1 origins walked:
0 exposure paths"; nothing says a path may be missing.

Fixed on main by the integrator (07dbb80, carried origins).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_copy_of_a_renamed_origin_is_reported(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "RENAME_TABLE", "alter table db.s.pii rename to db.s.pii_bak"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.pii_bak"),
    ])
    datasets = {t if t.count(".") == 2 else t.rsplit(".", 1)[0] for _, t in terminals(config)}
    assert "db.s.c" in datasets


def test_copy_of_the_old_content_swapped_out_of_an_origin_is_reported(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE", "create table db.s.pii_new (id int, email varchar, name varchar)"),
        ("09:02", "ALTER", "alter table db.s.pii_new swap with db.s.pii"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.pii_new"),
    ])
    datasets = {t if t.count(".") == 2 else t.rsplit(".", 1)[0] for _, t in terminals(config)}
    assert "db.s.c" in datasets
