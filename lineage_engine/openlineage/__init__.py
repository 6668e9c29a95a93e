"""OpenLineage in and out (issue 16). Pure: conversion only, no I/O.

- :mod:`.naming`: dataset ids <-> OpenLineage ``(namespace, name)`` (the naming spec:
  ``snowflake://org-account`` + ``db.schema.table``; object stores by bucket; other
  namespaces kept as external datasets).
- :mod:`.transforms`: column-edge transforms <-> the ``columnLineage`` facet's
  transformations (``DIRECT``/``INDIRECT``, subtypes, ``masking``).
- :mod:`.export`: lineage edge intervals -> ``RunEvent`` objects of ``openlineage-python``.
- :mod:`.validate`: a received JSON document -> a checked ``RunEvent`` mapping, or the JSON
  path of its first error.
- :mod:`.ingest`: a checked ``RunEvent`` -> lineage events with ``provenance: openlineage``.

Spec version: OpenLineage 2-0-2 (``RunEvent``), ColumnLineageDatasetFacet 1-2-0 (with
``transformations``; 1-0/1-1 ``transformationType`` IDENTITY|MASKED is read too).
The I/O around them lives in :mod:`lineage_engine.openlineage_io` (file, HTTP transport).
"""
