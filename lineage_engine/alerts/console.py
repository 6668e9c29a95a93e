"""Print alerts to a terminal: the notifier when no Slack webhook is configured."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from lineage_engine.alerts.render import group_kind, redact_field, redact_text

_COLOURS = {"CRITICAL": "bold red", "HIGH": "red", "MEDIUM": "yellow", "LOW": "cyan"}


def _arrows(path: object, origin: object, terminal: object) -> str:
    ids = list(path) if isinstance(path, list | tuple) and path else [terminal, origin]
    return " → ".join(str(i) for i in reversed(ids))


class ConsoleNotifier:
    """Print one compact panel per alert on a ``rich`` console."""

    def __init__(self, console: Console) -> None:
        self._console = console

    def send_alert(self, kind: str, payload: Mapping[str, object]) -> None:
        """Print the alert. Never raises :class:`DeliveryError` (a terminal always takes it)."""
        if kind == "unmasked_pii" and payload.get("grouped"):  # many findings of one origin in one alert
            severity = str(payload.get("severity") or "?").upper()
            listed = payload.get("findings") if isinstance(payload.get("findings"), list) else []
            count = payload.get("grouped")
            lines = [f"origin: {payload.get('origin')}",
                     *(f"  → {item.get('terminal')} ({item.get('severity')}, finding #{item.get('finding_id')})"
                       for item in listed if isinstance(item, dict)),
                     *([f"  … and {count - len(listed):,} more"] if isinstance(count, int) and count > len(listed) else []),
                     f"steward: {payload.get('steward') or 'NONE (assign one)'}",
                     f"all of them: {payload.get('list_command')}"]
            title = f"{severity} · {count} {payload.get('event') or ''} {group_kind(payload)} from one origin"
            style = _COLOURS.get(severity, "white")
        elif kind == "unmasked_pii":
            severity = str(payload.get("severity") or "?").upper()
            steward = payload.get("steward")
            tags = payload.get("regulatory_tags") or []
            lines = [
                _arrows(payload.get("path"), payload.get("origin"), payload.get("terminal")),
                f"tags: {', '.join(map(str, tags)) if isinstance(tags, list | tuple) else tags or 'none'}"
                f" · steward: {steward or 'NONE (assign one)'} · level: {payload.get('level') or 'table'}",
                f"opened: {payload.get('opened_at') or '?'}",
            ]
            title = f"{severity} · {'partial' if payload.get('exposure') == 'partial' else 'unmasked'} PII path"
            if payload.get("finding_kind") == "egress":  # issue 14 §4
                title = f"{severity} · egress: sensitive data left the account"
            elif payload.get("finding_kind") == "boundary":  # issue 14 §6
                title = f"{severity} · boundary {payload.get('rule') or '?'} crossed"
            style = _COLOURS.get(severity, "white")
        elif kind == "steward_missing" and payload.get("grouped"):  # many assets of one rule (stewards.group_payload)
            listed = payload.get("assets") if isinstance(payload.get("assets"), list) else []
            count = payload.get("grouped")
            lines = [*(f"  {item.get('asset')} ({item.get('classification') or '?'})"
                       for item in listed if isinstance(item, dict)),
                     *([f"  … and {count - len(listed):,} more"] if isinstance(count, int) and count > len(listed) else []),
                     f"review period: {payload.get('review_period_start')}",
                     f"all of them: {payload.get('list_command')}"]
            title = f"{kind} · {count} classified assets: {payload.get('problem')}"
            style = "magenta"
        else:
            lines = [f"{k}: {redact_field(k, v)}" for k, v in payload.items()]
            title = kind
            style = "magenta"
        body = escape(redact_text("\n".join(lines)))
        self._console.print(Panel(body, title=escape(title), border_style=style, expand=False))
