"""``lineage-engine evidence``: collect, render, write and verify a pack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lineage_engine.evidence.collect import Evidence, collect
from lineage_engine.evidence.files import pack_files
from lineage_engine.evidence.manifest import check_out, write_pack
from lineage_engine.report_rows import iso


@dataclass(frozen=True, slots=True)
class PackReport:
    """What :func:`write_evidence` wrote: the folder, its file count, the pack digest and the evidence."""

    out: Path
    files: int
    digest: str
    evidence: Evidence


def write_evidence(settings: Any, as_of: datetime, out: Path, origins: tuple[str, ...] = (),
                   now: datetime | None = None) -> PackReport:
    """Write the evidence pack as of ``as_of`` into the new folder ``out``; read-only on the stores.

    Raises:
        InputError: ``out`` is not a new or empty folder in a writable one, or an origin is
            not a sensitive origin as of ``as_of`` (checked before anything is written).
        GraphError, RegistryError: a store could not be read.
    """
    check_out(out)  # before the stores are read
    now = now or datetime.now(timezone.utc)
    evidence = collect(settings, as_of, origins, now=now)
    files = pack_files(evidence)
    meta = {"as_of": iso(as_of), "written_at": iso(now), "lineage_engine": evidence.version,
            "origins": list(evidence.origins), "findings_chain": evidence.chain}
    digest = write_pack(out, files, meta)
    return PackReport(out=out, files=len(files) + 1, digest=digest, evidence=evidence)
