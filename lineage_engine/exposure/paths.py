"""Keep the exposure paths among walk results or trace rows (design §7).

Pure: stdlib and :mod:`lineage_engine.model` only. The walk happens elsewhere: the scan's
time-respecting walks (:mod:`.walk` and :mod:`.column_walk`, rows from ``as_row()``, nodes
as bare ids) or the ``unmasked_pii_paths`` Cypher trace (nodes as property dicts); this
module applies the registry's facts to what the walk found.

Rules (each with its reason):

1. **Facts**: for every node on a path, the registry asset with the same ``catalog_path``
   wins over the node's synced properties (``masking_policy``, ``classification``); node
   properties are used only for datasets the registry does not know (the walk's rows carry
   bare ids, so for them the registry is the only source). The registry is the source of
   truth and the graph copy may lag one classification sync. A column (the last
   ``columns`` ids of a column walk's path) is masked when its own asset or its dataset's
   has a masking policy, and is classified as its own asset says, else as its dataset.
2. **Masked terminal**: a terminal with a masking policy (anything but null or ``NONE``)
   is not an exposure. (The trace already drops terminals masked by node properties; a
   terminal masked only in the registry is dropped here. A terminal the graph thinks is
   masked but the registry does not cannot be seen until the next classification sync.)
3. **Governed terminal**: a terminal classified at the origin's level or above *and* at
   least ``min_governed_level`` (default ``confidential``) is an equally governed place,
   not an exposure. The floor keeps a registry default (``internal``) from hiding a PII
   copy; an unclassified terminal is never governed.
3b. **Inside the origin's table**: a column of the origin's own dataset (``UPDATE t SET
   notes = email``) is governed by that table's access, so rule 3 does not apply to it and
   it is an exposure only when the origin column has its own masking policy and the
   terminal does not: a **masking bypass** (everyone who reads the table reads the masked
   value in clear). Without a policy on the origin column there is nothing to bypass. As
   an intermediate such a column carries the value on (``t.notes -> mart.notes``).
4. **Masking closes a path**: a path through a masked dataset strictly between origin and
   terminal is not an exposure. Snowflake masking policies apply when data is *read*, so
   a dataset built from a masked one holds masked values. Limitation: a role exempt from
   the policy (typically the ETL owner role) reads and copies clear values, which this
   rule cannot see; query roles are not on the edges yet. The origin's own masking policy
   does not close its paths: bypassing that control by a privileged copy is exactly the
   exposure this scan exists to find.
5. **One path per (origin, terminal)**: after rules 2-4, the fewest hops win, ties broken by
   the lexicographically smallest id sequence (terminal first). A path that revisits its
   origin (a lineage cycle) is ignored.
7. **Masking policies with time** (issue 10 §2-3, when the scan passes a
   :class:`~.masking.MaskingView`): a column terminal masked at the scan's instant is not an
   open exposure; when the data reached it (the row's ``arrived``) before its masking began,
   the path is a *closed window* (``unmasked_to`` = when the masking began): the finding
   resolves and says "unmasked from T1 to T2". Rule 4 then no longer applies to columns: a
   copy out of a masked column was already judged on its edge (:meth:`.MaskingView.judge_copy`)
   and the walk does not follow a copy that holds masked values; ``notes`` say why a copy
   made under a policy still counts.
8. **Partial exposure** (issue 10): a row with ``exposure: partial`` (only a fragment of
   the origin column reaches the terminal: ``RIGHT(ssn, 4)``) is rated by
   :func:`.severity.partial_severity`: ``risk_thresholds.partial_exposure`` when set, else
   one level below the origin's severity. Where both a full and a partial row reach one
   terminal, the full one wins.
6. **Level**: the row's ``level`` (column walks say ``column`` or ``table``; other rows are
   ``table``). A ``column`` path means "the origin column's value reaches that column";
   a ``table`` path means "some data of the origin reaches the terminal dataset": the
   origin is a whole dataset, or column lineage was unknown on a hop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from lineage_engine.exposure.masking import MaskingView
from lineage_engine.exposure.origins import classification_rank
from lineage_engine.exposure.severity import DEFAULT_TAG_RISK_KEYS, SEVERITIES, partial_severity, severity_for
from lineage_engine.model import Asset, ExposurePath, dataset_of

TABLE_LEVEL = "table"
FULL = "full"
PARTIAL = "partial"


def _node_id(node: object) -> str:
    if isinstance(node, Mapping):
        value = node.get("id")
    else:  # a bare id, tolerated for hand-written rows
        value = node
    if not isinstance(value, str) or not value:
        raise ValueError(f"trace row has a path node without an 'id': {node!r:.200}")
    return value


def _bare_ids(nodes: object) -> bool:
    """Say whether ``nodes`` is a list or tuple of non-empty ids (a walk row's path), checked in C."""
    if type(nodes) is not list and type(nodes) is not tuple:
        return False
    try:
        "".join(nodes)  # type: ignore[arg-type]
    except TypeError:  # a node that is not a string (a trace row's property dict)
        return False
    return "" not in nodes


def _is_masked(node_id: str, node: object, assets_by_path: Mapping[str, Asset], column: bool = False) -> bool:
    if column and _is_masked(dataset_of(node_id), None, assets_by_path):
        return True  # a masking policy on the dataset masks its columns
    asset = assets_by_path.get(node_id)
    if asset is not None:
        return asset.is_masked
    policy = node.get("masking_policy") if isinstance(node, Mapping) else None
    return isinstance(policy, str) and bool(policy.strip()) and policy.strip().upper() != "NONE"


def _classification(node_id: str, node: object, assets_by_path: Mapping[str, Asset], column: bool = False) -> str | None:
    asset = assets_by_path.get(node_id)
    if asset is not None:
        return asset.classification
    if column:
        return _classification(dataset_of(node_id), None, assets_by_path)
    value = node.get("classification") if isinstance(node, Mapping) else None
    return value if isinstance(value, str) else None


def find_exposure_paths(
    rows: Iterable[Mapping[str, object]],
    origins: Mapping[str, Asset],
    assets_by_path: Mapping[str, Asset],
    *,
    risk_thresholds: Mapping[str, str],
    tag_risk_keys: Mapping[str, str] = DEFAULT_TAG_RISK_KEYS,
    min_governed_level: str = "confidential",
    masking: MaskingView | None = None,
    at: datetime | None = None,
    notes: Mapping[tuple[str, str], str] | None = None,
) -> list[ExposurePath]:
    """Return one exposure path per (origin, terminal) from walk or trace rows.

    Args:
        rows: rows with ``origin``, ``terminal`` and ``path`` (node property dicts or bare
            ids, terminal first, origin last); ``hops`` is recomputed from ``path``;
            optional ``level`` (default ``table``) and ``columns`` (how many ids at the
            origin end of the path are columns, default 0); optional ``exposure``
            (``full``, the default, or ``partial``).
        origins: origin id (dataset or column) -> origin asset (see ``split_origins``);
            rows whose origin is not here are ignored.
        assets_by_path: every registry asset by ``catalog_path``.
        risk_thresholds: ``compliance.risk_thresholds``.
        tag_risk_keys: ``compliance.tag_risk_keys``.
        min_governed_level: lowest classification that can make a terminal governed.
        masking: masking policies with time (rule 7); None: registry masking as of now only.
        at: the scan's instant (needed with ``masking``).
        notes: (downstream, upstream) -> why that copy carries the value (rule 7).

    Returns:
        Exposure paths sorted by severity (most urgent first), then origin, then terminal.

    Raises:
        ValueError: a row lacks ``path`` or a node id, or a path does not run from
            ``terminal`` to ``origin``; or a risk threshold holds an unknown severity.
    """
    if masking is not None and at is None:
        raise ValueError("find_exposure_paths needs 'at' with 'masking'")
    floor = classification_rank(min_governed_level)
    best: dict[tuple[str, str], tuple[bool, int, tuple[str, ...], str]] = {}
    windows: dict[tuple[str, str], tuple[datetime | None, datetime]] = {}
    masked_ids: dict[tuple[str, bool], bool] = {}  # bare ids (walk rows): a function of (id, is a column)
    ranks: dict[tuple[str, bool], int] = {}
    masked_datasets = frozenset(i for i, a in assets_by_path.items() if a.is_masked)  # bare ids, table level

    def masked(node_id: str, node: object, column: bool) -> bool:
        if type(node) is not str:  # a trace row's node: its own properties count
            return _is_masked(node_id, node, assets_by_path, column)
        known = masked_ids.get((node_id, column))
        if known is None:
            known = masked_ids[(node_id, column)] = _is_masked(node_id, node, assets_by_path, column)
        return known

    def rank(node_id: str, node: object, column: bool) -> int:
        if type(node) is not str:
            return classification_rank(_classification(node_id, node, assets_by_path, column))
        known = ranks.get((node_id, column))
        if known is None:
            known = ranks[(node_id, column)] = classification_rank(
                _classification(node_id, node, assets_by_path, column))
        return known

    for row in rows:
        origin_id = str(row.get("origin"))
        origin = origins.get(origin_id)
        if origin is None:
            continue
        nodes = row.get("path")
        if not isinstance(nodes, Sequence) or isinstance(nodes, str) or len(nodes) < 2:
            raise ValueError(f"trace row for origin '{origin_id}' has no path of two or more nodes")
        bare = _bare_ids(nodes)
        ids = tuple(nodes) if bare else tuple(n if type(n) is str and n else _node_id(n) for n in nodes)
        terminal_id = ids[0]
        if ids[-1] != origin_id or (row.get("terminal") not in (None, terminal_id)):
            raise ValueError(
                f"trace row path {ids[0]!r} .. {ids[-1]!r} does not run from terminal "
                f"{row.get('terminal')!r} to origin {origin_id!r}; the trace must return nodes(p) "
                "terminal first"
            )
        if origin_id in ids[:-1]:
            continue  # a cycle back through the origin
        first_column = len(ids) - int(row.get("columns") or 0)  # type: ignore[call-overload]
        timed = masking is not None and first_column <= 0
        since = masking.masked_since(terminal_id, at) if timed else None  # type: ignore[union-attr, arg-type]
        if since is None and masked(terminal_id, nodes[0], first_column <= 0):
            continue
        if first_column <= 0 and dataset_of(terminal_id) == dataset_of(origin_id):
            own = assets_by_path.get(origin_id)
            origin_masked = masking.is_masked(origin_id, at) if timed else (  # type: ignore[union-attr, arg-type]
                own is not None and own.is_masked)
            if not origin_masked:
                continue  # rule 3b: same table, same access, no masking to bypass
        else:
            terminal_rank = rank(terminal_id, nodes[0], first_column <= 0)
            if terminal_rank >= floor and terminal_rank >= classification_rank(origin.classification):
                continue
        if bare and first_column >= len(ids) - 1:  # a walk row, table level between the ends
            if not masked_datasets.isdisjoint(ids[1:-1]):
                continue
        elif any(masked(i, n, k >= first_column)
                 for k, (i, n) in enumerate(zip(ids[1:-1], nodes[1:-1], strict=True), start=1)
                 if masking is None or k < first_column):
            continue
        key = (origin_id, terminal_id)
        if since is not None:  # rule 7: masked now; exposed only if the data came before the masking
            arrived = row.get("arrived")
            arrived = arrived if isinstance(arrived, datetime) else None
            if arrived is not None and arrived >= since:
                continue
            old = windows.get(key)
            windows[key] = (None if old is not None and old[0] is None else
                            min(arrived, old[0]) if old is not None and arrived is not None else arrived, since)
        candidate = (row.get("exposure") == PARTIAL, len(ids) - 1, ids, str(row.get("level") or TABLE_LEVEL))
        if key not in best or candidate < best[key]:
            best[key] = candidate

    paths: list[ExposurePath] = []
    rated: dict[str, tuple[tuple[str, ...], str]] = {}  # by origin: its tags and severity
    doubting = masking is not None and at is not None and not masking.sets_aside_nothing
    doubts: dict[str, str | None] = {}  # by node: one instant, so one answer each

    def doubt_of(node: str) -> str | None:
        if node not in doubts:
            doubts[node] = masking.doubt(node, at)  # type: ignore[union-attr, arg-type]
        return doubts[node]

    for (origin_id, terminal_id), (partial, hops, ids, level) in best.items():
        origin = origins[origin_id]
        if origin_id not in rated:
            tags = tuple(sorted({t.strip().lower() for t in origin.regulatory_tags}))
            rated[origin_id] = (tags, severity_for(tags, origin.classification, risk_thresholds, tag_risk_keys))
        tags, severity = rated[origin_id]
        window = windows.get((origin_id, terminal_id))
        said = [notes[(d, u)] for d, u in zip(ids, ids[1:], strict=False) if (d, u) in notes] if notes else []
        if doubting:  # a tag's policy set aside for its data type (rule 6)
            said += [doubt for node in ids[:-1] if (doubt := doubt_of(node))]
        paths.append(
            ExposurePath(
                origin=origin_id,
                terminal=terminal_id,
                path=ids,
                hops=hops,
                regulatory_tags=tags,
                classification=origin.classification,
                severity=partial_severity(severity, risk_thresholds) if partial else severity,
                level=level,
                steward=origin.steward,
                unmasked_from=window[0] if window else None,
                unmasked_to=window[1] if window else None,
                note="; ".join(dict.fromkeys(said)),
                exposure=PARTIAL if partial else FULL,
            )
        )
    paths.sort(key=lambda p: (-SEVERITIES.index(p.severity), p.origin, p.terminal))
    return paths


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a scan could and could not see, for honest completeness in reports.

    Attributes:
        origins: origins walked (dataset ids and column ids), sorted.
        missing_from_graph: origins whose dataset has no node in the graph (no lineage seen
            yet: never crawled, misspelt in the registry, or outside the crawled account).
        column_origins: origins walked at column level (sensitive columns); the others are
            datasets without sensitive columns, walked at table level.
        column_paths, table_paths: exposure paths found at each level.
        unknown_points: dataset lineage intervals (valid by the answer's instant) made by a Time
            Travel read at a point not known (a timestamp without a zone, an expression, a
            variable, a query id not seen, ``STREAM =>``): the walk read them as any earlier
            content of their upstream (an over-report), since the content they copied is not known.
        untyped_copies: column copies crawled before the ``cast`` transform existed, not typed from
            their upstream (a tag's masking policy is not taken to mask them: an over-report) until
            ``crawl --reset-watermark`` replays them (``graph/column_rules.py``).
    """

    origins: tuple[str, ...]
    missing_from_graph: tuple[str, ...]
    column_origins: int = 0
    column_paths: int = 0
    table_paths: int = 0
    unknown_points: int = 0
    untyped_copies: int = 0

    def notes(self) -> tuple[str, ...]:
        """Return plain-language caveats and the column/table split, for a report."""
        out: list[str] = []
        if self.missing_from_graph:
            out.append(
                f"{len(self.missing_from_graph)} of {len(self.origins)} sensitive origins are not in the "
                "lineage graph; their downstream is unknown, not empty"
            )
        table_origins = len(self.origins) - self.column_origins
        out.append(
            f"coverage: {self.column_origins} origins walked at column level (sensitive columns), "
            f"{table_origins} at table level (datasets without sensitive columns); paths: "
            f"{self.column_paths} column-level, {self.table_paths} table-level"
        )
        if self.table_paths:
            out.append("table-level paths show that some data of the origin reaches the terminal dataset "
                       "(a whole-dataset origin, or column lineage unknown on a hop)")
        if self.unknown_points:
            out.append(f"not seen: {self.unknown_points:,} Time Travel reads at an unknown point (a timestamp "
                       "without a zone, an expression, a variable, a query id not seen, STREAM =>): read as any "
                       "earlier content of the table read, so a path through one may be an over-report")
        if self.untyped_copies:
            out.append(untyped_copies_note(self.untyped_copies))
        return tuple(out)


def untyped_copies_note(count: int) -> str:
    """Return the caveat for ``count`` column copies crawled before the ``cast`` transform (not typed from
    their upstream until ``crawl --reset-watermark`` settles them: ``graph/column_rules.py``)."""
    return (f"not seen: {count:,} column copies crawled before the cast transform are not typed from their "
            "upstream (a tag's masking policy is not taken to mask them, so a path through one may be an "
            "over-report): crawl --reset-watermark to settle them")


def summarize_coverage(
    origin_ids: Iterable[str],
    present_ids: Iterable[str],
    *,
    column_origins: int = 0,
    paths: Iterable[ExposurePath] = (),
    unknown_points: int = 0,
    untyped_copies: int = 0,
) -> Coverage:
    """Return the :class:`Coverage` of a scan from its origins, those in the graph, and its paths."""
    origins = tuple(sorted(set(origin_ids)))
    present = set(present_ids)
    missing = tuple(o for o in origins if o not in present)
    levels = [p.level for p in paths]
    return Coverage(origins=origins, missing_from_graph=missing, column_origins=column_origins,
                    column_paths=levels.count("column"), table_paths=len(levels) - levels.count("column"),
                    unknown_points=unknown_points, untyped_copies=untyped_copies)
