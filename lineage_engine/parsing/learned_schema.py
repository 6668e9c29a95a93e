"""The columns a crawl has seen datasets take: a :class:`~.schema.SchemaProvider` (issue 5).

Column lineage needs a dataset's columns to expand ``SELECT *``, to map ``INSERT INTO t
SELECT ...`` without a column list, and to place unqualified columns in joins. A crawl
learns them from earlier statements' outputs, in execution order: a CTAS, view, ``CREATE
TABLE (cols)`` or CLONE states its target's columns (``StatementLineage.defined_columns``),
DROP forgets them, RENAME moves them, SWAP exchanges them, and a replace whose columns are
not known (``SELECT *`` of a table without schema, a Time Travel read) forgets them: the old
columns are no longer the table's, and a later ``SELECT *`` of it stays ``t.*`` (every column)
rather than naming only the old ones. Temporary objects are learned too (dbt's ``INSERT INTO
t SELECT * FROM t__dbt_tmp`` needs the temp's columns).

Exact resume. What was learned is stored with the watermark, one registry row per dataset
written only when it changed (:meth:`LearnedSchema.take_changes`, :meth:`LearnedSchema.from_rows`),
so a batch commit costs the same at any point of a long history, and a crawl resumed after a crash extracts every statement with the same knowledge a clean
run had at that point. It is bounded: at most ``limit`` datasets, the ones learned longest
ago forgotten first (a forgotten dataset's ``SELECT *`` stays unexpanded: lower confidence,
not a wrong edge). The graph's ``Column`` nodes are not used as a source: they carry no
column order, and reading them at start-up would make a resumed crawl see columns a clean
run had not learned yet at the same row.

A catalog snapshot (the warehouse's columns *now*, e.g. Snowflake's synced
``ACCOUNT_USAGE.COLUMNS``) may back the learned schema: :class:`CrawlSchema` answers from
what was learned first (it is time-accurate for the history being replayed) and asks the
catalog only about datasets the crawl has not learned. The catalog is never part of
:meth:`LearnedSchema.to_state`: it is reloaded at crawl start, so the learned part of a
resumed crawl stays exact and the catalog part is as fresh as its last load.

A parse cache must not serve a result extracted with different schema answers:
:class:`RecordingSchema` records the answers one extraction used (learned or catalog), and
:func:`same_answers` tells whether a provider still gives them.

Pure: stdlib, :mod:`lineage_engine.model` and the :class:`~.schema.SchemaProvider` protocol only.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from lineage_engine.model import CONTAINER_KINDS, Operation, StatementLineage
from lineage_engine.parsing.schema import SchemaProvider

DEFAULT_LIMIT = 20_000
"""Datasets remembered by default (about 1 MB of crawl state at ~15 columns each)."""


class LearnedSchema:
    """Columns per dataset id, learned from statements in execution order; bounded."""

    __slots__ = ("_changed", "_columns", "_next", "_seq", "_used", "late_definitions", "limit")

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        """Create an empty schema remembering at most ``limit`` datasets (at least 1)."""
        self.limit = max(1, limit)
        self._columns: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._seq: dict[str, int] = {}  # learning order, persisted with each entry
        self._next = 0
        self._changed: set[str] = set()  # learned or forgotten since take_changes
        self._used: OrderedDict[str, datetime] = OrderedDict()  # latest END_TIME naming each dataset (memory only)
        self.late_definitions = 0
        """Statements that define a dataset's columns read after a statement naming it that ended later
        (:meth:`observe`): the columns of the statements between were named in file order."""

    def columns_of(self, dataset_id: str) -> Sequence[str] | None:
        """Return the learned columns of ``dataset_id`` in table order, or None."""
        return self._columns.get(dataset_id)

    def learn(self, statements: Iterable[StatementLineage]) -> None:
        """Apply one row's statements, in order (see the module docstring)."""
        for st in statements:
            target = st.target
            if target is None:
                continue
            if target.kind in CONTAINER_KINDS:  # DROP / RENAME SCHEMA|DATABASE: everything inside
                self._learn_container(st)
            elif st.operation is Operation.DROP:
                self._pop(target.id)
            elif st.operation is Operation.RENAME and st.counterpart is not None:
                known = self._pop(target.id)
                self._pop(st.counterpart.id)
                if known is not None:
                    self._set(st.counterpart.id, known)
            elif st.operation is Operation.SWAP and st.counterpart is not None:
                mine = self._pop(target.id)
                theirs = self._pop(st.counterpart.id)
                if theirs is not None:
                    self._set(target.id, theirs)
                if mine is not None:
                    self._set(st.counterpart.id, mine)
            elif st.defined_columns and "*" not in st.defined_columns:
                self._set(target.id, st.defined_columns)
            elif st.replaces and (st.read_points or "*" in st.defined_columns):
                # redefined with columns not known (a Time Travel read: its columns then; a SELECT * of a
                # table without schema, a temp filled at a point): its earlier columns are no longer its own
                self._pop(target.id)

    def observe(self, statements: Iterable[StatementLineage], at: datetime) -> None:
        """Note one row's statements, ended at ``at``, before :meth:`learn` (the crawl's own schema).

        Columns are learned in the order rows are read. A row that defines a dataset's columns
        (a CTAS, view, ``CREATE TABLE (cols)``, CLONE, DROP, RENAME, SWAP) but ended before a row
        already read that named the dataset came out of END_TIME order: that row and those
        between were given the columns of file order, which may name them wrongly. Such rows are
        counted in :attr:`late_definitions` (the crawl says so), once each; memory only, bounded
        like the schema.
        """
        late = False
        for st in statements:
            ids = [ref.id for ref in (st.target, st.counterpart, *st.sources) if ref is not None]
            defines = st.target is not None and (
                st.operation in (Operation.DROP, Operation.RENAME, Operation.SWAP) or bool(st.defined_columns))
            defined = [ref.id for ref in (st.target, st.counterpart) if ref is not None]
            if defines and any(self._used.get(i, at) > at for i in defined):
                late = True
            for dataset_id in ids:
                previous = self._used.pop(dataset_id, None)
                self._used[dataset_id] = at if previous is None or previous < at else previous
            while len(self._used) > self.limit:
                self._used.popitem(last=False)
        self.late_definitions += late

    def _learn_container(self, st: StatementLineage) -> None:
        """Forget a dropped container's datasets; move a renamed one's (UNDROP: nothing known)."""
        if st.target is None or st.operation not in (Operation.DROP, Operation.RENAME):
            return
        prefix = st.target.id + "."
        inside = [i for i in self._columns if i.startswith(prefix)]
        moved = {i: self._pop(i) for i in inside}
        if st.operation is Operation.RENAME and st.counterpart is not None:
            for dataset_id, columns in moved.items():
                if columns is not None:
                    self._set(st.counterpart.id + dataset_id[len(st.target.id):], columns)

    def _pop(self, dataset_id: str) -> tuple[str, ...] | None:
        known = self._columns.pop(dataset_id, None)
        if known is not None:
            del self._seq[dataset_id]
            self._changed.add(dataset_id)
        return known

    def _set(self, dataset_id: str, columns: Sequence[str], seq: int | None = None) -> None:
        self._pop(dataset_id)
        self._columns[dataset_id] = tuple(columns)
        self._seq[dataset_id] = self._next if seq is None else seq
        self._next = max(self._next, self._seq[dataset_id]) + 1
        self._changed.add(dataset_id)
        while len(self._columns) > self.limit:
            self._pop(next(iter(self._columns)))

    def take_changes(self) -> tuple[dict[str, tuple[int, tuple[str, ...]]], set[str]]:
        """Return ``(learned, forgotten)`` since the last call and start afresh.

        ``learned`` maps dataset id to ``(order, columns)`` (``order`` increases with learning
        time: :meth:`from_rows` restores the forgetting order from it); ``forgotten`` holds
        the ids dropped, renamed away or forgotten at the ``limit``.
        """
        learned = {d: (self._seq[d], self._columns[d]) for d in self._changed if d in self._columns}
        forgotten = {d for d in self._changed if d not in self._columns}
        self._changed = set()
        return learned, forgotten

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, int, Sequence[str]]], limit: int = DEFAULT_LIMIT) -> LearnedSchema:
        """Rebuild from stored ``(dataset_id, order, columns)`` rows (no pending changes)."""
        schema = cls(limit)
        ids = []
        for dataset_id, seq, columns in sorted(rows, key=lambda r: r[1]):
            schema._set(dataset_id, columns, seq)
            ids.append(dataset_id)
        schema._changed = {d for d in ids if d not in schema._columns}  # past a lowered limit: delete them
        return schema

    def __len__(self) -> int:
        """Return the number of datasets known."""
        return len(self._columns)

    def to_state(self) -> list[list[object]]:
        """Return what was learned as JSON-able data: ``[[dataset_id, [columns]], ...]``, oldest first."""
        return [[dataset_id, list(columns)] for dataset_id, columns in self._columns.items()]

    @classmethod
    def from_state(cls, state: object, limit: int = DEFAULT_LIMIT) -> LearnedSchema:
        """Rebuild from :meth:`to_state` output (None or empty: an empty schema).

        Raises:
            ValueError: the state is not of the documented shape.
        """
        schema = cls(limit)
        if not state:
            return schema
        try:
            for dataset_id, columns in state:  # type: ignore[attr-defined]
                if not isinstance(dataset_id, str) or not all(isinstance(c, str) for c in columns):
                    raise TypeError("not a string")
                schema._set(dataset_id, columns)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"learned schema state is not of the documented shape ({exc})") from None
        schema._changed = set()
        return schema


