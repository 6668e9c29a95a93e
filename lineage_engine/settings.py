"""Configuration: ``lineage-engine.config.yaml`` + environment, validated at start-up.

The only module that reads the environment or YAML. Sections follow the guide's template
(``telemetry``, ``graph``, ``compliance``, ``monitoring``); our own keys extend them.

Precedence, highest first: environment variables ``LINEAGE_ENGINE_<SECTION>__<KEY>`` (e.g.
``LINEAGE_ENGINE_GRAPH__PATH``), then the YAML file, then defaults. Strings in the YAML may use
``${VAR}`` (required) and ``${VAR:-default}``; ``$$`` is a literal ``$``. Secrets (passwords,
webhook URLs, Neo4j credentials, database URLs) are ``SecretStr`` and never printed.

Relative paths resolve against the config file's folder. When no config file is given or found,
the shipped default is used; its state paths (graph, SQLite registry) then resolve against the
current directory and its query-history path against the bundled sample.

Which file: ``--config PATH``, else ``$LINEAGE_ENGINE_CONFIG``, else ``./lineage-engine.config.yaml``,
else the shipped default.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from lineage_engine.errors import ConfigError
from lineage_engine.transform_lists import (
    DEFAULT_COUNTING_FUNCTIONS,
    DEFAULT_MASKING_FUNCTIONS,
    DEFAULT_PARTIAL_MAX_CHARS,
    DEFAULT_UNMASKING_FUNCTIONS,
    TransformFunctions,
    is_function_name,
)
from lineage_engine.resources import default_config_path

CONFIG_ENV = "LINEAGE_ENGINE_CONFIG"
CONFIG_FILENAME = "lineage-engine.config.yaml"

Severity = Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]

ALERT_KINDS = ("unmasked_pii", "failed_backfill", "steward_missing", "drift")  # drift: issue 14 §5
_ALERT_ALIASES = {
    "unmasked_pii_path": "unmasked_pii",
    "unmasked_pii_paths": "unmasked_pii",
    "pii_exposure": "unmasked_pii",
    "exposure": "unmasked_pii",
    "backfill_failure": "failed_backfill",
    "backfill_failed": "failed_backfill",
    "missing_steward": "steward_missing",
    "steward": "steward_missing",
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class ExtraSourceSettings(_Section):
    """One more lineage source beside ``telemetry.provider`` (issue 16), with its own watermark.

    ``provider: dbt``: ``path`` is a dbt target folder (manifest.json, run_results.json,
    catalog.json). ``provider: file``: ``path`` is another query-history file, crawled with the
    same ``telemetry`` options.
    """

    provider: Literal["dbt", "file"]
    path: Path = Field(description="dbt: the target folder; file: a query-history file (JSON Lines or CSV).")
    format: Literal["auto", "jsonl", "csv"] = "auto"
    dialect: str | None = Field(None, description="dbt: sqlglot dialect of the compiled SQL; default: from the adapter.")


class TelemetrySettings(_Section):
    """Where query history comes from (``provider``) and which statements count."""

    provider: Literal["file", "snowflake", "dbt"] = "file"
    path: Path | None = Field(
        None, description="Query-history file (JSON Lines or CSV) for provider: file; the dbt target folder for provider: dbt.")
    extra_sources: list[ExtraSourceSettings] = Field(
        default_factory=list,
        description="More sources crawled after the provider's, each with its own watermark (dbt target folders, files).",
    )
    format: Literal["auto", "jsonl", "csv"] = "auto"
    dialect: str = "snowflake"
    role: str = "LINEAGE_OBSERVER"
    scan_interval_minutes: int = Field(15, ge=1, le=24 * 60)
    backfill_days: int = Field(90, ge=1, le=365)
    backfill_window_days: int = Field(
        1, ge=1, le=30,
        description="Days of query history per backfill window (one watermark commit each; a kill loses at most one).",
    )
    query_filters: list[str] = Field(
        default_factory=list,
        description="QUERY_TYPE allow-list (the guide's queryTypes); empty = every materializing type.",
    )
    own_user: str | None = Field(None, description="Our service user: its queries are never lineage.")
    query_tag: str = Field("lineage-svc", description="QUERY_TAG we set; tagged queries are excluded.")
    batch_size: int = Field(5000, ge=1, le=1_000_000, description="Rows per graph commit + watermark.")
    parse_workers: int | None = Field(
        None, ge=1, le=256,
        description="Processes that parse (default 2 on two cores or more: the crawl's and one worker); 1 = no pool.",
    )
    temp_patterns: list[str] = Field(default_factory=list, description="Extra regexes of temporary objects.")
    future_tolerance_minutes: int = Field(
        60, ge=0, le=7 * 24 * 60,
        description="A statement that ended later than now plus this is quarantined (end_time_in_future).",
    )
    store_indirect_column_edges: bool = Field(
        False, description="Also store INDIRECT column edges (filters, joins, group keys); exposure uses DIRECT only.",
    )
    max_statement_chars: int = Field(
        1_000_000, ge=1, description="A longer query_text is quarantined as too_large, never parsed.",
    )
    parse_timeout_seconds: float = Field(
        10, ge=0, description="Parse budget per statement (seconds); a longer parse is quarantined as timeout. 0: none.",
    )
    session_idle_hours: float = Field(
        24, gt=0, le=24 * 30,
        description="A session idle longer than this has ended: its temporary objects are forgotten "
                    "(Snowflake's default idle timeout is 4 hours; keep-alive clients stay longer).",
    )
    # Snowflake connection (issue 3); secrets only through ${VAR}.
    account: str | None = None
    user: str | None = None
    warehouse: str | None = None
    authenticator: str | None = None
    password: SecretStr | None = None
    private_key_path: Path | None = None
    private_key_passphrase: SecretStr | None = None
    host: str | None = None
    port: int | None = None
    protocol: str | None = None
    database: str | None = Field(None, description="Session database (optional; the crawler's SQL is fully qualified).")
    lag_minutes: int = Field(
        60, ge=0, le=7 * 24 * 60,
        description="Read QUERY_HISTORY only up to now minus this (ACCOUNT_USAGE latency is up to 45 min).",
    )
    overlap_minutes: int = Field(
        30, ge=0, le=24 * 60,
        description="Each incremental read starts this long before the watermark; the keyset drops rows already merged.",
    )
    page_size: int = Field(10_000, ge=1, le=1_000_000, description="QUERY_HISTORY rows per keyset page.")
    login_timeout_seconds: int = Field(60, ge=1, le=3600, description="Give up connecting to Snowflake after this long.")
    access_history: bool = Field(
        False, description="Enrich lineage from ACCOUNT_USAGE.ACCESS_HISTORY (Enterprise Edition; up to 3 h latency)."
    )
    sync_grants: bool = Field(
        False, description="After each crawl, read SNOWFLAKE.ACCOUNT_USAGE.GRANTS_TO_ROLES and GRANTS_TO_USERS into "
        "dated grant facts (issue 14; role needs SNOWFLAKE.GOVERNANCE_VIEWER); needs telemetry.account.",
    )
    keep_reads: bool = Field(
        True, description="Keep the read side of every successful statement (SELECTs too) as access facts: "
        "per principal, role, dataset or column and UTC day, no query text (issue 14; 'lineage-engine access'). "
        "SELECTs are read either way: they may call external functions (egress).",
    )
    # Column schema from the catalog (issue 5); see lineage_engine.sources.snowflake_columns.
    sync_columns: bool = Field(
        False, description="Read SNOWFLAKE.ACCOUNT_USAGE.COLUMNS to expand SELECT * over tables the crawled history "
        "never defined (role needs SNOWFLAKE.OBJECT_VIEWER); needs telemetry.account.",
    )
    columns_databases: list[str] = Field(
        default_factory=list, description="Databases whose columns sync_columns reads; empty = every database.",
    )
    columns_refresh_minutes: int = Field(
        60, ge=1, le=7 * 24 * 60,
        description="The service reloads the synced columns when older than this (ACCOUNT_USAGE.COLUMNS lags up to 90 min).",
    )

    # Policies and tags the warehouse enforces (issue 10 §2); see lineage_engine.sources.snowflake_policies.
    sync_policies: bool = Field(
        False, description="After each crawl, read SNOWFLAKE.ACCOUNT_USAGE.POLICY_REFERENCES and TAG_REFERENCES into "
        "dated registry facts (role needs SNOWFLAKE.GOVERNANCE_VIEWER); needs telemetry.account.",
    )

    @field_validator("query_filters")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return [v.strip().upper() for v in value if v.strip()]

    @field_validator("columns_databases")
    @classmethod
    def _database_names(cls, value: list[str]) -> list[str]:
        return [v.strip() for v in value if v.strip()]

    @model_validator(mode="after")
    def _grants_need_an_account(self) -> TelemetrySettings:
        if self.sync_grants and not self.account:
            raise ValueError("sync_grants reads SNOWFLAKE.ACCOUNT_USAGE.GRANTS_TO_ROLES and GRANTS_TO_USERS and needs "
                             "telemetry.account (and telemetry.user); set them or turn sync_grants off")
        return self

    @model_validator(mode="after")
    def _columns_need_an_account(self) -> TelemetrySettings:
        if self.sync_columns and not self.account:
            raise ValueError("sync_columns reads SNOWFLAKE.ACCOUNT_USAGE.COLUMNS and needs telemetry.account "
                             "(and telemetry.user); set them or turn sync_columns off")
        if self.sync_policies and not self.account:
            raise ValueError("sync_policies reads SNOWFLAKE.ACCOUNT_USAGE.POLICY_REFERENCES and TAG_REFERENCES and "
                             "needs telemetry.account (and telemetry.user); set them or turn sync_policies off")
        return self

    @model_validator(mode="after")
    def _distinct_sources(self) -> TelemetrySettings:
        seen = {(self.provider, str(self.path))} if self.path is not None else set()
        for i, extra in enumerate(self.extra_sources):
            key = (extra.provider, str(extra.path))
            if key in seen:
                raise ValueError(f"extra_sources[{i}] repeats the source {extra.provider} '{extra.path}' (each source "
                                 "has one watermark); remove the repeat")
            seen.add(key)
        return self

    @field_validator("temp_patterns")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"'{pattern}' is not a valid regular expression ({exc})") from None
        return value


class GraphSettings(_Section):
    """The graph store: ``embedded`` (LadybugDB folder) or ``neo4j``."""

    type: Literal["embedded", "neo4j"] = "embedded"
    path: Path = Path(".lineage/graph")
    buffer_pool_mb: int = Field(
        512, ge=64, le=1_048_576,
        description="Embedded graph: MiB of pages LadybugDB may cache (its own default is 80% of RAM).",
    )
    checkpoint_mb: int = Field(
        32, ge=1, le=65_536,
        description="Embedded graph: MiB of write-ahead log after which a commit checkpoints it into the "
        "graph file (LadybugDB's default, 16, checkpoints every second batch of a large crawl); what the "
        "log holds stays in the buffer pool until then, so keep it well below graph.buffer_pool_mb.",
    )
    uri: str | None = Field(None, description="Neo4j URI: neo4j:// (routing: clusters, Aura) or bolt:// (one server).")
    database: str | None = Field(None, description="Neo4j database name; none = the server's default database.")
    credentials: SecretStr | None = Field(None, description="Neo4j 'user/password', e.g. ${NEO4J_AUTH}.")
    indexes: list[str] = Field(
        default_factory=lambda: ["last_seen", "valid_to"],
        description="Extra Neo4j indexes: a property ('last_seen') or 'Label.property' ('DERIVES_FROM.valid_to').",
    )
    batch_size: int = Field(5000, ge=1, le=1_000_000, description="Neo4j: rows per UNWIND write/read statement.")
    migrate_on_open: bool = Field(
        True, description="Neo4j: create constraints and indexes whenever a crawl opens the graph; "
        "false: only 'lineage-engine migrate' does (for a service user without schema privileges).",
    )
    # Neo4j driver pool and timeouts (seconds); the defaults are the driver's own.
    max_connection_pool_size: int = Field(100, ge=1, le=10_000, description="Neo4j connections per server.")
    connection_timeout_seconds: float = Field(30, gt=0, le=3600, description="Give up opening one connection after this long.")
    connection_acquisition_timeout_seconds: float = Field(
        60, gt=0, le=3600, description="Wait this long for a free pooled connection."
    )
    max_transaction_retry_seconds: float = Field(
        30, ge=0, le=3600, description="The driver retries a transient transaction failure for this long."
    )


class BoundaryRule(_Section):
    """One ``compliance.boundaries`` rule (issue 14 §6): where an origin's data must not go.

    ``origins`` (globs over origin ids, ``eu_db.*``) or ``classification`` (a regulatory tag or a
    classification level of the origin asset, ``pci``) picks the origins; ``forbidden`` (globs
    over destinations: dataset or column ids, stages ``@…``, URLs, ``share:NAME``) or ``allowed``
    (every other destination crosses) says where they must not be held.
    """

    name: str = Field(min_length=1)
    origins: list[str] = Field(default_factory=list)
    classification: str | None = None
    forbidden: list[str] = Field(default_factory=list)
    allowed: list[str] | None = None

    @field_validator("origins", "forbidden", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _complete(self) -> BoundaryRule:
        if bool(self.origins) == bool(self.classification):
            raise ValueError(f"boundary '{self.name}': give either origins (globs) or classification, not both")
        if bool(self.forbidden) == (self.allowed is not None):
            raise ValueError(f"boundary '{self.name}': give either forbidden or allowed destinations")
        return self


class ComplianceSettings(_Section):
    """The classification registry and how exposure is judged."""

    classification_db: SecretStr = SecretStr("sqlite:///.lineage/registry.db")
    steward_enforcement: bool = True
    review_cycle_days: int = Field(90, ge=1)
    risk_thresholds: dict[str, Severity] = Field(
        default_factory=lambda: {
            "pii_exposure": "HIGH",
            "health_data": "HIGH",
            "financial_data": "MEDIUM",
            "restricted": "HIGH",
        }
    )
    sensitive_tags: list[str] = Field(
        default_factory=lambda: ["pii", "gdpr", "ccpa", "phi", "hipaa", "health", "financial", "pci", "sox"],
        description="Regulatory tags that make a registry asset a sensitive origin.",
    )
    tag_risk_keys: dict[str, str] = Field(
        default_factory=lambda: {
            "pii": "pii_exposure",
            "gdpr": "pii_exposure",
            "ccpa": "pii_exposure",
            "phi": "health_data",
            "hipaa": "health_data",
            "health": "health_data",
            "financial": "financial_data",
            "pci": "financial_data",
            "sox": "financial_data",
        },
        description="Which risk_thresholds key a regulatory tag falls under.",
    )
    realert_after_hours: float | None = Field(168, gt=0, description="Re-alert an open finding after this long.")
    boundaries: list[BoundaryRule] = Field(
        default_factory=list, description="Where sensitive data must not go (issue 14 §6; 'lineage-engine boundaries').",
    )
    broad_role_members: int = Field(
        50, ge=0, description="A role with more users than this is broad: 'lineage-engine grants' flags it, like PUBLIC "
        "(issue 14 §3).",
    )
    masking_functions: list[str] = Field(
        default_factory=lambda: sorted(DEFAULT_MASKING_FUNCTIONS),
        description="Functions whose result masks their input (names; * and ? are wildcards).",
    )
    unmasking_functions: list[str] = Field(
        default_factory=lambda: sorted(DEFAULT_UNMASKING_FUNCTIONS),
        description="Functions that give a masked value back in clear (DETOKENIZE, DECRYPT ...).",
    )
    counting_functions: list[str] = Field(
        default_factory=lambda: sorted(DEFAULT_COUNTING_FUNCTIONS),
        description="Aggregates that count values instead of carrying them; other aggregates carry the value.",
    )
    partial_max_chars: int = Field(
        DEFAULT_PARTIAL_MAX_CHARS, ge=0,
        description="Longest literal RIGHT/LEFT/SUBSTR length that is a partial exposure (a fragment).",
    )

    @field_validator("masking_functions", "unmasking_functions", "counting_functions")
    @classmethod
    def _function_names(cls, value: list[str]) -> list[str]:
        names = [v.strip() for v in value]
        for name in names:
            if not is_function_name(name):
                raise ValueError(
                    f"'{name}' is not a function name: use letters, digits, _ and $ (* and ? as "
                    "wildcards), without schema or arguments"
                )
        return names

    def transform_functions(self) -> TransformFunctions:
        """Return the function lists as the parser takes them."""
        return TransformFunctions(
            masking=frozenset(self.masking_functions), unmasking=frozenset(self.unmasking_functions),
            counting=frozenset(self.counting_functions), partial_max_chars=self.partial_max_chars,
        )

    @field_validator("risk_thresholds", mode="before")
    @classmethod
    def _upper_severity(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v.upper() if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("sensitive_tags")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value if v.strip()]


SLACK_WEBHOOK_DEFAULT = "${SLACK_WEBHOOK_URL:-}"
"""``monitoring.slack_webhook`` when a config leaves it out: the README's variable, so a user's own
config without the key still alerts to Slack when ``SLACK_WEBHOOK_URL`` is exported."""


class MonitoringSettings(_Section):
    """Where alerts go and which kinds are sent."""

    slack_webhook: SecretStr | None = Field(
        default_factory=lambda: interpolate(SLACK_WEBHOOK_DEFAULT, "monitoring.slack_webhook") or None,
        description="Slack incoming webhook; default ${SLACK_WEBHOOK_URL:-} (unset or empty: console alerts).",
    )
    alert_on: list[str] = Field(default_factory=lambda: list(ALERT_KINDS))
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    metrics_host: str = Field("127.0.0.1", description="Address of the /healthz and /metrics endpoint of 'run'.")
    alert_budget_seconds: float = Field(
        30, gt=0, le=3600,
        description="Longest time one run spends sending alerts (plus one request's timeout); the rest stay pending.",
    )
    alert_group_above: int = Field(
        10, ge=0, le=1_000_000,
        description="More alerts than this for one origin and event in one scan (drift: one kind and origin) "
                    "are one grouped alert (each finding stays in the ledger); 0 sends one each.",
    )
    metrics_port: int | None = Field(
        9464, ge=0, le=65535, description="Port of /healthz and /metrics; 0 picks a free port, null turns it off."
    )
    web_token: SecretStr | None = Field(
        None, description="Bearer token of 'lineage-engine serve' (required to bind beyond loopback); a secret: "
                          "write ${VAR}, never printed.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("slack_webhook", "web_token", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @field_validator("alert_on")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        kinds: list[str] = []
        for raw in value:
            name = _ALERT_ALIASES.get(raw.strip().lower(), raw.strip().lower())
            if name not in ALERT_KINDS:
                close = difflib.get_close_matches(name, [*ALERT_KINDS, *_ALERT_ALIASES], n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ValueError(f"unknown alert kind '{raw}' (known: {', '.join(ALERT_KINDS)}){hint}")
            if name not in kinds:
                kinds.append(name)
        return kinds


class SchedulerSettings(_Section):
    """How ``lineage-engine run`` schedules jobs and how every command retries transient errors."""

    crawl_interval_seconds: int | None = Field(
        None, ge=1, description="Overrides telemetry.scan_interval_minutes (seconds; for tests and demos)."
    )
    classification_sync_minutes: float = Field(15, gt=0, description="Registry -> graph classification sync period.")
    steward_check_hours: float = Field(24, gt=0, description="Steward and review check period.")
    misfire_grace_seconds: int = Field(300, ge=1, description="A job later than this is skipped (coalesced).")
    retry_attempts: int = Field(3, ge=1, le=100, description="Attempts per job or backfill window on transient errors.")
    retry_backoff_seconds: float = Field(5, ge=0, description="Wait between attempts (the first wait when exponential).")
    retry_exponential: bool = Field(False, description="Double the wait after each failed attempt.")
    retry_max_backoff_seconds: float = Field(300, ge=0, description="Upper bound of one wait when exponential.")
    lease_seconds: float = Field(
        60, ge=2, le=3600,
        description="Replicas of 'run' sharing one registry: one holds the crawl lease; after it dies another "
                    "takes over within 3/4 of this (seconds).",
    )


class WebServiceSettings(_Section):
    """The read-only web view and JSON API served by ``lineage-engine run`` (every replica)."""

    enabled: bool = Field(False, description="Serve the web view and API from 'run' (holder and standby alike).")
    host: str = Field("127.0.0.1", min_length=1, description="Address to bind; anything but loopback needs a token.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port; 0 picks a free one (logged).")
    token: SecretStr | None = Field(
        None, description="Token every request must carry; default monitoring.web_token; a secret: write ${VAR}.",
    )

    @field_validator("token", mode="before")
    @classmethod
    def _empty_token(cls, value: Any) -> Any:
        return None if value in ("", None) else value


class ServiceSettings(_Section):
    """What ``lineage-engine run`` serves besides its jobs."""

    web: WebServiceSettings = Field(default_factory=WebServiceSettings)


class OpenLineageSettings(_Section):
    """OpenLineage in and out (issue 16): how dataset names map to ours, and the export endpoint's key."""

    namespace: str | None = Field(
        None, description="This warehouse's OpenLineage namespace, e.g. snowflake://myorg-myaccount; default: "
        "snowflake://<telemetry.account>, else snowflake://local.",
    )
    api_key: SecretStr | None = Field(
        None, description="Bearer token for 'export openlineage --url' (from ${VAR} only); none: no Authorization.",
    )

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str | None) -> str | None:
        if value is not None and "://" not in value:
            raise ValueError(f"'{value}' is not an OpenLineage namespace; write scheme://authority, e.g. "
                             "snowflake://myorg-myaccount")
        return value.rstrip("/") if value else value

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key(cls, value: Any) -> Any:
        return None if value in ("", None) else value


