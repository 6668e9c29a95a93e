"""Write a small query-history file (JSON Lines, QUERY_HISTORY shape) for pipeline tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path


def write_history(path: Path, rows: Sequence[tuple[str, str]], start: datetime) -> Path:
    """Write ``rows`` of ``(query_type, query_text)`` one minute apart from ``start`` (UTC).

    Every row runs in session 7 of user DBT with defaults DB.S, so temporary objects resolve
    across rows. Returns ``path``.
    """
    lines = []
    for n, (query_type, text) in enumerate(rows):
        end = start + timedelta(minutes=n)
        lines.append(json.dumps({"query_id": f"q{n}", "query_text": text, "query_type": query_type,
                                 "start_time": end.isoformat(), "end_time": end.isoformat(),
                                 "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S",
                                 "session_id": "7", "user_name": "DBT"}))
    path.write_text("\n".join(lines) + "\n")
    return path
