"""Database errors become RegistryError messages that say what to do, without the password."""

from __future__ import annotations

import socket
import traceback

import pytest

from lineage_engine.errors import RegistryError, Transient
from lineage_engine.model import Asset
from lineage_engine.registry import Registry, upgrade_registry

SECRET = "s3cr3t-Pa55"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _full_text(err: BaseException) -> str:
    return "".join(traceback.format_exception(err))


def test_unreachable_postgres_hides_the_password() -> None:
    url = f"postgresql+psycopg://lineage:{SECRET}@127.0.0.1:{_closed_port()}/registry"
    with Registry(url) as registry:
        assert SECRET not in repr(registry) and "***" in registry.url
        for call in (registry.migrate, registry.list_assets, lambda: registry.get_watermark("s")):
            with pytest.raises(RegistryError) as caught:
                call()
            err = caught.value
            assert isinstance(err, Transient)
            assert SECRET not in _full_text(err)
            assert "postgresql+psycopg://lineage:***@127.0.0.1" in str(err)
            assert "check that the database server is running" in str(err)
    with pytest.raises(RegistryError) as caught:
        upgrade_registry(url)
    assert SECRET not in _full_text(caught.value)


def test_password_in_the_query_is_masked_too() -> None:
    url = f"postgresql+psycopg://lineage@127.0.0.1:{_closed_port()}/registry?password={SECRET}"
    with Registry(url) as registry:
        assert SECRET not in registry.url
        with pytest.raises(RegistryError) as caught:
            registry.list_findings()
    assert SECRET not in _full_text(caught.value)


def test_plain_postgresql_scheme_means_psycopg3() -> None:
    with Registry(f"postgresql://u:{SECRET}@localhost/db") as registry:
        assert registry.url == "postgresql+psycopg://u:***@localhost/db"


@pytest.mark.parametrize("url", ["not a url", f"mysql://u:{SECRET}@h/db"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(RegistryError) as caught:
        Registry(url)
    assert SECRET not in str(caught.value)


def test_missing_tables_say_run_migrate(registry_url: str) -> None:
    with Registry(registry_url) as registry:
        with pytest.raises(RegistryError, match="run 'lineage-engine migrate'"):
            registry.list_assets()
        with pytest.raises(RegistryError, match="run 'lineage-engine migrate'"):
            registry.upsert_assets([Asset("a.b.c")])


def test_sqlite_folder_that_cannot_be_created(tmp_path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(RegistryError, match="cannot create the folder"):
        Registry(f"sqlite:///{tmp_path}/file/sub/registry.db")


@pytest.mark.postgres
def test_wrong_password_and_missing_database_are_not_transient(postgres_url: str) -> None:
    from sqlalchemy import make_url

    base = make_url(postgres_url)
    cases = [
        (base.set(password=SECRET), "check the user and password"),
        (base.set(database="no_such_registry_db"), "create the database"),
    ]
    for url, advice in cases:
        with Registry(url.render_as_string(hide_password=False)) as registry:
            with pytest.raises(RegistryError) as caught:
                registry.list_assets()
        assert advice in str(caught.value) and not isinstance(caught.value, Transient)
        assert SECRET not in _full_text(caught.value)
        assert base.password not in _full_text(caught.value)


def test_a_registry_older_than_this_version_says_run_migrate(registry_url: str) -> None:
    """A column added by a later migration is missing (the registry was not upgraded): the error
    says to migrate, and is not a transient connection error (which the scheduler would retry)."""
    from sqlalchemy import create_engine, text

    with Registry(registry_url) as registry:
        registry.migrate()
    engine = create_engine(registry_url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE findings DROP COLUMN digest"))
    engine.dispose()
    with Registry(registry_url) as registry:
        with pytest.raises(RegistryError, match="run 'lineage-engine migrate'") as caught:
            registry.list_findings()
    assert not isinstance(caught.value, Transient)
