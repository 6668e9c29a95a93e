"""Column-edge transforms and how an expression node changes them (design §4 and §7, issues 5 and 10).

A transform says what happened to an upstream column's value on its way to a downstream
column. Ranked from least to most revealing (the rank is the index in
:data:`~lineage_engine.model.TRANSFORMS`):

* ``counted`` (0): a counting aggregate (``COUNT``, ``COUNT(DISTINCT)``,
  ``APPROX_COUNT_DISTINCT``, ``HLL``...): a number of values, not the value.
* ``masked`` (1): the value passed through a masking function (hash, mask, redact,
  tokenize) on every branch that can carry it.
* ``partial`` (2): a fragment flows: ``RIGHT``/``LEFT`` or ``SUBSTR`` with a literal length
  of at most ``partial_max_chars``, or ``REGEXP_REPLACE`` whose replacement is a literal of
  mask characters (``'*'``, ``'X'``, ``'#'``): the characters it does not match are kept.
* ``aggregation`` (3): a value-carrying aggregate (``MIN``, ``MAX``, ``ANY_VALUE``,
  ``LISTAGG``, ``ARRAY_AGG``, ``OBJECT_AGG``, ``MODE``, and every aggregate that is not
  counting: ``SUM``, ``AVG``... over-report rather than under).
* ``expression`` (4): computed from (arithmetic, string functions, a variant path, a
  CASE/IFF branch). A window's PARTITION BY / ORDER BY key and the ORDER BY of a
  ``WITHIN GROUP`` only choose rows and their order: INDIRECT, like a filter.
* ``cast`` (5): copied as is under another data type: a ``CAST``/``::``/``TRY_CAST`` of it
  (also one sqlglot makes: ``TO_GEOGRAPHY``, ``TO_GEOMETRY``), or a set operation's column
  that is not a bare column in every branch (Snowflake gives it the branches' common type).
  The value flows as with ``identity``; its type is not the upstream's (review s15 T1, T3).
* ``identity`` (6): copied as is, type kept; a bare column, its alias.
* ``unmasked`` (7): the value passed through an unmasking function (``DETOKENIZE``,
  ``DECRYPT``...): a value masked upstream is clear again.

Two facts combine with :func:`along` along a path (the less revealing, except that an
``unmasked`` step undoes a ``masked`` one and value-carrying or partial steps keep it;
:func:`~lineage_engine.model.rank_along`) and with
``max`` across alternatives (``UNION`` of a hashed and a bare branch exposes the bare
value). :data:`CONDITION` (-1) is internal to parsing: a column used only in a CASE/IFF
condition whose branches are all constants; it becomes an INDIRECT edge.

Function names are matched case-insensitively; an entry with ``*`` or ``?`` is a
shell-style pattern (``*MASK*`` matches ``MASK_EMAIL``). An unmasking name never counts
as masking (``UNMASK_EMAIL`` matches ``*MASK*`` but unmasks).
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache

from sqlglot import exp

from lineage_engine.model import TRANSFORMS
from lineage_engine.model import rank_along as along
from lineage_engine.transform_lists import (
    DEFAULT_COUNTING_FUNCTIONS,
    DEFAULT_MASKING_FUNCTIONS,
    DEFAULT_PARTIAL_MAX_CHARS,
    DEFAULT_UNMASKING_FUNCTIONS,
    TransformFunctions,
)

__all__ = [
    "AGGREGATION", "CONDITION", "COUNTED", "DEFAULT_COUNTING_FUNCTIONS", "DEFAULT_MASKING_FUNCTIONS",
    "CAST", "DEFAULT_PARTIAL_MAX_CHARS", "DEFAULT_UNMASKING_FUNCTIONS", "EXPRESSION", "IDENTITY", "MASKED", "PARTIAL",
    "TRANSFORM_NAMES", "UNMASKED", "FunctionRules", "NameMatcher", "TransformFunctions", "along",
    "branch_conditions", "branch_results", "class_function_name", "function_name", "function_rules",
    "is_constant", "masking_matcher",
]

CONDITION = -1
COUNTED, MASKED, PARTIAL, AGGREGATION, EXPRESSION, CAST, IDENTITY, UNMASKED = range(8)
TRANSFORM_NAMES: tuple[str, ...] = TRANSFORMS
"""Transform names indexed by rank (the model's :data:`~lineage_engine.model.TRANSFORMS`)."""

# The replacement of a REGEXP_REPLACE that masks what it matches: mask characters only.
_MASK_CHARS = re.compile(r"[*xX#•]+")
# sqlglot parses several spellings into one class; these are the spellings we match.
_CLASS_NAMES: dict[type, str] = {
    exp.SHA: "SHA1", exp.SHA2: "SHA2", exp.MD5: "MD5", exp.MD5Digest: "MD5_BINARY",
    exp.ApproxDistinct: "APPROX_COUNT_DISTINCT",
}
_CONSTANT_LEAVES = (exp.Literal, exp.Null, exp.Boolean)


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


class NameMatcher:
    """Decide whether an upper-case function name is in a list of names and patterns."""

    __slots__ = ("_exact", "_pattern")

    def __init__(self, functions: frozenset[str]) -> None:
        """Compile ``functions`` (names, or shell-style patterns with ``*``/``?``)."""
        self._exact = frozenset(f.upper() for f in functions if "*" not in f and "?" not in f)
        patterns = [fnmatch.translate(f.upper()) for f in functions if "*" in f or "?" in f]
        self._pattern = re.compile("|".join(patterns)) if patterns else None

    def __call__(self, name: str) -> bool:
        """Return True when ``name`` (upper case) is listed or matches a pattern."""
        return name in self._exact or (self._pattern is not None and self._pattern.match(name) is not None)


@lru_cache(maxsize=32)
def function_rules(functions: TransformFunctions) -> FunctionRules:
    """Return the rules for a set of function lists (memoized: pure, same answers)."""
    return FunctionRules(functions)


def masking_matcher(functions: frozenset[str]) -> FunctionRules:
    """Return the rules with these masking functions and the default other lists."""
    return function_rules(TransformFunctions(masking=frozenset(functions)))


class FunctionRules:
    """Say what a function call does to the value of its arguments, as a transform rank."""

    __slots__ = ("functions", "_masking", "_unmasking", "_counting", "_classes")

    def __init__(self, functions: TransformFunctions) -> None:
        """Compile the lists of ``functions``."""
        self.functions = functions
        self._masking = NameMatcher(functions.masking)
        self._unmasking = NameMatcher(functions.unmasking)
        self._counting = NameMatcher(functions.counting)
        self._classes: dict[type, int] = {}  # memo per sqlglot function class (name rules only)

    def __call__(self, name: str) -> bool:
        """Return True when ``name`` (upper case) is a masking function (not an unmasking one)."""
        return self._masking(name) and not self._unmasking(name)

    def by_name(self, name: str, *, aggregate: bool) -> int:
        """Return the rank a call of ``name`` (upper case) gives its arguments."""
        if self._unmasking(name):
            return UNMASKED
        if self._masking(name):
            return MASKED
        if self._counting(name):
            return COUNTED
        return AGGREGATION if aggregate else EXPRESSION

    def transform_of(self, node: exp.Func) -> int:
        """Return the rank a sqlglot function node gives its arguments (shape rules included)."""
        cls = type(node)
        rank = self._classes.get(cls)
        if rank is None:
            aggregate = issubclass(cls, (exp.AggFunc, exp.WithinGroup))
            rank = self._classes[cls] = self.by_name(class_function_name(cls), aggregate=aggregate)
        if rank == EXPRESSION and self.is_partial(node):
            return PARTIAL
        return rank

    def is_partial(self, node: exp.Expr) -> bool:
        """Return True for a call that keeps a fragment of its first argument.

        ``RIGHT(x, n)``, ``LEFT(x, n)`` and ``SUBSTR(x, start, n)`` with a literal ``n`` of
        at most ``partial_max_chars``; ``REGEXP_REPLACE(x, pattern, r)`` with ``r`` a
        literal of mask characters only (``'*'``, ``'XXX'``, ``'#'``).
        """
        if isinstance(node, (exp.Right, exp.Left)):
            return _short(node.args.get("expression"), self.functions.partial_max_chars)
        if isinstance(node, exp.Substring):
            return _short(node.args.get("length"), self.functions.partial_max_chars)
        if isinstance(node, exp.RegexpReplace):
            replacement = node.args.get("replacement")
            return (isinstance(replacement, exp.Literal) and replacement.is_string
                    and _MASK_CHARS.fullmatch(replacement.this) is not None)
        return False


def _short(length: exp.Expr | None, most: int) -> bool:
    return isinstance(length, exp.Literal) and length.is_int and 0 <= int(length.this) <= most


def is_constant(node: exp.Expr | None) -> bool:
    """Return True when a CASE/IFF result carries no column value (a literal, NULL, a
    function of literals such as ``'***'`` or ``CURRENT_DATE()``); a missing ELSE is NULL."""
    if node is None or isinstance(node, _CONSTANT_LEAVES):
        return True
    return node.find(exp.Column, exp.Star, exp.Select) is None


BRANCHING = (exp.Case, exp.If, exp.DecodeCase, exp.Nvl2)
"""Conditional expressions: ``CASE``, ``IFF``, and the functions that are a ``CASE`` written
otherwise: ``DECODE(x, s1, r1, …, default)`` is ``CASE x WHEN s1 THEN r1 … ELSE default END``
and ``NVL2(x, a, b)`` is ``CASE WHEN x IS NOT NULL THEN a ELSE b END`` (Snowflake reference)."""


def branch_results(node: exp.Expr) -> list[exp.Expr | None]:
    """Return the value branches of a conditional (THEN values and ELSE), conditions excluded."""
    if isinstance(node, exp.Case):
        return [branch.args.get("true") for branch in node.args.get("ifs") or ()] + [node.args.get("default")]
    if isinstance(node, exp.DecodeCase):
        rest = node.expressions[1:]
        return [rest[i + 1] for i in range(0, len(rest) - 1, 2)] + [rest[-1] if len(rest) % 2 else None]
    return [node.args.get("true"), node.args.get("false")]


def branch_conditions(node: exp.Expr) -> list[exp.Expr]:
    """Return the conditions of a conditional (a simple CASE's or DECODE's operand and WHEN values too)."""
    if isinstance(node, exp.Case):
        out = [node.this] if node.this is not None else []
        return out + [branch.this for branch in node.args.get("ifs") or () if branch.this is not None]
    if isinstance(node, exp.DecodeCase):
        rest = node.expressions[1:]
        return node.expressions[:1] + [rest[i] for i in range(0, len(rest) - 1, 2)]
    return [node.this] if node.this is not None else []
