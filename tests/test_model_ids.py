"""Typed identities: DatasetRef / ColumnRef and the id quoting rule (issue 9)."""

from __future__ import annotations

import pytest

from lineage_engine.model import (
    ColumnRef,
    DatasetRef,
    column_id,
    dataset_of,
    join_id,
    quote_part,
    split_id,
)


@pytest.mark.parametrize(
    ("parts", "text"),
    [
        (("db", "s", "t"), "db.s.t"),
        (("db", "s", "a.b"), 'db.s."a.b"'),
        (("db", 'x"y', "t"), 'db."x""y".t'),
        (("my-proj", "ds", "my table"), "my-proj.ds.my table"),
        (("srv", "db", "s", "t"), "srv.db.s.t"),
        (("a.", ".b", '"'), '"a.".".b".""""'),
    ],
)
def test_join_and_split_are_inverse(parts: tuple[str, ...], text: str) -> None:
    assert join_id(parts) == text
    assert split_id(text) == parts


def test_ordinary_ids_are_unchanged_by_the_rule() -> None:
    assert quote_part("customers") == "customers"
    assert DatasetRef.of(["PROD_DB", "RAW", "CUSTOMERS"]).id == "prod_db.raw.customers"
    assert DatasetRef.of(["PROD_DB", "RAW", "CUSTOMERS"]).name == "PROD_DB.RAW.CUSTOMERS"


def test_dataset_ref_parts_honour_quotes_stages_and_locations() -> None:
    assert DatasetRef.of(["DB", "S", "A.b"]).parts == ("db", "s", "a.b")
    assert DatasetRef.of(["DB", "S", "A.b"]).name == 'DB.S."A.b"'
    assert DatasetRef("@db.s.stage", "@DB.S.STAGE", "stage").parts == ("db", "s", "stage")
    assert DatasetRef("s3://my.bucket", "s3://my.bucket", "external").parts == ("s3://my.bucket",)


@pytest.mark.parametrize(
    ("dataset", "name", "text"),
    [
        ("db.s.t", "email", "db.s.t.email"),
        ('db.s."a.b"', "x.y", 'db.s."a.b"."x.y"'),
        ('db.s."a.b"', "plain", 'db.s."a.b".plain'),
        ("db.s.t", 'say "hi"', 'db.s.t."say ""hi"""'),
        ("db.s.t", "*", "db.s.t.*"),
        ("<unresolved>", "c", "<unresolved>.c"),
        ("<select>", "total", "<select>.total"),
        ("s3://my.bucket", "e.mail", 's3://my.bucket."e.mail"'),
        ("@db.s.%t", "c", "@db.s.%t.c"),
    ],
)
def test_column_ref_round_trips(dataset: str, name: str, text: str) -> None:
    ref = ColumnRef(dataset, name)
    assert ref.id == text == column_id(dataset, name)
    assert ColumnRef.parse(text) == ref
    assert dataset_of(text) == dataset


def test_column_ref_markers() -> None:
    assert ColumnRef.parse("db.s.t.*").is_star
    assert ColumnRef.parse("<unresolved>.c").is_unresolved
    assert not ColumnRef.parse("db.s.t.c").is_unresolved
    assert DatasetRef.of(["db", "s", "a.b"]).column("x.y").id == 'db.s."a.b"."x.y"'
