"""Classification files: YAML and CSV, validated whole before anything is applied."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from lineage_engine.errors import InputError, RegistryImportError
from lineage_engine.model import Asset
from lineage_engine.registry import Registry, UpsertReport, import_classifications, load_classifications

# The shape of the guide's example: camelCase keys, upper-case spellings, a mapping `assets:`.
GUIDE_YAML = """\
assets:
  - catalogPath: PROD_DB.RAW.CUSTOMER_PROFILES
    classification: RESTRICTED
    regulatoryTags: [PII, GDPR, CCPA]
    steward: data-privacy@example.com
    maskingPolicy: NONE
  - catalogPath: PROD_DB.RAW.CUSTOMER_PROFILES.EMAIL
    assetType: column
    classification: restricted
    regulatoryTags: [PII]
    steward: data-privacy@example.com
    maskingPolicy: EMAIL_MASK
    reviewedAt: 2024-03-01
"""

EXPECTED_GUIDE = [
    Asset("prod_db.raw.customer_profiles", "dataset", "restricted", ("ccpa", "gdpr", "pii"),
          "data-privacy@example.com", "NONE", None),
    Asset("prod_db.raw.customer_profiles.email", "column", "restricted", ("pii",),
          "data-privacy@example.com", "EMAIL_MASK", datetime(2024, 3, 1, tzinfo=timezone.utc)),
]  # fmt: skip

CSV_TEXT = """\
catalog_path,asset_type,classification,regulatory_tags,steward,masking_policy,reviewed_at
PROD_DB.FINANCE.INVOICES,,confidential,financial;sox,finance-data,,2024-02-01T10:00:00+01:00
prod_db.finance.invoices.iban,column,Restricted,"pii, financial",finance-data,IBAN_MASK,
prod_db.analytics.daily_kpis,dataset,public,,,,
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_guide_camel_case_yaml(tmp_path: Path) -> None:
    assert load_classifications(_write(tmp_path, "classifications.yaml", GUIDE_YAML)) == EXPECTED_GUIDE


def test_yaml_plain_list_with_snake_case(tmp_path: Path) -> None:
    text = "- catalog_path: a.b.c\n  classification: internal\n  regulatory_tags: pii;gdpr\n"
    assert load_classifications(_write(tmp_path, "c.yml", text)) == [
        Asset("a.b.c", "dataset", "internal", ("gdpr", "pii"))
    ]


def test_csv_with_both_tag_separators(tmp_path: Path) -> None:
    assets = load_classifications(_write(tmp_path, "c.csv", CSV_TEXT))
    assert assets == [
        Asset("prod_db.finance.invoices", "dataset", "confidential", ("financial", "sox"), "finance-data", None,
              datetime(2024, 2, 1, 9, 0, tzinfo=timezone.utc)),
        Asset("prod_db.finance.invoices.iban", "column", "restricted", ("financial", "pii"), "finance-data",
              "IBAN_MASK", None),
        Asset("prod_db.analytics.daily_kpis", "dataset", "public"),
    ]  # fmt: skip


def test_csv_camel_case_header(tmp_path: Path) -> None:
    text = "catalogPath,classification,regulatoryTags,maskingPolicy\nA.B.C.D,confidential,pii,M\n"
    assert load_classifications(_write(tmp_path, "c.csv", text)) == [
        Asset("a.b.c.d", "column", "confidential", ("pii",), None, "M")
    ]


