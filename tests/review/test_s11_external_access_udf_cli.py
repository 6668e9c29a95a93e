"""A UDF with external network access is egress like an external function (review s11 T15, a false negative).

Snowflake "External network access overview" / "Creating and using an external access
integration": a UDF created with ``EXTERNAL_ACCESS_INTEGRATIONS = (i)`` runs handler code that may
reach the network locations of the integration's egress rules, so every call can send its
arguments out of the account, as an ``EXTERNAL FUNCTION`` call does. Only ``CREATE EXTERNAL
FUNCTION`` was read as external: e-mails passed to such a Python UDF were no egress.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled

UDF = """create or replace function db.s.enrich(e string) returns string language python
runtime_version = '3.11' handler = 'h' external_access_integrations = (crm_api) packages = ('requests') as $$
import requests
def h(e):
    return requests.post('https://crm.example.com/lookup', json={'e': e}).text
$$"""


def test_calls_of_a_udf_with_external_access_are_egress(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_USER_FUNCTION", UDF),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.enriched as select id, db.s.enrich(email) as crm "
                                            "from db.s.pii"),
    ])
    egress = json.loads(run_cli(config, "egress", "--format", "json").stdout)
    assert ("function", "extfn:db.s.enrich.email") in {(row["kind"], row["destination"]) for row in egress}
