"""lineage-engine: data lineage from warehouse query history, with PII exposure paths."""

__version__ = "0.1.0"
