"""Governance statements of the query history -> dated registry facts (crawl side, issue 10 §2-3).

:class:`PolicyRecorder` is fed every admitted query-history row and every lineage event of a
crawl; at each crawl commit (before the watermark moves) it writes what it collected in one
registry transaction:

* ``ALTER … SET|UNSET MASKING POLICY``, ``SET|UNSET TAG``, ``ADD|DROP ROW ACCESS POLICY``
  -> facts of origin ``query_history``, effective from the statement's ``end_time``;
* ``CREATE [OR REPLACE] MASKING POLICY`` / ``ALTER MASKING POLICY … SET BODY`` -> the body
  (clear roles, understood or not), ``DROP MASKING POLICY`` -> the body ends;
* ``CREATE OR REPLACE`` (table or view) and ``DROP`` of a dataset (or ``DROP COLUMN`` of a column) -> its
  policies and tags from the warehouse end then (Snowflake drops them with the old object; facts from the
  classification file are declarations and stay); ``RENAME`` and ``SWAP`` move them with the
  object to its new name (schemas and databases too), ``CLONE`` copies them to the clone;
* ``ALTER TAG t SET|UNSET MASKING POLICY p`` -> a ``tag_masking_policy`` fact of the tag;
* a column's data type (``CREATE TABLE t (c type, …)``, ``ALTER TABLE … ADD COLUMN``, ``… SET DATA
  TYPE``) -> a ``data_type`` fact: a tag's masking policy protects only columns of its type
  (``TIMESTAMP`` resolved by ``compliance.timestamp_type_mapping`` at the crawl, else ``?``);
* column lineage out of a column that has a masking policy fact (or whose dataset has, or that
  carries a tag that has one: tag-based masking), or out of a view's column (a view shows its base column's policy) -> a
  :class:`~lineage_engine.model.ColumnRead` with the statement's ``role_name``: the scan
  decides from it what the copy holds.

Only successful statements count. A statement about an object the graph has not seen is
stored all the same (facts are keyed by id) and applies when the object appears.
Crash safety: every write is idempotent and happens before the watermark commit, so a
crawl killed anywhere and re-run stores the same facts once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lineage_engine.errors import SourceError, Transient

from lineage_engine.model import (
    ColumnRead,
    SavedTrace,
    LineageEvent,
    MaskingPolicyBody,
    Operation,
    QueryRecord,
    RegistryFact,
    COLUMN_DROPPED,
    CONTAINER_KINDS,
    dataset_of,
)
from lineage_engine.graph.store import GraphStore
from lineage_engine.exposure.masking import tag_name
from lineage_engine.parsing.policies import PolicyBody, PolicyChange, PolicyStatements, extract_policies, might_govern
from lineage_engine.registry.policies import FactMove
from lineage_engine.registry.repository import Registry

if TYPE_CHECKING:
    from lineage_engine.settings import Settings

log = logging.getLogger(__name__)

_VIEWS = SavedTrace(
    name="_views_for_policies",
    text="MATCH (d:Dataset) WHERE d.kind = 'view' RETURN d.id AS id ORDER BY id",
    description="Datasets that are views (copies out of them are recorded with their role).",
)

_RECREATES = frozenset({Operation.REPLACE, Operation.CREATE, Operation.VIEW, Operation.DROP})
"""Operations after which the target is a new object (``replaces``) or gone: its policies and tags end."""

_ROLES_KEPT = 10_000
"""Statements whose role is remembered for events emitted later (temporary-table chains)."""

_EXTRACTIONS_KEPT = 20_000
"""Extractions of governed texts kept in memory (loaded or extracted; a few hundred bytes each)."""


def known_views(store: GraphStore) -> list[str]:
    """Return the ids of the views the graph holds (at the start of a crawl)."""
    return [str(r["id"]) for r in store.run_trace(_VIEWS, {})]


class PolicyRecorder:
    """Collect governance facts during one crawl; :meth:`flush` writes them (idempotent)."""

    def __init__(self, registry: Registry, views: Iterable[str] = (), *, timestamp_mapping: str | None = None,
                 version: str | None = None) -> None:
        """``timestamp_mapping``: ``compliance.timestamp_type_mapping``, the variant a ``TIMESTAMP`` column
        or policy argument has (None: not known; :func:`~lineage_engine.parsing.policies.extract_policies`).
        ``version``: the parser version of the crawl (:func:`~lineage_engine.parse_store.parser_version`, which
        covers the code of ``parsing/``): the extractions of governed texts are stored in the registry's parse
        results under it and read back by a crawl reading the history again (:meth:`load`); None: not stored."""
        self._registry = registry
        self._timestamp_mapping = timestamp_mapping
        self._version = version
        self._extracted: OrderedDict[str, PolicyStatements] = OrderedDict()  # stored key -> extraction
        self._planned: dict[str, tuple[QueryRecord, str | None]] = {}  # query id -> (row, stored key or None), by load()
        self._new: dict[str, bytes] = {}  # extractions to store at the next flush, by stored key
        self.loaded = 0
        """Governed texts whose extraction was read from the registry instead of extracted (a replay)."""
        self._views = set(views)
        self._facts: list[RegistryFact] = []
        self._bodies: list[MaskingPolicyBody] = []
        self._dropped: list[tuple[str, datetime]] = []
        self._reads: list[ColumnRead] = []
        self._recreated: list[tuple[str, datetime]] = []
        self._moved: list[FactMove] = []
        self._drops: dict[str, datetime] = {}  # dataset id -> its latest DROP seen by this crawl (UNDROP)
        self._drop_list: list[tuple[str, datetime]] = []  # the DROPs among ``_recreated`` (kept in the registry)
        self._roles: dict[str, str | None] = {}
        self._masked: set[str] | None = None
        self._carriers: dict[str, set[str]] = {}
        self._masking_tags: set[str] = set()
        self.statements = 0

    def _masked_paths(self) -> set[str]:
        if self._masked is None:
            self._masked = self._registry.masked_paths()
            self._carriers, self._masking_tags = self._registry.tag_carriers()
            for tag in self._masking_tags:
                self._masked.update(self._carriers.get(tag, ()))
        return self._masked

    def _tag_change(self, change: PolicyChange) -> None:
        """Keep the masked ids current when a tag or a tag's masking policy is set (tag-based masking)."""
        masked = self._masked_paths()
        if change.fact == "tag":
            name = tag_name(change.key)
            self._carriers.setdefault(name, set()).add(change.target)
            if name in self._masking_tags:
                masked.add(change.target)
        else:
            name = tag_name(change.target)
            self._masking_tags.add(name)
            masked.update(self._carriers.get(name, ()))

    def _key(self, record: QueryRecord) -> str | None:
        """Return the stored key of ``record``'s extraction, None when its text holds no governance
        statement (:func:`~lineage_engine.parsing.policies.might_govern`: nothing to extract)."""
        text = record.query_text
        if not might_govern(text):
            return None
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        parts = ["policies", self._version or "", digest, record.database_name, record.schema_name,
                 self._timestamp_mapping]
        return hashlib.blake2b("\0".join(p if p is not None else "\1" for p in parts).encode("utf-8", "surrogatepass"),
                               digest_size=32).hexdigest()

    def load(self, records: Iterable[object]) -> int:
        """Read the stored extractions of the governed texts among ``records`` (a batch, in one registry
        read), so that :meth:`observe` takes them instead of extracting them again; return how many were
        read. An extraction is a pure function of the text, the session's defaults, the timestamp mapping
        and the parser's code (all in its key): the one stored is the one a fresh extraction gives.
        Nothing is read without a ``version``."""
        if self._version is None:
            return 0
        wanted = []
        for record in records:
            if isinstance(record, QueryRecord) and record.query_id not in self._planned:
                key = self._key(record)
                self._planned[record.query_id] = (record, key)
                if key is not None and key not in self._extracted:
                    wanted.append(key)
        if len(self._planned) > _EXTRACTIONS_KEPT:  # rows planned and never observed (quarantined before)
            self._planned.clear()
        read = 0
        for key, body in self._registry.parse_results(sorted(set(wanted))).items() if wanted else ():
            found = _decode(body)
            if found is not None:
                self._keep(key, found)
                read += 1
        self.loaded += read
        return read

    def _keep(self, key: str, found: PolicyStatements) -> None:
        self._extracted[key] = found
        if len(self._extracted) > _EXTRACTIONS_KEPT:
            self._extracted.popitem(last=False)

    def observe(self, record: QueryRecord) -> None:
        """Read the governance statements of one admitted row; remember its role."""
        if len(self._roles) >= _ROLES_KEPT:
            self._roles.pop(next(iter(self._roles)))
        self._roles[record.query_id] = record.role_name
        planned = self._planned.pop(record.query_id, None)
        if (record.execution_status or "SUCCESS").upper() != "SUCCESS":
            return
        key = planned[1] if planned is not None and planned[0] is record else self._key(record)
        if key is None:
            return  # no governance statement in its text (tested once per row: issue 13)
        found = self._extracted.get(key)
        if found is None:
            found = extract_policies(record.query_text, database=record.database_name, schema=record.schema_name,
                                     timestamp_mapping=self._timestamp_mapping)
            self._keep(key, found)
            if self._version is not None:
                self._new[key] = _encode(found)
        if not found:
            return
        self.statements += 1
        at, qid = record.end_time, record.query_id
        for change in found.changes:
            if change.fact == COLUMN_DROPPED:  # its tags and policies go with it: end them all (a drop of the id)
                self._recreated.append((change.target, at))
                self._drop_list.append((change.target, at))
                continue
            self._facts.append(RegistryFact(change.target, change.fact, change.value, at, origin="query_history",
                                            key=change.key, query_id=qid))
            if change.fact == "masking_policy" and change.value is not None:
                self._masked_paths().add(change.target)
            elif change.fact in ("tag", "tag_masking_policy") and change.value is not None:
                self._tag_change(change)
        for body in found.bodies:
            self._bodies.append(MaskingPolicyBody(body.name, body.understood, body.clear_roles, at, query_id=qid,
                                                  by_invoker=body.by_invoker, data_type=body.data_type,
                                                  if_absent=body.if_absent))
        self._dropped.extend((name, at) for name in found.dropped_policies)

    def observe_events(self, events: Iterable[LineageEvent]) -> None:
        """Remember copies out of masked columns among ``events``' column lineage."""
        for event in events:
            if event.target.kind == "view":
                self._views.add(event.target.id)
            if event.operation in _RECREATES and (event.replaces or event.operation is Operation.DROP):
                self._recreated.append((event.target.id, event.at))
            if event.operation is Operation.DROP:
                self._drops[event.target.id] = max(event.at, self._drops.get(event.target.id, event.at))
                self._drop_list.append((event.target.id, event.at))
            move = _fact_move(event)
            if move is not None and move.mode == "undrop":
                dropped = self._drops.get(move.target)
                move = move._replace(dropped_at=dropped if dropped is not None and dropped < move.at else None)
            if move is not None:
                self._moved.append(move)
                self._follow(move)
            for old, new in event.column_moves:  # RENAME COLUMN: the column's policy and tags go with it
                column_move = FactMove(old, new, event.at, Operation.RENAME.value, event.query_id)
                self._moved.append(column_move)
                self._follow(column_move)
            if not event.columns or event.operation is Operation.CLONE:
                # a clone copies the stored values (and the policy with them: ``_fact_move``), not what
                # the cloning role saw: no role to judge it by (its copy holds clear values)
                continue
            masked = self._masked_paths()
            if not masked:
                continue  # no masking policy known anywhere: no copy to judge
            role = self._roles.get(event.query_id)
            if event.via_roles and set(event.via_roles) != {(role or "").upper()}:
                role = None  # read into a temp by another role (or an unknown one): what it saw is not known
            for edge in event.columns:
                source = dataset_of(edge.source)
                if edge.source in masked or source in masked or source in self._views:
                    self._reads.append(ColumnRead(edge.target, edge.source, event.at, event.query_id, role))

    def _follow(self, move: FactMove) -> None:
        """Keep the masked ids, tag carriers and views current when an object moves or is cloned."""
        if move.mode == "undrop":
            return  # the masked ids are those that have or had a policy: an undropped one is among them
        pairs = [(move.source, move.target)] + ([(move.target, move.source)] if move.mode == "swap" else [])

        def moved(paths: Iterable[str]) -> set[str]:
            return {new + path[len(old):] for path in paths for old, new in pairs
                    if path == old or path.startswith(old + ".")}

        masked = self._masked_paths()
        masked.update(moved(masked))
        for carriers in self._carriers.values():
            carriers.update(moved(carriers))
        self._views.update(moved(self._views))

    def flush(self) -> int:
        """Write what was collected since the last flush; return how many registry rows changed.

        The extractions made since are stored too (a cache: one lost is extracted again)."""
        if self._new:
            self._registry.store_parse_results(self._new)
            self._new = {}
        if not (self._facts or self._bodies or self._dropped or self._reads or self._recreated or self._moved):
            return 0
        changed = self._registry.record_policies(self._facts, self._bodies, self._dropped, self._reads,
                                                 self._recreated, self._moved, self._drop_list)
        if self._facts:
            self._masked = None  # a fact read late may have moved with its table: read the masked ids again
        self._facts, self._bodies, self._dropped, self._reads, self._recreated = [], [], [], [], []
        self._moved, self._drop_list = [], []
        return changed


