"""One exposure scan: registry + graph -> exposure paths -> findings ledger -> alerts (design §7).

:func:`scan_once` is what the scheduler's exposure job and ``lineage-engine scan`` call. The
deciding logic is pure (:mod:`lineage_engine.exposure`); this module only wires I/O:

1. list registry assets; pick sensitive origins and split them (:func:`split_origins`):
   sensitive columns are walked at column level, datasets without sensitive columns at
   table level;
2. ask the graph which origins' datasets it holds at all (the rest are reported, not
   guessed at);
3. read every edge interval once (``iter_edges(None)``, and ``iter_column_edges(None)``
   when there are column origins) and the ids of views, and walk downstream from each
   origin as of ``now``, time-respecting: :func:`find_holdings` for datasets (see
   :mod:`lineage_engine.exposure.walk` for the definition of "exposure as of T"),
   :func:`walk_column_origin` for columns (:mod:`lineage_engine.exposure.column_walk`:
   masked column edges close a path; a hop without column lineage falls back to table
   level and says so);
4. keep the exposure paths (:func:`find_exposure_paths`: registry facts, governed rule,
   severity);
5. ``registry.record_scan``: opens, escalates, re-alerts and resolves findings and queues
   their alerts in the same transaction;
6. deliver the outbox (:func:`deliver_outbox`), kinds outside ``alert_kinds_enabled``
   suppressed (marked delivered without sending; see :mod:`lineage_engine.alerts.outbox`).

A failure in steps 1-5 raises before the ledger changes, so a broken graph never resolves
open findings; nor does a graph that holds none of the origins while findings are open
(a wrong ``graph.path`` or a fresh, empty graph): that raises ``GraphError`` instead.
Delivery failures do not raise: they stay in the outbox for the next run.

Why not the ``unmasked_pii_paths`` trace. The saved trace stays for analysts (it answers
"which paths exist with every edge valid at an instant"), but the scan no longer runs it:

- a variable-length Cypher match enumerates every path, so its cost follows the number of
  paths, not edges (measured on the embedded engine: 500 datasets / 1,200 edges gave 56k
  paths in 28 s and 9.6 GB; 1,600 edges ran out of memory). The Python walk is one pass per
  origin over the edges (``benchmarks/exposure_walk.py``);
- requiring every edge of a path to be valid *now* misses copies whose intermediate was
  dropped, renamed or replaced after the copy (``customers -> tmp_copy -> export`` with
  ``tmp_copy`` dropped: ``export`` still holds the PII). The walk follows history instead.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from lineage_engine.alerts.notifier import Notifier
from lineage_engine.alerts.outbox import DEFAULT_BUDGET_SECONDS, DeliveryReport, deliver_outbox
from lineage_engine.errors import GraphError
from lineage_engine.exposure.column_walk import ColumnHolding, build_column_index, dataset_of, walk_column_origin
from lineage_engine.exposure.explain import Hop, IntervalIndex, IntervalLookup, first_hops, opening_hop
from lineage_engine.exposure.masking import (MaskingView, data_type_spans, masking_spans, swapped_copies, tag_masking_spans,
                                             travelled_copies, type_copies)
from lineage_engine.exposure.origins import find_sensitive_origins, index_assets, is_column_asset, split_origins
from lineage_engine.exposure.paths import Coverage, find_exposure_paths, summarize_coverage
from lineage_engine.exposure.severity import DEFAULT_TAG_RISK_KEYS
from lineage_engine.exposure.walk import DEFAULT_MAX_HOPS, Holding
from lineage_engine.facts import registry_facts
from lineage_engine.gc_pace import spaced_full_collections
from lineage_engine.graph.column_rules import column_rules_of
from lineage_engine.graph.reach import intervals_out_of
from lineage_engine.graph.store import GraphStore
from lineage_engine.model import EdgeRow, ExposurePath, SavedTrace, Statement
from lineage_engine.profiling import NO_PROFILE, Profile
from lineage_engine.walk_arrays import Holdings, TableIntervals, WalkEdges, build_array_index, walk_origin_arrays

_VIEWS = SavedTrace(
    name="_views_in_graph",
    text="MATCH (d:Dataset) WHERE d.kind = 'view' OR (d.kind = 'external' AND NOT (d.id CONTAINS '://')) "
         "RETURN d.id AS id ORDER BY id",
    description="Datasets that are views or external tables (kind 'external' without a location id: "
                "buckets and URLs are copies): they show their upstreams' content live (exposure walk).",
)

_PRESENT = SavedTrace(
    name="_origins_in_graph",
    text="MATCH (d:Dataset) WHERE d.id IN $ids RETURN d.id AS id ORDER BY id",
    description="Which of the given dataset ids exist as Dataset nodes (scan coverage).",
)


class _CoverageNotes:
    """The ``notes`` of a result that carries a :class:`Coverage` as ``coverage``."""

    __slots__ = ()
    coverage: Coverage

    @property
    def notes(self) -> tuple[str, ...]:
        """Return the coverage caveats, in plain language."""
        return self.coverage.notes()


@dataclass(frozen=True, slots=True)
class ScanReport(_CoverageNotes):
    """What one :func:`scan_once` found and did.

    Attributes:
        origins: origins walked, sorted: dataset ids (table level) and column ids
            (column level).
        paths: exposure paths, most severe first (see :func:`find_exposure_paths`).
        outcome: the registry's ``ScanOutcome`` (opened, escalated, realerted, resolved,
            still_open findings).
        delivery: the outbox run after recording.
        origins_missing_from_graph: origins whose dataset has no node: their downstream
            is unknown, not empty.
        coverage: the same facts plus the caveats (:meth:`Coverage.notes`) for reports.
        at: the scan's ``now`` (UTC); also the walk's ``as_of``.
        windows: closed windows: paths to terminals masked since the data reached them
            ("unmasked from T1 to T2"); their findings are resolved, not alerted.
        explanations: each path's (and window's) hops and opening statement (see :class:`Exposure`).
    """

    origins: tuple[str, ...]
    paths: list[ExposurePath]
    outcome: Any
    delivery: DeliveryReport
    origins_missing_from_graph: tuple[str, ...]
    coverage: Coverage
    at: datetime
    windows: list[ExposurePath] = field(default_factory=list)
    explanations: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Exposure(_CoverageNotes):
    """The exposure as of one instant, before any ledger change (what ``scan --as-of`` prints).

    Attributes:
        origins: origins walked, sorted: dataset ids (table level) and column ids.
        present: the origins whose dataset is in the graph (the others are not walked).
        paths: exposure paths open at ``T``, most severe first (:func:`find_exposure_paths`).
        coverage: the origins, those missing from the graph, and the column/table split.
        at: the instant ``T`` (aware UTC) of the walk and of the registry facts.
        windows: paths to terminals masked at ``T`` that held the value in clear before
            their policy came ("unmasked from T1 to T2", issue 10 §2).
        explanations: by (origin, terminal), for paths and windows: ``level``, ``hops``
            (origin first, each with its transform and statement) and ``opened_by``
            (:func:`explain_paths`).
    """

    origins: tuple[str, ...]
    present: tuple[str, ...]
    paths: list[ExposurePath]
    coverage: Coverage
    at: datetime
    windows: list[ExposurePath] = field(default_factory=list)
    explanations: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


@spaced_full_collections  # hundreds of thousands of paths and hops, none in a cycle (lineage_engine/gc_pace.py)
def assess_exposure(
    store: GraphStore,
    assets: list[Any],
    *,
    as_of: datetime,
    pii_tags: Collection[str],
    risk_thresholds: Mapping[str, str],
    tag_risk_keys: Mapping[str, str] = DEFAULT_TAG_RISK_KEYS,
    max_hops: int = DEFAULT_MAX_HOPS,
    masking: MaskingInputs | None = None,
    statements: Callable[[Sequence[str]], Mapping[str, Statement]] | None = None,
    profile: Profile = NO_PROFILE,
    adjust: Callable[[list[ExposurePath], datetime], list[ExposurePath]] | None = None,
) -> Exposure:
    """Return the exposure paths as of ``as_of`` from the graph and registry facts; read-only.

    Steps 1-4 of the module docstring: pick the sensitive origins among ``assets`` (the
    registry facts valid at ``as_of``), check which are in the graph, walk each one
    time-respecting as of ``as_of`` (lineage as it stood then: edges opened later are not
    seen, copies made earlier still hold what they copied) and keep the exposure paths.
    Nothing is written: the scan records the result, ``scan --as-of`` only prints it.
    ``masking`` (:class:`MaskingInputs`, from the registry) applies masking policies with
    time (:mod:`lineage_engine.exposure.masking`); None: the assets' masking as of ``as_of``.
    ``statements`` looks up who ran the statements on the paths (the registry's
    ``get_statements``); without it the explanations carry query ids only. ``profile``
    collects seconds per stage (``graph.*``, ``walk``, ``paths``, ``explain``, ``adjust``).
    ``adjust`` is applied to the open paths as of ``as_of`` (the scan's hook: who can read each
    terminal, egress kinds, shares exporting the data then, boundary crossings;
    :func:`lineage_engine.access.findings.finding_adjuster`): ``scan`` and ``scan --as-of``
    (and evidence packs) give one answer because both pass it here.

    Raises:
        ValueError: ``as_of`` is naive, or a risk threshold is not a severity.
        GraphError: the graph could not be read.
    """
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("assess_exposure needs an aware UTC 'as_of'")
    with profile.timed("paths.origins"):
        by_path = index_assets(assets)
        sensitive = find_sensitive_origins(assets, pii_tags=frozenset(pii_tags))
        table_origins, column_origins = split_origins(sensitive, by_path)
        origins = {**table_origins, **column_origins}
        origin_ids = sorted(origins)
    present: list[str] = []
    if origin_ids:
        home = {o: dataset_of(o) if o in column_origins else o for o in origin_ids}  # the origin's dataset
        with profile.timed("graph.present"):
            found = {str(r["id"]) for r in store.run_trace(_PRESENT, {"ids": sorted(set(home.values()))})}
        present = [o for o in origin_ids if home[o] in found]
    with profile.timed("graph.edges"):
        lineage = load_lineage(store, columns=any(o in column_origins for o in present)) if present else Lineage((), ())
    with profile.timed("walk"):
        rows = _walk(lineage, assets, present, column_origins, as_of, max_hops, masking) if present else []
    with profile.timed("paths"):
        paths = find_exposure_paths(
            rows, origins, by_path, risk_thresholds=risk_thresholds, tag_risk_keys=tag_risk_keys,
            masking=masking.view if masking is not None else None, at=as_of,
            notes=masking.notes if masking is not None else None,
        )
        windows = [p for p in paths if p.closed]  # masked after the data arrived: resolved findings (issue 10 §2)
        live = [p for p in paths if not p.closed]
        coverage = summarize_coverage(origin_ids, present, column_origins=len(column_origins), paths=live,
                                      unknown_points=lineage.unknown_points(as_of),
                                      untyped_copies=lineage.untyped_copies if masking is not None and masking.tag_spans
                                      else 0)
        columns = {(str(r["origin"]), tuple(r["path"])): int(r.get("columns") or 0) for r in rows}  # type: ignore[arg-type, call-overload]
        del rows  # one dict per walked path: not kept through the explanations (peak RSS)
    if adjust is not None:
        with profile.timed("adjust"):
            live = adjust(live, as_of)
        for p in live:  # a path the hook added (a share): its hops up to the shared object are the walk's
            if (p.origin, p.path) not in columns and len(p.path) > 1:
                columns[(p.origin, p.path)] = columns.get((p.origin, p.path[1:]), 0)
        paths = [*live, *windows]
    intervals: IntervalLookup | None = None
    if paths and lineage.walk is not None and not lineage.edges:  # read compactly
        if lineage.walk.statements is not None:  # every interval's statement came with the walk's columns
            with profile.timed("explain.intervals"):
                intervals = TableIntervals(lineage.walk, as_of)
        else:  # the paths' intervals only
            with profile.timed("graph.path_intervals"):
                lineage = replace(lineage, edges=tuple(intervals_out_of(store, sorted({i for p in paths for i in p.path}))[0]))
    with profile.timed("explain"):
        explanations = explain_paths(paths, columns, lineage, as_of, statements, intervals) if paths else {}
        openings = getattr(adjust, "openings", None)
        if openings:
            _explain_openings(explanations, openings, statements)
    return Exposure(origins=tuple(origin_ids), present=tuple(present), paths=live, coverage=coverage, at=as_of,
                    windows=windows, explanations=explanations)


def _explain_openings(explanations: dict[tuple[str, str], dict[str, Any]],
                      openings: Mapping[tuple[str, str], tuple[str, datetime]],
                      statements: Callable[[Sequence[str]], Mapping[str, Statement]] | None) -> None:
    """Name the statement of the last hop of the paths the scan's hook added (a share: its grant, first
    account or the data's arrival; ``openings``: (origin, terminal) -> (query id, time)), and make it
    the path's ``opened_by``: no lineage interval records a share's export."""
    asked = sorted({q for q, _ in openings.values() if q})
    known = dict(statements(asked)) if statements is not None and asked else {}
    for key, (query_id, at) in openings.items():
        item = explanations.get(key)
        if item is None or not item["hops"]:
            continue
        who = known.get(query_id)
        opened = {"query_id": query_id, "query_type": who.query_type if who else "",
                  "user": who.user_name if who else None, "role": who.role_name if who else None,
                  "at": at.isoformat()}
        last = {**item["hops"][-1], "query_id": query_id, "query_type": opened["query_type"],
                "valid_from": at.isoformat(), "valid_to": None, "user": opened["user"], "role": opened["role"]}
        explanations[key] = {**item, "hops": [*item["hops"][:-1], last], "opened_by": opened}


def explain_paths(
    paths: Sequence[ExposurePath],
    columns: Mapping[tuple[str, tuple[str, ...]], int],
    lineage: Lineage,
    as_of: datetime,
    statements: Callable[[Sequence[str]], Mapping[str, Statement]] | None = None,
    intervals: IntervalLookup | None = None,
) -> dict[tuple[str, str], dict[str, Any]]:
    """Return each path's explanation, by (origin, terminal) (issue 10 §6).

    ``{"level", "hops": [hop, …] origin first, "opened_by": {query_id, query_type, user,
    role, at} | None}``; a hop is :meth:`Hop.as_dict` plus ``user`` and ``role`` of its
    statement. ``opened_by`` is the statement of the hop into the terminal: the last one
    that put the data there by ``as_of``. ``columns``: how many ids at the origin end of each
    walked path (by origin and path) are columns. Paths share hops, and equal hops share one
    dict (and equal openings one ``opened_by``): read the result, do not change it in place.
    ``intervals``: where hops find their interval (:class:`~lineage_engine.walk_arrays.TableIntervals`);
    None: an :class:`IntervalIndex` of ``lineage``'s edges.
    """
    index = intervals if intervals is not None else IntervalIndex(lineage.edges, lineage.column_edges)
    cache: dict[tuple[str, str, str, bool], Hop] = {}  # paths share hops: each explained once
    keys = [(p.path, columns.get((p.origin, p.path), 0)) for p in paths]
    firsts = first_hops(keys, index, as_of, cache)  # a path's hops: its first, then its tail's
    query_ids = sorted({h.query_id for h in cache.values() if h.query_id})
    known = dict(statements(query_ids)) if statements is not None and query_ids else {}
    shown_hops: dict[int, dict[str, Any]] = {}  # by id(hop): equal hops share one (read-only) dict
    shown_paths: dict[tuple[tuple[str, ...], int], list[dict[str, Any]]] = {}  # origin first: its tail's, then its first
    openings: dict[int, dict[str, Any]] = {}
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path, key in zip(paths, keys, strict=True):
        chain = []
        tail = (tuple(key[0]), key[1])
        while len(tail[0]) > 1 and tail not in shown_paths:
            chain.append(tail)
            tail = (tail[0][1:], tail[1])
        shown = shown_paths.get(tail, [])
        for step in reversed(chain):
            hop = firsts[step]
            item = shown_hops.get(id(hop))
            if item is None:
                who = known.get(hop.query_id)
                item = shown_hops[id(hop)] = {**hop.as_dict(), "user": who.user_name if who else None,
                                              "role": who.role_name if who else None}
            shown = shown_paths[step] = [*shown, item]
        hop0 = firsts.get((tuple(key[0]), key[1]))
        first = opening_hop([hop0] if hop0 is not None else [])
        opened_by = None
        if first is not None:
            opened_by = openings.get(id(first))
            if opened_by is None:
                who = known.get(first.query_id)
                at = who.end_time if who else first.valid_from
                opened_by = openings[id(first)] = {
                    "query_id": first.query_id, "query_type": first.query_type,
                    "user": who.user_name if who else None, "role": who.role_name if who else None,
                    "at": at.isoformat() if at else None}
        out[(path.origin, path.terminal)] = {"level": path.level, "hops": shown, "opened_by": opened_by}
    return out


def scan_once(
    store: GraphStore,
    registry: Any,
    notifier: Notifier,
    *,
    now: datetime,
    pii_tags: Collection[str],
    risk_thresholds: Mapping[str, str],
    tag_risk_keys: Mapping[str, str] = DEFAULT_TAG_RISK_KEYS,
    realert_after: timedelta | None = None,
    alert_kinds_enabled: Collection[str] | None = None,
    max_attempts: int | None = None,
    max_hops: int = DEFAULT_MAX_HOPS,
    alert_budget_seconds: float | None = DEFAULT_BUDGET_SECONDS,
    alert_group_above: int = 0,
    adjust: Callable[[list[ExposurePath], datetime], list[ExposurePath]] | None = None,
    profile: Profile = NO_PROFILE,
    masking: MaskingInputs | None = None,
) -> ScanReport:
    """Run one exposure scan as of ``now`` and deliver the alerts it queued.

    Args:
        store: the lineage graph (read only here).
        registry: a ``lineage_engine.registry.Registry``.
        notifier: where alerts go.
        now: aware UTC; the walk's ``as_of`` and the ledger's clock.
        pii_tags: ``compliance.sensitive_tags``.
        risk_thresholds: ``compliance.risk_thresholds``.
        tag_risk_keys: ``compliance.tag_risk_keys``.
        realert_after: re-alert open findings older than this; None never re-alerts.
        alert_kinds_enabled: ``monitoring.alert_on``; None sends every kind.
        max_attempts: give up sending an alert after this many failures (None: never).
        max_hops: longest lineage route walked from an origin, in edges.
        alert_budget_seconds: time the outbox run may spend sending
            (``monitoring.alert_budget_seconds``; see :func:`deliver_outbox`).
        alert_group_above: more alerts than this for one origin and event become one grouped
            alert (``monitoring.alert_group_above``; 0: one per finding).
        adjust: applied to the open paths before they are recorded (issue 14 §3: who can
            read each terminal, severity raised for a broad one); None: unchanged.
        profile: collects wall and CPU seconds per stage (``lineage-engine scan --profile``):
            ``registry.*`` reads and writes, ``graph.*`` reads, ``walk``, ``paths``,
            ``explain``, ``adjust``, ``alerts``.
        masking: the registry's masking inputs already read for this scan (drift, shares and
            boundaries fork the same: :meth:`MaskingInputs.fork`); None: read here.

    Returns:
        The :class:`ScanReport`.

    Raises:
        ValueError: ``now`` is naive, or a risk threshold is not a severity.
        GraphError: the graph could not be read, or holds none of the origins while
            findings are open; the ledger is unchanged.
        RegistryError: the registry could not be read or written.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("scan_once needs an aware UTC 'now'")
    with profile.timed("registry.facts"):
        assets = registry_facts(registry, now)
        masking = masking.fork() if masking is not None else MaskingInputs(registry)
    exposure = assess_exposure(store, assets, as_of=now, pii_tags=pii_tags, risk_thresholds=risk_thresholds,
                               tag_risk_keys=tag_risk_keys, max_hops=max_hops, masking=masking,
                               statements=registry.get_statements, profile=profile, adjust=adjust)
    if exposure.origins and not exposure.present:
        open_findings = registry.list_findings("open")
        if open_findings:
            raise GraphError(
                store.backend,
                f"none of the {len(exposure.origins)} sensitive origins is in the lineage graph, yet "
                f"{len(open_findings)} findings are open; refusing to resolve them all. Check "
                "graph.path / graph.uri points at the crawled graph, or run 'lineage-engine crawl'",
            )
    paths, coverage = exposure.paths, exposure.coverage  # adjusted by assess_exposure
    with profile.timed("registry.record_scan"):
        outcome = registry.record_scan([*paths, *exposure.windows], now, realert_after=realert_after,
                                       explanations=exposure.explanations, group_above=alert_group_above)
    with profile.timed("alerts"):
        delivery = deliver_outbox(
            registry, notifier, now=now, max_attempts=max_attempts, kinds_enabled=alert_kinds_enabled,
            budget_seconds=alert_budget_seconds,
        )
    return ScanReport(
        origins=exposure.origins,
        paths=paths,
        outcome=outcome,
        delivery=delivery,
        origins_missing_from_graph=coverage.missing_from_graph,
        coverage=coverage,
        at=now,
        windows=exposure.windows,
        explanations=exposure.explanations,
    )


