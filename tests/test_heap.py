"""Free C-heap memory goes back to the system (issue 13 §3): ``lineage_engine.heap`` and the
embedded graph's write commits, which call it (``crawl --profile`` names it)."""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.cli_run import file_config, run_cli
from tests.history_file import write_history
from tests.waiting import HANG_SECONDS

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")

FRAGMENTED = """
import os, sys
from lineage_engine.heap import release_free_heap

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

blocks = [bytes(4000) for _ in range(20_000)]  # 80 MB in malloc's heap (over 512 bytes: not pymalloc's)
fence = bytes(4000)  # allocated last, kept: the freed blocks below it cannot shrink the heap's top
del blocks
before = rss_mib()
released = release_free_heap()
print(round(before - rss_mib()), released)
"""


@glibc
def test_free_heap_memory_returns_to_the_system() -> None:
    out = subprocess.run([sys.executable, "-c", FRAGMENTED], capture_output=True, text=True, check=True,
                         timeout=HANG_SECONDS).stdout.split()
    dropped, released = int(out[0]), out[1]
    assert released == "True"
    assert dropped >= 40, f"RSS dropped by {dropped} MiB only after freeing 80 MB below a live block"


def test_the_embedded_graph_releases_the_heap_after_each_write_commit(tmp_path: Path) -> None:
    history = [("CREATE_TABLE_AS_SELECT", f"create table db.s.t{i} as select id from db.s.src{i}") for i in range(4)]
    source = write_history(tmp_path / "h.jsonl", history, datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc))
    config = file_config(tmp_path / "cli", source, batch_size=2)
    out = run_cli(config, "crawl", "--profile").stdout
    assert "graph.release_heap" in out, out
