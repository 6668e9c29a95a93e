from __future__ import annotations

from lineage_engine.exposure.origins import (
    dataset_id_of,
    find_origin_datasets,
    find_sensitive_origins,
    index_assets,
    split_origins,
)
from lineage_engine.model import Asset

PII = frozenset({"pii", "gdpr"})


def test_tags_meet_pii_tags_case_insensitively():
    assets = [
        Asset("db.raw.customers", regulatory_tags=("PII",)),
        Asset("db.raw.orders", regulatory_tags=("sox",)),
        Asset("db.raw.events"),
    ]
    found = find_sensitive_origins(assets, pii_tags=frozenset({" Pii "}))
    assert [a.catalog_path for a in found] == ["db.raw.customers"]


def test_restricted_classification_is_an_origin_without_tags():
    assets = [Asset("db.raw.keys", classification="Restricted"), Asset("db.raw.x", classification="confidential")]
    assert [a.catalog_path for a in find_sensitive_origins(assets, pii_tags=PII)] == ["db.raw.keys"]


def test_sensitive_classifications_configurable():
    assets = [Asset("db.raw.x", classification="confidential")]
    found = find_sensitive_origins(assets, pii_tags=PII, sensitive_classifications=frozenset({"confidential"}))
    assert len(found) == 1


def test_masked_asset_is_still_an_origin_and_output_sorted():
    assets = [
        Asset("db.raw.z", regulatory_tags=("gdpr",), masking_policy="EMAIL_MASK"),
        Asset("db.raw.a.email", asset_type="column", regulatory_tags=("pii",)),
    ]
    assert [a.catalog_path for a in find_sensitive_origins(assets, pii_tags=PII)] == ["db.raw.a.email", "db.raw.z"]


def test_dataset_id_of():
    assert dataset_id_of(Asset("db.s.t.col", asset_type="column")) == "db.s.t"
    assert dataset_id_of(Asset("db.s.t")) == "db.s.t"


def test_columns_fold_onto_their_dataset():
    table = Asset("db.raw.customers", classification="confidential", steward="data-team")
    email = Asset("db.raw.customers.email", asset_type="column", classification="restricted",
                  regulatory_tags=("pii",), steward="someone")
    ssn = Asset("db.raw.customers.ssn", asset_type="column", regulatory_tags=("gdpr", "pii"))
    everything = [table, email, ssn]
    origins = find_sensitive_origins(everything, pii_tags=PII)
    folded = find_origin_datasets(origins, index_assets(everything))
    assert list(folded) == ["db.raw.customers"]
    o = folded["db.raw.customers"]
    assert o.asset_type == "dataset"
    assert o.regulatory_tags == ("gdpr", "pii")
    assert o.classification == "restricted"  # most sensitive member
    assert o.steward == "data-team"  # the dataset's own steward wins


def test_fold_without_dataset_asset_takes_column_steward():
    col = Asset("db.raw.t.c", asset_type="column", regulatory_tags=("pii",), steward="ann")
    folded = find_origin_datasets([col])
    assert folded["db.raw.t"].steward == "ann"
    assert folded["db.raw.t"].catalog_path == "db.raw.t"


def test_four_part_path_counts_as_column_like_the_graph_sync():
    folded = find_origin_datasets([Asset("db.s.t.c", regulatory_tags=("pii",))])
    assert list(folded) == ["db.s.t"]


def test_split_origins_walks_sensitive_columns_and_keeps_datasets_without_them_at_table_level():
    profiles = Asset("db.raw.customers", classification="restricted", regulatory_tags=("ccpa", "pii"), steward="dpo")
    email = Asset("db.raw.customers.email", asset_type="column", classification="confidential",
                  regulatory_tags=("gdpr",))
    public = Asset("db.raw.customers.country", asset_type="column", classification="public")
    payments = Asset("db.raw.payments", classification="confidential", regulatory_tags=("pii",))
    orphan = Asset("db.raw.leads.phone", regulatory_tags=("pii",), steward="sales")  # no dataset asset
    everything = [profiles, email, public, payments, orphan]
    tables, columns = split_origins(find_sensitive_origins(everything, pii_tags=PII), index_assets(everything))
    # customers has a sensitive column: walked from it only (its public column is not an origin)
    assert list(tables) == ["db.raw.payments"]
    assert list(columns) == ["db.raw.customers.email", "db.raw.leads.phone"]
    e = columns["db.raw.customers.email"]
    # the dataset's rules apply to its column: tags unioned, the stricter classification, its steward
    assert (e.asset_type, e.regulatory_tags, e.classification, e.steward) == (
        "column", ("ccpa", "gdpr", "pii"), "restricted", "dpo")
    assert columns["db.raw.leads.phone"].steward == "sales"
