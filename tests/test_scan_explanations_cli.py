"""The scan explains each hop with the interval a straightforward pick gives (issue 13 §6).

On the embedded graph the scan picks every hop's interval on arrays, from the statements
read with the walk's columns (``lineage_engine.walk_arrays.TableIntervals``), and explains
the paths of one walk with shared hops. This checks, through the installed command, that
every hop of every path ``scan --as-of`` and ``scan`` print carries the interval the
reference pick (:class:`~lineage_engine.exposure.explain.IntervalIndex` over ``export
edges``) gives: the one open at the instant, else the latest opened by then. The history
re-observes an interval (its statement changes), replaces and renames tables (closed
intervals, one reopened), and reads through a view; instants fall between the changes.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lineage_engine.exposure.explain import IntervalIndex
from lineage_engine.model import EdgeRow
from tests.cli_run import export_edges, run_cli
from tests.cli_setup import crawled_installation
from tests.history_file import write_history

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=timezone.utc)
ROWS = [
    ("CREATE_TABLE", "create table db.s.a (id int, email varchar)"),                                   # 08:00
    ("CREATE_TABLE_AS_SELECT", "create table db.s.b as select id, email from db.s.a"),                 # 08:01
    ("INSERT", "insert into db.s.b select id, email from db.s.a"),                                     # 08:02
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.b as select id, email from db.s.a"),      # 08:03
    ("CREATE_VIEW", "create view db.s.v as select id, email from db.s.b"),                             # 08:04
    ("CREATE_TABLE_AS_SELECT", "create table db.s.x as select id, email from db.s.v"),                 # 08:05
    ("ALTER_TABLE", "alter table db.s.b rename to db.s.b2"),                                           # 08:06
    ("CREATE_TABLE_AS_SELECT", "create table db.s.y as select id, email from db.s.b2"),                # 08:07
    ("CREATE_TABLE", "create table db.s.o (id int)"),                                                  # 08:08
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.y as select id from db.s.o"),             # 08:09
    ("INSERT", "insert into db.s.y select id, email from db.s.b2"),                                    # 08:10
    ("INSERT", "insert into db.s.x select id, email from db.s.v"),                                     # 08:11
]
REGISTRY = """assets:
  - catalog_path: DB.S.A
    classification: restricted
    regulatory_tags: [pii]
"""
INSTANTS = ["2026-04-01T08:01:30Z", "2026-04-01T08:05:30Z", "2026-04-01T08:07:30Z", "2026-04-01T08:09:30Z",
            "2026-04-01T08:10:30Z", "2026-04-01T08:11:30Z"]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("explained")
    return crawled_installation(folder, write_history(folder / "history.jsonl", ROWS, T0), REGISTRY)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def reference(config: Path) -> IntervalIndex:
    """Every dataset interval of the graph (``export edges``), indexed the straightforward way."""
    rows = []
    for line in export_edges(config).splitlines():
        r = json.loads(line)
        valid_from = _time(r["valid_from"])
        assert valid_from is not None
        rows.append(EdgeRow(r["downstream"], r["upstream"], valid_from, _time(r.get("valid_to")), valid_from,
                            valid_from, 1, r.get("last_query_id") or "", r.get("query_type") or ""))
    return IntervalIndex(rows)


def expected_hop(index: IntervalIndex, hop: dict[str, object], at: datetime) -> dict[str, object]:
    row = index.table(str(hop["downstream"]), str(hop["upstream"]), at)
    assert row is not None, hop
    return {"query_id": row.last_query_id, "query_type": row.query_type, "valid_from": row.valid_from.isoformat(),
            "valid_to": row.valid_to.isoformat() if row.valid_to else None}


def shown(hop: dict[str, object]) -> dict[str, object]:
    return {k: hop[k] for k in ("query_id", "query_type", "valid_from", "valid_to")}


@pytest.mark.parametrize("instant", INSTANTS)
def test_every_hop_shows_the_reference_interval(crawled: Path, instant: str) -> None:
    index = reference(crawled)
    at = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    paths = json.loads(run_cli(crawled, "scan", "--as-of", instant, "--format", "json").stdout)
    assert paths, "the origin reaches something at every instant"
    hops = [hop for p in paths for hop in p["edges"]]
    assert len(hops) == sum(p["hops"] for p in paths)
    assert [shown(h) for h in hops] == [expected_hop(index, h, at) for h in hops]
    for p in paths:  # the opening statement is the last hop's (into the terminal)
        assert p["opened_by"]["query_id"] == p["edges"][-1]["query_id"]
    y = next((p for p in paths if p["terminal"] == "db.s.y"), None)
    if instant == INSTANTS[3]:  # y replaced from o at 08:09: it holds nothing of a
        assert y is None
    if instant == INSTANTS[4]:  # y <- b2 reopened at 08:10: the open interval, not the one closed at 08:09
        assert y is not None and (y["edges"][-1]["query_id"], y["edges"][-1]["valid_to"]) == ("q10", None)


def test_the_ledger_scan_explains_the_same_way(crawled: Path) -> None:
    index = reference(crawled)
    run_cli(crawled, "scan", "--format", "json")
    findings = json.loads(run_cli(crawled, "findings", "--format", "json").stdout)
    assert findings
    for f in findings:
        row = json.loads(run_cli(crawled, "findings", "show", str(f["id"]), "--format", "json").stdout)
        assert row["opened_by"]["query_id"] == f["opened_by"]["query_id"]
    now = datetime.now(timezone.utc)
    for p in json.loads(run_cli(crawled, "scan", "--format", "json").stdout):
        assert [shown(h) for h in p["edges"]] == [expected_hop(index, h, now) for h in p["edges"]]
