"""Column-edge transforms <-> the ``columnLineage`` facet's transformations. Pure.

ColumnLineageDatasetFacet 1-2-0 (openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json):
each input field carries ``transformations``: ``type`` DIRECT|INDIRECT, ``subtype`` (DIRECT:
IDENTITY, TRANSFORMATION, AGGREGATION; INDIRECT: JOIN, GROUP_BY, FILTER, SORT, WINDOW,
CONDITIONAL), ``masking`` (true when the output holds no original data), ``description``.

Out: ``identity`` and ``cast`` (the value as is, under another type) -> DIRECT/IDENTITY; ``expression``, ``partial``, ``unmasked`` ->
DIRECT/TRANSFORMATION; ``aggregation``, ``counted`` -> DIRECT/AGGREGATION; ``masked`` and
``counted`` carry ``masking: true``. Our transform name is the ``description`` (a consumer
that knows it gets it exactly back). INDIRECT edges carry no subtype (the graph does not keep
which of filter, join or group key it was).

In: a ``description`` that is one of our transform names wins (``masked`` and ``counted`` only
with ``masking: true``: a description is free text, the flag is the spec's answer); else ``masking: true`` ->
``masked``; IDENTITY -> ``identity``; AGGREGATION -> ``aggregation``; anything else (or no
transformation) -> ``expression`` (the value flows: over-report, never under). Facet 1-0/1-1
``transformationType`` MASKED -> ``masked``, IDENTITY -> ``identity``.
"""

from __future__ import annotations

from lineage_engine.model import TRANSFORMS

_SUBTYPE = {"identity": "IDENTITY", "cast": "IDENTITY", "aggregation": "AGGREGATION", "counted": "AGGREGATION"}
_MASKING = frozenset({"masked", "counted"})


def transformation_of(transform: str, kind: str) -> dict[str, object]:
    """Return the facet transformation (``type``, ``subtype``, ``masking``, ``description``) of one edge."""
    if kind == "INDIRECT":
        return {"type": "INDIRECT", "masking": transform in _MASKING, "description": transform or None}
    return {"type": "DIRECT", "subtype": _SUBTYPE.get(transform, "TRANSFORMATION"),
            "masking": transform in _MASKING, "description": transform or None}


def transform_of(transformation: dict[str, object] | None, legacy_type: str | None = None) -> tuple[str, str]:
    """Return ``(transform, kind)`` of one received transformation (see the module docstring)."""
    if transformation is None:
        legacy = (legacy_type or "").upper()
        return ("masked" if legacy == "MASKED" else "identity" if legacy == "IDENTITY" else "expression"), "DIRECT"
    kind = "INDIRECT" if str(transformation.get("type") or "").upper() == "INDIRECT" else "DIRECT"
    description = transformation.get("description")
    masking = transformation.get("masking") is True
    # our own names win, but free text never closes a path the structured fields leave open:
    # a "masked" / "counted" description with ``masking`` not true is read from the fields
    if isinstance(description, str) and description in TRANSFORMS and (masking or description not in _MASKING):
        return description, kind
    if transformation.get("masking") is True:
        return "masked", kind
    subtype = str(transformation.get("subtype") or "").upper()
    return {"IDENTITY": "identity", "AGGREGATION": "aggregation"}.get(subtype, "expression"), kind
