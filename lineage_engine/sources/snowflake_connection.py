"""Connect to Snowflake with snowflake-connector-python, and say what failed without secrets.

The driver is imported lazily (only the Snowflake source needs it). Every session runs with
``TIMEZONE=UTC`` (``TIMESTAMP_LTZ`` values are rendered in the session time zone, default
America/Los_Angeles) and ``QUERY_TAG`` set to ``telemetry.query_tag``, so the crawler's own
statements can be recognised and skipped (reference §1 and §6).

Driver errors become :class:`~lineage_engine.errors.SourceError` (terminal: bad credentials,
missing grants) or :class:`~lineage_engine.errors.TransientSourceError` (network, timeouts,
expired session: a retry may pass). Messages name the account and the host and never a
password, passphrase or private key: the driver's text is cut to its first line and scrubbed
of every configured secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage_engine.errors import SourceError, TransientSourceError

if TYPE_CHECKING:
    from lineage_engine.settings import TelemetrySettings

# Driver error numbers after which a retry may pass. 250001-250003: cannot connect / the
# connection closed / a request failed (snowflake.connector.errorcode); 604: the statement was
# cancelled (e.g. a client timeout, reference §5); 630: statement or warehouse timeout;
# 390114: the session token expired (reconnect).
TRANSIENT_ERRNOS = frozenset({250001, 250002, 250003, 250005, 604, 630, 390114})
_TRANSIENT_CLASSES = frozenset({
    "OperationalError", "InterfaceError", "InternalServerError", "ServiceUnavailableError",
    "GatewayTimeoutError", "RequestTimeoutError", "BadGatewayError", "TooManyRequests",
    "OtherHTTPRetryableError", "RequestExceedMaxRetryError", "TokenExpiredError",
})
_NOT_AUTHORIZED = 2003  # "Object ... does not exist or not authorized"
_AUTH_FAILED = frozenset({390100, 390144})  # incorrect user or password / invalid JWT (key pair)


@dataclass(frozen=True)
class SnowflakeConnectionConfig:
    """Connection settings from ``telemetry`` (secrets as plain strings: never print this).

    Attributes:
        account: account identifier, e.g. ``myorg-myaccount``.
        host, port, protocol: override the endpoint (``fakesnow -s`` is ``127.0.0.1``,
            its port, ``http``); None lets the driver derive them from the account.
        query_tag: QUERY_TAG of every statement this service runs.
        login_timeout_seconds: give up connecting after this long.
    """

    account: str
    user: str | None = None
    role: str | None = None
    warehouse: str | None = None
    database: str | None = None
    authenticator: str | None = None
    password: str | None = None
    private_key_path: Path | None = None
    private_key_passphrase: str | None = None
    host: str | None = None
    port: int | None = None
    protocol: str | None = None
    query_tag: str = "lineage-svc"
    login_timeout_seconds: int = 60

    @classmethod
    def from_settings(cls, telemetry: TelemetrySettings) -> SnowflakeConnectionConfig:
        """Build the config from ``settings.telemetry``.

        Raises:
            SourceError: ``telemetry.account`` is not set.
        """
        if not telemetry.account:
            raise SourceError("snowflake", "telemetry.account is not set; give the account identifier "
                              "(e.g. myorg-myaccount) to crawl Snowflake")
        return cls(
            account=telemetry.account,
            user=telemetry.user,
            role=telemetry.role,
            warehouse=telemetry.warehouse,
            database=telemetry.database,
            authenticator=telemetry.authenticator,
            password=telemetry.password.get_secret_value() if telemetry.password else None,
            private_key_path=telemetry.private_key_path,
            private_key_passphrase=(telemetry.private_key_passphrase.get_secret_value()
                                    if telemetry.private_key_passphrase else None),
            host=telemetry.host,
            port=telemetry.port,
            protocol=telemetry.protocol,
            query_tag=telemetry.query_tag,
            login_timeout_seconds=telemetry.login_timeout_seconds,
        )

    @property
    def endpoint(self) -> str:
        """Return ``protocol://host:port`` as the driver will use it (no credentials)."""
        protocol = self.protocol or "https"
        host = self.host or f"{self.account}.snowflakecomputing.com"
        port = self.port or (443 if protocol == "https" else 80)
        return f"{protocol}://{host}:{port}"

    @property
    def source_key(self) -> str:
        """Return the watermark key of this account's query history."""
        return f"snowflake:{self.account.lower()}"

    def secrets(self) -> tuple[str, ...]:
        """Return every secret value configured (to scrub from messages)."""
        return tuple(s for s in (self.password, self.private_key_passphrase) if s)

    def __repr__(self) -> str:  # dataclass repr would print the password
        return f"SnowflakeConnectionConfig(account={self.account!r}, endpoint={self.endpoint!r})"


