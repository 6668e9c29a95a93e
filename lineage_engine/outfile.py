"""User-named files: inputs that must exist, outputs written whole or not at all; one-line errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from lineage_engine.errors import InputError


def require_file(path: Path, option: str, what: str) -> None:
    """Fail when ``path`` is not an existing regular file (``what`` says what it should be).

    Raises:
        InputError: naming ``option`` and the path.
    """
    if not path.is_file():
        state = "is a folder" if path.is_dir() else "does not exist"
        raise InputError(option, f"'{path}' {state}; give {what}")


def check_output(path: Path, option: str) -> None:
    """Fail early when ``path`` cannot be an output file (before any work is done).

    Raises:
        InputError: ``path`` is a folder, or its folder does not exist or is not writable.
    """
    if path.is_dir():
        raise InputError(option, f"'{path}' is a folder; name a file (e.g. '{path / 'out.jsonl'}')")
    folder = path.parent
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise InputError(option, f"cannot write '{path}': '{folder}' {what}; choose a path in an existing folder")
    if not os.access(folder, os.W_OK):
        raise InputError(option, f"cannot write '{path}': the folder '{folder}' is not writable; choose another "
                         "path")


@contextmanager
def open_output(path: Path, option: str) -> Iterator[TextIO]:
    """Open ``path`` for writing text (UTF-8) through a partial file renamed on success.

    The file appears only when the block completes: an error half-way leaves any earlier
    file at ``path`` untouched and removes the partial one (``.NAME.partial`` beside it).

    Args:
        path: the output file the user named.
        option: the option that named it (``--output``), for the message.

    Raises:
        InputError: ``path`` is a folder, its folder does not exist or cannot be written.
    """
    check_output(path, option)
    partial = path.parent / f".{path.name}.partial"
    try:
        handle = partial.open("w", encoding="utf-8")
    except OSError as exc:
        raise InputError(option, f"cannot write '{path}' ({exc.strerror or exc}); choose a path you can "
                         "write") from None
    try:
        with handle:
            yield handle
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
