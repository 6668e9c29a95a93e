"""``service.web`` (issue 13 §4): the web view served by ``run`` follows the token rule of ``serve``.

Invalid settings fail at start-up with exit code 2 and the key path, the token never shown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage_engine.settings import load_settings
from tests.cli_run import environment, run_cli

SECRET = "a-secret-token-of-thirty-chars"


@pytest.mark.parametrize(("web", "key", "words"), [
    ("{enabled: true, host: 0.0.0.0}", "service.web.host", "needs a token"),
    ("{enabled: true, host: 0.0.0.0, token: '${SHORT_TOKEN}'}", "service.web.token", "shorter than 16"),
    ("{enabled: true, port: 70000}", "service.web.port", "less than or equal to 65535"),
    ("{enabled: true, prot: 8000}", "service.web.prot", "unknown key"),
])
def test_bad_web_settings_fail_at_start_with_the_key_path(tmp_path: Path, web: str, key: str, words: str) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(f"service: {{web: {web}}}\n")
    result = run_cli(config, "run", "--once", check=False, env=environment(SHORT_TOKEN="short"))
    assert result.returncode == 2, result.stderr
    assert f"'{key}'" in result.stderr and words in result.stderr
    assert "short" not in result.stderr.replace("shorter", "")  # the token is never shown
    assert "Traceback" not in result.stderr


def test_the_token_comes_from_service_web_or_monitoring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_TOKEN", SECRET)
    config = tmp_path / "c.yaml"
    config.write_text("service: {web: {enabled: true, host: 0.0.0.0, port: 0}}\n"
                      "monitoring: {web_token: '${WEB_TOKEN}'}\n")
    settings = load_settings(config)
    assert settings.web_token == SECRET and SECRET not in repr(settings)
    config.write_text("service: {web: {enabled: true, host: 0.0.0.0, token: '${WEB_TOKEN}'}}\n")
    assert load_settings(config).web_token == SECRET
    config.write_text("service: {web: {host: 0.0.0.0}}\n")  # not enabled: nothing served, nothing checked
    assert load_settings(config).service.web.enabled is False
