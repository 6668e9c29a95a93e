"""A crawl spaces full garbage collections out and restores the process's setting after (issue 13)."""

from __future__ import annotations

import gc
import threading

import pytest

from lineage_engine.gc_pace import FULL_COLLECTION_SPACING, spaced_full_collections


def test_the_threshold_is_spaced_inside_and_restored_after_even_on_error() -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    @spaced_full_collections
    def crawl(fail: bool) -> None:
        seen.append(gc.get_threshold())
        if fail:
            raise RuntimeError("boom")

    crawl(False)
    with pytest.raises(RuntimeError):
        crawl(True)
    assert seen == [(before[0], before[1], max(before[2], FULL_COLLECTION_SPACING))] * 2
    assert gc.get_threshold() == before


def test_overlapping_crawls_in_threads_restore_the_setting_once_the_last_one_ends() -> None:
    before = gc.get_threshold()
    first_in, second_done = threading.Event(), threading.Event()
    inside: list[tuple[int, int, int]] = []

    @spaced_full_collections
    def long_crawl() -> None:
        first_in.set()
        assert second_done.wait(timeout=30)
        inside.append(gc.get_threshold())  # the other crawl ended: still spaced for this one

    @spaced_full_collections
    def short_crawl() -> None:
        inside.append(gc.get_threshold())

    worker = threading.Thread(target=long_crawl)
    worker.start()
    assert first_in.wait(timeout=30)
    short_crawl()
    second_done.set()
    worker.join(timeout=30)
    assert inside == [(before[0], before[1], max(before[2], FULL_COLLECTION_SPACING))] * 2
    assert gc.get_threshold() == before
