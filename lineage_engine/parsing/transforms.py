"""Column-edge transforms and how an expression node changes them (design §4, issue 5).

A transform says what happened to a source column's value on its way to a target column.
Ranked from least to most revealing, so that two facts combine with ``min`` along a path
(a value hashed anywhere on the path stays masked) and with ``max`` across alternative
paths (``UNION`` of a hashed and a bare branch exposes the bare value):

* ``masked`` (0): the value passed through a masking function (hash, mask, redact,
  tokenize), or a CASE/IFF branch replaces it with a masking constant (``'***'``,
  ``'REDACTED'``).
* ``aggregation`` (1): the value was aggregated (``COUNT``, ``SUM``, ``MAX``, ...).
* ``expression`` (2): the value was computed from (arithmetic, string functions, a
  variant path ``col:a.b``, a CASE condition, a window's PARTITION/ORDER key).
* ``identity`` (3): copied as is; a bare column, its alias, and a ``CAST``/``::`` of it
  (a cast changes the type, not the information).

Masking functions are matched by name, case-insensitively; an entry with ``*`` is a
shell-style pattern (``*MASK*`` matches ``MASK_EMAIL`` and ``DBO.MASK_PII``). Names that
undo masking (``UNMASK``, ``DETOKENIZE``, ``DECRYPT``...) never count as masking.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache

from sqlglot import exp

from lineage_engine.model import TRANSFORMS

MASKED, AGGREGATION, EXPRESSION, IDENTITY = 0, 1, 2, 3
TRANSFORM_NAMES: tuple[str, ...] = TRANSFORMS
"""Transform names indexed by rank (the model's :data:`~lineage_engine.model.TRANSFORMS`)."""

DEFAULT_MASKING_FUNCTIONS: frozenset[str] = frozenset(
    {
        "SHA", "SHA1", "SHA1_HEX", "SHA1_BINARY", "SHA2", "SHA2_HEX", "SHA2_BINARY", "SHA256",
        "MD5", "MD5_HEX", "MD5_BINARY", "MD5_DIGEST", "MD5_NUMBER_LOWER64", "MD5_NUMBER_UPPER64",
        "HASH", "HASH_AGG",
        "*MASK*", "*REDACT*", "*TOKENIZE*", "*TOKENISE*", "*ANONYMIZ*", "*ANONYMIS*", "*PSEUDONYMI*",
    }
)
"""Default masking functions (issue 5): hashes, and names of masking/tokenization UDFs."""

_UNDO = re.compile(r"UNMASK|DETOKENI|DEANONYMI|UNREDACT|DECRYPT|REIDENTIF", re.IGNORECASE)
# A string constant that replaces a value in a CASE/IFF branch of a masking expression.
_MASK_LITERAL = re.compile(r"REDACT|MASK|HIDDEN|CONFIDENTIAL|\*\*|^[X#*]{3,}$", re.IGNORECASE)
# sqlglot parses several spellings into one class; these are the spellings we match.
_CLASS_NAMES: dict[type, str] = {
    exp.SHA: "SHA1", exp.SHA2: "SHA2", exp.MD5: "MD5", exp.MD5Digest: "MD5_BINARY",
}


def function_name(node: exp.Expr) -> str | None:
    """Return the upper-case name of a function call node, or None for other nodes.

    ``db.schema.fn(x)`` gives ``FN``; sqlglot's known functions give their SQL name.
    """
    if isinstance(node, exp.Anonymous):
        return str(node.this).upper()
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Anonymous):
        return str(node.expression.this).upper()
    if isinstance(node, exp.Func):
        return class_function_name(type(node))
    return None


def class_function_name(cls: type[exp.Func]) -> str:
    """Return the SQL name of a sqlglot function class (``exp.SHA2`` -> ``SHA2``)."""
    known = _CLASS_NAMES.get(cls)
    return known if known is not None else cls.sql_name()


@lru_cache(maxsize=32)
def masking_matcher(functions: frozenset[str]) -> MaskingMatcher:
    """Return the matcher for a set of masking function names and patterns.

    Memoized on the (immutable) set: a pure function, so the cache changes no result.
    """
    return MaskingMatcher(functions)


class MaskingMatcher:
    """Decide whether a function masks its input, by name; call it with an upper-case name."""

    __slots__ = ("_exact", "_pattern", "_classes")

    def __init__(self, functions: frozenset[str]) -> None:
        """Compile ``functions`` (names, or shell-style patterns with ``*``)."""
        self._exact = frozenset(f.upper() for f in functions if "*" not in f and "?" not in f)
        patterns = [fnmatch.translate(f.upper()) for f in functions if "*" in f or "?" in f]
        self._pattern = re.compile("|".join(patterns)) if patterns else None
        self._classes: dict[type, bool] = {}  # memo per sqlglot function class; same answers

    def __call__(self, name: str) -> bool:
        """Return True when ``name`` (upper case) is a masking function."""
        if name not in self._exact and (self._pattern is None or self._pattern.match(name) is None):
            return False
        return _UNDO.search(name) is None

    def masks_class(self, cls: type[exp.Func]) -> bool:
        """Return True when sqlglot function class ``cls`` is a masking function."""
        found = self._classes.get(cls)
        if found is None:
            found = self._classes[cls] = issubclass(cls, exp.Func) and self(class_function_name(cls))
        return found


def is_mask_literal(node: exp.Expr | None) -> bool:
    """Return True for a string constant that reads as a masked value (``'***'``, ``'REDACTED'``)."""
    return isinstance(node, exp.Literal) and node.is_string and _MASK_LITERAL.search(node.this) is not None


def masking_branches(node: exp.Expr) -> bool:
    """Return True when a CASE or IFF has a branch that is a masking constant.

    Such an expression is the shape of a masking policy: ``CASE WHEN is_role_in_session
    ('PII') THEN email ELSE '***MASKED***' END``; the columns in its other branches reach
    the target masked.
    """
    if isinstance(node, exp.Case):
        return is_mask_literal(node.args.get("default")) or any(
            is_mask_literal(branch.args.get("true")) for branch in node.args.get("ifs") or ()
        )
    if isinstance(node, exp.If):
        return is_mask_literal(node.args.get("true")) or is_mask_literal(node.args.get("false"))
    return False
