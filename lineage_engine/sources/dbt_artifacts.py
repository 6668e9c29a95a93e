"""Load a dbt target folder: ``manifest.json``, ``catalog.json`` and ``run_results.json`` (issue 16).

What is read (dbt artifact schemas, schemas.getdbt.com; docs.getdbt.com "About dbt artifacts"):

- ``manifest.json`` (required): ``metadata.dbt_schema_version`` (``.../manifest/vN.json``),
  ``adapter_type``; ``nodes`` (models, seeds, snapshots; tests and operations are ignored)
  with ``database``, ``schema``, ``alias``, ``relation_name``, ``config.materialized``,
  ``depends_on.nodes`` and ``compiled_code``; ``sources`` with ``database``, ``schema``,
  ``identifier``.
- ``run_results.json`` (required for lineage): ``metadata.invocation_id``, ``generated_at``,
  ``args.which`` (the command), and per node ``status`` and ``timing`` (the ``execute``
  step's ``completed_at`` is when the relation was built) and ``compiled_code``.
- ``catalog.json`` (optional, from ``dbt docs generate``): each relation's columns in
  table order: the schema the compiled SQL is read against.

Supported: dbt 1.3 and later: manifest schema v7 to v12, run-results v4 to v6, catalog v1.
A newer schema is read with a warning (its fields are a superset so far); an older one, or a
missing or unreadable manifest, is an :class:`~lineage_engine.errors.ArtifactError` naming the
file and the supported versions.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineage_engine.errors import ArtifactError

log = logging.getLogger(__name__)

SUPPORTED = {"manifest": (7, 12), "run-results": (4, 6), "catalog": (1, 1)}
"""Artifact schema versions read, per artifact: (oldest, newest known)."""
SUPPORTED_DBT = "dbt 1.3 or later (manifest v7-v12, run-results v4-v6, catalog v1)"
EXECUTING_COMMANDS = frozenset({"run", "build", "seed", "snapshot"})
"""``args.which`` of a run_results.json whose results built relations (``compile``,
``docs generate``, ``test`` build nothing)."""

_VERSION = re.compile(r"/(manifest|run-results|catalog)/v(\d+)\.json$")


@dataclass(frozen=True)
class DbtArtifacts:
    """The parts of one dbt target folder the dbt source uses (plain JSON values).

    Attributes:
        folder: the target folder (absolute).
        adapter_type: ``metadata.adapter_type`` of the manifest (``snowflake``, ``duckdb`` ...).
        nodes: manifest ``nodes`` by unique id (all resource types).
        sources: manifest ``sources`` by unique id.
        run: ``run_results.json`` (None when the folder has none).
        catalog_columns: unique id -> column names in table order (empty without catalog.json).
        notes: what a person should know (a newer schema, a run_results of a command that builds nothing).
    """

    folder: Path
    adapter_type: str
    nodes: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, Any]]
    run: dict[str, Any] | None
    catalog_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def invocation_id(self) -> str | None:
        """The run's ``invocation_id`` (None without run_results.json)."""
        return (self.run or {}).get("metadata", {}).get("invocation_id")

    @property
    def command(self) -> str | None:
        """The dbt command that wrote run_results.json (``args.which``), None when unknown."""
        args = (self.run or {}).get("args") or {}
        which = args.get("which")
        return str(which) if which else None

    @property
    def executed(self) -> bool:
        """True when run_results.json holds a command that builds relations (run, build, seed, snapshot)."""
        return self.run is not None and self.command in EXECUTING_COMMANDS


