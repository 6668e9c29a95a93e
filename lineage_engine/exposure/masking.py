"""Masking policies with time: when a column is masked, and what a copy out of it holds (issue 10 §2-3).

Pure: stdlib and :mod:`lineage_engine.model` only. Inputs come from the registry: every
``masking_policy`` fact interval (imports, query history, ACCOUNT_USAGE), the masking
policy bodies (``CREATE MASKING POLICY``: the roles that see clear text) and the recorded
copies out of masked columns (:class:`~lineage_engine.model.ColumnRead`: who copied, when).

Rules (Snowflake applies a masking policy when a column is *read*, by anyone, through any
query or view; its docs: "Understanding Column-level Security"):

1. **Masked at t**: a column is masked at instant t when a masking policy holds on it or on
   its dataset at t. Several origins of facts: the newest statement holding at t wins (as
   :mod:`lineage_engine.registry.facts`), ``None``/``NONE`` meaning unmasked.
2. **Views enforce the base column's policy**: a view column is masked at t when every
   column it shows (its DIRECT upstream columns through live view edges) is masked at t;
   its policies are theirs. (One clear input keeps the view column clear: never under-report.)
3. **A copy holds what the copying role saw** (:meth:`MaskingView.judge_copy`): a copy
   edge out of a column carries the value in clear when some copy ran while the column was
   unmasked (before its policy existed, or after it was unset); when every copy ran under a
   policy, it carries clear text only when one copy's role is allowed clear text by the
   policy body of that time, or when that cannot be told: the body is unknown or not
   understood, or the role is unknown (an exposure with the reason said, over-report; a ``CLONE``
   records no role: it copies the stored values, with the policy); an
   interval observed by more statements than were recorded with their role (copies crawled
   before the policy was known: a row read late, a later import) counts as copied by an unknown
   role. Otherwise the copy holds masked values (not an exposure, the edge is not followed).
4. **A masked terminal was exposed until its policy came**: a column that holds origin data
   and is masked at T was readable in clear from the instant the data arrived until the
   start of the masked span holding at T: the finding is resolved and says "unmasked from
   T1 to T2". Data that arrived after the policy was never readable in clear.
5. **Tag-based masking** (Snowflake's "Tag-based masking policies" page): a column (or every
   column of a table) that carries tag ``t`` is masked by ``p`` while ``t`` carries ``p``
   (``ALTER TAG t SET MASKING POLICY p``), from the later of the two facts' starts on
   (:func:`tag_masking_spans`). A policy assigned to the column (or its dataset) directly wins
   over a tag's: its body decides what a copy holds. Tags match on their last name part.
6. **A tag's policy masks only columns of its data type** (same page: "When the data type in
   the masking policy signature and the data type of the column match, the tagged column is
   automatically protected"; a tag holds one policy per data type). A column's type at t is
   its ``data_type`` fact (``CREATE TABLE``, ``ALTER TABLE … ADD COLUMN | SET DATA TYPE``, or the
   ``ACCOUNT_USAGE.COLUMNS`` type of a tagged table's column read by ``telemetry.sync_policies``), else,
   for a column created by copying one column unchanged (an ``identity`` edge of a CTAS or a
   ``CREATE VIEW``: :data:`CREATING_QUERY_TYPES`, made by t; kept by a ``RENAME`` or ``SWAP``:
   :func:`type_copies`; not through a temporary object), that column's type when the copy was
   made (a view's: at t); the history's type and the synced one disagreeing: not known
   (:meth:`MaskingView.column_type`); an ``ADD COLUMN``'s type where the id may hold a second column
   (a quoted ``"Dob"`` beside ``DOB``) or the table was not created in the history: not known
   (:meth:`MaskingView._added_types`). A policy's is the type of its signature's first argument
   (``CREATE MASKING POLICY p AS (val string)``). Types compare by family
   (:mod:`lineage_engine.parsing.data_types`). When either type is not known the tag's policy is
   not taken to mask the column (an over-report) and :meth:`MaskingView.doubt` says why; a dataset
   as a whole is never masked by a tag (its columns of other types are not). A cast on the way
   (anywhere in the statement: a CTE, a subquery, ``*``) or a set operation's column that is not a
   bare column in every branch makes a ``cast`` edge, not ``identity`` (the value is kept, the type
   is not: review s15 T1, T3): no copy type; the cast's type may be a ``data_type`` fact of its own
   (:mod:`lineage_engine.parsing.policies`, named columns of the outermost ``SELECT``). A ``TIMESTAMP`` column or signature is ``?`` unless its mapping was known
   at the crawl (``compliance.timestamp_type_mapping``; :mod:`lineage_engine.parsing.data_types`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from dataclasses import dataclass
from datetime import datetime, timedelta

from lineage_engine.model import ADDED_COLUMN_TYPE, ColumnRead, EdgeRow, MaskingPolicyBody, RegistryFact, dataset_of, is_part_of, split_id

_ORIGIN_RANK = {"import": 0, "columns": 1, "tag_references": 2, "policy_references": 3, "query_history": 4}


@dataclass(frozen=True, slots=True)
class Span:
    """``[start, end)`` during which ``policy`` masked an id (``end`` None: still)."""

    start: datetime
    end: datetime | None
    policy: str

    def holds(self, at: datetime) -> bool:
        """Return True when ``at`` lies in the span."""
        return self.start <= at and (self.end is None or at < self.end)


def _unmasked(value: object) -> bool:
    return value is None or not str(value).strip() or str(value).strip().upper() == "NONE"


def masking_spans(facts: Iterable[RegistryFact]) -> dict[str, list[Span]]:
    """Return id -> masked spans (oldest first) from ``masking_policy`` fact intervals of any origin.

    At each instant the fact with the newest ``valid_from`` holding then wins (ties: the
    warehouse over the file); a winning None/``NONE`` is unmasked.
    """
    by_path: dict[str, list[RegistryFact]] = defaultdict(list)
    for fact in facts:
        if fact.fact == "masking_policy" and not fact.key:
            by_path[fact.catalog_path].append(fact)
    out: dict[str, list[Span]] = {}
    for path, rows in by_path.items():
        spans = [Span(start, end, str(value).strip().lower()) for start, end, value in _timeline(rows, _unmasked)]
        if spans:
            out[path] = spans
    return out


TypeSpans = Mapping[str, list[tuple[Any, ...]]]
"""Column id -> ``(start, end, type family[, origin])`` intervals (:func:`data_type_spans`; one
timeline per origin, so intervals of two origins may overlap; no origin: ``query_history``)."""

CREATING_QUERY_TYPES = frozenset({"CREATE_TABLE_AS_SELECT", "CREATE_VIEW", "CREATE_MATERIALIZED_VIEW", "CREATE_TABLE",
                                  "CREATE_DYNAMIC_TABLE", "CREATE_ICEBERG_TABLE"})
"""Snowflake ``QUERY_TYPE``s of statements that create the columns they fill: a column created by
copying one column unchanged takes its type (an ``INSERT`` fills a column whose type was set before,
and may cast)."""

LIVE_QUERY_TYPES = frozenset({"CREATE_VIEW", "CREATE_MATERIALIZED_VIEW"})
"""Creating statements whose columns are their upstreams' at every instant (a view is not stored:
its column has the type its base column has now), not when the statement ran."""

TypeCopies = Mapping[str, list[tuple[Any, ...]]]
"""Column id -> ``(valid_from, valid_to, made, upstream column[, live])`` of its ``identity`` copy
intervals: a column copied unchanged has its upstream's type (rule 6), as it was when the copy was
made (``made``: the instants, oldest first, of the creating statements that made it within the
interval; a single datetime is one instant), or, ``live`` (a view), as it is at the instant asked."""


def _made_by(copy: tuple[Any, ...], at: datetime) -> datetime | None:
    """Return when the creating statement that gave ``copy`` (a :data:`TypeCopies` tuple) its type
    by ``at`` ran (the latest by then), None when none had by then."""
    made = copy[2] if isinstance(copy[2], tuple) else (copy[2],)
    return max((m for m in made if m <= at), default=None)


def _moves(query_type: str) -> bool:
    """Return True for the ``QUERY_TYPE`` of a statement that renames or swaps a table (the
    interval it opens is a moved one): ``RENAME_TABLE``, ``ALTER_TABLE`` (… RENAME TO, SWAP WITH),
    a container ``RENAME``; never a data-moving type such as ``INSERT``."""
    upper = query_type.upper()
    return "RENAME" in upper or "SWAP" in upper or upper.startswith("ALTER")


def type_copies(column_rows: Iterable[EdgeRow],
                recreated: Mapping[str, Sequence[datetime]] | None = None,
                moves: Sequence[tuple[str, str, datetime, bool]] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Return the :data:`TypeCopies` of ``column_rows`` (column edge intervals): the ``DIRECT``
    ``identity`` intervals (not ``cast``: a cast or set operation on the way changed the type) a
    creating statement made (:data:`CREATING_QUERY_TYPES`, or opened the instant their dataset was
    created: ``recreated``, dataset id -> the instants a ``CREATE [OR REPLACE]``, CTAS or view
    statement (re)created it, the registry's ``object_changes``), and those a ``RENAME`` or ``SWAP``
    moved from one of them (the moved column is the same column: an interval opened by a renaming
    statement (:func:`_moves`) into another dataset's column of the same name, with the same
    upstream, where such a copy ended the instant it began). An ``INSERT``'s interval, moved or not,
    is not one; nor is an interval through a temporary object (``via``: the temp's
    column has a type of its own, and an ``INSERT`` into it may have cast).

    An interval opened by a CTAS and filled again by an ``INSERT`` or ``MERGE`` of the same column
    (a dbt incremental model) keeps the CTAS's type: the interval's last statement is then the
    ``INSERT``, which changes no type (review s14 R4, an over-report). Its type is its upstream's
    when the latest creating statement within the interval ran (a replace that re-derives the
    column keeps the interval open); a replace that does not re-derive it ends the interval.

    ``moves``: the recorded renames and swaps ``(source, target, at, container)`` (a swap both
    ways). When given, a moved interval continues only a copy of the dataset the move came from:
    an unrelated table's copy of the same column that ended the same instant is not it (review s15
    T6: a second-precision coincidence typed a renamed table from another table's CTAS)."""
    recreated = recreated or {}
    moved_from: dict[tuple[str, datetime], set[str]] | None = None
    if moves is not None:
        moved_from = defaultdict(set)
        for source, target, at, _container in moves:
            moved_from[(target, at)].add(source)

    def came_from(row: EdgeRow, earlier: EdgeRow) -> bool:  # the move into row's dataset came from earlier's
        if moved_from is None:
            return True
        dataset, before = dataset_of(row.downstream), dataset_of(earlier.downstream)
        if before in moved_from.get((dataset, row.valid_from), ()):
            return True
        parts, old = dataset.split("."), before.split(".")
        # a schema or database moved: the same table name under the container it came from
        return len(parts) == len(old) == 3 and parts[2] == old[2] and (
            (parts[1] == old[1] and old[0] in moved_from.get((parts[0], row.valid_from), ()))
            or ".".join(old[:2]) in moved_from.get((".".join(parts[:2]), row.valid_from), ()))
    identity = [r for r in column_rows if r.kind == "DIRECT" and r.transform == "identity" and not r.via]

    def created(row: EdgeRow) -> list[datetime]:  # the instants creating statements ran inside the interval
        return [t for t in recreated.get(dataset_of(row.downstream), ())
                if row.valid_from <= t and (row.valid_to is None or t < row.valid_to)]

    def opened_by_create(row: EdgeRow) -> bool:
        return row.valid_from in recreated.get(dataset_of(row.downstream), ())
    ended: dict[tuple[str, str, datetime], list[EdgeRow]] = defaultdict(list)
    for row in identity:
        if row.valid_to is not None:
            ended[(row.upstream, row.downstream.rsplit(".", 1)[-1], row.valid_to)].append(row)

    def creating(row: EdgeRow, seen: frozenset[int]) -> bool:
        if row.query_type.upper() in CREATING_QUERY_TYPES or opened_by_create(row):
            return True
        if not _moves(row.query_type):
            return False
        before = [r for r in ended.get((row.upstream, row.downstream.rsplit(".", 1)[-1], row.valid_from), ())
                  if dataset_of(r.downstream) != dataset_of(row.downstream) and id(r) not in seen
                  and came_from(row, r)]
        return any(creating(r, seen | {id(row)}) for r in before)

    def live(row: EdgeRow) -> bool:  # a view's column, or one moved from a view's
        if row.query_type.upper() in LIVE_QUERY_TYPES:
            return True
        before = ended.get((row.upstream, row.downstream.rsplit(".", 1)[-1], row.valid_from), ())
        return _moves(row.query_type) and any(r.query_type.upper() in LIVE_QUERY_TYPES and came_from(row, r)
                                              for r in before)

    out: dict[str, list[tuple[Any, ...]]] = {}
    for row in identity:
        if creating(row, frozenset()):
            made = set(created(row))
            if row.query_type.upper() in CREATING_QUERY_TYPES or not made:  # its last statement, or a move
                made.add(row.last_seen)
            out.setdefault(row.downstream, []).append(
                (row.valid_from, row.valid_to, tuple(sorted(made)), row.upstream, live(row)))
    return out


