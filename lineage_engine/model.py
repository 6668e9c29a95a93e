"""Domain values shared by every layer: frozen dataclasses, no I/O.

Identifiers follow design §4: a dataset id is the lower-case ``database.schema.name``
(Snowflake folds unquoted identifiers to one case, so case-folding is the canonical key;
the display spelling is kept in ``name``). A stage id is ``@database.schema.stage``.
A column id is ``database.schema.table.column``. All datetimes are timezone-aware UTC.

Ids are the serialized form of :class:`DatasetRef` and :class:`ColumnRef` (what the graph
stores and every export prints). **Quoting rule**: an id part is written bare unless it
contains a dot or a double quote; then it is double-quoted, with ``"`` doubled inside
(``db.s."a.b"``, column ``db.s."a.b"."x.y"``). Every other part, so every id of an
ordinary name, is spelled exactly as before the rule existed. Build ids with
:func:`join_id` / :meth:`ColumnRef.id` and take them apart with :func:`split_id` /
:meth:`ColumnRef.parse`; never split an id on dots yourself. A literal cloud location
(``s3://bucket``) is one part, whatever its dots.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


class Operation(str, enum.Enum):
    """What a materializing statement does to its target.

    ``replaces`` on :class:`StatementLineage` says whether the statement supersedes the
    target's content (CREATE OR REPLACE, CTAS, INSERT OVERWRITE); the operation says how.
    """

    CREATE = "create"  # CREATE TABLE ... AS SELECT (or plain CREATE TABLE: no sources)
    REPLACE = "replace"  # CREATE OR REPLACE TABLE ... AS SELECT
    INSERT = "insert"  # INSERT [OVERWRITE] INTO ... SELECT / INSERT ALL
    MERGE = "merge"
    UPDATE = "update"  # UPDATE ... FROM
    DELETE = "delete"  # DELETE ... USING (sources filter the target; indirect)
    VIEW = "view"  # CREATE [OR REPLACE] VIEW
    COPY = "copy"  # COPY INTO table FROM @stage
    UNLOAD = "unload"  # COPY INTO @stage FROM table/query (egress)
    CLONE = "clone"  # CREATE ... CLONE
    RENAME = "rename"  # ALTER TABLE a RENAME TO b
    SWAP = "swap"  # ALTER TABLE a SWAP WITH b
    DROP = "drop"  # DROP TABLE/VIEW
    TRUNCATE = "truncate"  # TRUNCATE TABLE, or DELETE with no WHERE: every row gone (replaces with nothing)
    QUERY = "query"  # a SELECT: reads only; given only when extract_lineage(queries=True)
    ALTER = "alter"  # ALTER TABLE/VIEW other than RENAME/SWAP: no data moves; only with queries=True
    UNDROP = "undrop"  # UNDROP TABLE|SCHEMA|DATABASE: what the last drop closed reopens (issue 10)


CONTAINER_KINDS: frozenset[str] = frozenset({"schema", "database"})
"""Kinds of a :class:`DatasetRef` that names a container, not a dataset (issue 10).