def load_dbt_artifacts(folder: Path) -> DbtArtifacts:
    """Read and check the artifacts of a dbt target folder.

    Raises:
        ArtifactError: the folder or ``manifest.json`` is missing or unreadable, or an artifact's
            schema is older than supported (the message names the file and the supported dbt
            versions).
    """
    source = f"dbt:{folder}"
    if not folder.is_dir():
        raise ArtifactError(source, str(folder), f"dbt target folder '{folder}' does not exist; point telemetry.path "
                                                 "at the folder dbt writes its artifacts to (target/)")
    notes: list[str] = []
    manifest = _read(folder / "manifest.json", "manifest", source, notes, required=True)
    assert manifest is not None
    run = _read(folder / "run_results.json", "run-results", source, notes, required=False)
    catalog = _read(folder / "catalog.json", "catalog", source, notes, required=False)
    nodes = manifest.get("nodes")
    sources = manifest.get("sources")
    if not isinstance(nodes, dict) or not isinstance(sources, dict):
        manifest_path = folder / "manifest.json"
        raise ArtifactError(source, str(manifest_path), f"{manifest_path} has no 'nodes' or 'sources' mapping; is it "
                                                        f"a dbt manifest? Supported: {SUPPORTED_DBT}")
    columns: dict[str, tuple[str, ...]] = {}
    for section in ("nodes", "sources"):
        for unique_id, entry in ((catalog or {}).get(section) or {}).items():
            cols = (entry or {}).get("columns") or {}
            ordered = sorted(cols.values(), key=lambda c: (c.get("index") or 0, str(c.get("name"))))
            columns[unique_id] = tuple(str(c.get("name")) for c in ordered if c.get("name"))
    metadata = manifest.get("metadata") or {}
    artifacts = DbtArtifacts(folder=folder, adapter_type=str(metadata.get("adapter_type") or ""), nodes=nodes,
                             sources=sources, run=run, catalog_columns=columns, notes=tuple(notes))
    if run is None:
        notes.append(f"{folder / 'run_results.json'} is missing: no dbt run to read (run 'dbt run' or 'dbt build')")
        artifacts = DbtArtifacts(**{**artifacts.__dict__, "notes": tuple(notes)})
    elif not artifacts.executed:
        notes.append(f"run_results.json was written by 'dbt {artifacts.command or 'unknown'}', which builds nothing; "
                     "no model run to read (run 'dbt docs generate --no-write-json' after 'dbt build' to keep it)")
        artifacts = DbtArtifacts(**{**artifacts.__dict__, "notes": tuple(notes)})
    return artifacts


def _read(path: Path, kind: str, source: str, notes: list[str], *, required: bool) -> dict[str, Any] | None:
    """Return one artifact's JSON after checking its schema version; None when optional and absent."""
    if not path.is_file():
        if required:
            raise ArtifactError(source, str(path), f"{path} is missing: run 'dbt compile', 'dbt run' or 'dbt build' "
                                                   f"first (supported: {SUPPORTED_DBT})")
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(source, str(path), f"{path} cannot be read as JSON ({type(exc).__name__}); "
                                               f"supported: {SUPPORTED_DBT}") from None
    if not isinstance(data, dict):
        raise ArtifactError(source, str(path), f"{path} is not a dbt artifact (a JSON object); "
                                               f"supported: {SUPPORTED_DBT}")
    schema = str((data.get("metadata") or {}).get("dbt_schema_version") or "")
    match = _VERSION.search(schema)
    if match is None or match.group(1) != kind:
        raise ArtifactError(source, str(path), f"{path} has no {kind} schema version (metadata.dbt_schema_version "
                                               f"is '{schema[:80]}'); supported: {SUPPORTED_DBT}")
    version = int(match.group(2))
    oldest, newest = SUPPORTED[kind]
    if version < oldest:
        dbt_version = (data.get("metadata") or {}).get("dbt_version") or "unknown"
        raise ArtifactError(source, str(path), f"{path} is {kind} schema v{version} (dbt {dbt_version}), older than "
                                               f"supported: {SUPPORTED_DBT}; upgrade dbt and build again")
    if version > newest:
        notes.append(f"{path.name} is {kind} schema v{version}, newer than the v{newest} this version knows; "
                     f"read as v{newest}")
        log.warning("%s is %s schema v%d, newer than v%d; reading it as v%d", path, kind, version, newest, newest)
    return data
