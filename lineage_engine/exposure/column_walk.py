"""Walk lineage downstream from a sensitive *column*, respecting time (design §7, issue 5).

Pure: stdlib and :mod:`lineage_engine.model` only. The time rules are those of
:mod:`.walk` (holding windows, live views, identity moves, hulls over routes), applied to
column edge intervals; read that module first. This one adds what columns change:

* **Column edges.** From a column ``U.x`` the walk follows the DIRECT column intervals out
  of ``U.x`` (and out of ``U.*``: an unexpanded ``SELECT *`` or ``COUNT(*)`` stands for every
  column; a ``T.*`` target stands for ``T.x``). INDIRECT edges (filters, joins) carry no
  value and are not followed, nor are ``counted`` ones (a count of values, not a value).
* **What a column holds** (issue 10): the walk tracks, per column, whether it holds the
  origin's value ``clear``, a ``partial`` fragment of it, or a ``masked`` form. The origin
  is clear. A ``masked`` edge makes it masked; a ``partial`` edge makes a clear value
  partial; an ``unmasked`` edge (DETOKENIZE, DECRYPT...) makes it clear again, also from
  masked (a path closed by masking reopens) and from partial (over-report, never under);
  the other transforms keep it. Clear and partial columns are reported (``exposure`` of
  the holding: ``full`` or ``partial``; clear wins where both reach a column); masked
  ones are walked on, never reported.
* **Unknown column lineage: table-level fallback.** A dataset interval ``D <- U`` is
  *column-known* while some column interval between a column of ``D`` and a column of ``U``
  is valid (any kind, any transform, masked included: a statement whose column lineage was
  understood). The parts of it where none is (a statement parsed only at table level, a
  COPY load from files, a clone of an unknown table; or a later re-derivation whose column lineage
  was not understood, which closes the column intervals while the coalesced dataset
  interval stays open) are unknown: the walk cannot tell which columns moved then, so from
  ``U.x`` it continues at table level to ``D`` and from there along every dataset interval,
  as :mod:`.walk` does. An unknown part derives from its start to the interval's
  ``last_seen`` (clipped to the part's end) and holds until the interval's ``valid_to``.
  Such results are ``level: table`` and their terminal is a dataset. Once table-level, a
  route stays table-level (conservative: it may report more).
* Table-level fallback starts from clear and partial columns (a masked column's unknown
  downstream holds masked values).
* **Masking policies.** A column whose own registry asset, or whose dataset's, has a
  masking policy is reached but neither expanded nor returned; a masked dataset at table
  level likewise.
* **Column wins.** A dataset reached at table level from an origin is not returned when
  columns of it are returned at column level from the same origin: the dataset is already
  reported, precisely.

Results are :class:`ColumnHolding` rows: column-level terminals are column ids, table-level
ones dataset ids; paths run terminal first, origin column last, column ids after the
dataset ids of a table-level tail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from lineage_engine.exposure.walk import (
    DEFAULT_MAX_HOPS,
    MOVE_QUERY_TYPES,
    EdgeIndex,
    Held,
    Window,
    advance,
    build_edge_index,
    from_micros,
    relax,
)
from lineage_engine.model import ColumnRef, EdgeRow, dataset_of, quote_part

COLUMN_LEVEL = "column"
TABLE_LEVEL = "table"
FULL = "full"
PARTIAL = "partial"

_CLEAR, _PARTIAL, _MASKED = "clear", "partial", "masked"
_STATES = (_CLEAR, _PARTIAL, _MASKED)
# What a column edge does to the state of the value it carries: edge class -> from -> to.
_MOVES: dict[str, dict[str, str]] = {
    "keep": {_CLEAR: _CLEAR, _PARTIAL: _PARTIAL, _MASKED: _MASKED},
    "unmasked": {_CLEAR: _CLEAR, _PARTIAL: _CLEAR, _MASKED: _CLEAR},
    "partial": {_CLEAR: _PARTIAL, _PARTIAL: _PARTIAL, _MASKED: _MASKED},
    "masked": {_CLEAR: _MASKED, _PARTIAL: _MASKED, _MASKED: _MASKED},
}


def edge_class(transform: str) -> str | None:
    """Return how a column edge's transform moves a value: ``keep`` | ``unmasked`` | ``partial``
    | ``masked``, or None for ``counted`` (no value). Unknown names keep (over-report)."""
    if transform == "counted":
        return None
    return transform if transform in ("unmasked", "partial", "masked") else "keep"


@dataclass(frozen=True, slots=True)
class ColumnHolding:
    """A column (or, at table level, a dataset) holding a sensitive column's data at T.

    Attributes:
        origin: the origin column id.
        terminal: a column id (``level == "column"``) or a dataset id (``"table"``).
        path: ids terminal first, origin last; the last ``columns`` ids are column ids.
        arrived: earliest instant (UTC) the data can have reached the terminal; None when
            unbounded.
        level: ``column`` or ``table``.
        columns: how many ids at the origin end of ``path`` are columns.
        exposure: ``full`` (the value) or ``partial`` (only a fragment reaches the terminal).
    """

    origin: str
    terminal: str
    path: tuple[str, ...]
    arrived: datetime | None
    level: str
    columns: int
    exposure: str = FULL

    @property
    def hops(self) -> int:
        """Return the number of lineage edges on :attr:`path`."""
        return len(self.path) - 1

    def as_row(self) -> dict[str, object]:
        """Return the row shape :func:`.paths.find_exposure_paths` reads (bare ids, level, columns)."""
        return {"origin": self.origin, "terminal": self.terminal, "hops": self.hops, "path": list(self.path),
                "level": self.level, "columns": self.columns, "arrived": self.arrived, "exposure": self.exposure}


@dataclass(frozen=True, slots=True)
class ColumnIndex:
    """Column and dataset intervals prepared for column walks as of one instant.

    Attributes:
        columns: walkable column intervals (DIRECT, not counted) by :func:`edge_class`.
        tables: every dataset interval (table-level continuation).
        unknown: the parts of dataset intervals that are not column-known (the fallback
            hops; see :func:`unknown_parts`).
    """

    columns: dict[str, EdgeIndex]
    tables: EdgeIndex
    unknown: EdgeIndex

    @property
    def as_of(self) -> datetime:
        """Return the walk's instant."""
        return self.tables.as_of


