"""What the crawl keeps for egress (issue 14 §4): share and function statements, external calls.

No I/O: the crawl hands rows in history order and stores what these return (share and
function statements with the grant facts, call events with the lineage events).

* ``CREATE | ALTER | DROP SHARE`` and ``CREATE [EXTERNAL] FUNCTION`` / ``DROP FUNCTION``
  (:mod:`.share_parse`) become dated facts; a share statement that cannot be read is
  quarantined like any statement.
* A statement that calls an external function in force at its END_TIME gives a lineage
  event into the function's destination (:mod:`.external_calls`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from lineage_engine.access.external_calls import call_events, find_external_calls, mentions
from lineage_engine.access.ownership import is_ownership_text, parse_ownership
from lineage_engine.access.replication import is_replication_text, parse_replication
from lineage_engine.access.share_parse import is_share_text, parse_function, parse_share
from lineage_engine.model import LineageEvent, QuarantineEntry, QueryRecord

SHARE_QUARANTINE_REASON = "share statement not understood (egress facts of issue 14); not applied"


class EgressObserver:
    """Share and function statements, and calls of external functions, of one crawl.

    Args:
        functions: the external functions already known (``(id, valid_from, valid_to)``,
            from :meth:`Registry.external_functions`); CREATEs seen by this crawl are added.
    """

    def __init__(self, functions: Iterable[tuple[str, datetime, datetime | None]]) -> None:
        self._functions: dict[str, list[list[Any]]] = {}
        for function, start, end in functions:
            self._functions.setdefault(function, []).append([start, end])

    def statement(self, item: QueryRecord, source: str, now: datetime) -> tuple[Any | None, QuarantineEntry | None]:
        """Return the share or function statement of a successful row of someone else, else None.

        Returns ``(statement, None)``, ``(None, quarantine entry)`` for a share statement
        that cannot be read, or ``(None, None)``.
        """
        text = item.query_text or ""
        if is_replication_text(text):  # a database replicated to other accounts: egress of all of it
            replicated = parse_replication(text)
            if replicated is not None:
                return replicated, None
        if is_ownership_text(text):  # the creating role owns a table or view; DROP ROLE ends its grants
            owned = parse_ownership(text, item.role_name, item.database_name, item.schema_name)
            # the crawl still searches an ownership statement for external calls (a CTAS may call one)
            if owned is not None:
                return owned, None
        if not is_share_text(text):
            return None, None
        head = text.lstrip()[:160].upper()
        if " SHARE" in head.split("(", 1)[0] and "FUNCTION" not in head.split("(", 1)[0]:
            share = parse_share(text)
            if share is None:
                return None, QuarantineEntry(source=source, query_id=item.query_id, position=item.position,
                                             reason_code="unsupported", reason=SHARE_QUARANTINE_REASON, seen_at=now)
            return share, None
        function = parse_function(text, item.database_name, item.schema_name)
        if function is not None:
            self._apply(function.function_id, function.action == "create" and function.external, item.end_time)
        return function, None

    def _apply(self, function: str, external: bool, at: datetime) -> None:
        spans = self._functions.setdefault(function, [])
        for span in spans:
            if span[1] is None and span[0] < at and not external:
                span[1] = at
        if external and not any(s[1] is None for s in spans):
            spans.append([at, None])

    def _live(self, at: datetime) -> list[str]:
        return [f for f, spans in self._functions.items()
                if any(s[0] <= at and (s[1] is None or s[1] > at) for s in spans)]

    def calls(self, item: QueryRecord, dialect: str = "snowflake", functions: Any = None) -> list[LineageEvent]:
        """Return the lineage events of the external functions ``item`` calls (in force at its END_TIME).

        ``functions``: the crawl's masking, unmasking and counting functions
        (:class:`~lineage_engine.transform_lists.TransformFunctions`; None: the defaults).
        """
        at = item.end_time
        live = [f for f, spans in self._functions.items()
                if any(s[0] <= at and (s[1] is None or s[1] > at) for s in spans)]
        if not live or not mentions(item.query_text or "", {f.rsplit(".", 1)[-1] for f in live}):
            return []
        if is_share_text(item.query_text or "") and parse_function(item.query_text, None, None) is not None:
            return []  # the function's own CREATE / DROP
        calls = find_external_calls(item.query_text, live, database=item.database_name, schema=item.schema_name,
                                    dialect=dialect, transform_functions=functions)
        return call_events(calls, at=at, query_id=item.query_id, query_type=item.query_type or "")
