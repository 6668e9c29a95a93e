"""A table or view named like a routine keeps its lineage; a pipe's COPY is read (review s11 T9, T10).

T9 (false negative, silent): a CREATE whose first words held ``TASK``, ``PROC``, ``PROCEDURE`` or
``FUNCTION`` anywhere (``CREATE TABLE task AS SELECT ...``, ``CREATE OR REPLACE TRANSIENT TABLE
ops.task``, ``CREATE VIEW db.proc``) was read as a routine header: only the SELECT after ``AS`` was
kept, as a body statement that writes nothing, so the copy had no lineage and nothing said so.

T10 (false negative, silent): Snowflake "CREATE PIPE": ``CREATE PIPE p AS COPY INTO t FROM @s``;
Snowpipe runs the COPY whenever files arrive, serverless, so the loads are not statements of the
query history: the definition is the only record of ``t <- @s``. It was read as nothing.
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import export_edges
from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_tables_named_like_routines_keep_their_lineage(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table task as select id, email from db.s.pii"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create or replace transient table ops.task as select email from db.s.pii"),
        ("09:03", "CREATE_VIEW", "create view ops.proc as select email from db.s.pii"),
        ("09:04", "CREATE_TASK", "create or replace task db.s.tk warehouse = wh schedule = '5 minute' "
                                 "as insert into db.s.out select email from db.s.pii"),  # a task: its statement
    ])
    assert terminals(config) == {(PII, "db.s.task.email"), (PII, "db.ops.task.email"),
                                 (PII, "db.ops.proc.email"), (PII, "db.s.out.email")}


def test_a_pipe_loads_its_stage_into_its_table(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.raw (v variant)"),
        ("09:01", "CREATE_PIPE", "create or replace pipe db.s.p auto_ingest = true as "
                                 "copy into db.s.raw from @db.s.landing file_format = (type = json)"),
    ])
    assert '"downstream":"db.s.raw","upstream":"@db.s.landing"' in export_edges(config).replace(" ", "")