class Settings(BaseSettings):
    """The whole configuration tree. Build it with :func:`load_settings`, not directly."""

    model_config = SettingsConfigDict(
        env_prefix="LINEAGE_ENGINE_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    graph: GraphSettings = Field(default_factory=GraphSettings)
    compliance: ComplianceSettings = Field(default_factory=ComplianceSettings)
    monitoring: MonitoringSettings = Field(default_factory=MonitoringSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    openlineage: OpenLineageSettings = Field(default_factory=OpenLineageSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first, then the YAML mapping handed in as init kwargs, then defaults.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _web_token_rule(self) -> Settings:
        """``service.web`` follows the token rule of ``serve`` (:func:`lineage_engine.web.auth.token_problem`)."""
        web = self.service.web
        if web.enabled:
            from lineage_engine.web.auth import token_problem  # stdlib only

            token = self.web_token
            problem = token_problem(token, web.host)
            if problem:
                raise ConfigError("service.web.token" if token or "loopback" not in problem else "service.web.host",
                                  problem.replace("pass --token or set monitoring.web_token",
                                                  "set service.web.token or monitoring.web_token"))
        return self

    @property
    def web_token(self) -> str | None:
        """Return the token of the web view served by ``run``: ``service.web.token``, else
        ``monitoring.web_token``, else None (a secret: never print it)."""
        secret = self.service.web.token or self.monitoring.web_token
        return secret.get_secret_value() if secret is not None else None

    @property
    def openlineage_namespace(self) -> str:
        """Return this warehouse's OpenLineage namespace (``openlineage.namespace``, else from the account)."""
        if self.openlineage.namespace:
            return self.openlineage.namespace
        account = (self.telemetry.account or "local").lower()
        return f"snowflake://{account}"

    @property
    def registry_url(self) -> str:
        """Return the registry SQLAlchemy URL (a secret: may hold a password)."""
        return self.compliance.classification_db.get_secret_value()


_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")


def interpolate(value: Any, key_path: str = "", environ: dict[str, str] | None = None) -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string of a YAML tree.

    Args:
        value: the parsed YAML (mappings, lists, scalars).
        key_path: dotted path of ``value``, for error messages.
        environ: variables to use; ``os.environ`` by default.

    Returns:
        The same shape with strings interpolated.

    Raises:
        ConfigError: a ``${VAR}`` without default names an unset variable.
    """
    env = os.environ if environ is None else environ
    if isinstance(value, dict):
        return {k: interpolate(v, f"{key_path}.{k}" if key_path else str(k), env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, f"{key_path}[{i}]", env) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name in env and env[name] != "":
            return env[name]
        if default is not None:
            return default
        raise ConfigError(key_path, f"environment variable {name} is not set; export it or write ${{{name}:-default}}")

    return _VAR.sub(substitute, value)


def find_config_path(explicit: str | Path | None = None) -> Path | None:
    """Return the config file to use, or None for the shipped default.

    Raises:
        ConfigError: an explicitly named file (argument or ``$LINEAGE_ENGINE_CONFIG``) is missing.
    """
    for origin, candidate in (("--config", explicit), (CONFIG_ENV, os.environ.get(CONFIG_ENV))):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise ConfigError(origin, f"config file '{path}' does not exist")
            return path.resolve()
    local = Path.cwd() / CONFIG_FILENAME
    return local.resolve() if local.is_file() else None


def load_settings(path: str | Path | None = None) -> Settings:
    """Load, interpolate, validate and resolve the configuration.

    Args:
        path: explicit config file; see the module docstring for the search order.

    Returns:
        Settings with every relative path made absolute.

    Raises:
        ConfigError: unreadable YAML, unset variable, or invalid value; ``key_path`` names it.
    """
    config_path = find_config_path(path)
    bundled = config_path is None
    source = default_config_path() if bundled else config_path
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(source), f"cannot read the file ({exc.__class__.__name__})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(str(source), f"not valid YAML{where}") from None
    if not isinstance(raw, dict):
        raise ConfigError(str(source), "the top level must be a mapping of sections (telemetry, graph, ...)")
    try:
        settings = Settings(**interpolate(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        key_path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".") or "(top level)"
        reason = first["msg"]
        if first["type"] == "extra_forbidden":
            reason = "unknown key" + _suggest_key(first["loc"])
        raise ConfigError(key_path, f"{reason} (in {source})") from None
    state_base = Path.cwd() if bundled else source.parent
    input_base = source.parent
    return _resolve_paths(settings, state_base=state_base, input_base=input_base)


def _suggest_key(loc: tuple[Any, ...]) -> str:
    sections = {
        "telemetry": TelemetrySettings,
        "graph": GraphSettings,
        "compliance": ComplianceSettings,
        "monitoring": MonitoringSettings,
        "scheduler": SchedulerSettings,
        "openlineage": OpenLineageSettings,
    }
    if len(loc) == 1:
        known = list(sections)
    elif tuple(loc[:2]) == ("telemetry", "extra_sources") and len(loc) == 4:
        known = list(ExtraSourceSettings.model_fields)
    elif loc[0] in sections:
        known = list(sections[loc[0]].model_fields)
    else:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _resolve_paths(settings: Settings, *, state_base: Path, input_base: Path) -> Settings:
    def absolute(path: Path | None, base: Path) -> Path | None:
        if path is None:
            return None
        path = path.expanduser()
        return path if path.is_absolute() else (base / path).resolve()

    telemetry = settings.telemetry.model_copy(
        update={
            "path": absolute(settings.telemetry.path, input_base),
            "private_key_path": absolute(settings.telemetry.private_key_path, input_base),
            "extra_sources": [e.model_copy(update={"path": absolute(e.path, input_base)})
                              for e in settings.telemetry.extra_sources],
        }
    )
    graph = settings.graph.model_copy(update={"path": absolute(settings.graph.path, state_base)})
    url = settings.registry_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        db_path = absolute(Path(url.removeprefix("sqlite:///")), state_base)
        url = f"sqlite:///{db_path}"
    compliance = settings.compliance.model_copy(update={"classification_db": SecretStr(url)})
    return settings.model_copy(update={"telemetry": telemetry, "graph": graph, "compliance": compliance})
