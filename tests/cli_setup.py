"""Set up a small installation through the installed command: migrate, import, crawl."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tests.cli_run import file_config, run_cli


def neo4j_config(folder: Path, history: Path, options: Mapping[str, object]) -> Path:
    """Write a config for ``history`` on the Neo4j test server (``neo4j_graph.options``) and SQLite."""
    database = f", database: '{options['database']}'" if options.get("database") else ""
    config = folder / "lineage-engine.config.yaml"
    config.write_text(
        f"telemetry: {{provider: file, path: '{history}'}}\n"
        f"graph: {{type: neo4j, uri: '{options['uri']}', credentials: '{options['credentials']}'{database}}}\n"
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
        "monitoring: {slack_webhook: ''}\n", encoding="utf-8")
    return config


def crawled_installation(folder: Path, history: Path, registry_yaml: str,
                         neo4j: Mapping[str, object] | None = None) -> Path:
    """Write a config for ``history`` under ``folder`` (embedded graph, or Neo4j with ``neo4j``
    options), import ``registry_yaml``, crawl; return the config."""
    (folder / "registry.yaml").write_text(registry_yaml)
    config = file_config(folder, history) if neo4j is None else neo4j_config(folder, history, neo4j)
    run_cli(config, "migrate")
    run_cli(config, "registry", "import", str(folder / "registry.yaml"))
    run_cli(config, "crawl")
    return config


def sample_installation(folder: Path) -> Path:
    """Run ``lineage-engine demo`` under ``folder`` on the bundled sample (file source, embedded
    graph and SQLite registry at relative paths, so the folder can be copied); return the config.

    The demo migrates, imports the sample classifications, crawls the sample history and scans:
    the state every user has after the README's first command.
    """
    from lineage_engine.resources import sample_dir

    config = file_config(folder, sample_dir() / "query_history.jsonl")
    run_cli(config, "demo")
    return config
