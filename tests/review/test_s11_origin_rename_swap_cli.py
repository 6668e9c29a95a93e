"""A classified table renamed or swapped away still holds its data under the new name.

Snowflake "ALTER TABLE": ``RENAME TO`` gives the table (its rows) a new name; ``SWAP WITH``
exchanges two tables' contents and metadata. A backup (``alter table pii rename to pii_bak``
then a new ``pii``) and a blue/green load (``alter table pii_new swap with pii``) are common.
Lineage moves with a rename or swap, but the sensitive *origin* is a registry name with no
incoming lineage, so nothing moves: the table holding the e-mails under its new name is not an
origin, not a copy, and copies made from it are not reported. ``scan`` says "1 origins walked:
0 exposure paths"; nothing says a path may be missing.

Open (owner: integrator, exposure origins/walk): an origin's content should follow the RENAME
and SWAP statements of its dataset (the crawl keeps them in the registry's ``object_changes``):
the new name holds the origin's data from the statement on (a swap's other side from the swap),
so copies of it are exposure paths, and ``access`` counts reads of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


@pytest.mark.xfail(strict=True, reason="open, owner integrator (exposure origins): an origin's data does not "
                                       "follow a RENAME of its table")
def test_copy_of_a_renamed_origin_is_reported(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "RENAME_TABLE", "alter table db.s.pii rename to db.s.pii_bak"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.pii_bak"),
    ])
    datasets = {t if t.count(".") == 2 else t.rsplit(".", 1)[0] for _, t in terminals(config)}
    assert "db.s.c" in datasets


@pytest.mark.xfail(strict=True, reason="open, owner integrator (exposure origins): an origin's data does not "
                                       "follow a SWAP of its table")
def test_copy_of_the_old_content_swapped_out_of_an_origin_is_reported(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE", "create table db.s.pii_new (id int, email varchar, name varchar)"),
        ("09:02", "ALTER", "alter table db.s.pii_new swap with db.s.pii"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.pii_new"),
    ])
    datasets = {t if t.count(".") == 2 else t.rsplit(".", 1)[0] for _, t in terminals(config)}
    assert "db.s.c" in datasets
