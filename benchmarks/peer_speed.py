"""Time the peers' SQL lineage parsers on a statement file; run by ``extract_speed.py``.

    PEER_PYTHON benchmarks/peer_speed.py STATEMENTS.json

Runs in the peers' own interpreter (DataHub pins its own sqlglot, older than ours), pinned to
the cores it inherited. ``STATEMENTS.json`` is ``[[text, database, schema], ...]``. Prints
one JSON object: ``{peer: {"cpu_seconds", "statements", "errors"} | {"missing": reason}}``.
Each statement is parsed once per peer (DataHub caches parses; a second pass would time its
cache), column lineage included.
"""

from __future__ import annotations

import json
import logging
import sys
import time


def _openlineage(items: list[list[str | None]]) -> dict[str, object]:
    try:
        from openlineage_sql import parse
    except ImportError as error:
        return {"missing": f"openlineage-sql not importable ({error})"}
    errors = 0
    start = time.process_time()
    for text, _database, schema in items:
        try:
            meta = parse([text], dialect="snowflake", default_schema=schema)
            if meta is None:
                errors += 1
        except Exception:  # noqa: BLE001 - a peer's failure on one statement is counted, not fatal
            errors += 1
    return {"cpu_seconds": time.process_time() - start, "statements": len(items), "errors": errors}


def _datahub(items: list[list[str | None]]) -> dict[str, object]:
    try:
        from datahub.sql_parsing.schema_resolver import SchemaResolver
        from datahub.sql_parsing.sqlglot_lineage import sqlglot_lineage
    except ImportError as error:
        return {"missing": f"acryl-datahub[sql-parser] not importable ({error})"}
    resolver = SchemaResolver(platform="snowflake")
    errors = 0
    start = time.process_time()
    for text, database, schema in items:
        result = sqlglot_lineage(text, schema_resolver=resolver, default_db=database, default_schema=schema)
        errors += result.debug_info.table_error is not None
    return {"cpu_seconds": time.process_time() - start, "statements": len(items), "errors": errors}


def main() -> int:
    logging.disable(logging.WARNING)
    items = json.loads(open(sys.argv[1], encoding="utf-8").read())
    print(json.dumps({"openlineage-sql": _openlineage(items), "datahub": _datahub(items)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
