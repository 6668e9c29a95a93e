"""Local stores only their owner can read: folders 0700, files 0600, whatever the umask.

The SQLite registry and the embedded graph hold lineage, quarantined (redacted) SQL,
findings and alert payloads. :func:`prepare_private_file` is called before either engine
opens its file: folders it creates get mode ``0700`` and a missing store file is created
empty with mode ``0600`` (both engines take an empty file as a new database). Modes are
set with ``chmod`` after creation, so a permissive umask (``000``) changes nothing. An
existing file or folder is never changed: when other users may read it (any group/other
bit), a warning names the path and the command that fixes it.

The folder matters for the embedded graph: LadybugDB recreates its ``<file>.wal`` (the
recent commits) with the process umask, so only a private folder keeps it private; its
folder is checked too (``folder_too=True``). SQLite gives its journal the database
file's own mode, so the registry's folder may be shared.

POSIX only: on Windows the mode bits are ignored by the OS and no warning is given.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
"""Mode of a folder created for a store."""
FILE_MODE = 0o600
"""Mode of a store file created here."""


def prepare_private_file(path: Path, *, what: str, folder_too: bool = False) -> list[str]:
    """Create ``path``'s missing folders (0700) and, if missing, ``path`` itself (empty, 0600).

    Args:
        path: the store file (e.g. ``.lineage/registry.db``, ``.lineage/graph``).
        what: the store's name in warnings (``registry``, ``embedded graph``).
        folder_too: also warn when the existing folder holding ``path`` is open to others.

    Returns:
        The warnings logged (one per existing path other users may read), for tests.

    Raises:
        OSError: a folder or the file cannot be created (the caller maps it to its own error).
    """
    path = Path(path).expanduser()
    _make_folders(path.parent)
    if not path.exists():
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        except FileExistsError:  # created by a concurrent process between the check and here
            pass
        else:
            try:
                os.fchmod(descriptor, FILE_MODE)
            finally:
                os.close(descriptor)
    return warn_if_shared(path, what=what, folder_too=folder_too)


def warn_if_shared(path: Path, *, what: str, folder_too: bool = False) -> list[str]:
    """Log a warning for ``path`` (and its folder) when group or other users have any access.

    Returns:
        The warning texts, in the order logged (file, then folder).
    """
    if os.name != "posix":
        return []
    warnings: list[str] = []
    targets = [(path, FILE_MODE, "file")] + ([(path.parent, FOLDER_MODE, "folder")] if folder_too else [])
    for target, wanted, kind in targets:
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            text = (f"the {what} {kind} {target} can be read by other users (mode {mode:04o}); it holds "
                    f"lineage, quarantined SQL, findings and alert payloads: run 'chmod {wanted:o} {target}'")
            log.warning(text)
            warnings.append(text)
    return warnings


def _make_folders(folder: Path) -> None:
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue
        os.chmod(created, FOLDER_MODE)
