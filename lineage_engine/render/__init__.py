"""Pictures of lineage as SVG, in pure Python (issue 15 §4): no Graphviz, no I/O.

- :mod:`.model`: what a picture holds (nodes in layers, edges with hop labels).
- :mod:`.neighbourhood`: which nodes to draw around a dataset or along a path: never the
  whole graph; wide layers are capped and the rest collapsed into "+N more" nodes.
- :mod:`.layout`: layered left-to-right layout (data flows left to right, upstream left),
  barycentre ordering within layers to reduce crossings.
- :mod:`.svg`: the SVG text (self-contained: inline style, no script, no external reference).

The evidence pack and the web view draw with the same functions.
"""

from lineage_engine.render.model import Edge, Node, Picture
from lineage_engine.render.svg import render_svg

__all__ = ["Edge", "Node", "Picture", "render_svg"]