def connect(config: SnowflakeConnectionConfig, connect_fn: Any = None) -> Any:
    """Open a session with ``TIMEZONE=UTC`` and the service's QUERY_TAG.

    Args:
        config: the connection settings.
        connect_fn: the driver's ``connect`` (default ``snowflake.connector.connect``); tests
            pass a wrapper around it.

    Returns:
        A DB-API connection of snowflake-connector-python (pyformat parameters).

    Raises:
        SourceError: bad credentials, unreadable private key, or another terminal error.
        TransientSourceError: the endpoint cannot be reached; a retry may pass.
    """
    if connect_fn is None:
        import snowflake.connector  # lazy: only the Snowflake source needs the driver

        connect_fn = snowflake.connector.connect
    kwargs: dict[str, Any] = {
        "account": config.account,
        "session_parameters": {"TIMEZONE": "UTC", "QUERY_TAG": config.query_tag},
        "login_timeout": config.login_timeout_seconds,
        "application": "lineage-engine",
    }
    optional = {"user": config.user, "role": config.role, "warehouse": config.warehouse,
                "database": config.database, "authenticator": config.authenticator,
                "password": config.password, "host": config.host, "port": config.port,
                "protocol": config.protocol}
    kwargs.update({k: v for k, v in optional.items() if v is not None})
    if config.private_key_path is not None:
        kwargs["private_key"] = _load_private_key(config)
    try:
        return connect_fn(**kwargs)
    except Exception as exc:  # noqa: BLE001 - every driver error is mapped below
        raise translate_error(exc, config, "connect") from None


def _load_private_key(config: SnowflakeConnectionConfig) -> bytes:
    """Return the key-pair authentication key as DER bytes (what the driver accepts).

    Raises:
        SourceError: the file cannot be read or decrypted (the message names the path only).
    """
    from cryptography.hazmat.primitives import serialization  # the driver depends on it

    path = config.private_key_path
    assert path is not None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(config.source_key, f"cannot read telemetry.private_key_path {path} ({exc.strerror})") from None
    passphrase = config.private_key_passphrase.encode() if config.private_key_passphrase else None
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError):
        raise SourceError(config.source_key, f"cannot load the private key {path}: not a PEM key, or the "
                          "passphrase (telemetry.private_key_passphrase) does not open it") from None
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def is_transient(exc: BaseException) -> bool:
    """Return True when a driver error may pass on retry (network, timeout, expired session)."""
    return type(exc).__name__ in _TRANSIENT_CLASSES or getattr(exc, "errno", None) in TRANSIENT_ERRNOS


GOVERNANCE_GRANT = "the database role SNOWFLAKE.GOVERNANCE_VIEWER or IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE"
"""What to grant for QUERY_HISTORY and ACCESS_HISTORY (reference §1)."""


def translate_error(
    exc: BaseException, config: SnowflakeConnectionConfig, action: str, *, grant: str = GOVERNANCE_GRANT
) -> SourceError:
    """Turn a driver error into a SourceError naming account and host, without secrets.

    Args:
        exc: what the driver raised.
        config: the connection (for names and the secrets to scrub).
        action: what was being done, e.g. ``connect`` or ``read QUERY_HISTORY``.
        grant: what the role lacks when Snowflake says "does not exist or not authorized".

    Returns:
        TransientSourceError when :func:`is_transient`, else SourceError; ``account``,
        ``endpoint`` and ``errno`` are set as attributes.
    """
    errno = getattr(exc, "errno", None)
    detail = _first_line(getattr(exc, "raw_msg", None) or str(exc) or type(exc).__name__)
    for secret in config.secrets():
        detail = detail.replace(secret, "***")
    code = f"{errno}: " if isinstance(errno, int) and errno > 0 else ""
    where = f"Snowflake account '{config.account}' at {config.endpoint}"
    if is_transient(exc):
        hint = "check the network path to the host (telemetry.host/port/protocol) and retry"
        error: SourceError = TransientSourceError(config.source_key, f"cannot {action}: {where}: {code}{detail}; {hint}")
    elif errno == _NOT_AUTHORIZED:
        error = SourceError(config.source_key, f"cannot {action}: {where}: {code}{detail}; grant role "
                            f"'{config.role}' {grant}")
    elif errno in _AUTH_FAILED:
        error = SourceError(config.source_key, f"cannot {action}: {where}: {code}{detail}; check telemetry.user "
                            "and its password or key pair")
    else:
        error = SourceError(config.source_key, f"cannot {action}: {where}: {code}{detail}")
    error.account = config.account  # type: ignore[attr-defined]
    error.endpoint = config.endpoint  # type: ignore[attr-defined]
    error.errno = errno  # type: ignore[attr-defined]
    return error


@contextmanager
def session_cursor(config: SnowflakeConnectionConfig, action: str, *, grant: str = GOVERNANCE_GRANT,
                   connect_fn: Any = None) -> Iterator[Any]:
    """Open one session for a few reads and yield its cursor; close both at the end.

    Any error inside the block (the driver's, or reading its rows) becomes the
    :func:`translate_error` of ``action``; closing a broken connection never masks it.

    Args:
        config: the connection.
        action: what the block does, e.g. ``read ACCOUNT_USAGE.COLUMNS`` (for the message).
        grant: what the role lacks when Snowflake says "does not exist or not authorized".
        connect_fn: a stand-in for ``snowflake.connector.connect`` (fakesnow in tests).

    Raises:
        SourceError: terminal failure (credentials, missing grant: the message says which).
        TransientSourceError: network, timeout or expired session.
    """
    conn = connect(config, connect_fn)
    try:
        cursor = conn.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
    except Exception as exc:  # noqa: BLE001 - driver errors are mapped; no SQL text or secret in them
        raise translate_error(exc, config, action, grant=grant) from None
    finally:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - closing a broken connection must not mask the real error
            pass


def _first_line(text: str) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), text)
    return line[:500]
