"""The hop-by-hop reads behind pictures (lineage_engine/lineage_reads.py), on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lineage_engine.errors import UnknownIdError
from lineage_engine.graph.store import GraphStore
from lineage_engine.lineage_reads import edge_reader, explain_flow_path, id_kinds, level_of
from lineage_engine.model import ColumnLineage, DatasetRef, LineageEvent, Operation

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _event(hours: float, op: Operation, target: str, sources: tuple[str, ...],
           columns: tuple[tuple[str, str, str], ...] = ()) -> LineageEvent:
    return LineageEvent(at=T0 + timedelta(hours=hours), query_id=f"q{hours:g}", query_type=op.name, operation=op,
                        target=DatasetRef(target, target.upper()), sources=tuple(DatasetRef(s, s.upper()) for s in sources),
                        replaces=op is Operation.REPLACE,
                        columns=tuple(ColumnLineage(s, t, transform) for s, t, transform in columns))


@pytest.fixture
def lineage(store: GraphStore) -> GraphStore:
    """raw.src -> stg.mid -> mart.out (columns too); mart.out replaced at hour 5 to read stg.other only."""
    store.apply_events([
        _event(1, Operation.CREATE, "d.stg.mid", ("d.raw.src",), (("d.raw.src.email", "d.stg.mid.email", "identity"),)),
        _event(2, Operation.CREATE, "d.mart.out", ("d.stg.mid",),
               (("d.stg.mid.email", "d.mart.out.mail", "expression"),)),
        _event(3, Operation.CREATE, "d.stg.other", ("d.raw.src",)),
        _event(5, Operation.REPLACE, "d.mart.out", ("d.stg.other",)),
    ])
    return store


def test_edges_one_hop_each_way_as_of_an_instant(lineage: GraphStore) -> None:
    before = edge_reader(lineage, as_of=T0 + timedelta(hours=4))
    after = edge_reader(lineage, as_of=T0 + timedelta(hours=6))
    assert {(e.upstream, e.downstream) for e in before(["d.stg.mid"], "down")} == {("d.stg.mid", "d.mart.out")}
    assert list(after(["d.stg.mid"], "down")) == []  # closed by the replace
    assert {e.upstream for e in after(["d.mart.out"], "up")} == {"d.stg.other"}
    assert {e.downstream for e in after(["d.raw.src"], "down")} == {"d.stg.mid", "d.stg.other"}
    [hop] = before(["d.mart.out"], "up")
    assert hop.last_query_id == "q2" and hop.valid_from == T0 + timedelta(hours=2)
    columns = edge_reader(lineage, as_of=T0 + timedelta(hours=4), level="column")
    [col] = columns(["d.stg.mid.email"], "down")
    assert (col.downstream, col.transform) == ("d.mart.out.mail", "expression")


def test_kinds_and_explained_path(lineage: GraphStore) -> None:
    assert id_kinds(lineage, ["d.raw.src", "d.raw.src.email", "d.nope.x"]) == {"d.raw.src": "dataset",
                                                                              "d.raw.src.email": "column"}
    assert level_of(lineage, "D.RAW.SRC") == ("d.raw.src", "dataset")
    with pytest.raises(UnknownIdError, match="closest known: d.raw.src"):
        level_of(lineage, "d.raw.srx")
    hops = explain_flow_path(lineage, ["d.raw.src.email", "d.stg.mid.email", "d.mart.out.mail"],
                             T0 + timedelta(hours=4))
    assert [(h["upstream"], h["transform"], h["query_id"]) for h in hops] == [
        ("d.raw.src.email", "identity", "q1"), ("d.stg.mid.email", "expression", "q2")]
