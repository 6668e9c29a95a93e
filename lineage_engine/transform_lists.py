"""The function lists that decide column transforms, and their defaults (issue 10).

Stdlib only: settings validate ``compliance.masking_functions``, ``unmasking_functions``,
``counting_functions`` and ``partial_max_chars`` with it without importing the parser;
:mod:`lineage_engine.parsing.transforms` applies them. Defaults follow Snowflake's
documentation: "Hash functions" (SHA1, SHA2, MD5, HASH, HASH_AGG), "Encryption functions"
(ENCRYPT, DECRYPT, DECRYPT_RAW, TRY_DECRYPT, TRY_DECRYPT_RAW), "External tokenization"
(DETOKENIZE UDFs) and "Cardinality estimation" / "Aggregate functions" (COUNT, COUNT_IF,
REGR_COUNT, APPROX_COUNT_DISTINCT alias HLL and the HLL_* family).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_MASKING_FUNCTIONS: frozenset[str] = frozenset(
    {
        "SHA", "SHA1", "SHA1_HEX", "SHA1_BINARY", "SHA2", "SHA2_HEX", "SHA2_BINARY", "SHA256",
        "MD5", "MD5_HEX", "MD5_BINARY", "MD5_DIGEST", "MD5_NUMBER_LOWER64", "MD5_NUMBER_UPPER64",
        "HASH", "HASH_AGG", "ENCRYPT", "ENCRYPT_RAW",
        "*MASK*", "*REDACT*", "*TOKENIZE*", "*TOKENISE*", "*ANONYMIZ*", "*ANONYMIS*", "*PSEUDONYMI*",
    }
)
"""Default masking functions: Snowflake's hash functions (SHA1, SHA2, MD5, HASH, HASH_AGG),
ENCRYPT/ENCRYPT_RAW ("Encryption functions"), and names of masking/tokenization UDFs."""

DEFAULT_UNMASKING_FUNCTIONS: frozenset[str] = frozenset(
    {
        "DETOKENIZE", "DECRYPT", "DECRYPT_RAW", "TRY_DECRYPT", "TRY_DECRYPT_RAW",
        "*UNMASK*", "*DETOKENI*", "*DECRYPT*", "*DEANONYMI*", "*UNREDACT*", "*REIDENTIF*",
    }
)
"""Default unmasking functions: Snowflake's DECRYPT, DECRYPT_RAW, TRY_DECRYPT(_RAW)
("Encryption functions") and external-tokenization DETOKENIZE UDFs, by name."""

DEFAULT_COUNTING_FUNCTIONS: frozenset[str] = frozenset(
    {
        "COUNT", "COUNT_IF", "APPROX_COUNT_DISTINCT", "APPROX_DISTINCT", "HLL", "HLL_ACCUMULATE",
        "HLL_COMBINE", "HLL_ESTIMATE", "HLL_EXPORT", "HLL_IMPORT", "REGR_COUNT",
    }
)
"""Default counting aggregates: Snowflake's COUNT, COUNT_IF, REGR_COUNT and the HyperLogLog
family ("Cardinality estimation": APPROX_COUNT_DISTINCT alias HLL, HLL_ACCUMULATE ...)."""

DEFAULT_PARTIAL_MAX_CHARS = 4
"""Longest literal length of RIGHT/LEFT/SUBSTR that counts as a fragment (``RIGHT(ssn, 4)``)."""

_IDENTIFIER = re.compile(r"[A-Za-z_*?][A-Za-z0-9_$*?]*")


def is_function_name(entry: str) -> bool:
    """Return True when ``entry`` is a function name (letters, digits, ``_``, ``$``; ``*``/``?`` wildcards)."""
    return _IDENTIFIER.fullmatch(entry) is not None


@dataclass(frozen=True, slots=True)
class TransformFunctions:
    """The configured function lists that decide transforms (``compliance.*``).

    Attributes:
        masking: names/patterns whose result masks their input (``compliance.masking_functions``).
        unmasking: names/patterns that give back a masked value (``compliance.unmasking_functions``).
        counting: aggregates that count values instead of carrying them
            (``compliance.counting_functions``); every other aggregate carries the value.
        partial_max_chars: longest literal RIGHT/LEFT/SUBSTR length that is a fragment
            (``compliance.partial_max_chars``).
    """

    masking: frozenset[str] = DEFAULT_MASKING_FUNCTIONS
    unmasking: frozenset[str] = DEFAULT_UNMASKING_FUNCTIONS
    counting: frozenset[str] = DEFAULT_COUNTING_FUNCTIONS
    partial_max_chars: int = DEFAULT_PARTIAL_MAX_CHARS