class MaskingInputs:
    """Masking policies with time for one answer: registry reads, then the view and the edge notes.

    ``view`` (:class:`~lineage_engine.exposure.masking.MaskingView`) and ``notes`` ((downstream,
    upstream) -> why a copy under a policy carries the value) are completed by :meth:`judge`.

    Raises:
        RegistryError: the registry could not be read.
    """

    def __init__(self, registry: Any, *, _reads: _MaskingReads | None = None) -> None:
        self._reads = _reads if _reads is not None else _MaskingReads(registry)
        self.spans = self._reads.spans
        self.tag_spans = self._reads.tag_spans
        self._registry = registry
        self.view: MaskingView = MaskingView(
            self.spans, self._reads.bodies() if self.tag_spans else (), tag_spans=self.tag_spans,
            column_types=self._reads.column_types())
        self.notes: dict[tuple[str, str], str] = {}

    def fork(self) -> MaskingInputs:
        """Return fresh inputs (``view`` and ``notes`` as a new instance has them) over the same registry
        reads: one scan reads the policies, bodies and column reads once and gives each of its answers
        (the walk, drift, shares, boundaries) its own copy to :meth:`judge` with."""
        return MaskingInputs(self._registry, _reads=self._reads)

    def judge(self, column_rows: Collection[EdgeRow], views: Collection[str], now: datetime) -> list[EdgeRow]:
        """Return the column intervals with copies that hold masked values marked ``masked``."""
        live: dict[str, set[str]] = {}
        for row in column_rows:
            if row.kind == "DIRECT" and dataset_of(row.downstream) in views and row.valid_from <= now:
                live.setdefault(row.downstream, set()).add(row.upstream)
        masked = set(self.spans) | set(self.tag_spans)
        if not masked:
            self.view = MaskingView(self.spans, live_upstreams=live)
            return list(column_rows)
        # a column copied unchanged has its upstream's type (tag-based masking, rule 6)
        copies: dict[str, Any] = {}
        if self.tag_spans:  # a SWAP gives each name the other side's column, types included
            moves = self._reads.moves()
            copies = swapped_copies(type_copies(column_rows, self._reads.recreated(), moves), column_rows, moves)
            copies = travelled_copies(copies, column_rows)  # a Time Travel read: the type at its point
        self.view = view = MaskingView(self.spans, self._reads.bodies(), self._reads.column_reads(),
                                       live_upstreams=live, tag_spans=self.tag_spans,
                                       column_types=self._reads.column_types(), type_copies=copies,
                                       recreated=self._reads.recreated() if self.tag_spans else None)
        out = []
        for row in column_rows:
            up = row.upstream
            if (row.kind != "DIRECT" or row.transform == "masked" or dataset_of(row.downstream) in views
                    or row.valid_from > now or (up not in masked and dataset_of(up) not in masked and up not in live)):
                out.append(row)
                continue
            verdict = view.judge_copy(row)
            if not verdict.clear:
                out.append(replace(row, transform="masked"))
                continue
            if verdict.note:
                self.notes[(row.downstream, up)] = verdict.note
            out.append(row)
        return out


