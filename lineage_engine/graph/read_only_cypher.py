"""Decide, before running it, whether a Cypher text only reads (issue 11 §4). Pure.

Traces run in read transactions, but that is not enough on either backend: LadybugDB runs
``COPY … TO 'file'`` (writes a file), ``INSTALL`` (fetches an extension over the network),
``LOAD``, ``ATTACH`` and ``CHECKPOINT`` outside any transaction rule, and Neo4j reads
files and URLs with ``LOAD CSV`` in a read transaction. So every trace, shipped or the
user's, is checked clause by clause and refused when it holds anything but reading.

The check tokenizes the text the way both engines do: comments (``//``, ``/* */``),
string literals (``'…'``, ``"…"``) and back-quoted names are skipped, and a word counts
as a clause keyword only where it cannot be a name (not after ``.``, ``$`` or ``:``, not
before ``:`` as a map key). Refused keywords are :data:`WRITE_CLAUSES`. ``CALL`` is
allowed for a subquery (``CALL {``, ``CALL (x) {``) and for the catalogue functions in
:data:`READ_PROCEDURES`; any other procedure may write or change settings (LadybugDB's
``CALL threads=4``) and is refused.
"""

from __future__ import annotations

import re

WRITE_CLAUSES: frozenset[str] = frozenset({
    # graph writes (openCypher, both engines)
    "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "FOREACH", "DROP", "ALTER", "RENAME",
    # LadybugDB statements with side effects (files, network, storage, attached databases)
    "COPY", "INSTALL", "UNINSTALL", "LOAD", "CHECKPOINT", "ATTACH", "EXPORT", "IMPORT",
    # transaction control would end the trace's read-only transaction
    "BEGIN", "COMMIT", "ROLLBACK", "TRANSACTIONS",
    # Neo4j administration
    "GRANT", "DENY", "REVOKE", "START", "STOP", "TERMINATE", "ENABLE",
})
"""Keywords that make a Cypher text more than a read (upper case)."""

READ_PROCEDURES: frozenset[str] = frozenset({
    "show_tables", "table_info", "show_connection", "db_version", "show_functions", "current_setting",
    "db.labels", "db.relationshiptypes", "db.propertykeys",
})
"""Procedures a trace may ``CALL``: catalogue reads (lower case, as the engines match them)."""

_TOKEN = re.compile(
    r"(?P<skip>//[^\n]*|/\*.*?(?:\*/|\Z)|'(?:[^'\\]|\\.)*(?:'|\Z)|\"(?:[^\"\\]|\\.)*(?:\"|\Z)|`[^`]*(?:`|\Z)|\s+)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
    r"|(?P<other>.)",
    re.DOTALL,
)


def find_write_clause(text: str) -> str | None:
    """Return the first clause of ``text`` that is not a read (e.g. ``COPY``, ``CALL threads``), else None.

    Args:
        text: Cypher, possibly several statements separated by ``;``.

    Returns:
        The offending keyword in upper case (``CALL <name>`` for a procedure not in
        :data:`READ_PROCEDURES`), or None when every clause only reads.
    """
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text) if m.lastgroup != "skip"]
    for i, (kind, value) in enumerate(tokens):
        if kind != "word":
            continue
        before = tokens[i - 1][1] if i > 0 else ""
        after = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if before in (".", "$", ":") or after == ":":
            continue  # a property, parameter, label or map key that happens to be a keyword
        head = value.split(".", 1)[0].upper()
        if head in WRITE_CLAUSES and "." not in value:
            return head
        if head == "CALL" and "." not in value:
            if after in ("{", "("):
                continue  # a subquery: its own clauses are checked as they come
            if i + 1 < len(tokens) and tokens[i + 1][0] == "word":
                if after.lower() in READ_PROCEDURES:
                    continue
                return f"CALL {after}"
            return "CALL"
    return None
