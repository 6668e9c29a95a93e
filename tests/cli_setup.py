"""Set up a small installation through the installed command: migrate, import, crawl."""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import file_config, run_cli


def crawled_installation(folder: Path, history: Path, registry_yaml: str) -> Path:
    """Write a config for ``history`` under ``folder``, import ``registry_yaml``, crawl; return the config."""
    (folder / "registry.yaml").write_text(registry_yaml)
    config = file_config(folder, history)
    run_cli(config, "migrate")
    run_cli(config, "registry", "import", str(folder / "registry.yaml"))
    run_cli(config, "crawl")
    return config
