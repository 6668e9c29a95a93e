"""Transform rules of issue 10: masking on every branch, unmasking, partial, counting, conditions."""

from __future__ import annotations

import itertools

import pytest

from lineage_engine.model import TRANSFORMS, transform_along
from lineage_engine.parsing import extract_lineage
from lineage_engine.parsing.transforms import CONDITION, UNMASKED, along
from lineage_engine.transform_lists import TransformFunctions


def edges(sql: str, functions: TransformFunctions | None = None) -> dict[tuple[str, str], tuple[str, str]]:
    """Return {(target column, source column): (transform, kind)} of the one statement."""
    result = extract_lineage(sql, default_database="d", default_schema="s", columns=True, functions=functions)
    return {(e.target, e.source): (e.transform, e.kind) for e in result.statements[0].columns}


def one(item: str, source: str = "email", functions: TransformFunctions | None = None) -> tuple[str, str]:
    return edges(f"create table t as select {item} as out from customers", functions)[("d.s.t.out", f"d.s.customers.{source}")]


@pytest.mark.parametrize(
    ("item", "source", "expected"),
    [
        # observation 1: one masking constant in one branch masks nothing
        ("case when is_vip then 'REDACTED' else email end", "email", ("expression", "DIRECT")),
        ("case when is_vip then sha2(email) else '***' end", "email", ("masked", "DIRECT")),
        ("case when is_vip then sha2(email) else email end", "email", ("expression", "DIRECT")),
        ("iff(is_vip, md5(email), null)", "email", ("masked", "DIRECT")),
        # a condition whose results are constants chooses a constant: INDIRECT
        ("case when email like '%@corp.com' then 'staff' else 'customer' end", "email", ("expression", "INDIRECT")),
        ("iff(email is null, 0, 1)", "email", ("expression", "INDIRECT")),
        ("case when email is null then 'none' else email end", "email", ("expression", "DIRECT")),
        ("case email when 'a' then 'x' end", "email", ("expression", "INDIRECT")),
        # observation 2: unmasking functions
        ("detokenize(email)", "email", ("unmasked", "DIRECT")),
        ("decrypt(email, 'passphrase')", "email", ("unmasked", "DIRECT")),
        ("try_decrypt(email, 'passphrase')", "email", ("unmasked", "DIRECT")),
        ("decrypt_raw(email, k, iv)", "email", ("unmasked", "DIRECT")),
        ("lower(detokenize(email))", "email", ("unmasked", "DIRECT")),
        ("sha2(detokenize(email))", "email", ("masked", "DIRECT")),
        # observation 3: fragments
        ("right(ssn, 4)", "ssn", ("partial", "DIRECT")),
        ("left(ssn, 3)", "ssn", ("partial", "DIRECT")),
        ("substr(ssn, 6, 4)", "ssn", ("partial", "DIRECT")),
        ("substring(ssn, 6)", "ssn", ("expression", "DIRECT")),
        ("right(ssn, 9)", "ssn", ("expression", "DIRECT")),
        ("right(ssn, n)", "ssn", ("expression", "DIRECT")),
        ("regexp_replace(ssn, '^[0-9]{5}', '*****')", "ssn", ("partial", "DIRECT")),
        ("regexp_replace(ssn, '-', '')", "ssn", ("expression", "DIRECT")),
        ("regexp_replace(ssn, '([0-9]+)', '\\\\1')", "ssn", ("expression", "DIRECT")),
        ("upper(right(ssn, 4))", "ssn", ("partial", "DIRECT")),
        # observation 3: counting vs value-carrying aggregates
        ("count(distinct email)", "email", ("counted", "DIRECT")),
        ("count(email)", "email", ("counted", "DIRECT")),
        ("approx_count_distinct(email)", "email", ("counted", "DIRECT")),
        ("hll(email)", "email", ("counted", "DIRECT")),
        ("hll_accumulate(email)", "email", ("counted", "DIRECT")),
        ("min(email)", "email", ("aggregation", "DIRECT")),
        ("any_value(email)", "email", ("aggregation", "DIRECT")),
        ("listagg(email, ',')", "email", ("aggregation", "DIRECT")),
        ("array_agg(email)", "email", ("aggregation", "DIRECT")),
        ("mode(email)", "email", ("aggregation", "DIRECT")),
        ("object_agg(email, phone)", "email", ("aggregation", "DIRECT")),
        ("count(distinct detokenize(email))", "email", ("counted", "DIRECT")),
    ],
)
def test_transform_rules(item: str, source: str, expected: tuple[str, str]) -> None:
    assert one(item, source) == expected


def test_count_star_is_no_edge_from_any_column() -> None:
    found = edges("create table t as select count(*) as n from customers")
    assert found == {}


def test_masking_through_a_subquery_is_undone_by_detokenize_outside() -> None:
    found = edges("create table t as select detokenize(tok) as email from (select tokenize_email(email) as tok from customers)")
    assert found == {("d.s.t.email", "d.s.customers.email"): ("unmasked", "DIRECT")}


def test_function_lists_are_configurable() -> None:
    custom = TransformFunctions(masking=frozenset({"VAULT_PROTECT"}), unmasking=frozenset({"VAULT_REVEAL"}),
                                counting=frozenset({"COUNT"}), partial_max_chars=2)
    assert one("vault_protect(email)", functions=custom) == ("masked", "DIRECT")
    assert one("vault_reveal(email)", functions=custom) == ("unmasked", "DIRECT")
    assert one("sha2(email)", functions=custom) == ("expression", "DIRECT")  # the list replaces the defaults
    assert one("hll(email)", functions=custom) == ("aggregation", "DIRECT")  # not counting here
    assert one("right(ssn, 4)", "ssn", functions=custom) == ("expression", "DIRECT")
    assert one("right(ssn, 2)", "ssn", functions=custom) == ("partial", "DIRECT")


RANKS = list(range(CONDITION, len(TRANSFORMS)))


def test_along_is_associative_so_walks_may_combine_in_any_order() -> None:
    for a, b, c in itertools.product(RANKS, repeat=3):
        assert along(a, along(b, c)) == along(along(a, b), c), (a, b, c)


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        ("unmasked", "masked", "unmasked"),
        ("masked", "unmasked", "masked"),
        ("expression", "unmasked", "unmasked"),
        ("unmasked", "identity", "unmasked"),
        ("unmasked", "partial", "unmasked"),  # over-reports a fragment, never the reverse
        ("partial", "unmasked", "unmasked"),
        ("unmasked", "counted", "counted"),
        ("identity", "partial", "partial"),
        ("aggregation", "masked", "masked"),
        ("partial", "counted", "counted"),
    ],
)
def test_transforms_along_a_path(outer: str, inner: str, expected: str) -> None:
    assert transform_along(outer, inner) == expected


def test_unmasked_is_the_most_revealing_alternative() -> None:
    assert max(range(len(TRANSFORMS))) == UNMASKED
