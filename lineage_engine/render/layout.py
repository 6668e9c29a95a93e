"""Layered left-to-right layout (a small Sugiyama-style layout): pure, deterministic.

1. Columns: one per distinct ``Node.layer``, lowest (most upstream) on the left.
2. Order within a column: first-seen order, then barycentre sweeps (each node moves toward
   the mean position of its neighbours in the other columns; four sweeps, left-to-right and
   back), which removes most crossings on the small pictures drawn here.
3. Coordinates: every column as wide as its widest label (capped, longer labels are cut with
   an ellipsis; the full id stays in the tooltip), a gap between columns for the edge labels,
   columns centred vertically.

Units are SVG user units (pixels at 100 %). Label widths are estimated from the character
count (no font metrics are available without a renderer): ``CHAR_WIDTH`` per character.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lineage_engine.render.model import Edge, Node

CHAR_WIDTH = 7.0
"""Estimated width of one character of the 12 px label font."""
MAX_LABEL_CHARS = 44
"""Longer labels are cut to this many characters (with an ellipsis)."""
NODE_HEIGHT = 34.0
NODE_PAD = 12.0
ROW_GAP = 18.0
COLUMN_GAP = 230.0
"""Room between columns for the hop labels (a 36-character query id at 10 px)."""
MARGIN = 20.0
TOP = 34.0
"""Room above the boxes for the title."""
SWEEPS = 4


@dataclass(frozen=True, slots=True)
class Box:
    """A placed node: its top-left corner, size and the label as drawn."""

    node: Node
    x: float
    y: float
    width: float
    height: float
    text: str

    @property
    def left(self) -> tuple[float, float]:
        """Return the middle of the left side (where arrows arrive)."""
        return self.x, self.y + self.height / 2

    @property
    def right(self) -> tuple[float, float]:
        """Return the middle of the right side (where arrows leave)."""
        return self.x + self.width, self.y + self.height / 2


@dataclass(frozen=True, slots=True)
class Layout:
    """Placed boxes by node id, the drawable edges, and the overall size."""

    boxes: dict[str, Box]
    edges: tuple[Edge, ...]
    width: float
    height: float


def clip(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    """Return ``text`` cut to ``limit`` characters, keeping its end (ids differ at the end)."""
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def order_layers(nodes: Sequence[Node], edges: Sequence[Edge], sweeps: int = SWEEPS) -> list[list[Node]]:
    """Return the nodes grouped by layer (left to right), each column ordered to reduce crossings."""
    columns: dict[int, list[Node]] = {}
    for node in nodes:
        columns.setdefault(node.layer, []).append(node)
    layers = [columns[k] for k in sorted(columns)]
    neighbours: dict[str, list[str]] = {n.id: [] for n in nodes}
    for edge in edges:
        if edge.upstream in neighbours and edge.downstream in neighbours and edge.upstream != edge.downstream:
            neighbours[edge.upstream].append(edge.downstream)
            neighbours[edge.downstream].append(edge.upstream)
    position = {n.id: float(i) for layer in layers for i, n in enumerate(layer)}
    for sweep in range(sweeps):
        sequence = layers if sweep % 2 == 0 else list(reversed(layers))
        for layer in sequence:
            def barycentre(node: Node) -> tuple[float, float]:
                near = [position[m] for m in neighbours[node.id]]
                own = position[node.id]
                return (sum(near) / len(near) if near else own, own)

            layer.sort(key=barycentre)
            for i, node in enumerate(layer):
                position[node.id] = float(i)
    return layers


def layout(nodes: Sequence[Node], edges: Sequence[Edge]) -> Layout:
    """Place ``nodes`` in columns by layer and return boxes, drawable edges and size.

    Edges with an end that is not a node are dropped. Duplicate node ids keep the first.
    """
    unique: dict[str, Node] = {}
    for node in nodes:
        unique.setdefault(node.id, node)
    drawable = tuple(e for e in edges if e.upstream in unique and e.downstream in unique)
    layers = order_layers(list(unique.values()), drawable)
    widths = [max(len(clip(n.text)) for n in layer) * CHAR_WIDTH + 2 * NODE_PAD for layer in layers]
    heights = [len(layer) * NODE_HEIGHT + (len(layer) - 1) * ROW_GAP for layer in layers]
    tallest = max(heights, default=0.0)
    boxes: dict[str, Box] = {}
    x = MARGIN
    for layer, width, height in zip(layers, widths, heights):
        y = TOP + (tallest - height) / 2
        for node in layer:
            boxes[node.id] = Box(node, x, y, width, NODE_HEIGHT, clip(node.text))
            y += NODE_HEIGHT + ROW_GAP
        x += width + COLUMN_GAP
    total_width = (x - COLUMN_GAP + MARGIN) if layers else 2 * MARGIN
    return Layout(boxes, drawable, total_width, TOP + tallest + MARGIN)
