"""A graph crawled before the ``cast`` transform is not trusted to type its copies (graph/column_rules.py).

Snowflake "Tag-based masking policies": a tag's policy protects a column only when the policy's
signature type and the column's type match. ``create table c as select email::variant from pii``
makes ``c.email`` VARIANT: the column edge is ``cast`` and the copy is not typed from ``pii.email``
(VARCHAR), so the tag's STRING policy does not mask it: an exposure. A release without ``cast``
stored that edge as ``identity``: the copy was typed VARCHAR, taken as masked, and the exposure was
not reported (a false negative) until the user re-crawled into a new graph. Here an "old" graph is
made from a current one (the marker removed, the ``cast`` edges set back to ``identity``, as that
release wrote them), then read and re-crawled through the installed CLI on either graph backend.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lineage_engine.graph.store import open_graph_store
from tests.cli_run import export_edges, run_cli
from tests.review.history import Row, crawled, terminals

REGISTRY = """assets:
  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}
"""
HISTORY: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "CREATE_MASKING_POLICY", "create masking policy str_mask as (val string) returns string -> "
                                       "case when current_role() in ('PII_ADMIN') then val else '***' end"),
    ("09:02", "ALTER_TAG", "alter tag pii set masking policy str_mask"),
    ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select email::variant from db.s.pii"),
    ("09:03:30", "CREATE_TABLE_AS_SELECT", "create table db.s.k as select email from db.s.pii"),  # a plain copy
    ("09:04", "ALTER_TABLE", "alter table db.s.c set tag pii = 'x'"),
    ("09:04:30", "ALTER_TABLE", "alter table db.s.k set tag pii = 'x'"),
]
CAST_COPY = ("db.s.pii.email", "db.s.c.email")
PLAIN_COPY = ("db.s.pii.email", "db.s.k.email")
NOTE = "crawled before the cast transform are not typed from their upstream"


def _make_old(graph: dict[str, Any]) -> None:
    """Turn the graph into what a release without ``cast`` wrote: no marker, casts stored as ``identity``."""
    options = dict(graph)
    kind = str(options.pop("type"))
    store: Any = (open_graph_store(kind, path=Path(str(options["path"]))) if kind == "embedded"
                  else open_graph_store(kind, **options))
    try:
        store._execute("MATCH (m:LineageRules) DELETE m", {})
        store._execute("MATCH (:`Column`)-[e:DERIVES_FROM]->(:`Column`) WHERE e.transform = 'cast' "
                       "SET e.transform = 'identity'", {})
    finally:
        store.close()


def _scan(config: Path) -> tuple[set[tuple[str, str]], str]:
    """Return the scan's (origin, terminal) pairs and its printed coverage notes."""
    return terminals(config), run_cli(config, "scan").stdout


def test_an_old_graph_reports_its_cast_copies_until_a_replay_settles_them(tmp_path: Path,
                                                                          graph_config: dict[str, Any]) -> None:
    config = crawled(tmp_path, HISTORY, REGISTRY, graph=graph_config)
    fresh, printed = _scan(config)
    assert CAST_COPY in fresh and PLAIN_COPY not in fresh  # VARIANT: not masked; VARCHAR: masked
    assert NOTE not in printed  # a fresh graph has nothing to settle
    fresh_edges = export_edges(config, "--level", "column")

    _make_old(graph_config)
    # read before any migration (a read-only open): the old `identity` edges are read as `cast`
    as_of = run_cli(config, "scan", "--as-of", "2026-05-05T00:00:00Z", "--format", "json")
    assert {(r["origin"], r["terminal"]) for r in json.loads(as_of.stdout)} == {CAST_COPY, PLAIN_COPY}
    assert "not seen: 2 column copies " + NOTE in " ".join(as_of.stderr.split())
    assert "not seen: 2 column copies " + NOTE in " ".join(run_cli(config, "egress").stdout.split())
    old, printed = _scan(config)  # `scan` opens the graph for writing: migrated, the copies stored as `cast`
    assert CAST_COPY in old  # before: typed VARCHAR from its `identity` edge, taken as masked (a false negative)
    assert PLAIN_COPY in old  # not known whether it was a cast: an over-report, said so
    assert "not seen: 2 column copies " + NOTE in " ".join(printed.split())
    as_json = json.loads(run_cli(config, "scan", "--format", "json").stdout)
    assert {(r["origin"], r["terminal"]) for r in as_json} == old

    run_cli(config, "crawl", "--reset-watermark", "--yes")
    again, printed = _scan(config)
    assert again == fresh  # the replay gave `identity` back to the plain copy only
    assert NOTE not in printed and NOTE not in " ".join(run_cli(config, "egress").stdout.split())
    assert export_edges(config, "--level", "column") == fresh_edges
    run_cli(config, "crawl")  # an incremental crawl keeps it settled
    later, printed = _scan(config)
    assert later == fresh and NOTE not in printed
