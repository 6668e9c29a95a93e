"""SVG text of a :class:`~lineage_engine.render.model.Picture`: self-contained, no script.

Presentation attributes only (no ``<style>`` element, no external reference), so the file
opens offline in any browser and inline in a page under a strict Content-Security-Policy.
Every node is a ``<g class="node" data-id="…">`` (inside ``<a href>`` when it links), every
arrow a ``<g class="edge" data-upstream="…" data-downstream="…">`` with its labels as
``<text>``: tests and scripts can find them. Pure: returns a string.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from lineage_engine.render.layout import MARGIN, Box, Layout, layout
from lineage_engine.render.model import Edge, Picture

FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
MONO = "ui-monospace, 'DejaVu Sans Mono', monospace"

STYLES = {
    "focus": ("#fde2e1", "#c0392b", ""),
    "origin": ("#fde2e1", "#c0392b", ""),
    "terminal": ("#fff3cd", "#b7791f", ""),
    "more": ("#f4f4f4", "#888888", "4 3"),
    "": ("#eef3fb", "#4a6fa5", ""),
}
"""Fill, stroke and dash pattern by node role."""

EDGE_STYLES = {"": ("#555555", ""), "masked": ("#2e7d32", "6 4"), "closed": ("#aaaaaa", "2 3"),
               "more": ("#aaaaaa", "4 3")}
"""Stroke and dash pattern by edge style."""

LEGEND = "data flows left → right (upstream → downstream); dashed green: masked; dotted grey: closed or collapsed"


def render_svg(picture: Picture) -> str:
    """Return the SVG document of ``picture`` (UTF-8 text, starts with ``<svg``)."""
    placed = layout(picture.nodes, picture.edges)
    note_lines = [*picture.notes, LEGEND]
    height = placed.height + 16 * len(note_lines) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lineage-picture" width="{placed.width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {placed.width:.0f} {height:.0f}" font-family="{FONT}">',
        f'<title>{escape(picture.title or "lineage")}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555555"/></marker></defs>',
        f'<rect x="0" y="0" width="{placed.width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    if picture.title:
        parts.append(f'<text x="{MARGIN}" y="22" font-size="14" font-weight="600" fill="#222222">'
                     f"{escape(picture.title)}</text>")
    fan_in: dict[str, int] = {}
    fan_out: dict[str, int] = {}
    for edge in placed.edges:
        fan_in[edge.downstream] = fan_in.get(edge.downstream, 0) + 1
        fan_out[edge.upstream] = fan_out.get(edge.upstream, 0) + 1
    parts.extend(_edge(placed, edge, fan_in[edge.downstream], fan_out[edge.upstream]) for edge in placed.edges)
    parts.extend(_node(box) for box in placed.boxes.values())
    y = placed.height + 4
    for line in note_lines:
        y += 14
        parts.append(f'<text x="{MARGIN}" y="{y:.0f}" font-size="11" fill="#555555">{escape(line)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _node(box: Box) -> str:
    node = box.node
    fill, stroke, dash = STYLES.get(node.role, STYLES[""])
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    body = (f'<g class="node" data-id={quoteattr(node.id)} data-role={quoteattr(node.role)}>'
            f"<title>{escape(node.title or node.id)}</title>"
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash_attr}/>'
            f'<text x="{cx:.1f}" y="{cy + 4:.1f}" font-size="12" text-anchor="middle" fill="#1a1a1a">'
            f"{escape(box.text)}</text></g>")
    if node.href:
        return f"<a href={quoteattr(node.href)}>{body}</a>"
    return body


def _edge(placed: Layout, edge: Edge, fan_in: int = 1, fan_out: int = 1) -> str:
    """Return one arrow; its labels sit where arrows spread apart (by the end with one arrow)."""
    up, down = placed.boxes[edge.upstream], placed.boxes[edge.downstream]
    stroke, dash = EDGE_STYLES.get(edge.style, EDGE_STYLES[""])
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    if down.x > up.x:  # forward: right side to left side
        (x1, y1), (x2, y2) = up.right, down.left
        bend = (x2 - x1) / 2
        d = f"M {x1:.1f} {y1:.1f} C {x1 + bend:.1f} {y1:.1f}, {x2 - bend:.1f} {y2:.1f}, {x2:.1f} {y2:.1f}"
        if fan_out > 1 >= fan_in:  # arrows spread at the downstream end
            mx, my, anchor = x2 - 10, y2 - 4, "end"
        elif fan_in > 1 >= fan_out:  # arrows spread at the upstream end
            mx, my, anchor = x1 + 10, y1 - 4, "start"
        else:
            mx, my, anchor = (x1 + x2) / 2, (y1 + y2) / 2, "middle"
    else:  # same column or backwards (a cycle): a loop under the boxes
        x1, y1 = up.x + up.width / 2, up.y + up.height
        x2, y2 = down.x + down.width / 2, down.y + down.height
        drop = max(y1, y2) + 40
        d = f"M {x1:.1f} {y1:.1f} C {x1:.1f} {drop:.1f}, {x2:.1f} {drop:.1f}, {x2:.1f} {y2:.1f}"
        mx, my, anchor = (x1 + x2) / 2, drop - 8, "middle"
    title = escape(edge.title or f"{edge.upstream} → {edge.downstream}")
    out = [f'<g class="edge" data-upstream={quoteattr(edge.upstream)} data-downstream={quoteattr(edge.downstream)}>'
           f"<title>{title}</title>"
           f'<path d="{d}" fill="none" stroke="{stroke}" stroke-width="1.4"{dash_attr} marker-end="url(#arrow)"/>']
    top = my - 12 * (len(edge.labels) - 1) if anchor != "middle" else my - 6 * len(edge.labels) + 3
    for i, label in enumerate(edge.labels):
        out.append(f'<text class="hop-label" x="{mx:.1f}" y="{top + 12 * i:.1f}" font-size="10" '
                   f'font-family="{MONO}" text-anchor="{anchor}" fill="#333333" stroke="#ffffff" stroke-width="3" '
                   f'paint-order="stroke">{escape(label)}</text>')
    out.append("</g>")
    return "".join(out)