def build_column_index(
    dataset_edges: Iterable[EdgeRow],
    column_edges: Iterable[EdgeRow],
    *,
    as_of: datetime,
    live: Collection[str] = (),
    move_query_types: Collection[str] = MOVE_QUERY_TYPES,
    tables: EdgeIndex | None = None,
) -> ColumnIndex:
    """Prepare intervals for :func:`walk_column_origin` as of ``as_of``.

    Args:
        dataset_edges: every dataset interval (``iter_edges(None)``).
        column_edges: every column interval (``iter_column_edges(None)``).
        as_of: the instant T, aware UTC.
        live: dataset ids of views (their columns are live too).
        move_query_types: see :func:`.walk.build_edge_index`.
        tables: the dataset index already built for the same instant, to reuse.

    Raises:
        ValueError: ``as_of`` is naive.
    """
    dataset_rows = list(dataset_edges)
    column_rows = list(column_edges)
    if tables is None:
        tables = build_edge_index(dataset_rows, as_of=as_of, live=live, move_query_types=move_query_types)
    spans: dict[tuple[str, str], list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for row in column_rows:
        spans[(dataset_of(row.downstream), dataset_of(row.upstream))].append((row.valid_from, row.valid_to))
    unknown = [part for r in dataset_rows for part in unknown_parts(r, spans.get((r.downstream, r.upstream), ()))]
    views = frozenset(live)
    walkable: dict[str, list[EdgeRow]] = {name: [] for name in _MOVES}
    for r in column_rows:
        kind = edge_class(r.transform) if r.kind == "DIRECT" else None
        if kind is not None:
            walkable[kind].append(r)
    live_columns = {r.downstream for rows in walkable.values() for r in rows if dataset_of(r.downstream) in views}
    return ColumnIndex(
        columns={name: build_edge_index(rows, as_of=as_of, live=live_columns, move_query_types=move_query_types)
                 for name, rows in walkable.items()},
        tables=tables,
        unknown=build_edge_index(unknown, as_of=as_of, live=live, move_query_types=move_query_types),
    )


def unknown_parts(row: EdgeRow, spans: Iterable[tuple[datetime, datetime | None]]) -> list[EdgeRow]:
    """Return the parts of dataset interval ``row`` that no column interval covers, as rows.

    Args:
        row: a dataset interval ``D <- U``.
        spans: ``(valid_from, valid_to)`` of every column interval between ``D`` and ``U``.

    Returns:
        One row per uncovered part, oldest first: ``valid_from`` and ``first_seen`` at the
        part's start (the first part keeps an earlier ``first_seen``: a Time Travel read), ``last_seen`` clipped to its end, ``valid_to`` the interval's own
        (the data copied then stays until the dataset edge closes); the identity-move
        ``query_type`` kept only on a part that starts with the interval. Parts without a
        derivation (``last_seen`` before their start) are left out.
    """
    parts: list[EdgeRow] = []
    cursor: datetime | None = row.valid_from  # start of the part not yet covered; None: covered to the end
    for start, end in sorted(spans, key=lambda s: s[0]):
        if cursor is None:
            break
        if end is not None and end <= cursor:
            continue
        if row.valid_to is not None and start >= row.valid_to:
            break
        if start > cursor:
            parts.append(_part(row, cursor, start))
        cursor = end if end is None or row.valid_to is None or end < row.valid_to else None
    if cursor is not None and (row.valid_to is None or cursor < row.valid_to):
        parts.append(_part(row, cursor, None))
    return [p for p in parts if p.last_seen >= p.valid_from]


def _part(row: EdgeRow, start: datetime, end: datetime | None) -> EdgeRow:
    last_seen = row.last_seen if end is None or row.last_seen < end else end
    query_type = row.query_type if start == row.valid_from else ""
    # a part starting with the interval keeps an earlier first_seen (a Time Travel read: .walk)
    first_seen = min(start, row.first_seen) if start == row.valid_from else start
    return replace(row, valid_from=start, first_seen=first_seen, last_seen=last_seen, query_type=query_type)


def walk_column_origin(
    index: ColumnIndex,
    origin: str,
    *,
    masked_columns: Callable[[str], bool] = lambda _id: False,
    masked_datasets: Callable[[str], bool] = lambda _id: False,
    max_hops: int = DEFAULT_MAX_HOPS,
    column_masking: bool = True,
    windows: dict[str, dict[str, Window]] | None = None,
) -> list[ColumnHolding]:
    """Return what holds ``origin``'s data at ``index.as_of`` (see the module docstring).

    Args:
        index: from :func:`build_column_index`.
        origin: the origin column id ``db.schema.table.column``.
        masked_columns: column ids with their own masking policy.
        masked_datasets: dataset ids with a masking policy (their columns count as masked).
        max_hops: longest route, in lineage edges (column and dataset edges together).
        column_masking: False when masking of columns is judged by the caller (policies
            with time, :mod:`.masking`: copies judged on the edges, masked terminals kept
            for their unmasked window): then ``masked_datasets`` stops only table-level hops
            and columns of masked datasets are walked and returned.
        windows: when given, filled with the holding windows of everything reached, also
            what no longer holds at T: ``"clear"``, ``"partial"``, ``"masked"`` (column id ->
            window per state) and ``"table"`` (dataset id -> window of the table-level
            fallback); see :func:`.walk.walk_origin` (access history).

    Returns:
        Column-level holdings sorted by column id, then table-level ones sorted by dataset
        id; the governed-terminal rule is not applied here.

    Raises:
        ValueError: ``max_hops`` is below 1.
    """
    if max_hops < 1:
        raise ValueError(f"max_hops must be at least 1, got {max_hops}")
    home = dataset_of(origin)
    cstate: dict[str, dict[str, Window]] = {state: {} for state in _STATES}
    cstate[_CLEAR][origin] = (float("-inf"), float("inf"), (origin,))
    cheld: dict[str, dict[str, Held]] = {state: {} for state in _STATES}
    dstate: dict[str, Window] = {}
    dheld: dict[str, Held] = {}
    cfrontier: dict[str, list[str]] = {_CLEAR: [origin], _PARTIAL: [], _MASKED: []}
    dfrontier: list[str] = []

    def stopped(column: str) -> bool:
        return masked_columns(column) or (column_masking and masked_datasets(dataset_of(column)))

    for _ in range(max_hops):
        cupdates: dict[str, dict[str, Window]] = {state: {} for state in _STATES}
        dupdates: dict[str, Window] = {}
        for state in _STATES:
            for column in cfrontier[state]:
                window = cstate[state][column]
                ref = ColumnRef.parse(column)
                dataset, name = ref.dataset_id, quote_part(ref.name)
                for kind, moves in _MOVES.items():
                    into = moves[state]
                    steps = index.columns[kind].steps
                    relax(steps.get(column, ()), window, origin, cstate[into], cupdates[into], cheld[into])
                    star = steps.get(dataset + ".*")
                    if star:
                        relax(star, window, origin, cstate[into], cupdates[into], cheld[into],
                              rename=lambda down, name=name: down[:-1] + name if down.endswith(".*") else down)
                if state != _MASKED:
                    relax(index.unknown.steps.get(dataset, ()), window, home, dstate, dupdates, dheld)
        for dataset in dfrontier:
            relax(index.tables.steps.get(dataset, ()), dstate[dataset], home, dstate, dupdates, dheld)
        cfrontier = {state: advance(cstate[state], cupdates[state], stopped) for state in _STATES}
        dfrontier = advance(dstate, dupdates, masked_datasets)
        if not any(cfrontier.values()) and not dfrontier:
            break
    if windows is not None:
        windows.update({state: dict(cstate[state]) for state in _STATES}, table=dict(dstate))
    out: list[ColumnHolding] = []
    for state, exposure in ((_CLEAR, FULL), (_PARTIAL, PARTIAL)):
        held = cheld[state]
        for c in held:
            if stopped(c) or (state == _PARTIAL and c in cheld[_CLEAR]):
                continue
            out.append(ColumnHolding(origin, c, held[c][1], from_micros(held[c][2]), COLUMN_LEVEL,
                                     len(held[c][1]), exposure))
    out.sort(key=lambda h: h.terminal)
    reported = {dataset_of(h.terminal) for h in out}
    walked = set().union(*(cstate[state] for state in _STATES))
    for dataset in sorted(dheld):
        if masked_datasets(dataset) or dataset in reported:
            continue
        path = dheld[dataset][1]
        out.append(ColumnHolding(origin, dataset, path, from_micros(dheld[dataset][2]), TABLE_LEVEL,
                                 sum(1 for i in path if i in walked)))
    return out


def find_column_holdings(
    dataset_edges: Iterable[EdgeRow],
    column_edges: Iterable[EdgeRow],
    origins: Iterable[str],
    *,
    as_of: datetime,
    masked_columns: Callable[[str], bool] = lambda _id: False,
    masked_datasets: Callable[[str], bool] = lambda _id: False,
    live: Collection[str] = (),
    max_hops: int = DEFAULT_MAX_HOPS,
) -> list[ColumnHolding]:
    """Walk every origin column (see :func:`walk_column_origin`); results by origin, then level, then id."""
    index = build_column_index(dataset_edges, column_edges, as_of=as_of, live=live)
    out: list[ColumnHolding] = []
    for origin in sorted(set(origins)):
        out.extend(walk_column_origin(index, origin, masked_columns=masked_columns,
                                      masked_datasets=masked_datasets, max_hops=max_hops))
    return out
