"""A star with modifiers over a result copies the columns Snowflake's ``SELECT`` says (review s15 Q6).

Snowflake "SELECT" (https://docs.snowflake.com/en/sql-reference/sql/select): ``* RENAME (email AS
contact)`` copies the e-mails into ``contact``, ``* EXCLUDE (email)`` and ``* ILIKE '%id%'`` copy no
e-mail. Over ``RESULT_SCAN`` the modifiers were ignored: a finding on ``db.s.out.email`` (a column that
does not exist, none on ``contact``: a false negative at column level) or on a column not copied. A
modifier whose lineage is not carried (``* REPLACE``) or a star over a result whose columns are not
known is quarantined and said (``not seen``), never bound without its modifiers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.review.history import PII_TABLE, Row, crawled

RESULT = "from table(result_scan(last_query_id())) r"


def _answers(tmp_path: Path, query: str, copy: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Crawl ``query`` then ``create table db.s.out as select <copy>``; return (column edges into out, quarantine)."""
    rows: list[Row] = [PII_TABLE, ("09:01", "SELECT", query),
                       ("09:02", "CREATE_TABLE_AS_SELECT", f"create table db.s.out as select {copy}")]
    config = crawled(tmp_path, rows)
    edges = [json.loads(line) for line in run_cli(config, "export", "edges", "--level", "column").stdout.splitlines()
             if line.strip()]
    copied = sorted((e["upstream"], e["downstream"]) for e in edges if e["downstream"].startswith("db.s.out."))
    quarantined = json.loads(run_cli(config, "quarantine", "--format", "json").stdout)
    return copied, [(q["query_id"], q["reason_code"]) for q in quarantined]


@pytest.mark.parametrize(("copy", "copied"), [
    (f"* rename (email as contact) {RESULT}", [("db.s.pii.email", "db.s.out.contact"), ("db.s.pii.id", "db.s.out.id")]),
    (f"* exclude (email) {RESULT}", [("db.s.pii.id", "db.s.out.id")]),
    (f"* ilike '%id%' {RESULT}", [("db.s.pii.id", "db.s.out.id")]),
    (f"r.* exclude id rename (email as contact) {RESULT}", [("db.s.pii.email", "db.s.out.contact")]),
])
def test_star_modifiers_over_a_result_apply(tmp_path: Path, copy: str, copied: list[tuple[str, str]]) -> None:
    assert _answers(tmp_path, "select id, email from db.s.pii", copy) == (copied, [])


@pytest.mark.parametrize(("query", "copy"), [
    ("select id, email from db.s.pii", f"* replace (sha2(email) as email) {RESULT}"),  # the expression is not carried
    ("select * from db.s.unknown_columns", f"* exclude (email) {RESULT}"),  # the result's columns are not known
    ("select id, email from db.s.pii", f"* exclude (email) from (select * {RESULT})"),  # a subquery: kept whole
])
def test_star_modifiers_not_applied_are_said(tmp_path: Path, query: str, copy: str) -> None:
    got, quarantined = _answers(tmp_path, query, copy)
    assert got == [] and quarantined == [("q002", "unsupported")]
