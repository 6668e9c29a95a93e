"""Configuration: YAML + environment, interpolation, errors with key paths, secrets hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage_engine.errors import ConfigError
from lineage_engine.settings import interpolate, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lineage-engine.config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_issue_keys_and_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    cfg = write(tmp_path, """
telemetry: {provider: file, path: history.jsonl}
graph: {type: embedded, path: .lineage/graph}
compliance: {classification_db: "sqlite:///.lineage/registry.db"}
""")
    s = load_settings(cfg)
    assert s.telemetry.path == tmp_path / "history.jsonl"
    assert s.graph.path == tmp_path / ".lineage" / "graph"
    assert s.registry_url == f"sqlite:///{tmp_path}/.lineage/registry.db"


def test_guide_sections_are_accepted_as_written(tmp_path: Path) -> None:
    cfg = write(tmp_path, """
telemetry:
  provider: file
  path: h.jsonl
  role: LINEAGE_OBSERVER
  scan_interval_minutes: 30
  backfill_days: 30
  query_filters: [create_table_as_select, INSERT, MERGE, ALTER_TABLE]
graph:
  type: embedded
  uri: neo4j://localhost:7687
  credentials: neo4j/secret-pw
  indexes: [last_seen, valid_to]
compliance:
  classification_db: sqlite:///r.db
  steward_enforcement: true
  review_cycle_days: 90
  risk_thresholds: {pii_exposure: high, financial_data: MEDIUM}
monitoring:
  slack_webhook: https://hooks.slack.example/services/T000/B000/XXXX
  alert_on: [unmasked_pii_path, failed_backfill, missing_steward]
""")
    s = load_settings(cfg)
    assert s.telemetry.query_filters == ["CREATE_TABLE_AS_SELECT", "INSERT", "MERGE", "ALTER_TABLE"]
    assert s.compliance.risk_thresholds["pii_exposure"] == "HIGH"
    assert s.monitoring.alert_on == ["unmasked_pii", "failed_backfill", "steward_missing"]
    # Secrets never show in reprs.
    dumped = repr(s)
    assert "secret-pw" not in dumped and "XXXX" not in dumped


def test_interpolation_with_default_and_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIST", "from-env.jsonl")
    monkeypatch.delenv("MISSING_VAR", raising=False)
    cfg = write(tmp_path, "telemetry: {path: '${HIST}', query_tag: '${TAG:-svc}$$x'}\n")
    s = load_settings(cfg)
    assert s.telemetry.path == tmp_path / "from-env.jsonl"
    assert s.telemetry.query_tag == "svc$x"
    cfg = write(tmp_path, "monitoring: {slack_webhook: '${MISSING_VAR}'}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert info.value.key_path == "monitoring.slack_webhook"
    assert "MISSING_VAR" in str(info.value)


def test_interpolate_names_list_positions() -> None:
    with pytest.raises(ConfigError) as info:
        interpolate({"a": {"b": ["ok", "${NOPE_NOT_SET}"]}}, environ={})
    assert info.value.key_path == "a.b[1]"


@pytest.mark.parametrize(
    ("text", "key_path", "fragment"),
    [
        ("graph: {type: orientdb}\n", "graph.type", "embedded"),
        ("telemetry: {scan_interval_minutes: 0}\n", "telemetry.scan_interval_minutes", "greater than or equal"),
        ("grahp: {type: embedded}\n", "grahp", "did you mean 'graph'"),
        ("graph: {paht: x}\n", "graph.paht", "did you mean 'path'"),
        ("monitoring: {alert_on: [unmasked_pi]}\n", "monitoring.alert_on", "unknown alert kind"),
        ("telemetry: {temp_patterns: ['(unclosed']}\n", "telemetry.temp_patterns", "regular expression"),
        ("compliance: {unmasking_functions: [DETOKENIZE, 'vault.detok(x)']}\n", "compliance.unmasking_functions",
         "'vault.detok(x)' is not a function name"),
        ("compliance: {counting_functions: ['']}\n", "compliance.counting_functions", "is not a function name"),
        ("compliance: {partial_max_chars: -1}\n", "compliance.partial_max_chars", "greater than or equal"),
        ("- just\n- a list\n", None, "top level must be a mapping"),
        ("graph: {type: [unclosed\n", None, "not valid YAML"),
    ],
)
def test_invalid_config_fails_with_key_path(tmp_path: Path, text: str, key_path: str | None, fragment: str) -> None:
    cfg = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    if key_path is not None:
        assert info.value.key_path == key_path
    assert fragment in str(info.value)


def test_environment_overrides_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path, "graph: {path: from-yaml}\n")
    monkeypatch.setenv("LINEAGE_ENGINE_GRAPH__PATH", str(tmp_path / "from-env"))
    assert load_settings(cfg).graph.path == tmp_path / "from-env"


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "nope.yaml")
    assert info.value.key_path == "--config"


def test_shipped_default_needs_no_secret_and_keeps_state_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LINEAGE_ENGINE_CONFIG", raising=False)
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    s = load_settings()
    assert s.graph.type == "embedded"
    assert s.graph.path == tmp_path / ".lineage" / "graph"
    assert s.registry_url.startswith("sqlite:///") and str(tmp_path) in s.registry_url
    assert s.monitoring.slack_webhook is None
    assert s.telemetry.path is not None and s.telemetry.path.name == "query_history.jsonl" and s.telemetry.path.is_file()


def test_the_shipped_function_lists_are_the_documented_defaults() -> None:
    from lineage_engine.resources import default_config_path
    from lineage_engine.transform_lists import TransformFunctions

    shipped = load_settings(default_config_path()).compliance.transform_functions()
    assert shipped == TransformFunctions()
