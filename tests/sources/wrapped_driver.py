"""A wrapper around the (fakesnow-patched) driver's ``connect``: records, caps and reshapes statements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import snowflake.connector


class WrappedDriver:
    """Pass as ``connect_fn`` (or patch ``snowflake.connector.connect`` with it).

    Args:
        value: applied to every value a cursor returns (e.g. to coarsen datetimes).
        limit: raise AssertionError on the statement after this many (a pager that never advances).

    Attributes:
        sql: the text of every statement run, in order.
        params: their parameters.
    """

    def __init__(self, value: Callable[[Any], Any] | None = None, limit: int | None = None) -> None:
        self.value, self.limit = value, limit
        self.sql: list[str] = []
        self.params: list[Any] = []
        self._connect = snowflake.connector.connect  # taken now: it may be patched over with this wrapper

    def reading(self, view: str) -> list[str]:
        """Return the statements that name ``view`` (case-insensitive), e.g. ``account_usage.columns``."""
        return [s for s in self.sql if view.lower() in s.lower()]

    def __call__(self, **kwargs: Any) -> Any:
        conn = self._connect(**kwargs)
        driver = self

        def reshape(rows: list[Any]) -> list[Any]:
            return rows if driver.value is None else [tuple(driver.value(v) for v in row) for row in rows]

        class Cursor:
            def __init__(self) -> None:
                self._c = conn.cursor()

            def execute(self, sql: str, params: Any = None) -> Any:
                if driver.limit is not None and len(driver.sql) >= driver.limit:
                    raise AssertionError(f"more than {driver.limit} statements: the pager does not advance")
                driver.sql.append(sql)
                driver.params.append(params)
                return self._c.execute(sql, params)

            def fetchall(self) -> list[Any]:
                return reshape(self._c.fetchall())

            def fetchmany(self, size: int) -> list[Any]:
                return reshape(self._c.fetchmany(size))

            def __getattr__(self, name: str) -> Any:  # description, fetchone, close
                return getattr(self._c, name)

        class Conn:
            def cursor(self) -> Cursor:
                return Cursor()

            def close(self) -> None:
                conn.close()

        return Conn()
