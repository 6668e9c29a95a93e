"""A copy whose role was not recorded counts, even when another copy of the same interval was (review s12 R3).

The crawl records the role of a copy out of a column only when it already knows the column
has a masking policy. A policy learned later (a row read late: Snowflake's latency, a file out of
``END_TIME`` order) leaves the copies crawled before it without a role. When a later copy of
the same lineage interval was recorded (by a role the policy masks), the judgement read only
that one and held the table masked, although TRANSFORMER, whom the policy shows clear e-mails,
had copied them in first: a false negative, and a different answer than one crawl of the
same rows gives. A lineage interval observed by more statements than were recorded with their
role now counts as copied by an unknown role (over-report, never under).
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import PII_TABLE, crawled, findings, history_lines, role_policy, terminals

PII = "db.s.pii.email"
EARLY = [
    PII_TABLE,
    role_policy("09:01", "m", "TRANSFORMER"),
    ("09:01:30", "CREATE_TABLE", "create table db.s.c (id int, email varchar)"),
    ("09:04", "INSERT", "insert into db.s.c select id, email from db.s.pii"),  # TRANSFORMER: clear e-mails
]
LATE = [
    # read by the next crawl: the policy was set at 09:02, before the 09:04 copy
    ("09:02", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii modify column email set masking policy m"),
    ("09:20", "INSERT", "insert into db.s.c select id, email from db.s.pii", {"role_name": "ANALYST"}),
]


def test_a_copy_crawled_before_its_policy_was_known_is_not_hidden_by_a_later_one(tmp_path: Path) -> None:
    config = crawled(tmp_path, EARLY)
    (tmp_path / "history.jsonl").write_text("\n".join(history_lines([*EARLY, *LATE])) + "\n", encoding="utf-8")
    run_cli(config, "crawl")
    assert terminals(config) == {(PII, "db.s.c.email")}
    [finding] = findings(config)
    assert "not recorded" in finding["note"]


def test_one_crawl_of_the_same_rows_gives_the_same_answer(tmp_path: Path) -> None:
    config = crawled(tmp_path, [*EARLY, *LATE])
    assert terminals(config) == {(PII, "db.s.c.email")}
