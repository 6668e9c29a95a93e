"""Dataset ids <-> OpenLineage dataset ``(namespace, name)`` (OpenLineage naming spec). Pure.

The spec names a Snowflake table ``namespace = snowflake://{organization}-{account}``,
``name = {database}.{schema}.{table}``; an object store ``namespace = s3://{bucket}`` (also
``gs://``, ``gcs://``, ``abfss://``, ``wasbs://``, ``azure://``, ``hdfs://``), ``name =
{path}``. Our ids:

- the installation's warehouse namespace (``openlineage.namespace``) <-> our plain ids
  (``db.schema.table``, lower case, quoted parts as in :mod:`lineage_engine.model`; stages
  ``@db.schema.stage``);
- an object-store namespace <-> the location id ``s3://bucket`` (only the bucket: the query
  history's ``COPY INTO 's3://bucket/...'`` names the same dataset, and a dated path per day
  would make a dataset per day);
- any other namespace (another warehouse account, ``postgres://host:5432``, ``kafka://...``)
  <-> the external dataset ``{namespace}/{name}`` (kind ``external``), kept as it is.
"""

from __future__ import annotations

from functools import lru_cache

from lineage_engine.model import DatasetRef, split_id

OBJECT_STORES = ("s3://", "s3a://", "s3n://", "gs://", "gcs://", "abfss://", "wasbs://", "azure://", "hdfs://")


def normalize_namespace(namespace: str) -> str:
    """Return a namespace as compared: stripped, lower case, no trailing ``/``."""
    return namespace.strip().rstrip("/").lower()


@lru_cache(maxsize=65_536)  # an event names each dataset once per column edge
def dataset_of(namespace: str, name: str, warehouse: str) -> DatasetRef:
    """Return the dataset an OpenLineage ``(namespace, name)`` names (see the module docstring).

    Args:
        namespace, name: as in the event.
        warehouse: this installation's warehouse namespace (``openlineage.namespace``).
    """
    ns = normalize_namespace(namespace)
    if ns == normalize_namespace(warehouse):
        if name.startswith("@"):
            return DatasetRef(id=name.lower(), name=name, kind="stage")
        parts = [p for p in split_id(name.strip())]
        return DatasetRef.of(parts, display=parts)
    if ns.startswith(OBJECT_STORES):
        scheme, _, rest = ns.partition("://")
        bucket = rest.split("/", 1)[0]
        location = f"{scheme}://{bucket}"
        return DatasetRef(id=location, name=location, kind="external")
    base = namespace.strip().rstrip("/")
    glue = "/" if "://" in base else ":///"  # a namespace without a scheme (``bigquery``) still makes a location id
    external = f"{base}{glue}{name.strip().lstrip('/')}"
    return DatasetRef(id=external.lower(), name=external, kind="external")


def name_of(dataset_id: str, warehouse: str) -> tuple[str, str]:
    """Return the OpenLineage ``(namespace, name)`` of a dataset id (the inverse of :func:`dataset_of`)."""
    if "://" not in dataset_id:
        return warehouse, dataset_id
    if ":///" in dataset_id:
        namespace, _, name = dataset_id.partition(":///")
        return namespace, name
    scheme, _, rest = dataset_id.partition("://")
    host, slash, path = rest.partition("/")
    if dataset_id.startswith(OBJECT_STORES):
        return f"{scheme}://{host}", "/" + path if slash else "/"
    return f"{scheme}://{host}", path
