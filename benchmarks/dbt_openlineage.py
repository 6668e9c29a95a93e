"""Figures for issue 16: a 400-model dbt project crawled, and OpenLineage run events ingested.

Prints:

- dbt: seconds to load and convert the artifacts of a generated project of ``--models`` models
  (a source layer, then layers of models each reading two models of the layer before, with
  ``--columns`` columns each; manifest.json, catalog.json, run_results.json as dbt 1.10 writes
  them), and to merge them into an empty embedded graph (``crawl_dbt``, first run and a replay);
- OpenLineage: run events per second stored (``receive_events``: checked, reduced, digested,
  stored in SQLite) and merged (``crawl_openlineage`` into the embedded graph), for ``--events``
  events with ``--columns`` column edges each.

Run: ``python benchmarks/dbt_openlineage.py [--models 400] [--columns 12] [--events 2000]``.
Everything lives in a temporary folder; nothing else is touched.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lineage_engine.graph.store import open_graph_store
from lineage_engine.pipeline import CrawlOptions
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.dbt import DbtArtifactsSource, crawl_dbt
from lineage_engine.sources.dbt_artifacts import load_dbt_artifacts
from lineage_engine.sources.dbt_lineage import dbt_lineage
from lineage_engine.sources.openlineage import crawl_openlineage, receive_events

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
WAREHOUSE = "snowflake://bench-acct"


def write_project(folder: Path, models: int, columns: int) -> None:
    """Write manifest.json, catalog.json and run_results.json of a generated project."""
    cols = [f"c{i}" for i in range(columns)]
    nodes: dict[str, dict[str, object]] = {}
    sources: dict[str, dict[str, object]] = {}
    catalog: dict[str, dict[str, object]] = {}
    results = []
    for i in range(20):
        uid = f"source.bench.raw.t{i}"
        sources[uid] = {"resource_type": "source", "database": "BENCH", "schema": "RAW", "identifier": f"T{i}",
                        "name": f"t{i}", "relation_name": f"BENCH.RAW.T{i}", "columns": {}}
        catalog[uid] = {"columns": {c.upper(): {"name": c.upper(), "index": n + 1} for n, c in enumerate(cols)}}
    previous = list(sources)
    layer: list[str] = []
    for i in range(models):
        uid = f"model.bench.m{i}"
        parents = [previous[i % len(previous)], previous[(i * 7 + 3) % len(previous)]]
        a, b = (p.rsplit(".", 1)[-1].upper() for p in parents)
        select = ", ".join(f"a.{c}" if n % 3 else f"coalesce(a.{c}, b.{c}) as {c}" for n, c in enumerate(cols))
        rel = {p: (nodes.get(p) or sources[p])["relation_name"] for p in parents}
        code = (f"select {select} from {rel[parents[0]]} a join {rel[parents[1]]} b on a.c0 = b.c0 "
                f"where b.c1 is not null")
        nodes[uid] = {"resource_type": "model", "database": "BENCH", "schema": "MARTS", "alias": f"M{i}",
                      "name": f"m{i}", "relation_name": f"BENCH.MARTS.M{i}", "config": {"materialized": "table"},
                      "depends_on": {"nodes": parents}, "compiled_code": code}
        catalog[uid] = {"columns": {c.upper(): {"name": c.upper(), "index": n + 1} for n, c in enumerate(cols)}}
        at = (T0 + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
        results.append({"unique_id": uid, "status": "success", "compiled_code": code,
                        "timing": [{"name": "execute", "started_at": at, "completed_at": at}]})
        layer.append(uid)
        if len(layer) == 40:
            previous, layer = layer, []
    meta = {"dbt_version": "1.10.0", "generated_at": "2026-11-01T01:00:00Z", "invocation_id": str(uuid.uuid4()),
            "adapter_type": "snowflake"}
    (folder / "manifest.json").write_text(json.dumps({
        "metadata": {**meta, "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": nodes, "sources": sources}))
    (folder / "catalog.json").write_text(json.dumps({
        "metadata": {**meta, "dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"},
        "nodes": {k: v for k, v in catalog.items() if k.startswith("model.")},
        "sources": {k: v for k, v in catalog.items() if k.startswith("source.")}}))
    (folder / "run_results.json").write_text(json.dumps({
        "metadata": {**meta, "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"},
        "args": {"which": "build"}, "results": results}))


def run_event(i: int, columns: int) -> dict[str, object]:
    """Return a COMPLETE run event copying ``columns`` columns of one table into a bucket."""
    fields = {f"c{n}": {"inputFields": [{"namespace": WAREHOUSE, "name": f"bench.raw.t{i % 50}", "field": f"c{n}",
                                          "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}]}]}
              for n in range(columns)}
    return {"eventType": "COMPLETE", "eventTime": (T0 + timedelta(seconds=i)).isoformat(),
            "producer": "https://example.com/spark", "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json",
            "run": {"runId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"run{i}"))},
            "job": {"namespace": "spark", "name": f"export_{i % 100}"},
            "inputs": [{"namespace": WAREHOUSE, "name": f"bench.raw.t{i % 50}"}],
            "outputs": [{"namespace": f"s3://bucket-{i % 100}", "name": f"/out/{i}",
                         "facets": {"columnLineage": {"_producer": "p", "_schemaURL": "s", "fields": fields}}}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=400)
    parser.add_argument("--columns", type=int, default=12)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as tmp:
        base = Path(tmp)
        target = base / "target"
        target.mkdir()
        write_project(target, args.models, args.columns)
        size = sum(f.stat().st_size for f in target.iterdir())
        started = time.perf_counter()
        artifacts = load_dbt_artifacts(target)
        loaded = time.perf_counter() - started
        from lineage_engine.parse_pool import extract_record
        from lineage_engine.parsing import DEFAULT_TEMP_PATTERNS, extract_lineage

        options = CrawlOptions()
        started = time.perf_counter()
        lineage = dbt_lineage(artifacts, "bench", lambda r, s: extract_record(r, options, DEFAULT_TEMP_PATTERNS, s,
                                                                               extract_lineage)[0], lambda r, x: None)
        converted = time.perf_counter() - started
        edges = sum(len(e.columns) for e in lineage.events)
        print(f"dbt: {args.models} models x {args.columns} columns, artifacts {size / 1e6:.1f} MB: load {loaded:.2f} s, "
              f"convert (parse compiled SQL) {converted:.2f} s, {len(lineage.events)} events, {edges} column edges")
        registry = Registry(f"sqlite:///{base / 'registry.db'}")
        registry.migrate()
        store = open_graph_store("embedded", path=base / "graph")
        store.migrate()
        for label in ("first crawl", "same artifacts again"):
            started = time.perf_counter()
            report = crawl_dbt(DbtArtifactsSource(target), store, registry, options)
            print(f"dbt: {label}: {time.perf_counter() - started:.2f} s ({report.merge.edges_created} edges, "
                  f"{report.merge.column_edges_created} column edges opened)")
        documents = [run_event(i, args.columns) for i in range(args.events)]
        started = time.perf_counter()
        for i in range(0, len(documents), 100):
            receive_events(registry, documents[i:i + 100])
        stored = time.perf_counter() - started
        started = time.perf_counter()
        report = crawl_openlineage(store, registry, WAREHOUSE)
        merged = time.perf_counter() - started
        print(f"openlineage: {args.events} run events x {args.columns} column edges: stored {args.events / stored:,.0f} "
              f"events/s (checked, reduced, 100 per transaction), merged {args.events / merged:,.0f} events/s "
              f"({report.merge.column_edges_created} column edges opened)")
        started = time.perf_counter()
        one = [run_event(args.events + i, args.columns) for i in range(200)]
        for document in one:
            receive_events(registry, [document])
        print(f"openlineage: one event per transaction (as POST /api/v1/lineage stores them): "
              f"{200 / (time.perf_counter() - started):,.0f} events/s")
        store.close()
        registry.close()


if __name__ == "__main__":
    main()
