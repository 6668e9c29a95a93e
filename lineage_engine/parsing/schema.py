"""Column lookup for column-level lineage: the ``SchemaProvider`` protocol (issue 5).

The extractor stays pure: it never fetches a schema, it is handed one. A provider answers
one question, "which columns does this dataset have, in table order?", and is used to
expand ``SELECT *``, to map ``INSERT INTO t SELECT ...`` without a column list onto the
target's columns, and to decide which dataset an unqualified column in a join comes from.

Implementers: ``dataset_id`` is the canonical lower-case id the extractor computes
(``db.schema.table``, fewer parts when the session had no defaults); answer with column
names in the table's column order (any case; they are lower-cased), or None when the
dataset is unknown. A provider must not raise for an unknown id, must be cheap (it is
called once per dataset reference and statement) and must not do I/O per call: load
ahead (from the graph's known columns or a synced ``INFORMATION_SCHEMA.COLUMNS``) and
answer from memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class SchemaProvider(Protocol):
    """Answer which columns a dataset has; used only for column-level lineage."""

    def columns_of(self, dataset_id: str) -> Sequence[str] | None:
        """Return the dataset's column names in table order, or None when unknown.

        Args:
            dataset_id: lower-case canonical id, e.g. ``prod_db.raw.customers``.

        Returns:
            Column names (any case) in the table's order; None for an unknown dataset.
            Never raises.
        """
        ...


class MappingSchemaProvider:
    """A :class:`SchemaProvider` over an in-memory mapping ``{dataset_id: [columns]}``.

    Keys and column names are lower-cased once, at construction; lookups are dict reads.
    """

    __slots__ = ("_columns",)

    def __init__(self, mapping: Mapping[str, Sequence[str]] | None = None) -> None:
        """Build the provider.

        Args:
            mapping: dataset id -> column names in table order; keys in any case.
        """
        self._columns: dict[str, tuple[str, ...]] = {
            key.lower(): tuple(c.lower() for c in cols) for key, cols in (mapping or {}).items()
        }

    def columns_of(self, dataset_id: str) -> Sequence[str] | None:
        """Return the columns of ``dataset_id`` (lower case), or None when unknown."""
        return self._columns.get(dataset_id.lower())

    def __len__(self) -> int:
        """Return the number of datasets known."""
        return len(self._columns)


class LayeredSchema:
    """Columns learned from earlier statements of the same text, over a base provider.

    ``extract_lineage`` records the output columns of every CTAS, view and ``CREATE TABLE
    (col ...)`` it sees, so a later ``SELECT *`` from that object in the same text expands
    without a schema. The local layer wins over the base provider.
    """

    __slots__ = ("_base", "_local")

    def __init__(self, base: SchemaProvider | None) -> None:
        """Wrap ``base`` (None: only the local layer answers)."""
        self._base = base
        self._local: dict[str, tuple[str, ...]] = {}

    def learn(self, dataset_id: str, columns: Sequence[str]) -> None:
        """Record the columns a statement gave ``dataset_id`` (ignored when empty or ``*``)."""
        if columns and "*" not in columns:
            self._local[dataset_id] = tuple(columns)

    def forget(self, dataset_id: str) -> None:
        """Drop what the local layer knows about ``dataset_id`` (after DROP)."""
        self._local.pop(dataset_id, None)

    def columns_of(self, dataset_id: str) -> Sequence[str] | None:
        """Return local columns first, else the base provider's answer."""
        local = self._local.get(dataset_id)
        if local is not None:
            return local
        if self._base is None:
            return None
        found = self._base.columns_of(dataset_id)
        return None if found is None else tuple(c.lower() for c in found)
