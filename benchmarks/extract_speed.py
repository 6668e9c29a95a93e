"""Extraction speed side by side: ours, the sqlglot-parse ceiling and the peers, on one core.

    python benchmarks/extract_speed.py [--set first-run|all] [--repeat N] [--core N]
                                       [--peers-python PATH] [--setup-peers] [--no-peers]

The statements (``--set first-run``, the default): the distinct data-moving statements
(CREATE TABLE AS SELECT, CREATE VIEW, MERGE, INSERT) of the first full run in the solana
history (2026-08-23: 585 texts; issue 9 section 3 calls them "the 588 distinct solana
statements"); ``--set all``: every distinct materializing text of the history (2,832).
The process pins itself to one core (``--core``, default 0) and prints, per tool,
statements per CPU-second with column lineage:

* ours: :func:`extract_lineage` with column lineage, best of ``--repeat`` passes;
* the sqlglot ceiling: the same statements tokenized and parsed by sqlglot alone (what no
  extractor built on sqlglot can beat), and our own code's share of our time;
* ``openlineage-sql`` (OpenLineage's Rust parser) and DataHub's ``sqlglot_lineage``
  (``acryl-datahub[sql-parser]``), each parsing every statement once, run by
  ``benchmarks/peer_speed.py`` in the peers' interpreter (DataHub pins an older sqlglot,
  so the peers never share our environment). They are optional extras of the benchmark,
  not of the package: ``--setup-peers`` creates ``benchmarks/.peers-venv`` with
  ``pip install openlineage-sql 'acryl-datahub[sql-parser]'`` (from PyPI); a peer that is
  not installed is skipped with a message.

Goals (issue 9): our own code at most 20% of our extraction time; at least 450
statements/s here on one core. ``--table-level`` times table-level lineage instead.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlglot.dialects.dialect import Dialect  # noqa: E402

from lineage_engine.model import QueryRecord  # noqa: E402
from lineage_engine.parsing.chunks import split_statements  # noqa: E402
from lineage_engine.parsing.extract import extract_lineage  # noqa: E402
from lineage_engine.parsing.filter import should_parse  # noqa: E402

DEFAULT_HISTORY = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "solana-models" / "query_history.jsonl"


def load_records(path: Path) -> Iterator[QueryRecord]:
    """Yield QueryRecords from a QUERY_HISTORY-shaped JSON Lines file, in file order.

    Raises:
        OSError: the file cannot be read. ValueError: a line is not valid JSON.
    """
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            yield QueryRecord(
                query_id=row["query_id"],
                query_text=row.get("query_text") or "",
                query_type=row.get("query_type") or "UNKNOWN",
                start_time=datetime.fromisoformat(row["start_time"]),
                end_time=datetime.fromisoformat(row["end_time"]),
                execution_status=row.get("execution_status") or "SUCCESS",
                database_name=row.get("database_name"),
                schema_name=row.get("schema_name"),
                session_id=str(row["session_id"]) if row.get("session_id") is not None else None,
                user_name=row.get("user_name"),
                role_name=row.get("role_name"),
                warehouse_name=row.get("warehouse_name"),
                query_tag=row.get("query_tag"),
                position=f"{path.name}:{number}",
            )


def statement_count(text: str) -> int:
    """Count the statements in ``text`` (semicolon-separated, ignoring empty ones)."""
    try:
        chunks = split_statements(text, Dialect.get_or_raise("snowflake").tokenize(text))
    except Exception:  # noqa: BLE001 - an untokenizable text is one statement
        return 1
    return max(1, len(chunks))


FIRST_RUN_TYPES = frozenset({"CREATE_TABLE_AS_SELECT", "CREATE_VIEW", "MERGE", "INSERT"})
PEERS_VENV = Path(__file__).resolve().parent / ".peers-venv"
PEER_PACKAGES = ("openlineage-sql", "acryl-datahub[sql-parser]")
Work = list[tuple[str, "str | None", "str | None"]]


def select_statements(history: Path, which: str) -> Work:
    """Return the distinct (text, database, schema) to time, in history order (module docstring)."""
    work: dict[tuple[str, str | None, str | None], None] = {}
    first_day = None
    for record in load_records(history):
        keep, _ = should_parse(record, allowed_query_types=None, own_user=None, own_query_tag_prefix="")
        if not keep:
            continue
        if which == "first-run":
            first_day = first_day or record.end_time.date()
            if record.end_time.date() != first_day or record.query_type not in FIRST_RUN_TYPES:
                continue
        work[(record.query_text, record.database_name, record.schema_name)] = None
    return list(work)


def time_ours(work: Work, *, columns: bool, repeat: int) -> float:
    """Return the best CPU seconds of ``repeat`` passes of our extraction over ``work``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for text, database, schema in work:
            extract_lineage(text, default_database=database, default_schema=schema, columns=columns)
        best = min(best, time.process_time() - start)
    return best


