"""Write a large synthetic query history: a real workload replicated under distinct names.

Copy ``k`` of the workload renames every database it uses (``SOLANA`` -> ``SOLANA_R007``, in
``database_name`` and in the statement text wherever the name is the first part of a
three-part name or follows ``USE [DATABASE]``), suffixes query ids (``…-r007``) and session ids, and shifts its times by
``k`` milliseconds; times are stretched so that the history spans 90 days. The copies are
merged in ``END_TIME`` order, so the result looks like one account running the same
statement mix in N times as many databases: the issue-13 workload ("the solana workload
replicated 60 times under distinct database names, ids and timestamps over 90 days").

The base workload is ``/work/shared/corpora/solana-models/query_history.jsonl`` (17,151
rows; ``--corpus``) when present, else the bundled sample (``config/sample``, 596 rows).
Rows are streamed: memory holds the base workload only, whatever N.

    python benchmarks/scale_history.py 100000 -o /tmp/history-100k.jsonl
    python benchmarks/scale_history.py 1000000 --base sample -o /tmp/sample-1m.jsonl
    python benchmarks/scale_history.py 150000 --of 1000000 -o /tmp/start-of-1m.jsonl
"""

from __future__ import annotations

import argparse
import heapq
import json
import re
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "config" / "sample" / "query_history.jsonl"
SOLANA = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "solana-models" / "query_history.jsonl"
SOLANA_SHARED = Path("/work/shared/corpora/solana-models/query_history.jsonl")
SPAN = timedelta(days=90)
_TIME_FIELDS = ("start_time", "end_time")


def base_path(name: str) -> Path:
    """Return the base workload file: ``solana`` (the shared corpus), ``sample`` or a path."""
    if name == "sample":
        return SAMPLE
    if name == "solana":
        for candidate in (SOLANA, SOLANA_SHARED):
            if candidate.exists():
                return candidate
        raise SystemExit("the solana-models corpus is not here (../shared/corpora/solana-models); use --base sample")
    return Path(name)


def load_base(path: Path) -> list[dict[str, object]]:
    """Return the rows of ``path`` sorted by ``end_time`` (stable), times parsed."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                for name in _TIME_FIELDS:
                    if row.get(name):
                        row[name] = datetime.fromisoformat(str(row[name]))
                rows.append(row)
    rows.sort(key=lambda r: r["end_time"])  # type: ignore[arg-type,return-value]
    return rows


def database_names(rows: list[dict[str, object]]) -> list[str]:
    """Return the databases of the workload: session databases and first parts of 3-part names."""
    names = {str(r["database_name"]).lower() for r in rows if r.get("database_name")}
    three_part = re.compile(r"\b([A-Za-z_][A-Za-z0-9_$]*)\s*\.\s*\"?[A-Za-z_][A-Za-z0-9_$]*\"?\s*\.\s*\"?[A-Za-z_]")
    counts: dict[str, int] = {}
    for row in rows:
        for match in three_part.finditer(str(row.get("query_text") or "")):
            counts[match.group(1).lower()] = counts.get(match.group(1).lower(), 0) + 1
    names |= {name for name, n in counts.items() if n >= 3 and name not in {"information_schema", "snowflake"}}
    return sorted(names, key=len, reverse=True)


def replicate(rows: list[dict[str, object]], copies: int, limit: int) -> Iterator[dict[str, object]]:
    """Yield up to ``limit`` rows of ``copies`` renamed copies of ``rows``, by end_time."""
    names = database_names(rows)
    alternation = "|".join(re.escape(n) for n in names)
    part = r'\s*\.\s*(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)'  # the schema of a 3-part name
    qualified = re.compile(rf"(?i)(?<![A-Za-z0-9_$\".])({alternation})(?={part}\s*\.\s*[A-Za-z_\"])"
                           rf"|(?<=\buse\s)(?:database\s+)?({alternation})\b" if names else r"(?!x)x")
    start = rows[0]["end_time"]
    end = rows[-1]["end_time"]
    stretch = max(1.0, SPAN / max(end - start, timedelta(seconds=1)))  # type: ignore[operator]

    def copy(k: int) -> Iterator[tuple[datetime, int, dict[str, object]]]:
        suffix = f"_R{k:03d}"
        shift = timedelta(milliseconds=k)
        for index, row in enumerate(rows):
            out = dict(row)
            for name in _TIME_FIELDS:
                if isinstance(row.get(name), datetime):
                    out[name] = start + (row[name] - start) * stretch + shift  # type: ignore[operator]
            out["query_id"] = f"{row['query_id']}-r{k:03d}"
            if row.get("database_name"):
                out["database_name"] = f"{row['database_name']}{suffix}"
            if row.get("session_id") is not None:
                out["session_id"] = str(int(row["session_id"]) * 1000 + k) if str(row["session_id"]).isdigit() \
                    else f"{row['session_id']}-{k}"
            else:
                out["session_id"] = str(k + 1)  # the corpus has none: one session per copy
            out["query_text"] = qualified.sub(lambda m: m.group(0) + suffix, str(row.get("query_text") or ""))
            yield out["end_time"], index * copies + k, out  # type: ignore[misc]

    merged = heapq.merge(*(copy(k) for k in range(copies)))
    for count, (_, _, row) in enumerate(merged):
        if count >= limit:
            return
        yield row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, help="rows to write")
    parser.add_argument("--base", default="solana" if (SOLANA.exists() or SOLANA_SHARED.exists()) else "sample",
                        help="solana (default when present), sample, or a JSON Lines file")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default stdout)")
    parser.add_argument("--of", type=int, default=None,
                        help="write the first ROWS rows of an OF-row history (its copies interleaved over the "
                             "same 90 days): e.g. 150000 --of 1000000 is the start of the 1M crawl")
    args = parser.parse_args(argv)
    rows = load_base(base_path(args.base))
    copies = -(-max(args.rows, args.of or 0) // len(rows))
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    written = 0
    try:
        for row in replicate(rows, copies, args.rows):
            out.write(json.dumps({k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}))
            out.write("\n")
            written += 1
    finally:
        if args.output:
            out.close()
    print(f"wrote {written} rows: {copies} copies of {len(rows)} rows from {args.base}, "
          f"databases renamed: {', '.join(database_names(rows)) or '(none)'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
