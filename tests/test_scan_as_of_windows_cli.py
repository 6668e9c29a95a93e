"""``scan --as-of T`` prints the windows closed by T, as ``scan`` prints its resolved findings (review O4).

In the sample, ``PROD_DB.CRM.CONTACTS`` copies e-mail and phone at 12:00:03 on 2026-11-20 and both
columns are masked at 15:00:06. As of 13:00 that day the copies are open exposure paths; as of the
next day they are closed windows "unmasked from 12:00:03 to 15:00:06", which ``scan --as-of`` did
not print at all (the evidence pack of the same instant marked them).
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import run_cli

WINDOW = ("closed window: prod_db.raw.customer_profiles.{col} → prod_db.crm.contacts.{col} unmasked from "
          "2026-11-20T12:00:03Z to 2026-11-20T15:00:06Z (masked by then)")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_scan_as_of_prints_the_windows_closed_by_then(crawled_sample: Path) -> None:
    after = _flat(run_cli(crawled_sample, "scan", "--as-of", "2026-11-21").stdout)
    for col in ("email", "phone"):
        assert _flat(WINDOW.format(col=col)) in after, after[-2000:]

    before = run_cli(crawled_sample, "scan", "--as-of", "2026-11-20T13:00:00Z", "--format", "csv").stdout
    assert "prod_db.crm.contacts.phone" in before  # not masked yet: an open path, no window
    assert "closed window" not in _flat(run_cli(crawled_sample, "scan", "--as-of", "2026-11-20T13:00:00Z").stdout)
