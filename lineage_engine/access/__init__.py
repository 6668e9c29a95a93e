"""Access facts (issue 14): who read which dataset or column, when, and through which copy.

* :mod:`.reads` (pure): the read side of one statement, parsed or from ACCESS_HISTORY.
* :mod:`.aggregate` (pure): reads folded per (principal, role, object, UTC day).
* :mod:`.windows` (pure): when each copy held an origin's data (the time-respecting walk).
* :mod:`.answer` (pure): which aggregated reads fall inside those windows.
* :mod:`lineage_engine.registry.access`: storage in the registry (SQLite / PostgreSQL).
"""