class CrawlSchema:
    """The provider a crawl hands the extractor: learned columns first, then a catalog snapshot.

    Args:
        learned: what the crawl learned from the history so far (persisted with the watermark).
        catalog: the warehouse's current columns (e.g. ``ACCOUNT_USAGE.COLUMNS``); None: no
            catalog, a dataset the crawl has not learned is unknown (``SELECT *`` stays
            unexpanded, lower confidence).

    A dataset the crawl learned is answered from ``learned`` even when the catalog knows it
    too: the catalog says how the table looks now, ``learned`` how it looked when the
    statement being replayed ran. A dataset the crawl forgot (DROP, RENAME, or the
    ``limit``) falls back to the catalog. Catalog answers are lower-cased tuples.
    """

    __slots__ = ("catalog", "learned")

    def __init__(self, learned: LearnedSchema, catalog: SchemaProvider | None = None) -> None:
        """Layer ``learned`` over ``catalog``; neither is copied."""
        self.learned = learned
        self.catalog = catalog

    def columns_of(self, dataset_id: str) -> Sequence[str] | None:
        """Return the learned columns of ``dataset_id``, else the catalog's, else None."""
        found = self.learned.columns_of(dataset_id)
        if found is not None or self.catalog is None:
            return found
        other = self.catalog.columns_of(dataset_id)
        return None if other is None else tuple(c.lower() for c in other)


class RecordingSchema:
    """A provider that answers from ``base`` and records each answer, for cache validation."""

    __slots__ = ("_base", "answers")

    def __init__(self, base: SchemaProvider) -> None:
        """Wrap ``base``; :attr:`answers` maps each dataset id asked to the answer given."""
        self._base = base
        self.answers: dict[str, tuple[str, ...] | None] = {}

    def columns_of(self, dataset_id: str) -> Sequence[str] | None:
        """Return ``base``'s answer and record it."""
        found = self._base.columns_of(dataset_id)
        answer = tuple(found) if found is not None else None
        self.answers[dataset_id] = answer
        return answer


def same_answers(schema: SchemaProvider, answers: Mapping[str, tuple[str, ...] | None]) -> bool:
    """Return True when ``schema`` still gives every recorded answer (a cached result stays exact)."""
    for dataset_id, answer in answers.items():
        found = schema.columns_of(dataset_id)
        if (tuple(found) if found is not None else None) != answer:
            return False
    return True
