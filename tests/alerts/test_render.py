from __future__ import annotations

import json

from lineage_engine.alerts.render import (
    FIELD_LIMIT,
    HEADER_LIMIT,
    SECTION_LIMIT,
    render_alert,
    render_finding_blocks,
    render_path,
)

PAYLOAD = {
    "event": "opened",
    "finding_id": 7,
    "origin": "db.raw.customers",
    "terminal": "db.mart.c360",
    "path": ["db.mart.c360", "db.stg.customers", "db.raw.customers"],
    "regulatory_tags": ["gdpr", "pii"],
    "steward": "dpo@example.com",
    "severity": "HIGH",
    "level": "table",
    "opened_at": "2024-03-14T09:00:00+00:00",
}


def _texts(blocks):
    out = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        out.extend(f["text"] for f in b.get("fields", []))
        out.extend(e["text"] for e in b.get("elements", []))
    return out


def test_finding_blocks_exact_structure():
    text, blocks = render_finding_blocks(PAYLOAD)
    assert text == (
        "HIGH: unmasked PII path db.raw.customers → db.mart.c360 (2 hops); steward: dpo@example.com"
    )
    assert blocks == [
        {"type": "header", "text": {"type": "plain_text", "text": "HIGH · New unmasked PII path", "emoji": True}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Origin*\n`db.raw.customers`"},
                {"type": "mrkdwn", "text": "*Terminal (unmasked)*\n`db.mart.c360`"},
                {"type": "mrkdwn", "text": "*Severity*\nHIGH"},
                {"type": "mrkdwn", "text": "*Regulatory tags*\ngdpr, pii"},
                {"type": "mrkdwn", "text": "*Steward*\ndpo@example.com"},
                {"type": "mrkdwn", "text": "*Level*\ntable"},
            ],
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Path* (2 hops, origin → terminal)\n"
                "`db.raw.customers` → `db.stg.customers` → `db.mart.c360`",
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "finding #7 · opened 2024-03-14T09:00:00+00:00 · table-level: column lineage "
                    "unknown; some data of the origin reaches the terminal",
                }
            ],
        },
    ]


def test_missing_steward_warns():
    text, blocks = render_finding_blocks({**PAYLOAD, "steward": None})
    assert "steward: none" in text
    assert any("No steward" in t for t in _texts(blocks))
    assert "*Steward*\n:warning: no steward" in _texts(blocks)


def test_escalation_mentions_previous_severity():
    _, blocks = render_finding_blocks({**PAYLOAD, "event": "escalated", "severity": "CRITICAL",
                                       "previous_severity": "HIGH"})
    assert blocks[0]["text"]["text"] == "CRITICAL · Escalated unmasked PII path"
    assert "escalated from HIGH" in blocks[-1]["elements"][0]["text"]


def test_long_path_truncated_with_hidden_hop_count():
    ids = [f"db.schema.dataset_{i:03d}_" + "x" * 150 for i in range(60)]  # terminal first
    _, blocks = render_finding_blocks({**PAYLOAD, "path": ids, "origin": ids[-1], "terminal": ids[0]})
    for t in _texts(blocks):
        assert len(t) <= SECTION_LIMIT
    path_text = blocks[2]["text"]["text"]
    assert path_text.startswith("*Path* (59 hops")
    assert f"`{ids[-1]}` → " in path_text  # origin first
    assert path_text.endswith(f"`{ids[0]}`")  # terminal last
    shown = path_text.count("`db.schema.")
    assert f"… {60 - shown} more hops" in path_text


def test_render_path_short_is_untouched():
    assert render_path(["t", "o"]) == "`o` → `t`"


def test_mrkdwn_is_escaped():
    _, blocks = render_finding_blocks({**PAYLOAD, "steward": "<!channel> & co"})
    assert "*Steward*\n&lt;!channel&gt; &amp; co" in _texts(blocks)


def test_generic_kinds_and_no_secret():
    hook = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX"
    payload = {
        "window": "2024-03-01/2024-03-02",
        "error": "connect failed: snowflake://svc:hunter2@acct/db",
        "webhook": hook,
        "password": "hunter2",
        "note": f"posted to {hook}",
    }
    text, blocks = render_alert("failed_backfill", payload)
    dumped = json.dumps(blocks) + text
    assert "hunter2" not in dumped and "XXXXXXXX" not in dumped
    assert blocks[0]["text"]["text"] == "Backfill window failed"
    assert "*window*\n2024-03-01/2024-03-02" in _texts(blocks)
    assert "*password*\n[redacted]" in _texts(blocks)
    _, blocks = render_alert("steward_missing", {"catalog_path": "db.raw.customers", "classification": "restricted"})
    assert blocks[0]["text"]["text"] == "Classified asset has no steward"


def test_unknown_kind_and_limits():
    many = {f"k{i}": "v" * 5000 for i in range(14)}
    text, blocks = render_alert("brand_new_kind", many)
    assert blocks[0]["text"]["text"] == "lineage-engine alert: brand_new_kind"
    assert len(blocks[1]["fields"]) == 10
    assert all(len(f["text"]) <= FIELD_LIMIT for f in blocks[1]["fields"])
    assert blocks[2]["elements"][0]["text"] == "… 4 more fields not shown"
    assert len(text) <= SECTION_LIMIT
    _, blocks = render_alert("x" * 400, {})
    assert len(blocks[0]["text"]["text"]) <= HEADER_LIMIT


def test_finding_alert_explains_hops_and_the_opening_statement() -> None:
    payload = {"origin": "db.s.c.email", "terminal": "db.s.x.contact", "path": ["db.s.x.contact", "db.s.c.email"],
               "severity": "HIGH", "level": "column", "event": "reopened", "steward": "dpo",
               "opened_by": {"query_id": "q2", "query_type": "CREATE_TABLE_AS_SELECT", "user": "ANALYST_7",
                             "role": "REPORTING", "at": "2026-03-02T09:02:00+00:00"},
               "edges": [{"upstream": "db.s.c.email", "downstream": "db.s.x.contact", "level": "column",
                          "transform": "expression", "query_id": "q2"}] * 10}
    text, blocks = render_finding_blocks(payload)
    body = "\n".join(str(b) for b in blocks)
    assert "Reopened" in str(blocks[0])
    assert "*Opened by* statement `q2` (CREATE_TABLE_AS_SELECT, by ANALYST_7 as REPORTING, 2026-03-02T09:02:00+00:00)" in body
    assert "• `db.s.c.email` → `db.s.x.contact` (column, expression, q2)" in body
    assert "… 2 more hops" in body
