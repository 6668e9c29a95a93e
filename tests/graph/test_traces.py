"""Saved traces: header parsing, parameter coercion, and golden runs of every cypher/ file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lineage_engine.errors import InputError, UnknownTraceError
from lineage_engine.graph.store import GraphStore, open_graph_store
from lineage_engine.model import Asset, ColumnLineage, DatasetRef, LineageEvent, Operation
from lineage_engine.resources import cypher_dir
from lineage_engine.traces import coerce_params, list_traces, load_trace, parse_trace

T0 = datetime(2024, 3, 1, tzinfo=UTC)
SHIPPED = sorted(p.stem for p in cypher_dir().glob("*.cypher"))


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def ev(hours: float, target: str, *sources: str, replaces: bool = True, kind: str = "table",
       columns: tuple[tuple[str, str, str], ...] = ()) -> LineageEvent:
    """An event; ``columns``: column edges ``(source column, target column name, transform)``."""
    op = Operation.REPLACE if replaces else Operation.INSERT
    return LineageEvent(at(hours), f"q{hours}", op.name, op, DatasetRef(target, target.upper(), kind),
                        tuple(DatasetRef(s, s.upper(), "stage" if s.startswith("@") else "table") for s in sources),
                        replaces=replaces,
                        columns=tuple(ColumnLineage(c, f"{target}.{n}", t) for c, n, t in columns))


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> GraphStore:
    """A small warehouse: customer PII flows raw -> stg -> marts -> report, then re-routes; with
    column lineage (the phone is hashed on its way to customer_360)."""
    store = open_graph_store("embedded", path=tmp_path_factory.mktemp("traces") / "g.lbug")
    store.apply_events([
        ev(1, "prod.raw.customers", "@prod.raw.landing", replaces=False),
        ev(2, "prod.stg.customers_clean", "prod.raw.customers", columns=(
            ("prod.raw.customers.email", "email", "expression"), ("prod.raw.customers.phone", "phone", "identity"))),
        ev(3, "prod.mart.customer_360", "prod.stg.customers_clean", "prod.raw.orders", columns=(
            ("prod.stg.customers_clean.email", "email", "identity"),
            ("prod.stg.customers_clean.phone", "phone_hash", "masked"),
            ("prod.raw.orders.total", "ltv", "aggregation"))),
        ev(3, "prod.mart.customer_masked", "prod.stg.customers_clean", columns=(
            ("prod.stg.customers_clean.email", "email", "identity"),)),
        ev(4, "prod.rpt.daily", "prod.mart.customer_360", kind="view", columns=(
            ("prod.mart.customer_360.email", "email", "identity"),
            ("prod.mart.customer_360.phone_hash", "phone_hash", "identity"))),
        ev(5, "prod.mart.customer_360", "prod.raw.orders", columns=(  # stops reading customers
            ("prod.raw.orders.total", "ltv", "aggregation"),)),
        ev(6, "prod.rpt.daily", "prod.mart.customer_masked", replaces=False, columns=(
            ("prod.mart.customer_masked.email", "email", "identity"),)),
    ])
    store.sync_classifications([
        Asset("prod.raw.customers", classification="restricted", regulatory_tags=("gdpr", "pii"), steward="dpo"),
        Asset("prod.raw.orders", classification="confidential", regulatory_tags=("financial",)),
        Asset("prod.mart.customer_masked", classification="internal", masking_policy="MASK_PII"),
    ])
    yield store
    store.close()


def run(graph: GraphStore, name: str, **raw: str) -> list[dict[str, object]]:
    trace = load_trace(name)
    return graph.run_trace(trace, coerce_params(trace, raw))


def ids(path: object) -> list[str]:
    return [n["id"] for n in path]  # type: ignore[attr-defined, index]


# -- every shipped file ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_trace_has_a_header_and_runs(graph: GraphStore, name: str) -> None:
    trace = load_trace(name)
    assert trace.description and trace.returns and trace.params
    samples = {"origins": "prod.raw.customers,prod.raw.customers.email", "dataset": "prod.mart.customer_360",
               "as_of": "2024-03-01T04:30:00Z", "since": "2024-03-01T00:00:00Z",
               "column_id": "prod.rpt.daily.email"}
    raw = {p.name: samples[p.name] for p in trace.params}
    assert graph.run_trace(trace, coerce_params(trace, raw)), f"{name} returned no rows on the golden graph"


def test_shipped_traces_are_golden_tested() -> None:
    assert set(SHIPPED) == set(GOLDEN)


def test_unmasked_pii_paths(graph: GraphStore) -> None:
    rows = run(graph, "unmasked_pii_paths", origins="PROD.RAW.CUSTOMERS", as_of="2024-03-01T04:30:00Z")
    assert [(r["origin"], r["terminal"], r["hops"], ids(r["path"])) for r in rows] == [
        ("prod.raw.customers", "prod.stg.customers_clean", 1, ["prod.stg.customers_clean", "prod.raw.customers"]),
        ("prod.raw.customers", "prod.mart.customer_360", 2,
         ["prod.mart.customer_360", "prod.stg.customers_clean", "prod.raw.customers"]),
        ("prod.raw.customers", "prod.rpt.daily", 3,
         ["prod.rpt.daily", "prod.mart.customer_360", "prod.stg.customers_clean", "prod.raw.customers"]),
    ]
    assert set(rows[0]["path"][1]) >= {"classification", "tags", "steward", "masking_policy", "kind"}  # type: ignore[index]
    later = run(graph, "unmasked_pii_paths", origins="prod.raw.customers", as_of="2024-03-01T05:30:00Z")
    assert [(r["terminal"], r["hops"]) for r in later] == [("prod.stg.customers_clean", 1)]
    now = run(graph, "unmasked_pii_paths", origins="prod.raw.customers")  # as_of defaults to now
    assert [(r["terminal"], ids(r["path"])[1]) for r in now] == [
        ("prod.stg.customers_clean", "prod.raw.customers"), ("prod.rpt.daily", "prod.mart.customer_masked")]


def test_exposure_for_dataset(graph: GraphStore) -> None:
    rows = run(graph, "exposure_for_dataset", dataset="prod.rpt.daily", as_of="2024-03-01T04:30:00Z")
    assert [(r["upstream"], r["classification"], r["tags"], r["masking_policy"], r["steward"], r["hops"])
            for r in rows] == [
        ("prod.raw.orders", "confidential", ["financial"], None, None, 2),
        ("prod.raw.customers", "restricted", ["gdpr", "pii"], None, "dpo", 3),
    ]
    assert ids(rows[1]["path"])[0] == "prod.rpt.daily"


def test_downstream_of(graph: GraphStore) -> None:
    rows = run(graph, "downstream_of", dataset="prod.raw.customers", as_of="2024-03-01T04:30:00Z")
    assert [(r["dataset"], r["hops"], r["kind"]) for r in rows] == [
        ("prod.stg.customers_clean", 1, "table"),
        ("prod.mart.customer_360", 2, "table"),
        ("prod.mart.customer_masked", 2, "table"),
        ("prod.rpt.daily", 3, "view"),
    ]
    assert ids(rows[3]["path"]) == ["prod.raw.customers", "prod.stg.customers_clean",
                                    "prod.mart.customer_360", "prod.rpt.daily"]


def test_upstream_of(graph: GraphStore) -> None:
    rows = run(graph, "upstream_of", dataset="prod.rpt.daily", as_of="2024-03-01T04:30:00Z")
    assert [(r["dataset"], r["hops"], r["kind"], r["steward"]) for r in rows] == [
        ("prod.mart.customer_360", 1, "table", None),
        ("prod.raw.orders", 2, "table", None),
        ("prod.stg.customers_clean", 2, "table", None),
        ("prod.raw.customers", 3, "table", "dpo"),
        ("@prod.raw.landing", 4, "stage", None),
    ]


def test_edges_changed_since(graph: GraphStore) -> None:
    rows = run(graph, "edges_changed_since", since="2024-03-01T05:00:00Z")
    assert [(r["downstream"], r["upstream"], r["change"], r["valid_from"], r["valid_to"]) for r in rows] == [
        ("prod.mart.customer_360", "prod.stg.customers_clean", "closed", at(3), at(5)),
        ("prod.rpt.daily", "prod.mart.customer_masked", "opened", at(6), None),
    ]


def test_dataset_history(graph: GraphStore) -> None:
    rows = run(graph, "dataset_history", dataset="PROD.MART.CUSTOMER_360")
    assert [(r["upstream"], r["valid_from"], r["valid_to"], r["observations"], r["last_query_id"]) for r in rows] == [
        ("prod.raw.orders", at(3), None, 2, "q5"),
        ("prod.stg.customers_clean", at(3), at(5), 1, "q3"),
    ]


def test_unmasked_pii_columns(graph: GraphStore) -> None:
    rows = run(graph, "unmasked_pii_columns", origins="PROD.RAW.CUSTOMERS.EMAIL,prod.raw.customers.phone",
               as_of="2024-03-01T04:30:00Z")
    assert [(r["origin"], r["terminal"], r["dataset"], r["hops"]) for r in rows] == [
        ("prod.raw.customers.email", "prod.stg.customers_clean.email", "prod.stg.customers_clean", 1),
        ("prod.raw.customers.email", "prod.mart.customer_360.email", "prod.mart.customer_360", 2),
        ("prod.raw.customers.email", "prod.rpt.daily.email", "prod.rpt.daily", 3),
        # phone -> customer_360.phone_hash is masked: neither it nor the view's copy of it is reached
        ("prod.raw.customers.phone", "prod.stg.customers_clean.phone", "prod.stg.customers_clean", 1),
    ]  # customer_masked.email: its dataset has a masking policy
    assert ids(rows[2]["path"]) == ["prod.rpt.daily.email", "prod.mart.customer_360.email",
                                    "prod.stg.customers_clean.email", "prod.raw.customers.email"]
    assert [(e["transform"], e["kind"]) for e in rows[1]["edges"]] == [  # type: ignore[union-attr]
        ("identity", "DIRECT"), ("expression", "DIRECT")]
    later = run(graph, "unmasked_pii_columns", origins="prod.raw.customers.email", as_of="2024-03-01T05:30:00Z")
    assert [r["terminal"] for r in later] == ["prod.stg.customers_clean.email"]  # customer_360 stopped reading it


def test_column_upstream_of(graph: GraphStore) -> None:
    rows = run(graph, "column_upstream_of", column_id="PROD.RPT.DAILY.PHONE_HASH", as_of="2024-03-01T04:30:00Z")
    assert [(r["upstream"], r["dataset"], r["hops"], r["routes"], r["masked"]) for r in rows] == [
        ("prod.mart.customer_360.phone_hash", "prod.mart.customer_360", 1, 1, False),
        ("prod.stg.customers_clean.phone", "prod.stg.customers_clean", 2, 1, True),
        ("prod.raw.customers.phone", "prod.raw.customers", 3, 1, True),
    ]
    assert ids(rows[2]["path"]) == ["prod.rpt.daily.phone_hash", "prod.mart.customer_360.phone_hash",
                                    "prod.stg.customers_clean.phone", "prod.raw.customers.phone"]
    assert [e["transform"] for e in rows[2]["edges"]] == ["identity", "masked", "identity"]  # type: ignore[union-attr]
    now = run(graph, "column_upstream_of", column_id="prod.rpt.daily.email")  # the view still reads c360.email
    assert [(r["upstream"], r["hops"]) for r in now] == [
        ("prod.mart.customer_360.email", 1), ("prod.mart.customer_masked.email", 1),
        ("prod.stg.customers_clean.email", 2), ("prod.raw.customers.email", 3)]


GOLDEN = {"unmasked_pii_paths", "exposure_for_dataset", "downstream_of", "upstream_of",
          "edges_changed_since", "dataset_history", "unmasked_pii_columns", "column_upstream_of"}


# -- loading and parameters -----------------------------------------------------------------------


def test_header_is_parsed(tmp_path: Path) -> None:
    (tmp_path / "t.cypher").write_text(
        "// cypher/t.cypher\n// First line.\n// Second line.\n"
        "// params:  $ids (list, dataset ids), $n (int, how many),\n"
        "//          $as_of (datetime, UTC)\n// returns: id, n\n"
        "WITH $as_of AS as_of MATCH (d:Dataset) WHERE d.id IN $ids RETURN d.id AS id, $n AS n\n")
    trace = load_trace("t.cypher", tmp_path)
    assert trace.description == "First line. Second line."
    assert [(p.name, p.type, p.doc, p.default) for p in trace.params] == [
        ("ids", "list", "dataset ids", None), ("n", "int", "how many", None), ("as_of", "datetime", "UTC", "now")]
    assert trace.returns == "id, n"
    assert [t.name for t in list_traces(tmp_path)] == ["t"]


def test_unknown_trace_suggests_the_closest_name() -> None:
    with pytest.raises(UnknownTraceError) as info:
        load_trace("downstream_off")
    assert info.value.suggestion == "downstream_of"
    assert "did you mean 'downstream_of'" in str(info.value)
    with pytest.raises(UnknownTraceError):
        load_trace("../pyproject")


@pytest.mark.parametrize(("text", "message"), [
    ("// params: $x (float, no)\nRETURN $x", "type 'float'"),
    ("// params: $x (int)\nRETURN $x, $y", r"uses \$y without declaring"),
    ("// params: $x (int), $x (int)\nRETURN $x", "declared twice"),
])
def test_invalid_headers_are_rejected(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_trace("bad", text)


def test_coerce_params_converts_by_declared_type() -> None:
    trace = parse_trace("t", "// params: $ids (list), $n (int), $as_of (datetime), $s (string)\n"
                             "RETURN $ids, $n, $as_of, $s")
    now = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    values = coerce_params(trace, {"$ids": " a.b.c , d.e.f,", "n": "5", "s": "x"}, now=now)
    assert values == {"ids": ["a.b.c", "d.e.f"], "n": 5, "as_of": now, "s": "x"}
    assert coerce_params(trace, {"ids": "a", "n": "1", "s": "", "as_of": "2024-03-14T10:00:00+02:00"})["as_of"] \
        == datetime(2024, 3, 14, 8, tzinfo=UTC)
    assert coerce_params(trace, {"ids": "a", "n": "1", "s": "", "as_of": "2024-03-14"})["as_of"] \
        == datetime(2024, 3, 14, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "message"), [
    ({"ids": "a", "n": "five", "s": ""}, r"parameter \$n: 'five' is not an integer"),
    ({"ids": "a", "n": "1", "s": "", "as_of": "14/03/2024"}, r"parameter \$as_of: '14/03/2024' is not an ISO-8601"),
    ({"ids": "a", "s": ""}, r"parameter \$n: trace 't' needs it"),
    ({"ids": "a", "n": "1", "s": "", "nn": "2"}, r"no such parameter .* did you mean \$n\?"),
])
def test_coerce_params_errors_name_the_parameter(raw: dict[str, str], message: str) -> None:
    trace = parse_trace("t", "// params: $ids (list), $n (int), $as_of (datetime), $s (string)\n"
                             "RETURN $ids, $n, $as_of, $s")
    with pytest.raises(InputError, match=message):
        coerce_params(trace, raw)
