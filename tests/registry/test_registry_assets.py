"""Assets: upsert reports created/updated/unchanged, in one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lineage_engine.model import Asset
from lineage_engine.registry import Registry, UpsertReport

REVIEWED = datetime(2024, 3, 14, 9, 30, tzinfo=timezone(timedelta(hours=2)))


def _customers(**changes: object) -> Asset:
    base = {
        "catalog_path": "PROD_DB.RAW.CUSTOMERS",
        "classification": "restricted",
        "regulatory_tags": ("PII", "gdpr", "pii"),
        "steward": "privacy-team",
        "masking_policy": None,
        "reviewed_at": REVIEWED,
    }
    return Asset(**{**base, **changes})  # type: ignore[arg-type]


def test_upsert_creates_updates_and_keeps_unchanged(registry: Registry) -> None:
    email = Asset("prod_db.raw.customers.email", asset_type="column", classification="restricted",
                  regulatory_tags=("pii",), masking_policy="EMAIL_MASK")  # fmt: skip
    assert registry.upsert_assets([_customers(), email]) == UpsertReport(created=2, updated=0, unchanged=0)
    assert registry.upsert_assets([_customers(), email]) == UpsertReport(created=0, updated=0, unchanged=2)
    report = registry.upsert_assets([_customers(steward="dpo"), email])
    assert report == UpsertReport(created=0, updated=1, unchanged=1)

    assets = registry.list_assets()
    assert [a.catalog_path for a in assets] == ["prod_db.raw.customers", "prod_db.raw.customers.email"]
    customers = assets[0]
    assert customers.steward == "dpo"
    assert customers.regulatory_tags == ("gdpr", "pii")
    assert customers.reviewed_at == REVIEWED
    assert customers.reviewed_at.tzinfo == timezone.utc
    assert registry.list_assets("column") == [email]
    with pytest.raises(ValueError, match="unknown asset_type 'table'"):
        registry.list_assets("table")
    assert email.is_masked and not customers.is_masked


def test_changing_only_reviewed_at_is_an_update(registry: Registry) -> None:
    registry.upsert_assets([_customers()])
    later = REVIEWED + timedelta(days=30)
    assert registry.upsert_assets([_customers(reviewed_at=later)]).updated == 1
    assert registry.list_assets()[0].reviewed_at == later


def test_remove_assets_counts_existing_paths(registry: Registry) -> None:
    registry.upsert_assets([_customers(), _customers(catalog_path="prod_db.raw.orders", regulatory_tags=())])
    assert registry.remove_assets(["PROD_DB.RAW.ORDERS", "prod_db.raw.missing"]) == 1
    assert [a.catalog_path for a in registry.list_assets()] == ["prod_db.raw.customers"]


@pytest.mark.parametrize(
    ("asset", "message"),
    [
        (Asset("a.b.c", classification="secret"), "unknown classification 'secret'"),
        (Asset("a.b.c", asset_type="table"), "unknown asset_type 'table'"),
        (Asset("a.b"), "2 dotted part(s)"),
        (Asset("a.b.c.d", asset_type="dataset"), "has 4 parts but asset_type is 'dataset'"),
        (Asset("a.b.c", reviewed_at=datetime(2024, 1, 1)), "timezone-aware"),
    ],
)
def test_invalid_asset_writes_nothing(registry: Registry, asset: Asset, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        registry.upsert_assets([_customers(), asset])
    assert registry.list_assets() == []


def test_duplicate_path_in_one_batch_is_rejected(registry: Registry) -> None:
    with pytest.raises(ValueError, match="given twice"):
        registry.upsert_assets([_customers(), _customers(catalog_path="prod_db.raw.customers")])
    assert registry.list_assets() == []


def test_upsert_of_many_assets_spans_chunks(registry: Registry) -> None:
    assets = [Asset(f"db.s.t{i:04d}", classification="internal") for i in range(1203)]
    assert registry.upsert_assets(assets).created == 1203
    changed = [*assets[:700], Asset("db.s.t0700", classification="public"), *assets[701:]]
    assert registry.upsert_assets(changed) == UpsertReport(created=0, updated=1, unchanged=1202)
    assert len(registry.list_assets("dataset")) == 1203
