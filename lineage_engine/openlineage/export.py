"""Lineage edge intervals -> OpenLineage ``RunEvent`` objects (``openlineage-python``). Pure.

One ``COMPLETE`` run event per (dataset written, statement): the dataset and column edge
intervals into one dataset whose last observation was one query (``last_query_id``) are one
run of one job. The job is named after the dataset it writes (``job.namespace`` the
installation's warehouse namespace, ``job.name`` the dataset id; ``jobType`` facet:
``integration`` ``LINEAGE_ENGINE``, ``jobType`` the query type); the graph keeps the last
query id per edge, not a fingerprint, so the statements that write one dataset share a job.
The query id is the run's ``externalQuery`` facet; ``runId`` is a UUID derived from
(dataset, query id), so exporting again sends the same runs (consumers deduplicate).
``eventTime`` is the latest ``last_seen`` of the run's intervals (UTC).

The output dataset carries the ``columnLineage`` facet (:mod:`.transforms`) for its column
edges; inputs are the upstream datasets of the run's dataset edges and column edges.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated.column_lineage_dataset import (
    ColumnLineageDatasetFacet,
    Fields,
    InputField,
    Transformation,
)
from openlineage.client.generated.external_query_run import ExternalQueryRunFacet
from openlineage.client.generated.job_type_job import JobTypeJobFacet

from lineage_engine import __version__
from lineage_engine.model import ColumnRef, EdgeRow
from lineage_engine.openlineage.naming import name_of
from lineage_engine.openlineage.transforms import transformation_of

PRODUCER = f"urn:lineage-engine:{__version__}"
"""The ``producer`` of every exported event (a URI, as the spec asks)."""
RUN_NAMESPACE = uuid.UUID("5b0f7b8e-8f0c-5a8e-9a54-6c1e6b7a1c16")
"""UUID namespace of exported run ids (``uuid5(RUN_NAMESPACE, dataset + '@' + query id)``)."""

Key = tuple[str, str]
"""(downstream dataset id, last query id)."""


def run_events(edges: Iterable[EdgeRow], column_edges: Iterable[EdgeRow], warehouse: str) -> list[RunEvent]:
    """Return one COMPLETE run event per (dataset written, last query), ordered by (eventTime, job name).

    Args:
        edges: dataset edge intervals to export (e.g. the open ones).
        column_edges: column edge intervals to export.
        warehouse: this installation's warehouse namespace (``openlineage.namespace``).
    """
    datasets: dict[Key, list[EdgeRow]] = defaultdict(list)
    columns: dict[Key, list[EdgeRow]] = defaultdict(list)
    for edge in edges:
        datasets[(edge.downstream, edge.last_query_id)].append(edge)
    for edge in column_edges:
        columns[(ColumnRef.parse(edge.downstream).dataset_id, edge.last_query_id)].append(edge)
    events = [_event(key, datasets.get(key, []), columns.get(key, []), warehouse)
              for key in sorted(set(datasets) | set(columns))]
    events.sort(key=lambda e: (e.eventTime, e.job.name))
    return events


def _event(key: Key, edges: list[EdgeRow], column_edges: list[EdgeRow], warehouse: str) -> RunEvent:
    downstream, query_id = key
    rows = [*edges, *column_edges]
    last_seen: datetime = max(r.last_seen for r in rows)
    query_type = next((r.query_type for r in rows if r.query_type), "")
    upstreams = {e.upstream for e in edges} | {ColumnRef.parse(e.upstream).dataset_id for e in column_edges}
    upstreams.discard(downstream)
    fields: dict[str, list[InputField]] = defaultdict(list)
    for edge in sorted(column_edges, key=lambda e: (e.downstream, e.upstream, e.kind)):
        target, source = ColumnRef.parse(edge.downstream), ColumnRef.parse(edge.upstream)
        namespace, name = name_of(source.dataset_id, warehouse)
        fields[target.name].append(InputField(namespace=namespace, name=name, field=source.name, transformations=[
            Transformation(**transformation_of(edge.transform, edge.kind))]))  # type: ignore[arg-type]
    out_namespace, out_name = name_of(downstream, warehouse)
    facets = {"columnLineage": ColumnLineageDatasetFacet(
        fields={name: Fields(inputFields=inputs) for name, inputs in sorted(fields.items())},
        producer=PRODUCER)} if fields else {}
    inputs = [InputDataset(*name_of(u, warehouse)) for u in sorted(upstreams)]
    return RunEvent(
        eventType=RunState.COMPLETE,
        eventTime=last_seen.isoformat(),
        run=Run(runId=str(uuid.uuid5(RUN_NAMESPACE, f"{downstream}@{query_id}")), facets={
            "externalQuery": ExternalQueryRunFacet(externalQueryId=query_id, source=warehouse, producer=PRODUCER)}),
        job=Job(namespace=warehouse, name=downstream, facets={"jobType": JobTypeJobFacet(
            processingType="BATCH", integration="LINEAGE_ENGINE", jobType=query_type or "QUERY", producer=PRODUCER)}),
        inputs=inputs,
        outputs=[OutputDataset(out_namespace, out_name, facets=facets)],  # type: ignore[arg-type]
        producer=PRODUCER,
    )
