"""``lineage-engine export openlineage``: the graph's lineage as OpenLineage run events (issue 16 §3).

Reads the graph (read-only), converts with :mod:`lineage_engine.openlineage.export` (pure) and
writes JSON Lines (one ``RunEvent`` per line, ``openlineage-python``'s serializer) to a file or
stdout, or posts each event with ``openlineage-python``'s HTTP transport to ``<url>/api/v1/lineage``
(Marquez's path; a bearer token from ``openlineage.api_key``). Which intervals: those open now,
or with ``since`` every interval observed at or after it (``last_seen >= since``, open or not).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import IO

from openlineage.client.serde import Serde

from lineage_engine.errors import ExportDeliveryError
from lineage_engine.graph.store import GraphStore
from lineage_engine.model import EdgeRow
from lineage_engine.openlineage.export import run_events


def selected(edges: Iterable[EdgeRow], since: datetime | None) -> list[EdgeRow]:
    """Return the intervals to export: open ones, or (``since``) those observed at or after ``since``."""
    if since is None:
        return [e for e in edges if e.valid_to is None]
    return [e for e in edges if e.last_seen >= since]


def graph_run_events(store: GraphStore, warehouse: str, since: datetime | None = None) -> list[object]:
    """Return the run events of the graph's lineage (see the module docstring), in eventTime order."""
    return list(run_events(selected(store.iter_edges(), since), selected(store.iter_column_edges(), since), warehouse))


def write_json_lines(events: Iterable[object], handle: IO[str]) -> int:
    """Write one event per line; return how many."""
    count = 0
    for event in events:
        handle.write(Serde.to_json(event) + "\n")
        count += 1
    return count


def send_http(events: Iterable[object], url: str, api_key: str | None, *, timeout_seconds: float = 10.0) -> int:
    """Post each event to ``url`` + ``/api/v1/lineage`` with openlineage-python's HTTP transport; return how many.

    Raises:
        ExportDeliveryError: the endpoint refused an event or cannot be reached (the URL is named, never the key);
            events before it were delivered.
    """
    from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport, TokenProvider

    auth = ApiKeyTokenProvider({"apiKey": api_key}) if api_key else TokenProvider({})
    retry = {"total": 2, "backoff_factor": 0.5, "status_forcelist": [502, 503, 504]}
    transport = HttpTransport(HttpConfig(url=url, endpoint="api/v1/lineage", timeout=timeout_seconds, auth=auth,
                                         retry=retry))
    count = 0
    for event in events:
        try:
            transport.emit(event)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - requests' tree: name the endpoint and what happened
            status = getattr(getattr(exc, "response", None), "status_code", None)
            what = f"HTTP {status}" if status else type(exc).__name__
            raise ExportDeliveryError(url, f"{what} after {count} events were accepted; "
                                "check --url and openlineage.api_key") from None
        count += 1
    return count
