"""Variable-length relationship patterns in saved traces: one meaning on both backends.

Neo4j matches a variable-length pattern as a trail (no relationship twice) and lets it run
unbounded; LadybugDB walks (it repeats relationships on cycles) unless the pattern says
``TRAIL``, and caps an unbounded pattern at its own maximum (30 hops). So a trace answers the
same on both graphs only when every variable-length pattern has an upper bound and the
embedded engine is told ``TRAIL``. Sources: Neo4j Cypher manual, "Variable-length patterns"
(trail semantics); LadybugDB (Kùzu) docs, "Recursive relationships" (``* TRAIL``, default
upper bound 30).

Pure text functions; no I/O.
"""

from __future__ import annotations

import re

_PATTERN = re.compile(
    r"(?P<head>-\s*\[[^\[\]]*?)\*\s*(?P<low>\d*)\s*(?P<range>\.\.\s*(?P<high>\d*))?(?P<tail>\s*[\]{])")
_COMMENT = re.compile(r"//[^\n]*")


def unbounded_pattern(text: str) -> str | None:
    """Return the first variable-length pattern of ``text`` without an upper bound
    (``*`` or ``*N..``), or None; ``//`` comments are ignored."""
    for match in _PATTERN.finditer(_COMMENT.sub("", text)):
        if not match["high"] and (match["range"] or not match["low"]):
            return match.group(0).lstrip("- ").strip()
    return None


def bounded_message(text: str) -> str | None:
    """The refusal for a trace with an unbounded variable-length pattern, or None when all are bounded."""
    found = unbounded_pattern(text)
    if found is None:
        return None
    return (f"the variable-length pattern '{found}' has no upper bound; write one, e.g. *1..10 "
            "(the embedded graph stops unbounded patterns at 30 hops and Neo4j does not, so the two "
            "backends would answer differently)")


def with_trail(text: str) -> str:
    """Rewrite every bounded variable-length pattern for LadybugDB with ``TRAIL``:
    ``*N..M`` -> ``* TRAIL N..M``, ``*..M`` -> ``* TRAIL 1..M``, ``*N`` -> ``* TRAIL N..N``.
    Unbounded ones (see :func:`unbounded_pattern`) are left as written: refuse them first."""

    def rewrite(match: re.Match[str]) -> str:
        low, high = match["low"], match["high"]
        if match["range"]:
            if not high:
                return match.group(0)
            low = low or "1"
        elif low:
            high = low
        else:
            return match.group(0)
        return f"{match['head']}* TRAIL {low}..{high}{match['tail']}"

    return _PATTERN.sub(rewrite, text)
