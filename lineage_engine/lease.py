"""One crawler among replicas: the ``crawl`` lease in the registry (issue 13 §4).

Several ``lineage-engine run`` processes may share one registry (PostgreSQL) for
availability. Exactly one, the **holder**, runs the jobs that write (backfill, crawl,
exposure scan with its alerts, classification sync, steward check); the others are
**standby**: they keep their health endpoint up and try to take the lease over.

Timing, for ``scheduler.lease_seconds`` = L:

- the holder's row expires L/2 after each renewal, and the holder renews every L/4;
- a standby tries to claim every L/4; it wins when the row has expired, so after a holder
  dies (kill -9, lost machine) another replica holds the lease within 3/4 L;
- a holder whose process is known to have exited (same host and PID namespace, PID gone)
  is taken over at once;
- a holder that cannot renew (registry unreachable) stops its running job at the end of
  its current batch once its own L/2 has passed since its last renewal, before any standby
  can have claimed the row, so two replicas never write at the same time while clocks
  agree to within L/4 (keep replica clocks NTP-synchronised).

A stopped crawl resumes from the watermark, which is committed after the graph: a batch
written by a holder that died before its watermark commit is read again and merged again,
which changes nothing (merges are idempotent), so no lineage edge is lost or repeated.
Alerts are deduplicated by the outbox's key, so a take-over repeats none.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from lineage_engine.errors import LineageEngineError
from lineage_engine.registry import Registry
from lineage_engine.registry.lease import LeaseState

log = logging.getLogger(__name__)

CRAWL_LEASE = "crawl"
"""The lease that guards every writing job of ``lineage-engine run``."""


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "-"


def holder_identity() -> str:
    """Return this process's lease holder name: ``host/pid-namespace/pid/random``."""
    return f"{socket.gethostname()}/{_pid_namespace()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def exited_local_holder(holder: str | None) -> bool:
    """Return True when ``holder`` names a process of this host and PID namespace that has exited.

    A holder on another host, in another PID namespace, or still running is not known to
    have exited (False): its lease must expire.
    """
    if not holder:
        return False
    parts = holder.split("/")
    if len(parts) != 4 or parts[0] != socket.gethostname() or parts[1] != _pid_namespace() or parts[1] == "-":
        return False
    try:
        pid = int(parts[2])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


class LeaseKeeper:
    """Claims and renews the ``crawl`` lease in a daemon thread.

    Args:
        registry_url: the registry holding ``service_lease`` (migrated by :meth:`start`).
        lease_seconds: ``scheduler.lease_seconds`` (L in the module's timing rules), seconds.
        on_change: called with True when this process became holder, False when it lost
            the lease (from the keeper's thread).
        clock: aware UTC now (the row's times); the local deadline uses ``time.monotonic``.
    """

    def __init__(self, registry_url: str, lease_seconds: float, *,
                 on_change: Callable[[bool], None] | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.identity = holder_identity()
        self.lease_seconds = lease_seconds
        self._url = registry_url
        self._on_change = on_change
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._held_until = 0.0  # time.monotonic() deadline of our last successful claim
        self._holder = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._registry: Registry | None = None
        self.last_state: LeaseState | None = None

    @property
    def period(self) -> float:
        """Seconds between claims (L/4)."""
        return self.lease_seconds / 4

    def held(self) -> bool:
        """Return True while this process holds the lease (its last renewal is under L/2 old)."""
        return self._holder and time.monotonic() < self._held_until

    def claim_once(self) -> bool:
        """Try to take or renew the lease now; return :meth:`held` afterwards.

        A registry error counts as a failed renewal (logged); the lease is still ours
        until our local deadline passes.
        """
        started = time.monotonic()
        now = self._clock()
        try:
            registry = self._registry or Registry(self._url)
            self._registry = registry
            current = None if self._holder else registry.lease(CRAWL_LEASE)
            dead = current.holder if current is not None and exited_local_holder(current.holder) else None
            state = registry.claim_lease(CRAWL_LEASE, self.identity, now=now,
                                         expires_at=now + timedelta(seconds=self.lease_seconds / 2),
                                         dead_holder=dead)
        except LineageEngineError as exc:
            log.warning("cannot renew the crawl lease: %s", exc,
                        extra={"event": "lease_renew_failed", "error_type": type(exc).__name__})
            self._update(self.held())
            return self.held()
        self.last_state = state
        won = state.held_by(self.identity, now)
        if won:
            self._held_until = started + self.lease_seconds / 2
        self._update(won)
        return self.held()

    def _update(self, holder: bool) -> None:
        if holder == self._holder:
            return
        self._holder = holder
        state = self.last_state
        if holder:
            log.info("this replica holds the crawl lease (epoch %d)", state.epoch if state else 0,
                     extra={"event": "lease_acquired", "holder": self.identity,
                            "epoch": state.epoch if state else None})
        else:
            log.warning("this replica lost the crawl lease; its running job stops after the current batch",
                        extra={"event": "lease_lost", "holder": self.identity,
                               "new_holder": state.holder if state else None})
        if self._on_change is not None:
            self._on_change(holder)

    def start(self) -> None:
        """Migrate the registry, claim once, then keep claiming every :attr:`period` in a daemon thread.

        Raises:
            RegistryError: the registry cannot be reached or migrated at start-up.
        """
        registry = Registry(self._url)
        registry.migrate()
        self._registry = registry
        self.claim_once()
        self._thread = threading.Thread(target=self._loop, name="lease-keeper", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            self.claim_once()

    def stop(self) -> None:
        """Stop claiming and give the lease up if held, so a standby takes over at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.lease_seconds)
        registry = self._registry
        if registry is None:
            return
        try:
            if self._holder:
                registry.release_lease(CRAWL_LEASE, self.identity, now=self._clock())
                log.info("crawl lease released", extra={"event": "lease_released", "holder": self.identity})
        except LineageEngineError as exc:
            log.warning("cannot release the crawl lease (it expires by itself): %s", exc,
                        extra={"event": "lease_release_failed"})
        finally:
            self._holder = False
            registry.close()
            self._registry = None
