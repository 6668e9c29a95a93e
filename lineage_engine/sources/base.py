"""The ``QueryHistorySource`` protocol: where query-history rows come from.

Written for implementers. A source yields rows strictly after a watermark, in keyset order
``(end_time, query_id)`` where the backend can sort (Snowflake), else in file order (files
exported from ``QUERY_HISTORY`` are in end_time order). Rows it cannot read are yielded as
:class:`~lineage_engine.model.QuarantineEntry` so the crawl goes on; the source never logs
or stores query text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from lineage_engine.model import QuarantineEntry, QueryRecord, Watermark


@runtime_checkable
class QueryHistorySource(Protocol):
    """A stream of query-history rows after a watermark."""

    key: str
    """Stable identifier for watermarks, e.g. ``file:/abs/path/history.jsonl``."""

    def fetch_records(self, after: Watermark | None) -> Iterator[QueryRecord | QuarantineEntry]:
        """Yield rows whose ``(end_time, query_id)`` is after ``after`` (all rows when None).

        Streaming: memory stays constant in the size of the history.

        Raises:
            SourceError: the source cannot be read at all (TransientSourceError if a retry
                may pass). A single bad row is yielded as a QuarantineEntry instead.
        """
