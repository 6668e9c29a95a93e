"""Every answer about where sensitive data went says what it could not see (review s11 T7).

``scan``, ``scan --as-of`` and ``access`` end with "not seen: N quarantined rows or statements"
when rows were quarantined (a path or read through one of them is missing from the answer).
``egress``, ``drift`` and ``boundaries`` answer the same question for places outside the
account, first arrivals and forbidden places, from the same walk, but print nothing about
quarantined rows: with a row the crawl could not read (here a copy of an unloaded stage to
another stage, of a QUERY_TYPE never classified) an analyst reading ``egress`` sees a complete-
looking list that misses the second stage, and nothing says so.

Fixed on main by the integrator (07dbb80).
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled

BOUNDARY = ("compliance:\n  classification_db: \"sqlite:///.lineage/registry.db\"\n"
            "  boundaries:\n    - {name: no-stages, origins: \"db.s.*\", forbidden: [\"@*\"]}\n")


def test_egress_drift_and_boundaries_say_what_they_could_not_see(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "UNLOAD", "copy into @db.s.int_stage/out/ from (select email from db.s.pii)"),
        ("09:02", "MOVE_FILES_SOMEWHERE", "copy files into @db.s.ext_stage/x/ from @db.s.int_stage/out/"),
    ], extra=BOUNDARY)
    assert "not seen: 1" in run_cli(config, "scan").stdout  # passes today
    for args in (("egress",), ("drift", "--since", "2026-05-01"), ("boundaries",)):
        assert "not seen: 1" in run_cli(config, *args).stdout, args