class _MaskingReads:
    """The registry reads behind :class:`MaskingInputs`, shared by its forks: the masking spans (read
    now), the policy bodies and the recorded column reads (read when a judge first needs them)."""

    __slots__ = ("spans", "tag_spans", "_registry", "_bodies", "_column_reads", "_types", "_recreated", "_moves")

    def __init__(self, registry: Any) -> None:
        self.spans = masking_spans(registry.fact_history(fact="masking_policy"))
        on_tags = registry.fact_history(fact="tag_masking_policy")  # tag-based masking (rule 5)
        self.tag_spans = tag_masking_spans([*on_tags, *registry.fact_history(fact="tag")]) if on_tags else {}
        self._registry = registry
        self._bodies: tuple[Any, ...] | None = None
        self._column_reads: tuple[Any, ...] | None = None
        self._types: dict[str, Any] | None = None
        self._recreated: dict[str, Any] | None = None
        self._moves: list[Any] | None = None

    def recreated(self) -> dict[str, Any]:
        """Dataset id -> the instants it was (re)created (read only where a tag has a masking policy: rule 6)."""
        if self._recreated is None:
            self._recreated = self._registry.recreate_times() if self.tag_spans else {}
        return self._recreated

    def moves(self) -> list[Any]:
        """The recorded renames and swaps (read only where a tag has a masking policy: rule 6)."""
        if self._moves is None:
            self._moves = self._registry.dataset_moves() if self.tag_spans else []
        return self._moves

    def column_types(self) -> dict[str, Any]:
        """Column id -> type family intervals (read only where a tag has a masking policy: rule 6)."""
        if self._types is None:
            self._types = data_type_spans(self._registry.fact_history(fact="data_type")) if self.tag_spans else {}
        return self._types

    def bodies(self) -> tuple[Any, ...]:
        if self._bodies is None:
            self._bodies = tuple(self._registry.policy_bodies())
        return self._bodies

    def column_reads(self) -> tuple[Any, ...]:
        if self._column_reads is None:
            self._column_reads = tuple(self._registry.column_reads())
        return self._column_reads