def swapped_copies(copies: TypeCopies, column_rows: Iterable[EdgeRow],
                   moves: Sequence[tuple[str, str, datetime, bool]]) -> dict[str, list[tuple[Any, ...]]]:
    """Return ``copies`` (:func:`type_copies`) with the copy intervals a ``SWAP`` went through split at it.

    Snowflake "ALTER TABLE … SWAP WITH" (and "ALTER SCHEMA … SWAP WITH") exchanges the two objects'
    contents and metadata in one statement: from then on a name holds the other side's column. When
    both sides held a copy of the same upstream column under one name, the column lineage keeps each
    interval open across the swap (the same edge before and after), so :func:`type_copies` would go on
    typing ``a``'s column from ``a``'s own CTAS while it holds ``b``'s rows (review s16, a false
    negative: ``b``'s column may be VARIANT). Here each interval of ``column_rows`` (the ``DIRECT``
    ``identity`` ones) holding across a move into its dataset (``moves``: ``(source, target, at,
    container)``, a swap both ways, as :func:`type_copies` takes them) gets, from the move on, the
    type the source side's copy had just before it (its creating instants by then), and the creating
    instants of its own dataset after it; when the source side's copy was not typed, none until such
    an instant (not known: an over-report, never under). Moves are applied in time order, so two
    swaps give the type back. Returns a new mapping (column id -> :data:`TypeCopies` tuples, oldest
    first); ``copies`` is not changed."""
    out: dict[str, list[tuple[Any, ...]]] = {k: sorted(v, key=lambda c: c[0]) for k, v in copies.items()}
    spanning = [r for r in column_rows if r.kind == "DIRECT" and r.transform == "identity" and not r.via]
    by_instant: dict[datetime, list[tuple[str, str, bool]]] = defaultdict(list)
    for source, target, at, container in moves:
        by_instant[at].append((source, target, container))
    for at in sorted(by_instant):
        before = {k: list(v) for k, v in out.items()}  # both sides of a swap read the state before it
        for source, target, container in by_instant[at]:
            for row in spanning:
                if not (row.valid_from < at and (row.valid_to is None or at < row.valid_to)):
                    continue
                dataset = dataset_of(row.downstream)
                if not is_part_of(dataset, target, container):
                    continue
                name = row.downstream.rsplit(".", 1)[-1]
                moved_from = source + dataset[len(target):] + "." + name
                given = next((c for c in before.get(moved_from, ()) if c[3] == row.upstream and c[0] < at
                              and (c[1] is None or at <= c[1])), None)
                kept = [c for c in out.get(row.downstream, ()) if not (c[3] == row.upstream and c[0] < at
                                                                       and (c[1] is None or at < c[1]))]
                own = next((c for c in out.get(row.downstream, ()) if c[3] == row.upstream and c[0] < at
                            and (c[1] is None or at < c[1])), None)
                ahead = tuple(m for m in _made(own) if m <= at)
                if own is not None and ahead:  # its own type up to the move
                    kept.append((own[0], at, ahead, *own[3:]))
                made = tuple(sorted({m for m in _made(given) if m <= at} | {m for m in _made(own) if m > at}))
                if made:
                    side = given if given is not None else own
                    kept.append((at, row.valid_to, made, row.upstream, bool(side is not None and len(side) > 4
                                                                           and side[4])))
                out[row.downstream] = sorted(kept, key=lambda c: c[0])
    return {k: v for k, v in out.items() if v}