def test_import_yaml_then_csv_into_registry(registry: Registry, tmp_path: Path) -> None:
    path = _write(tmp_path, "classifications.yaml", GUIDE_YAML)
    assert import_classifications(registry, path) == UpsertReport(created=2)
    assert import_classifications(registry, path) == UpsertReport(unchanged=2)
    assert registry.list_assets() == EXPECTED_GUIDE
    assert import_classifications(registry, _write(tmp_path, "c.csv", CSV_TEXT)) == UpsertReport(created=3)
    assert len(registry.list_assets()) == 5


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("catalog_path: a.b.c\n  classification: secret", "classification 'secret' is not one of public"),
        ("catalog_path: a.b.c", "classification missing is not one of"),
        ("catalog_path: ''\n  classification: public", "catalog_path is empty"),
        ("catalog_path: a.b\n  classification: public", "'a.b' has 2 dotted part(s)"),
        ("catalog_path: a.b.c.d.e\n  classification: public", "has 5 dotted part(s)"),
        ("catalog_path: a..c\n  classification: public", "an empty part"),
        ("catalog_path: a.b.c\n  asset_type: column\n  classification: public", "has 3 parts but asset_type is 'column'"),
        ("catalog_path: a.b.c\n  classification: public\n  reviewed_at: last tuesday", "reviewed_at 'last tuesday' is not a date"),
        ("catalog_path: a.b.c\n  classification: public\n  stewart: me", "unknown field 'stewart'; did you mean 'steward'?"),
        ("catalog_path: a.b.c\n  catalogPath: a.b.c\n  classification: public", "field 'catalog_path' is given twice"),
        ("catalog_path: a.b.c\n  classification: public\n  regulatory_tags: {pii: true}", "regulatory_tags must be"),
        ("catalog_path: a.b.c\n  classification: public\n  steward: [a, b]", "steward must be text"),
    ],
)  # fmt: skip
def test_invalid_yaml_entry_names_row_and_problem(tmp_path: Path, entry: str, message: str) -> None:
    text = "- catalog_path: ok.ok.ok\n  classification: public\n- " + entry + "\n"
    with pytest.raises(RegistryImportError) as caught:
        load_classifications(_write(tmp_path, "c.yaml", text))
    err = caught.value
    assert (err.row, err.input) == (2, str(tmp_path / "c.yaml"))
    assert message in str(err)
    assert "(line 3)" in str(err) and "nothing from this file was imported" in str(err)


def test_duplicate_path_names_both_rows(tmp_path: Path) -> None:
    text = "catalog_path,classification\na.b.c,public\nx.y.z,public\nA.B.C,internal\n"
    with pytest.raises(RegistryImportError, match=r"row 4: catalog_path 'a.b.c' already appears at row 2") as caught:
        load_classifications(_write(tmp_path, "c.csv", text))
    assert caught.value.row == 4


@pytest.mark.parametrize(
    ("text", "row", "message"),
    [
        ("catalog_path,classification,colour\na.b.c,public,red\n", 1, "unknown field 'colour'"),
        ("catalog_path,classification\na.b.c,public,extra\n", 2, "3 fields but the header has 2"),
        ("catalog_path,classification,catalog_path\n", 1, "header column 'catalog_path' appears twice"),
    ],
)
def test_invalid_csv_names_row(tmp_path: Path, text: str, row: int, message: str) -> None:
    with pytest.raises(RegistryImportError, match=message) as caught:
        load_classifications(_write(tmp_path, "c.csv", text))
    assert caught.value.row == row


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("c.json", "[]", "use .yaml, .yml or .csv"),
        ("c.yaml", "- a: [\n", "not valid YAML at line"),
        ("c.yaml", "tables: []\n", "single key 'assets'"),
        ("c.yaml", "assets: 3\n", "expected a list of assets"),
        ("c.csv", "", "empty CSV file"),
    ],
)
def test_unusable_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_classifications(_write(tmp_path, name, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the classification file"):
        load_classifications(tmp_path / "absent.yaml")


def _big_csv(bad_line: int) -> str:
    lines = ["catalog_path,classification,regulatory_tags"]
    for line in range(2, 101):
        classification = "secret" if line == bad_line else "internal"
        lines.append(f"db.s.t{line:03d},{classification},pii")
    return "\n".join(lines) + "\n"


def _big_yaml(bad_row: int) -> str:
    return "".join(
        f"- catalogPath: db.s.t{row:03d}\n  classification: internal\n"
        + ("  reviewedAt: 2024-13-45\n" if row == bad_row else "")
        for row in range(1, 101)
    )


def test_bad_row_50_applies_nothing(registry: Registry, tmp_path: Path) -> None:
    registry.upsert_assets([Asset("db.s.t010", classification="restricted")])
    before = registry.list_assets()

    with pytest.raises(RegistryImportError, match=r"row 50: classification 'secret'") as caught:
        import_classifications(registry, _write(tmp_path, "big.csv", _big_csv(bad_line=50)))
    assert caught.value.row == 50
    assert registry.list_assets() == before

    with pytest.raises(RegistryImportError, match=r"row 50: reviewed_at '2024-13-45' is not a date") as caught:
        import_classifications(registry, _write(tmp_path, "big.yaml", _big_yaml(bad_row=50)))
    assert caught.value.row == 50
    assert registry.list_assets() == before

    assert import_classifications(registry, _write(tmp_path, "ok.csv", _big_csv(bad_line=0))) == UpsertReport(
        created=98, updated=1
    )
