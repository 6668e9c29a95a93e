"""Many rows into one registry table, values prepared once: the findings and events a scan writes.

A first scan of a large account opens hundreds of thousands of findings, each with an
``opened`` and an ``alerted`` event (issue 13 §6). Inserted as typed values, SQLAlchemy runs
each value through its column type for every row (the JSON columns are serialized, every
``UTCDateTime`` converted), which cost more than the database's own work. :class:`PlainInsert`
is the same Core ``INSERT`` (one statement per chunk, executemany, on SQLite and PostgreSQL
alike) whose parameters carry what the type would have produced:

- a JSON column takes JSON *text* (the caller serializes, e.g. :class:`JSONText`, and may
  reuse the text for a digest); PostgreSQL casts it (``CAST(:p AS JSON)``), SQLite stores the
  text as its JSON type does;
- a time column takes an aware datetime, converted by the column's own type once per distinct
  value (a scan writes one ``now`` a million times).

The stored values are those of the typed insert (the tests compare them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, Table, Text, bindparam, cast, func, select
from sqlalchemy.orm import Session

from lineage_engine.registry.tables import UTCDateTime

_dumps = json.dumps  # SQLAlchemy's default JSON serializer: the text its JSON type stores


class PlainInsert:
    """An ``INSERT`` into ``table`` taking prepared values (see the module docstring).

    ``json_columns``: given as JSON text (``None``: SQL NULL); ``time_columns``: aware
    datetimes or None. Other columns are bound as they are (strings, integers). ``returning``:
    a column :meth:`execute` returns, one value per row in the rows' order.
    """

    def __init__(self, session: Session, table: Table, columns: Sequence[str], *, json_columns: Iterable[str] = (),
                 time_columns: Iterable[str] = (), returning: str | None = None) -> None:
        dialect = session.get_bind().dialect
        self._json = frozenset(json_columns)
        self._times = frozenset(time_columns)
        self._columns = tuple(columns)
        # the dialect's own processor too: on SQLite the text SQLAlchemy writes, so stored times compare in SQL
        self._time_processor = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
        self._time_memo: dict[datetime, Any] = {}
        postgres = dialect.name == "postgresql"
        # the bound value's own type: no processing per row (SQLAlchemy gives an untyped parameter the column's)
        converted = DateTime(timezone=True) if postgres else String()
        values: dict[str, Any] = {}
        for name in self._columns:
            if name in self._json:
                values[name] = cast(bindparam(name, type_=Text()), JSON) if postgres else bindparam(name, type_=Text())
            else:
                values[name] = bindparam(name, type_=converted) if name in self._times else bindparam(name)
        statement = table.insert().values(values)
        self.statement = (statement.returning(table.c[returning], sort_by_parameter_order=True)
                          if returning and postgres else statement)
        # SQLite gives RETURNING rows of a multi-row insert in no set order, so SQLAlchemy would send one
        # statement per row: the rows go in one executemany and their ids are read back (below)
        self._returning = returning if returning and not postgres else None
        self._table = table
        compiled = statement.compile(dialect=dialect)
        self._sql = compiled.string
        self._positions = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        self._postgres = postgres
        self._pg_returning = bool(returning) and postgres

    def time(self, value: datetime | None) -> Any:
        """Return ``value`` as the column type binds it (memoized by value).

        Raises:
            ValueError: ``value`` is naive (:class:`UTCDateTime`).
        """
        if value is None:
            return None
        done = self._time_memo.get(value)
        if done is None:
            done = self._time_memo[value] = self._time_processor(value) if self._time_processor else value
        return done

    def params(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Return the statement's parameters for ``row`` (JSON columns as text already)."""
        times = self._times
        return {name: (self.time(row[name]) if name in times else row[name]) for name in self._columns}

    def execute(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Insert ``rows``, in order, as one executemany; return the ``returning`` column's values in
        the rows' order ([] without ``returning``).

        The statement Core compiled, given to the driver's executemany with prepared values (no
        per-row processing by SQLAlchemy), inside the caller's transaction; with ``returning`` on
        SQLite (its single writer) the ids are the next ones, ascending, read back and counted.
        With ``returning`` on PostgreSQL: Core's ``INSERT … RETURNING`` in batches
        (insertmanyvalues), ids in parameter order.
        """
        if not rows:
            return []
        params = [self.params(r) for r in rows]
        if self._postgres and self._pg_returning:
            return list(session.execute(self.statement, params).scalars())
        connection = session.connection()
        key = self._table.c[self._returning] if self._returning else None
        before = connection.execute(select(func.max(key))).scalar() if key is not None else None
        positions = self._positions
        connection.exec_driver_sql(self._sql, [tuple(p[n] for n in positions) for p in params] if positions
                                   else params)
        if key is None:
            return []
        ids = list(connection.execute(select(key).where(key > (before or 0)).order_by(key)).scalars())
        if len(ids) != len(rows):
            raise RuntimeError(f"inserted {len(rows)} rows into {self._table.name} but read back {len(ids)} new ids")
        return ids

class JSONText:
    """``json.dumps`` of values whose dicts are shared (explanations: paths share their hops),
    each shared dict encoded once: the text equals ``json.dumps(value)`` (the tests check it).

    Encodings are kept by object (the object is held, so an id is never reused): use one
    instance for one scan, over values that do not change while it is used.
    """

    __slots__ = ("_memo", "_keys")

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Any, str]] = {}
        self._keys: dict[str, str] = {}

    def __call__(self, value: Any) -> str:
        """Return ``json.dumps(value)``; a dict's values that are dicts or lists of dicts reuse encodings."""
        if type(value) is not dict:
            return _dumps(value)
        memo, keys = self._memo, self._keys
        parts = []
        for key, item in value.items():
            if type(key) is not str:  # json.dumps's own key rules
                return _dumps(value)
            name = keys.get(key)
            if name is None:
                name = keys[key] = _dumps(key) + ": "
            kind = type(item)
            if kind is dict:
                done = memo.get(id(item))
                text = done[1] if done is not None else self._shared(item)
            elif kind is list and item:
                texts = []
                for element in item:
                    if type(element) is not dict:
                        texts = None
                        break
                    done = memo.get(id(element))
                    texts.append(done[1] if done is not None else self._shared(element))
                text = "[" + ", ".join(texts) + "]" if texts is not None else _dumps(item)
            else:
                text = _dumps(item)
            parts.append(name + text)
        return "{" + ", ".join(parts) + "}"

    def _shared(self, value: dict[str, Any]) -> str:
        done = self._memo[id(value)] = (value, _dumps(value))
        return done[1]
