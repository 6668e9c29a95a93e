from __future__ import annotations

import pytest

from lineage_engine.exposure.severity import DEFAULT_TAG_RISK_KEYS, partial_severity, severity_for, severity_rank

THRESHOLDS = {"pii_exposure": "HIGH", "financial_data": "MEDIUM", "health_data": "HIGH", "restricted": "CRITICAL"}


@pytest.mark.parametrize(
    ("tags", "classification", "expected"),
    [
        (("pii",), "confidential", "HIGH"),
        (("GDPR",), None, "HIGH"),  # case-insensitive tag
        (("sox",), "internal", "MEDIUM"),
        (("pci", "hipaa"), "internal", "HIGH"),  # highest wins
        (("sox",), "restricted", "CRITICAL"),  # classification key applies
        ((), "restricted", "CRITICAL"),
        (("marketing",), "internal", "LOW"),  # nothing applies: fallback
        ((), None, "LOW"),
    ],
)
def test_severity_for(tags, classification, expected):
    assert severity_for(tags, classification, THRESHOLDS, DEFAULT_TAG_RISK_KEYS) == expected


def test_tag_that_is_itself_a_risk_key():
    assert severity_for(("sox",), None, {"sox": "critical"}, {}) == "CRITICAL"


def test_custom_mapping_overrides_defaults():
    assert severity_for(("pii",), None, THRESHOLDS, {"pii": "financial_data"}) == "MEDIUM"


def test_restricted_without_threshold_is_low():
    assert severity_for((), "restricted", {"pii_exposure": "HIGH"}) == "LOW"


def test_unknown_severity_that_applies_raises_with_key():
    with pytest.raises(ValueError, match=r"risk_thresholds\.pii_exposure.*SEVERE"):
        severity_for(("pii",), None, {"pii_exposure": "SEVERE"})


def test_unused_odd_threshold_is_ignored():
    assert severity_for(("pii",), None, {"pii_exposure": "HIGH", "max_hops": 10}) == "HIGH"


def test_severity_rank_order():
    assert [severity_rank(s) for s in ("low", "MEDIUM", "High", "CRITICAL")] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("full", "thresholds", "expected"),
    [("HIGH", {}, "MEDIUM"), ("CRITICAL", {}, "HIGH"), ("LOW", {}, "LOW"),
     ("HIGH", {"partial_exposure": "low"}, "LOW"), ("MEDIUM", {"Partial_Exposure": "HIGH"}, "HIGH")],
)
def test_partial_severity_is_configured_or_one_level_below(full, thresholds, expected):
    assert partial_severity(full, thresholds) == expected


def test_partial_severity_names_the_key_of_a_bad_value():
    with pytest.raises(ValueError, match="compliance.risk_thresholds.partial_exposure"):
        partial_severity("HIGH", {"partial_exposure": "URGENT"})
