"""Neo4j returns what the embedded graph returns: every saved trace, and the demo's findings.

The embedded results are pinned by golden tests (tests/graph/test_traces.py, the demo tests);
here a real Neo4j 5 server (tests/conftest.py: NEO4J_URI, `eval "$(bash .ci/neo4j.sh)"`) must match
them row for row.
Without a server every test here skips with the conftest's one reason.
"""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from lineage_engine import services
from lineage_engine.graph.store import GraphStore, open_graph_store
from lineage_engine.model import Asset, ColumnLineage, DatasetRef, LineageEvent, Operation
from lineage_engine.settings import load_settings
from lineage_engine.traces import list_traces

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def backend(neo4j_server: dict[str, object]) -> str:
    """Only Neo4j: the embedded graph is the reference each test builds itself."""
    return "neo4j"


def ev(hours: float, target: str, *sources: str, op: Operation = Operation.REPLACE, kind: str = "table",
       counterpart: str | None = None, columns: tuple[tuple[str, str, str], ...] = ()) -> LineageEvent:
    """An event; ``columns``: column edges ``(source column, target column name, transform)``."""
    def ref(name: str, k: str = "table") -> DatasetRef:
        return DatasetRef(name, name.upper(), "stage" if name.startswith("@") else k)

    return LineageEvent(at(hours), f"q{hours}", op.name, op, ref(target, kind), tuple(ref(s) for s in sources),
                        replaces=op in (Operation.REPLACE, Operation.VIEW),
                        counterpart=ref(counterpart) if counterpart else None,
                        columns=tuple(ColumnLineage(c, f"{target}.{n}", t) for c, n, t in columns))


EVENTS = [
    ev(1, "prod.raw.customers", "@prod.raw.landing", op=Operation.INSERT),
    ev(2, "prod.stg.customers_clean", "prod.raw.customers",
       columns=(("prod.raw.customers.email", "email", "expression"), ("prod.raw.customers.id", "id", "identity"))),
    ev(3, "prod.mart.customer_360", "prod.stg.customers_clean", "prod.raw.orders",
       columns=(("prod.stg.customers_clean.email", "email", "identity"), ("prod.raw.orders.total", "ltv", "aggregation"))),
    ev(3, "prod.mart.customer_masked", "prod.stg.customers_clean",
       columns=(("prod.stg.customers_clean.email", "email_hash", "masked"),)),
    ev(4, "prod.rpt.daily", "prod.mart.customer_360", op=Operation.VIEW, kind="view",
       columns=(("prod.mart.customer_360.email", "email", "identity"),)),
    ev(5, "prod.mart.customer_360", "prod.raw.orders",  # stops reading customers
       columns=(("prod.raw.orders.total", "ltv", "aggregation"),)),
    ev(6, "prod.rpt.daily", "prod.mart.customer_masked", op=Operation.INSERT),
    # a cycle (trails: no edge twice) and a diamond (two shortest routes)
    ev(1, "prod.loop.a", "prod.loop.b", "prod.raw.customers", op=Operation.INSERT),
    ev(1, "prod.loop.b", "prod.loop.a", op=Operation.INSERT),
    ev(1, "prod.loop.c", "prod.loop.a", op=Operation.INSERT),
    ev(1, "prod.diamond.b", "prod.diamond.a", op=Operation.INSERT),
    ev(1, "prod.diamond.c", "prod.diamond.a", op=Operation.INSERT),
    ev(1, "prod.diamond.d", "prod.diamond.b", "prod.diamond.c", op=Operation.INSERT),
    ev(1, "prod.diamond.e", "prod.diamond.d", "prod.diamond.a", op=Operation.INSERT),
    ev(7, "prod.diamond.d", op=Operation.DROP),
    ev(8, "prod.loop.c", op=Operation.RENAME, counterpart="prod.loop.c2"),
]
ASSETS = [
    Asset("prod.raw.customers", classification="restricted", regulatory_tags=("gdpr", "pii"), steward="dpo"),
    Asset("prod.raw.orders", classification="confidential", regulatory_tags=("financial",)),
    Asset("prod.mart.customer_masked", classification="internal", masking_policy="MASK_PII"),
    Asset("prod.diamond.a", classification="restricted", regulatory_tags=()),
    Asset("prod.loop.b", classification="internal", masking_policy="NONE", steward="ops"),
]
SAMPLES: dict[str, list[object]] = {
    "dataset": ["PROD.RAW.CUSTOMERS", "prod.mart.customer_360", "prod.rpt.daily", "prod.loop.a",
                "prod.diamond.a", "prod.diamond.e", "no.such.dataset"],
    "origins": [["prod.raw.customers"], ["PROD.RAW.ORDERS", "prod.loop.a", "prod.diamond.a"],
                ["prod.raw.customers.email", "PROD.RAW.CUSTOMERS.ID"]],
    "column_id": ["prod.rpt.daily.email", "PROD.MART.CUSTOMER_MASKED.EMAIL_HASH", "no.such.table.column"],
    "as_of": [at(0.5), at(3.5), at(4.5), at(7.5), at(100)],
    "since": [at(0), at(5), at(100)],
}


