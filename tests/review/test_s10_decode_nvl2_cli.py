"""``DECODE`` and ``NVL2`` are a ``CASE`` written as a function.

Snowflake: ``DECODE(x, s1, r1, …, default)`` is ``CASE x WHEN s1 THEN r1 … ELSE default END`` and
``NVL2(x, a, b)`` is ``CASE WHEN x IS NOT NULL THEN a ELSE b END``. A column only tested by a
CASE whose results are all constants carries no value (INDIRECT, README "Exposure semantics");
written as ``DECODE(email, 'vip@corp.com', 1, 0)`` or ``NVL2(email, 1, 0)`` the same flag was an
exposure of the e-mail. A DECODE that returns the e-mail still carries it.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_decode_and_nvl2_conditions_carry_no_value(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT",
         "create table db.s.flags as select id, decode(email, 'vip@corp.com', 1, 0) as vip, "
         "nvl2(email, 'Y', 'N') as has_email, case email when 'vip@corp.com' then 1 else 0 end as vip2, "
         "decode(id, 1, email, 'n/a') as first_email, nvl2(id, email, null) as e2 from db.s.pii"),
    ])
    assert terminals(config) == {(PII, "db.s.flags.first_email"), (PII, "db.s.flags.e2")}