def travelled_copies(copies: TypeCopies, column_rows: Iterable[EdgeRow]) -> dict[str, list[tuple[Any, ...]]]:
    """Return ``copies`` (:func:`type_copies`) with a copy that read its upstream at an earlier point
    typed from that point.

    Snowflake "AT | BEFORE" and "CREATE TABLE … AS SELECT": ``create table k as select c from a at
    (offset => -60)`` creates ``k.c`` from ``a.c`` as it was 60 seconds earlier, with that column's type
    then (a column dropped and re-added with another type since). The column lineage keeps the point
    as the interval's ``first_seen`` (:mod:`lineage_engine.parsing.time_travel`; a restore keeps the
    first derivation the same way); the interval opened by that statement is typed from its upstream
    at ``first_seen`` instead of at the statement (later creating statements within it keep theirs). A
    point not known is the epoch: no type is known then, so the column counts as unmasked (review s15
    T5: the type of the upstream's current column masked the copy, a false negative). Returns a new
    mapping; ``copies`` is not changed."""
    opened = {(r.downstream, r.upstream, r.valid_from): r.first_seen for r in column_rows
              if r.kind == "DIRECT" and r.transform == "identity" and not r.via and r.first_seen < r.valid_from}
    if not opened:
        return {k: list(v) for k, v in copies.items()}
    out: dict[str, list[tuple[Any, ...]]] = {}
    for column, intervals in copies.items():
        out[column] = []
        for c in intervals:
            read = opened.get((column, c[3], c[0]))
            if read is not None and not (len(c) > 4 and c[4]):  # a view is live: read when asked
                later = tuple(m for m in _made(c) if m > c[0])
                c = (c[0], c[1], (read, *later), *c[3:])
            out[column].append(c)
    return out


def _made(copy: tuple[Any, ...] | None) -> tuple[datetime, ...]:
    """Return the creating instants of a :data:`TypeCopies` tuple (``made``: one datetime or a tuple)."""
    if copy is None:
        return ()
    return copy[2] if isinstance(copy[2], tuple) else (copy[2],)


