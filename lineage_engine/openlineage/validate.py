"""Check a received OpenLineage ``RunEvent`` against the spec; name the first error by JSON path. Pure.

The shape is the spec's (OpenLineage 2-0-2 ``RunEvent``; ColumnLineageDatasetFacet 1-2-0):
required ``eventTime`` (date-time with a time zone), ``producer`` and ``schemaURL`` (URIs),
``run.runId`` (a UUID), ``job.namespace``, ``job.name``; optional ``eventType`` (START,
RUNNING, COMPLETE, ABORT, FAIL, OTHER), ``inputs``/``outputs`` (each ``namespace``,
``name``, ``facets``), facets as objects. The ``columnLineage`` facet, which decides column
edges, is checked field by field (``fields.<column>.inputFields[].namespace|name|field``,
``transformations[].type`` DIRECT|INDIRECT, ``masking`` a boolean). Other facets and extra
properties are accepted as the spec allows. Pydantic is the boundary here (an HTTP body).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class TransformationModel(_Open):
    """One transformation of an input field (facet 1-2-0)."""

    type: Literal["DIRECT", "INDIRECT"]
    subtype: str | None = None
    description: str | None = None
    masking: StrictBool | None = None


class InputFieldModel(_Open):
    """An upstream column of an output field."""

    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    field: str = Field(min_length=1)
    transformations: list[TransformationModel] | None = None


class FieldsModel(_Open):
    """The upstream columns of one output column."""

    inputFields: list[InputFieldModel]  # noqa: N815 - the spec's name
    transformationDescription: str | None = None  # noqa: N815
    transformationType: str | None = None  # noqa: N815


class ColumnLineageModel(_Open):
    """The ``columnLineage`` dataset facet."""

    fields: dict[str, FieldsModel]
    dataset: list[InputFieldModel] | None = None


class DatasetFacetsModel(_Open):
    """A dataset's facets: ``columnLineage`` checked, any other facet accepted."""

    columnLineage: ColumnLineageModel | None = None  # noqa: N815


class DatasetModel(_Open):
    """An input or output dataset."""

    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    facets: DatasetFacetsModel | None = None


class RunModel(_Open):
    """The run: ``runId`` is a UUID."""

    runId: str  # noqa: N815
    facets: dict[str, dict[str, Any]] | None = None

    @field_validator("runId")
    @classmethod
    def _uuid(cls, value: str) -> str:
        try:
            uuid.UUID(value)
        except ValueError:
            raise ValueError("runId must be a UUID") from None
        return value


class JobModel(_Open):
    """The job: ``namespace`` and ``name``."""

    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    facets: dict[str, dict[str, Any]] | None = None


class RunEventModel(_Open):
    """An OpenLineage ``RunEvent`` (spec 2-0-2)."""

    eventTime: str  # noqa: N815
    producer: str = Field(min_length=1)
    schemaURL: str = Field(min_length=1)  # noqa: N815
    eventType: Literal["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"] | None = None  # noqa: N815
    run: RunModel
    job: JobModel
    inputs: list[DatasetModel] | None = None
    outputs: list[DatasetModel] | None = None

    @field_validator("eventTime")
    @classmethod
    def _date_time(cls, value: str) -> str:
        try:
            at = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError("eventTime must be an ISO 8601 date-time, e.g. 2026-03-14T10:00:00Z") from None
        if "t" not in value.lower() or at.tzinfo is None:
            raise ValueError("eventTime must be a date-time with a time zone, e.g. 2026-03-14T10:00:00Z")
        return value

    @property
    def at(self) -> datetime:
        """``eventTime`` as an aware UTC datetime."""
        return datetime.fromisoformat(self.eventTime.replace("Z", "+00:00").replace("z", "+00:00")).astimezone(
            timezone.utc)


class EventError(ValueError):
    """A received document is not a valid RunEvent.

    Attributes:
        path: JSON path of the first error (``$.run.runId``); reason: what is wrong.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def check_run_event(document: object) -> RunEventModel:
    """Return the checked event, or raise :class:`EventError` naming the first error's JSON path.

    Raises:
        EventError: the document is not a JSON object, or breaks the spec's shape.
    """
    if not isinstance(document, dict):
        raise EventError("$", "a RunEvent must be a JSON object")
    try:
        return RunEventModel.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        reason = str(first.get("msg") or "invalid").removeprefix("Value error, ")
        raise EventError(json_path(first["loc"]), reason) from None


def json_path(loc: list[Any] | tuple[Any, ...]) -> str:
    """Return a pydantic error location as a JSON path: ``$.outputs[0].facets.columnLineage``."""
    out = "$"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.fullmatch(str(part)):
            out += f".{part}"
        else:
            out += "[" + repr(str(part)).replace("'", '"') + "]"
    return out
