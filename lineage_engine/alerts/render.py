"""Render outbox alerts as Slack Block Kit messages. Pure: no I/O, no clock.

Every renderer returns ``(text, blocks)``: ``text`` is the notification fallback (shown in
push notifications and by clients without blocks), ``blocks`` the Block Kit list. Slack's
limits are kept here so a long lineage path never makes Slack reject the whole message:
header text 150 characters, section text 3,000, section field 2,000, at most 10 fields.

Values are escaped for ``mrkdwn`` (``&``, ``<``, ``>``) so a dataset name cannot inject a
link or a mention. Values under secret-looking keys (``password``, ``token``, ``webhook``,
``secret``, ``query_text`` …) are replaced by ``[redacted]``, and credentials inside URLs
are masked, so a payload carrying an error message cannot leak a secret into a channel.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
MAX_FIELDS = 10
ID_LIMIT = 200

_SECRET_KEY = re.compile(r"pass(word)?|secret|token|webhook|api[_-]?key|credential|dsn|query_text", re.I)
_URL_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]{0,30}://)([^/\s:@]{1,256}):([^/\s@]{1,256})@", re.I)
_SLACK_HOOK = re.compile(r"https://hooks\.slack(?:-gov)?\.com/\S+", re.I)
_EVENTS = {"opened": "New", "escalated": "Escalated", "realert": "Still open", "realerted": "Still open",
           "reopened": "Reopened"}
MAX_HOPS_SHOWN = 8


def redact_text(value: str) -> str:
    """Return ``value`` with URL passwords and Slack webhook URLs masked."""
    value = _SLACK_HOOK.sub("[redacted webhook]", value)
    return _URL_USERINFO.sub(r"\1\2:***@", value)


def redact_field(key: object, value: object) -> str:
    """Return ``value`` as display text: ``[redacted]`` under a secret-looking key, else scrubbed."""
    if _SECRET_KEY.search(str(key)):
        return "[redacted]"
    return redact_text(value if isinstance(value, str) else json.dumps(value, default=str))


def _mrkdwn(value: object) -> str:
    text = redact_text(value if isinstance(value, str) else json.dumps(value, default=str))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _code(dataset_id: object) -> str:
    return "`" + _cut(_mrkdwn(str(dataset_id)).replace("`", "'"), ID_LIMIT) + "`"


def render_path(path: Sequence[object], limit: int = SECTION_LIMIT - 100) -> str:
    """Return a path as ``origin → … → terminal`` within ``limit`` characters.

    Args:
        path: ids terminal first, origin last (the DERIVES_FROM order of the trace).
        limit: maximum length; when exceeded the middle is replaced by ``… N more hops``
            (N hidden datasets), keeping the origin side and the terminal.
    """
    items = [_code(i) for i in reversed(list(path))]
    full = " → ".join(items)
    if len(full) <= limit or len(items) <= 2:
        return _cut(full, limit)
    for keep in range(len(items) - 2, 0, -1):
        hidden = len(items) - 1 - keep
        text = " → ".join([*items[:keep], f"… {hidden} more hops", items[-1]])
        if len(text) <= limit:
            return text
    return _cut(f"{items[0]} → … {len(items) - 2} more hops → {items[-1]}", limit)


def _header(text: str) -> dict[str, object]:
    return {"type": "header", "text": {"type": "plain_text", "text": _cut(text, HEADER_LIMIT), "emoji": True}}


def _section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SECTION_LIMIT)}}


def _fields(pairs: Sequence[tuple[str, str]]) -> dict[str, object]:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": _cut(f"*{k}*\n{v}", FIELD_LIMIT)} for k, v in pairs[:MAX_FIELDS]],
    }


def _context(text: str) -> dict[str, object]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(text, SECTION_LIMIT)}]}


def render_finding_blocks(payload: Mapping[str, object]) -> tuple[str, list[dict[str, object]]]:
    """Render an ``unmasked_pii`` alert (a finding's payload) as fallback text and blocks.

    Args:
        payload: ``origin``, ``terminal``, ``path`` (terminal first), ``regulatory_tags``,
            ``steward``, ``severity``, ``level``, ``opened_at`` (ISO-8601 UTC); optional
            ``event`` (``opened`` | ``escalated`` | ``realert`` | ``reopened``),
            ``previous_severity``, ``finding_id``, ``exposure`` (``full`` | ``partial``),
            ``opened_by`` (query id, type, user, role, time) and ``edges`` (hops origin first
            with level, transform, query id; at most 8 shown); ``finding_kind`` (``egress`` |
            ``boundary``, issue 14) and ``rule`` name what an egress or boundary finding is.
            Missing keys render as ``?``.

    Returns:
        ``(text, blocks)``: header, facts, path, steward warning if none, context. A grouped
        payload (``grouped``: many findings of one origin) is rendered by :func:`render_group_blocks`.
    """
    if payload.get("grouped"):
        return render_group_blocks(payload)
    severity = str(payload.get("severity") or "?").upper()
    origin = payload.get("origin") or "?"
    terminal = payload.get("terminal") or "?"
    raw_path = payload.get("path")
    path = list(raw_path) if isinstance(raw_path, Sequence) and not isinstance(raw_path, str) else []
    if not path:
        path = [terminal, origin]
    hops = len(path) - 1
    tags = payload.get("regulatory_tags") or []
    tag_text = ", ".join(_mrkdwn(str(t)) for t in tags) if isinstance(tags, Sequence) and tags else "none"
    if isinstance(tags, str):
        tag_text = _mrkdwn(tags)
    steward = payload.get("steward")
    level = str(payload.get("level") or "table")
    event = _EVENTS.get(str(payload.get("event") or ""), "")

    partial = payload.get("exposure") == "partial"
    kind = "partial PII exposure" if partial else "unmasked PII path"
    if payload.get("finding_kind") == "egress":  # issue 14 §4
        kind = "sensitive data left the account"
    elif payload.get("finding_kind") == "boundary":  # issue 14 §6
        kind = f"boundary {payload.get('rule') or '?'} crossed"
    title = f"{severity} · {event + ' ' if event else ''}{kind}"
    steward_text = _mrkdwn(str(steward)) if steward else ":warning: no steward"
    blocks = [
        _header(title),
        _fields(
            [
                ("Origin", _code(origin)),
                ("Terminal (unmasked)", _code(terminal)),
                ("Severity", _mrkdwn(severity)),
                ("Regulatory tags", tag_text),
                ("Steward", steward_text),
                ("Level", _mrkdwn(level)),
            ]
        ),
        _section(f"*Path* ({hops} {'hop' if hops == 1 else 'hops'}, origin → terminal)\n{render_path(path)}"),
    ]
    explained = _explanation(payload)
    if explained:
        blocks.append(_section(explained))
    if not steward:
        blocks.append(
            _section(
                ":warning: *No steward* is assigned to this origin: nobody owns fixing this path. "
                "Assign one in the classification registry."
            )
        )
    if level == "table":
        note = "table-level: column lineage unknown; some data of the origin reaches the terminal"
    else:
        note = f"{_mrkdwn(level)}-level"
    if partial:
        note += " · partial: only a fragment of the value (first/last characters) reaches the terminal"
    context = f"opened {_mrkdwn(str(payload.get('opened_at') or '?'))} · {note}"
    if payload.get("previous_severity"):
        context = f"escalated from {_mrkdwn(str(payload['previous_severity']))} · {context}"
    if payload.get("finding_id") is not None:
        context = f"finding #{_mrkdwn(str(payload['finding_id']))} · {context}"
    blocks.append(_context(context))
    text = _cut(
        f"{severity}: {kind} {redact_text(str(origin))} → {redact_text(str(terminal))} "
        f"({hops} {'hop' if hops == 1 else 'hops'}); steward: {redact_text(str(steward)) if steward else 'none'}",
        SECTION_LIMIT,
    )
    return text, blocks


def _explanation(payload: Mapping[str, object]) -> str:
    """Return the "how it got there" text: each hop with its transform and statement, and who opened it."""
    lines: list[str] = []
    opened_by = payload.get("opened_by")
    if isinstance(opened_by, Mapping) and opened_by.get("query_id"):
        who = " as ".join(_mrkdwn(str(v)) for v in (opened_by.get("user"), opened_by.get("role")) if v)
        lines.append(f"*Opened by* statement {_code(opened_by['query_id'])} "
                     f"({_mrkdwn(str(opened_by.get('query_type') or '?'))}"
                     f"{', by ' + who if who else ''}, {_mrkdwn(str(opened_by.get('at') or '?'))})")
    edges = payload.get("edges")
    if isinstance(edges, Sequence) and not isinstance(edges, str) and edges:
        lines.append("*Hops* (origin first)")
        for edge in list(edges)[:MAX_HOPS_SHOWN]:
            if not isinstance(edge, Mapping):
                continue
            how = ", ".join(_mrkdwn(str(v)) for v in (edge.get("level"), edge.get("transform"), edge.get("query_id"))
                            if v)
            lines.append(f"• {_code(edge.get('upstream'))} → {_code(edge.get('downstream'))} ({how})")
        if len(edges) > MAX_HOPS_SHOWN:
            lines.append(f"… {len(edges) - MAX_HOPS_SHOWN} more hops")
    return "\n".join(lines)


def _render_key_values(title: str, payload: Mapping[str, object]) -> tuple[str, list[dict[str, object]]]:
    pairs: list[tuple[str, str]] = []
    for key, value in payload.items():
        shown = _mrkdwn(redact_field(key, value))
        pairs.append((_mrkdwn(str(key)), shown))
    blocks: list[dict[str, object]] = [_header(title)]
    if pairs:
        blocks.append(_fields(pairs))
    if len(pairs) > MAX_FIELDS:
        blocks.append(_context(f"… {len(pairs) - MAX_FIELDS} more fields not shown"))
    summary = "; ".join(f"{k}={v}" for k, v in pairs[:MAX_FIELDS])
    return _cut(f"{title}: {summary}" if summary else title, SECTION_LIMIT), blocks


def render_failed_backfill_blocks(payload: Mapping[str, object]) -> tuple[str, list[dict[str, object]]]:
    """Render a ``failed_backfill`` alert: the window and error, one field per payload key."""
    return _render_key_values("Backfill window failed", payload)


def group_kind(payload: Mapping[str, object]) -> str:
    """Return what a grouped alert counts: ``unmasked PII paths``, ``egress findings`` or
    ``crossings of boundary RULE``."""
    if payload.get("finding_kind") == "egress":
        return "egress findings"
    if payload.get("finding_kind") == "boundary":
        return f"crossings of boundary {payload.get('rule') or '?'}"
    return "unmasked PII paths"


def render_group_blocks(payload: Mapping[str, object]) -> tuple[str, list[dict[str, object]]]:
    """Render a grouped ``unmasked_pii`` alert: many findings of one origin opened (escalated,
    still open, reopened) by one scan, as built by
    :func:`lineage_engine.registry.findings.group_alert_payload`.

    Returns:
        ``(text, blocks)``: header with the count, facts (origin, highest severity, tags,
        steward, levels), the listed findings, the command that lists them all, context.
    """
    count = payload.get("grouped")
    count_text = f"{count:,}" if isinstance(count, int) else "?"
    severity = str(payload.get("severity") or "?").upper()
    origin = payload.get("origin") or "?"
    event = _EVENTS.get(str(payload.get("event") or ""), "")
    kind = group_kind(payload)
    tags = payload.get("regulatory_tags")
    tag_text = ", ".join(_mrkdwn(str(t)) for t in tags) if isinstance(tags, Sequence) and not isinstance(tags, str) \
        and tags else "none"
    steward = payload.get("steward")
    levels = payload.get("levels")
    level_text = ", ".join(f"{_mrkdwn(str(k))} {v}" for k, v in levels.items()) if isinstance(levels, Mapping) else "?"
    blocks = [
        _header(f"{severity} · {event + ' ' if event else ''}{kind}: {count_text} from one origin"),
        _fields([
            ("Origin", _code(origin)),
            ("Findings", _mrkdwn(count_text)),
            ("Highest severity", _mrkdwn(severity)),
            ("Regulatory tags", tag_text),
            ("Steward", _mrkdwn(str(steward)) if steward else ":warning: no steward"),
            ("Levels", level_text),
        ]),
    ]
    listed = payload.get("findings")
    if isinstance(listed, Sequence) and not isinstance(listed, str) and listed:
        lines = [f"*Terminals* (the first {len(listed)}, highest severity first)"]
        for item in listed:
            if isinstance(item, Mapping):
                lines.append(f"• {_code(item.get('terminal'))} {_mrkdwn(str(item.get('severity') or '?'))}, "
                             f"{_mrkdwn(str(item.get('level') or '?'))}"
                             f"{', partial' if item.get('exposure') == 'partial' else ''}"
                             f" (finding #{_mrkdwn(str(item.get('finding_id')))})")
        if isinstance(count, int) and count > len(listed):
            lines.append(f"… and {count - len(listed):,} more")
        blocks.append(_section("\n".join(lines)))
    command = payload.get("list_command")
    if command:
        blocks.append(_section(f"Each with its path and opening statement (the origin's open findings of every "
                               f"kind): `{_mrkdwn(str(command))}`"))
    if not steward:
        blocks.append(_section(":warning: *No steward* is assigned to this origin: nobody owns fixing these paths. "
                               "Assign one in the classification registry."))
    blocks.append(_context(f"{count_text} findings of one origin in one scan, sent as one alert "
                           f"(monitoring.alert_group_above) · {_mrkdwn(str(payload.get('opened_at') or '?'))}"))
    text = _cut(f"{severity}: {count_text} {event.lower() + ' ' if event else ''}{kind} from "
                f"{redact_text(str(origin))}; steward: {redact_text(str(steward)) if steward else 'none'}", SECTION_LIMIT)
    return text, blocks


def render_steward_missing_blocks(payload: Mapping[str, object]) -> tuple[str, list[dict[str, object]]]:
    """Render a ``steward_missing`` alert: a classified asset without a steward or overdue for
    review, or, grouped (``grouped`` in the payload: :func:`lineage_engine.stewards.group_payload`),
    many of one rule: the count, classifications and tags, the first assets, the list command."""
    problem = str(payload.get("problem") or "no steward is assigned")
    count = payload.get("grouped")
    if not isinstance(count, int) or isinstance(count, bool):
        title = "Classified asset has no steward" if "steward" in problem else f"Classified asset: {problem}"
        return _render_key_values(title, payload)
    count_text = f"{count:,}"

    def tally(key: str) -> str:
        found = payload.get(key)
        return (", ".join(f"{_mrkdwn(str(k))} {v}" for k, v in found.items()) or "none") if isinstance(found, Mapping) \
            else "?"

    blocks: list[dict[str, object]] = [
        _header(f"{count_text} classified assets: {problem}"),
        _fields([("Assets", _mrkdwn(count_text)), ("Classifications", tally("classifications")),
                 ("Regulatory tags", tally("regulatory_tags")),
                 ("Review period", _mrkdwn(str(payload.get("review_period_start") or "?")))]),
    ]
    listed = payload.get("assets")
    if isinstance(listed, Sequence) and not isinstance(listed, str) and listed:
        lines = [f"*Assets* (the first {len(listed)})"]
        lines += [f"• {_code(item.get('asset'))} {_mrkdwn(str(item.get('classification') or '?'))}"
                  for item in listed if isinstance(item, Mapping)]
        if count > len(listed):
            lines.append(f"… and {count - len(listed):,} more")
        blocks.append(_section("\n".join(lines)))
    command = payload.get("list_command")
    if command:
        blocks.append(_section(f"Every asset with its steward: `{_mrkdwn(str(command))}`"))
    blocks.append(_context(f"{count_text} assets of one rule in one check, sent as one alert "
                           "(monitoring.alert_group_above)"))
    return _cut(f"{count_text} classified assets: {problem}", SECTION_LIMIT), blocks


def render_drift_blocks(payload: Mapping[str, object]) -> tuple[str, list[dict[str, object]]]:
    """Render a ``drift`` alert (issue 14 §5): what is new, the statement, its user, role and time."""
    return _render_key_values(f"Drift: {payload.get('what', 'sensitive data reached something new')}", payload)


RENDERERS: Mapping[str, Callable[[Mapping[str, object]], tuple[str, list[dict[str, object]]]]] = {
    "unmasked_pii": render_finding_blocks,
    "failed_backfill": render_failed_backfill_blocks,
    "steward_missing": render_steward_missing_blocks,
    "drift": render_drift_blocks,
}


def render_alert(kind: str, payload: Mapping[str, object]) -> tuple[str, list[dict[str, object]]]:
    """Render any outbox alert; an unknown kind gets a generic key/value message naming it."""
    renderer = RENDERERS.get(kind)
    if renderer is not None:
        return renderer(payload)
    return _render_key_values(f"lineage-engine alert: {kind}", payload)
