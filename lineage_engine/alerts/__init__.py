"""Alert rendering and delivery: outbox -> :class:`Notifier` (Slack or console).

Heavy transports are imported from their modules (``alerts.slack``, ``alerts.console``),
not here, so importing the protocol costs nothing.
"""

from __future__ import annotations

from lineage_engine.alerts.notifier import Notifier

__all__ = ["Notifier"]
