"""Rendering for people: ids wrap on dots, paths print origin → terminal, formats are checked."""

from __future__ import annotations

import pytest
from rich.console import Console

from lineage_engine.errors import InputError
from lineage_engine.output import Wrapped, check_format, column_cell, flow_order, rows_csv, rows_table

IDS = ["prod_db.analytics.customer_360.email", "@prod_db.exports.s3_crm_export.email",
       "prod_db.marts.retention_campaign"]


@pytest.mark.parametrize("width", [20, 31, 80])  # wider than every name: no name is ever cut
def test_ids_wrap_after_dots_never_inside_a_name(width: int) -> None:
    for text in [*IDS, " → ".join(IDS)]:
        lines = Wrapped(text).lines(width)
        assert all(len(line) <= width for line in lines)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost or added
        position = 0
        for line in lines[:-1]:  # every break is after a dot or at a space
            position = text.index(line, position) + len(line)
            assert line.endswith(".") or text[position] == " ", (line, text[position:])


def test_a_quoted_name_with_dots_is_never_split() -> None:
    assert Wrapped('db.s."raw.people"."e.mail"').lines(16) == ["db.s.", '"raw.people".', '"e.mail"']
    assert Wrapped('a."unclosed.b').lines(4) == ["a.", '"unc', "lose", "d.b"]  # an unclosed quote: folded


def test_a_name_wider_than_the_column_is_folded() -> None:
    assert Wrapped("a.retention_campaign_with_a_long_name").lines(10) == [
        "a.", "retention_", "campaign_w", "ith_a_long", "_name"]


def test_table_fits_the_console_and_keeps_ids_whole_when_there_is_room() -> None:
    rows = [{"dataset": i, "hops": n, "path": IDS[: n + 1]} for n, i in enumerate(IDS)]
    console = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(rows_table(rows, title="t"))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 100
    dataset_cells = [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│")]
    assert [c for c in dataset_cells if c] == IDS  # the id column got room for whole ids
    for line in text.splitlines():  # path cells break after a dot or at a space, never inside a name
        if line.startswith("│") and line.split("│")[3].strip():
            fragment = line.split("│")[3].strip()
            assert fragment.endswith((".", "→")) or any(fragment.endswith(i.rsplit(".", 1)[1]) for i in IDS), line


def test_path_columns_print_origin_to_terminal() -> None:
    downstream_first = ("db.s.export", "db.s.stg", "db.s.raw")
    assert column_cell("path", flow_order(downstream_first)) == "db.s.raw → db.s.stg → db.s.export"
    nodes = [{"id": "a.b.c"}, {"id": "a.b.d"}]
    assert rows_csv([{"path": nodes}]) == "path\na.b.c → a.b.d\n"
    assert column_cell("edges", [{"transform": "identity"}, {"transform": "masked"}]) == "identity → masked"


def test_unknown_format_is_an_input_error() -> None:
    with pytest.raises(InputError, match="--format: 'yaml' is not a format; use table, json, csv"):
        check_format("yaml")


def test_json_rows_are_exactly_json_dumps_with_shared_and_odd_values() -> None:
    import json
    import random
    from datetime import datetime, timezone

    from lineage_engine.output import plain, rows_json

    rng = random.Random(7)
    leaves = ["a", "é → x", '\n"q\\', "", 0, -5, 2**70, 2.5, 3.0, 1e300, float("inf"), True, False, None,
              datetime(2026, 1, 2, tzinfo=timezone.utc)]

    def value(depth: int = 0) -> object:
        roll = rng.random()
        if depth > 3 or roll < 0.4:
            return rng.choice(leaves)
        if roll < 0.7:
            return {rng.choice(["k", "é", "x y", "1"]) + str(i): value(depth + 1) for i in range(rng.randrange(4))}
        return [value(depth + 1) for _ in range(rng.randrange(4))]

    hop = {"downstream": "db.s.b", "upstream": "db.s.a", "valid_to": None}  # shared by several rows, as paths share hops
    for _ in range(500):
        rows = [{"edges": [hop, hop], "v": value(), "w": {1: "int key", "n": [hop]}}, {"edges": [hop]}, {"x": value()}]
        assert rows_json(rows) == json.dumps(plain(rows), indent=2)
        assert json.loads(rows_json(rows))[1]["edges"] == [hop]
    assert rows_json([]) == "[]"
