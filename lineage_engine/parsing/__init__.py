"""Pure lineage extraction from SQL text, table and column level (design §5, issue 5).

Imports only the stdlib, sqlglot and :mod:`lineage_engine.model`; no I/O, clock or shared
state; bad SQL becomes :class:`~lineage_engine.model.Problem` values, never exceptions.
Nothing returned quotes query text or literals.

Modules, one concern each:

* :mod:`.filter` -- which query-history rows to parse (``should_parse``).
* :mod:`.extract` -- ``extract_lineage``: text -> :class:`~lineage_engine.model.ExtractionResult`
  (``columns=True`` adds column lineage).
* :mod:`.schema` -- ``SchemaProvider`` (column lookup protocol) and ``MappingSchemaProvider``.
* :mod:`.transforms` -- column-edge transforms and ``DEFAULT_MASKING_FUNCTIONS``.
* :mod:`.script` -- ``collapse_script``: a multi-statement script as one unit (batch).
* :mod:`.temp_tables` -- ``SessionResolver``: collapse temporary objects into ``via``
  (dataset and column edges).
* :mod:`.column_compose` -- column edges composed through intermediates (shared by the two
  above) and ``columns_for_graph`` (which column edges a crawl stores).
* :mod:`.learned_schema` -- ``LearnedSchema``: the columns a crawl has seen datasets take.
* :mod:`.redact` -- ``redact_literals`` and ``fingerprint``.
* :mod:`.normalize` -- sqlglot ``Table`` -> canonical :class:`~lineage_engine.model.DatasetRef`.
* :mod:`.temp_names` -- temporary-object name patterns.
* internals: :mod:`.chunks` (statement splitting), :mod:`.statements` / :mod:`.ddl` /
  :mod:`.builder` (per-statement lineage), :mod:`.references` (dataset reads),
  :mod:`.fallback` (token-level recovery), :mod:`.problems` (safe Problem messages);
  column level: :mod:`.columns` (per statement shape), :mod:`.query_columns` and
  :mod:`.expression_columns` (the AST walk), :mod:`.column_sources` (name resolution),
  :mod:`.column_edges` (edge rules), :mod:`.merge_clauses` (dbt MERGE fast path);
  :mod:`.dialect_fixes` and :mod:`.teradata_phrases` (token rewrites for syntax sqlglot
  30.22 does not parse).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lineage_engine.lazy import lazy_exports

# Each name is imported on first use: importing one parsing module (temp_names, filter) does
# not load sqlglot (start-up of commands that do not parse; see lineage_engine/lazy.py).
__getattr__, __dir__ = lazy_exports(__name__, {
    "extract_lineage": "extract",
    "MATERIALIZING_QUERY_TYPES": "filter",
    "should_parse": "filter",
    "fingerprint": "redact",
    "redact_literals": "redact",
    "MappingSchemaProvider": "schema",
    "SchemaProvider": "schema",
    "ScriptLineage": "script",
    "collapse_script": "script",
    "DEFAULT_TEMP_PATTERNS": "temp_names",
    "SessionResolver": "temp_tables",
    "UnresolvedTempRead": "temp_tables",
    "DEFAULT_MASKING_FUNCTIONS": "transforms",
})

if TYPE_CHECKING:
    from lineage_engine.parsing.extract import extract_lineage
    from lineage_engine.parsing.filter import MATERIALIZING_QUERY_TYPES, should_parse
    from lineage_engine.parsing.redact import fingerprint, redact_literals
    from lineage_engine.parsing.schema import MappingSchemaProvider, SchemaProvider
    from lineage_engine.parsing.script import ScriptLineage, collapse_script
    from lineage_engine.parsing.temp_names import DEFAULT_TEMP_PATTERNS
    from lineage_engine.parsing.temp_tables import SessionResolver, UnresolvedTempRead
    from lineage_engine.parsing.transforms import DEFAULT_MASKING_FUNCTIONS

__all__ = [
    "DEFAULT_MASKING_FUNCTIONS",
    "DEFAULT_TEMP_PATTERNS",
    "MATERIALIZING_QUERY_TYPES",
    "MappingSchemaProvider",
    "SchemaProvider",
    "ScriptLineage",
    "SessionResolver",
    "UnresolvedTempRead",
    "collapse_script",
    "extract_lineage",
    "fingerprint",
    "redact_literals",
    "should_parse",
]
