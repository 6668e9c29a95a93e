"""Which nodes to draw: a path, or the N-hop neighbourhood of a dataset or column. Pure.

Never the whole graph. A neighbourhood is read hop by hop from the focus through a reader
the caller passes in (the graph, read-only, or a list of edges in tests), only from nodes
that are drawn: a layer wider than its limit shows the first ``limit`` nodes (by id) and one
collapsed ``+N more`` node for the rest, whose hidden nodes are not followed further. The
``expand`` mapping raises a layer's limit (the web view's "+N more" links do that), so a
5,000-node neighbourhood costs what is drawn, not what exists.

Layers: the focus is 0, upstream layers negative, downstream positive; data flows left to
right. Labels on arrows: the column transform (or the statement type on dataset hops) and
the id of the statement that last derived the edge.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lineage_engine.render.model import Edge, Node, Picture

DEFAULT_LIMIT = 12
"""Nodes shown per layer before the rest collapse into "+N more"."""
MAX_HOPS = 6
"""Most hops drawn up or down (a wider question is a trace, not a picture)."""


class LinkLike(Protocol):
    """What a reader returns per lineage edge (:class:`lineage_engine.model.EdgeRow` fits)."""

    downstream: str
    upstream: str


Reader = Callable[[Collection[str], str], Iterable[Any]]
"""``reader(ids, direction)``: the edges whose ``upstream`` is in ``ids`` (direction ``down``)
or whose ``downstream`` is in ``ids`` (direction ``up``)."""


@dataclass(frozen=True, slots=True)
class More:
    """A collapsed part of a layer: ``count`` nodes not drawn at ``layer``."""

    layer: int
    count: int


def hop_labels(edge: Any) -> tuple[str, ...]:
    """Return the lines written on an arrow: transform (else statement type) and query id."""
    first = getattr(edge, "transform", "") or getattr(edge, "query_type", "") or ""
    query = getattr(edge, "last_query_id", "") or getattr(edge, "query_id", "") or ""
    if isinstance(edge, Mapping):
        first = edge.get("transform") or edge.get("query_type") or ""
        query = edge.get("query_id") or edge.get("last_query_id") or ""
    return tuple(str(x) for x in (first, query) if x)


def neighbourhood(focus: str, read: Reader, *, up: int = 1, down: int = 1, limit: int = DEFAULT_LIMIT,
                  expand: Mapping[int, int] | None = None, href: Callable[[str], str | None] = lambda _: None,
                  more_href: Callable[[int, int], str | None] = lambda layer, shown: None,
                  title: str = "") -> Picture:
    """Return the picture of ``focus`` with ``up`` hops upstream and ``down`` hops downstream.

    Args:
        focus: dataset or column id (drawn even without any edge).
        read: the edge reader (see :data:`Reader`); called once per hop and direction.
        up, down: hops, each clipped to ``0..MAX_HOPS``.
        limit: nodes per layer before collapsing.
        expand: layer -> nodes to show there instead of ``limit``.
        href: link of a node (a page about it), or None.
        more_href: link of a collapsed node, given its layer and the count shown now.
        title: the picture's title.

    Returns:
        The :class:`Picture`; its notes say how many nodes were collapsed.
    """
    expand = expand or {}
    nodes: dict[str, Node] = {focus: Node(focus, 0, role="focus", href=href(focus))}
    edges: dict[tuple[str, str], Edge] = {}
    mores: list[More] = []
    for direction, hops, sign in (("up", up, -1), ("down", down, 1)):
        frontier = [focus]
        for hop in range(1, max(0, min(hops, MAX_HOPS)) + 1):
            if not frontier:
                break
            layer = sign * hop
            links = list(read(frontier, direction))
            candidates: dict[str, list[Any]] = {}
            for link in links:
                near, far = (link.upstream, link.downstream) if direction == "down" else (link.downstream, link.upstream)
                if near in nodes:
                    candidates.setdefault(far, []).append(link)
            fresh = sorted(c for c in candidates if c not in nodes)
            show = max(limit, expand.get(layer, 0))
            kept, hidden = fresh[:show], fresh[show:]
            for cid in kept:
                nodes[cid] = Node(cid, layer, href=href(cid))
            for link_list in candidates.values():
                for link in link_list:
                    if link.upstream in nodes and link.downstream in nodes:
                        edges.setdefault((link.upstream, link.downstream),
                                         Edge(link.upstream, link.downstream, hop_labels(link),
                                              style=_edge_style(link)))
            if hidden:
                key = f"+more:{layer}"
                nodes[key] = Node(key, layer, label=f"+{len(hidden)} more", role="more",
                                  href=more_href(layer, len(kept)), hidden=len(hidden),
                                  title=f"{len(hidden)} more {'upstream' if sign < 0 else 'downstream'} at {hop} hops")
                parents = {link.upstream if direction == "down" else link.downstream
                           for h in hidden for link in candidates[h]}
                for parent in sorted(parents):
                    pair = (parent, key) if direction == "down" else (key, parent)
                    edges.setdefault(pair, Edge(pair[0], pair[1], style="more"))
                mores.append(More(layer, len(hidden)))
            frontier = kept
    notes = tuple(f"{m.count} more {'upstream' if m.layer < 0 else 'downstream'} at {abs(m.layer)} hops collapsed"
                  for m in mores)
    return Picture(tuple(nodes.values()), tuple(edges.values()), title=title, notes=notes)


def _edge_style(link: Any) -> str:
    if getattr(link, "transform", "") == "masked":
        return "masked"
    if getattr(link, "valid_to", None) is not None:
        return "closed"
    return ""


def path_picture(path: Sequence[str], hops: Sequence[Mapping[str, Any]] = (), *, title: str = "",
                 href: Callable[[str], str | None] = lambda _: None, notes: Sequence[str] = ()) -> Picture:
    """Return the picture of one exposure path, origin on the left.

    Args:
        path: ids in data-flow order, origin first.
        hops: one dict per hop in the same order (``upstream``, ``downstream``, ``transform``,
            ``query_type``, ``query_id``), as findings and walk-answered traces carry them; a
            hop is matched to its pair of ids, missing ones are drawn without labels.
        title, href, notes: as in :class:`Picture`.
    """
    by_pair = {(str(h.get("upstream")), str(h.get("downstream"))): h for h in hops}
    nodes = []
    for i, node_id in enumerate(path):
        role = "origin" if i == 0 else "terminal" if i == len(path) - 1 else ""
        nodes.append(Node(node_id, i, role=role, href=href(node_id)))
    edges = []
    for i in range(len(path) - 1):
        up, down = path[i], path[i + 1]
        hop = by_pair.get((up, down))
        if hop is None and i < len(hops):
            hop = hops[i]
        labels = hop_labels(hop) if hop is not None else ()
        style = "masked" if hop is not None and hop.get("transform") == "masked" else ""
        edges.append(Edge(up, down, labels, style=style))
    return Picture(tuple(nodes), tuple(edges), title=title, notes=tuple(notes))
