"""Migrations: idempotent, and the migrated schema is exactly the models' schema."""

from __future__ import annotations

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, create_engine, inspect, text
from sqlalchemy import exc as sa_exc

from lineage_engine.registry import Registry, upgrade_registry
from lineage_engine.registry.engine import parse_registry_url
from lineage_engine.registry.migrate import current_revision, head_revision
from lineage_engine.registry.tables import Base

TABLES = {"alembic_version", "assets", "crawl_state", "quarantine", "findings", "finding_scans", "alert_outbox",
          "crawl_session", "crawl_temp", "crawl_learned_columns", "registry_facts", "masking_policies",
          "column_reads", "service_lease", "finding_events", "statements", "openlineage_events",
          "access_reads", "access_queries", "drift_seen", "grant_facts",
          "share_accounts", "external_functions", "parse_results", "object_changes", "crawl_reads"}


def _diff(url: str, metadata: MetaData) -> list[object]:
    engine = create_engine(parse_registry_url(url))
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            # SQLite cannot reflect the expression index; it is checked separately below.
            warnings.filterwarnings("ignore", message=".*expression-based index.*")
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_migrate_is_idempotent_and_reaches_head(registry_url: str) -> None:
    upgrade_registry(registry_url)
    with Registry(registry_url) as registry:
        registry.migrate()
        registry.migrate()
    engine = create_engine(parse_registry_url(registry_url))
    try:
        assert set(inspect(engine).get_table_names()) == TABLES
        assert current_revision(engine) == head_revision() is not None
    finally:
        engine.dispose()


def test_sqlite_parent_folders_are_created(tmp_path) -> None:
    target = tmp_path / "a" / "b" / "registry.db"
    upgrade_registry(f"sqlite:///{target}")
    assert target.is_file()


def test_migrated_schema_matches_models(registry_url: str) -> None:
    upgrade_registry(registry_url)
    assert _diff(registry_url, Base.metadata) == []


def test_schema_comparison_detects_a_difference(registry_url: str) -> None:
    """Guard against a vacuous comparison: an extra column must show up in the diff."""
    upgrade_registry(registry_url)
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["assets"].append_column(Column("extra", String(10)))
    changed.tables["crawl_state"].c.query_id.type = String(99)
    kinds = {entry[0] if isinstance(entry, tuple) else entry[0][0] for entry in _diff(registry_url, changed)}
    assert kinds == {"add_column", "modify_type"}


def test_check_constraints_and_expression_index_exist(registry_url: str) -> None:
    upgrade_registry(registry_url)
    engine = create_engine(parse_registry_url(registry_url))
    try:
        inspector = inspect(engine)
        for name, table in Base.metadata.tables.items():
            expected = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
            assert {c["name"] for c in inspector.get_check_constraints(name)} == expected
        now = "2024-01-01 00:00:00"
        insert = text(
            "INSERT INTO quarantine (source, query_id, position, reason_code, reason, first_seen_at, "
            "last_seen_at, occurrences) VALUES ('s', NULL, 'f:1', 'malformed_row', 'r', :t, :t, 1)"
        )
        with engine.begin() as conn:
            conn.execute(insert, {"t": now})
        with pytest.raises(sa_exc.IntegrityError), engine.begin() as conn:
            conn.execute(insert, {"t": now})  # same (source, coalesce(query_id, position), reason_code)
        bad_asset = text(
            "INSERT INTO assets (catalog_path, asset_type, classification, regulatory_tags, created_at, updated_at) "
            "VALUES ('a.b.c', 'dataset', 'secret', '[]', :t, :t)"
        )
        with pytest.raises(sa_exc.IntegrityError), engine.begin() as conn:
            conn.execute(bad_asset, {"t": now})
    finally:
        engine.dispose()



def test_migrations_run_from_a_relocated_folder(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in an installed wheel: scripts elsewhere, no alembic.ini, any working directory."""
    import shutil

    from lineage_engine.registry import migrate
    from lineage_engine.resources import migrations_dir

    bundled = tmp_path / "_bundled" / "migrations"
    shutil.copytree(migrations_dir(), bundled, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "migrations_dir", lambda: bundled)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/db/registry.db"
    upgrade_registry(url)
    assert _diff(url, Base.metadata) == []