@dataclass(frozen=True, slots=True)
class Lineage:
    """Everything the walks read from the graph, read once per answer.

    Attributes:
        views: ids of datasets that are views (live: they show their upstreams' content).
        edges: every dataset interval (``iter_edges(None)``); empty when only ``walk`` was read.
        column_edges: every column interval (``iter_column_edges(None)``); empty unless asked.
        walk: every dataset interval in the walk's compact columns, when read that way.
        untyped_copies: column copies crawled before the ``cast`` transform, not typed from their
            upstream until a replay settles them (:mod:`lineage_engine.graph.column_rules`).
    """

    views: tuple[str, ...]
    edges: tuple[EdgeRow, ...]
    column_edges: tuple[EdgeRow, ...] = ()
    walk: WalkEdges | None = None
    untyped_copies: int = 0

    def walk_edges(self) -> WalkEdges:
        """Return the dataset intervals as :class:`WalkEdges` (from :attr:`edges` unless read so)."""
        return self.walk if self.walk is not None else WalkEdges.from_rows(self.edges)

    def unknown_points(self, as_of: datetime) -> int:
        """Return the dataset intervals valid from ``as_of`` or earlier made by a Time Travel read at a
        point not known (``first_seen`` at the epoch, ``parsing.time_travel.ANY_EARLIER``)."""
        if self.walk is not None:
            return self.walk.unknown_points(as_of)
        return sum(1 for r in self.edges
                   if r.first_seen == _UNKNOWN_POINT and r.valid_from <= as_of and r.downstream != r.upstream)


