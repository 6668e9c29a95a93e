"""``telemetry.backfill_window_days``: backfill windows of several days, ending at UTC midnights."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lineage_engine.model import Watermark
from lineage_engine.windows import plan_windows

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
LAG = timedelta(minutes=60)


def test_windows_of_three_days_cover_the_backfill_without_gap_or_overlap() -> None:
    windows = plan_windows(None, now=NOW, lag=LAG, backfill_days=30, window_days=3)
    assert windows[0].start == datetime(2026, 10, 22, tzinfo=timezone.utc) and windows[-1].end == NOW - LAG
    assert len(windows) == 11  # 30 days and 11 hours: ten of three days, then the rest
    assert all(a.end == b.start for a, b in zip(windows, windows[1:]))
    assert all(w.end - w.start == timedelta(days=3) for w in windows[:-1])
    assert all(w.end.hour == 0 and w.end.minute == 0 for w in windows[:-1])  # UTC midnights
    assert plan_windows(None, now=NOW, lag=LAG, backfill_days=30) == \
        plan_windows(None, now=NOW, lag=LAG, backfill_days=30, window_days=1)  # the default: one day


def test_a_resumed_backfill_starts_at_the_watermark_mid_day() -> None:
    mark = Watermark(source="s", end_time=datetime(2026, 11, 1, 15, 30, tzinfo=timezone.utc), query_id="")
    windows = plan_windows(mark, now=NOW, lag=LAG, backfill_days=30, window_days=7)
    assert windows[0].start == mark.end_time and windows[0].end == datetime(2026, 11, 8, tzinfo=timezone.utc)
    assert windows[1].end == datetime(2026, 11, 15, tzinfo=timezone.utc) and windows[-1].end == NOW - LAG


def test_less_than_a_day_is_refused() -> None:
    with pytest.raises(ValueError, match="window_days"):
        plan_windows(None, now=NOW, lag=LAG, backfill_days=30, window_days=0)