def data_type_spans(facts: Iterable[RegistryFact]) -> dict[str, list[tuple[Any, ...]]]:
    """Return column id -> its type family over time from ``data_type`` fact intervals: one
    timeline per origin (the newest statement holding at each instant wins, as
    :func:`masking_spans`), ``(start, end, family, origin[, added])``; origin ``policy_references``: a
    masking policy's signature type, on the policy's id (``MASKING_POLICIES``). The query history's and
    ``ACCOUNT_USAGE.COLUMNS``' are kept apart: the view lags up to 90 minutes, so a sync may state a
    replaced table's old type after the replace (:meth:`MaskingView.column_type` takes a
    disagreement as not known). ``added``: the instant of the ``ADD COLUMN`` that stated the type (a
    fact of key :data:`~lineage_engine.model.ADDED_COLUMN_TYPE`, one timeline with the query history's
    others): :class:`MaskingView` takes it as known only where the id held no other column then."""
    by_path: dict[tuple[str, str], list[RegistryFact]] = defaultdict(list)
    for fact in facts:
        if fact.fact == "data_type" and fact.key in ("", ADDED_COLUMN_TYPE):
            origin = fact.origin if fact.origin in ("columns", "policy_references") else "query_history"
            by_path[(fact.catalog_path, origin)].append(fact)
    out: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for (path, origin), rows in sorted(by_path.items()):
        spans: list[tuple[Any, ...]] = []
        for start, end, win in _winners(rows, lambda v: v is None):
            span = (start, end, str(win.value).strip().upper(), origin,
                    *((win.valid_from,) if win.key == ADDED_COLUMN_TYPE else ()))
            if spans and spans[-1][1] == start and spans[-1][2:] == span[2:]:
                span = (spans.pop()[0], *span[1:])
            spans.append(span)
        out[path] += spans
    return dict(out)


def tag_name(name: str) -> str:
    """Return the part of a tag's name that tag-based masking groups on: its last part, lower-case
    unless it was quoted (``governance.tags.pii`` and ``pii`` may be the same tag; see :func:`same_tag`)."""
    return name.rsplit(".", 1)[-1]


def same_tag(a: str, b: str) -> bool:
    """Say whether two tag names, as written, may name one tag: equal on every part both give,
    right-aligned (``pii`` and ``tags.pii`` may be ``governance.tags.pii``; ``hr.tags.pii`` is not:
    a tag is a schema object, its name unique in its schema)."""
    left, right = a.split("."), b.split(".")
    n = min(len(left), len(right))
    return left[-n:] == right[-n:]


def tag_masking_spans(facts: Iterable[RegistryFact]) -> dict[str, list[Span]]:
    """Return id -> spans masked by tag-based masking policies (rule 5), oldest first.

    An id (a column, or a dataset: then all its columns) is masked by policy ``p`` while it
    carries tag ``t`` (``tag`` facts: ``ALTER … SET TAG``, ``TAG_REFERENCES``) *and* ``t``
    carries ``p`` (``tag_masking_policy`` facts: ``ALTER TAG t SET MASKING POLICY p``): from
    the later of the two starts to the earlier of the two ends. Timelines are grouped by the
    tag's last name part; a carried tag and a tag with a policy match when their names, as the
    statements holding then wrote them, may name one tag (:func:`same_tag`): ``governance.tags.pii``
    on a column is not masked by a policy on ``hr.tags.pii``.
    """
    carried: dict[tuple[str, str], list[RegistryFact]] = defaultdict(list)
    on_tag: dict[tuple[str, str], list[RegistryFact]] = defaultdict(list)
    for fact in facts:
        if fact.fact == "tag" and fact.key:
            carried[(fact.catalog_path, tag_name(fact.key))].append(fact)
        elif fact.fact == "tag_masking_policy" and fact.key:
            on_tag[(tag_name(fact.catalog_path), fact.key.strip().lower())].append(fact)
    policies: dict[str, list[tuple[datetime, datetime | None, str, str]]] = defaultdict(list)
    for (tag, policy), rows in on_tag.items():
        policies[tag].extend((start, end, policy, win.catalog_path)
                             for start, end, win in _winners(rows, lambda v: v is None))
    out: dict[str, list[Span]] = defaultdict(list)
    for (path, tag), rows in carried.items():
        for start, end, win in _winners(rows, lambda v: v is None):
            for p_start, p_end, policy, named in policies.get(tag, ()):
                if not same_tag(win.key, named):
                    continue
                begin = max(start, p_start)
                finish = end if p_end is None else p_end if end is None else min(end, p_end)
                if finish is None or begin < finish:
                    out[path].append(Span(begin, finish, policy))
    return {path: _joined(spans) for path, spans in out.items()}


def _joined(spans: list[Span]) -> list[Span]:
    """Return ``spans`` oldest first, a policy's spans that touch or overlap joined into one."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.policy, s.start)):
        last = out[-1] if out else None
        if last is not None and last.policy == span.policy and last.end is not None and last.end >= span.start:
            out[-1] = Span(last.start, None if span.end is None else max(last.end, span.end), span.policy)
        else:
            out.append(span)
    return sorted(out, key=lambda s: (s.start, s.policy))


def _timeline(rows: list[RegistryFact], off: Callable[[object], bool]) -> list[tuple[datetime, datetime | None, object]]:
    """Return the intervals of one fact timeline whose winning value is not ``off``, oldest first.

    At each instant the fact with the newest ``valid_from`` holding then wins (ties: the
    warehouse over the file); adjacent intervals with the same value are joined.
    """
    out: list[tuple[datetime, datetime | None, object]] = []
    for start, end, win in _winners(rows, off):
        value = str(win.value).strip().lower() if isinstance(win.value, str) else win.value
        if out and out[-1][1] == start and out[-1][2] == value:
            out[-1] = (out[-1][0], end, value)
        else:
            out.append((start, end, value))
    return out


def _winners(rows: list[RegistryFact], off: Callable[[object], bool]) -> list[tuple[datetime, datetime | None, RegistryFact]]:
    """Return ``(start, end, winning fact)`` for each stretch between two fact bounds where the
    winning fact's value is not ``off``, oldest first (the rule of :func:`_timeline`, not joined)."""
    bounds = sorted({r.valid_from for r in rows} | {r.valid_to for r in rows if r.valid_to is not None})
    out: list[tuple[datetime, datetime | None, RegistryFact]] = []
    for k, start in enumerate(bounds):
        end = bounds[k + 1] if k + 1 < len(bounds) else None
        holding = [r for r in rows if r.holds_at(start)]
        if not holding:
            continue
        win = max(holding, key=lambda r: (r.valid_from, _ORIGIN_RANK.get(r.origin, 0)))
        if not off(win.value):
            out.append((start, end, win))
    return out