_UNKNOWN_POINT = datetime(1970, 1, 1, tzinfo=timezone.utc)
"""``first_seen`` of an interval read at a Time Travel point not known (``parsing.time_travel.ANY_EARLIER``;
not imported: that module loads sqlglot, which a scan does not need)."""

def count_untyped_copies(store: GraphStore, registry: Any) -> int:
    """Return the column copies crawled before the ``cast`` transform that are not typed from their
    upstream until a replay settles them (:mod:`lineage_engine.graph.column_rules`), where a tag has a
    masking policy (else typing decides nothing: 0), for the answers that judge copies outside ``scan``
    (``egress``, ``drift``, ``boundaries``; ``scan`` counts them in its :class:`Coverage`).

    Raises:
        GraphError, RegistryError: the graph or the registry could not be read.
    """
    if not registry.fact_history(fact="tag_masking_policy"):
        return 0
    return column_rules_of(store).untyped


def count_unknown_points(store: GraphStore, as_of: datetime) -> int:
    """Return the dataset lineage intervals valid from ``as_of`` or earlier made by a Time Travel read at a
    point not known (``first_seen`` at the epoch: read as any earlier content of their upstream), for the
    answers that walk the graph and say what they could not see (``egress``, ``drift``, ``boundaries``;
    ``scan`` counts them in its :class:`Coverage` from the intervals it read). Reads the walk's compact
    columns where the store has them (both graph backends), as :func:`load_lineage` does.

    Raises:
        GraphError: the graph could not be read.
    """
    compact = getattr(store, "walk_edges", None)
    if compact is not None:
        return int(compact().unknown_points(as_of))
    return Lineage((), tuple(store.iter_edges(None))).unknown_points(as_of)