DROP, UNDROP and RENAME events may target a schema (id ``db.schema``) or a database (id
``db``); CREATE OR REPLACE SCHEMA|DATABASE is a DROP of the old contents. The graph store
applies such an event to every dataset the container holds at that instant
(:mod:`lineage_engine.graph.containers`); a container never becomes a Dataset node.
"""


def quote_part(part: str) -> str:
    """Return one id part as an id spells it: bare, or double-quoted when it holds ``.`` or ``"``.

    Examples: ``orders`` -> ``orders``; ``a.b`` -> ``"a.b"``; ``x"y`` -> ``"x""y"``.
    """
    if "." in part or '"' in part:
        return '"' + part.replace('"', '""') + '"'
    return part


def join_id(parts: Iterable[str]) -> str:
    """Return the id of the given parts, each quoted by :func:`quote_part`, joined by dots."""
    return ".".join(quote_part(p) for p in parts)


def canonical_id(text: str) -> str:
    """Return the id of a dotted name as a user may spell it (a registry catalog path, an ``--origin``).

    Each part is case-folded and quoted only when the quoting rule needs it (see the module
    doc): ``DB.S."Customers"."Email"`` -> ``db.s.customers.email``, ``db.s."A.B"`` ->
    ``db.s."a.b"``. Ids already in that form are returned unchanged (idempotent).
    """
    text = text.strip()
    if '"' not in text:
        return text.lower()
    return join_id(part.lower() for part in split_id(text))


def read_quoted_part(text: str, start: int) -> tuple[str, int]:
    """Read the double-quoted part of ``text`` whose opening quote is at ``start``.

    Returns ``(value, end)``: the value with ``""`` unescaped, and the index of the closing
    quote (``len(text)`` when the quote is never closed).
    """
    buf: list[str] = []
    j, n = start + 1, len(text)
    while j < n:
        if text[j] == '"':
            if j + 1 < n and text[j + 1] == '"':
                buf.append('"')
                j += 2
                continue
            break
        buf.append(text[j])
        j += 1
    return "".join(buf), j


def split_id(text: str) -> tuple[str, ...]:
    """Return the parts of a dotted id, quotes removed (the inverse of :func:`join_id`).

    ``db.s."a.b"`` -> ``("db", "s", "a.b")``. A leading ``@`` (stage) stays on the first
    part. A malformed quote (never produced by :func:`join_id`) is kept as text.
    """
    if '"' not in text:
        return tuple(text.split("."))
    parts: list[str] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"' and not buf:
            value, j = read_quoted_part(text, i)
            buf = list(value)
            if j >= n or (j + 1 < n and text[j + 1] != "."):  # not a well-formed quoted part
                buf = list(text[i:j + 1])
            i = j + 1
            continue
        if ch == ".":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return tuple(parts)


def _is_location(dataset_id: str) -> bool:
    return "://" in dataset_id


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """A dataset (table, view, stage, external table, share).

    Attributes:
        id: canonical key, lower-case ``db.schema.name`` (``@db.schema.stage`` for stages,
            ``s3://bucket`` for a literal cloud location, see ``parsing.normalize``).
        name: display spelling, e.g. ``PROD_DB.RAW.CUSTOMERS`` (quoted parts keep their case).
        kind: ``table`` | ``view`` | ``stage`` | ``external`` | ``share``.
    """

    id: str
    name: str
    kind: str = "table"

    @classmethod
    def of(cls, parts: Sequence[str], *, display: Sequence[str] | None = None, kind: str = "table") -> DatasetRef:
        """Return the dataset named by unquoted ``parts`` (any case), ids per the quoting rule.

        Args:
            parts: name parts, outermost first, e.g. ``("PROD", "RAW", "a.b")``.
            display: the display spelling of each part (default: ``parts``).
            kind: see the class docstring.

        Returns:
            A ref whose ``id`` is :func:`join_id` of the lower-cased parts and whose
            ``name`` is :func:`join_id` of the display parts.
        """
        return cls(id=join_id(p.lower() for p in parts), name=join_id(display if display is not None else parts),
                   kind=kind)

    @property
    def parts(self) -> tuple[str, ...]:
        """Return the id split into (database, schema, name), quotes removed; fewer parts if unqualified.

        A stage's ``@`` is dropped; a literal cloud location is one part.
        """
        if _is_location(self.id):
            return (self.id,)
        return split_id(self.id.lstrip("@"))

    def column(self, name: str) -> ColumnRef:
        """Return the column ``name`` (lower-case, unquoted) of this dataset."""
        return ColumnRef(self.id, name)


UNRESOLVED_DATASET = "<unresolved>"
"""Dataset id of a column whose dataset cannot be known without a schema (``<unresolved>.col``)."""
SELECT_DATASET = "<select>"
"""Pseudo-dataset id of a plain SELECT's output columns (``<select>.col``): what a query returned."""


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """A column of a dataset; its id is ``<dataset id>.<name>`` with the name quoted per the rule.

    Attributes:
        dataset_id: the canonical dataset id (:attr:`DatasetRef.id`), or a marker:
            :data:`UNRESOLVED_DATASET`, :data:`SELECT_DATASET`.
        name: the lower-case column name, unquoted; ``*`` for an unexpanded star.
    """

    dataset_id: str
    name: str

    @property
    def id(self) -> str:
        """Return the column id, e.g. ``db.s.t.email`` or ``db.s."a.b"."x.y"``."""
        return f"{self.dataset_id}.{quote_part(self.name)}"

    @property
    def is_star(self) -> bool:
        """Return True for ``dataset.*`` (every column of a dataset whose columns are unknown)."""
        return self.name == "*"

    @property
    def is_unresolved(self) -> bool:
        """Return True for ``<unresolved>.col`` (the column's dataset is unknown)."""
        return self.dataset_id == UNRESOLVED_DATASET

    @classmethod
    def parse(cls, column_id: str) -> ColumnRef:
        """Return the column a column id names (the inverse of :attr:`id`).

        The last part is the column name (quotes removed); everything before its dot is the
        dataset id, kept as spelled: ``db.s."a.b"."x.y"`` -> dataset ``db.s."a.b"``, name ``x.y``.
        """
        if not column_id.endswith('"'):
            dataset_id, _, name = column_id.rpartition(".")
            return cls(dataset_id, name)
        name = split_id(column_id)[-1]
        return cls(column_id[: len(column_id) - len(quote_part(name)) - 1], name)


def is_part_of(path: str, object_id: str, container: bool) -> bool:
    """True when the id ``path`` is ``object_id`` or part of it: one of its columns, or, for a
    ``container`` (a schema or database), anything under it."""
    if path == object_id:
        return True
    if not path.startswith(object_id + "."):
        return False
    return container or dataset_of(path) == object_id


def column_id(dataset_id: str, name: str) -> str:
    """Return the id of column ``name`` of ``dataset_id`` (shorthand for ``ColumnRef(...).id``)."""
    return f"{dataset_id}.{quote_part(name)}"


def dataset_of(column: str) -> str:
    """Return the dataset id of a column id (shorthand for ``ColumnRef.parse(column).dataset_id``)."""
    if not column.endswith('"'):  # the common case, without building a ColumnRef (a crawl calls this per edge)
        return column.rpartition(".")[0]
    return ColumnRef.parse(column).dataset_id


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the extractor could not see or did not understand.

    ``message`` never quotes query text (it may hold PII in literals); it names the error
    kind and the position instead.

    Attributes:
        code: short stable code, e.g. ``parse_error``, ``truncated``, ``unsupported``,
            ``unqualified_name``, ``dynamic_sql``.
        message: human-readable reason without query text.
        statement_index: 0-based index of the statement in a multi-statement text, if known.
        line, column: 1-based position in the text, if known.
    """

    code: str
    message: str
    statement_index: int | None = None
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class ColumnLineage:
    """One column-level lineage edge (filled by ``extract_lineage(columns=True)``).

    ``source`` / ``target`` are column ids ``db.schema.table.column`` (the dataset part is
    the same canonical id as at table level); ``transform`` is one of :data:`TRANSFORMS`; ``kind`` DIRECT (the value flows) |
    INDIRECT (the source chooses rows: filter, join or group key). Markers in ``source``:
    ``<unresolved>.col`` when the column's dataset cannot be known without a schema, and
    ``db.schema.table.*`` for a ``SELECT *`` (or ``COUNT(*)``) that could not be expanded;
    a target ``db.schema.table.*`` receives such a star.

    ``confidence`` (added by issue 5): 1.0 resolved; 0.8 the target column's name was
    guessed from the query (INSERT without a column list, target columns unknown); 0.5 an
    ``<unresolved>`` or ``*`` source.
    """

    source: str
    target: str
    transform: str = "identity"
    kind: str = "DIRECT"
    confidence: float = 1.0


TRANSFORMS: tuple[str, ...] = ("counted", "masked", "partial", "aggregation", "expression", "cast", "identity",
                                "unmasked")
"""Column-edge transforms from least to most revealing (their rank is the index; issue 10).

``counted`` carries no value (a count of values), ``masked`` a masked one, ``partial`` a
fragment, ``aggregation``/``expression``/``cast``/``identity`` the value, ``unmasked`` the value
given back by an unmasking function (clear even where the upstream was masked). ``cast`` is
the value copied as is but under another data type (a ``CAST``/``::``/``TRY_CAST`` on its way, or
a set operation's column that is not a bare column in every branch: review s15 T1, T3): for
exposure it is ``identity``; only ``identity`` keeps the upstream's type (tag-based masking
matches on it). Across alternatives for one edge they combine with ``max``; along a path with
:func:`transform_along` (the less revealing, except that ``unmasked`` undoes ``masked``).
"""

VALUE_TRANSFORMS: frozenset[str] = frozenset({"aggregation", "expression", "cast", "identity", "unmasked"})
"""Transforms through which the value flows in clear (from a clear upstream)."""


def transform_rank(transform: str) -> int:
    """Return the rank of ``transform`` in :data:`TRANSFORMS`; ``expression``'s for unknown names."""
    try:
        return TRANSFORMS.index(transform)
    except ValueError:
        return 4


def rank_along(outer: int, inner: int) -> int:
    """Combine two steps of a path by rank: ``outer`` applied after ``inner``.

    The less revealing rank, except: ``unmasked`` (7) over ``masked`` (1) gives
    ``unmasked`` (DETOKENIZE of a token is the value); ``unmasked`` with a value-carrying
    step (``aggregation`` 3 and up) or with ``partial`` (2), in either order, stays
    ``unmasked`` (one label cannot say "a fragment of a value that was masked upstream":
    it over-reports a fragment as the value, never the reverse). ``counted`` (0) and
    ranks below 0 (parsing's CONDITION) absorb everything. Associative (tested over every
    triple), so a walk may combine top-down or bottom-up.
    """
    low, high = (outer, inner) if outer <= inner else (inner, outer)
    if high == 7 and (low >= 2 or (low == 1 and outer == 7)):
        return 7
    return low


def transform_along(outer: str, inner: str) -> str:
    """Combine two steps of a path by name (see :func:`rank_along`)."""
    return TRANSFORMS[rank_along(transform_rank(outer), transform_rank(inner))]


@dataclass(frozen=True, slots=True)
class TravelPoint:
    """A Snowflake Time Travel read of one dataset (``AT | BEFORE (...)``, ``CHANGES ... AT``).

    The statement reads ``dataset``'s content at an earlier point, not its current content
    (:mod:`lineage_engine.parsing.time_travel`). Plain strings, so a stored parse result
    keeps them (:mod:`lineage_engine.parse_store`); never query text beyond the point itself.

    Attributes:
        dataset: the dataset id read.
        clause: ``at``, ``before`` or ``changes`` (a ``CHANGES`` clause: the changes since).
        by: ``timestamp``, ``offset``, ``statement``, or ``unknown`` (not understood).
        value: the timestamp literal (ISO 8601, with or without a zone), the offset in
            seconds, or the query id; ``""`` when ``by`` is ``unknown``.
    """

    dataset: str
    clause: str
    by: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class StatementLineage:
    """Lineage of one SQL statement, before temp-table resolution.

    Attributes:
        operation: what the statement does to ``target``.
        target: the dataset written (for RENAME the old name, for SWAP one side); None
            for a statement that writes nothing we track.
        sources: datasets read, deduplicated, in first-seen order; CTE names never appear.
        replaces: the statement supersedes the target's content (closes its earlier
            incoming edges, design §6).
        temporary: the target is session-scoped (TEMPORARY / dbt ``__dbt_tmp``) and must
            never become a graph node.
        counterpart: the new name for RENAME, the other side for SWAP, else None.
        columns: column-level lineage; filled only by ``extract_lineage(columns=True)``,
            sorted by (target, source); empty at table level.
        index: 0-based position of the statement in the query text.
        defined_columns: the target's column names in table order when the statement
            defines them (CTAS, view, ``CREATE TABLE (cols)``, CLONE of a known table);
            empty otherwise and at table level. A crawl learns schemas from them.
        overwrites: column ids of the target whose value the statement replaces in every row
            with values that do not derive from the column's old value (``UPDATE t SET c =
            'x'`` without WHERE): the column's earlier lineage ends there (a column-level
            replace); empty otherwise.
        column_moves: ``(old column id, new column id)`` of the target's columns renamed
            (``ALTER TABLE t RENAME COLUMN a TO b``): ``a``'s lineage moves to ``b``.
        read_points: the sources read at a Time Travel point (``FROM t AT (...)``, ``CLONE t
            BEFORE (...)``), in text order; empty for ordinary reads.
    """

    operation: Operation
    target: DatasetRef | None
    sources: tuple[DatasetRef, ...] = ()
    replaces: bool = False
    temporary: bool = False
    counterpart: DatasetRef | None = None
    columns: tuple[ColumnLineage, ...] = ()
    index: int = 0
    defined_columns: tuple[str, ...] = ()
    overwrites: tuple[str, ...] = ()
    column_moves: tuple[tuple[str, str], ...] = ()
    read_points: tuple[TravelPoint, ...] = ()


@dataclass(frozen=True, slots=True)
class ExtractionResult:
    """What :func:`lineage_engine.parsing.extract.extract_lineage` returns for one text.

    Attributes:
        statements: materializing statements in text order (non-materializing ones, such as
            SELECT or USE, are omitted).
        problems: everything not understood; empty when the whole text was understood.
        confidence: 0.0-1.0; 1.0 when every statement parsed fully and every name was
            qualified.
        fingerprint: stable hex digest of the text with literals redacted and whitespace and
            case normalised; equal fingerprints mean equal lineage (used as a parse cache key).
        redacted_text: the text with every literal replaced by ``?`` and every comment by
            ``/* … */``; safe to store.
        reads: column ids the text read, sorted, deduplicated (column mode only): every
            upstream column of every statement's column edges, DIRECT and INDIRECT (a
            filter reads its column too), a plain SELECT's included (``queries=True``);
            markers as in :class:`ColumnLineage` (``<unresolved>.c``, ``t.*``). Access
            history ("who read which columns") is built from them.
    """

    statements: tuple[StatementLineage, ...]
    problems: tuple[Problem, ...] = ()
    confidence: float = 1.0
    fingerprint: str = ""
    redacted_text: str = ""
    reads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AccessWrite:
    """One object a statement wrote, as ``ACCOUNT_USAGE.ACCESS_HISTORY`` recorded it (issue 3).

    Attributes:
        target: the written dataset (canonical id, as the parser would name it).
        sources: datasets it derives from, deduplicated, in first-seen order.
        columns: column lineage from ``objects_modified[].columns[].directSources``.
    """

    target: DatasetRef
    sources: tuple[DatasetRef, ...] = ()
    columns: tuple[ColumnLineage, ...] = ()


@dataclass(frozen=True, slots=True)
class AccessLineage:
    """Authoritative lineage of one statement from ``ACCOUNT_USAGE.ACCESS_HISTORY``.

    Source: docs.snowflake.com/en/sql-reference/account-usage/access_history (reference §3).
    ``truncated`` is True when Snowflake cut the record (``"TRUNCATED"`` / ``-1`` markers):
    the lineage is then unknown and the statement's parsed lineage is used instead.
    """

    writes: tuple[AccessWrite, ...] = ()
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class AccessReads:
    """What one statement read, as ``ACCOUNT_USAGE.ACCESS_HISTORY`` recorded it (issue 14 §1).

    Source: docs.snowflake.com/en/sql-reference/account-usage/access_history (reference §3):
    ``direct_objects_accessed`` (objects named in the SQL, views stay views) and
    ``base_objects_accessed`` (the underlying tables), each ``{objectDomain, objectName,
    columns: [{columnName}]}``. Both are kept: a read of a view is a read of its base tables.

    Attributes:
        datasets: dataset ids read, sorted.
        columns: column ids read, sorted.
        truncated: Snowflake cut the record; the parsed reads are used instead.
    """

    datasets: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class QueryRecord:
    """One row of query history, in Snowflake ``QUERY_HISTORY`` column shape.

    Source: docs.snowflake.com/en/sql-reference/account-usage/query_history (see
    ``shared/reference/snowflake-query-history.md`` §1). ``query_text`` is sensitive: it
    may hold PII in literals; never log or store it.

    Attributes:
        start_time, end_time: timezone-aware UTC.
        session_id: Snowflake SESSION_ID as text; None when the export lacks it.
        position: where the row came from, for messages and quarantine (``file:line``).
        access_lineage: the statement's ACCESS_HISTORY lineage when the source was asked
            for it and Snowflake has a record (issue 3); None otherwise.
        cursor: file sources: where reading resumes after this row (see ``Watermark``).
        access_reads: the statement's ACCESS_HISTORY reads (issue 14) when the source has
            them; None otherwise.
    """

    query_id: str
    query_text: str
    query_type: str
    start_time: datetime
    end_time: datetime
    execution_status: str = "SUCCESS"
    database_name: str | None = None
    schema_name: str | None = None
    session_id: str | None = None
    user_name: str | None = None
    role_name: str | None = None
    warehouse_name: str | None = None
    query_tag: str | None = None
    query_parameterized_hash: str | None = None
    position: str = ""
    access_lineage: AccessLineage | None = None
    cursor: SourceCursor | None = None
    access_reads: AccessReads | None = None


@dataclass(frozen=True, slots=True)
class LineageEvent:
    """One change to dataset lineage at one instant, after temp-table resolution.

    The graph store folds events, in order, into temporal ``DERIVES_FROM`` edges
    (design §6). Temporary objects never appear here: their upstreams are already
    substituted and their ids listed in ``via``.

    Attributes:
        at: when the change took effect (the statement's end_time, UTC).
        query_id, query_type: the statement that caused it.
        operation: see :class:`Operation`.
        target: the dataset changed (for RENAME the old name).
        sources: resolved upstream datasets (never temporary; ``target`` itself when the
            statement read it: the graph then keeps its old upstreams, see ``graph.intervals``).
        replaces: close the target's earlier incoming edges not re-derived here (TRUNCATE:
            all of them), unless ``sources`` include the target itself.
        counterpart: RENAME's new name or SWAP's other side.
        via: ids of temporary objects collapsed into these edges, sorted.
        columns: resolved column lineage (issue 5): sources never in a temporary object
            (composed through it, see :mod:`lineage_engine.parsing.column_compose`).
        provenance: how the sources were obtained: ``parsed`` (from the query text) or
            ``access_history`` (from Snowflake's ACCESS_HISTORY, which wins; issue 3).
        via_roles: when ``via`` is not empty, the roles (upper case, "" unknown) of this
            statement and of the statements that wrote those temporary objects, sorted: a
            masked column read into a temp by one role and copied out by another holds what
            the first role saw (:mod:`lineage_engine.governance`).
        via_since: when ``via`` is not empty and the temporary objects were written before
            this statement, the earliest of those writes: the data it copies was read from its
            sources then (a temp filled before a masking policy existed holds clear values),
            so its column edges are first seen then (:mod:`lineage_engine.graph.intervals`).
        overwrites: column ids of ``target`` overwritten in every row (see
            :attr:`StatementLineage.overwrites`): their open incoming column edges that this
            event does not re-derive close at ``at`` (applied in END_TIME order; a late event's
            overwrite closes nothing: a superset).
        column_moves: ``(old, new)`` column ids of ``target`` renamed (see
            :attr:`StatementLineage.column_moves`): the open edges into ``old`` close at ``at``
            and the same upstreams open into ``new`` (in END_TIME order; a late rename only adds
            its in-table edge ``new <- old``: a superset).
        read_points: ``(source dataset id, instant)`` for sources read at a Time Travel point
            (:mod:`lineage_engine.parsing.time_travel`): the edges from that source copy its
            content at that instant, not at ``at``; their ``first_seen`` is moved back to it
            (:mod:`lineage_engine.graph.intervals`). A point not understood or not known is
            :data:`~lineage_engine.parsing.time_travel.ANY_EARLIER` (the widest window).
    """

    at: datetime
    query_id: str
    query_type: str
    operation: Operation
    target: DatasetRef
    sources: tuple[DatasetRef, ...] = ()
    replaces: bool = False
    counterpart: DatasetRef | None = None
    via: tuple[str, ...] = ()
    columns: tuple[ColumnLineage, ...] = ()
    provenance: str = "parsed"
    via_roles: tuple[str, ...] = ()
    via_since: datetime | None = None
    overwrites: tuple[str, ...] = ()
    column_moves: tuple[tuple[str, str], ...] = ()
    read_points: tuple[tuple[str, datetime], ...] = ()


@dataclass(frozen=True, slots=True)
class EdgeRow:
    """A ``DERIVES_FROM`` interval as read back from the graph, between datasets or columns.

    One row per validity interval: an edge that closed and later reopened is two rows.
    ``valid_to`` is None while the edge is current. ``provenance`` tells how the lineage of
    ``last_query_id`` was obtained: ``parsed`` or ``access_history`` (issue 3). On column
    edges (ids ``db.schema.table.column``) ``transform`` is one of :data:`TRANSFORMS` and
    ``kind`` is ``DIRECT`` | ``INDIRECT``; both are empty on dataset edges.
    """

    downstream: str
    upstream: str
    valid_from: datetime
    valid_to: datetime | None
    first_seen: datetime
    last_seen: datetime
    observations: int
    last_query_id: str
    query_type: str
    via: tuple[str, ...] = ()
    provenance: str = "parsed"
    transform: str = ""
    kind: str = ""


@dataclass(frozen=True, slots=True)
class MergeReport:
    """What one :meth:`GraphStore.apply_events` call changed.

    ``edges_created`` counts new dataset-edge intervals, ``edges_closed`` intervals given a
    valid_to, ``edges_updated`` existing open intervals re-observed; the ``column_edges_*``
    counts are the same for column edges. Events at or before the last event already applied
    to their dataset are *late* (a replay after a crash or ``--reset-watermark``, or a row out
    of ``END_TIME`` order; see the README): ``events_skipped`` counts those that changed
    nothing (already in the graph), ``events_late`` those merged into the past, and
    ``events_inexact`` those that could not be applied exactly (edges they would have closed
    were kept: a superset).
    """

    datasets_created: int = 0
    edges_created: int = 0
    edges_updated: int = 0
    edges_closed: int = 0
    column_edges_created: int = 0
    column_edges_updated: int = 0
    column_edges_closed: int = 0
    events_skipped: int = 0
    events_late: int = 0
    events_inexact: int = 0

    def __add__(self, other: MergeReport) -> MergeReport:
        """Return the field-by-field sum (what two batches changed together)."""
        return MergeReport(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True, slots=True)
class GraphCounts:
    """Node and relationship totals, for idempotency checks and reports."""

    datasets: int
    columns: int
    dataset_edges: int
    column_edges: int


CLASSIFICATION_LEVELS: tuple[str, ...] = ("public", "internal", "confidential", "restricted")
"""Registry classifications, least to most sensitive (design §8)."""


@dataclass(frozen=True, slots=True)
class Asset:
    """A classification-registry entry for a dataset or a column (design §8).

    Attributes:
        catalog_path: lower-case ``db.schema.table`` or ``db.schema.table.column``.
        asset_type: ``dataset`` | ``column``.
        classification: one of :data:`CLASSIFICATION_LEVELS`.
        regulatory_tags: e.g. ``("pii", "gdpr")``, lower-case, sorted.
        steward: person or team responsible; None when unassigned.
        masking_policy: name of the masking policy protecting it; None or ``NONE`` = unmasked.
        reviewed_at: last classification review (UTC), None when never reviewed.
    """

    catalog_path: str
    asset_type: str = "dataset"
    classification: str = "internal"
    regulatory_tags: tuple[str, ...] = ()
    steward: str | None = None
    masking_policy: str | None = None
    reviewed_at: datetime | None = None

    @property
    def is_masked(self) -> bool:
        """Return True when a masking policy other than ``NONE`` protects the asset."""
        return bool(self.masking_policy) and self.masking_policy.upper() != "NONE"


@dataclass(frozen=True, slots=True)
class ExposurePath:
    """A downstream walk from a sensitive origin to an unmasked dataset or column (design §7).

    Attributes:
        origin, terminal: dataset or column ids (a column origin's table-level path ends at
            a dataset).
        path: ids from terminal to origin, following DERIVES_FROM (downstream first).
        hops: number of lineage edges on the path.
        regulatory_tags, classification: of the origin.
        severity: from ``compliance.risk_thresholds`` (``HIGH`` | ``MEDIUM`` | ``LOW``).
        level: ``column`` when the origin column's value was followed column by column to
            the terminal column; ``table`` for a dataset origin, or when column lineage was
            unknown on a hop (see :mod:`lineage_engine.exposure.column_walk`).
        steward: the origin's steward, None when missing.
        unmasked_to: set when the terminal is masked now: the instant its masking policy
            began; the path was an exposure only before it (a closed window, issue 10 §2).
        unmasked_from: the earliest instant the data can have reached the terminal (None:
            unknown) — with ``unmasked_to``, "unmasked from T1 to T2".
        note: why the path is an exposure where that is not plain (a copy under a masking
            policy whose body or copying role is unknown, a copy made before the policy).
        exposure: ``full`` (the value reaches the terminal) or ``partial`` (only a
            fragment: ``RIGHT(ssn, 4)``; rated lower, issue 10).
        kind: the finding it makes (issue 14): ``exposure``; ``egress`` (the terminal is outside
            the account: a stage, URL, outbound share or external function); ``boundary`` (the
            terminal crosses the ``compliance.boundaries`` rule named in ``rule``).
        rule: the boundary rule's name ("" for the other kinds).
    """

    origin: str
    terminal: str
    path: tuple[str, ...]
    hops: int
    regulatory_tags: tuple[str, ...]
    classification: str
    severity: str
    level: str = "table"
    steward: str | None = None
    unmasked_from: datetime | None = None
    unmasked_to: datetime | None = None
    note: str = ""
    exposure: str = "full"
    kind: str = "exposure"
    rule: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Return ``(kind, rule, origin, terminal)``: the finding this path is (one per key)."""
        return (self.kind, self.rule, self.origin, self.terminal)

    @property
    def closed(self) -> bool:
        """Return True for a closed window: exposed until a masking policy came, not now."""
        return self.unmasked_to is not None


@dataclass(frozen=True, slots=True)
class Finding:
    """An exposure path the service tracks over time (one per origin and terminal).

    ``status`` is ``open``, ``accepted`` (open, but not alerted until ``accepted_until``
    passes; None: until reopened by hand) or ``resolved``. ``explanation`` (issue 10 §6):
    ``hops`` (origin first, each with its transform and statement) and ``opened_by`` (query
    id, user, role and time of the statement that put the data into the terminal).
    ``exposure``: ``full`` (the origin's value reaches the terminal) or ``partial`` (only a
    fragment, ``RIGHT(phone, 4)``: rated lower).
    """

    id: int
    origin: str
    terminal: str
    severity: str
    status: str  # open | accepted | resolved
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None = None
    path: tuple[str, ...] = ()
    regulatory_tags: tuple[str, ...] = ()
    level: str = "table"
    steward: str | None = None
    unmasked_from: datetime | None = None
    unmasked_to: datetime | None = None
    note: str | None = None
    exposure: str = "full"
    explanation: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    accepted_until: datetime | None = None
    accepted_by: str | None = None
    accepted_reason: str | None = None
    kind: str = "exposure"  # exposure | egress | boundary (issue 14)
    rule: str = ""  # the boundary rule of a boundary finding

    def window(self) -> str:
        """Return "unmasked from T1 to T2" for a finding closed by a masking policy, else ""."""
        if self.unmasked_to is None:
            return ""
        start = _iso(self.unmasked_from) if self.unmasked_from is not None else "an unknown time"
        return f"unmasked from {start} to {_iso(self.unmasked_to)}"


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Statement:
    """Who ran a statement that changed lineage, and when (never its text).

    Attributes:
        query_id, query_type: as in the query history.
        user_name, role_name: ``USER_NAME`` / ``ROLE_NAME`` of the history row (None if absent).
        end_time: the statement's end time, aware UTC.
    """

    query_id: str
    query_type: str
    user_name: str | None
    role_name: str | None
    end_time: datetime


@dataclass(frozen=True, slots=True)
class SourceCursor:
    """Where a file source resumes right after one row (not stored as such).

    Attributes:
        offset: byte offset in the file just after the row's last line (its newline).
        line: number of the row's last physical line (1-based); the next row starts after it.
    """

    offset: int
    line: int


@dataclass(frozen=True, slots=True)
class Watermark:
    """The last query-history position fully merged into the graph, per source.

    Keyset sources (Snowflake) resume after ``(end_time, query_id)``; ``end_time`` is UTC.
    File sources resume at ``position``, a JSON-able mapping the source made with its
    ``checkpoint`` (byte offset, line and a fingerprint of the bytes before the offset):
    rows are taken in file order whatever their times, so a row dated in the future or out
    of order cannot hide the rows after it. ``end_time`` / ``query_id`` then describe the
    last row read (None / ``""`` while only unreadable rows were read).
    """

    source: str
    end_time: datetime | None
    query_id: str
    rows_total: int = 0
    position: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A statement or row that could not be processed, with its reason (never raw text).

    Attributes:
        source: query-history source key.
        query_id: Snowflake query id, or None when the row itself was unreadable.
        position: ``file:line`` or another locator.
        reason_code: ``malformed_row`` (the source could not read the row; the reason
            names the field) | ``end_time_in_future`` | ``too_large`` | ``timeout`` |
            ``parse_error`` | ``truncated`` | ``unsupported`` | ``internal_error`` (an
            unexpected exception on this row; the reason names its type, never its text).
        reason: description without query text.
        fingerprint: fingerprint of the redacted text, when there was text.
        redacted_text: the text with literals redacted, capped at 4,000 characters.
        seen_at: UTC.
        cursor: file sources, for a row the source itself could not read: where reading
            resumes after it (not stored; the crawl commits it with the watermark).
    """

    source: str
    query_id: str | None
    position: str
    reason_code: str
    reason: str
    fingerprint: str | None = None
    redacted_text: str | None = None
    seen_at: datetime | None = None
    cursor: SourceCursor | None = None


@dataclass(frozen=True, slots=True)
class TraceParam:
    """One declared parameter of a saved trace: ``// params: $name (type, doc)``."""

    name: str
    type: str  # string | int | datetime | list
    doc: str = ""
    default: object = None


@dataclass(frozen=True, slots=True)
class SavedTrace:
    """A saved Cypher trace from ``cypher/NAME.cypher`` with its parsed header.

    Attributes:
        name: file stem, e.g. ``unmasked_pii_paths``.
        text: the Cypher text (portable, design §4), comments included.
        description: first header comment line.
        params: declared parameters, in header order.
        returns: the header's ``returns:`` line.
    """

    name: str
    text: str
    description: str = ""
    params: tuple[TraceParam, ...] = ()
    returns: str = ""


ADDED_COLUMN_TYPE = "added"
"""The ``key`` of a ``data_type`` fact stated by ``ALTER TABLE … ADD COLUMN`` of a name Snowflake stores in
upper case (unquoted, or quoted upper case): the table may already hold a quoted column of another case
(``"Dob"``) that folds to the same column id, so the scan takes the type as known only where it can tell
that the id held no column before (:class:`~lineage_engine.exposure.masking.MaskingView`; review s16 T4)."""

COLUMN_DROPPED = "column_dropped"
"""The ``fact`` of a :class:`~lineage_engine.parsing.policies.PolicyChange` stated by ``ALTER TABLE … DROP COLUMN``
(value None): never stored as a fact; the crawl ends every warehouse fact of the column id (tags, policies,
types: Snowflake removes them with the column) as of the drop (:mod:`lineage_engine.governance`; review s18)."""


@dataclass(frozen=True, slots=True)
class RegistryFact:
    """One dated registry fact about a dataset or column (issue 10 §2).

    Attributes:
        catalog_path: lower-case dataset or column id; it may name an object the graph has
            not seen yet (a policy set before the first crawl of its table).
        fact: ``classification`` | ``regulatory_tags`` | ``steward`` | ``masking_policy`` |
            ``tag`` | ``row_access_policy`` | ``tag_masking_policy`` | ``data_type`` (a column's
            type family, from ``CREATE TABLE``/``ALTER TABLE`` in the query history).
        value: text, a tuple of tags (``regulatory_tags``), or None for "explicitly none"
            (an ``UNSET``, or an import that cleared the field).
        valid_from, valid_to: the interval ``[valid_from, valid_to)`` the fact held, aware UTC;
            ``valid_to`` None while it holds.
        origin: ``import`` (classification file), ``query_history`` (an ``ALTER … SET``
            statement), ``policy_references`` / ``tag_references`` (Snowflake ACCOUNT_USAGE).
        key: the tag name of a ``tag`` fact (``governance.pii_type``); :data:`ADDED_COLUMN_TYPE` for a
            ``data_type`` stated by an ``ADD COLUMN`` that may fold onto another column; empty otherwise.
        query_id: the statement that stated it, for query-history facts.
    """

    catalog_path: str
    fact: str
    value: Any
    valid_from: datetime
    valid_to: datetime | None = None
    origin: str = "import"
    key: str = ""
    query_id: str | None = None

    def holds_at(self, at: datetime) -> bool:
        """Return True when ``at`` (aware) lies in ``[valid_from, valid_to)``."""
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)


