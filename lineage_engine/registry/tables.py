"""SQLAlchemy tables of the classification registry and the service state (design §8).

One schema for PostgreSQL (production) and SQLite (embedded); Alembic revisions under
``migrations/versions/`` create it and must match these models exactly (a test compares
them), column order included: an empty database is created from these models directly
(``registry/migrate.py``), so a column a revision adds to an existing table goes LAST in
its class, as the revision appends it. Every datetime column is :class:`UTCDateTime`: it accepts only aware datetimes,
stores UTC, and always returns aware UTC, also on SQLite, which keeps naive values.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    LargeBinary,
    CheckConstraint,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lineage_engine.model import CLASSIFICATION_LEVELS

REDACTED_TEXT_MAX = 4000
"""Longest redacted query text kept in quarantine, in characters."""

ASSET_TYPES: tuple[str, ...] = ("dataset", "column")
FINDING_STATUSES: tuple[str, ...] = ("open", "resolved")
"""The ``status`` a ``findings`` row stores; an acceptance is its own columns (``accepted_at``, …)."""
FINDING_STATUS_FILTERS: tuple[str, ...] = ("open", "accepted", "resolved")
"""What ``findings --status``, the web findings page and ``/api/findings`` filter by, each meaning
the same (:func:`lineage_engine.registry.finding_pages.status_filter`): ``open`` every open finding,
accepted ones included (they are open exposures; their status reads ``accepted``), ``accepted``
the open ones with an acceptance, ``resolved`` the resolved ones."""
FINDING_KINDS: tuple[str, ...] = ("exposure", "egress", "boundary")
"""``exposure``: unmasked sensitive data (design §7); ``egress``: it left the account; ``boundary``:
it crossed a ``compliance.boundaries`` rule (issue 14 §4, §6)."""
FACT_KINDS: tuple[str, ...] = (
    "classification", "regulatory_tags", "steward", "masking_policy", "tag", "row_access_policy",
    "tag_masking_policy", "data_type",
)  # fmt: skip
# tag_masking_policy: catalog_path is a tag's name, key and value the policy it masks with
# (ALTER TAG ... SET MASKING POLICY; value None once unset): tag-based masking (issue 10).
# data_type: a column's type family (VARCHAR, NUMBER, ...): a tag's policy masks only columns of its type.
FACT_ORIGINS: tuple[str, ...] = ("import", "query_history", "policy_references", "tag_references", "columns")

# Deterministic constraint names, so migrations can refer to them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    Binding a naive datetime raises ``ValueError`` (the caller's time zone is unknown);
    aware values are converted to UTC. SQLite returns naive values, read back as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; pass a timezone-aware UTC datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata`` is the registry schema."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class AssetRow(Base):
    """A classified dataset or column; ``catalog_path`` is its lower-case id."""

    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint("catalog_path = lower(catalog_path)", name="catalog_path_lower"),
        CheckConstraint(_in("asset_type", ASSET_TYPES), name="asset_type"),
        CheckConstraint(_in("classification", CLASSIFICATION_LEVELS), name="classification"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog_path: Mapped[str] = mapped_column(String(1024), unique=True)
    asset_type: Mapped[str] = mapped_column(String(16))
    classification: Mapped[str] = mapped_column(String(16))
    regulatory_tags: Mapped[list[Any]]
    steward: Mapped[str | None] = mapped_column(String(256))
    masking_policy: Mapped[str | None] = mapped_column(String(256))
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CrawlStateRow(Base):
    """The watermark of one query-history source.

    Keyset sources resume after ``(end_time, query_id)``; file sources at ``position``
    (byte offset, line and identity digests; ``end_time`` / ``query_id`` then describe the
    last row read and ``end_time`` is null while only unreadable rows were read).
    ``resolver_state`` is unused since revision 0003 (its content moved to
    :class:`CrawlSessionRow`, :class:`CrawlTempRow` and :class:`CrawlLearnedRow`, which a
    batch commit updates row by row, in the watermark's transaction).
    """

    __tablename__ = "crawl_state"

    source: Mapped[str] = mapped_column(String(256), primary_key=True)
    end_time: Mapped[datetime | None]
    query_id: Mapped[str] = mapped_column(String(256))
    rows_total: Mapped[int] = mapped_column(Integer)
    resolver_state: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    updated_at: Mapped[datetime]
    position: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class CrawlSessionRow(Base):
    """A query-history session of one source that holds live temporary objects (issue 13).

    ``session_key`` is the resolver's key as JSON text (``["session", "42"]`` or
    ``["user_db", user, database]``); ``last_seen`` the end time of its last row (UTC).
    """

    __tablename__ = "crawl_session"

    source: Mapped[str] = mapped_column(String(256), primary_key=True)
    session_key: Mapped[str] = mapped_column(String(768), primary_key=True)
    last_seen: Mapped[datetime | None]


class CrawlTempRow(Base):
    """One live temporary object of a session: its upstreams, via and column lineage (JSON,
    the shape of ``SessionResolver.to_state()``'s temps)."""

    __tablename__ = "crawl_temp"

    source: Mapped[str] = mapped_column(String(256), primary_key=True)
    session_key: Mapped[str] = mapped_column(String(768), primary_key=True)
    temp_id: Mapped[str] = mapped_column(String(1024), primary_key=True)
    state: Mapped[dict[str, Any]]


class CrawlLearnedRow(Base):
    """The columns a crawl learned for one dataset, in table order; ``seq`` is the learning
    order (the oldest is forgotten first, :class:`~lineage_engine.parsing.learned_schema.LearnedSchema`)."""

    __tablename__ = "crawl_learned_columns"

    source: Mapped[str] = mapped_column(String(256), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(String(1024), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    columns: Mapped[list[Any]]


class CrawlReadRow(Base):
    """The latest reads of one persistent name by statements of a session (JSON, the shape of
    ``SessionResolver.to_state()``'s reads: end time, query id and type, target, column edges
    out of the name, role; never query text); ``seq`` orders the names, least recently read
    first. A temporary object of that name created by a row read later but ended earlier was
    what they read (README "Late rows")."""

    __tablename__ = "crawl_reads"

    source: Mapped[str] = mapped_column(String(256), primary_key=True)
    session_key: Mapped[str] = mapped_column(String(768), primary_key=True)
    name: Mapped[str] = mapped_column(String(1024), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    reads: Mapped[list[Any]]


class QuarantineRow(Base):
    """A statement or row that could not be processed; one row per (source, query, reason)."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(256))
    query_id: Mapped[str | None] = mapped_column(String(256))
    position: Mapped[str] = mapped_column(String(1024))
    reason_code: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str | None] = mapped_column(String(128))
    redacted_text: Mapped[str | None] = mapped_column(String(REDACTED_TEXT_MAX))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    occurrences: Mapped[int] = mapped_column(Integer)


# Re-crawling the same window must not duplicate quarantine rows: a row without a query id
# (unreadable) is identified by its position instead.
QUARANTINE_KEY = (
    QuarantineRow.source,
    func.coalesce(QuarantineRow.query_id, QuarantineRow.position),
    QuarantineRow.reason_code,
)
Index("uq_quarantine_source_key_reason", *QUARANTINE_KEY, unique=True)


class FindingRow(Base):
    """One path tracked over time, keyed by (kind, rule, origin, terminal) (design §7, issue 14).

    ``kind`` is one of :data:`FINDING_KINDS`; ``rule`` names the boundary rule of a
    ``boundary`` finding ("" for the other kinds).
    """

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("kind", "rule", "origin", "terminal"),
        CheckConstraint(_in("status", FINDING_STATUSES), name="status"),
        CheckConstraint(_in("kind", FINDING_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(1024))
    terminal: Mapped[str] = mapped_column(String(1024))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    opened_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    path: Mapped[list[Any]]
    regulatory_tags: Mapped[list[Any]]
    level: Mapped[str] = mapped_column(String(16))
    steward: Mapped[str | None] = mapped_column(String(256))
    last_alerted_at: Mapped[datetime | None]
    last_alerted_severity: Mapped[str | None] = mapped_column(String(16))
    unmasked_from: Mapped[datetime | None]
    unmasked_to: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    # Why it exists (issue 10 §6): the path's hops with their transforms and the statement
    # (query id, user, role, time) that put the data into the terminal.
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # Triage (issue 10 §7): an accepted finding stays open but is not alerted until
    # accepted_until passes (None: until reopened by hand).
    accepted_at: Mapped[datetime | None]
    accepted_until: Mapped[datetime | None]
    accepted_by: Mapped[str | None] = mapped_column(String(256))
    accepted_reason: Mapped[str | None] = mapped_column(Text)
    # full: the origin's value reaches the terminal; partial: only a fragment (RIGHT(x, 4)).
    exposure: Mapped[str] = mapped_column(String(8), server_default="full")
    kind: Mapped[str] = mapped_column(String(16), server_default="exposure", default="exposure")
    rule: Mapped[str] = mapped_column(String(256), default="")
    # What the last scan stored (severity, path, tags, level, steward, exposure, note, explanation),
    # digested (migration 0011): a scan that finds the same only moves last_seen_at. NULL: compare fields.
    digest: Mapped[str | None] = mapped_column(String(32))


class FindingScanRow(Base):
    """One exposure scan recorded in the findings ledger (migration 0017), in the scan's transaction.

    ``scanned_at`` is the scan's instant (UTC). Every finding open after a scan was seen by it
    (a scan resolves each open finding it does not see), so an open finding's ``last_seen_at``
    is the ``scanned_at`` of the latest scan (highest ``id``): a scan that finds a finding
    unchanged writes nothing on its row (:func:`lineage_engine.registry.findings.seen_at`).
    """

    __tablename__ = "finding_scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scanned_at: Mapped[datetime]


class FactRow(Base):
    """One dated registry fact about a dataset or column (issue 10 §2).

    ``fact`` is one of :data:`FACT_KINDS`; ``key`` names the tag of a ``tag`` fact (empty
    otherwise); ``value`` is JSON (text, a list of tags, or null for "explicitly none").
    Each (catalog_path, fact, key, origin) is a timeline: intervals ``[valid_from,
    valid_to)`` that do not overlap, ``valid_to`` null while current. ``origin`` says who
    stated it (a registry import, a statement of the query history, or ACCOUNT_USAGE:
    POLICY_REFERENCES, TAG_REFERENCES, COLUMNS).
    ``catalog_path`` may name an object the graph has not seen (yet).
    """

    __tablename__ = "registry_facts"
    __table_args__ = (
        UniqueConstraint("catalog_path", "fact", "key", "origin", "valid_from"),
        CheckConstraint(_in("fact", FACT_KINDS), name="fact"),
        CheckConstraint(_in("origin", FACT_ORIGINS), name="origin"),
        Index("ix_registry_facts_fact_valid_from", "fact", "valid_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog_path: Mapped[str] = mapped_column(String(1024))
    fact: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(256))
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    origin: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    query_id: Mapped[str | None] = mapped_column(String(256))
    recorded_at: Mapped[datetime]


class MaskingPolicyRow(Base):
    """The body of a masking policy as far as it is understood, with its validity (issue 10 §3).

    Only role names are kept from the body (never other literals): ``clear_roles`` are the
    roles the policy lets read the value in clear; ``understood`` is False when the body is
    not the ``CASE WHEN CURRENT_ROLE() IN (...) THEN val ELSE ... END`` shape.
    """

    __tablename__ = "masking_policies"
    __table_args__ = (UniqueConstraint("name", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    understood: Mapped[bool]
    clear_roles: Mapped[list[Any]]
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    query_id: Mapped[str | None] = mapped_column(String(256))
    data_type: Mapped[str | None] = mapped_column(String(64))
    """The family of the signature's first argument (``VARCHAR``, ``NUMBER`` …), null when not stated."""


class ColumnReadRow(Base):
    """Which role copied a masked column into another one, and when (issue 10 §3).

    Recorded by the crawl for column lineage out of a column that has a masking policy
    fact: the copy holds what ``role_name`` saw through the policy.
    """

    __tablename__ = "column_reads"
    __table_args__ = (UniqueConstraint("downstream", "upstream", "query_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    downstream: Mapped[str] = mapped_column(String(1024))
    upstream: Mapped[str] = mapped_column(String(1024), index=True)
    at: Mapped[datetime]
    query_id: Mapped[str] = mapped_column(String(256))
    role_name: Mapped[str | None] = mapped_column(String(256))


OBJECT_CHANGES: tuple[str, ...] = ("recreate", "drop", "rename", "swap", "clone", "undrop")
"""Kinds of :class:`ObjectChangeRow`: a replace (``CREATE OR REPLACE``, CTAS over the name), a
``DROP``, ``RENAME`` (source -> target), ``SWAP``, ``CLONE`` (source -> target), ``UNDROP``."""


class ObjectChangeRow(Base):
    """A statement of the query history that ended, moved or copied an object's warehouse facts.

    One row per replace, ``DROP``, ``RENAME``, ``SWAP``, ``CLONE`` and ``UNDROP`` of a dataset
    (or a schema or database: ``container``) the crawl recorded, at its ``END_TIME``: a
    masking policy or tag read late (a file out of ``END_TIME`` order, a later crawl) is
    carried across the moves recorded after it and ends at the replaces and drops
    (:mod:`lineage_engine.registry.policies`). ``target`` is empty unless the change names a
    second object. Never query text.
    """

    __tablename__ = "object_changes"
    __table_args__ = (
        UniqueConstraint("source", "target", "mode", "at"),
        CheckConstraint(_in("mode", OBJECT_CHANGES), name="mode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(1024), index=True)
    target: Mapped[str] = mapped_column(String(1024), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    container: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]
    query_id: Mapped[str] = mapped_column(String(256))


FINDING_EVENTS: tuple[str, ...] = ("genesis", "opened", "escalated", "resolved", "accepted", "reopened", "alerted")
"""Kinds of finding events; ``genesis`` records a finding's state when the event log began."""


class FindingEventRow(Base):
    """One state change of a finding, append-only and hash-chained (issue 10 §7, issue 15 §1).

    ``id`` orders the single chain of the installation; ``prev_hash`` is the ``hash`` of the
    event before (64 zeros for the first), ``hash`` the SHA-256 of this event's canonical
    content (see :mod:`lineage_engine.registry.events`). ``prev_hash`` is unique, so two
    writers can never fork the chain.
    """

    __tablename__ = "finding_events"
    __table_args__ = (
        UniqueConstraint("prev_hash"),
        CheckConstraint(_in("event", FINDING_EVENTS), name="event"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(Integer, index=True)
    event: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AlertOutboxRow(Base):
    """An alert waiting for delivery (``delivered_at`` null) or delivered."""

    __tablename__ = "alert_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(512), unique=True)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)


class ServiceLeaseRow(Base):
    """Who holds a named lease (``crawl``: the crawl, scan and alert jobs) and until when.

    One row per lease name. ``holder`` is null when released; ``epoch`` grows by one each
    time the lease changes hands (a fencing number for logs). See :mod:`lineage_engine.lease`.
    """

    __tablename__ = "service_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(256))
    epoch: Mapped[int] = mapped_column(BigInteger)
    acquired_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]


class StatementRow(Base):
    """Who ran a statement that changed lineage, and when (issue 10 §6: findings name it).

    One row per query id that produced lineage events, written by the crawl (idempotent).
    Never the query text: only its id, type, user, role and end time (UTC).
    """

    __tablename__ = "statements"

    query_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    query_type: Mapped[str] = mapped_column(String(64))
    user_name: Mapped[str | None] = mapped_column(String(256))
    role_name: Mapped[str | None] = mapped_column(String(256))
    end_time: Mapped[datetime]


class ParseResultRow(Base):
    """One statement's extraction result, kept so that reading a history again parses nothing twice
    (:mod:`lineage_engine.parse_store`): ``key`` digests the statement's parse cache key and the
    parser version, ``body`` is the compressed result without any text. Never query text."""

    __tablename__ = "parse_results"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class OpenLineageEventRow(Base):
    """An OpenLineage run event received (issue 16), stored before the 2xx answer, merged by the crawl.

    ``body`` is the event reduced to what lineage needs (no SQL or other free-text facets);
    ``digest`` its SHA-256, so a replayed event is stored once. ``id`` orders merging (the
    ``openlineage:received`` source's watermark is the last id merged).
    """

    __tablename__ = "openlineage_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    run_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(16))
    event_time: Mapped[datetime]
    job: Mapped[str] = mapped_column(String(2048))
    body: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]


ACCESS_OBJECT_KINDS: tuple[str, ...] = ("dataset", "column")


class AccessReadRow(Base):
    """Reads of one dataset or column by one principal and role on one UTC day (issue 14 §1).

    An aggregate: ``reads`` statements between ``first_at`` and ``last_at`` (their END_TIME),
    the first one's query id and a sample of up to five query ids. No query text. Column
    ``object_id`` ``D.*`` means "every column of D" (columns not known for that read).
    """

    __tablename__ = "access_reads"
    __table_args__ = (
        UniqueConstraint("principal", "role_name", "object_id", "day"),
        CheckConstraint(_in("object_kind", ACCESS_OBJECT_KINDS), name="object_kind"),
        Index("ix_access_reads_object_id_day", "object_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    principal: Mapped[str] = mapped_column(String(256))
    role_name: Mapped[str] = mapped_column(String(256))
    object_kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[str] = mapped_column(String(1024))
    day: Mapped[str] = mapped_column(String(10))
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    reads: Mapped[int] = mapped_column(Integer)
    first_query_id: Mapped[str] = mapped_column(String(256))
    sample_query_ids: Mapped[list[Any]]
    warehouses: Mapped[list[Any]]
    content_from: Mapped[datetime | None]
    """Earliest Time Travel point read (``t AT | BEFORE (...)``; the epoch: not known), when
    earlier than ``first_at``; None when every statement read current content (migration 0015)."""


class AccessQueryRow(Base):
    """A statement whose reads are in :class:`AccessReadRow` (replays are recognised by it),
    with who ran it: drift alerts name the user and role of the statement that moved data."""

    __tablename__ = "access_queries"

    query_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    at: Mapped[datetime]
    principal: Mapped[str | None] = mapped_column(String(256))
    role_name: Mapped[str | None] = mapped_column(String(256))


DRIFT_KINDS: tuple[str, ...] = ("new_terminal", "new_reader", "new_egress")


class DriftSeenRow(Base):
    """A place or principal an origin's data reached, once seen by a drift check (issue 14 §5).

    ``subject`` is the object reached (``new_terminal``, ``new_egress``) or the principal
    (``new_reader``); a pair not yet here is new, and alerted once.
    """

    __tablename__ = "drift_seen"
    __table_args__ = (
        UniqueConstraint("kind", "origin", "subject"),
        CheckConstraint(_in("kind", DRIFT_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(1024))
    subject: Mapped[str] = mapped_column(String(1024))
    first_at: Mapped[datetime | None]
    query_id: Mapped[str | None] = mapped_column(String(256))
    recorded_at: Mapped[datetime]


GRANT_ORIGINS: tuple[str, ...] = ("query_history", "grants_to_roles", "grants_to_users")


class GrantFactRow(Base):
    """A privilege or role grant with its validity interval (issue 14 §3).

    From GRANT / REVOKE statements of the query history (``valid_from`` the statement's
    END_TIME) or from ``ACCOUNT_USAGE.GRANTS_TO_ROLES`` / ``GRANTS_TO_USERS`` (CREATED_ON,
    DELETED_ON). ``privilege`` as written (unknown names kept); ``on_kind`` ``ROLE`` with
    ``object_id`` a role name is a role grant (``grantee`` inherits it). ``object_id`` of a
    dataset is its lower-case id; objects never seen in the graph are kept.
    """

    __tablename__ = "grant_facts"
    __table_args__ = (
        UniqueConstraint("privilege", "on_kind", "scope", "object_id", "grantee_kind", "grantee", "origin",
                         "valid_from", name="uq_grant_facts_key"),  # the generated name exceeds 63 characters
        CheckConstraint(_in("origin", GRANT_ORIGINS), name="origin"),
        Index("ix_grant_facts_object_id", "object_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    privilege: Mapped[str] = mapped_column(String(64))
    on_kind: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[str] = mapped_column(String(1024))
    grantee_kind: Mapped[str] = mapped_column(String(32))
    grantee: Mapped[str] = mapped_column(String(256))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    origin: Mapped[str] = mapped_column(String(32))
    query_id: Mapped[str | None] = mapped_column(String(256))


class ShareAccountRow(Base):
    """An account an outbound share is shared with, and when (issue 14 §4).

    From ``ALTER SHARE s ADD | SET ACCOUNTS = …`` (``valid_from`` the statement's END_TIME)
    until ``REMOVE ACCOUNTS``, a ``SET ACCOUNTS`` without it, or ``DROP SHARE``
    (``valid_to``). ``share`` and ``account`` are upper-case, as Snowflake folds them.
    """

    __tablename__ = "share_accounts"
    __table_args__ = (UniqueConstraint("share", "account", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    share: Mapped[str] = mapped_column(String(256), index=True)
    account: Mapped[str] = mapped_column(String(256))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    query_id: Mapped[str | None] = mapped_column(String(256))


class ExternalFunctionRow(Base):
    """An external function of the account (``CREATE [SECURE] EXTERNAL FUNCTION``; issue 14 §4).

    ``function_id`` is the lower-case ``database.schema.name``; ``valid_to`` set by ``DROP
    FUNCTION`` or a later ``CREATE OR REPLACE FUNCTION`` that is not external.
    """

    __tablename__ = "external_functions"
    __table_args__ = (UniqueConstraint("function_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    function_id: Mapped[str] = mapped_column(String(1024))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    query_id: Mapped[str | None] = mapped_column(String(256))