def _encode(found: PolicyStatements) -> bytes:
    """Return an extraction as JSON (names and values it found; never the text)."""
    return json.dumps([[[c.target, c.fact, c.value, c.key] for c in found.changes],
                       [[b.name, b.understood, list(b.clear_roles), b.by_invoker, b.data_type, b.if_absent]
                        for b in found.bodies], list(found.dropped_policies)],
                      separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


def _decode(body: bytes) -> PolicyStatements | None:
    """Return the extraction :func:`_encode` wrote, None for anything else (extracted again)."""
    try:
        changes, bodies, dropped = json.loads(bytes(body).decode("utf-8", "surrogatepass"))
        return PolicyStatements(tuple(PolicyChange(t, f, v, k) for t, f, v, k in changes),
                                tuple(PolicyBody(n, u, tuple(r), i, d, a) for n, u, r, i, d, a in bodies),
                                tuple(dropped))
    except (ValueError, TypeError):
        return None


def _fact_move(event: LineageEvent) -> FactMove | None:
    """Return how ``event`` moves its objects' warehouse facts (RENAME, SWAP, CLONE, UNDROP), else None."""
    if event.operation in (Operation.RENAME, Operation.SWAP) and event.counterpart is not None:
        return FactMove(event.target.id, event.counterpart.id, event.at, event.operation.value, event.query_id,
                        event.target.kind in CONTAINER_KINDS)
    if event.operation is Operation.UNDROP:
        return FactMove(event.target.id, event.target.id, event.at, "undrop", event.query_id,
                        event.target.kind in CONTAINER_KINDS)
    if event.operation is Operation.CLONE and len(event.sources) == 1:
        source = event.sources[0]
        return FactMove(source.id, event.target.id, event.at, "clone", event.query_id,
                        event.target.kind in CONTAINER_KINDS)
    return None


def sync_warehouse_policies(settings: Settings, registry: Registry, at: datetime, *, fetch: Any = None,
                            fetch_types: Any = None, fetch_signatures: Any = None) -> int | None:
    """Read POLICY_REFERENCES and TAG_REFERENCES, and the data types of tagged tables' columns
    (``ACCOUNT_USAGE.COLUMNS``) and of masking policies' signatures (``MASKING_POLICIES``: a tag's
    masking policy protects only columns of its type), and reconcile the registry
    (``telemetry.sync_policies``).

    Returns how many registry timelines changed, or None when the read failed: a failure is
    a warning (account and host named, never a secret), never an error, and the registry
    keeps the facts of the last successful sync. A failed read of the types alone (the role
    lacks OBJECT_VIEWER) is a warning too: the policies and tags are synced, the types kept.
    """
    from lineage_engine.sources import snowflake_columns, snowflake_policies
    from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig

    try:
        config = SnowflakeConnectionConfig.from_settings(settings.telemetry)
        found = (fetch or snowflake_policies.fetch_warehouse_policies)(config)
    except SourceError as exc:
        log.warning("warehouse policies not synced: %s", exc,
                    extra={"event": "policy_sync_failed", "error_type": type(exc).__name__,
                           "transient": isinstance(exc, Transient)})
        return None
    def optional(what: str, read: Any) -> dict[str, str] | None:
        """Read what only tag-based masking needs; a failure is a warning (the stored ones are kept)."""
        if not found.tags:  # no tag, no tag-based masking: the types decide nothing
            return None
        try:
            return read(config)  # type: ignore[no-any-return]
        except SourceError as exc:
            log.warning("%s not synced (tag-based masking where a type is not known counts as unmasked): %s", what,
                        exc, extra={"event": "column_types_sync_failed", "error_type": type(exc).__name__,
                                    "transient": isinstance(exc, Transient)})
            return None

    types = optional("column data types of tagged tables", fetch_types or snowflake_columns.fetch_tagged_column_types)
    signatures = optional("masking policy signatures", fetch_signatures or snowflake_policies.fetch_policy_signatures)
    changed = registry.sync_warehouse_facts(found.policies, found.tags, at, types=types, signatures=signatures)
    log.info("warehouse policies synced: %d policy and %d tag assignments, %d changes", len(found.policies),
             len(found.tags), changed, extra={"event": "policy_sync", "policies": len(found.policies),
                                               "tags": len(found.tags), "changed": changed})
    return changed
