from __future__ import annotations

import pytest

from lineage_engine.exposure.paths import find_exposure_paths, summarize_coverage
from lineage_engine.model import Asset

THRESHOLDS = {"pii_exposure": "HIGH", "financial_data": "MEDIUM", "restricted": "CRITICAL"}
ORIGIN = Asset("db.raw.customers", classification="confidential", regulatory_tags=("pii",), steward="dpo")
FIN = Asset("db.raw.ledger", classification="confidential", regulatory_tags=("sox",))


def node(i, **props):
    return {"id": i, "name": i.upper(), "kind": "table", "classification": None, "tags": None,
            "steward": None, "masking_policy": None, **props}


def row(*ids, **props_by_id):
    """Build a trace row from ids listed origin first (as one reads lineage)."""
    nodes = [props_by_id.get(i.replace(".", "_"), node(i)) for i in reversed(ids)]
    return {"origin": ids[0], "terminal": ids[-1], "hops": len(ids) - 1, "path": nodes}


def find(rows, registry=(), origins=(ORIGIN,)):
    return find_exposure_paths(
        rows,
        {o.catalog_path: o for o in origins},
        {a.catalog_path: a for a in [*origins, *registry]},
        risk_thresholds=THRESHOLDS,
    )


def test_unmasked_terminal_is_an_exposure_with_origin_facts():
    [p] = find([row("db.raw.customers", "db.stg.c", "db.mart.c360")])
    assert (p.origin, p.terminal, p.hops) == ("db.raw.customers", "db.mart.c360", 2)
    assert p.path == ("db.mart.c360", "db.stg.c", "db.raw.customers")  # terminal first
    assert (p.severity, p.level, p.steward, p.regulatory_tags) == ("HIGH", "table", "dpo", ("pii",))
    assert p.classification == "confidential"


def test_terminal_masked_in_registry_is_not_an_exposure():
    masked = Asset("db.mart.c360", masking_policy="EMAIL_MASK")
    assert find([row("db.raw.customers", "db.mart.c360")], registry=[masked]) == []


def test_registry_none_policy_wins_over_node_property():
    unmasked = Asset("db.mart.c360", masking_policy="NONE")
    r = row("db.raw.customers", "db.mart.c360", db_mart_c360=node("db.mart.c360", masking_policy="OLD_MASK"))
    assert len(find([r], registry=[unmasked])) == 1


def test_node_masking_used_when_registry_does_not_know_the_dataset():
    r = row("db.raw.customers", "db.stg.m", "db.mart.x", db_stg_m=node("db.stg.m", masking_policy="M"))
    assert find([r]) == []


def test_masked_intermediate_closes_the_path():
    masked = Asset("db.stg.masked", masking_policy="PII_MASK")
    assert find([row("db.raw.customers", "db.stg.masked", "db.mart.x")], registry=[masked]) == []


def test_longer_open_path_survives_when_shortest_passes_masking():
    masked = Asset("db.stg.masked", masking_policy="PII_MASK")
    rows = [
        row("db.raw.customers", "db.stg.masked", "db.mart.x"),
        row("db.raw.customers", "db.stg.a", "db.stg.b", "db.mart.x"),
    ]
    [p] = find(rows, registry=[masked])
    assert p.hops == 3 and "db.stg.masked" not in p.path


def test_masked_origin_does_not_close_its_paths():
    origin = Asset("db.raw.customers", classification="confidential", regulatory_tags=("pii",), masking_policy="M")
    assert len(find([row("db.raw.customers", "db.mart.x")], origins=[origin])) == 1


@pytest.mark.parametrize(("cls", "exposed"), [
    ("confidential", False),  # equally classified: governed
    ("restricted", False),  # above: governed
    ("internal", True),  # below
    (None, True),  # unclassified
])
def test_terminal_classification(cls, exposed):
    registry = [Asset("db.mart.x", classification=cls)] if cls else []
    assert bool(find([row("db.raw.customers", "db.mart.x")], registry=registry)) is exposed


def test_internal_default_never_governs_even_an_internal_origin():
    origin = Asset("db.raw.c", classification="internal", regulatory_tags=("pii",))
    terminal = Asset("db.mart.x", classification="internal")
    assert len(find([row("db.raw.c", "db.mart.x")], registry=[terminal], origins=[origin])) == 1


def test_node_classification_used_when_registry_silent():
    r = row("db.raw.customers", "db.mart.x", db_mart_x=node("db.mart.x", classification="restricted"))
    assert find([r]) == []


def test_one_path_per_pair_shortest_then_lexicographic():
    rows = [
        row("db.raw.customers", "db.s.b", "db.s.c", "db.mart.x"),
        row("db.raw.customers", "db.s.z", "db.mart.x"),
        row("db.raw.customers", "db.s.a", "db.mart.x"),
        row("db.raw.customers", "db.s.a", "db.mart.x"),  # duplicate row
    ]
    [p] = find(rows)
    assert p.path == ("db.mart.x", "db.s.a", "db.raw.customers")


def test_cycle_through_origin_ignored_and_unknown_origin_skipped():
    rows = [row("db.raw.customers", "db.s.a", "db.raw.customers"), row("db.other.t", "db.mart.x")]
    assert find(rows) == []


