"""Recognise temporary objects by name: dbt, Fivetran, Segment, Stitch, Great Expectations.

Some tools create short-lived relations as ordinary (non-TEMPORARY) tables or views and
drop them minutes later; they must never become graph nodes. The patterns follow
DataHub's Snowflake source (``DEFAULT_TEMP_TABLES_PATTERNS``) plus dbt's macro-built
``__intermediate_tmp`` tables. Patterns are Python regular expressions matched from the
start of the lower-case dataset id (``db.schema.name``), case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_UUID = r"[a-f0-9]{8}[-_][a-f0-9]{4}[-_][a-f0-9]{4}[-_][a-f0-9]{4}[-_][a-f0-9]{12}"

DEFAULT_TEMP_PATTERNS: tuple[str, ...] = (
    r".*__dbt_tmp$",  # dbt incremental / table materializations
    r".*__intermediate_tmp$",  # dbt macros building helper tables
    r".*\.fivetran_.*_staging\..*",  # Fivetran staging schemas
    rf".*\.segment_{_UUID}",  # Segment
    rf".*\.staging_.*_{_UUID}",  # Stitch
    r".*\.(ge_tmp_|ge_temp_|gx_temp_)[0-9a-f]{8}",  # Great Expectations
)
"""Default name patterns of temporary objects (see module docstring for the matching rule)."""


def compile_temp_patterns(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """Compile name patterns into one case-insensitive regular expression.

    Args:
        patterns: regular expressions, each matched from the start of a dataset id.

    Returns:
        One compiled alternation, or None when ``patterns`` is empty (nothing matches).
        ``re`` caches compiled patterns, so calling this per text is cheap.

    Raises:
        re.error: a pattern is not a valid regular expression (a configuration error,
            to be caught at start-up, not per statement).
    """
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def is_temp_name(dataset_id: str, compiled: re.Pattern[str] | None) -> bool:
    """Return True when ``dataset_id`` matches a temporary-object pattern, or is a T-SQL session object.

    Args:
        dataset_id: lower-case ``db.schema.name``.
        compiled: the result of :func:`compile_temp_patterns`.
    """
    if dataset_id[:1] == "#":  # T-SQL #temp, ##global temp and table variables (parsing.normalize)
        return True
    return compiled is not None and compiled.match(dataset_id) is not None
