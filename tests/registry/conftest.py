"""Fixtures for the registry tests: every test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``LINEAGE_ENGINE_TEST_POSTGRES_URL`` (``bash .ci/postgres.sh``
prints one); each test gets its own schema, dropped afterwards. Without the variable the
PostgreSQL cases are skipped, except under ``CI``, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text

from lineage_engine.registry import Registry

POSTGRES_ENV = "LINEAGE_ENGINE_TEST_POSTGRES_URL"
SKIP_REASON = "set LINEAGE_ENGINE_TEST_POSTGRES_URL (bash .ci/postgres.sh) to run registry tests on PostgreSQL"


def postgres_base_url() -> str:
    """Return the test server URL, or skip (fail under CI) when it is not configured."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI is set but {POSTGRES_ENV} is not: the PostgreSQL registry tests would be skipped")
        pytest.skip(SKIP_REASON)
    return url


@pytest.fixture
def postgres_url() -> str:
    """Return the PostgreSQL test server URL (skips, or fails under CI, when unset)."""
    return postgres_base_url()


@contextlib.contextmanager
def postgres_schema_url() -> Iterator[str]:
    """Yield a URL of the PostgreSQL test server whose connections use a fresh schema (dropped after)."""
    base = make_url(postgres_base_url())
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        # Every connection resolves unqualified names in the test's schema.
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def registry_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """Yield the URL of an empty registry database (not migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/state/registry.db"
        return
    with postgres_schema_url() as url:
        yield url


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    """Yield a migrated, empty :class:`Registry`."""
    with Registry(registry_url) as reg:
        reg.migrate()
        yield reg
