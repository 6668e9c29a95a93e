"""``lineage-engine serve``: the installed command in a subprocess, its JSON API over HTTP.

One server over the demo's data for the module; the token rule on a second one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.web_server import Server, demo_installation, request, running_server


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_installation(tmp_path_factory.mktemp("web-api"))


@pytest.fixture(scope="module")
def server(installation: Path) -> Iterator[Server]:
    with running_server(installation) as running:
        yield running


def _ledger(config: Path) -> list[dict[str, object]]:
    return json.loads(run_cli(config, "findings", "--format", "json").stdout)


def test_findings_api_lists_the_ledger(server: Server, installation: Path) -> None:
    status, rows = server.json("/api/findings")
    ledger = _ledger(installation)
    assert status == 200 and len(rows) == len(ledger) > 0
    assert {(r["origin"], r["terminal"]) for r in rows} == {(r["origin"], r["terminal"]) for r in ledger}
    by_key = {(r["origin"], r["terminal"]): r for r in ledger}
    for row in rows:  # same path, origin first, as the CLI prints it
        assert row["path"] == by_key[(row["origin"], row["terminal"])]["path"]
        assert row["path"][0] == row["origin"].rsplit(".", 1)[0] or row["path"][0] == row["origin"]


def test_findings_api_filters_and_sorts(server: Server) -> None:
    _, every = server.json("/api/findings")
    status, high = server.json("/api/findings?severity=high")
    assert status == 200 and high and all(r["severity"] == "HIGH" for r in high)
    assert len(high) == sum(r["severity"] == "HIGH" for r in every)
    _, columns = server.json("/api/findings?level=column")
    assert columns and all(r["level"] == "column" for r in columns)
    origin = every[0]["origin"].split(".")
    dataset = ".".join(origin[:3])
    _, from_dataset = server.json(f"/api/findings?origin={dataset}")
    assert from_dataset and all(r["origin"] == dataset or r["origin"].startswith(dataset + ".") for r in from_dataset)
    _, by_terminal = server.json("/api/findings?sort=-terminal")
    assert [r["terminal"] for r in by_terminal] == sorted((r["terminal"] for r in every), reverse=True)
    _, severe_first = server.json("/api/findings")
    order = {"LOW": 0, "MEDIUM": 1, "HIGH": 2, "CRITICAL": 3}
    ranks = [order[r["severity"]] for r in severe_first]
    assert ranks == sorted(ranks, reverse=True)


def test_one_finding_and_unknown_ids(server: Server) -> None:
    _, every = server.json("/api/findings")
    first = every[0]
    status, one = server.json(f"/api/findings/{first['id']}")
    assert status == 200 and one == first
    status, body = server.json("/api/findings/987654")
    assert status == 404 and "no finding 987654" in body["detail"]
    status, body = server.json("/api/findings/abc")
    assert status == 422


@pytest.mark.parametrize(("query", "named"), [("severity=urgent", "severity"), ("level=tabel", "did you mean 'table'"),
                                              ("sort=colour", "sort"), ("status=opn", "did you mean 'open'")])
def test_bad_parameters_answer_422_with_a_message(server: Server, query: str, named: str) -> None:
    status, body = server.json(f"/api/findings?{query}")
    assert status == 422 and named in body["detail"]


def test_openapi_document_lists_the_endpoints(server: Server) -> None:
    status, doc = server.json("/api/openapi.json")
    assert status == 200 and {"/api/findings", "/api/findings/{finding_id}", "/api/health"} <= set(doc["paths"])
    status, _, _ = server.get("/docs")  # Swagger would load scripts from a CDN: off
    assert status == 404


def test_non_loopback_without_token_exits_2_with_one_line(installation: Path) -> None:
    result = run_cli(installation, "serve", "--host", "0.0.0.0", "--port", "0", check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs a token" in lines[0] and "--token" in lines[0], result.stderr
    short = run_cli(installation, "serve", "--host", "0.0.0.0", "--port", "0", "--token", "short", check=False)
    assert short.returncode == 2 and "shorter than 16" in short.stderr and "short" not in short.stderr.replace(
        "shorter", ""), short.stderr


TOKEN = "t0ken-for-the-web-test-9f3a"


def test_token_checked_on_every_request(installation: Path, tmp_path: Path) -> None:
    config = tmp_path / "token.config.yaml"
    text = installation.read_text(encoding="utf-8").replace(
        "monitoring: {slack_webhook: ''}", "monitoring: {slack_webhook: '', web_token: '${WEB_TOKEN}'}")
    assert "web_token" in text
    config.write_text(text.replace(".lineage/", str(installation.parent) + "/.lineage/"), encoding="utf-8")
    from tests.cli_run import environment

    bearer = {"Authorization": f"Bearer {TOKEN}"}
    with running_server(config, folder=tmp_path, env=environment(WEB_TOKEN=TOKEN), headers=bearer) as server:
        for path in ("/api/findings", "/api/health", "/api/openapi.json", "/api/findings/1"):
            status, _, _ = server.get(path)
            assert status == 401, path
            status, _, _ = server.get(path, headers={"Authorization": "Bearer wrong-token-wrong-token"})
            assert status == 401, path
        status, rows = server.json("/api/findings", headers=bearer)
        assert status == 200 and rows
        status, headers, _ = server.get("/", headers={"Accept": "text/html"})
        assert status == 303 and headers["location"].startswith("/login")
        # a browser link with ?token= gets a session cookie and a URL without the token
        status, headers, _ = server.get(f"/api/findings?severity=HIGH&token={TOKEN}")
        assert status == 303 and headers["location"] == "/api/findings?severity=HIGH"
        cookie = headers["set-cookie"].split(";", 1)[0]
        assert TOKEN not in cookie and "HttpOnly" in headers["set-cookie"]
        status, rows = server.json("/api/findings?severity=HIGH", headers={"Cookie": cookie})
        assert status == 200 and rows
        status, headers, _ = request(server.url + "/login", method="POST", data=f"token={TOKEN}&next=/x".encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303 and headers["location"] == "/x" and "set-cookie" in {k.lower() for k in headers}
        status, headers, _ = request(server.url + "/login", method="POST", data=b"token=nope&next=/",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303 and "error=1" in headers["location"]
        logs = server.logs()
    assert "/api/findings" in logs  # requests are logged, by path only
    assert TOKEN not in logs and TOKEN not in config.read_text()
