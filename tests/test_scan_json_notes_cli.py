"""``scan --format json|csv``: stdout is the paths only, and what the answer could not see goes to stderr.

The table prints its coverage notes (``not seen: …``: Time Travel reads at an unknown point,
quarantined rows not merged) beside the paths; JSON and CSV printed the paths alone, so an export
handed to an auditor looked as complete as any other. Now the same notes go to stderr (stdout
stays a plain JSON array / CSV), for ``scan`` and ``scan --as-of``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled
from tests.review.test_tt2_time_travel_unknown_points_cli import ROWS, _unknown

UNPARSEABLE = ("09:30", "CREATE_TABLE_AS_SELECT", "create table db.s.broken as select from from where")


def test_json_and_csv_scans_say_what_they_could_not_see_on_stderr(tmp_path: Path) -> None:
    config = crawled(tmp_path, [*ROWS, UNPARSEABLE])
    table = run_cli(config, "scan", "--as-of", "2026-05-04T10:00:00Z").stdout
    assert _unknown(table) == 2 and "quarantined rows or statements were not merged" in table
    for args in (("scan", "--as-of", "2026-05-04T10:00:00Z"), ("scan",)):
        as_json = run_cli(config, *args, "--format", "json")
        paths = json.loads(as_json.stdout)  # stdout is the JSON array alone
        assert paths and all("terminal" in p for p in paths)
        assert _unknown(as_json.stderr) == 2, as_json.stderr
        assert "quarantined rows or statements were not merged" in as_json.stderr
        as_csv = run_cli(config, *args, "--format", "csv")
        assert len(list(csv.DictReader(io.StringIO(as_csv.stdout)))) == len(paths)
        assert _unknown(as_csv.stderr) == 2