def test_sorted_by_severity_then_origin_then_terminal():
    rows = [
        row("db.raw.ledger", "db.mart.a"),
        row("db.raw.customers", "db.mart.z"),
        row("db.raw.customers", "db.mart.b"),
    ]
    got = [(p.severity, p.origin, p.terminal) for p in find(rows, origins=[ORIGIN, FIN])]
    assert got == [
        ("HIGH", "db.raw.customers", "db.mart.b"),
        ("HIGH", "db.raw.customers", "db.mart.z"),
        ("MEDIUM", "db.raw.ledger", "db.mart.a"),
    ]


def test_path_not_ending_at_origin_raises():
    bad = {"origin": "db.raw.customers", "terminal": "db.mart.x", "path": [node("db.raw.customers"), node("db.mart.x")]}
    with pytest.raises(ValueError, match="terminal first"):
        find([bad])


def test_coverage_lists_missing_origins_and_the_column_table_split():
    paths = find([row("db.raw.customers", "db.mart.a")]) + find(
        [column_row(("db.raw.customers.email", "db.mart.a.email"), level="column")], origins=(EMAIL,))
    cov = summarize_coverage(["b", "a", "c.x.y.z"], ["a"], column_origins=1, paths=paths)
    assert cov.missing_from_graph == ("b", "c.x.y.z")
    assert (cov.column_origins, cov.column_paths, cov.table_paths) == (1, 1, 1)
    notes = " ".join(cov.notes())
    assert "2 of 3 sensitive origins are not in the lineage graph" in notes
    assert "1 origins walked at column level (sensitive columns), 2 at table level" in notes
    assert "paths: 1 column-level, 1 table-level" in notes


EMAIL = Asset("db.raw.customers.email", asset_type="column", classification="restricted", regulatory_tags=("pii",),
              steward="dpo")


def column_row(ids, level="column", columns=None):
    """A column walk row from ids listed origin first; ``columns``: how many (from the origin) are columns."""
    path = list(reversed(ids))
    return {"origin": ids[0], "terminal": ids[-1], "hops": len(ids) - 1, "path": path, "level": level,
            "columns": len(ids) if columns is None else columns}


def test_column_rows_keep_their_level_and_use_column_then_dataset_facts():
    rows = [column_row(("db.raw.customers.email", "db.stg.c.email", "db.mart.m.email")),  # dataset masked
            column_row(("db.raw.customers.email", "db.stg.c.email", "db.mart.x.email")),  # column masked
            column_row(("db.raw.customers.email", "db.gov.v.email")),  # governed by its dataset
            column_row(("db.raw.customers.email", "db.stg.c.email", "db.mart.k.e")),
            column_row(("db.raw.customers.email", "db.stg.m2.email", "db.mart.k.e2")),  # masked dataset on the way
            column_row(("db.raw.customers.email", "db.stg.c.email", "@db.exp.stage"), level="table", columns=2)]
    registry = [Asset("db.mart.m", masking_policy="EMAIL_MASK"), Asset("db.mart.x.email", masking_policy="M"),
                Asset("db.gov.v", classification="restricted"), Asset("db.stg.m2", masking_policy="M"),
                Asset("db.mart.k.e", classification="public")]
    got = [(p.terminal, p.level, p.hops) for p in find(rows, registry, origins=(EMAIL,))]
    assert got == [("@db.exp.stage", "table", 2), ("db.mart.k.e", "column", 2)]



def test_a_column_inside_the_origins_table_is_an_exposure_only_when_it_bypasses_the_origins_masking():
    rows = [column_row(("db.raw.customers.email", "db.raw.customers.notes")),
            column_row(("db.raw.customers.email", "db.raw.customers.notes", "db.mart.m.notes"))]
    table = Asset("db.raw.customers", classification="restricted")  # governs any other copy in the table
    masked = Asset("db.raw.customers.email", asset_type="column", classification="restricted",
                   regulatory_tags=("pii",), masking_policy="EMAIL_MASK")
    got = [(p.terminal, p.hops) for p in find(rows, [table], origins=(masked,))]
    assert got == [("db.mart.m.notes", 2), ("db.raw.customers.notes", 1)]  # the bypass, and the copy beyond it
    clear = [(p.terminal, p.hops) for p in find(rows, [table], origins=(EMAIL,))]
    assert clear == [("db.mart.m.notes", 2)]  # nothing to bypass inside the table; the copy out still counts
    notes_masked = Asset("db.raw.customers.notes", masking_policy="NOTES_MASK")
    assert [p.terminal for p in find(rows[:1], [table, notes_masked], origins=(masked,))] == []


def test_a_partial_row_is_rated_lower_and_a_full_row_to_the_same_terminal_wins():
    partial = {**row("db.raw.customers", "db.mart.last4"), "exposure": "partial"}
    [p] = find([partial])
    assert (p.severity, p.exposure) == ("MEDIUM", "partial")
    full = row("db.raw.customers", "db.stg.x", "db.mart.last4")
    [p] = find([partial, full])
    assert (p.severity, p.exposure, p.hops) == ("HIGH", "full", 2)
