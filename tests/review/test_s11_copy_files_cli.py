"""``COPY FILES INTO @to FROM @from`` copies an unload on to another stage (review s11 T2, a false negative).

Snowflake "COPY FILES": copies files from one stage (internal or external) into another, so
e-mails unloaded into an internal stage and copied into an external one left the account
through the second stage. sqlglot rejects the statement and the type was never classified: the
row was quarantined and the external stage was neither in ``scan`` nor in ``egress``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_copy_files_carries_an_unload_to_the_next_stage(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "UNLOAD", "copy into @db.s.int_stage/out/ from (select email from db.s.pii)"),
        ("09:02", "COPY_FILES", "copy files into @db.s.ext_stage/partner/ from @db.s.int_stage/out/ "
                                "files = ('data_0_0_0.csv.gz') detailed_output = true"),
    ])
    assert (PII, "@db.s.ext_stage.email") in terminals(config)
    egress = json.loads(run_cli(config, "egress", "--format", "json").stdout)
    assert {row["destination"] for row in egress} == {"@db.s.int_stage.email", "@db.s.ext_stage.email"}
    assert "quarantined" not in run_cli(config, "scan").stdout