@dataclass(frozen=True, slots=True)
class MaskingPolicyBody:
    """What is understood of a masking policy's body (``CREATE MASKING POLICY``), with time.

    Attributes:
        name: lower-case policy name, qualified with the creating session's database and schema
            (``db.gov.email_mask``; bodies stored before review s12, and statements without
            session defaults, keep fewer parts). Looked up by its last part.
        understood: True when the body is ``CASE WHEN CURRENT_ROLE() IN (...) THEN val
            ELSE … END`` (or the ``IS_ROLE_IN_SESSION`` form); False otherwise.
        clear_roles: upper-case roles the policy lets read the value in clear, sorted.
        valid_from, valid_to: when this body held (aware UTC; None while it holds).
        query_id: the statement that created it.
        by_invoker: True when the body calls ``INVOKER_ROLE``/``IS_GRANTED_TO_INVOKER_ROLE``:
            read through a view, the view owner's role decides (Snowflake "INVOKER_ROLE").
        data_type: the family of the signature's first argument (``VARCHAR``, ``NUMBER``, …:
            :func:`~lineage_engine.parsing.data_types.type_family`), None when not stated (``SET
            BODY``, a body stored before migration 0016): a tag's policy masks only columns of it.
        if_absent: ``CREATE MASKING POLICY IF NOT EXISTS``: stored only where no body of that name
            holds at ``valid_from`` (on an existing policy the statement is a no-op: review s15 T2).
    """

    name: str
    understood: bool
    clear_roles: tuple[str, ...]
    valid_from: datetime
    valid_to: datetime | None = None
    query_id: str | None = None
    by_invoker: bool = False
    data_type: str | None = None
    if_absent: bool = False


@dataclass(frozen=True, slots=True)
class ColumnRead:
    """A copy out of a column with a masking policy: who copied it, when (issue 10 §3)."""

    downstream: str
    upstream: str
    at: datetime
    query_id: str
    role_name: str | None = None
