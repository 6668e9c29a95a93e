"""What a picture holds: nodes placed in layers, and edges in the direction data flows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Node:
    """One box of a picture.

    Attributes:
        id: the dataset or column id (unique within the picture); for a collapsed node any
            unique key (e.g. ``+more:2``).
        layer: column of the layout: hops from the focus, negative upstream, positive
            downstream (data flows from lower to higher layers).
        label: text in the box (default: the id).
        role: ``focus`` | ``origin`` | ``terminal`` | ``more`` (collapsed) | ``""``; decides the style.
        href: link target when the box is clicked (a page, or an "expand" URL), or None.
        title: tooltip (default: the id).
        hidden: for a collapsed node, how many nodes it stands for.
    """

    id: str
    layer: int
    label: str = ""
    role: str = ""
    href: str | None = None
    title: str = ""
    hidden: int = 0

    @property
    def text(self) -> str:
        """Return the label shown (the id when no label was given)."""
        return self.label or self.id


@dataclass(frozen=True, slots=True)
class Edge:
    """One arrow, from ``upstream`` to ``downstream`` (the direction data flows).

    Attributes:
        upstream, downstream: node ids.
        labels: short lines written on the arrow (e.g. the transform, the query id).
        style: ``""`` | ``masked`` (dashed) | ``closed`` (grey: no longer valid) | ``more``.
        title: tooltip of the arrow.
    """

    upstream: str
    downstream: str
    labels: tuple[str, ...] = ()
    style: str = ""
    title: str = ""


@dataclass(frozen=True, slots=True)
class Picture:
    """A drawing: nodes, edges, a title and notes shown under it.

    Edges whose ends are not both among ``nodes`` are not drawn.
    """

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    title: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
