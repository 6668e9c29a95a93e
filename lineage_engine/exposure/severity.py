"""Rate an exposure path from its origin's regulatory tags and classification (design §7).

Pure: stdlib only. The rating is configuration, not code: ``compliance.risk_thresholds``
maps *risk keys* to a severity, and ``compliance.tag_risk_keys`` says which risk key each
regulatory tag falls under::

    risk_thresholds = {"pii_exposure": "HIGH", "financial_data": "MEDIUM",
                       "health_data": "HIGH", "restricted": "HIGH"}
    tag_risk_keys   = {"pii": "pii_exposure", "gdpr": "pii_exposure", ...}

Rules, in order:

1. Every regulatory tag of the origin contributes the severity of its risk key: the key from
   ``tag_risk_keys`` (case-insensitive), or the tag itself when it is a ``risk_thresholds``
   key (so ``risk_thresholds: {sox: CRITICAL}`` works without a mapping entry).
2. The origin's classification contributes the severity of the ``risk_thresholds`` key of the
   same name, if any (``restricted: HIGH`` rates a restricted origin without tags).
3. The highest contribution wins (``LOW < MEDIUM < HIGH < CRITICAL``); with none, ``LOW``.

A **partial exposure** (a fragment such as the last four digits reaches the terminal; issue
10) is rated ``risk_thresholds.partial_exposure`` when that key is set, else one level
below the full exposure's severity (never below ``LOW``): :func:`partial_severity`.

Keys of ``risk_thresholds`` that no tag or classification reaches are never read, so other
settings living in that mapping cannot break a scan; a key that *is* read must hold a known
severity or :func:`severity_for` raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

SEVERITIES: tuple[str, ...] = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
"""Severities, least to most urgent."""

DEFAULT_SEVERITY = "LOW"

DEFAULT_TAG_RISK_KEYS: Mapping[str, str] = {
    "pii": "pii_exposure",
    "gdpr": "pii_exposure",
    "ccpa": "pii_exposure",
    "financial": "financial_data",
    "sox": "financial_data",
    "pci": "financial_data",
    "health": "health_data",
    "phi": "health_data",
    "hipaa": "health_data",
}
"""Which ``risk_thresholds`` key each common regulatory tag falls under."""


def severity_rank(severity: str) -> int:
    """Return the 0-based rank of ``severity`` in :data:`SEVERITIES` (case-insensitive).

    Raises:
        ValueError: ``severity`` is not one of :data:`SEVERITIES`.
    """
    value = severity.strip().upper()
    if value not in SEVERITIES:
        raise ValueError(f"unknown severity '{severity}'; use one of {', '.join(SEVERITIES)}")
    return SEVERITIES.index(value)


def severity_for(
    tags: Iterable[str],
    classification: str | None,
    risk_thresholds: Mapping[str, str],
    tag_risk_keys: Mapping[str, str] = DEFAULT_TAG_RISK_KEYS,
) -> str:
    """Return the severity of an exposure of data with these tags and classification.

    Args:
        tags: the origin's regulatory tags, any case.
        classification: the origin's classification (``public`` … ``restricted``), or None.
        risk_thresholds: ``compliance.risk_thresholds``: risk key -> severity.
        tag_risk_keys: regulatory tag -> risk key; defaults to :data:`DEFAULT_TAG_RISK_KEYS`.

    Returns:
        One of :data:`SEVERITIES`, upper-case: the highest that applies, else ``LOW``.

    Raises:
        ValueError: a ``risk_thresholds`` entry that applies holds an unknown severity
            (the message names the key).
    """
    thresholds = {str(k).strip().lower(): v for k, v in risk_thresholds.items()}
    mapping = {str(k).strip().lower(): str(v).strip().lower() for k, v in tag_risk_keys.items()}

    keys: list[str] = []
    for tag in tags:
        t = tag.strip().lower()
        if t in mapping:
            keys.append(mapping[t])
        elif t in thresholds:
            keys.append(t)
    if classification:
        keys.append(classification.strip().lower())

    best = SEVERITIES.index(DEFAULT_SEVERITY)
    for key in keys:
        if key not in thresholds:
            continue
        try:
            rank = severity_rank(str(thresholds[key]))
        except ValueError as exc:
            raise ValueError(f"compliance.risk_thresholds.{key}: {exc}") from None
        best = max(best, rank)
    return SEVERITIES[best]


PARTIAL_EXPOSURE_KEY = "partial_exposure"
"""The ``compliance.risk_thresholds`` key that rates partial exposures."""


def partial_severity(full: str, risk_thresholds: Mapping[str, str]) -> str:
    """Return the severity of a partial exposure whose full exposure would be ``full``.

    ``risk_thresholds["partial_exposure"]`` when set (any case), else one level below
    ``full`` (``HIGH`` -> ``MEDIUM``; ``LOW`` stays ``LOW``).

    Raises:
        ValueError: ``full`` or the configured value is not a severity (the message names the key).
    """
    for key, value in risk_thresholds.items():
        if str(key).strip().lower() == PARTIAL_EXPOSURE_KEY:
            try:
                return SEVERITIES[severity_rank(str(value))]
            except ValueError as exc:
                raise ValueError(f"compliance.risk_thresholds.{PARTIAL_EXPOSURE_KEY}: {exc}") from None
    return SEVERITIES[max(0, severity_rank(full) - 1)]
