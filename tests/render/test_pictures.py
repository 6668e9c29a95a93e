"""Pure picture code: neighbourhoods are capped and collapsed, layouts are layered, SVG is valid."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from lineage_engine.render import Edge, Node, Picture, render_svg
from lineage_engine.render.layout import layout, order_layers
from lineage_engine.render.neighbourhood import neighbourhood, path_picture

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Link:
    downstream: str
    upstream: str
    transform: str = ""
    query_type: str = "INSERT"
    last_query_id: str = "q1"
    valid_to: object = None


class Reader:
    """Edges from a list; counts what was asked."""

    def __init__(self, links: list[Link]) -> None:
        self.links = links
        self.asked: list[tuple[frozenset[str], str]] = []

    def __call__(self, ids: Collection[str], direction: str) -> Iterable[Link]:
        wanted = frozenset(ids)
        self.asked.append((wanted, direction))
        key = (lambda link: link.upstream) if direction == "down" else (lambda link: link.downstream)
        return [link for link in self.links if key(link) in wanted]


def _nodes(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("data-id"): g for g in root.iter(f"{SVG}g") if g.get("class") == "node"}


def _edges(svg: str) -> list[tuple[str, str, list[str]]]:
    root = ET.fromstring(svg)
    return [(g.get("data-upstream"), g.get("data-downstream"),
             [t.text or "" for t in g.iter(f"{SVG}text")]) for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]


def test_path_picture_draws_each_hop_with_transform_and_query_id() -> None:
    hops = [{"upstream": "a.b.src.email", "downstream": "a.b.mid.email", "transform": "identity", "query_id": "q-1"},
            {"upstream": "a.b.mid.email", "downstream": "a.b.out.mail", "transform": "expression",
             "query_id": "q-2"}]
    svg = render_svg(path_picture(["a.b.src.email", "a.b.mid.email", "a.b.out.mail"], hops, title="finding 7"))
    nodes = _nodes(svg)
    assert list(nodes) == ["a.b.src.email", "a.b.mid.email", "a.b.out.mail"]
    assert nodes["a.b.src.email"].get("data-role") == "origin" and nodes["a.b.out.mail"].get("data-role") == "terminal"
    assert _edges(svg) == [("a.b.src.email", "a.b.mid.email", ["identity", "q-1"]),
                           ("a.b.mid.email", "a.b.out.mail", ["expression", "q-2"])]
    placed = layout(path_picture(["x", "y", "z"]).nodes, ())
    assert placed.boxes["x"].x < placed.boxes["y"].x < placed.boxes["z"].x  # data flows left to right


def test_neighbourhood_caps_wide_layers_and_reads_only_what_is_drawn() -> None:
    fan = [Link(f"d.s.copy{i:04d}", "d.s.origin") for i in range(5000)]
    deeper = [Link(f"d.s.deep{i:04d}", f"d.s.copy{i:04d}") for i in range(5000)]
    reader = Reader(fan + deeper)
    picture = neighbourhood("d.s.origin", reader, up=1, down=2, limit=10)
    ids = [n.id for n in picture.nodes]
    assert len(ids) == 1 + 10 + 1 + 10  # focus; 10 copies + "+4990 more"; the 10 copies' own downstreams
    more = {n.id: n for n in picture.nodes if n.role == "more"}
    assert list(more) == ["+more:1"] and more["+more:1"].hidden == 4990 and more["+more:1"].label == "+4990 more"
    # hop 2 was read from the 10 drawn copies only, never from the 4,990 collapsed ones
    down_reads = [ids for ids, direction in reader.asked if direction == "down"]
    assert [len(r) for r in down_reads] == [1, 10]
    assert "4990 more downstream at 1 hops collapsed" in picture.notes


def test_expanding_a_layer_shows_more_of_it() -> None:
    reader = Reader([Link(f"d.s.c{i:02d}", "d.s.o") for i in range(30)])
    small = neighbourhood("d.s.o", reader, down=1, limit=5, more_href=lambda layer, shown: f"?expand={layer}:{shown + 5}")
    more = next(n for n in small.nodes if n.role == "more")
    assert more.hidden == 25 and more.href == "?expand=1:10"
    bigger = neighbourhood("d.s.o", reader, down=1, limit=5, expand={1: 10})
    assert sum(1 for n in bigger.nodes if n.layer == 1 and n.role != "more") == 10


def test_upstream_is_left_and_cycles_are_drawn_once() -> None:
    reader = Reader([Link("d.s.b", "d.s.a"), Link("d.s.a", "d.s.b"), Link("d.s.c", "d.s.b")])
    picture = neighbourhood("d.s.b", reader, up=2, down=2)
    layers = {n.id: n.layer for n in picture.nodes}
    assert layers == {"d.s.b": 0, "d.s.a": -1, "d.s.c": 1}
    svg = render_svg(picture)
    assert {(u, d) for u, d, _ in _edges(svg)} == {("d.s.a", "d.s.b"), ("d.s.b", "d.s.a"), ("d.s.b", "d.s.c")}


def test_barycentre_ordering_removes_a_crossing() -> None:
    nodes = [Node("a1", 0), Node("a2", 0), Node("b2", 1), Node("b1", 1)]
    edges = [Edge("a1", "b1"), Edge("a2", "b2")]
    layers = order_layers(nodes, edges)
    left, right = [n.id for n in layers[0]], [n.id for n in layers[1]]
    assert left.index("a1") - left.index("a2") == right.index("b1") - right.index("b2")


def test_svg_escapes_ids_and_links_and_has_no_script() -> None:
    picture = Picture((Node('d.s."<x>"&', 0, href="/lineage?id=1&x=2"),), title="<t>")
    svg = render_svg(picture)
    ET.fromstring(svg)  # well-formed
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert _nodes(svg)['d.s."<x>"&'] is not None
