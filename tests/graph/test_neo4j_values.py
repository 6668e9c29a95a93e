"""Neo4j value conversion, with the driver's own types: results become what the embedded
backend returns (node dicts, aware UTC datetimes), parameters go out in UTC."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest
import pytz
from neo4j.graph import Graph, Node, Path, Relationship
from neo4j.time import Date, DateTime, Time

from lineage_engine.errors import GraphError
from lineage_engine.graph.migrate import COLUMN_PROPERTIES, DATASET_PROPERTIES, DERIVES_FROM_PROPERTIES
from lineage_engine.graph.neo4j import from_driver, to_driver


def hydrator() -> Any:
    """The driver's graph hydrator: builds Node/Relationship/Path from Bolt fields as the
    driver does for a server reply (module path differs between driver 5.x and 6.x)."""
    for module in ("neo4j._codec.hydration.bolt.v1.hydration_handler", "neo4j._codec.hydration.v1.hydration_handler"):
        try:
            return importlib.import_module(module)._GraphHydrator()
        except (ImportError, AttributeError):
            continue
    pytest.skip("this neo4j driver version keeps its graph hydrator elsewhere")


STAMP = DateTime(2024, 3, 1, 10, 30, 0, 123456789, tzinfo=pytz.FixedOffset(0))  # nanoseconds, as Neo4j stores


# -- times ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    (STAMP, datetime(2024, 3, 1, 10, 30, 0, 123456, tzinfo=UTC)),
    (DateTime(2024, 3, 1, 12, 30, tzinfo=pytz.FixedOffset(120)), datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),
    (pytz.timezone("Europe/Berlin").localize(DateTime(2024, 7, 1, 12, 0)), datetime(2024, 7, 1, 10, 0, tzinfo=UTC)),
    (DateTime(2024, 3, 1, 10, 30), datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),  # LocalDateTime: taken as UTC
    (datetime(2024, 3, 1, 5, tzinfo=timezone(timedelta(hours=-5))), datetime(2024, 3, 1, 10, tzinfo=UTC)),
])
def test_datetimes_become_aware_utc(value: object, expected: datetime) -> None:
    converted = from_driver(value)
    assert converted == expected
    assert isinstance(converted, datetime) and converted.tzinfo is UTC


def test_dates_and_times_become_native() -> None:
    assert from_driver(Date(2024, 3, 1)) == date(2024, 3, 1)
    assert from_driver(Time(10, 30, 5)) == time(10, 30, 5)


def test_parameters_go_out_in_utc() -> None:
    local = datetime(2024, 3, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    sent = to_driver({"rows": [{"at": local, "via": ("a", "b")}], "as_of": local, "n": 3, "s": "x", "none": None})
    assert sent == {"rows": [{"at": datetime(2024, 3, 1, 10, tzinfo=UTC), "via": ["a", "b"]}],
                    "as_of": datetime(2024, 3, 1, 10, tzinfo=UTC), "n": 3, "s": "x", "none": None}
    assert sent["as_of"].tzinfo is UTC  # type: ignore[index, union-attr]
    back = from_driver(DateTime.from_native(sent["as_of"]))  # type: ignore[index, arg-type]
    assert back == local


def test_naive_parameters_are_refused() -> None:
    with pytest.raises(GraphError, match=r"naive datetime 2024-01-01T00:00:00 passed as a parameter"):
        to_driver({"rows": [{"at": datetime(2024, 1, 1)}]})


# -- nodes, relationships, paths -----------------------------------------------------------------


def test_a_node_becomes_every_property_of_its_label() -> None:
    h = hydrator()
    node = h.hydrate_node(7, ["Dataset"], {"id": "d.s.t", "kind": "table", "first_seen": STAMP, "tags": ["pii"]},
                          "4:abc:7")
    value = from_driver(node)
    assert list(value) == list(DATASET_PROPERTIES)  # the embedded table's order; nothing internal
    assert value["id"] == "d.s.t" and value["tags"] == ["pii"] and value["steward"] is None
    assert value["first_seen"] == datetime(2024, 3, 1, 10, 30, 0, 123456, tzinfo=UTC)


def test_a_column_node_gets_column_properties_and_unknown_labels_keep_theirs() -> None:
    h = hydrator()
    column = from_driver(h.hydrate_node(1, ["Column"], {"id": "d.s.t.email", "dataset_id": "d.s.t"}, "4:abc:1"))
    assert set(column) == set(COLUMN_PROPERTIES) and column["dataset_id"] == "d.s.t"  # type: ignore[index]
    other = from_driver(h.hydrate_node(2, ["Other"], {"x": 1}, "4:abc:2"))
    assert other == {"x": 1}


def test_properties_outside_the_schema_are_kept() -> None:
    value = from_driver(Node(Graph(), "4:abc:3", 3, ["Dataset"], {"id": "a", "owner_team": "payments"}))
    assert value["owner_team"] == "payments" and set(value) == set(DATASET_PROPERTIES) | {"owner_team"}  # type: ignore[index]


def test_a_path_becomes_nodes_and_relationships_in_walk_order() -> None:
    # (o)<-[:DERIVES_FROM]-(d): the walk goes against the arrow, as downstream traces do.
    h = hydrator()
    origin = h.hydrate_node(1, ["Dataset"], {"id": "p.raw.customers"}, "4:abc:1")
    terminal = h.hydrate_node(2, ["Dataset"], {"id": "p.mart.c360"}, "4:abc:2")
    edge = h.hydrate_unbound_relationship(10, "DERIVES_FROM", {"valid_from": STAMP, "via": [], "observations": 2},
                                          "5:abc:10")
    path = h.hydrate_path([origin, terminal], [edge], [-1, 1])
    assert isinstance(path, Path) and path.start_node is origin and edge.start_node is terminal
    value = from_driver(path)
    assert [n["id"] for n in value["nodes"]] == ["p.raw.customers", "p.mart.c360"]  # type: ignore[index]
    [rel] = value["relationships"]  # type: ignore[index]
    assert list(rel) == list(DERIVES_FROM_PROPERTIES)
    assert (rel["valid_from"], rel["valid_to"], rel["via"], rel["observations"]) == (
        datetime(2024, 3, 1, 10, 30, 0, 123456, tzinfo=UTC), None, [], 2)


def test_a_bound_relationship_is_only_its_properties() -> None:
    h = hydrator()
    rel = h.hydrate_relationship(10, 1, 2, "HAS_COLUMN", {}, "5:abc:10", "4:abc:1", "4:abc:2")
    assert isinstance(rel, Relationship) and from_driver(rel) == {}


def test_lists_of_nodes_and_maps_convert_element_wise() -> None:
    # nodes(p) and collect(nodes(p))[-1] come back as lists; maps as dicts
    h = hydrator()
    nodes = [h.hydrate_node(i, ["Dataset"], {"id": f"d.s.{i}", "last_seen": STAMP}, f"4:abc:{i}") for i in range(3)]
    value = from_driver({"path": nodes, "meta": {"at": STAMP, "n": [1, None]}})
    assert [n["id"] for n in value["path"]] == ["d.s.0", "d.s.1", "d.s.2"]  # type: ignore[index]
    assert all(n["last_seen"].tzinfo is UTC for n in value["path"])  # type: ignore[index]
    assert value["meta"] == {"at": datetime(2024, 3, 1, 10, 30, 0, 123456, tzinfo=UTC), "n": [1, None]}


def test_plain_values_pass_through() -> None:
    for value in ("x", 1, 1.5, True, None, [], {}):
        assert from_driver(value) == value
