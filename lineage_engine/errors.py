"""Every exception lineage-engine raises on purpose.

::

    LineageEngineError                  base; ``str()`` says what failed and what to do
    ├── ConfigError                     invalid configuration (``key_path``, ``reason``); fatal at start-up
    ├── InputError                      a user-supplied file or argument is unusable (``input``)
    │   ├── RegistryImportError         a classification file row is invalid (``input``, ``row``)
    │   ├── UnknownTraceError           no saved trace by that name (``name``, ``suggestion``)
    │   └── UnknownIdError              a dataset or column id not in the graph (``ids``, ``kind``, ``suggestions``)
    ├── SourceError                     a query-history source failed (``source``)
    │   ├── TransientSourceError        network, warehouse busy (Transient)
    │   └── ArtifactError               a producer's file (dbt artifact) is missing, unreadable or of an
    │                                   unsupported version (``input``: the file); also an InputError
    ├── GraphError                      the graph store failed (``backend``)
    │   └── TransientGraphError         busy, locked, unreachable (Transient)
    ├── RegistryError                   the registry database failed
    │   ├── RegistryNotFoundError       a read found no SQLite registry file (``path``); none is created
    │   └── TransientRegistryError      unreachable, busy or locked (Transient)
    └── DeliveryError                   an alert could not be delivered (``channel``)
        ├── ExportDeliveryError         OpenLineage events could not be sent (``channel``: the URL)
        └── RateLimitedError            the channel said "slow down" (429, ``retry_after`` s)

    Transient                           marker mixin: safe to retry (network, busy, locked).
                                        ``isinstance(err, Transient)`` drives the retry policy.

Raw query text and secrets never appear in messages or attributes.
"""

from __future__ import annotations


class LineageEngineError(Exception):
    """Base class: the message says what failed, quotes identifying values, says what to do."""


class Transient:
    """Mixin marking an error as transient: the operation may succeed if retried."""


class ConfigError(LineageEngineError):
    """Invalid configuration.

    Attributes:
        key_path: dotted path of the offending key, e.g. ``graph.type``.
        reason: what is wrong with it.
    """

    def __init__(self, key_path: str, reason: str) -> None:
        self.key_path = key_path
        self.reason = reason
        super().__init__(f"invalid configuration at '{key_path}': {reason}")


class InputError(LineageEngineError):
    """A user-supplied file or argument is unusable. ``input`` names it."""

    def __init__(self, input: str, reason: str) -> None:  # noqa: A002 - the field's word
        self.input = input
        self.reason = reason
        super().__init__(f"{input}: {reason}")


class RegistryImportError(InputError):
    """A classification file row is invalid; nothing from the file was applied.

    Attributes:
        row: 1-based row (CSV line or YAML list index) of the offending entry.
    """

    def __init__(self, input: str, row: int, reason: str) -> None:  # noqa: A002
        self.row = row
        super().__init__(f"{input} row {row}", f"{reason}; nothing from this file was imported")
        self.input = input


class UnknownTraceError(InputError):
    """No saved trace by that name. ``suggestion`` holds the closest name, if any."""

    def __init__(self, name: str, suggestion: str | None) -> None:
        self.name = name
        self.suggestion = suggestion
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        super().__init__(f"trace '{name}'", f"no saved trace by that name{hint} (see 'lineage-engine trace --list')")


class UnknownIdError(InputError):
    """A dataset or column id given by the user is not in the graph (or is of the other kind).

    Attributes:
        ids: the unknown ids, as given (lower-cased).
        kind: ``dataset`` or ``column``: what the input expects.
        suggestions: the closest known ids of that kind, best first (may be empty).
        other_kind: set when the id exists as the other kind (a dataset id given for a column).
    """

    def __init__(self, input: str, ids: list[str], kind: str, suggestions: list[str],  # noqa: A002
                 other_kind: str | None = None) -> None:
        self.ids = ids
        self.kind = kind
        self.suggestions = suggestions
        self.other_kind = other_kind
        first = ids[0]
        if other_kind is not None:
            example = f" such as '{suggestions[0]}'" if suggestions else f" such as '{first}.<column>'"
            reason = (f"'{first}' is a {other_kind}, not a {kind}; give a {kind} id{example}"
                      if kind == "column" else
                      f"'{first}' is a {other_kind}, not a {kind}; give a {kind} id such as "
                      f"'{suggestions[0] if suggestions else first.rpartition('.')[0]}'")
        else:
            more = f" (and {len(ids) - 1} more)" if len(ids) > 1 else ""
            near = (f"; closest known: {', '.join(suggestions)}" if suggestions
                    else f"; no {kind} id is close (list them with 'lineage-engine export edges')")
            reason = f"no {kind} '{first}'{more} in the graph{near}"
        super().__init__(input, reason)


class SourceError(LineageEngineError):
    """A query-history source failed. ``source`` names it (never with secrets)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"query-history source '{source}': {reason}")


class TransientSourceError(SourceError, Transient):
    """A query-history source failed in a way that may pass (network, warehouse busy)."""


class ArtifactError(SourceError, InputError):
    """A lineage producer's file is unusable: a dbt artifact missing, unreadable or of an
    unsupported schema version (issue 16). A user-supplied input, so commands exit 2.

    Attributes:
        source: the source key (``dbt:<folder>``); input: the file or folder; reason: what to do.
    """

    def __init__(self, source: str, input: str, reason: str) -> None:  # noqa: A002 - the field's word
        self.source = source
        self.input = input
        self.reason = reason
        LineageEngineError.__init__(self, f"lineage source '{source}': {reason}")


class GraphError(LineageEngineError):
    """The graph store failed. ``backend`` is ``embedded`` or ``neo4j``."""

    def __init__(self, backend: str, reason: str) -> None:
        self.backend = backend
        self.reason = reason
        super().__init__(f"graph store ({backend}): {reason}")


class TransientGraphError(GraphError, Transient):
    """The graph store is busy or unreachable; retry."""


class RegistryError(LineageEngineError):
    """The registry database failed."""


class RegistryNotFoundError(RegistryError):
    """A read-only command found no SQLite registry file; it creates none (a read writes nothing).

    Attributes:
        path: the registry file that does not exist (absolute).
    """

    def __init__(self, url: str, path: str) -> None:
        self.path = path
        super().__init__(f"registry {url}: no registry file at {path} (nothing was created); "
                         "run 'lineage-engine migrate' to create it, or check compliance.classification_db")


class TransientRegistryError(RegistryError, Transient):
    """The registry database is unreachable, busy or locked; retry."""


class DeliveryError(LineageEngineError, Transient):
    """An alert could not be delivered; it stays in the outbox. ``channel`` names the target."""

    def __init__(self, channel: str, reason: str) -> None:
        self.channel = channel
        self.reason = reason
        super().__init__(f"alert delivery to {channel} failed: {reason}")


class ExportDeliveryError(DeliveryError):
    """Lineage could not be sent to an OpenLineage endpoint (issue 16); ``channel`` names it (never the key)."""

    def __init__(self, channel: str, reason: str) -> None:
        self.channel = channel
        self.reason = reason
        LineageEngineError.__init__(self, f"sending OpenLineage events to {channel} failed: {reason}")


class RateLimitedError(DeliveryError):
    """The channel refused the alert for now (HTTP 429); send nothing to it for ``retry_after`` seconds.

    ``retry_after`` comes from the ``Retry-After`` header (Slack: docs.slack.com "Rate
    limits"; 1 s when the header is missing or unreadable).
    """

    def __init__(self, channel: str, reason: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(channel, reason)