def load_lineage(store: GraphStore, *, columns: bool, edge_rows: bool = False) -> Lineage:
    """Read views and edge intervals (and column intervals when ``columns``) from the graph.

    Dataset intervals are read as :class:`EdgeRow` when ``columns`` or ``edge_rows`` (the
    column walk and path explanations read every field); otherwise only the walk's compact
    columns (``store.walk_edges()``, about 40 bytes per interval; issue 13 §6).

    Raises:
        GraphError: the graph could not be read.
    """
    views = tuple(str(r["id"]) for r in store.run_trace(_VIEWS, {}))
    compact = getattr(store, "walk_edges", None)
    if compact is not None and not (columns or edge_rows):
        return Lineage(views, (), walk=compact())
    edges = tuple(store.iter_edges(None))
    if not columns:
        return Lineage(views, edges)
    rules = column_rules_of(store)  # copies crawled before the `cast` transform are not typed
    return Lineage(views, edges, rules.rows(store.iter_column_edges(None)), untyped_copies=rules.untyped)


def masked_ids(assets: Collection[Any]) -> tuple[frozenset[str], frozenset[str]]:
    """Return (masked dataset ids, masked column ids) from registry facts (a policy other than NONE)."""
    datasets = frozenset(a.catalog_path for a in assets if a.is_masked and not is_column_asset(a))
    columns = frozenset(a.catalog_path for a in assets if a.is_masked and is_column_asset(a))
    return datasets, columns


