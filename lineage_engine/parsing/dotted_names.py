"""Dotted object names split into their parts, honouring double quotes (no sqlglot).

Kept apart from :mod:`lineage_engine.parsing.normalize` so that readers of grant, share and
ownership statements (run by ``scan``, ``grants``) do not import sqlglot.
"""

from __future__ import annotations

import re

from lineage_engine.model import read_quoted_part

_UNQUOTED_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def split_dotted_name(text: str) -> list[tuple[str, bool]] | None:
    """Split ``db."My Schema".t`` into parts, honouring double quotes.

    Args:
        text: a dotted name as written inside ``IDENTIFIER('...')`` or after ``@``.

    Returns:
        ``[(part, quoted), ...]`` with quotes removed and ``""`` unescaped, or None when
        the text is empty, has more than three parts, an empty part, or an unquoted part
        that is not a valid identifier (letters, digits, ``_``, ``$``).
    """
    parts: list[tuple[str, bool]] = []
    i, n = 0, len(text.strip())
    text = text.strip()
    while i < n:
        if text[i] == '"':
            value, j = read_quoted_part(text, i)
            parts.append((value, True))
            i = j + 1
        else:
            j = text.find(".", i)
            j = n if j < 0 else j
            parts.append((text[i:j].strip(), False))
            i = j
        if i < n:
            if text[i] != ".":
                return None
            i += 1
            if i == n:
                return None
    if not parts or len(parts) > 3 or any(not p for p, _ in parts):
        return None
    if any(not quoted and not _UNQUOTED_PART.fullmatch(p) for p, quoted in parts):
        return None
    return parts