@dataclass(frozen=True, slots=True)
class CopyJudgement:
    """What a copy edge carries: ``clear`` (followed) or not, and why in plain words."""

    clear: bool
    note: str = ""



COLUMNS_LATENCY = timedelta(minutes=90)
"""Latency of ``SNOWFLAKE.ACCOUNT_USAGE.COLUMNS`` (Snowflake "Account Usage": up to 90 minutes)."""

class MaskingView:
    """Masking of every dataset and column over time, for one scan (see the module docstring).

    Args:
        spans: from :func:`masking_spans`.
        bodies: every policy body interval.
        tag_spans: from :func:`tag_masking_spans` (used where no direct span holds, rule 6).
        reads: every recorded copy out of a masked column.
        live_upstreams: view column id -> its DIRECT upstream column ids through view edges.
        column_types: from :func:`data_type_spans`.
        type_copies: the ``identity`` column intervals, by downstream (:data:`TypeCopies`).
        recreated: dataset id -> the instants the query history (re)created it (``object_changes``):
            an ``ACCOUNT_USAGE.COLUMNS`` type synced less than :data:`COLUMNS_LATENCY` after one may
            describe the object it replaced.
    """

    def __init__(
        self,
        spans: Mapping[str, list[Span]],
        bodies: Iterable[MaskingPolicyBody] = (),
        reads: Iterable[ColumnRead] = (),
        live_upstreams: Mapping[str, Iterable[str]] | None = None,
        tag_spans: Mapping[str, list[Span]] | None = None,
        column_types: TypeSpans | None = None,
        type_copies: TypeCopies | None = None,
        recreated: Mapping[str, Sequence[datetime]] | None = None,
    ) -> None:
        self._spans = dict(spans)
        self._recreated = recreated or {}
        self._tag_spans = dict(tag_spans or {})
        self._types = column_types or {}
        self._signatures: dict[str, list[tuple[Any, ...]]] = defaultdict(list)  # synced MASKING_POLICIES types
        for path, spans in self._types.items():
            signed = [s for s in spans if len(s) > 3 and s[3] == "policy_references"]
            if signed:
                self._signatures[policy_short_name(path)] += signed
        self._copies = type_copies or {}
        self._folds: dict[str, list[tuple[datetime, datetime | None]]] = defaultdict(list)
        self._types = {column: self._added_types(column, spans) if any(len(t) > 4 for t in spans) else spans
                       for column, spans in self._types.items()}
        self._bodies: dict[str, list[MaskingPolicyBody]] = defaultdict(list)
        for body in bodies:  # by the name assignments use: without database and schema
            self._bodies[policy_short_name(body.name)].append(body)
        self._reads: dict[tuple[str, str], list[ColumnRead]] = defaultdict(list)
        for read in reads:
            self._reads[(read.downstream, read.upstream)].append(read)
        self._live = {k: tuple(sorted(set(v))) for k, v in (live_upstreams or {}).items()}

    def _added_types(self, column: str, spans: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Return ``spans`` (:data:`TypeSpans` of ``column``) with the query history's type ``?`` (not
        known) from an ``ADD COLUMN`` that may have added a second column to the id, until the id's
        type ends (a ``DROP COLUMN``, a replace) (review s16 T4: ``ADD COLUMN DOB VARCHAR`` to a table
        holding ``"Dob" DATE`` typed the birth dates VARCHAR, masked by a ``STRING`` tag policy).

        Snowflake fails an ``ADD COLUMN`` of a name the table holds, so a name stored upper case that
        was added while the id already held a column (a type fact of any origin, or a copy: rule 6)
        added another column, which folds to the same id (a quoted ``"Dob"``); one added to a table
        the crawled history did not (re)create by then may fold onto a column it never saw (an
        over-report, never under). The instants are kept for :meth:`doubt`'s note."""
        created = self._recreated.get(dataset_of(column), ())
        out = [s for s in spans if len(s) > 3 and s[3] != "query_history"]
        folded, previous = False, None
        for span in sorted((s for s in spans if len(s) < 4 or s[3] == "query_history"), key=lambda s: s[0]):
            folded = folded and previous == span[0]  # a gap: the type ended (dropped or replaced)
            if len(span) > 4 and span[4] == span[0]:
                folded = folded or not any(t <= span[0] for t in created) or self._held_column(column, span[0], spans)
            if folded:
                self._folds[column].append((span[0], span[1]))
            out.append((*span[:2], "?", *span[3:]) if folded else span)
            previous = span[1]
        return sorted(out, key=lambda s: s[0])

    def _held_column(self, column: str, at: datetime, spans: list[tuple[Any, ...]]) -> bool:
        """Say whether the id ``column`` held a column just before ``at``: a type fact (any origin) or
        a copy interval (:data:`TypeCopies`) began before ``at`` and held until it."""
        return any(s[0] < at and (s[1] is None or at <= s[1]) for s in spans) or any(
            c[0] < at and (c[1] is None or at < c[1]) for c in self._copies.get(column, ()))

    def policies_at(self, node: str, at: datetime, _seen: frozenset[str] = frozenset()) -> list[Span] | None:
        """Return the spans masking ``node`` (dataset or column id) at ``at``, None when it is clear.

        A column's own spans and its dataset's count, direct policies before tag-based ones
        (rule 5); a view column takes its upstreams' (all of them must be masked, rule 2).
        """
        found = self._own_spans(node, at)
        if found:
            return found
        ups = self._live.get(node)
        if not ups or node in _seen:
            return None
        seen = _seen | {node}
        collected: list[Span] = []
        for up in ups:
            spans = self.policies_at(up, at, seen)
            if spans is None:
                return None
            own = self._own_spans(up, at)
            if own and self.owner_sees_clear(node, up, own, at) is not None:
                return None
            collected.extend(spans)
        return collected

    def _own_spans(self, node: str, at: datetime) -> list[Span]:
        """Return the spans of policies set on ``node`` or its dataset (directly, else by tag and of
        ``node``'s data type: rule 6) at ``at``."""
        keys = [key for key in (node, _dataset(node)) if key]
        found = [s for key in keys for s in self._spans.get(key, ()) if s.holds(at)]
        if found or not self._tag_spans:
            return found
        tagged = [s for key in keys for s in self._tag_spans.get(key, ()) if s.holds(at)]
        return self._typed(node, tagged, at)[0] if tagged else []

    def _typed(self, node: str, spans: list[Span], at: datetime) -> tuple[list[Span], str | None]:
        """Return the tag-based ``spans`` that mask ``node`` at ``at`` (rule 6), and why the others
        do not when that is worth saying (a type not known, or another type)."""
        if len(split_id(node)) < 4:
            return [], (f"tag-based masking policy {_names(spans)} masks only the columns of {node} of its data "
                        "type; the dataset as a whole is not taken as masked")
        column = self.column_type(node, at)
        applied: list[Span] = []
        unknown: list[str] = []
        other: list[str] = []
        for span in spans:
            policy = self.policy_type(span.policy, at)
            taken = self.policy_type(span.policy, span.start) if span.start < at else policy
            if taken is not None and policy != taken and self._renamed(span.policy, span.start, at):
                unknown.append(f"{span.policy} (its signature's data type is not known: a masking policy of "
                               f"that name with another signature ({policy or 'not known'}) was created after "
                               f"the tag took the one of {taken}, e.g. after it was renamed)")
            elif policy == "?":
                unknown.append(f"{span.policy} (its signature's data type is not known: {_NOT_KNOWN_TYPE})")
            elif policy is None:
                unknown.append(f"{span.policy} (its signature's data type is not known: no CREATE MASKING POLICY seen)")
            elif column is None:
                unknown.append(f"{span.policy} ({policy})")
            elif policy == column:
                applied.append(span)
            else:
                other.append(f"{span.policy} ({policy})")
        if applied:
            return applied, None
        if unknown:
            said = (f"{node} is {column}" if column is not None else
                    f"the data type of {node} is not known ({_FOLDED})" if self._folded(node, at) else
                    f"the data type of {node} is not known ({_NOT_KNOWN_TYPE})" if self._stated_unknown(node, at) else
                    f"the data type of {node} is not known (no CREATE TABLE or ALTER TABLE stating it seen, "
                    "not a plain copy of a column whose type is, and not in ACCOUNT_USAGE.COLUMNS)")
            many = len(unknown) > 1
            return [], (f"{node} carries a tag with masking polic{'ies' if many else 'y'} {', '.join(sorted(unknown))}, "
                        f"which mask{'' if many else 's'} only columns of {'their' if many else 'its'} data type; "
                        f"{said}: counted as unmasked")
        return [], (f"{node} is {column}; a tag it carries has masking policies only for other data types: "
                    f"{', '.join(sorted(other))}")

    @property
    def sets_aside_nothing(self) -> bool:
        """True when no tag has a masking policy: :meth:`doubt` is None for every node and instant."""
        return not self._tag_spans

    def doubt(self, node: str, at: datetime) -> str | None:
        """Return why a tag-based masking policy holding on ``node`` (or its dataset) at ``at`` is not
        taken to mask it (rule 6: a data type not known or another one), None when none is set aside."""
        if not self._tag_spans:
            return None
        keys = [key for key in (node, _dataset(node)) if key]
        if any(s.holds(at) for key in keys for s in self._spans.get(key, ())):
            return None
        tagged = [s for key in keys for s in self._tag_spans.get(key, ()) if s.holds(at)]
        return self._typed(node, tagged, at)[1] if tagged else None

    def _folded(self, column: str, at: datetime) -> bool:
        """Say whether ``column``'s type at ``at`` is not known because an ``ADD COLUMN`` may have added
        a second column to its id (:meth:`_added_types`)."""
        return any(start <= at and (end is None or at < end) for start, end in self._folds.get(column, ()))

    def _stated_unknown(self, column: str, at: datetime) -> bool:
        """Say whether the history states ``column``'s type at ``at`` as one not known (``?``)."""
        return any(s[0] <= at and (s[1] is None or at < s[1]) and s[2] == "?"
                   and (len(s) < 4 or s[3] == "query_history") for s in self._types.get(column, ()))

    def column_type(self, column: str, at: datetime, _seen: frozenset[str] = frozenset()) -> str | None:
        """Return the type family of ``column`` at ``at`` (rule 6), None when not known.

        The query history's ``data_type`` fact, else the type its ``identity`` upstreams agree on
        (:func:`type_copies`: when the copy was last made; a view's, at ``at``); and the
        ``ACCOUNT_USAGE.COLUMNS`` fact of a sync. When those two disagree the type is not known
        (the view lags: a sync may state a type the history has replaced since).

        A copy interval counts from the first creating statement within it that ran by ``at``
        (:func:`type_copies`; an ``INSERT`` in it sets no type), with the type of the latest.
        """
        stated: dict[str, str] = {}
        for span in self._types.get(column, ()):
            start, end = span[0], span[1]
            if start <= at and (end is None or at < end):
                stated[span[3] if len(span) > 3 else "query_history"] = span[2]
        own = stated.get("query_history")
        if own == "?":  # stated, not known (a cast or set operation, a TIMESTAMP): no copy types it, and a
            # COLUMNS sync only when it came well after the statement (before, it may describe the replaced
            # table: it filled such a column with the old type, review s15 T8)
            synced, stated_at = stated.get("columns"), self._span_start(column, at, "query_history")
            synced_at = self._span_start(column, at, "columns")
            fresh = (synced not in (None, "?") and stated_at is not None and synced_at is not None
                     and synced_at - stated_at > COLUMNS_LATENCY and not self._stale_sync(column, at))
            return synced if fresh else None
        if own is None and column not in _seen:
            copies = [(at if len(c) > 4 and c[4] else _made_by(c, at), c[3]) for c in self._copies.get(column, ())
                      if c[0] <= at and (c[1] is None or at < c[1]) and _made_by(c, at) is not None]
            if copies:
                found = {self.column_type(up, when, _seen | {column}) for when, up in copies}
                own = found.pop() if len(found) == 1 and None not in found else None
        synced = stated.get("columns")
        if synced is not None and self._stale_sync(column, at):
            synced = None
        known = {family for family in (own, synced) if family not in (None, "?")}
        return known.pop() if len(known) == 1 else None

    def _span_start(self, column: str, at: datetime, origin: str) -> datetime | None:
        """Start of the ``data_type`` fact of ``origin`` (``query_history``, ``columns``) holding at ``at``."""
        return max((span[0] for span in self._types.get(column, ())
                    if (span[3] if len(span) > 3 else "query_history") == origin
                    and span[0] <= at and (span[1] is None or at < span[1])), default=None)

    def _stale_sync(self, column: str, at: datetime) -> bool:
        """True when the ``ACCOUNT_USAGE.COLUMNS`` type of ``column`` holding at ``at`` was synced less than
        :data:`COLUMNS_LATENCY` after the query history (re)created its dataset: the view may still show
        the replaced table's column (review s15 T8: it typed a column the history could not, wrongly)."""
        start = self._span_start(column, at, "columns")
        if start is None:
            return False
        return any(start - COLUMNS_LATENCY < made <= start for made in self._recreated.get(dataset_of(column), ()))

    def policy_type(self, policy: str, at: datetime) -> str | None:
        """Return the data type family of ``policy``'s signature (a name without database and schema) at
        ``at``: of its latest body by then that states one (``SET BODY`` keeps the signature), else of
        the ``MASKING_POLICIES`` sync (a policy created before the crawled history); None when not
        known, or when several policies of that name disagree; ``?`` when the latest body states a type
        not known here (``AS (val timestamp)`` without a known ``TIMESTAMP_TYPE_MAPPING``).

        A tag's policy is the object the tag took, not a name: :meth:`_typed` compares this type at
        the tag span's start with the one at ``at``, and takes a change as not known (Snowflake
        "ALTER MASKING POLICY": a signature cannot be altered, and ``RENAME TO`` keeps the policy's
        assignments under its new name, so a later policy created under the old name is another one;
        review s15 T11: its signature typed the tag's policy, a false negative)."""
        latest: dict[str, MaskingPolicyBody] = {}
        for body in self._bodies.get(policy_short_name(policy), ()):
            if body.valid_from <= at and body.data_type is not None:
                held = latest.get(body.name)
                if held is None or held.valid_from < body.valid_from:
                    latest[body.name] = body
        families = {b.data_type for b in latest.values()}
        if not families:
            families = {s[2] for s in self._signatures.get(policy_short_name(policy), ())
                        if s[0] <= at and (s[1] is None or at < s[1])}
        return families.pop() if len(families) == 1 else None

    def _renamed(self, policy: str, start: datetime, at: datetime) -> bool:
        """Say whether the policy named ``policy`` left that name after ``start`` and by ``at``: an ``ALTER
        MASKING POLICY … RENAME TO`` (recorded as a body not understood, stating no type and no role) or a
        ``DROP`` (its body ends with no body of the name from that instant). A ``CREATE OR REPLACE`` in
        place is neither: its signature is the tag's policy's from then on."""
        bodies = self._bodies.get(policy_short_name(policy), ())
        starts = {b.valid_from for b in bodies}
        return any((start < b.valid_from <= at and b.data_type is None and not b.understood and not b.clear_roles)
                   or (b.valid_to is not None and start < b.valid_to <= at and b.valid_to not in starts)
                   for b in bodies)

    def owner_sees_clear(self, view_column: str, column: str, spans: list[Span], at: datetime) -> str | None:
        """Return why the view column ``view_column`` shows ``column`` in clear at ``at`` though ``column`` is
        masked by ``spans``, else None (rule 2b).

        A policy whose body tests the invoker (``INVOKER_ROLE()``, ``IS_GRANTED_TO_INVOKER_ROLE``)
        evaluates, through a view, the **view owner's role** (Snowflake "INVOKER_ROLE": context
        View, evaluated role View owner role): every reader of the view sees what the owner
        would. The owner is the role of the latest recorded statement that (re)created the
        view's column from ``column`` by ``at`` (a ``CREATE VIEW``'s ``ROLE_NAME``; ownership
        transfers are not followed); an owner not recorded, or a body not understood, counts as
        seeing clear values (over-report, never under).
        """
        for span in spans:
            body = self.body_at(span.policy, at)
            if body is None or not body.by_invoker:
                continue
            made = [r for r in self._reads.get((view_column, column), ()) if r.at <= at]
            owner = max(made, key=lambda r: (r.at, r.query_id)).role_name if made else None
            if owner is None:
                return (f"view column {view_column} reads {column} as its owner role, which is not recorded; "
                        f"masking policy {span.policy} tests INVOKER_ROLE()")
            if not body.understood or owner.upper() in body.clear_roles:
                return (f"view column {view_column} reads {column} as its owner role {owner.upper()}, which "
                        f"masking policy {span.policy} (INVOKER_ROLE()) may show clear values to: every "
                        "reader of the view sees them")
        return None

    def masked_since(self, node: str, at: datetime) -> datetime | None:
        """Return when the masking of ``node`` holding at ``at`` began (latest span start), else None.

        A tag's policy masks only from when the types match too (rule 6): then also the start of
        the column's type (its fact, or the copy that gave it) and of the policy's signature (the
        body or sync that stated it), whichever is latest (review s14 R6: the window of an
        unmasked copy ended when the tag was set, though the types matched only later). A type
        restated later than it began gives a later start: the window is over-stated, never under."""
        spans = self.policies_at(node, at)
        if not spans:
            return None
        since = max(s.start for s in spans)
        keys = [key for key in (node, _dataset(node)) if key]
        tagged = [s for s in spans if any(s in self._tag_spans.get(key, ()) for key in keys)]
        if not tagged:
            return since
        starts = [since]
        typed = self._type_since(node, at)
        if typed is not None:
            starts.append(typed)
        for span in tagged:
            stated = [b.valid_from for b in self._bodies.get(policy_short_name(span.policy), ())
                      if b.valid_from <= at and b.data_type is not None]
            starts += stated or [s[0] for s in self._signatures.get(policy_short_name(span.policy), ())
                                 if s[0] <= at and (s[1] is None or at < s[1])]
        return max(starts)

    def _type_since(self, node: str, at: datetime, _seen: frozenset[str] = frozenset()) -> datetime | None:
        """Return since when ``node`` has had the type it has at ``at`` (as :meth:`column_type` finds it):
        its fact's start, else the copy that gave it; a view's column (a live copy) has its base
        column's type of the instant, so its type began when that one did, if later than the view
        (review s15 T7: the window of a tagged view ended when the tag was set, though the view's
        type matched only when its base was replaced later). The latest of the candidates (never under)."""
        own = [t[0] for t in self._types.get(node, ()) if t[0] <= at and (t[1] is None or at < t[1])]
        if own:
            return max(own)
        starts: list[datetime] = []
        for c in self._copies.get(node, ()):
            made = _made_by(c, at)
            if c[0] > at or (c[1] is not None and at >= c[1]) or made is None:
                continue
            start = max(c[0], made)
            if len(c) > 4 and c[4] and node not in _seen:  # live: the base column's type now
                base = self._type_since(c[3], at, _seen | {node})
                if base is not None:
                    start = max(start, base)
            starts.append(start)
        return max(starts, default=None)

    def is_masked(self, node: str, at: datetime) -> bool:
        """Return True when ``node`` is masked at ``at``."""
        return self.policies_at(node, at) is not None

    def body_at(self, policy: str, at: datetime) -> MaskingPolicyBody | None:
        """Return the body of ``policy`` (a name without database and schema) holding at ``at``, None
        when none is known.

        Several policies of that name (in other schemas or databases: an assignment's fact keeps
        the bare name) give one body that is understood only when all are and shows clear values
        to every role any of them does (over-report, never under: which one a column carries is
        not known).
        """
        holding = self._holding(policy, at)
        if len(holding) <= 1:
            return holding[0] if holding else None
        return MaskingPolicyBody(policy, all(b.understood for b in holding),
                                 tuple(sorted({r for b in holding for r in b.clear_roles})),
                                 max(b.valid_from for b in holding), by_invoker=any(b.by_invoker for b in holding))

    def _holding(self, policy: str, at: datetime) -> list[MaskingPolicyBody]:
        """Return the bodies of every policy named ``policy`` holding at ``at``, oldest first."""
        return sorted((b for b in self._bodies.get(policy_short_name(policy), ())
                       if b.valid_from <= at and (b.valid_to is None or at < b.valid_to)),
                      key=lambda b: (b.valid_from, b.name))

    def judge_copy(self, edge: EdgeRow) -> CopyJudgement:
        """Return what the copy interval ``edge`` (downstream column <- upstream column) carries (rule 3)."""
        up = edge.upstream
        first = self.policies_at(up, edge.first_seen)
        last = self.policies_at(up, edge.last_seen)
        if first is None and last is None:
            return CopyJudgement(True)
        if first is None:
            since = min(s.start for s in last or ())
            return CopyJudgement(True, f"copied from {up} before its masking policy ({_names(last)}) "
                                       f"began at {_iso(since)}")
        if last is None:
            return CopyJudgement(True, f"copied from {up} after its masking policy was removed")
        reads = [r for r in self._reads.get((edge.downstream, up), ())
                 if r.at >= edge.valid_from and (edge.valid_to is None or r.at <= edge.valid_to)]
        if not reads:
            return CopyJudgement(True, f"copied from {up} under masking policy {_names(first)}; the copying "
                                       "role is not recorded (or a CLONE copied the stored values), so the copy "
                                       "may hold clear values")
        for read in sorted(reads, key=lambda r: (r.at, r.query_id)):
            verdict = self._read_clear(read)
            if verdict is not None:
                return CopyJudgement(True, verdict)
        unrecorded = edge.observations - len({r.query_id for r in reads})
        if unrecorded > 0:  # copies crawled before the policy was known (a late row, a later import)
            return CopyJudgement(True, f"copied from {up} under masking policy {_names(first)} by {edge.observations} "
                                       f"statements, {unrecorded} of them not recorded with their role: the copy "
                                       "may hold clear values")
        return CopyJudgement(False, f"copied from {up} by roles its masking policy shows masked values to")

    def _read_clear(self, read: ColumnRead) -> str | None:
        """Return why ``read`` copied clear values, or None when it copied masked ones."""
        spans = self.policies_at(read.upstream, read.at)
        if spans is None:
            return f"copied from {read.upstream} while it was unmasked (query {read.query_id})"
        for span in spans:
            body = self.body_at(span.policy, read.at)
            if body is None:
                return (f"copied from {read.upstream} under masking policy {span.policy}, whose body is unknown "
                        f"(no CREATE MASKING POLICY seen): role {read.role_name or 'unknown'} may have read "
                        f"clear values (query {read.query_id})")
            if not body.understood:
                return (f"copied from {read.upstream} under masking policy {span.policy}, whose body is not "
                        f"understood: role {read.role_name or 'unknown'} may have read clear values "
                        f"(query {read.query_id}){self._homonyms(span, read.at)}")
            if read.role_name is None:
                return (f"copied from {read.upstream} under masking policy {span.policy} by an unknown role "
                        f"(query {read.query_id})")
            if read.role_name.upper() in body.clear_roles:
                return (f"copied from {read.upstream} by role {read.role_name.upper()}, which masking policy "
                        f"{span.policy} shows clear values to (query {read.query_id}){self._homonyms(span, read.at)}")
        return None

    def _homonyms(self, span: Span, at: datetime) -> str:
        """Say, when several policies bear ``span``'s name at ``at``, that their clear roles were joined."""
        names = sorted({b.name for b in self._holding(span.policy, at)})
        if len(names) < 2:
            return ""
        return f"; {len(names)} masking policies are named {span.policy} ({', '.join(names)}): their clear roles are joined"


