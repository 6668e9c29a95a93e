"""``SELECT email INTO :v FROM pii`` (Snowflake Scripting) is a read of pii (review s11 T11, a false negative).

Snowflake Scripting "Assigning a value to a declared variable": ``SELECT <expr> INTO :<var> FROM ...``
stores a query's value in a block variable. sqlglot reads ``INTO :v`` as a table target named by
a placeholder; the name resolved to nothing, so the statement gave neither a CTAS nor a read: the
principal who read the e-mail was missing from ``access``, silently.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled

PII = "db.s.pii.email"


def test_select_into_a_scripting_variable_reads_its_table(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "SELECT", "select email into :contact from db.s.pii where id = 100", {"user_name": "BOB"}),
        ("09:02", "SELECT", "select name into :who from db.s.pii where id = 100", {"user_name": "CAROL"}),
    ])
    readers = json.loads(run_cli(config, "access", "--origin", PII, "--format", "json").stdout)
    assert {row["principal"] for row in readers} == {"BOB"}  # CAROL read the name (and filtered on id)
    assert "not seen" not in run_cli(config, "access", "--origin", PII).stdout
