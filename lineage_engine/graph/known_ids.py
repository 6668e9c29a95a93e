"""Check that dataset and column ids a user typed exist in the graph, suggesting the closest.

An id that is not in the graph must never read as an empty answer ("nothing downstream"):
:func:`require_known_ids` raises :class:`~lineage_engine.errors.UnknownIdError` with the
closest known ids instead. Every command that takes ids (``trace``, ``scan --as-of``,
``access``) calls it before answering. Read-only: it runs portable Cypher through
:meth:`GraphStore.run_trace` on an open store (embedded or Neo4j).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from lineage_engine.errors import UnknownIdError
from lineage_engine.graph.store import GraphStore
from lineage_engine.model import ColumnRef, SavedTrace
from lineage_engine.suggest import closest

IdKind = Literal["dataset", "column"]

_LABEL = {"dataset": "Dataset", "column": "`Column`"}


def _present(kind: IdKind) -> SavedTrace:
    return SavedTrace(name=f"_known_{kind}_ids",
                      text=f"MATCH (n:{_LABEL[kind]}) WHERE n.id IN $ids RETURN n.id AS id",
                      description=f"Which of the given {kind} ids are nodes of the graph.")


def _all(kind: IdKind) -> SavedTrace:
    return SavedTrace(name=f"_all_{kind}_ids", text=f"MATCH (n:{_LABEL[kind]}) RETURN n.id AS id",
                      description=f"Every {kind} id of the graph (for suggestions).")


def _columns_of(dataset_id: str, store: GraphStore) -> list[str]:
    trace = SavedTrace(name="_columns_of", text="MATCH (c:`Column`) WHERE c.dataset_id = $d RETURN c.id AS id "
                       "ORDER BY id", description="Column ids of one dataset.")
    return [str(r["id"]) for r in store.run_trace(trace, {"d": dataset_id})]


def require_known_ids(store: GraphStore, ids: Iterable[str], *, kind: IdKind, input: str) -> list[str]:  # noqa: A002
    """Return ``ids`` lower-cased (as traces match them) when every one is a ``kind`` node.

    Args:
        store: an open graph store (read-only is enough).
        ids: dataset ids (``db.schema.name``) or column ids (``db.schema.name.column``).
        kind: what the input expects.
        input: the input as the user wrote it, for the message (``-p dataset``, ``--origin``).

    Raises:
        UnknownIdError: some id is not a ``kind`` node; ``suggestions`` holds up to three
            closest known ids of that kind (a column id given as a dataset, or a dataset id
            given as a column, says so and suggests the right kind).
    """
    wanted = [i.strip().lower() for i in ids if i.strip()]
    if not wanted:
        return wanted
    found = {str(r["id"]) for r in store.run_trace(_present(kind), {"ids": wanted})}
    missing = [i for i in wanted if i not in found]
    if not missing:
        return wanted
    other: IdKind = "dataset" if kind == "column" else "column"
    if store.run_trace(_present(other), {"ids": missing[:1]}):
        if kind == "column":
            suggestions = _columns_of(missing[0], store)[:3]
        else:
            suggestions = [ColumnRef.parse(missing[0]).dataset_id]
        raise UnknownIdError(input, missing, kind, suggestions, other_kind=other)
    known = (str(r["id"]) for r in store.run_trace(_all(kind), {}))
    raise UnknownIdError(input, missing, kind, closest(missing[0], known))


_KIND = re.compile(r"\b(dataset|column) ids?\b")


def id_kind(doc: str) -> IdKind | None:
    """Return the id kind a trace parameter's doc declares (``dataset id``, ``column ids``), else None."""
    match = _KIND.search(doc)
    return match.group(1) if match else None  # type: ignore[return-value]
