"""What is stored of a received run event: the event reduced to lineage, and its digest. Pure.

Stored: ``eventType``, ``eventTime``, ``producer``, ``schemaURL``, ``run.runId``, ``job``
namespace and name, and each input and output's namespace, name and ``columnLineage`` facet
(input fields with their transformations' ``type``, ``subtype``, ``masking``, and
``description`` only when it is one of our transform names). Everything else is dropped
before storage: facets may carry SQL text (``sql``, ``extractionError``) or other free text
with PII in literals, and lineage does not need them. The digest is the SHA-256 of the
reduced event's canonical JSON, so a replayed event is recognised.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lineage_engine.model import TRANSFORMS
from lineage_engine.openlineage.validate import DatasetModel, RunEventModel


def reduced(event: RunEventModel) -> dict[str, Any]:
    """Return the part of ``event`` that is stored (see the module docstring); JSON-able, stable."""
    body: dict[str, Any] = {
        "eventType": event.eventType, "eventTime": event.eventTime, "producer": event.producer,
        "schemaURL": event.schemaURL, "run": {"runId": event.run.runId},
        "job": {"namespace": event.job.namespace, "name": event.job.name},
        "inputs": [_dataset(d) for d in event.inputs or ()],
        "outputs": [_dataset(d) for d in event.outputs or ()],
    }
    return {k: v for k, v in body.items() if v is not None}


def digest(body: dict[str, Any]) -> str:
    """Return the SHA-256 (hex) of a reduced event's canonical JSON."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def _dataset(dataset: DatasetModel) -> dict[str, Any]:
    out: dict[str, Any] = {"namespace": dataset.namespace, "name": dataset.name}
    facet = dataset.facets.columnLineage if dataset.facets is not None else None
    if facet is None:
        return out
    fields: dict[str, Any] = {}
    for name, spec in facet.fields.items():
        entry: dict[str, Any] = {"inputFields": [{
            "namespace": f.namespace, "name": f.name, "field": f.field,
            **({"transformations": [_step(t.model_dump()) for t in f.transformations]}
               if f.transformations is not None else {})} for f in spec.inputFields]}
        if spec.transformationType:
            entry["transformationType"] = spec.transformationType
        fields[name] = entry
    out["facets"] = {"columnLineage": {"fields": fields}}
    return out


def _step(step: dict[str, Any]) -> dict[str, Any]:
    kept = {k: step.get(k) for k in ("type", "subtype", "masking") if step.get(k) is not None}
    if step.get("description") in TRANSFORMS:
        kept["description"] = step["description"]
    return kept
