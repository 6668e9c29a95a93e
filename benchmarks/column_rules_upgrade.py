"""Cost of the column-rules migration on an old embedded graph (graph/column_rules.py).

Builds an embedded graph of N query-history ``identity`` column edges (default 400,000: issue 13
scale), removes the marker (an old graph), then times, in CPU seconds of this process (user+sys)
and peak RSS: the read of an old graph (:func:`column_rules_of`: one count), the migration that
stores them as ``cast`` (:func:`upgrade_column_rules`, batches of ``BATCH``), and the marker read of
an upgraded graph (what every column-level answer pays from then on).

    python benchmarks/column_rules_upgrade.py [N] [FOLDER]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from lineage_engine.graph.column_rules import column_rules_of, upgrade_column_rules
from lineage_engine.graph.store import open_graph_store

AT = datetime(2026, 5, 4, tzinfo=timezone.utc)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(label: str, work):  # noqa: ANN001, ANN202 - a script
    cpu, wall = _cpu(), time.perf_counter()
    out = work()
    print(f"{label}: {_cpu() - cpu:.2f} s CPU, {time.perf_counter() - wall:.2f} s wall -> {out}")
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400_000
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="column-rules-"))
    store = open_graph_store("embedded", path=folder / "graph")
    try:
        store._execute("MATCH (m:LineageRules) DELETE m", {})
        ids = [f"db.s.t{i // 50}.c{i % 50}" for i in range(n)] + [f"db.s.src.c{i}" for i in range(50)]
        for start in range(0, len(ids), 50_000):
            store._execute("UNWIND $ids AS i CREATE (:`Column` {id: i})", {"ids": ids[start:start + 50_000]})
        rows = [{"d": f"db.s.t{i // 50}.c{i % 50}", "u": f"db.s.src.c{i % 50}"} for i in range(n)]
        for start in range(0, n, 50_000):
            store._execute("UNWIND $rows AS r MATCH (d:`Column` {id: r.d}) MATCH (u:`Column` {id: r.u}) "
                           "CREATE (d)-[:DERIVES_FROM {valid_from: $at, first_seen: $at, last_seen: $at, "
                           "observations: 1, transform: 'identity', kind: 'DIRECT', provenance: 'parsed'}]->(u)",
                           {"rows": rows[start:start + 50_000], "at": AT})
        print(f"{n:,} identity column edges in {folder / 'graph'} (peak RSS after building them: "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")
        _timed("old graph read (column_rules_of)", lambda: column_rules_of(store))
        _timed("migration (upgrade_column_rules)", lambda: upgrade_column_rules(store))
        _timed("upgraded graph read (column_rules_of)", lambda: column_rules_of(store))
        _timed("migration again (idempotent)", lambda: upgrade_column_rules(store))
    finally:
        store.close()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
