"""scan_once on a real graph (embedded, and Neo4j where ``store`` is used), a real SQLite registry and a real local webhook."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lineage_engine.alerts.slack import SlackNotifier
from lineage_engine.errors import GraphError
from lineage_engine.graph.embedded import EmbeddedGraphStore
from lineage_engine.model import Asset, ColumnLineage, DatasetRef, LineageEvent, Operation
from lineage_engine.scan import scan_once
from lineage_engine.traces import load_trace

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=timezone.utc)
THRESHOLDS = {"pii_exposure": "HIGH", "financial_data": "MEDIUM", "health_data": "HIGH", "restricted": "HIGH"}
PII_TAGS = frozenset({"pii", "gdpr", "sox"})


def ref(i: str) -> DatasetRef:
    return DatasetRef(i, i.upper())


def ctas(at: datetime, target: str, *sources: str, n: int = 0) -> LineageEvent:
    return LineageEvent(at=at, query_id=f"q-{target}-{n}", query_type="CREATE_TABLE_AS_SELECT",
                        operation=Operation.REPLACE, target=ref(target),
                        sources=tuple(ref(s) for s in sources), replaces=True)


ASSETS = [
    Asset("db.raw.customers", classification="confidential", regulatory_tags=("pii",), steward="dpo"),
    Asset("db.raw.ghost", classification="confidential", regulatory_tags=("gdpr",)),  # never crawled
    Asset("db.raw.accounts.iban", asset_type="column", classification="confidential", regulatory_tags=("sox",)),
    Asset("db.stg.masked", masking_policy="PII_MASK"),
    Asset("db.gov.vault", classification="restricted"),
]


@pytest.fixture
def store(graph_store):
    """The scan's graph, on both backends (tests/conftest.py ``graph_store``)."""
    s = graph_store
    s.apply_events([
        ctas(T0, "db.stg.customers", "db.raw.customers"),
        ctas(T0, "db.mart.c360", "db.stg.customers"),
        ctas(T0, "db.stg.masked", "db.raw.customers"),
        ctas(T0, "db.mart.from_masked", "db.stg.masked"),
        ctas(T0, "db.gov.vault", "db.raw.customers"),
        ctas(T0, "db.mart.old", "db.raw.customers"),
        ctas(T0 + timedelta(days=1), "db.mart.old", "db.raw.products", n=1),  # PII edge closed
        ctas(T0, "db.mart.fin", "db.raw.accounts"),
    ])
    return s


def scan(store, registry, notifier, now):
    return scan_once(store, registry, notifier, now=now, pii_tags=PII_TAGS, risk_thresholds=THRESHOLDS,
                     realert_after=None, alert_kinds_enabled={"unmasked_pii"})


def test_scan_finds_records_alerts_and_resolves(store, registry, webhook):
    registry.upsert_assets(ASSETS)
    store.sync_classifications(registry.list_assets())
    notifier = SlackNotifier(webhook.url)
    now = T0 + timedelta(days=7)

    report = scan(store, registry, notifier, now)
    # the restricted vault is an origin too (with no downstream), and a governed terminal; the
    # sensitive column iban is walked from the column (issue 5): no column lineage was crawled
    # for accounts -> fin, so that hop falls back to table level
    assert report.origins == ("db.gov.vault", "db.raw.accounts.iban", "db.raw.customers", "db.raw.ghost")
    assert report.origins_missing_from_graph == ("db.raw.ghost",)
    assert [(p.severity, p.origin, p.terminal, p.path) for p in report.paths] == [
        ("HIGH", "db.raw.customers", "db.mart.c360", ("db.mart.c360", "db.stg.customers", "db.raw.customers")),
        ("HIGH", "db.raw.customers", "db.stg.customers", ("db.stg.customers", "db.raw.customers")),
        ("MEDIUM", "db.raw.accounts.iban", "db.mart.fin", ("db.mart.fin", "db.raw.accounts.iban")),
    ]
    assert all(p.level == "table" for p in report.paths)
    assert len(report.outcome.opened) == 3
    assert (report.delivery.delivered, report.delivery.pending) == (3, 0)
    assert sorted(b["text"].split(" (")[0] for b in webhook.accepted) == [
        "HIGH: unmasked PII path db.raw.customers → db.mart.c360",
        "HIGH: unmasked PII path db.raw.customers → db.stg.customers",
        "MEDIUM: unmasked PII path db.raw.accounts.iban → db.mart.fin",
    ]
    assert any("1 origins walked at column level" in n and "0 column-level, 3 table-level" in n for n in report.notes)

    again = scan(store, registry, notifier, now + timedelta(hours=1))
    assert again.outcome.opened == [] and len(again.outcome.still_open) == 3
    assert again.delivery.delivered == 0 and len(webhook.posts) == 3

    store.apply_events([ctas(now + timedelta(hours=2), "db.mart.c360", "db.raw.products", n=2)])
    later = scan(store, registry, notifier, now + timedelta(hours=3))
    assert [(f.origin, f.terminal) for f in later.outcome.resolved] == [("db.raw.customers", "db.mart.c360")]
    assert {f.terminal for f in registry.list_findings("open")} == {"db.stg.customers", "db.mart.fin"}


