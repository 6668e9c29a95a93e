"""Build ``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY`` / ``ACCESS_HISTORY`` in fakesnow for tests.

Two ways to reach fakesnow (reference §9): in-process with ``fakesnow.patch()`` (the driver's
``connect`` is replaced), or the HTTP server ``fakesnow -s`` that the real driver talks to
with ``host=127.0.0.1``, ``port``, ``protocol=http`` (:func:`fakesnow_server`).

Rows are loaded as one JSON document per chunk (``PARSE_JSON`` + ``FLATTEN``): about 12 s
for the 17,151 solana-models rows over HTTP, several times faster than ``executemany``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.waiting import HANG_SECONDS

QUERY_HISTORY_DDL = """
CREATE TABLE IF NOT EXISTS snowflake.account_usage.query_history (
  query_id VARCHAR, query_text VARCHAR, query_type VARCHAR, start_time TIMESTAMP_LTZ,
  end_time TIMESTAMP_LTZ, execution_status VARCHAR, database_name VARCHAR, schema_name VARCHAR,
  session_id NUMBER, user_name VARCHAR, role_name VARCHAR, warehouse_name VARCHAR, query_tag VARCHAR,
  query_parameterized_hash VARCHAR, transaction_id NUMBER)
"""
ACCESS_HISTORY_DDL = """
CREATE TABLE IF NOT EXISTS snowflake.account_usage.access_history (
  query_id VARCHAR, query_start_time TIMESTAMP_LTZ, user_name VARCHAR, direct_objects_accessed ARRAY,
  base_objects_accessed ARRAY, objects_modified ARRAY, object_modified_by_ddl OBJECT)
"""
_INSERT_QH = """
INSERT INTO snowflake.account_usage.query_history
  (query_id, query_text, query_type, start_time, end_time, execution_status, database_name, schema_name,
   session_id, user_name, role_name, warehouse_name, query_tag, query_parameterized_hash)
SELECT value:query_id::VARCHAR, value:query_text::VARCHAR, value:query_type::VARCHAR,
       value:start_time::VARCHAR::TIMESTAMP_LTZ, value:end_time::VARCHAR::TIMESTAMP_LTZ,
       value:execution_status::VARCHAR, value:database_name::VARCHAR, value:schema_name::VARCHAR,
       value:session_id::NUMBER, value:user_name::VARCHAR, value:role_name::VARCHAR,
       value:warehouse_name::VARCHAR, value:query_tag::VARCHAR, value:query_parameterized_hash::VARCHAR
FROM TABLE(FLATTEN(PARSE_JSON(%(rows)s)))
"""
_INSERT_AH = """
INSERT INTO snowflake.account_usage.access_history (query_id, query_start_time, objects_modified, direct_objects_accessed)
SELECT %(query_id)s, %(start)s, PARSE_JSON(%(modified)s), PARSE_JSON(%(accessed)s)
"""
_FIELDS = ("query_id", "query_text", "query_type", "start_time", "end_time", "execution_status", "database_name",
           "schema_name", "session_id", "user_name", "role_name", "warehouse_name", "query_tag",
           "query_parameterized_hash")


def create_views(cursor: Any) -> None:
    """Create the SNOWFLAKE database, ACCOUNT_USAGE schema and both history tables."""
    cursor.execute("CREATE DATABASE IF NOT EXISTS snowflake")
    cursor.execute("CREATE SCHEMA IF NOT EXISTS snowflake.account_usage")
    cursor.execute(QUERY_HISTORY_DDL)
    cursor.execute(ACCESS_HISTORY_DDL)


@contextlib.contextmanager
def account_usage() -> Iterator[Any]:
    """A fresh in-process fakesnow (``fakesnow.patch()``) with the two ACCOUNT_USAGE views;
    yields a cursor of a connection to ``SNOWFLAKE.ACCOUNT_USAGE`` that loads rows."""
    import fakesnow
    import snowflake.connector

    with fakesnow.patch():
        conn = snowflake.connector.connect(database="SNOWFLAKE", schema="ACCOUNT_USAGE")
        try:
            cursor = conn.cursor()
            create_views(cursor)
            yield cursor
        finally:
            conn.close()


def _iso(value: Any) -> Any:
    return value.astimezone(timezone.utc).isoformat() if isinstance(value, datetime) else value


def load_query_history(cursor: Any, rows: Sequence[Mapping[str, Any]], chunk: int = 2000) -> int:
    """Insert QUERY_HISTORY-shaped rows (ISO timestamps or datetimes); return how many."""
    for start in range(0, len(rows), chunk):
        payload = [{k: _iso(row.get(k)) for k in _FIELDS} for row in rows[start:start + chunk]]
        cursor.execute(_INSERT_QH, {"rows": json.dumps(payload)})
    return len(rows)


def load_access_history(cursor: Any, query_id: str, start: datetime, objects_modified: list[dict[str, Any]],
                        direct_objects_accessed: list[dict[str, Any]]) -> None:
    """Insert one ACCESS_HISTORY row."""
    cursor.execute(_INSERT_AH, {"query_id": query_id, "start": start, "modified": json.dumps(objects_modified),
                                "accessed": json.dumps(direct_objects_accessed)})


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Return the rows of a JSON Lines file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write rows as JSON Lines (datetimes as ISO 8601 UTC); return the path."""
    path.write_text("".join(json.dumps({k: _iso(v) for k, v in row.items()}) + "\n" for row in rows),
                    encoding="utf-8")
    return path


def shift(rows: Sequence[Mapping[str, Any]], delta: timedelta) -> list[dict[str, Any]]:
    """Return copies of rows with start_time and end_time moved by ``delta``."""
    out = []
    for row in rows:
        copy = dict(row)
        for key in ("start_time", "end_time"):
            copy[key] = (datetime.fromisoformat(str(row[key])) + delta).astimezone(timezone.utc).isoformat()
        out.append(copy)
    return out


def free_port() -> int:
    """Return a TCP port nobody listens on right now (127.0.0.1)."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def fakesnow_server(port: int | None = None, timeout: float = HANG_SECONDS) -> Iterator[int]:
    """Run ``fakesnow -s`` (its console script) as a subprocess; yield its port.

    The server keeps one shared in-memory database for every session until it stops.
    Start-up is awaited while the process lives (a loaded machine starts it slowly);
    ``timeout`` only catches a hang.
    """
    port = port or free_port()
    exe = Path(sys.executable).with_name("fakesnow")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "fakesnow"]
    proc = subprocess.Popen([*command, "-s", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.closing(socket.socket()) as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"fakesnow -s did not start on port {port}")
            time.sleep(0.1)
        yield port
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def server_connection(port: int) -> Any:
    """Connect the real driver to a ``fakesnow -s`` server (for loading data).

    The session's current database is SNOWFLAKE: fakesnow's FLATTEN needs one (reference §9).
    """
    import snowflake.connector

    return snowflake.connector.connect(
        account="fakesnow", user="loader", password="snow", host="127.0.0.1", port=port, protocol="http",
        database="SNOWFLAKE", schema="ACCOUNT_USAGE",
        session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False}, login_timeout=10,
    )