def time_ceiling(work: Work, *, repeat: int) -> float:
    """Return the best CPU seconds of sqlglot tokenizing and parsing ``work`` (Snowflake), nothing else.

    The garbage collector is paused per statement as :func:`extract_lineage` does, so the
    ceiling and ours are timed alike (with it running the ceiling is about 1.5x slower).
    """
    dialect = Dialect.get_or_raise("snowflake")
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for text, _database, _schema in work:
            gc.disable()
            try:
                dialect.parser(error_message_context=0).parse(dialect.tokenize(text), text)
            except Exception:  # noqa: BLE001 - a statement sqlglot rejects costs what it cost
                pass
            finally:
                gc.enable()
        best = min(best, time.process_time() - start)
    return best


def setup_peers() -> Path:
    """Create ``benchmarks/.peers-venv`` with the peers installed from PyPI; return its python."""
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
    return python


def time_peers(work: Work, python: Path | None) -> dict[str, dict[str, object]]:
    """Run ``peer_speed.py`` under ``python`` on ``work``; a missing interpreter or peer is reported."""
    if python is None or not python.exists():
        reason = (f"no peers interpreter; run with --setup-peers (creates {PEERS_VENV.name} and installs "
                  f"{' and '.join(PEER_PACKAGES)}) or give --peers-python")
        return {"openlineage-sql": {"missing": reason}, "datahub": {"missing": reason}}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(work, handle)
    try:
        done = subprocess.run([str(python), str(Path(__file__).with_name("peer_speed.py")), handle.name],
                              capture_output=True, text=True, check=False)
    finally:
        Path(handle.name).unlink()
    if done.returncode != 0:
        reason = f"peer_speed.py failed: {done.stderr.strip().splitlines()[-1:]}"
        return {"openlineage-sql": {"missing": reason}, "datahub": {"missing": reason}}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("history", nargs="?", type=Path, default=DEFAULT_HISTORY)
    parser.add_argument("--set", dest="which", choices=("first-run", "all"), default="first-run")
    parser.add_argument("--repeat", type=int, default=3, help="passes for ours and the ceiling; the best counts")
    parser.add_argument("--core", type=int, default=0, help="the one core to run on (default 0)")
    parser.add_argument("--table-level", action="store_true", help="time table-level lineage (no columns)")
    parser.add_argument("--peers-python", type=Path, help="interpreter with the peers installed")
    parser.add_argument("--setup-peers", action="store_true", help=f"install the peers into {PEERS_VENV.name}")
    parser.add_argument("--no-peers", action="store_true", help="time ours and the ceiling only")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # sqlglot's Command-fallback warnings: not part of the work measured
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})  # one core, for us and the peers' child process alike

    work = select_statements(args.history, args.which)
    statements = sum(statement_count(text) for text, _, _ in work)
    columns = not args.table_level
    extract_lineage(work[0][0], columns=columns)  # imports and dialect set-up are not part of the timing
    ours = time_ours(work, columns=columns, repeat=args.repeat)
    ceiling = time_ceiling(work, repeat=args.repeat)
    peers: dict[str, dict[str, object]] = {}
    if not args.no_peers:
        python = setup_peers() if args.setup_peers else args.peers_python or (
            PEERS_VENV / "bin" / "python" if (PEERS_VENV / "bin" / "python").exists() else None)
        peers = time_peers(work, python)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"history      {args.history.name}: {len(work)} distinct texts ({args.which}), {statements} statements; "
          f"column lineage {'on' if columns else 'off'}; pinned to core {args.core}; "
          f"{os.cpu_count()} cores, load {load:.1f}")
    print(f"{'tool':34} {'stmt/s':>8} {'CPU s':>7}  vs ours")
    rows = [("lineage-engine (ours)", ours), ("sqlglot tokenize+parse (ceiling)", ceiling)]
    for name, seconds in rows:
        print(f"{name:34} {statements / seconds:8,.0f} {seconds:7.2f}  {ours / seconds:5.2f}x")
    for name, result in peers.items():
        if "missing" in result:
            print(f"{name:34} {'skipped':>8}          {result['missing']}")
            continue
        seconds = float(result["cpu_seconds"])  # type: ignore[arg-type]
        print(f"{name:34} {statements / seconds:8,.0f} {seconds:7.2f}  {ours / seconds:5.2f}x"
              f"   ({result['errors']} statements it could not parse)")
    share = max(0.0, ours - ceiling) / ours
    print(f"\nour own code: {share:.0%} of our extraction time (goal <= 20%); "
          f"{statements / ours:,.0f} statements/s (goal >= 450 on one core)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
