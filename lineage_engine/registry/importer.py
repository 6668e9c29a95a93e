"""Load classification files (YAML or CSV) written by compliance staff, and import them.

Both formats carry the same fields, one asset per entry:

=================  ========  ==========================================================
field              required  value
=================  ========  ==========================================================
catalog_path       yes       ``db.schema.table`` (dataset) or ``db.schema.table.column``
classification     yes       public | internal | confidential | restricted
asset_type         no        dataset | column; inferred from the number of parts
regulatory_tags    no        YAML list, or text split on ``;`` or ``,`` (``pii;gdpr``)
steward            no        person or team responsible
masking_policy     no        masking policy name; empty or ``NONE`` = unmasked
reviewed_at        no        ``YYYY-MM-DD`` (midnight UTC) or ISO 8601; naive = UTC
=================  ========  ==========================================================

Field names match without regard to case or underscores, so the guide's camelCase
(``catalogPath``, ``regulatoryTags``, ``maskingPolicy``) works as well as snake_case.
YAML is a list of assets or a mapping ``assets: [...]``; CSV has a header row. Paths,
classifications and tags are lower-cased. The whole file is validated before anything is
applied; the first problem raises :class:`RegistryImportError` with its row (YAML: 1-based
list index; CSV: line number, the header being line 1).
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from lineage_engine.errors import InputError, RegistryImportError
from lineage_engine.model import CLASSIFICATION_LEVELS, Asset, canonical_id
from lineage_engine.registry.assets import normalize_asset, normalize_tags, path_problem, quote_problem
from lineage_engine.registry.records import UpsertReport
from lineage_engine.registry.tables import ASSET_TYPES

_Fail = Callable[[str], RegistryImportError]
"""Builds the error for the entry being read, from a reason."""

if TYPE_CHECKING:
    from lineage_engine.registry.repository import Registry

FIELDS: tuple[str, ...] = (
    "catalog_path", "asset_type", "classification", "regulatory_tags", "steward", "masking_policy", "reviewed_at",
)  # fmt: skip
_BY_FOLDED = {name.replace("_", ""): name for name in FIELDS}
_SPELLINGS = [*FIELDS, "catalogPath", "assetType", "regulatoryTags", "maskingPolicy", "reviewedAt"]
_TAG_SPLIT = re.compile(r"[;,]")


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps timestamps as text, so a bad date is reported with its row."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def load_classifications(path: Path) -> list[Asset]:
    """Read and validate a classification file; return its assets in file order.

    Raises:
        InputError: the file is missing, unreadable, of another type, or not valid YAML/CSV.
        RegistryImportError: an entry is invalid or a catalog path repeats (``row`` says where).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise InputError(str(path), "unsupported classification file type; use .yaml, .yml or .csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        raise InputError(str(path), f"cannot read the classification file ({reason})") from None
    entries = _csv_entries(path, text) if suffix == ".csv" else _yaml_entries(path, text)
    assets: list[Asset] = []
    rows_by_path: dict[str, int] = {}
    for row, where, raw in entries:
        asset = _parse_entry(raw, functools.partial(_row_error, str(path), row, where))
        if asset.catalog_path in rows_by_path:
            raise RegistryImportError(
                str(path), row,
                f"catalog_path '{asset.catalog_path}' already appears at row {rows_by_path[asset.catalog_path]}"
                f"{where}; keep one entry per path",
            )  # fmt: skip
        rows_by_path[asset.catalog_path] = row
        assets.append(asset)
    return assets


def import_classifications(registry: Registry, path: Path) -> UpsertReport:
    """Load ``path`` and upsert its assets in one transaction: all of the file or nothing.

    Raises:
        InputError: see :func:`load_classifications`; nothing is applied.
        RegistryError: the database failed; nothing is applied.
    """
    return registry.upsert_assets(load_classifications(path))


def _row_error(input_name: str, row: int, where: str, reason: str) -> RegistryImportError:
    return RegistryImportError(input_name, row, f"{reason}{where}")


def _yaml_entries(path: Path, text: str) -> Iterator[tuple[int, str, Any]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(str(path), f"not valid YAML{at}; nothing was imported") from None
    finally:
        loader.dispose()
    if data is None:
        return
    items, items_node = data, node
    if isinstance(data, Mapping):
        if set(data) != {"assets"}:
            raise InputError(str(path), "expected a list of assets or a mapping with the single key 'assets'")
        items = data["assets"] or []
        items_node = next(v for k, v in node.value if k.value == "assets")
    if not isinstance(items, list):
        raise InputError(str(path), "expected a list of assets (each a mapping with catalog_path, classification, ...)")
    for index, raw in enumerate(items):
        line = items_node.value[index].start_mark.line + 1
        yield index + 1, f" (line {line})", raw


def _csv_entries(path: Path, text: str) -> Iterator[tuple[int, str, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise InputError(str(path), f"empty CSV file; the first line must be a header ({', '.join(FIELDS)})")
        names = [h.strip() for h in header]
        for name in names:
            if name and names.count(name) > 1:
                raise RegistryImportError(str(path), 1, f"header column '{name}' appears twice")
        _canonical({n: None for n in names if n}, functools.partial(_row_error, str(path), 1, ""))
        line = reader.line_num
        for values in reader:
            start, line = line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(names):
                raise RegistryImportError(
                    str(path), start, f"{len(values)} fields but the header has {len(names)}; quote values with commas"
                )
            yield start, "", {n: v for n, v in zip(names, values, strict=False) if n or v.strip()}
    except csv.Error as err:
        reason = f"not valid CSV near line {reader.line_num} ({err}); nothing was imported"
        raise InputError(str(path), reason) from None


def _canonical(raw: Mapping[Any, Any], fail: _Fail) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        name = _BY_FOLDED.get(str(key).replace("_", "").lower())
        if name is None:
            close = difflib.get_close_matches(str(key), _SPELLINGS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known fields: {', '.join(FIELDS)}"
            raise fail(f"unknown field '{key}'{hint}")
        if name in fields:
            raise fail(f"field '{name}' is given twice (as snake_case and camelCase?)")
        if isinstance(value, str):
            value = value.strip()
        fields[name] = None if value == "" else value
    return fields


def _text(fields: Mapping[str, Any], name: str, fail: _Fail) -> str | None:
    value = fields.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise fail(f"{name} must be text, got {type(value).__name__}")


def _parse_entry(raw: Any, fail: _Fail) -> Asset:
    if not isinstance(raw, Mapping):
        raise fail(f"expected a mapping with catalog_path, classification, ... but got {type(raw).__name__}")
    fields = _canonical(raw, fail)
    written = _text(fields, "catalog_path", fail) or ""
    problem = quote_problem(written)
    if problem:
        raise fail(problem)
    path = canonical_id(written)
    if not path:
        raise fail("catalog_path is empty; give db.schema.table or db.schema.table.column")
    classification = (_text(fields, "classification", fail) or "").lower()
    if classification not in CLASSIFICATION_LEVELS:
        shown = f"'{classification}'" if classification else "missing"
        raise fail(f"classification {shown} is not one of {', '.join(CLASSIFICATION_LEVELS)}")
    asset_type = (_text(fields, "asset_type", fail) or "").lower() or None
    if asset_type is not None and asset_type not in ASSET_TYPES:
        raise fail(f"asset_type '{asset_type}' is not one of {', '.join(ASSET_TYPES)} (or leave it out)")
    problem = path_problem(path, asset_type)
    if problem:
        raise fail(problem)
    asset = Asset(
        catalog_path=path,
        asset_type=asset_type or ("dataset" if path.count(".") == 2 else "column"),
        classification=classification,
        regulatory_tags=_tags(fields.get("regulatory_tags"), fail),
        steward=_text(fields, "steward", fail),
        masking_policy=_text(fields, "masking_policy", fail),
        reviewed_at=_reviewed_at(fields.get("reviewed_at"), fail),
    )
    try:
        return normalize_asset(asset)
    except ValueError as err:  # defensive: the checks above should cover it
        raise fail(str(err)) from None


def _tags(value: Any, fail: _Fail) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return normalize_tags(_TAG_SPLIT.split(value))
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return normalize_tags(value)
    raise fail("regulatory_tags must be a list of text or text like 'pii;gdpr'")


def _reviewed_at(value: Any, fail: _Fail) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).strip())  # YAML timestamps arrive as text
    except ValueError:
        raise fail(
            f"reviewed_at '{value}' is not a date; use YYYY-MM-DD or ISO 8601 like 2024-03-14T09:00:00Z"
        ) from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