def build(store: GraphStore) -> GraphStore:
    store.apply_events(EVENTS)
    store.sync_classifications(ASSETS)
    return store


def canonical(row: dict[str, object]) -> str:
    """A row as text, key order aside; of several shortest routes a reach trace returns one of
    them, so keep only that path's ends and length."""
    row = dict(row)
    if isinstance(row.get("routes"), int) and row["routes"] > 1 and isinstance(row.get("path"), list):  # type: ignore[operator]
        path = row["path"]
        row["path"] = (path[0]["id"], path[-1]["id"], len(path))  # type: ignore[index]
    return repr(_sorted(row))


def _sorted(value: object) -> object:
    if isinstance(value, dict):
        return sorted((k, _sorted(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_sorted(v) for v in value]
    return value


def scalars(row: dict[str, object]) -> tuple[object, ...]:
    return tuple(v for v in row.values() if not isinstance(v, (list, dict)))


def test_every_saved_trace_returns_the_embedded_rows(open_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    neo4j = build(open_store())
    reference = build(open_graph_store("embedded", path=tmp_path / "reference.lbug"))
    try:
        traces = list_traces()
        assert traces
        for trace in traces:
            names = [p.name for p in trace.params]
            missing = [n for n in names if n not in SAMPLES]
            assert not missing, f"{trace.name}: add sample values for {missing} to SAMPLES"
            for values in itertools.product(*(SAMPLES[n] for n in names)):
                params = dict(zip(names, values, strict=True))
                expected, actual = reference.run_trace(trace, params), neo4j.run_trace(trace, params)
                where = f"{trace.name} {params}"
                assert [scalars(r) for r in actual] == [scalars(r) for r in expected], where  # order and values
                assert sorted(map(canonical, actual)) == sorted(map(canonical, expected)), where
    finally:
        reference.close()


def test_graph_reads_match_the_embedded_graph(open_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    neo4j = build(open_store())
    reference = build(open_graph_store("embedded", path=tmp_path / "reference.lbug"))
    try:
        assert neo4j.counts() == reference.counts()
        assert list(neo4j.iter_edges()) == list(reference.iter_edges())
        assert list(neo4j.iter_column_edges()) == list(reference.iter_column_edges())
        for instant in SAMPLES["as_of"]:
            assert list(neo4j.iter_edges(instant)) == list(reference.iter_edges(instant))  # type: ignore[arg-type]
            assert list(neo4j.iter_column_edges(instant)) == list(reference.iter_column_edges(instant))  # type: ignore[arg-type]
        assert neo4j.apply_events(EVENTS) == reference.apply_events(EVENTS)  # replay: nothing changes
    finally:
        reference.close()


def test_demo_finds_the_same_exposure_on_neo4j(open_store, neo4j_server: dict[str, object], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The README's check, automated: the demo steps on both graphs give the same findings."""
    open_store().close()  # empties the Neo4j test database
    graphs = {
        "embedded": {"type": "embedded", "path": str(tmp_path / "embedded" / "graph")},
        "neo4j": {"type": "neo4j", "uri": neo4j_server["uri"], "credentials": neo4j_server["credentials"],
                  **({"database": neo4j_server["database"]} if neo4j_server.get("database") else {})},
    }
    results = {}
    for name, graph in graphs.items():
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        config = folder / "lineage-engine.config.yaml"
        config.write_text(yaml.safe_dump({
            "telemetry": {"provider": "file", "path": str(services.sample_history_path())},
            "graph": graph,
            "compliance": {"classification_db": f"sqlite:///{folder / 'registry.db'}"},
        }))
        settings = load_settings(config)
        services.migrate(settings)
        services.import_registry(settings, services.sample_classifications_path())
        services.crawl(settings)
        services.scan(settings, console=Console(file=io.StringIO()))
        with services.registry(settings) as reg:
            findings = sorted((f.origin, f.terminal, f.severity, f.status) for f in reg.list_findings())
        with services.graph_store(settings, read_only=True) as store:
            edges = list(store.iter_edges()), list(store.iter_column_edges())
        results[name] = (findings, edges)
    assert results["embedded"][0], "the demo found nothing on the embedded graph"
    assert results["neo4j"] == results["embedded"]
