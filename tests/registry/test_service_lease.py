"""The ``crawl`` lease (issue 13 §4) on SQLite and PostgreSQL: who wins a claim, and when."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from lineage_engine.lease import CRAWL_LEASE, LeaseKeeper, _pid_namespace, exited_local_holder
from lineage_engine.registry import Registry

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def _claim(registry: Registry, holder: str, at: datetime, seconds: float = 30, dead: str | None = None) -> bool:
    state = registry.claim_lease(CRAWL_LEASE, holder, now=at, expires_at=at + timedelta(seconds=seconds),
                                 dead_holder=dead)
    return state.held_by(holder, at)


def test_one_holder_until_expiry_then_a_standby_takes_over(registry: Registry) -> None:
    assert registry.lease(CRAWL_LEASE) is None
    assert _claim(registry, "a", T0)
    first = registry.lease(CRAWL_LEASE)
    assert first is not None and first.holder == "a" and first.epoch == 1 and first.acquired_at == T0
    assert not _claim(registry, "b", T0 + timedelta(seconds=29))  # not expired yet
    assert _claim(registry, "a", T0 + timedelta(seconds=20))  # renewal keeps epoch and acquired_at
    renewed = registry.lease(CRAWL_LEASE)
    assert renewed is not None and renewed.epoch == 1 and renewed.acquired_at == T0
    assert renewed.expires_at == T0 + timedelta(seconds=50)
    assert not _claim(registry, "b", T0 + timedelta(seconds=49))
    later = T0 + timedelta(seconds=50)
    assert _claim(registry, "b", later)  # expired: taken over
    taken = registry.lease(CRAWL_LEASE)
    assert taken is not None and taken.holder == "b" and taken.epoch == 2 and taken.acquired_at == later
    assert not _claim(registry, "a", later + timedelta(seconds=1))  # the old holder's renewal loses


def test_release_and_a_known_dead_holder_free_the_lease_at_once(registry: Registry) -> None:
    assert _claim(registry, "a", T0)
    assert not registry.release_lease(CRAWL_LEASE, "b", now=T0)  # only the holder releases
    assert registry.release_lease(CRAWL_LEASE, "a", now=T0 + timedelta(seconds=1))
    assert _claim(registry, "b", T0 + timedelta(seconds=1))
    assert not _claim(registry, "c", T0 + timedelta(seconds=2), dead="a")  # "a" no longer holds it
    assert _claim(registry, "c", T0 + timedelta(seconds=2), dead="b")


def test_exited_local_holder_only_for_a_process_of_this_host_that_ended() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    here = f"{socket.gethostname()}/{_pid_namespace()}"
    assert exited_local_holder(f"{here}/{proc.pid}/abcd")
    assert not exited_local_holder(f"{here}/{os.getppid()}/abcd")  # alive
    assert not exited_local_holder(f"another-host/{_pid_namespace()}/{proc.pid}/abcd")
    assert not exited_local_holder(f"{socket.gethostname()}/1/{proc.pid}/abcd")  # another PID namespace
    assert not exited_local_holder(None) and not exited_local_holder("garbage")


def test_keepers_hand_over_on_stop(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    first, second = LeaseKeeper(url, 60), LeaseKeeper(url, 60)
    changes: list[bool] = []
    second._on_change = changes.append
    first.start()
    try:
        second.start()
        assert first.held() and not second.held()
        first.stop()
        assert second.claim_once() and changes == [True]
    finally:
        first.stop()
        second.stop()
    with Registry(url) as registry:
        state = registry.lease(CRAWL_LEASE)
        assert state is not None and state.holder is None and state.epoch == 2
