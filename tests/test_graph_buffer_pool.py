"""``graph.buffer_pool_mb`` bounds the embedded graph's memory (issue 13 §3), through the command.

LadybugDB caches pages in a buffer pool of 80% of the machine's memory by default; the
setting passes a bound instead. Shown the way it matters: a query enumerating every path
of a small dense cyclic lineage fails at once with a message naming the setting, instead of
growing until the machine's memory is gone; and an invalid value stops start-up with its
key path.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lineage_engine.graph.store import open_graph_store
from lineage_engine.model import DatasetRef, LineageEvent, Operation
from tests.cli_run import run_cli

T0 = datetime(2024, 5, 1, tzinfo=UTC)
EXPLODE = """// Every path of up to 10 hops upstream of a dataset (an unbounded answer on a dense graph).
// params:  $dataset (string, dataset id db.schema.name)
// returns: n
MATCH p = (o:Dataset {id: $dataset})-[:DERIVES_FROM*1..10]->(u:Dataset)
RETURN count(p) AS n
"""


def config(folder: Path, pool: int) -> Path:
    path = folder / "lineage-engine.config.yaml"
    path.write_text(
        f"telemetry: {{provider: file, path: '{folder / 'history.jsonl'}'}}\n"
        f"graph: {{type: embedded, path: '{folder / 'graph'}', buffer_pool_mb: {pool}}}\n"
        f"compliance: {{classification_db: 'sqlite:///{folder / 'registry.db'}'}}\n", encoding="utf-8")
    return path


def dense_graph(path: Path) -> None:
    """Twelve datasets, each derived from about a third of the others, three times over."""
    rng = random.Random(3)
    names = [f"db.s.t{i:02d}" for i in range(12)]
    events = [
        LineageEvent(T0 + timedelta(minutes=n), f"q{n}", "INSERT", Operation.INSERT, DatasetRef(t, t.upper()),
                     tuple(DatasetRef(s, s.upper()) for s in names if s != t and rng.random() < 0.34))
        for n, t in enumerate(names * 3)
    ]
    store = open_graph_store("embedded", path=path)
    try:
        store.apply_events(events)
    finally:
        store.close()


def test_a_query_beyond_the_buffer_pool_fails_naming_the_setting(tmp_path: Path) -> None:
    dense_graph(tmp_path / "graph")
    (tmp_path / "explode.cypher").write_text(EXPLODE, encoding="utf-8")
    result = run_cli(config(tmp_path, 64), "trace", "--file", str(tmp_path / "explode.cypher"),
                     "-p", "dataset=db.s.t00", check=False)
    assert result.returncode != 0
    assert "graph.buffer_pool_mb: 64 MiB" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_bounded_query_runs_within_the_pool(tmp_path: Path) -> None:
    dense_graph(tmp_path / "graph")
    result = run_cli(config(tmp_path, 64), "trace", "upstream_of", "-p", "dataset=db.s.t00", "--format", "json")
    assert '"dataset": "db.s.t01"' in result.stdout or '"dataset"' in result.stdout


def test_an_invalid_pool_size_stops_start_up_with_its_key_path(tmp_path: Path) -> None:
    result = run_cli(config(tmp_path, 8), "trace", "upstream_of", "-p", "dataset=db.s.t00", check=False)
    assert result.returncode == 2
    assert "graph.buffer_pool_mb" in result.stderr


def test_the_checkpoint_threshold_is_the_configured_one(tmp_path: Path) -> None:
    """``graph.checkpoint_mb`` (issue 13): MiB of write-ahead log after which LadybugDB checkpoints; the
    engine's 16 MiB made a large crawl checkpoint every second batch."""
    from lineage_engine import services
    from lineage_engine.settings import load_settings

    def threshold(settings_path: Path) -> int:
        with services.graph_store(load_settings(settings_path)) as store:
            rows = store._execute("CALL current_setting('checkpoint_threshold') RETURN *", {})  # type: ignore[attr-defined]
        return int(next(iter(rows[0].values())))

    path = config(tmp_path, 64)
    assert threshold(path) == 32 * 2**20  # the default
    path.write_text(path.read_text(encoding="utf-8").replace("buffer_pool_mb: 64", "buffer_pool_mb: 64, checkpoint_mb: 3"),
                    encoding="utf-8")
    assert threshold(path) == 3 * 2**20
    path.write_text(path.read_text(encoding="utf-8").replace("checkpoint_mb: 3", "checkpoint_mb: 0"), encoding="utf-8")
    result = run_cli(path, "crawl", check=False)
    assert result.returncode != 0 and "graph.checkpoint_mb" in result.stderr, result.stderr
