"""A received transformation's free-text ``description`` cannot mask what its ``masking`` flag says is clear.

ColumnLineageDatasetFacet 1-2-0: ``masking`` is true "when the output holds no original data";
``description`` is free text. A transformation ``DIRECT/IDENTITY, masking: false`` described
"masked" (a producer's note) was read as masked, so the copy of the e-mail it reports was not
a finding. Our own exports (``masked`` with ``masking: true``) still round-trip.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled, terminals


def _field(masking: bool, description: str) -> dict[str, object]:
    return {"inputFields": [{"namespace": "snowflake://local", "name": "DB.S.PII", "field": "EMAIL", "transformations": [
        {"type": "DIRECT", "subtype": "IDENTITY", "masking": masking, "description": description}]}]}


def test_description_does_not_override_the_masking_flag(tmp_path: Path) -> None:
    config = crawled(tmp_path, [("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)")])
    event = {
        "eventType": "COMPLETE", "eventTime": "2026-05-04T10:00:00Z", "producer": "https://spark.example/1",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0b5e2f0e-3c5a-4a77-9a3e-1f0e6f1d2c3b"}, "job": {"namespace": "spark", "name": "export"},
        "inputs": [{"namespace": "snowflake://local", "name": "DB.S.PII"}],
        "outputs": [{"namespace": "s3://partner", "name": "/x", "facets": {"columnLineage": {
            "_producer": "p", "_schemaURL": "s", "fields": {
                "email_noted": _field(False, "masked"),
                "email_hashed": _field(True, "masked")}}}}]}
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(event) + "\n", encoding="utf-8")
    run_cli(config, "openlineage", "load", str(events))
    run_cli(config, "crawl")
    assert terminals(config) == {("db.s.pii.email", "s3://partner.email_noted")}