_NOT_KNOWN_TYPE = ("written as a type not compared here: TIMESTAMP or DATETIME, whose variant the session's "
                   "TIMESTAMP_TYPE_MAPPING decides (compliance.timestamp_type_mapping not set), or a cast to a "
                   "type not in the list")
"""Why a type stated as ``?`` is not known (:mod:`lineage_engine.parsing.data_types`)."""

_FOLDED = ("a column added by ALTER TABLE … ADD COLUMN under a name stored in upper case, while the id held a "
           "column already (a quoted name of another case, such as \"Dob\" and DOB, is another column of the "
           "same id) or to a table the crawled history did not create")
"""Why the type of a column added by ``ADD COLUMN`` is not known (:meth:`MaskingView._added_types`)."""


def policy_short_name(name: str) -> str:
    """Return a masking policy's name without database and schema (``db.gov.email_mask`` -> ``email_mask``):
    the name an assignment's fact keeps."""
    return name.strip().lower().rsplit(".", 1)[-1]


def _dataset(node: str) -> str | None:
    try:
        parent = dataset_of(node)
    except (ValueError, IndexError):
        return None
    return parent if parent and parent != node and "." in parent else None


def _names(spans: list[Span] | None) -> str:
    return ", ".join(sorted({s.policy for s in spans or ()}))


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
