"""Compare Cypher statement forms on a large embedded graph (LadybugDB), CPU microseconds per row.

Builds DATASETS datasets of 20 columns each (``HAS_COLUMN``), every dataset's columns
deriving from those of an earlier one (open ``DERIVES_FROM`` intervals), then times, inside
a rolled-back write transaction, the forms the graph store could use for its batch writes
and reads: ``MERGE`` on a map field against a plain id list, ``CREATE`` of known-new nodes,
and the open-interval reads with one pattern against separate ``MATCH`` clauses. Prints CPU
µs per row (this process's CPU, every engine thread: it survives a loaded machine) and wall.

    python benchmarks/cypher_forms.py [--datasets 15000] [--rows 2000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lineage_engine.graph import column_cypher, cypher_store  # noqa: E402
from lineage_engine.graph.store import open_graph_store  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WIDTH = 20
# The forms the store used before issue 13, kept here for comparison.
MERGE_COLUMNS_BEFORE = (
    "UNWIND $rows AS r MERGE (c:`Column` {id: r.id}) ON CREATE SET c.dataset_id = r.dataset_id, c.name = r.name")
READ_OPEN_COLUMN_INTERVALS_BEFORE = (
    "UNWIND $ids AS i MATCH (t:Dataset {id: i})-[:HAS_COLUMN]->(d:`Column`) MATCH (d)-[e:DERIVES_FROM]->(u:`Column`) "
    "WHERE e.valid_to IS NULL RETURN d.id AS downstream, u.id AS upstream, e.valid_from AS valid_from")


def build(store: object, datasets: int) -> None:
    execute = store._execute  # type: ignore[attr-defined]
    rng = random.Random(3)
    for start in range(0, datasets, 2000):
        ids = [f"db.s.t{i}" for i in range(start, min(datasets, start + 2000))]
        columns = [{"id": f"{d}.c{k}", "dataset_id": d, "name": f"c{k}"} for d in ids for k in range(WIDTH)]
        edges = [{"d": f"{d}.c{k}", "u": f"db.s.t{rng.randrange(max(1, int(d[6:])))}.c{k}", "t": T0}
                 for d in ids if int(d[6:]) > 0 for k in range(WIDTH)]
        execute("BEGIN TRANSACTION", {})
        execute("UNWIND $ids AS i CREATE (:Dataset {id: i})", {"ids": ids})
        execute(column_cypher.CREATE_COLUMNS, {"ids": [c["id"] for c in columns]})
        execute(column_cypher.NAME_COLUMNS, {"rows": columns})
        execute(column_cypher.LINK_NEW_COLUMNS, {"rows": columns})
        execute("UNWIND $rows AS r MATCH (d:`Column` {id: r.d}) MATCH (u:`Column` {id: r.u}) "
                "CREATE (d)-[:DERIVES_FROM {valid_from: r.t, kind: 'DIRECT', observations: 1}]->(u)", {"rows": edges})
        execute("COMMIT", {})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=15_000)
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cypher-forms-") as tmp:
        store = open_graph_store("embedded", path=Path(tmp) / "graph")
        store.migrate()
        started = time.process_time()
        build(store, args.datasets)
        print(f"graph: {args.datasets} datasets, {args.datasets * WIDTH} columns, built in "
              f"{time.process_time() - started:.0f} s CPU")
        rng = random.Random(5)
        n = args.rows
        stored = [f"db.s.t{rng.randrange(args.datasets)}.c{rng.randrange(WIDTH)}" for _ in range(n)]
        new = [f"db.x.n{i}.c0" for i in range(n)]
        mixed = list(dict.fromkeys(stored[: n // 2] + new[: n // 2]))
        rows = [{"id": i, "dataset_id": i.rsplit(".", 1)[0], "name": i.rsplit(".", 1)[1]} for i in mixed]
        targets = sorted({f"db.s.t{rng.randrange(args.datasets)}" for _ in range(max(1, n // WIDTH))})
        forms = [
            ("MERGE Column on a map field (before)", MERGE_COLUMNS_BEFORE, "rows", rows),
            ("MERGE Column on a plain id list", "UNWIND $ids AS i MERGE (c:`Column` {id: i})", "ids", mixed),
            ("read stored Column ids", column_cypher.READ_COLUMN_IDS, "ids", mixed),
            ("CREATE known-new Columns from a map field", "UNWIND $rows AS r CREATE (c:`Column` {id: r.id, "
             "dataset_id: r.dataset_id, name: r.name})", "rows", [r for r in rows if r["id"].startswith("db.x.")]),
            ("CREATE known-new Columns from a plain id list", column_cypher.CREATE_COLUMNS, "ids",
             [i for i in mixed if i.startswith("db.x.")]),
            ("MERGE known-new Columns from a plain id list", "UNWIND $ids AS i MERGE (c:`Column` {id: i})", "ids",
             [i for i in mixed if i.startswith("db.x.")]),
            ("SET properties of Columns by map field", column_cypher.NAME_COLUMNS, "rows", rows),
            ("open column intervals, one pattern (before), per dataset",
             READ_OPEN_COLUMN_INTERVALS_BEFORE, "ids", targets),
            ("open column intervals, IN (after), per dataset", column_cypher.READ_OPEN_COLUMN_INTERVALS,
             "ids", targets),
            ("open dataset intervals, per dataset", cypher_store.READ_OPEN_INTERVALS, "ids", targets),
            ("open dataset intervals, IN, per dataset",
             "MATCH (d:Dataset) WHERE d.id IN $ids MATCH (d)-[e:DERIVES_FROM]->(u:Dataset) WHERE e.valid_to IS NULL "
             "RETURN d.id, u.id", "ids", targets),
        ]
        execute = store._execute  # type: ignore[attr-defined]
        for name, query, param, values in forms:
            execute("BEGIN TRANSACTION", {})
            cpu, wall = time.process_time(), time.perf_counter()
            execute(query, {param: values})
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            execute("ROLLBACK", {})
            print(f"{name:<58} {len(values):>6} rows  cpu {cpu / len(values) * 1e6:>8.0f} us/row  "
                  f"wall {wall / len(values) * 1e6:>8.0f} us/row")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
