"""Pure OpenLineage conversion (issue 16): naming, transforms, validation paths, reduction."""

from __future__ import annotations

import copy

import pytest

from lineage_engine.model import TRANSFORMS
from lineage_engine.openlineage.ingest import lineage_events
from lineage_engine.openlineage.naming import dataset_of, name_of
from lineage_engine.openlineage.received import digest, reduced
from lineage_engine.openlineage.transforms import transform_of, transformation_of
from lineage_engine.openlineage.validate import EventError, check_run_event

WAREHOUSE = "snowflake://myorg-acct"
RUN = "0b5e2f0e-3c5a-4a77-9a3e-1f0e6f1d2c3b"


def _event(**changes: object) -> dict[str, object]:
    event: dict[str, object] = {
        "eventType": "COMPLETE", "eventTime": "2026-03-14T10:00:00Z", "producer": "https://spark.example/1",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": RUN}, "job": {"namespace": "spark", "name": "copy_customers",
                                       "facets": {"sql": {"query": "select * from t where email = 'jane@x'"}}},
        "inputs": [{"namespace": "snowflake://MyOrg-Acct", "name": "PROD.RAW.CUSTOMERS"}],
        "outputs": [{"namespace": "s3://exports", "name": "/customers/2026-03-14", "facets": {"columnLineage": {
            "_producer": "p", "_schemaURL": "s", "fields": {
                "email": {"inputFields": [{"namespace": "snowflake://myorg-acct", "name": "prod.raw.customers",
                                           "field": "EMAIL", "transformations": [
                                               {"type": "DIRECT", "subtype": "IDENTITY", "masking": False}]}]},
                "email_hash": {"inputFields": [{"namespace": "snowflake://myorg-acct", "name": "prod.raw.customers",
                                                "field": "email", "transformations": [
                                                    {"type": "DIRECT", "subtype": "TRANSFORMATION", "masking": True,
                                                     "description": "sha2(email) where x = 'secret'"}]}]}}}}}],
    }
    event.update(changes)
    return event


def test_names_map_to_ids_and_back() -> None:
    assert dataset_of(WAREHOUSE, "PROD.RAW.CUSTOMERS", WAREHOUSE).id == "prod.raw.customers"
    assert dataset_of("S3://exports/", "/a/b/2026", WAREHOUSE).id == "s3://exports"
    other = dataset_of("postgres://db:5432", "shop.public.users", WAREHOUSE)
    assert other.id == "postgres://db:5432/shop.public.users" and other.kind == "external"
    assert dataset_of("bigquery", "p.d.t", WAREHOUSE).id == "bigquery:///p.d.t"
    for dataset_id in ("prod.raw.customers", 'db.s."a.b"', "@db.s.stage", "s3://exports",
                       "postgres://db:5432/shop.public.users", "bigquery:///p.d.t"):
        assert dataset_of(*name_of(dataset_id, WAREHOUSE), WAREHOUSE).id == dataset_id


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("kind", ["DIRECT", "INDIRECT"])
def test_transforms_round_trip(transform: str, kind: str) -> None:
    step = transformation_of(transform, kind)
    assert step["type"] == kind and step["masking"] is (transform in ("masked", "counted"))
    assert transform_of(step) == (transform, kind)


def test_foreign_transformations_read_conservatively() -> None:
    assert transform_of({"type": "DIRECT", "masking": True}) == ("masked", "DIRECT")
    assert transform_of({"type": "DIRECT", "subtype": "AGGREGATION"}) == ("aggregation", "DIRECT")
    assert transform_of({"type": "DIRECT", "subtype": "WHATEVER"}) == ("expression", "DIRECT")
    assert transform_of({"type": "INDIRECT", "subtype": "FILTER"}) == ("expression", "INDIRECT")
    assert transform_of(None, "MASKED") == ("masked", "DIRECT")
    assert transform_of(None, None) == ("expression", "DIRECT")


def test_complete_event_becomes_lineage_with_masked_columns() -> None:
    [event] = lineage_events(check_run_event(_event()), WAREHOUSE)
    assert event.target.id == "s3://exports" and [s.id for s in event.sources] == ["prod.raw.customers"]
    assert event.provenance == "openlineage" and event.operation.value == "insert" and not event.replaces
    edges = {(c.target, c.source): c.transform for c in event.columns}
    assert edges == {("s3://exports.email", "prod.raw.customers.email"): "identity",
                     ("s3://exports.email_hash", "prod.raw.customers.email"): "masked"}
    assert event.query_id == f"spark/copy_customers@{RUN}"
    for other in ("START", "RUNNING", "FAIL", "ABORT", "OTHER"):
        assert lineage_events(check_run_event(_event(eventType=other)), WAREHOUSE) == []


@pytest.mark.parametrize(("change", "path"), [
    (lambda e: e["run"].update(runId="not-a-uuid"), "$.run.runId"),
    (lambda e: e.pop("eventTime"), "$.eventTime"),
    (lambda e: e.update(eventTime="2026-03-14"), "$.eventTime"),
    (lambda e: e.update(eventType="DONE"), "$.eventType"),
    (lambda e: e["job"].pop("name"), "$.job.name"),
    (lambda e: e["outputs"][0]["facets"]["columnLineage"]["fields"]["email"]["inputFields"][0].pop("field"),
     "$.outputs[0].facets.columnLineage.fields.email.inputFields[0].field"),
    (lambda e: e["outputs"][0]["facets"]["columnLineage"]["fields"]["email"]["inputFields"][0][
        "transformations"][0].update(masking="yes"),
     "$.outputs[0].facets.columnLineage.fields.email.inputFields[0].transformations[0].masking"),
])
def test_first_error_is_named_by_json_path(change, path: str) -> None:  # type: ignore[no-untyped-def]
    event = _event()
    change(event)
    with pytest.raises(EventError) as caught:
        check_run_event(event)
    assert caught.value.path == path


def test_stored_form_drops_free_text_and_is_stable() -> None:
    body = reduced(check_run_event(_event()))
    text = repr(body)
    assert "jane@x" not in text and "secret" not in text and "sql" not in body["job"]
    assert digest(body) == digest(reduced(check_run_event(copy.deepcopy(_event()))))
    assert lineage_events(check_run_event(body), WAREHOUSE) == lineage_events(check_run_event(_event()), WAREHOUSE)
