"""Query text can hold PII in its literals: nothing the product stores or prints holds one.

A history whose statements carry a distinct canary literal in every place a literal can sit
(WHERE, CASE, COALESCE, VALUES, UPDATE SET, MERGE, QUALIFY, a JSON literal, a read-only
SELECT, a statement that cannot be parsed, one longer than the quarantine keeps, a temporary
table, a view, an unload) is crawled twice (the second time from its start, which takes the
stored extraction results), scanned, exported and packed as evidence through the installed
command. No canary may appear in any file under the installation (the registry's rows,
including compressed ones, the graph's files, the evidence pack, the export) nor in anything
the commands printed.
"""

from __future__ import annotations

import json
import re
import sqlite3
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.cli_run import file_config, run_cli

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CANARY = re.compile(rb"(?i)canary[a-z]")
STATEMENTS = [
    ("CREATE_TABLE", "create table db.s.src (email varchar, name varchar, amount number)"),
    ("CREATE_TABLE_AS_SELECT",
     "create or replace table db.s.t1 as select email, name from db.s.src where email = 'CANARYA@secret.example'"),
    ("CREATE_TABLE_AS_SELECT",
     "create or replace table db.s.t2 as select case when name = 'CANARYB' then 'CANARYC' else email end as e2, "
     "coalesce(email, 'CANARYD') as e3 from db.s.src"),
    ("INSERT", "insert into db.s.t1 (email, name) values ('CANARYE@x.example', 'Jane CANARYE')"),
    ("INSERT", "insert into db.s.t1 select email, name from db.s.src where name like '%CANARYF%'"),
    ("UPDATE", "update db.s.t1 set name = 'CANARYG' where email = 'CANARYH'"),
    ("MERGE", "merge into db.s.t1 t using db.s.src s on t.email = s.email and s.name = 'CANARYI' "
              "when matched then update set name = 'CANARYJ' "
              "when not matched then insert (email, name) values (s.email, 'CANARYK')"),
    ("SELECT", "select email from db.s.t1 where email = 'CANARYL@x.example'"),
    ("CREATE_TABLE_AS_SELECT", "create table db.s.broken as select from where 'CANARYM' (("),
    ("CREATE_TABLE_AS_SELECT",
     "create or replace table db.s.t3 as select email, '" + "CANARYN" * 700 + "' as pad from db.s.src"),
    ("CREATE_TABLE_AS_SELECT",
     "create or replace temporary table tmp1 as select email from db.s.src where email = 'CANARYO'"),
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.t4 as select * from tmp1 where email <> 'CANARYP'"),
    ("CREATE_VIEW", "create or replace view db.s.v1 as select email from db.s.src where name = 'CANARYQ'"),
    ("UNLOAD", "copy into @db.s.stage1/unload/ from (select email from db.s.src where name = 'CANARYR')"),
    ("CREATE_TABLE_AS_SELECT",
     "create or replace table db.s.t5 as select parse_json('{\"k\": \"CANARYS\"}') as j, email from db.s.src"),
    ("CREATE_TABLE_AS_SELECT",
     "create or replace table db.s.t6 as select email, iff(name = 'CANARYT', 1, 0) as f from db.s.src "
     "qualify row_number() over (partition by email order by name) = 1 and name != 'CANARYU'"),
]
REGISTRY = """assets:
  - catalog_path: DB.S.SRC.EMAIL
    classification: restricted
    regulatory_tags: [pii]
    steward: dpo@example.com
"""


def _history(path: Path) -> Path:
    lines = []
    for n, (query_type, text) in enumerate(STATEMENTS):
        at = (T0 + timedelta(minutes=n)).isoformat()
        lines.append(json.dumps({"query_id": f"q{n:02d}", "query_text": text, "query_type": query_type,
                                 "start_time": at, "end_time": at, "execution_status": "SUCCESS",
                                 "database_name": "DB", "schema_name": "S", "session_id": "7",
                                 "user_name": "ETL", "role_name": "LOADER"}))
    path.write_text("\n".join(lines) + "\n")
    return path


def _registry_values(db: Path) -> list[bytes]:
    """Every text and blob value of every registry table, compressed blobs decompressed."""
    values: list[bytes] = []
    with sqlite3.connect(db) as conn:
        tables = [name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")]
        for table in tables:
            for row in conn.execute(f'select * from "{table}"'):  # noqa: S608 - names from sqlite_master
                for value in row:
                    if isinstance(value, str):
                        values.append(value.encode())
                    elif isinstance(value, bytes):
                        values.append(value)
                        try:
                            values.append(zlib.decompress(value))
                        except zlib.error:
                            pass
    return values


def test_no_literal_of_the_history_is_stored_or_printed(tmp_path: Path) -> None:
    (tmp_path / "input").mkdir()
    history = _history(tmp_path / "input" / "history.jsonl")
    home = tmp_path / "install"
    config = file_config(home, history, extra="")
    config.write_text(config.read_text().replace("batch_size: 1000}", "batch_size: 1000, keep_reads: true}"))
    (tmp_path / "input" / "registry.yaml").write_text(REGISTRY)
    printed: list[str] = []
    for args in (["migrate"], ["registry", "import", str(tmp_path / "input" / "registry.yaml")], ["crawl"],
                 ["crawl", "--reset-watermark", "--yes"], ["scan"], ["scan", "--format", "json"], ["quarantine"],
                 ["findings"], ["export", "edges", "--output", str(home / "edges.jsonl")],
                 ["evidence", "--as-of", "2026-03-03", "--out", str(home / "pack")]):
        result = run_cli(config, *args)
        printed += [result.stdout, result.stderr]

    crawls = printed[4] + printed[6]
    assert "quarantined: 1" in crawls, crawls  # the broken statement: kept without its text
    assert "opened" in printed[8], printed[8]  # the scan found the copies of the e-mail
    assert (home / "pack").is_dir() and (home / "edges.jsonl").read_text()
    leaks = [m.group().decode() for text in printed for m in CANARY.finditer(text.encode())]
    assert not leaks, f"printed: {sorted(set(leaks))}"
    values = _registry_values(home / ".lineage" / "registry.db")
    assert len(values) > 50
    leaks = sorted({m.group().decode() for value in values for m in CANARY.finditer(value)})
    assert not leaks, f"stored in the registry: {leaks}"
    for path in home.rglob("*"):
        if path.is_file():
            found = sorted({m.group().decode() for m in CANARY.finditer(path.read_bytes())})
            assert not found, f"{path.relative_to(home)} holds {found}"
