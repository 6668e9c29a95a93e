"""A bare ``TIMESTAMP`` has the variant TIMESTAMP_TYPE_MAPPING gives it (review s14 R8), through the installed CLI.

Snowflake ("Date & time data types", "Parameters": TIMESTAMP_TYPE_MAPPING): ``TIMESTAMP`` and
``DATETIME`` are an alias of ``TIMESTAMP_NTZ``, ``TIMESTAMP_LTZ`` or ``TIMESTAMP_TZ``, as the
session's mapping says (the account's, a user's, a session's, or a driver's at login). A tag's
masking policy masks only columns of its signature's type, so a ``TIMESTAMP`` column taken as
``TIMESTAMP_NTZ`` in an account mapped to ``TIMESTAMP_LTZ`` was taken as masked by a
``TIMESTAMP_NTZ`` policy: a false negative. The alias is now known only with
``compliance.timestamp_type_mapping`` (or an ``ALTER SESSION`` in the statement's own text).
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import Row, findings, install, terminals

REGISTRY = "assets:\n  - {catalog_path: DB.S.EVENTS.SEEN_AT, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"
EVENTS: Row = ("09:00", "CREATE_TABLE", "create table db.s.events (id int, seen_at timestamp_ltz)")
NTZ_TAG: list[Row] = [
    ("09:01", "CREATE_MASKING_POLICY", "create masking policy ts_mask as (val timestamp_ntz) returns timestamp_ntz -> "
                                       "case when current_role() in ('PII_ADMIN') then val else null end"),
    ("09:02", "ALTER_TAG", "alter tag pii set masking policy ts_mask"),
]
COPY: list[Row] = [
    ("09:03", "CREATE_TABLE", "create table db.s.crm (id int, seen_at timestamp)"),
    ("09:03:30", "INSERT", "insert into db.s.crm select id, seen_at from db.s.events"),
    ("09:05", "ALTER_TABLE", "alter table db.s.crm set tag pii = 'x'"),
]
PATH = ("db.s.events.seen_at", "db.s.crm.seen_at")


def _crawled(folder: Path, rows: list[Row], mapping: str | None) -> Path:
    config = install(folder, rows, REGISTRY)
    if mapping is not None:
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace('compliance: {classification_db: "sqlite:///.lineage/registry.db"}',
                                       'compliance: {classification_db: "sqlite:///.lineage/registry.db", '
                                       f"timestamp_type_mapping: {mapping}}}"), encoding="utf-8")
    run_cli(config, "crawl")
    return config


def _note(config: Path, terminal: str) -> str:
    return next(f["note"] for f in findings(config) if f["terminal"] == terminal)


def test_a_timestamp_column_without_a_known_mapping_is_not_taken_as_masked(tmp_path: Path) -> None:
    """No mapping configured: crm.seen_at may be TIMESTAMP_LTZ, which ts_mask (NTZ) does not mask."""
    config = _crawled(tmp_path, [EVENTS, *NTZ_TAG, *COPY], None)
    assert PATH in terminals(config)  # before: taken as TIMESTAMP_NTZ, masked (a false negative)
    run_cli(config, "scan")
    note = _note(config, "db.s.crm.seen_at")
    assert "the data type of db.s.crm.seen_at is not known (written as a type not compared here: TIMESTAMP" in note
    assert "compliance.timestamp_type_mapping not set" in note


def test_the_configured_mapping_gives_the_timestamp_its_variant(tmp_path: Path) -> None:
    """Mapped to LTZ the NTZ policy leaves the column clear; mapped to NTZ it masks it."""
    ltz = _crawled(tmp_path / "ltz", [EVENTS, *NTZ_TAG, *COPY], "timestamp_ltz")
    assert PATH in terminals(ltz)
    run_cli(ltz, "scan")
    assert _note(ltz, "db.s.crm.seen_at") == ("db.s.crm.seen_at is TIMESTAMP_LTZ; a tag it carries has masking "
                                              "policies only for other data types: ts_mask (TIMESTAMP_NTZ)")
    ntz = _crawled(tmp_path / "ntz", [EVENTS, *NTZ_TAG, *COPY], "TIMESTAMP_NTZ")
    assert PATH not in terminals(ntz)
    assert PATH not in terminals(ntz, "--as-of", "2026-05-04T09:06:00Z")


def test_an_alter_session_in_the_text_and_a_timestamp_policy_signature(tmp_path: Path) -> None:
    """An ``ALTER SESSION SET TIMESTAMP_TYPE_MAPPING`` before the CREATE in one text wins over the
    setting; a policy ``AS (val timestamp)`` without a known mapping has no known signature type."""
    rows: list[Row] = [
        EVENTS, *NTZ_TAG,
        ("09:03", "CREATE_TABLE", "alter session set timestamp_type_mapping = 'TIMESTAMP_LTZ'; "
                                  "create table db.s.crm (id int, seen_at timestamp)"),
        *COPY[1:],
    ]
    config = _crawled(tmp_path / "session", rows, "TIMESTAMP_NTZ")
    assert PATH in terminals(config)  # crm.seen_at is LTZ in that session
    alias_policy: list[Row] = [
        EVENTS,
        ("09:01", "CREATE_MASKING_POLICY", "create masking policy ts_mask as (val timestamp) returns timestamp -> "
                                           "case when current_role() in ('PII_ADMIN') then val else null end"),
        NTZ_TAG[1],
        ("09:03", "CREATE_TABLE", "create table db.s.crm (id int, seen_at timestamp_ntz)"),
        *COPY[1:],
    ]
    unmapped = _crawled(tmp_path / "policy", alias_policy, None)
    assert PATH in terminals(unmapped)  # before: ts_mask taken as NTZ, masking the NTZ column
    run_cli(unmapped, "scan")
    assert "ts_mask (its signature's data type is not known: written as a type not compared here: TIMESTAMP" \
        in _note(unmapped, "db.s.crm.seen_at")
    mapped = _crawled(tmp_path / "policy_ntz", alias_policy, "TIMESTAMP_NTZ")
    assert PATH not in terminals(mapped)  # both NTZ: masked


def test_an_invalid_mapping_fails_at_start_up_with_the_key(tmp_path: Path) -> None:
    config = install(tmp_path, [EVENTS], REGISTRY)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('compliance: {classification_db: "sqlite:///.lineage/registry.db"}',
                                   'compliance: {classification_db: "sqlite:///.lineage/registry.db", '
                                   "timestamp_type_mapping: TIMESTAMP_UTC}"), encoding="utf-8")
    result = run_cli(config, "crawl", check=False)
    assert result.returncode != 0
    assert "compliance.timestamp_type_mapping" in result.stdout + result.stderr
