"""A checked OpenLineage ``RunEvent`` -> lineage events with ``provenance: openlineage``. Pure.

Only ``COMPLETE`` events carry lineage (a START or RUNNING event may list datasets a run never
wrote; FAIL and ABORT wrote nothing we can trust): every other type gives no event. For each
output dataset, one event at ``eventTime`` (UTC): the output derives from every input (dataset
edges), and its ``columnLineage`` facet gives column edges (output column <- input field, one
per transformation, :mod:`.transforms`; ``masking: true`` -> ``masked``). An input field of a
dataset the event does not list as an input still counts as an upstream.

Run events only add lineage (operation ``insert``): an OpenLineage event cannot say that an
earlier upstream is gone, and producers send events late and out of order, so nothing is
closed by them (over-report, never under). The event's query id is ``<job namespace>/<job
name>@<runId>``, its query type ``OPENLINEAGE``. Dataset names map to ids by
:mod:`.naming`; an unknown namespace is kept as an external dataset.
"""

from __future__ import annotations

from lineage_engine.model import ColumnLineage, ColumnRef, DatasetRef, LineageEvent, Operation, transform_rank
from lineage_engine.openlineage.naming import dataset_of
from lineage_engine.openlineage.transforms import transform_of
from lineage_engine.openlineage.validate import RunEventModel

PROVENANCE = "openlineage"
QUERY_TYPE = "OPENLINEAGE"


def query_id_of(event: RunEventModel) -> str:
    """Return the query id given to a run event's lineage: ``<job namespace>/<job name>@<runId>``."""
    return f"{event.job.namespace}/{event.job.name}@{event.run.runId}"


def lineage_events(event: RunEventModel, warehouse: str) -> list[LineageEvent]:
    """Return the lineage events of one checked run event (none unless ``COMPLETE``), by output order.

    Args:
        event: from :func:`~lineage_engine.openlineage.validate.check_run_event`.
        warehouse: this installation's warehouse namespace (``openlineage.namespace``).
    """
    if event.eventType != "COMPLETE":
        return []
    inputs = [dataset_of(d.namespace, d.name, warehouse) for d in event.inputs or ()]
    out: list[LineageEvent] = []
    for output in event.outputs or ():
        target = dataset_of(output.namespace, output.name, warehouse)
        columns: list[ColumnLineage] = []
        sources: dict[str, DatasetRef] = {d.id: d for d in inputs if d.id != target.id}
        facet = output.facets.columnLineage if output.facets is not None else None
        for name, fields in sorted((facet.fields if facet is not None else {}).items()):
            for field in fields.inputFields:
                upstream = dataset_of(field.namespace, field.name, warehouse)
                if upstream.id != target.id:
                    sources.setdefault(upstream.id, upstream)
                steps = field.transformations or [None]
                for step in steps:
                    transform, kind = transform_of(step.model_dump() if step is not None else None,
                                                   fields.transformationType)
                    columns.append(ColumnLineage(
                        source=ColumnRef(upstream.id, field.field.lower()).id,
                        target=ColumnRef(target.id, name.lower()).id, transform=transform, kind=kind))
        out.append(LineageEvent(
            at=event.at, query_id=query_id_of(event), query_type=QUERY_TYPE, operation=Operation.INSERT,
            target=target, sources=tuple(sources.values()), columns=tuple(_distinct(columns)), provenance=PROVENANCE))
    return out


def _distinct(columns: list[ColumnLineage]) -> list[ColumnLineage]:
    """Return one edge per (target, source, kind): the most revealing transform wins (as across
    alternatives in a statement), sorted by (target, source, kind)."""
    best: dict[tuple[str, str, str], ColumnLineage] = {}
    for edge in columns:
        key = (edge.target, edge.source, edge.kind)
        if key not in best or transform_rank(edge.transform) > transform_rank(best[key].transform):
            best[key] = edge
    return [best[k] for k in sorted(best)]
