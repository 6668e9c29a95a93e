"""A classification written with Snowflake's quoted spelling names the same column (review s11 T12, fixed).

Snowflake "Identifier requirements": ``"Customers"`` (quoted) is the table whose name is exactly
Customers. The lineage folds every part to lower case and drops quotes a part does not need
(``db.s.customers``, README "Lineage semantics", ids), and says "Registry catalog paths follow the
same rule". The registry only lower-cases the text: ``DB.S."Customers"."Email"`` (the spelling an
analyst copies from Snowsight or a quoted DDL) is stored as ``db.s."customers"."email"``, which no
lineage id matches: the column's copies are not reported (scan only lists the origin under "not in
the graph").

Fixed: catalog paths (file, facts, removals) are normalised with the lineage's id rule
(``model.canonical_id``): split the dotted name with its
quotes, lower-case each part, quote only a part holding a dot or a double quote.
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled, terminals

QUOTED = 'assets:\n  - {catalog_path: \'DB.S."Customers"."Email"\', classification: restricted, regulatory_tags: [pii], steward: dpo}\n'


def test_quoted_catalog_path_matches_the_lineage_id(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", 'create table db.s."Customers" ("Email" varchar, id int)'),
        ("09:01", "CREATE_TABLE_AS_SELECT", 'create table db.s.c as select "Email" as e from db.s."Customers"'),
    ], QUOTED)
    assert {t for _, t in terminals(config)} == {"db.s.c.e"}


def test_a_quote_not_closed_is_refused_naming_the_path_and_nothing_is_imported(tmp_path: Path) -> None:
    config = crawled(tmp_path, [("09:00", "CREATE_TABLE", 'create table db.s."Customers" ("Email" varchar)')], QUOTED)
    bad = tmp_path / "bad.yaml"
    bad.write_text('assets:\n  - {catalog_path: \'DB.S.T.C\', classification: restricted, regulatory_tags: [pii]}\n'
                   '  - {catalog_path: \'DB.S."Customers.Email\', classification: restricted, regulatory_tags: [pii]}\n',
                   encoding="utf-8")
    result = run_cli(config, "registry", "import", str(bad), check=False)
    assert result.returncode != 0
    assert "DB.S.\"Customers.Email" in result.stderr and "not closed" in result.stderr
    assert "Traceback" not in result.stderr
    listed = run_cli(config, "registry", "list").stdout
    assert "db.s.t.c" not in listed and "db.s.customers.email" in listed  # the earlier import is intact
