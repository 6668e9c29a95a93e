"""Issue 3 acceptance: kill -9 during the backfill of ``lineage-engine run`` against ``fakesnow -s``,
then SIGTERM, then ``--once``: each row merged once (see :mod:`tests.service.acceptance_history`)."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lineage_engine.registry.repository import Registry
from tests.service.acceptance_history import (  # noqa: F401  (fixtures: history, _no_service_left_running)
    SOURCE_KEY,
    History,
    Service,
    _export,
    _materializing,
    _no_service_left_running,
    _snowflake_config,
    history,
)


def test_sigkill_during_backfill_resumes_from_the_last_committed_window(history: History, tmp_path: Path) -> None:
    history.insert_all()
    config = _snowflake_config(tmp_path / "svc", history.port, interval=3600)
    registry_url = f"sqlite:///{config.parent / 'state' / 'registry.db'}"

    def windows_after(n: int) -> Callable[[list[dict[str, Any]]], bool]:
        return lambda ev: len([e for e in ev if e.get("event") == "window_committed"]) >= n

    first = Service(config)
    first.wait_for("5 committed windows", windows_after(5))  # 15 of the 90 days (WINDOW_DAYS 3)
    first.stop(signal.SIGKILL)
    committed = first.events("window_committed")
    with Registry(registry_url) as reg:
        mark = reg.get_watermark(SOURCE_KEY)
    assert mark is not None and mark.end_time < datetime.now(timezone.utc) - timedelta(days=60)  # mid-backfill
    assert (mark.end_time, mark.query_id) >= (datetime.fromisoformat(committed[-1]["window_end"]), "")

    second = Service(config)  # resumes the backfill, then SIGTERM in the middle of it
    second.wait_for("3 more windows", windows_after(3))
    resumed = second.events("window_committed")
    assert datetime.fromisoformat(resumed[0]["window_start"]) == mark.end_time  # no committed window again
    assert second.stop(signal.SIGTERM) == 0
    events = second.events()
    assert [e["event"] for e in events if e.get("event") in ("stopping", "service_stopped")] == \
        ["stopping", "service_stopped"]
    stopped = next(e for e in events if e.get("event") == "job_finished" and e["job"] == "backfill")
    assert stopped["outcome"] == "stopped"
    with Registry(registry_url) as reg:
        after_term = reg.get_watermark(SOURCE_KEY)
    assert after_term is not None and after_term.end_time < datetime.now(timezone.utc) - timedelta(days=1)

    third = Service(config, "--once")
    assert third.wait_exit() == 0, third.log_path.read_text()[-3000:]
    assert datetime.fromisoformat(third.events("window_committed")[0]["window_start"]) == after_term.end_time
    with Registry(registry_url) as reg:
        final = reg.get_watermark(SOURCE_KEY)
    assert final is not None and final.rows_total == _materializing(history.loaded)  # each row merged once
    assert _export(config) == history.expected_edges()
