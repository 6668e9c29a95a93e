"""An empty registry is created at head from the models (``registry/migrate.py``): the very schema
that running every Alembic revision from the first gives, and the same version stamp.

Compared table by table through SQLAlchemy's inspector (columns in order with their types,
nullability and defaults; primary, foreign and unique keys; indexes, expression indexes
included; check constraints with their text) and the ``alembic_version`` rows, on SQLite and
on PostgreSQL (``registry_url``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from lineage_engine.registry import upgrade_registry
from lineage_engine.registry.engine import create_registry_engine, parse_registry_url
from lineage_engine.registry.migrate import _script_head, alembic_config, create_at_head, head_revision, script_head
from tests.registry.conftest import postgres_schema_url


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = create_registry_engine(parse_registry_url(url))
    try:
        yield engine
    finally:
        engine.dispose()


def _alembic_upgrade(url: str, revision: str = "head") -> None:
    """Run the Alembic revisions themselves (never the fast path) up to ``revision``."""
    with _engine(url) as engine, engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _sql(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()


def schema(url: str) -> dict[str, object]:
    """Everything the inspector and the catalog say about the registry at ``url``."""
    out: dict[str, object] = {}
    with _engine(url) as engine, engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index.*")  # read from the catalog below
        insp = inspect(conn)
        for table in sorted(insp.get_table_names()):
            out[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"], _sql(c.get("default")), c.get("autoincrement"))
                            for c in insp.get_columns(table)],
                "pk": insp.get_pk_constraint(table),
                "fk": sorted(repr(fk) for fk in insp.get_foreign_keys(table)),
                "indexes": sorted(repr(ix) for ix in insp.get_indexes(table)),
                "unique": sorted(repr(uq) for uq in insp.get_unique_constraints(table)),
                "checks": sorted((ck["name"], _sql(ck["sqltext"])) for ck in insp.get_check_constraints(table)),
            }
        if conn.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'"))
        else:
            rows = conn.execute(text("SELECT indexname, tablename, replace(indexdef, current_schema() || '.', '') "
                                     "FROM pg_indexes WHERE schemaname = current_schema()"))
        out["index definitions"] = sorted((name, table, _sql(sql)) for name, table, sql in rows)
        out["alembic_version"] = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    return out


@pytest.fixture
def second_url(registry_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database of the same kind as ``registry_url``."""
    if registry_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/other/registry.db"
        return
    with postgres_schema_url() as url:
        yield url


def test_an_empty_registry_is_created_exactly_as_the_revisions_create_it(registry_url: str, second_url: str) -> None:
    with _engine(registry_url) as engine, engine.begin() as connection:
        assert create_at_head(connection)  # the fast path ran (else this comparison would be vacuous)
    _alembic_upgrade(second_url)
    fast, revisions = schema(registry_url), schema(second_url)
    assert fast["alembic_version"] == [(head_revision(),)]
    assert len(fast) > 20 and fast == revisions
    assert any("coalesce" in sql.lower() for _, _, sql in fast["index definitions"])  # type: ignore[union-attr]
    upgrade_registry(registry_url)  # at head: nothing to do
    assert schema(registry_url) == revisions


def test_migrate_of_an_empty_registry_takes_the_fast_path(registry_url: str, second_url: str) -> None:
    upgrade_registry(registry_url)
    _alembic_upgrade(second_url)
    assert schema(registry_url) == schema(second_url)
    with _engine(registry_url) as engine, engine.begin() as connection:
        assert not create_at_head(connection)  # not empty any more: left to Alembic


def test_an_older_registry_is_upgraded_by_the_revisions(registry_url: str, second_url: str) -> None:
    """A registry at an older revision is not empty: Alembic upgrades it, to the same schema."""
    _alembic_upgrade(registry_url, "0012")
    with _engine(registry_url) as engine, engine.begin() as connection:
        assert not create_at_head(connection)
    upgrade_registry(registry_url)
    upgrade_registry(second_url)
    assert schema(registry_url) == schema(second_url)


def test_a_database_with_other_tables_is_left_to_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/registry.db"
    with _engine(url) as engine, engine.begin() as connection:
        connection.execute(text("CREATE TABLE someone_elses (x INTEGER)"))
        assert not create_at_head(connection)
    upgrade_registry(url)
    assert "someone_elses" in schema(url) and schema(url)["alembic_version"] == [(head_revision(),)]


def test_script_head_reads_the_head_alembic_reads() -> None:
    assert script_head() == head_revision() is not None


def test_script_head_gives_up_on_scripts_it_cannot_read(tmp_path: Path) -> None:
    """No single chain with one head, or a script without plain revision lines: use Alembic."""
    def scripts(*pairs: tuple[str, str | None]) -> Path:
        folder = tmp_path / f"v{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        for n, (revision, down) in enumerate(pairs):
            (folder / f"{n:04d}_x.py").write_text(
                f'revision: str = "{revision}"\ndown_revision: str | None = {down and repr(down)}\n', encoding="utf-8")
        return folder

    assert _script_head(scripts(("a", None), ("b", "a"), ("c", "b"))) == "c"
    assert _script_head(scripts(("a", None), ("b", "a"), ("c", "a"))) is None  # two heads
    assert _script_head(scripts(("a", None), ("b", None))) is None  # two roots
    assert _script_head(scripts(("a", None), ("b", "z"))) is None  # a missing down revision
    odd = scripts(("a", None))
    (odd / "0009_merge.py").write_text('revision = "m"\ndown_revision = ("a", "b")\n', encoding="utf-8")
    assert _script_head(odd) is None
