"""Set up a small installation through the installed command: migrate, import, crawl."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from tests.cli_run import file_config, run_cli

TEMPLATES: Path | None = None
"""Where :func:`imported_template` keeps its templates; set per test session by tests/conftest.py
(None: no templates, every installation runs ``migrate`` and ``registry import`` itself)."""
_TEMPLATE_OF: dict[str, Path] = {}


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


def imported_template(registry_yaml: str) -> Path | None:
    """Return a folder where the installed command ran ``migrate`` and ``registry import`` of
    ``registry_yaml`` (embedded graph and SQLite registry in ``.lineage``, relative paths), made
    once per test session and classification file; None outside a test session.

    Copy its ``.lineage`` folder, never write to it: an installation that starts from it is the
    installation those two commands make, for the price of a copy (two CLI calls less).
    """
    if TEMPLATES is None:
        return None
    if registry_yaml not in _TEMPLATE_OF:
        folder = TEMPLATES / f"imported{len(_TEMPLATE_OF)}"
        folder.mkdir(parents=True)
        (folder / "registry.yaml").write_text(registry_yaml)
        config = file_config(folder, folder / "history.jsonl")  # never read: no crawl here
        run_cli(config, "migrate")
        run_cli(config, "registry", "import", str(folder / "registry.yaml"))
        _TEMPLATE_OF[registry_yaml] = folder
    return _TEMPLATE_OF[registry_yaml]


def crawled_installation(folder: Path, history: Path, registry_yaml: str,
                         neo4j: Mapping[str, object] | None = None) -> Path:
    """Write a config for ``history`` under ``folder`` (embedded graph, or Neo4j with ``neo4j``
    options), import ``registry_yaml``, crawl; return the config.

    On the embedded graph, migrate and import come from :func:`imported_template` (a copy of
    what those commands made for the same classification file), on Neo4j they run here.
    """
    (folder / "registry.yaml").write_text(registry_yaml)
    config = file_config(folder, history) if neo4j is None else neo4j_config(folder, history, neo4j)
    template = imported_template(registry_yaml) if neo4j is None else None
    if template is not None:
        shutil.copytree(template / ".lineage", folder / ".lineage")
    else:
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
