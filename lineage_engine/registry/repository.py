"""The registry repository: classifications, watermarks, quarantine, findings, alert outbox.

Every public method is one transaction: it applies fully or not at all. Datetimes going in
must be timezone-aware; datetimes coming out are aware UTC. Database failures raise
:class:`~lineage_engine.errors.RegistryError` (``TransientRegistryError`` for connection
and lock problems) whose message shows the URL with its password masked.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from lineage_engine.alerts.outbox import ATTEMPT_IN_FLIGHT
from lineage_engine.errors import RegistryError
from lineage_engine.model import (
    Asset,
    canonical_id,
    dataset_of,
    ColumnRead,
    ExposurePath,
    Finding,
    MaskingPolicyBody,
    QuarantineEntry,
    RegistryFact,
    Statement,
    Watermark,
)
from lineage_engine.registry import assets as _assets
from lineage_engine.registry import crawl_state as _crawl_state
from lineage_engine.registry import facts as _facts
from lineage_engine.registry import finding_pages as _finding_pages
from lineage_engine.registry import findings as _findings
from lineage_engine.registry.finding_pages import FindingsPage
from lineage_engine.registry import lease as _lease
from lineage_engine.registry import openlineage_events as _openlineage
from lineage_engine.registry import policies as _policies
from lineage_engine.registry import quarantine as _quarantine
from lineage_engine.registry.crawl_state import CrawlStateChanges
from lineage_engine.registry.policies import FactMove
from lineage_engine.registry import statements as _statements
from lineage_engine.registry.events import ChainCheck, ChainHead, chain_head, verify_chain
from lineage_engine.registry.engine import create_registry_engine, mask_url, parse_registry_url, translating
from lineage_engine.registry.records import (
    FindingEvent,
    OutboxAlert,
    ScanOutcome,
    UpsertReport,
    alert_from_row,
    asset_from_row,
    event_from_row,
    finding_from_row,
    quarantine_from_row,
)
from lineage_engine.registry.tables import (
    ASSET_TYPES,
    AlertOutboxRow,
    AssetRow,
    CrawlStateRow,
    FindingRow,
    ObjectChangeRow,
    QuarantineRow,
)

__all__ = ["OutboxAlert", "Registry", "ScanOutcome", "UpsertReport"]

_ERROR_TEXT_MAX = 2000


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"'{name}' must be a timezone-aware UTC datetime, got naive {value.isoformat()}")


class Registry:
    """The registry database at ``url`` (SQLite or PostgreSQL); connects lazily.

    Use as a context manager, or call :meth:`close`. Create or upgrade the schema with
    :meth:`migrate` first; other methods on a database without tables raise a
    ``RegistryError`` saying to run ``lineage-engine migrate``. ``read_only`` (a command that
    only reads) never creates or changes a SQLite file; a write then fails
    (:func:`~lineage_engine.registry.engine.create_registry_engine`).

    Raises:
        RegistryError: ``url`` is not a SQLite or PostgreSQL URL.
        RegistryNotFoundError: ``read_only`` and the SQLite file does not exist.
    """

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        self._url = parse_registry_url(url)
        self._engine = create_registry_engine(self._url, read_only=read_only)

    @property
    def url(self) -> str:
        """The registry URL with its password masked, safe to print."""
        return mask_url(self._url)

    def __repr__(self) -> str:
        return f"Registry({self.url!r})"

    def close(self) -> None:
        """Close every pooled connection. Idempotent."""
        self._engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self, action: str) -> Iterator[Session]:
        with translating(self._url, action), Session(self._engine, expire_on_commit=False) as session:
            with session.begin():
                yield session

    # -- schema -----------------------------------------------------------------------

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest revision; idempotent.

        Raises:
            RegistryError: unreachable database or failed migration.
        """
        from lineage_engine.registry.migrate import upgrade_engine  # Alembic: only to migrate (start-up)

        upgrade_engine(self._engine, self._url)

    # -- classification registry ------------------------------------------------------

    def upsert_assets(self, assets: Sequence[Asset]) -> UpsertReport:
        """Insert or update assets by ``catalog_path`` in one transaction.

        Paths and tags are lower-cased, tags deduplicated and sorted. An asset equal to
        the stored one counts as unchanged and keeps its ``updated_at``.

        Raises:
            ValueError: an invalid asset (type, classification, path, naive reviewed_at) or
                a path given twice; nothing is written.
            RegistryError: the database failed; nothing is written.
        """
        normalized = _assets.normalize_assets(assets)
        now = _utcnow()
        with self._transaction("upsert assets") as session:
            _facts.import_history(session, normalized, now)
            return _assets.upsert(session, normalized, now)

    def list_assets(self, asset_type: str | None = None) -> list[Asset]:
        """Return every asset, or those of one ``asset_type``, ordered by catalog_path.

        Raises:
            ValueError: ``asset_type`` is neither ``dataset`` nor ``column``.
        """
        query = select(AssetRow).order_by(AssetRow.catalog_path)
        if asset_type is not None:
            if asset_type not in ASSET_TYPES:
                raise ValueError(f"unknown asset_type '{asset_type}'; use one of {', '.join(ASSET_TYPES)}")
            query = query.where(AssetRow.asset_type == asset_type)
        with self._transaction("list assets") as session:
            return [asset_from_row(row) for row in session.scalars(query)]

    def remove_assets(self, paths: Sequence[str]) -> int:
        """Delete the assets at ``paths`` (case-insensitive); return how many existed."""
        wanted = sorted({canonical_id(p) for p in paths})
        removed = 0
        with self._transaction("remove assets") as session:
            _facts.close_import_facts(session, wanted, _utcnow())
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                result = session.execute(delete(AssetRow).where(AssetRow.catalog_path.in_(chunk)))
                removed += result.rowcount
        return removed

    # -- registry facts with history (issue 10 §2) ---------------------------------------

    def facts_as_of(self, at: datetime) -> _facts.RegistryFacts:
        """Return the registry facts holding at ``at``: classifications, masking policies, tags.

        ``result.assets()`` has the shape of :meth:`list_assets` as of ``at``;
        ``result.masking_policies()`` maps every masked dataset or column id (registry
        asset or not) to its policy; ``result.tags()`` the warehouse tags. Which statement
        wins when several origins speak: see :mod:`lineage_engine.registry.facts`.

        Raises:
            ValueError: ``at`` is naive.
        """
        _require_aware(at, "at")
        with self._transaction("read registry facts") as session:
            return _facts.facts_as_of(session, at.astimezone(timezone.utc))

    def object_moves(self, until: datetime) -> list[Any]:
        """Return the ``RENAME`` and ``SWAP`` statements recorded up to ``until`` (inclusive), in time order.

        Each is a :class:`lineage_engine.carried_assets.ObjectMove` (the crawl records them in
        ``object_changes`` at the statement's END_TIME).

        Raises:
            ValueError: ``until`` is naive.
        """
        from lineage_engine.carried_assets import ObjectMove

        _require_aware(until, "until")
        query = (select(ObjectChangeRow).where(ObjectChangeRow.mode.in_(("rename", "swap")),
                                               ObjectChangeRow.at <= until.astimezone(timezone.utc))
                 .order_by(ObjectChangeRow.at, ObjectChangeRow.id))
        with self._transaction("read object moves") as session:
            return [ObjectMove(r.source, r.target, r.mode, bool(r.container), r.at) for r in session.scalars(query)]

    def fact_history(self, *, fact: str | None = None, paths: Sequence[str] | None = None) -> list[RegistryFact]:
        """Return every stored fact interval (of one kind and/or of some paths).

        Ordered by catalog_path, fact, key, valid_from; each origin's timeline separately.
        """
        with self._transaction("read the registry fact history") as session:
            return _facts.fact_history(session, fact=fact, paths=paths)

    def state_facts(self, facts: Sequence[RegistryFact]) -> int:
        """Record dated statements ("from valid_from on, the value is V") in one transaction.

        Each goes into its (catalog_path, fact, key, origin) timeline wherever its time falls
        (see :func:`lineage_engine.registry.facts.state_fact`); idempotent. Returns how many
        changed a timeline.

        Raises:
            ValueError: an unknown fact kind or origin, or a naive ``valid_from``; nothing
                is written.
        """
        for fact in facts:
            _facts.check_fact(fact)
        now = _utcnow()
        with self._transaction("record registry facts") as session:
            return _facts.state_facts(session, facts, now)

    def record_policies(
        self,
        facts: Sequence[RegistryFact] = (),
        bodies: Sequence[MaskingPolicyBody] = (),
        dropped: Sequence[tuple[str, datetime]] = (),
        reads: Sequence[ColumnRead] = (),
        recreated: Sequence[tuple[str, datetime]] = (),
        moved: Sequence[FactMove] = (),
        drops: Sequence[tuple[str, datetime]] = (),
    ) -> int:
        """Record what a crawl batch learned about governance, in one transaction; idempotent.

        ``facts`` as :meth:`state_facts`; ``bodies`` (masking policy bodies from ``CREATE
        MASKING POLICY``) and ``dropped`` (policy name, time of ``DROP MASKING POLICY``) in
        each policy's body timeline; ``reads`` (copies out of masked columns) unless stored;
        ``recreated`` (dataset id, time of a ``CREATE OR REPLACE`` or ``DROP``) ends the
        warehouse's policies and tags on the dataset and its columns at that time;
        ``moved`` (RENAME, SWAP, CLONE) moves or copies them with the object
        (:func:`~lineage_engine.registry.policies.move_facts`). Both are applied in time order.
        ``drops``: those of ``recreated`` that were a ``DROP`` (an ``UNDROP`` in a later crawl
        finds them). Replaces, drops and moves are kept (``object_changes``), and the facts
        stated here are then carried across the ones recorded after them
        (:func:`~lineage_engine.registry.policies.follow_late_facts`: a policy read late).
        Returns how many rows changed.

        Raises:
            ValueError: a bad fact (see :meth:`state_facts`) or a naive time; nothing is written.
        """
        for fact in facts:
            _facts.check_fact(fact)
        for body in bodies:
            _require_aware(body.valid_from, "valid_from")
        for read in reads:
            _require_aware(read.at, "at")
        now = _utcnow()
        with self._transaction("record policies") as session:
            changed = _facts.state_facts(session, facts, now)
            changed += sum(_policies.state_body(session, b) for b in bodies)
            changed += sum(_policies.drop_policy(session, name, at) for name, at in dropped)
            if recreated or moved:
                _policies.record_changes(session, recreated, drops, moved)
            if (recreated or moved) and _policies.has_warehouse_facts(session):  # else nothing to end or move
                changes: list[tuple[datetime, int, Any]] = [(at, 0, dataset) for dataset, at in recreated]
                changes += [(move.at, 1, move if move.mode != "undrop" or move.dropped_at is not None else
                             move._replace(dropped_at=_policies.last_drop(session, move.target, move.at)))
                            for move in moved]
                # replaced datasets holding no warehouse fact end nothing: skipped without a read each
                holders: set[str] | None = _policies.fact_holders(session, min(c[0] for c in changes))
                ended: dict[str, datetime] = {}  # dataset -> earliest replace that ended facts on it
                for at, kind, what in sorted(changes, key=lambda c: (c[0], c[1])):
                    if kind == 0:
                        if holders is None or _policies.holds_facts(holders, what):
                            cut = _policies.end_recreated(session, what, at, now)
                            changed += cut
                            if cut:
                                ended.setdefault(what, at)
                        continue
                    changed += _policies.move_facts(session, what, now)
                    if what.container:
                        holders = None  # facts moved into a container: read each replaced dataset again
                    elif holders is not None:
                        holders.update(_policies.fact_holders_of(what.source, what.target))
                # A fact of this batch stated at or after a replace of its dataset (the statement's own
                # column types and inline tags, a tag re-set after the replace) was merged above into the
                # row holding the same value before the replace, which the replace then ended: state it
                # again, after the end (review s15 T10: a re-run CREATE OR REPLACE lost its types and tags)
                again = [f for f in facts if (at := ended.get(f.catalog_path if f.catalog_path in ended
                                                              else dataset_of(f.catalog_path))) is not None
                         and f.valid_from >= at]
                if again:
                    changed += _facts.state_facts(session, again, now)
            if facts:
                changed += _policies.follow_late_facts(session, facts, now)
            return changed + _policies.add_reads(session, reads)

    def sync_warehouse_facts(
        self,
        policies: Mapping[tuple[str, str, str], str],
        tags: Mapping[tuple[str, str, str], str],
        at: datetime,
        *,
        types: Mapping[str, str] | None = None,
        signatures: Mapping[str, str] | None = None,
    ) -> int:
        """Reconcile the registry with what ACCOUNT_USAGE shows at ``at``, in one transaction.

        ``policies``: (id, ``masking_policy`` | ``row_access_policy``, "") -> policy name
        (origin ``policy_references``); ``tags``: (id, ``tag``, tag name) -> value (origin
        ``tag_references``); ``types``: column id -> data type family (origin ``columns``,
        ``ACCOUNT_USAGE.COLUMNS``; None: not read, the stored ones are kept); ``signatures``:
        masking policy id -> its first argument's type family (a ``data_type`` fact of origin
        ``policy_references`` on the policy's id, ``MASKING_POLICIES``; None: kept). New or changed
        assignments hold from ``at``; assignments no longer shown end at ``at``. Idempotent.
        Returns how many timelines changed.

        Raises:
            ValueError: ``at`` is naive.
        """
        _require_aware(at, "at")
        now = _utcnow()
        with self._transaction("sync warehouse policies and tags") as session:
            changed = _facts.reconcile(session, "policy_references", ("masking_policy", "row_access_policy"),
                                       dict(policies), at, now)
            changed += _facts.reconcile(session, "tag_references", ("tag",), dict(tags), at, now)
            if types is not None:
                changed += _facts.reconcile(session, "columns", ("data_type",),
                                            {(path, "data_type", ""): family for path, family in types.items()}, at, now)
            if signatures is not None:
                changed += _facts.reconcile(session, "policy_references", ("data_type",),
                                            {(name, "data_type", ""): family for name, family in signatures.items()},
                                            at, now)
            return changed

    def policy_bodies(self) -> list[MaskingPolicyBody]:
        """Return every masking policy body interval known, by name then valid_from."""
        with self._transaction("read masking policies") as session:
            return _policies.list_bodies(session)

    def recreate_times(self) -> dict[str, tuple[datetime, ...]]:
        """Return dataset id -> the instants the crawl saw it (re)created (``CREATE [OR REPLACE]``, CTAS,
        ``CREATE VIEW``), oldest first: a copy interval opened then was made by its creating statement."""
        with self._transaction("read recreated datasets") as session:
            return _policies.recreate_times(session)

    def dataset_moves(self) -> list[tuple[str, str, datetime, bool]]:
        """Return the recorded ``RENAME``/``SWAP`` of datasets and containers: ``(source, target, at
        (UTC), container)``, a ``SWAP`` both ways (:func:`~lineage_engine.registry.policies.moves`)."""
        with self._transaction("read dataset moves") as session:
            return _policies.moves(session)

    def column_reads(self, upstreams: Sequence[str] | None = None) -> list[ColumnRead]:
        """Return the recorded copies out of masked columns (all, or out of ``upstreams``)."""
        with self._transaction("read column reads") as session:
            return _policies.list_reads(session, upstreams)

    def masked_paths(self) -> set[str]:
        """Return every dataset or column id that has or had a masking policy fact."""
        with self._transaction("read masked paths") as session:
            return _policies.masked_paths(session)

    def tag_carriers(self) -> tuple[dict[str, set[str]], set[str]]:
        """Return (tag name -> ids that carry or carried it, tags that have or had a masking policy)."""
        with self._transaction("read tagged paths") as session:
            return _policies.tag_carriers(session)


    # -- access facts (issue 14) -------------------------------------------------------

    def record_reads(self, facts: Sequence[Any]) -> int:
        """Aggregate read facts (:class:`~lineage_engine.access.reads.ReadFact`) in one
        transaction; return the statements that were new (replayed query ids are skipped)."""
        from lineage_engine.registry import access as _access

        with self._transaction("record reads") as session:
            return _access.record_reads(session, facts)

    def list_reads(self, *, objects: Sequence[str] | None = None, principal: str | None = None,
                   since: datetime | None = None, until: datetime | None = None) -> list[Any]:
        """Return read aggregates (:class:`~lineage_engine.access.aggregate.AccessRead`); see
        :func:`lineage_engine.registry.access.list_reads`."""
        from lineage_engine.registry import access as _access

        with self._transaction("read access facts") as session:
            return _access.list_reads(session, objects=objects, principal=principal, since=since, until=until)

    def known_reads(self, query_ids: Sequence[str]) -> set[str]:
        """Return the query ids among ``query_ids`` whose reads are already aggregated.

        A crawl reading a source again (a replay after a crash, ``--reset-watermark``) skips
        parsing those read-only rows: what their parse would add is already stored (issue 13).
        """
        from lineage_engine.registry.tables import AccessQueryRow

        found: set[str] = set()
        with self._transaction("read access facts") as session:
            for start in range(0, len(query_ids), 500):
                chunk = list(query_ids[start:start + 500])
                found.update(session.scalars(select(AccessQueryRow.query_id).where(AccessQueryRow.query_id.in_(chunk))))
        return found

    def who_ran(self, query_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Return query id -> (user, role) of statements whose reads were recorded (issue 14)."""
        from lineage_engine.registry import access as _access

        with self._transaction("read access facts") as session:
            return _access.who_ran(session, query_ids)

    def drift_seen(self) -> set[tuple[str, str, str]]:
        """Return the keys of the drift items recorded so far (:func:`lineage_engine.registry.access.drift_seen`)."""
        from lineage_engine.registry import access as _access

        with self._transaction("read drift items") as session:
            return _access.drift_seen(session)

    def record_drift(self, items: Sequence[Any], now: datetime, payload: Any, *, group_above: int = 0,
                     group_payload: Any = None) -> tuple[int, bool]:
        """Store new drift items and queue their alerts in one transaction; see
        :func:`lineage_engine.registry.access.record_drift`."""
        from lineage_engine.registry import access as _access

        with self._transaction("record drift") as session:
            return _access.record_drift(session, items, now, payload, group_above=group_above,
                                        group_payload=group_payload)

    def record_grants(self, statements: Sequence[Any]) -> int:
        """Apply GRANT / REVOKE statements ``(GrantStatement, END_TIME, query id)`` in order (issue 14 §3),
        and share and function statements (``ShareStatement`` / ``FunctionStatement``, §4) among them."""
        from lineage_engine.access.share_parse import FunctionStatement, ShareStatement
        from lineage_engine.registry import grants as _grants
        from lineage_engine.registry import shares as _shares

        with self._transaction("record grants") as session:
            changed = 0
            batch: list[Any] = []
            for item in statements:  # in history order: a share's grants and accounts interleave
                statement, at, query_id = item
                if isinstance(statement, (ShareStatement, FunctionStatement)):
                    changed += _grants.record_statements(session, batch) if batch else 0
                    batch = []
                    record = _shares.record_share if isinstance(statement, ShareStatement) else _shares.record_function
                    changed += record(session, statement, at, query_id)
                else:
                    batch.append(item)
            return changed + (_grants.record_statements(session, batch) if batch else 0)

    def share_facts(self, at: datetime) -> Any:
        """Return the outbound shares known by ``at`` and their accounts then
        (:class:`~lineage_engine.registry.shares.ShareFacts`)."""
        from lineage_engine.registry import shares as _shares

        with self._transaction("read share accounts") as session:
            return _shares.share_facts(session, at)

    def external_functions(self) -> list[tuple[str, datetime, datetime | None]]:
        """Return the external functions of the history: ``(function id, valid_from, valid_to)``."""
        from lineage_engine.registry import shares as _shares

        with self._transaction("read external functions") as session:
            return _shares.external_functions(session)

    def sync_grants(self, facts: Sequence[Any]) -> int:
        """Upsert grant intervals read from ``ACCOUNT_USAGE`` (:class:`~lineage_engine.registry.grants.GrantFact`)."""
        from lineage_engine.registry import grants as _grants

        with self._transaction("sync grants") as session:
            return _grants.sync(session, facts)

    def grant_history(self, grantee_kinds: Sequence[str] | None = None) -> list[Any]:
        """Return every grant interval, ended ones too (:func:`lineage_engine.registry.grants.history`)."""
        from lineage_engine.registry import grants as _grants

        with self._transaction("read grant history") as session:
            return _grants.history(session, grantee_kinds)

    def share_account_ends(self) -> list[Any]:
        """Return when share consumer accounts ended (:func:`lineage_engine.registry.shares.account_ends`)."""
        from lineage_engine.registry import shares as _shares

        with self._transaction("read share account ends") as session:
            return _shares.account_ends(session)

    def grants_at(self, at: datetime) -> list[Any]:
        """Return the grant facts holding at ``at`` (:class:`~lineage_engine.registry.grants.GrantFact`)."""
        from lineage_engine.registry import grants as _grants

        with self._transaction("read grants") as session:
            return _grants.facts_at(session, at)

    # -- crawl state ------------------------------------------------------------------

    def get_watermark(self, source: str) -> Watermark | None:
        """Return the watermark of ``source`` (``end_time`` aware UTC or None, ``position`` for
        file sources), None before the first crawl."""
        return self.get_crawl_state(source)[0]

    def list_watermarks(self) -> list[tuple[Watermark, datetime]]:
        """Return every source's watermark with the time it was committed (aware UTC), by source."""
        with self._transaction("list watermarks") as session:
            rows = session.scalars(select(CrawlStateRow).order_by(CrawlStateRow.source)).all()
            return [(Watermark(source=r.source, end_time=r.end_time, query_id=r.query_id, rows_total=r.rows_total,
                               position=dict(r.position) if r.position else None), r.updated_at) for r in rows]

    def set_watermark(self, wm: Watermark) -> None:
        """Store the watermark of ``wm.source``, replacing the previous one; keep its resolver state.

        Raises:
            ValueError: ``wm.end_time`` is naive, or neither it nor ``wm.position`` is set.
        """
        self._store_crawl_state(wm, None, keep_state=True)

    def reset_watermark(self, source: str) -> bool:
        """Forget the watermark (and resolver state) of ``source``; return whether one was stored.

        The next crawl reads the source from its start (a file) or backfills (Snowflake); the
        graph is untouched, and its merges recognise lineage already applied. The crawl state
        rows (sessions, temps, learned schema) go with the watermark: left behind, the next
        crawl would commit its changes on top of them, and a crash during that crawl would
        resume with the previous crawl's sessions and columns.
        """
        with self._transaction("reset the watermark") as session:
            row = session.get(CrawlStateRow, source)
            _crawl_state.clear(session, source)
            if row is None:
                return False
            session.delete(row)
            return True

    def get_crawl_state(self, source: str) -> tuple[Watermark | None, dict[str, Any]]:
        """Return the watermark of ``source`` and the crawl state stored with it.

        The state has the shape of ``SessionResolver.to_state()`` (``sessions``) plus the
        learned schema (``schema``: ``[[dataset_id, [columns]], ...]`` oldest first, and
        ``schema_order``: their learning order numbers); empty parts are left out, so it is
        ``{}`` when none was stored. The watermark is None before the first crawl.
        """
        with self._transaction("read the crawl state") as session:
            row = session.get(CrawlStateRow, source)
            if row is None:
                return None, {}
            mark = Watermark(source=row.source, end_time=row.end_time, query_id=row.query_id, rows_total=row.rows_total,
                             position=dict(row.position) if row.position else None)
            return mark, _crawl_state.load(session, source)

    def set_crawl_state(self, wm: Watermark, state: Mapping[str, Any]) -> None:
        """Store the watermark and replace the whole crawl state (the shape of
        :meth:`get_crawl_state`), in one transaction.

        Raises:
            ValueError: ``wm.end_time`` is naive, or ``state`` is not JSON-serialisable.
        """
        try:
            json.dumps(state)
        except (TypeError, ValueError) as err:
            raise ValueError(f"crawl state of '{wm.source}' is not JSON-serialisable: {err}") from None
        self._store_crawl_state(wm, dict(state), keep_state=False)

    def commit_crawl_state(self, wm: Watermark, changes: CrawlStateChanges) -> None:
        """Store the watermark and what a batch changed in the crawl state, in one transaction.

        The cost depends on ``changes`` only, not on the state already stored (issue 13).

        Raises:
            ValueError: ``wm.end_time`` or a session's ``last_seen`` is naive.
        """
        self._store_crawl_state(wm, None, keep_state=True, changes=changes)

    def _store_crawl_state(self, wm: Watermark, state: dict[str, Any] | None, *, keep_state: bool,
                           changes: CrawlStateChanges | None = None) -> None:
        if wm.end_time is not None:
            _require_aware(wm.end_time, "end_time")
        elif wm.position is None:
            raise ValueError(f"watermark of '{wm.source}' needs an end_time or a position")
        if wm.position is not None:
            try:
                json.dumps(wm.position)
            except (TypeError, ValueError) as err:
                raise ValueError(f"position of '{wm.source}' is not JSON-serialisable: {err}") from None
        with self._transaction("set the watermark") as session:
            row = session.get(CrawlStateRow, wm.source) or CrawlStateRow(source=wm.source)
            row.end_time, row.query_id, row.rows_total = wm.end_time, wm.query_id, wm.rows_total
            row.position = dict(wm.position) if wm.position is not None else None
            if not keep_state:
                _crawl_state.replace(session, wm.source, state or {})
            if changes is not None:
                _crawl_state.apply(session, wm.source, changes)
            row.resolver_state = None  # moved to its own tables (revision 0003)
            row.updated_at = _utcnow()
            session.add(row)

    # -- quarantine -------------------------------------------------------------------

    def add_quarantine(self, entries: Sequence[QuarantineEntry]) -> int:
        """Record unprocessable statements; return how many were new.

        An entry is identified by (source, query_id or else position, reason_code); a
        repeat increments ``occurrences``, moves ``last_seen_at`` and takes the newer
        reason, fingerprint and redacted text. ``seen_at`` defaults to now; redacted text
        is cut to 4,000 characters.
        """
        with self._transaction("add quarantine entries") as session:
            return _quarantine.add(session, entries, _utcnow())

    def count_quarantine(self, source: str | None = None) -> int:
        """Return the number of distinct quarantined entries, for one source or all."""
        query = select(func.count()).select_from(QuarantineRow)
        if source is not None:
            query = query.where(QuarantineRow.source == source)
        with self._transaction("count quarantine entries") as session:
            return int(session.scalar(query) or 0)

    def list_quarantine(self, limit: int = 100) -> list[QuarantineEntry]:
        """Return up to ``limit`` entries, most recently seen first (``seen_at`` = last seen)."""
        query = select(QuarantineRow).order_by(QuarantineRow.last_seen_at.desc(), QuarantineRow.id.desc())
        with self._transaction("list quarantine entries") as session:
            return [quarantine_from_row(row) for row in session.scalars(query.limit(limit))]

    # -- received OpenLineage events (issue 16) ----------------------------------------

    def add_openlineage_events(self, events: Sequence[_openlineage.ReceivedEvent]) -> int:
        """Store received run events durably, once per digest (a replay stores nothing); return how many were new."""
        with self._transaction("store OpenLineage events") as session:
            return _openlineage.add(session, events, _utcnow())

    def openlineage_events_after(self, last_id: int, limit: int = 1000) -> list[tuple[int, dict[str, Any]]]:
        """Return up to ``limit`` stored run events with id above ``last_id``: (id, body), by id."""
        with self._transaction("read OpenLineage events") as session:
            return _openlineage.after(session, last_id, limit)

    # -- findings and alerts ----------------------------------------------------------

    def record_scan(
        self, paths: Sequence[ExposurePath], now: datetime, *, realert_after: timedelta | None = None,
        explanations: Mapping[tuple[str, str], dict[str, Any]] | None = None, group_above: int = 0,
    ) -> ScanOutcome:
        """Fold a complete exposure scan into the findings ledger and the alert outbox.

        One transaction: opens a finding per new (origin, terminal) and reopens resolved
        ones (new ``opened_at``); updates severity, path and ``last_seen_at`` of open ones;
        resolves open findings absent from ``paths``. Enqueues one ``unmasked_pii`` alert
        per opened finding, per escalation above the last alerted severity
        (LOW < MEDIUM < HIGH < CRITICAL), and per open finding last alerted at least
        ``realert_after`` ago (None: never re-alert). Lists in the outcome are ordered by
        (origin, terminal). Accepted findings are not alerted until their acceptance expires;
        then they reopen and alert. Every change is also an event in the hash-chained log;
        ``explanations`` (by (origin, terminal)) are stored on the findings and sent in alerts.
        More than ``group_above`` alerts of one origin and event in this scan are sent as one
        grouped alert (``monitoring.alert_group_above``; 0: one per finding); each finding
        still gets its ``alerted`` event.

        Raises:
            ValueError: ``now`` is naive or a severity is unknown; nothing is written.
            RegistryError: the database failed; nothing is written.
        """
        with self._transaction("record the exposure scan") as session:
            return _findings.record_scan(session, paths, now, realert_after, explanations, group_above)

    def list_findings(self, status: str | None = None, *, origin: str | None = None) -> list[Finding]:
        """Return findings, all or with ``status`` open | accepted | resolved, by (origin, terminal).

        ``open`` includes accepted findings (they are open exposures; their ``status`` reads
        ``accepted``); ``accepted`` lists only those. ``origin`` (an id as stored, lower case)
        keeps the findings of that origin and of origins inside it (a dataset's columns).

        Raises:
            ValueError: unknown status.
        """
        with self._transaction("list findings") as session:
            return [finding_from_row(row) for row in session.scalars(_findings_query(status, origin))]

    def finding_origins(self) -> list[str]:
        """Return the distinct origins of the ledger's findings, sorted (for suggestions)."""
        with self._transaction("list finding origins") as session:
            return list(session.scalars(select(FindingRow.origin).distinct().order_by(FindingRow.origin)))

    def iter_findings(self, status: str | None = None, *, origin: str | None = None,
                      page: int = 1_000) -> Iterator[Finding]:
        """Yield the findings :meth:`list_findings` returns, in its order, ``page`` rows at a time.

        For exports of a large ledger (``findings --format json|csv``): memory holds one page,
        not every finding with its explanation (175,650 findings took 2 GiB as a list). The
        rows are read in one transaction, which stays open until the iterator is exhausted or
        closed: consume it inside the ``with Registry(...)`` block.

        Raises:
            ValueError: unknown status (when the iteration starts).
        """
        query = _findings_query(status, origin).execution_options(yield_per=page)
        with self._transaction("list findings") as session:
            for row in session.scalars(query):
                yield finding_from_row(row)

    def get_finding(self, finding_id: int) -> Finding:
        """Return one finding.

        Raises:
            InputError: no such finding (the message names the closest ids).
        """
        with self._transaction("read a finding") as session:
            return finding_from_row(_findings._finding(session, finding_id))

    def page_findings(self, **filters: Any) -> FindingsPage:
        """Return one page of the ledger, filtered and sorted in SQL (the web findings page and
        ``/api/findings``); ``filters`` as :func:`lineage_engine.registry.finding_pages.page_findings`.

        Raises:
            RegistryError: the database failed.
        """
        with self._transaction("list findings") as session:
            return _finding_pages.page_findings(session, **filters)

    def nearest_finding_ids(self, finding_id: int, n: int = 3) -> list[int]:
        """Return up to ``n`` ledger ids nearest ``finding_id``, ascending (for "no such finding")."""
        with self._transaction("read finding ids") as session:
            return _findings.nearest_ids(session, finding_id, n)

    def accept_finding(self, finding_id: int, *, reason: str, until: datetime | None, actor: str,
                       now: datetime | None = None) -> Finding:
        """Accept an open finding with a reason, until an instant (None: until reopened); one event.

        Raises:
            InputError: no such finding, resolved, empty reason, or ``until`` not in the future.
        """
        with self._transaction("accept a finding") as session:
            return finding_from_row(_findings.accept(session, finding_id, reason=reason, until=until, actor=actor,
                                                     now=now or _utcnow()))

    def reopen_finding(self, finding_id: int, *, actor: str, reason: str | None = None,
                       now: datetime | None = None) -> Finding:
        """End a finding's acceptance and queue its ``reopened`` alert; events ``reopened``, ``alerted``.

        Raises:
            InputError: no such finding, or it is not accepted.
        """
        with self._transaction("reopen a finding") as session:
            return finding_from_row(_findings.reopen(session, finding_id, actor=actor, now=now or _utcnow(),
                                                     reason=reason))

    def finding_events(self, finding_id: int) -> list[FindingEvent]:
        """Return the events of one finding, oldest first.

        Raises:
            InputError: no such finding.
        """
        with self._transaction("read finding events") as session:
            return [event_from_row(r) for r in _findings.list_events(session, finding_id)]

    def verify_events(self, expect_head: tuple[int, str] | None = None) -> ChainCheck:
        """Walk the event log's hash chain; the result names the first event that does not match.

        ``expect_head``: (event id, hash) a former head (:meth:`findings_chain_head`) that must
        still be in the chain unchanged (catches events cut off the end).
        """
        with self._transaction("verify the finding events") as session:
            return verify_chain(session, expect_head)

    def verify_ledger(self, limit: int = 20) -> tuple[int, list[Any]]:
        """Compare every finding with what its events say (:mod:`lineage_engine.registry.ledger_check`):
        return (findings checked, the first ``limit`` mismatches) — a row edited, added or deleted
        outside lineage-engine, which the hash chain alone cannot show."""
        from lineage_engine.registry.ledger_check import verify_ledger

        with self._transaction("verify the findings against their events") as session:
            return verify_ledger(session, limit)

    def findings_chain_head(self) -> ChainHead:
        """Return the head of the findings event log: last event id, its SHA-256 and the count.

        For the evidence pack's manifest (issue 15 §2); read-only, not verified (use
        :meth:`verify_events` for that). Empty log: ``event_id`` None, hash 64 zeros.

        Raises:
            RegistryError: the registry could not be read.
        """
        with self._transaction("read the findings chain head") as session:
            return chain_head(session)

    def record_statements(self, statements: Sequence[Statement]) -> None:
        """Store who ran statements that changed lineage (query id, type, user, role, end time); idempotent."""
        if statements:
            with self._transaction("record statements") as session:
                _statements.insert(session, statements)

    def parse_results(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Return the stored extraction results among ``keys`` (:mod:`lineage_engine.parse_store`), by key."""
        from lineage_engine.registry.tables import ParseResultRow

        found: dict[str, bytes] = {}
        with self._transaction("read parse results") as session:
            for start in range(0, len(keys), 500):
                rows = session.execute(select(ParseResultRow.key, ParseResultRow.body)
                                       .where(ParseResultRow.key.in_(list(keys[start:start + 500]))))
                found.update((key, bytes(body)) for key, body in rows)
        return found

    def store_parse_results(self, results: Mapping[str, bytes]) -> None:
        """Store extraction results by key (:mod:`lineage_engine.parse_store`); a key already stored is kept."""
        from sqlalchemy.dialects import postgresql, sqlite

        from lineage_engine.registry.tables import ParseResultRow

        if not results:
            return
        with self._transaction("store parse results") as session:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            # executemany: one compiled statement, not a VALUES list compiled anew per batch
            session.execute(dialect.insert(ParseResultRow.__table__).on_conflict_do_nothing(index_elements=["key"]),
                            [{"key": k, "body": v} for k, v in results.items()])

    def get_statements(self, query_ids: Sequence[str]) -> dict[str, Statement]:
        """Return the stored statements among ``query_ids``, by query id (unknown ids are left out)."""
        with self._transaction("read statements") as session:
            return _statements.fetch(session, query_ids)

    def enqueue_alert(self, kind: str, dedupe_key: str, payload: dict[str, Any]) -> bool:
        """Add an alert to the outbox; return False (and change nothing) if ``dedupe_key`` exists.

        Raises:
            ValueError: ``payload`` is not JSON-serialisable.
        """
        try:
            json.dumps(payload)
        except (TypeError, ValueError) as err:
            raise ValueError(f"alert payload for '{dedupe_key}' is not JSON-serialisable: {err}") from None
        with self._transaction("enqueue an alert") as session:
            return _findings.insert_alert(session, kind, dedupe_key, payload, _utcnow())

    def enqueue_alert_group(
        self,
        kind: str,
        alerts: Sequence[tuple[str, dict[str, Any]]],
        *,
        group_above: int,
        group: Callable[[list[str]], tuple[str, dict[str, Any]]],
    ) -> int:
        """Add the alerts ``(dedupe_key, payload)`` whose key is new, one each, or, when more than
        ``group_above`` are new (0: never), one alert ``group(new keys)`` -> ``(dedupe_key,
        payload)`` standing for them all, in one transaction. Grouped, each new key is still
        stored, as delivered now with ``grouped_in`` (the group's key) in its payload, so it is
        not alerted again. Returns how many outbox alerts will be delivered (a group: 1).

        Raises:
            ValueError: a payload is not JSON-serialisable.
        """
        for key, payload in alerts:
            try:
                json.dumps(payload)
            except (TypeError, ValueError) as err:
                raise ValueError(f"alert payload for '{key}' is not JSON-serialisable: {err}") from None
        now = _utcnow()
        with self._transaction("enqueue alerts") as session:
            present = _findings.present_alert_keys(session, list(dict.fromkeys(key for key, _ in alerts)))
            new = [(key, payload) for key, payload in dict(alerts).items() if key not in present]
            if not group_above or len(new) <= group_above:
                return len(_findings.insert_alerts(session, kind, new, now))
            group_key, group_payload = group([key for key, _ in new])
            if not _findings.insert_alert(session, kind, group_key, group_payload, now):
                return 0
            session.add_all(AlertOutboxRow(kind=kind, dedupe_key=key, payload={**payload, "grouped_in": group_key},
                                           created_at=now, attempts=0, delivered_at=now) for key, payload in new)
            return 1

    def pending_alerts(self, limit: int = 100) -> list[OutboxAlert]:
        """Return up to ``limit`` undelivered alerts, oldest first (created_at, then id)."""
        query = (
            select(AlertOutboxRow)
            .where(AlertOutboxRow.delivered_at.is_(None))
            .order_by(AlertOutboxRow.created_at, AlertOutboxRow.id)
            .limit(limit)
        )
        with self._transaction("list pending alerts") as session:
            return [alert_from_row(row) for row in session.scalars(query)]

    def begin_alert_attempt(self, alert_id: int, at: datetime) -> None:
        """Record, before posting, that a delivery attempt starts; committed at once.

        ``attempts`` grows by one, ``last_attempt_at`` becomes ``at`` and ``last_error``
        becomes :data:`ATTEMPT_IN_FLIGHT` until the outcome is marked. An alert found
        pending with that marker was being posted when its process died (or the mark
        failed): Slack may have shown it.

        Raises:
            RegistryError: no alert with that id.
        """
        _require_aware(at, "at")
        with self._transaction("record an alert attempt") as session:
            row = self._alert(session, alert_id)
            row.attempts += 1
            row.last_error = ATTEMPT_IN_FLIGHT
            row.last_attempt_at = at

    def mark_alert_delivered(self, alert_id: int, at: datetime, *, attempted: bool = False) -> None:
        """Mark an alert delivered at ``at`` (aware); it leaves :meth:`pending_alerts`.

        ``attempted``: the attempt was already counted by :meth:`begin_alert_attempt`
        (``attempts`` stays, the in-flight marker is cleared); otherwise ``attempts`` grows by one.

        Raises:
            RegistryError: no alert with that id.
        """
        _require_aware(at, "at")
        with self._transaction("mark an alert delivered") as session:
            row = self._alert(session, alert_id)
            row.attempts += 0 if attempted else 1
            if row.last_error == ATTEMPT_IN_FLIGHT:
                row.last_error = None
            row.last_attempt_at = row.delivered_at = at

    def mark_alert_failed(self, alert_id: int, error: str, at: datetime, *, attempted: bool = False) -> None:
        """Record a failed delivery attempt; the alert stays pending.

        ``error`` (cut to 2,000 characters) becomes ``last_error``, ``at`` becomes
        ``last_attempt_at``; ``attempts`` grows by one unless ``attempted`` (already counted
        by :meth:`begin_alert_attempt`).

        Raises:
            RegistryError: no alert with that id.
        """
        _require_aware(at, "at")
        with self._transaction("mark an alert failed") as session:
            row = self._alert(session, alert_id)
            row.attempts += 0 if attempted else 1
            row.last_error = error[:_ERROR_TEXT_MAX]
            row.last_attempt_at = at

    # -- service lease --------------------------------------------------------------------

    def claim_lease(self, name: str, holder: str, *, now: datetime, expires_at: datetime,
                    dead_holder: str | None = None) -> _lease.LeaseState:
        """Take or renew lease ``name`` for ``holder`` until ``expires_at`` (aware UTC).

        Returns the row afterwards: ``held_by(holder, now)`` says whether the claim won. See
        :func:`lineage_engine.registry.lease.claim` for when a claim wins.

        Raises:
            RegistryError: the database is unreachable or not migrated.
        """
        _require_aware(now, "now")
        _require_aware(expires_at, "expires_at")
        with self._transaction("claim the service lease") as session:
            _lease.claim(session, name, holder, now=now, expires_at=expires_at, dead_holder=dead_holder)
            state = _lease.read(session, name)
        assert state is not None  # claim inserts the row
        return state

    def release_lease(self, name: str, holder: str, *, now: datetime) -> bool:
        """Give lease ``name`` up when ``holder`` holds it; return True when it did.

        Raises:
            RegistryError: the database is unreachable or not migrated.
        """
        _require_aware(now, "now")
        with self._transaction("release the service lease") as session:
            return _lease.release(session, name, holder, now=now)

    def lease(self, name: str) -> _lease.LeaseState | None:
        """Return lease ``name`` as stored, None when nobody ever claimed it."""
        with self._transaction("read the service lease") as session:
            return _lease.read(session, name)

    def _alert(self, session: Session, alert_id: int) -> AlertOutboxRow:
        row = session.get(AlertOutboxRow, alert_id)
        if row is None:
            raise RegistryError(f"registry {self.url}: no outbox alert with id {alert_id}")
        return row


def _findings_query(status: str | None, origin: str | None = None) -> Any:
    """Return the SELECT of findings, all or with ``status`` (see :meth:`Registry.list_findings`),
    of every origin or of ``origin`` and what it contains (a dataset's columns).

    Raises:
        ValueError: unknown status.
    """
    query = select(FindingRow).order_by(FindingRow.origin, FindingRow.terminal)
    if origin is not None:
        query = query.where(or_(FindingRow.origin == origin, FindingRow.origin.startswith(f"{origin}.", autoescape=True)))
    if status is None:
        return query
    return query.where(_finding_pages.status_filter(status))
