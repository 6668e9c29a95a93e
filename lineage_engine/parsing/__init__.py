"""Pure table-level lineage extraction from SQL text (design §5).

Imports only the stdlib, sqlglot and :mod:`lineage_engine.model`; no I/O, clock or shared
state; bad SQL becomes :class:`~lineage_engine.model.Problem` values, never exceptions.
Nothing returned quotes query text or literals.

Modules, one concern each:

* :mod:`.filter` -- which query-history rows to parse (``should_parse``).
* :mod:`.extract` -- ``extract_lineage``: text -> :class:`~lineage_engine.model.ExtractionResult`.
* :mod:`.temp_tables` -- ``SessionResolver``: collapse temporary objects into ``via``.
* :mod:`.redact` -- ``redact_literals`` and ``fingerprint``.
* :mod:`.normalize` -- sqlglot ``Table`` -> canonical :class:`~lineage_engine.model.DatasetRef`.
* :mod:`.temp_names` -- temporary-object name patterns.
* internals: :mod:`.chunks` (statement splitting), :mod:`.statements` (per-statement
  lineage), :mod:`.references` (dataset reads), :mod:`.fallback` (token-level recovery),
  :mod:`.problems` (safe Problem messages).
"""

from __future__ import annotations

from lineage_engine.parsing.extract import extract_lineage
from lineage_engine.parsing.filter import MATERIALIZING_QUERY_TYPES, should_parse
from lineage_engine.parsing.redact import fingerprint, redact_literals
from lineage_engine.parsing.temp_names import DEFAULT_TEMP_PATTERNS
from lineage_engine.parsing.temp_tables import SessionResolver, UnresolvedTempRead

__all__ = [
    "DEFAULT_TEMP_PATTERNS",
    "MATERIALIZING_QUERY_TYPES",
    "SessionResolver",
    "UnresolvedTempRead",
    "extract_lineage",
    "fingerprint",
    "redact_literals",
    "should_parse",
]
