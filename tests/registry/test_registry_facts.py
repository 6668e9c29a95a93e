"""Registry facts keep their history; facts_as_of answers the facts of an instant (issue 10 §2)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from lineage_engine.model import Asset, RegistryFact
from lineage_engine.registry import Registry, import_classifications
from lineage_engine.registry.engine import create_registry_engine, parse_registry_url
from lineage_engine.registry.facts import EPOCH
from tests.cli_run import file_config, run_cli

T1 = datetime(2024, 3, 1, 10, tzinfo=timezone.utc)
T2 = datetime(2024, 3, 5, 10, tzinfo=timezone.utc)
T3 = datetime(2024, 3, 9, 10, tzinfo=timezone.utc)
EMAIL = "prod_db.raw.customers.email"


def _policy(value: str | None, at: datetime, query_id: str = "q") -> RegistryFact:
    return RegistryFact(EMAIL, "masking_policy", value, at, origin="query_history", query_id=query_id)


def test_statements_build_a_timeline_in_any_order_and_replays_change_nothing(registry: Registry) -> None:
    assert registry.state_facts([_policy(None, T3, "q3"), _policy("email_mask", T1, "q1")]) == 2
    assert registry.state_facts([_policy("email_mask", T1, "q1"), _policy(None, T3, "q3")]) == 0
    history = registry.fact_history(fact="masking_policy")
    assert [(f.value, f.valid_from, f.valid_to) for f in history] == [("email_mask", T1, T3), (None, T3, None)]
    # a statement between the two splits the interval that held then
    assert registry.state_facts([_policy("strict_mask", T2, "q2")]) == 1
    history = registry.fact_history(fact="masking_policy")
    assert [(f.value, f.valid_from, f.valid_to) for f in history] == [
        ("email_mask", T1, T2), ("strict_mask", T2, T3), (None, T3, None)]
    assert registry.facts_as_of(T1 - timedelta(seconds=1)).masking_policies() == {}
    assert registry.facts_as_of(T1).masking_policies() == {EMAIL: "email_mask"}
    assert registry.facts_as_of(T2 + timedelta(hours=1)).masking_policies() == {EMAIL: "strict_mask"}
    assert registry.facts_as_of(T3).masking_policies() == {}


def test_import_keeps_history_and_reimport_changes_nothing(registry: Registry, tmp_path: Path) -> None:
    first = tmp_path / "v1.yaml"
    first.write_text(f"- {{catalog_path: {EMAIL}, classification: restricted, regulatory_tags: [pii], "
                     "steward: dpo, masking_policy: email_mask}\n")
    import_classifications(registry, first)
    before = registry.fact_history()
    import_classifications(registry, first)
    assert registry.fact_history() == before
    assert {f.fact: (f.value, f.valid_from, f.valid_to) for f in before} == {
        "classification": ("restricted", EPOCH, None), "regulatory_tags": (("pii",), EPOCH, None),
        "steward": ("dpo", EPOCH, None), "masking_policy": ("email_mask", EPOCH, None)}

    second = tmp_path / "v2.yaml"
    second.write_text(f"- {{catalog_path: {EMAIL}, classification: confidential, regulatory_tags: [pii], "
                      "steward: dpo}\n")
    import_classifications(registry, second)
    history = {(f.fact, f.value): f for f in registry.fact_history()}
    changed_at = history[("classification", "confidential")].valid_from
    assert history[("classification", "restricted")].valid_to == changed_at
    assert history[("masking_policy", "email_mask")].valid_to == changed_at
    assert history[("masking_policy", None)].valid_from == changed_at
    assert history[("steward", "dpo")].valid_to is None  # unchanged facts stay open

    old = registry.facts_as_of(changed_at - timedelta(microseconds=1))
    assert [(a.classification, a.masking_policy) for a in old.assets()] == [("restricted", "email_mask")]
    now = registry.facts_as_of(changed_at)
    assert [(a.classification, a.masking_policy) for a in now.assets()] == [("confidential", None)]
    assert now.assets() == registry.list_assets()


def test_newest_statement_wins_across_origins(registry: Registry) -> None:
    registry.upsert_assets([Asset(EMAIL, asset_type="column", classification="restricted",
                                  regulatory_tags=("pii",), masking_policy="file_mask")])
    registry.state_facts([_policy(None, T1), RegistryFact(EMAIL, "tag", "email", T2, origin="tag_references",
                                                          key="governance.pii_type")])
    assert registry.facts_as_of(T1 - timedelta(days=1)).masking_policies() == {EMAIL: "file_mask"}
    at_t2 = registry.facts_as_of(T2)
    assert at_t2.masking_policies() == {}
    assert at_t2.assets()[0].masking_policy is None
    assert at_t2.tags() == {EMAIL: {"governance.pii_type": "email"}}


def test_removed_assets_keep_their_past(registry: Registry) -> None:
    registry.upsert_assets([Asset(EMAIL, asset_type="column", classification="restricted")])
    registry.remove_assets([EMAIL])
    assert registry.facts_as_of(datetime.now(timezone.utc)).assets() == []
    assert [a.catalog_path for a in registry.facts_as_of(T1).assets()] == [EMAIL]


def test_bad_statements_are_refused_whole(registry: Registry) -> None:
    with pytest.raises(ValueError, match="unknown registry fact 'colour'"):
        registry.state_facts([_policy("m", T1), RegistryFact(EMAIL, "colour", "red", T1)])
    with pytest.raises(ValueError, match="timezone-aware"):
        registry.state_facts([_policy("m", T1.replace(tzinfo=None))])
    assert registry.fact_history() == []


def test_migration_carries_existing_assets_over_from_the_epoch(registry_url: str) -> None:
    """A registry at revision 0002 with assets: upgrading gives them import facts from the epoch."""
    engine = create_registry_engine(parse_registry_url(registry_url))
    try:
        from alembic import command

        from lineage_engine.registry.migrate import alembic_config

        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO assets (catalog_path, asset_type, classification, regulatory_tags, steward, "
                "masking_policy, created_at, updated_at) VALUES (:p, 'column', 'restricted', '[\"pii\"]', "
                "NULL, 'email_mask', :t, :t)"), {"p": EMAIL, "t": T1.replace(tzinfo=None)})
    finally:
        engine.dispose()
    with Registry(registry_url) as registry:
        registry.migrate()
        facts = registry.facts_as_of(T1 - timedelta(days=365))
        assert facts.masking_policies() == {EMAIL: "email_mask"}
        assert [(a.catalog_path, a.regulatory_tags) for a in facts.assets()] == [(EMAIL, ("pii",))]
        assert {f.valid_from for f in registry.fact_history()} == {EPOCH}


def test_cli_import_keeps_history(tmp_path: Path) -> None:
    """The installed command: importing a file, again, then changed, leaves one closed and one open policy."""
    config = file_config(tmp_path / "work", tmp_path / "history.jsonl")
    for policy in ("email_mask", "email_mask", "strict_mask"):
        path = tmp_path / "classes.csv"
        path.write_text(f"catalog_path,classification,regulatory_tags,masking_policy\n{EMAIL},restricted,pii,{policy}\n")
        run_cli(config, "registry", "import", str(path))
    with Registry(f"sqlite:///{tmp_path}/work/.lineage/registry.db") as registry:
        history = registry.fact_history(fact="masking_policy")
    assert [(f.value, f.valid_from == EPOCH, f.valid_to is None) for f in history] == [
        ("email_mask", True, False), ("strict_mask", False, True)]


def test_policy_bodies_reads_and_recreated_tables(registry: Registry) -> None:
    from lineage_engine.model import ColumnRead, MaskingPolicyBody

    body = MaskingPolicyBody("email_mask", True, ("PII_ADMIN",), T1, query_id="q1")
    reads = [ColumnRead("db.s.c.email", EMAIL, T2, "q2", "ANALYST"), ColumnRead("db.s.c.email", EMAIL, T2, "q2", "X")]
    assert registry.record_policies([_policy("email_mask", T1)], [body], reads=reads) == 3  # one read per query
    assert registry.record_policies([_policy("email_mask", T1)], [body], reads=reads) == 0  # replayed
    assert registry.column_reads() == [ColumnRead("db.s.c.email", EMAIL, T2, "q2", "ANALYST")]
    assert registry.masked_paths() == {EMAIL}
    assert registry.record_policies(dropped=[("email_mask", T3)], recreated=[("prod_db.raw.customers", T2)]) == 2
    assert [(b.name, b.valid_to) for b in registry.policy_bodies()] == [("email_mask", T3)]
    assert registry.facts_as_of(T2).masking_policies() == {}  # the table was replaced: its policy went with it