def test_registry_masking_wins_over_stale_graph_properties(store, registry, webhook):
    registry.upsert_assets(ASSETS)
    store.sync_classifications(registry.list_assets())
    registry.upsert_assets([Asset("db.mart.c360", masking_policy="EMAIL_MASK")])  # not synced yet
    report = scan(store, registry, SlackNotifier(webhook.url), T0 + timedelta(days=7))
    assert "db.mart.c360" not in {p.terminal for p in report.paths}


def test_no_origins_resolves_everything_without_touching_the_graph(store, registry, webhook):
    report = scan(store, registry, SlackNotifier(webhook.url), T0 + timedelta(days=7))
    assert (report.origins, report.paths, report.origins_missing_from_graph) == ((), [], ())
    assert webhook.posts == []


def test_empty_graph_never_resolves_open_findings(store, registry, webhook, tmp_path):
    registry.upsert_assets(ASSETS)
    notifier = SlackNotifier(webhook.url)
    scan(store, registry, notifier, T0 + timedelta(days=7))
    assert len(registry.list_findings("open")) == 3
    empty = EmbeddedGraphStore(tmp_path / "empty-graph")
    empty.migrate()
    try:
        with pytest.raises(GraphError, match="refusing to resolve them all"):
            scan(empty, registry, notifier, T0 + timedelta(days=8))
    finally:
        empty.close()
    assert len(registry.list_findings("open")) == 3


def event(at: datetime, op: Operation, target: DatasetRef, *sources: str, n: int = 0) -> LineageEvent:
    return LineageEvent(at=at, query_id=f"q-{target.id}-{n}", query_type=op.name, operation=op, target=target,
                        sources=tuple(ref(s) for s in sources), replaces=op is Operation.REPLACE)


