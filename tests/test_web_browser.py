"""The web view in a real browser (headless Debian chromium, Playwright), over the demo's data.

One server for the module (a second, with a token, for the token test). A screenshot of
each page is written under the test's temp folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import browser
from tests.cli_run import environment, run_cli
from tests.web_server import Server, installation, running_server, server  # noqa: F401 - fixtures


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as running:
        yield running


@pytest.fixture()
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def _svg_nodes(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(f"{selector} svg g.node", "gs => gs.map(g => g.dataset.id)")


def _svg_edges(page: Any, selector: str) -> dict[tuple[str, str], list[str]]:
    rows = page.eval_on_selector_all(
        f"{selector} svg g.edge",
        "gs => gs.map(g => [g.dataset.upstream, g.dataset.downstream, "
        "Array.from(g.querySelectorAll('text')).map(t => t.textContent)])")
    return {(u, d): labels for u, d, labels in rows}


def test_findings_page_to_a_finding_and_its_path_picture(server: Server, installation: Path, page: Any,
                                                         tmp_path: Path) -> None:
    ledger = json.loads(run_cli(installation, "findings", "--format", "json").stdout)
    page.goto(server.url + "/findings")
    rows = page.locator("#findings tr.finding")
    assert rows.count() == len(ledger) > 0
    listed = set(page.locator("#findings tr.finding td:nth-child(5)").all_inner_texts())
    assert listed == {f["terminal"] for f in ledger}
    page.screenshot(path=str(tmp_path / "findings.png"), full_page=True)

    first = page.locator("#findings a.finding-link").first
    finding_id = int(first.inner_text())
    first.click()
    page.wait_for_url(f"**/findings/{finding_id}")
    finding = next(f for f in ledger if f["id"] == finding_id)
    assert _svg_nodes(page, "#path-picture") == finding["path"]  # origin first, one box per hop end
    status, detail = server.json(f"/api/findings/{finding_id}")
    assert status == 200 and len(detail["edges"]) == len(finding["path"]) - 1
    edges = _svg_edges(page, "#path-picture")
    for hop in detail["edges"]:  # each hop drawn with its transform and query id
        labels = edges[(hop["upstream"], hop["downstream"])]
        assert hop["query_id"] and hop["query_id"] in labels
        assert (hop["transform"] or hop["query_type"]) in labels
    assert page.locator("#hops tr.hop").count() == len(detail["edges"])
    page.screenshot(path=str(tmp_path / "finding.png"), full_page=True)


def test_findings_filter_and_sort(server: Server, page: Any) -> None:
    page.goto(server.url + "/findings")
    page.select_option("select[name=severity]", "MEDIUM")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**severity=MEDIUM**")
    severities = set(page.locator("#findings tr.finding td:nth-child(2)").all_inner_texts())
    assert severities == {"MEDIUM"}
    page.click("#findings th a:has-text('terminal')")
    page.wait_for_url("**sort=terminal**")
    terminals = page.locator("#findings tr.finding td:nth-child(5)").all_inner_texts()
    assert terminals == sorted(terminals) and len(terminals) > 1


def test_lineage_page_as_of_and_expand(server: Server, page: Any, tmp_path: Path) -> None:
    page.goto(server.url + "/lineage?id=prod_db.raw.customer_profiles&down=3")
    now = set(_svg_nodes(page, "#lineage-picture"))
    assert {"prod_db.raw.customer_profiles", "prod_db.crm.contacts", "prod_db.staging.stg_customers"} <= now
    page.screenshot(path=str(tmp_path / "lineage.png"), full_page=True)
    # before the CRM copy existed (created 2026-11-20), the as-of control shows lineage without it
    page.fill("#as-of", "2026-10-23")
    page.click("#show")
    page.wait_for_url("**as_of=2026-10-23**")
    before = set(_svg_nodes(page, "#lineage-picture"))
    assert "prod_db.raw.customer_profiles" in before and "prod_db.crm.contacts" not in before
    assert "prod_db.staging.stg_customers" in before
    # a wide layer is collapsed; clicking "+N more" shows more of it
    page.goto(server.url + "/lineage?id=prod_db.analytics.customer_360&up=0&down=1&limit=2")
    collapsed = page.locator("#lineage-picture svg g.node[data-role=more]")
    assert collapsed.count() == 1
    shown = len(_svg_nodes(page, "#lineage-picture"))
    collapsed.click()
    page.wait_for_url("**expand=1%3A4**")
    assert len(_svg_nodes(page, "#lineage-picture")) > shown
    # clicking a box centres the view on it
    page.locator("#lineage-picture svg g.node[data-id='prod_db.analytics.customer_360']").click()
    page.wait_for_url("**id=prod_db.analytics.customer_360**")


def test_history_and_coverage_pages(server: Server, page: Any, tmp_path: Path) -> None:
    page.goto(server.url + "/history?id=prod_db.analytics.customer_360")
    assert page.locator("#history tr").count() > 1
    page.screenshot(path=str(tmp_path / "history.png"), full_page=True)
    page.goto(server.url + "/coverage")
    assert "query_history.jsonl" in page.locator("#sources").inner_text()
    page.screenshot(path=str(tmp_path / "coverage.png"), full_page=True)
    text = page.inner_text("main").upper()
    assert "PARSE_ERROR" in text  # the sample's quarantined statement: its reason, never its text
    assert not any(word in text for word in ("SELECT ", "INSERT INTO", "CREATE TABLE"))


TOKEN = "browser-token-0123456789abcdef"


def test_token_required_beyond_loopback_then_login(installation: Path, page: Any, tmp_path: Path) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    with running_server(installation, "--host", "0.0.0.0", "--token", TOKEN, folder=tmp_path,
                        headers=bearer) as server:
        assert "token required" in server.stdout.read_text()
        status, _, _ = server.get("/api/findings")
        assert status == 401
        page.goto(server.url + "/findings")
        page.screenshot(path=str(tmp_path / "login.png"))
        assert "/login" in page.url and page.locator("input[name=token]").count() == 1
        page.fill("input[name=token]", "not-the-token-at-all")
        page.click("button[type=submit]")
        assert "error=1" in page.url
        page.fill("input[name=token]", TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url("**/findings")
        assert page.locator("#findings tr.finding").count() > 0
        assert TOKEN not in page.content()
        logs = server.logs()
    assert TOKEN not in logs