def walk_tables(lineage: Lineage, origins: Collection[str], *, as_of: datetime, masked: Collection[str] = (),
                max_hops: int = DEFAULT_MAX_HOPS) -> Sequence[Holding]:
    """Walk dataset origins as of ``as_of`` (:func:`.exposure.walk.walk_origin`); holdings by origin, then dataset.

    Computed on arrays (:mod:`lineage_engine.walk_arrays`: the same holdings as
    :func:`walk_origin`, linear in intervals, no per-path structure), and returned columnar
    (:class:`~lineage_engine.walk_arrays.Holdings`): each :class:`Holding` is built when read.
    """
    if not origins:
        return Holdings(())
    tables = build_array_index(lineage.walk_edges(), as_of=as_of, live=lineage.views)
    stop = tables.mask_of(frozenset(masked))
    return Holdings([walk_origin_arrays(tables, origin, masked=stop, max_hops=max_hops)
                     for origin in sorted(set(origins))])


def walk_columns(lineage: Lineage, origins: Collection[str], *, as_of: datetime,
                 masked_datasets: Collection[str] = (), masked_columns: Collection[str] = (),
                 max_hops: int = DEFAULT_MAX_HOPS, masking: MaskingInputs | None = None) -> list[ColumnHolding]:
    """Walk column origins as of ``as_of`` (:func:`walk_column_origin`); holdings by origin.

    With ``masking`` (policies with time), copies out of masked columns are judged on their
    edges and masked columns are walked and returned (their windows are decided later);
    ``masked_columns`` is then not used.
    """
    column_rows = (masking.judge(lineage.column_edges, frozenset(lineage.views), as_of) if masking is not None
                   else lineage.column_edges)
    index = build_column_index(lineage.edges, column_rows, as_of=as_of, live=lineage.views)
    datasets, columns = frozenset(masked_datasets), frozenset(masked_columns if masking is None else ())
    out: list[ColumnHolding] = []
    for origin in sorted(set(origins)):
        out.extend(walk_column_origin(index, origin, masked_columns=columns.__contains__,
                                      masked_datasets=datasets.__contains__, max_hops=max_hops,
                                      column_masking=masking is None))
    return out


def _walk(
    lineage: Lineage, assets: list[Any], present: list[str], column_origins: Collection[str], now: datetime,
    max_hops: int, masking: MaskingInputs | None = None,
) -> list[dict[str, object]]:
    """Walk every present origin as of ``now``; return the walk rows (bare ids, with levels)."""
    masked, masked_columns = masked_ids(assets)
    tables = [o for o in present if o not in column_origins]
    columns = [o for o in present if o in column_origins]
    rows = [h.as_row() for h in walk_tables(lineage, tables, as_of=now, masked=masked, max_hops=max_hops)]
    if columns:
        rows.extend(h.as_row() for h in walk_columns(lineage, columns, as_of=now, masked_datasets=masked,
                                                      masked_columns=masked_columns, max_hops=max_hops,
                                                      masking=masking))
    return rows
