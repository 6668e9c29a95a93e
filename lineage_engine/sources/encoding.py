"""Which text encoding a query-history export uses, from its first bytes. Pure.

Exports come as UTF-8 (with or without a byte-order mark: Excel and PowerShell write one) or
UTF-16 (SQL Server tools, PowerShell ``Out-File``), which always starts with its BOM.
Anything else that can be told from the start of the file (UTF-32, UTF-16 without a BOM,
a compressed or binary file: NUL bytes that text never holds) is refused as a whole, naming
the file, before any row is read; a row with stray bytes that are not UTF-8 in an otherwise
UTF-8 file is quarantined on its own, as before.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

SNIFF_BYTES = 4096
"""Bytes of the file's start looked at."""


@dataclass(frozen=True, slots=True)
class TextEncoding:
    """How to read a file's lines.

    Attributes:
        codec: a Python codec name: ``utf-8``, ``utf-16-le`` or ``utf-16-be``.
        bom: length in bytes of the byte-order mark at the file's start (0, 2 or 3): rows
            start after it.
        newline: the bytes of a line feed in this encoding.
    """

    codec: str
    bom: int
    newline: bytes

    @property
    def unit(self) -> int:
        """Bytes per code unit: 1 for UTF-8, 2 for UTF-16."""
        return len(self.newline)

    @property
    def label(self) -> str:
        """A name for people: ``UTF-8``, ``UTF-8 with BOM``, ``UTF-16 (little endian)`` …"""
        if self.codec == "utf-8":
            return "UTF-8 with BOM" if self.bom else "UTF-8"
        return "UTF-16 (little endian)" if self.codec == "utf-16-le" else "UTF-16 (big endian)"


UTF8 = TextEncoding("utf-8", 0, b"\n")


class UnknownEncodingError(ValueError):
    """The file is none of UTF-8 (with or without BOM) and UTF-16 with a BOM. ``reason`` says why."""


def detect_encoding(head: bytes) -> TextEncoding:
    """Return the encoding of a file from its first bytes (up to :data:`SNIFF_BYTES`).

    Raises:
        UnknownEncodingError: a UTF-32 BOM, or NUL bytes with no UTF-16 BOM (UTF-16 or UTF-32
            without a BOM, or a compressed/binary file).
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise UnknownEncodingError("it is UTF-32")
    if head.startswith(codecs.BOM_UTF8):
        return TextEncoding("utf-8", 3, b"\n")
    if head.startswith(codecs.BOM_UTF16_LE):
        return TextEncoding("utf-16-le", 2, b"\n\x00")
    if head.startswith(codecs.BOM_UTF16_BE):
        return TextEncoding("utf-16-be", 2, b"\x00\n")
    nul = head.find(b"\x00")
    if nul >= 0:
        raise UnknownEncodingError(f"it holds NUL bytes (byte {nul}) and starts with no UTF-16 byte-order mark: "
                                   "UTF-16 without a BOM, UTF-32, or a compressed or binary file")
    return UTF8
