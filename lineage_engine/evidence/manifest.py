"""The pack's manifest: SHA-256 of every file plus the findings chain head; write and verify.

``manifest.json`` lists every other file of the pack (relative POSIX paths) with its SHA-256
and size, and the head of the findings event chain (issue 15 §1) read when the pack was
written. Changing one byte of a file, removing a file or adding one is found by
:func:`verify_pack`. The manifest itself is not hashed inside itself: its own SHA-256 (the
"pack digest", printed when the pack is written) is what an auditor records elsewhere, so
a manifest rewritten to match edited files is found too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineage_engine.errors import InputError

MANIFEST = "manifest.json"
FORMAT = "lineage-engine evidence pack 1"


def sha256(data: bytes) -> str:
    """Return the SHA-256 of ``data``, hex."""
    return hashlib.sha256(data).hexdigest()


def build_manifest(files: Mapping[str, bytes], meta: Mapping[str, Any]) -> bytes:
    """Return ``manifest.json`` (UTF-8, keys sorted) for ``files`` (relative path -> content) and ``meta``."""
    body = {**meta, "format": FORMAT,
            "files": {name: {"sha256": sha256(data), "bytes": len(data)} for name, data in sorted(files.items())}}
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def write_pack(out: Path, files: Mapping[str, bytes], meta: Mapping[str, Any]) -> str:
    """Write ``files`` and their manifest into the new folder ``out``; return the pack digest.

    The pack is written into a hidden folder beside ``out`` and renamed at the end, so ``out``
    appears whole or not at all. Files are created owner-read/write (0600 would hinder
    sharing; 0644 like any export), folders 0755.

    Raises:
        InputError: ``out`` exists and is not an empty folder, or its parent is missing or
            not writable.
    """
    check_out(out)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    try:
        for name, data in files.items():
            target = partial / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        manifest = build_manifest(files, meta)
        (partial / MANIFEST).write_bytes(manifest)
        if out.exists():
            out.rmdir()  # empty (checked)
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return sha256(manifest)


def check_out(out: Path) -> None:
    """Fail before any work when ``out`` cannot become a new pack folder.

    Raises:
        InputError: naming ``--out`` and what to do.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        what = "is a file" if not out.is_dir() else "is not empty"
        raise InputError("--out", f"'{out}' {what}; name a new folder for the pack")
    parent = out.parent
    if not parent.is_dir():
        raise InputError("--out", f"'{parent}' does not exist; create it or name a folder in an existing one")
    if not os.access(parent, os.W_OK):
        raise InputError("--out", f"cannot write in '{parent}'; choose a folder you can write")


@dataclass(frozen=True, slots=True)
class Verification:
    """What :func:`verify_pack` found.

    Attributes:
        files: files the manifest lists.
        changed: listed files whose SHA-256 differs.
        missing: listed files not in the folder.
        extra: files in the folder the manifest does not list.
        digest: SHA-256 of ``manifest.json`` as found.
        meta: the manifest (as of instant, chain head, …).
    """

    files: int
    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    digest: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return True when every listed file matches and nothing else is there."""
        return not (self.changed or self.missing or self.extra)

    def problems(self) -> list[str]:
        """Return one line per problem: ``changed: NAME`` / ``missing: NAME`` / ``extra: NAME``."""
        return ([f"changed: {n}" for n in self.changed] + [f"missing: {n}" for n in self.missing]
                + [f"extra: {n}" for n in self.extra])


def verify_pack(folder: Path) -> Verification:
    """Check every file of the pack in ``folder`` against its ``manifest.json``.

    Raises:
        InputError: ``folder`` is not a folder, or has no readable manifest of this format.
    """
    if not folder.is_dir():
        raise InputError("DIR", f"'{folder}' is not a folder; give the folder 'lineage-engine evidence' wrote")
    path = folder / MANIFEST
    try:
        raw = path.read_bytes()
        meta = json.loads(raw)
    except FileNotFoundError:
        raise InputError("DIR", f"'{folder}' has no {MANIFEST}; it is not an evidence pack (or the manifest "
                                "was removed)") from None
    except (OSError, ValueError) as exc:
        raise InputError("DIR", f"'{path}' cannot be read as JSON ({type(exc).__name__}); the manifest was "
                                "changed or is not a pack manifest") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or not isinstance(meta.get("files"), dict):
        raise InputError("DIR", f"'{path}' is not a manifest of a lineage-engine evidence pack")
    listed: dict[str, Any] = meta["files"]
    changed, missing = [], []
    for name, entry in sorted(listed.items()):
        target = folder / name
        if not _inside(folder, target) or not target.is_file():
            missing.append(name)
            continue
        if sha256(target.read_bytes()) != str(entry.get("sha256") if isinstance(entry, dict) else ""):
            changed.append(name)
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()}
    extra = sorted(present - set(listed) - {MANIFEST})
    return Verification(len(listed), tuple(changed), tuple(missing), tuple(extra), sha256(raw), meta)


def _inside(folder: Path, target: Path) -> bool:
    try:
        target.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True
