"""The synced Snowflake column catalog of one process (``telemetry.sync_columns``), reused while fresh.

Loads ``ACCOUNT_USAGE.COLUMNS`` through :mod:`lineage_engine.sources.snowflake_columns`
and hands the crawl a :class:`~lineage_engine.parsing.schema.SchemaProvider` snapshot; see
:class:`ColumnCatalog`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from lineage_engine.errors import SourceError, Transient
from lineage_engine.parsing.schema import MappingSchemaProvider, SchemaProvider
from lineage_engine.settings import Settings

log = logging.getLogger(__name__)


class ColumnCatalog:
    """The synced catalog columns (``telemetry.sync_columns``) of one process, reused while fresh.

    The CLI's ``crawl`` builds one per run (one load); the service keeps one for its
    lifetime, so a crawl every 15 minutes reloads ``ACCOUNT_USAGE.COLUMNS`` only when the
    last load is older than ``telemetry.columns_refresh_minutes`` (the view itself lags up
    to 90 minutes, :mod:`lineage_engine.sources.snowflake_columns`). After a failed reload
    the previous snapshot, if any, stays in use and the next crawl tries again. Never stored
    in the crawl state.

    Args:
        fetch: reads the catalog (tests wrap it); default
            :func:`~lineage_engine.sources.snowflake_columns.fetch_catalog_columns`.
        monotonic: seconds clock for the age of a load.
    """

    def __init__(self, fetch: Callable[..., Any] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._monotonic = monotonic
        self._provider: MappingSchemaProvider | None = None
        self._loaded_at: float | None = None
        self.loads = 0

    def get(self, settings: Settings) -> SchemaProvider | None:
        """Return the catalog snapshot, (re)loading it when older than the refresh period.

        Returns None when ``telemetry.sync_columns`` is off (no statement is run) or when
        the first load failed. A failed load logs a warning (the error names account and
        host, never a secret or SQL text) and the crawl goes on without the catalog (or with
        the previous snapshot): ``SELECT *`` over datasets the crawl has not learned stays
        unexpanded, with lower confidence.
        """
        telemetry = settings.telemetry
        if not telemetry.sync_columns:
            return None
        max_age = telemetry.columns_refresh_minutes * 60
        now = self._monotonic()
        if self._provider is not None and self._loaded_at is not None and now - self._loaded_at < max_age:
            return self._provider
        provider = self._load(settings, stale=self._provider is not None)
        if provider is None:
            return self._provider
        self._provider, self._loaded_at = provider, now
        return provider

    def _load(self, settings: Settings, *, stale: bool) -> MappingSchemaProvider | None:
        from lineage_engine.sources import snowflake_columns
        from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig

        telemetry = settings.telemetry
        started = time.perf_counter()
        self.loads += 1
        fallback = ("crawling with the previous snapshot" if stale else
                    "crawling without it (SELECT * over tables the history never defined stays unexpanded)")
        try:
            config = SnowflakeConnectionConfig.from_settings(telemetry)
            fetch = self._fetch or snowflake_columns.fetch_catalog_columns
            catalog = fetch(config, databases=telemetry.columns_databases)
        except SourceError as exc:
            log.warning("column catalog not loaded, %s: %s", fallback, exc,
                        extra={"event": "column_catalog_failed", "error_type": type(exc).__name__,
                               "transient": isinstance(exc, Transient)})
            return None
        except Exception as exc:  # noqa: BLE001 - optional input: a bug here must not stop the crawl
            log.warning("column catalog not loaded, %s: internal error (%s)", fallback, type(exc).__name__,
                        exc_info=True, extra={"event": "column_catalog_failed", "error_type": type(exc).__name__})
            return None
        provider = MappingSchemaProvider(catalog.columns)
        log.info("column catalog loaded: %d datasets, %d columns from ACCOUNT_USAGE.COLUMNS in %.1f s",
                 len(provider), catalog.rows_read, time.perf_counter() - started,
                 extra={"event": "column_catalog_loaded", "datasets": len(provider), "columns": catalog.rows_read,
                        "ambiguous": len(catalog.ambiguous), "seconds": round(time.perf_counter() - started, 3)})
        if catalog.ambiguous:
            log.warning("%d dataset id(s) left out of the column catalog: names differ only in case, e.g. %s",
                        len(catalog.ambiguous), catalog.ambiguous[0],
                        extra={"event": "column_catalog_ambiguous", "ambiguous": len(catalog.ambiguous)})
        return provider