def test_copy_through_a_dropped_intermediate_is_still_an_exposure(registry, webhook, tmp_path):
    """customers -> tmp_copy -> export, then tmp_copy dropped: export still holds the PII."""
    s = EmbeddedGraphStore(tmp_path / "gap-graph")
    s.migrate()
    try:
        s.apply_events([
            event(T0, Operation.REPLACE, ref("db.stg.tmp_copy"), "db.raw.customers"),
            event(T0 + timedelta(hours=1), Operation.INSERT, ref("db.out.export"), "db.stg.tmp_copy"),
            event(T0 + timedelta(hours=2), Operation.DROP, ref("db.stg.tmp_copy")),
            # a view created over mid before mid was loaded with PII shows it now (views are live)
            event(T0, Operation.VIEW, DatasetRef("db.out.v_mid", "DB.OUT.V_MID", "view"), "db.stg.mid"),
            event(T0 + timedelta(hours=3), Operation.INSERT, ref("db.stg.mid"), "db.raw.customers"),
        ])
        registry.upsert_assets(ASSETS)
        notifier = SlackNotifier(webhook.url)
        # as of 30 minutes in, only tmp_copy held the PII (export copied it at 1 h)
        past = scan(s, registry, notifier, T0 + timedelta(minutes=30))
        assert [p.terminal for p in past.paths] == ["db.stg.tmp_copy"]

        now = T0 + timedelta(days=7)
        # the "every edge valid now" trace loses export: tmp_copy's incoming edge closed at the drop
        traced = s.run_trace(load_trace("unmasked_pii_paths"), {"origins": ["db.raw.customers"], "as_of": now})
        assert "db.out.export" not in {r["terminal"] for r in traced}

        report = scan(s, registry, notifier, now)
        assert [(p.terminal, p.path) for p in report.paths] == [
            ("db.out.export", ("db.out.export", "db.stg.tmp_copy", "db.raw.customers")),
            ("db.out.v_mid", ("db.out.v_mid", "db.stg.mid", "db.raw.customers")),
            ("db.stg.mid", ("db.stg.mid", "db.raw.customers")),
        ]
        assert {(f.origin, f.terminal) for f in registry.list_findings("open")} == {
            ("db.raw.customers", "db.out.export"), ("db.raw.customers", "db.out.v_mid"),
            ("db.raw.customers", "db.stg.mid")}
        assert [(f.origin, f.terminal) for f in report.outcome.resolved] == [("db.raw.customers", "db.stg.tmp_copy")]
    finally:
        s.close()


def col_event(at: datetime, target: str, *edges: tuple[str, str, str], op: Operation = Operation.REPLACE) -> LineageEvent:
    """An event with column edges ``(source column, target column name, transform)``."""
    sources = sorted({e[0].rpartition(".")[0] for e in edges})
    return LineageEvent(at=at, query_id=f"q-{target}-{at.isoformat()}", query_type=op.name, operation=op,
                        target=ref(target), sources=tuple(ref(s) for s in sources),
                        replaces=op is Operation.REPLACE,
                        columns=tuple(ColumnLineage(s, f"{target}.{n}", t) for s, n, t in edges))


def test_column_level_scan_flags_the_clear_copy_not_the_hashed_one(tmp_path, registry, webhook):
    store = EmbeddedGraphStore(tmp_path / "graph")
    store.migrate()
    store.apply_events([
        col_event(T0, "db.stg.c", ("db.raw.p.email", "email", "expression"), ("db.raw.p.country", "country", "identity")),
        col_event(T0, "db.mart.c360", ("db.stg.c.email", "email", "identity"), ("db.stg.c.country", "country", "identity")),
        col_event(T0, "db.share.feed", ("db.mart.c360.email", "email_hash", "masked"),
                  ("db.mart.c360.country", "country", "identity"), op=Operation.INSERT),
        ctas(T0, "@db.exp.s3", "db.mart.c360"),  # an unload: no column lineage
    ])
    registry.upsert_assets([
        Asset("db.raw.p", classification="restricted", regulatory_tags=("pii",), steward="dpo"),
        Asset("db.raw.p.email", asset_type="column", classification="restricted", regulatory_tags=("pii",)),
    ])
    try:
        report = scan(store, registry, SlackNotifier(webhook.url), T0 + timedelta(days=1))
    finally:
        store.close()
    assert report.origins == ("db.raw.p.email",)  # the table is walked from its sensitive column
    assert [(p.terminal, p.level, p.path) for p in report.paths] == [
        ("@db.exp.s3", "table", ("@db.exp.s3", "db.mart.c360.email", "db.stg.c.email", "db.raw.p.email")),
        ("db.mart.c360.email", "column", ("db.mart.c360.email", "db.stg.c.email", "db.raw.p.email")),
        ("db.stg.c.email", "column", ("db.stg.c.email", "db.raw.p.email")),
    ]  # db.share.feed holds only sha2(email) (and the unclassified country): not flagged
    assert all(p.steward == "dpo" for p in report.paths)  # the dataset's steward covers its column
    assert {f.level for f in registry.list_findings("open")} == {"column", "table"}
    assert any("paths: 2 column-level, 1 table-level" in n for n in report.notes)
