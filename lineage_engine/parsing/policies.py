"""Masking policies, row access policies and tags set in the query history (issue 10 §2-3).

Pure: stdlib, sqlglot and :mod:`lineage_engine.model`. :func:`extract_policies` reads, from
statement text, the Snowflake DDL that governs columns (documented in Snowflake's
``ALTER TABLE … ALTER COLUMN``, ``ALTER TABLE``, ``ALTER VIEW`` and ``CREATE MASKING
POLICY`` reference pages):

* ``ALTER [DYNAMIC|ICEBERG|EXTERNAL|HYBRID] TABLE|[MATERIALIZED] VIEW t MODIFY|ALTER [COLUMN] c SET
  MASKING POLICY p [USING (...)] [FORCE]`` and ``… UNSET MASKING POLICY``, several columns
  comma-separated; a policy in a column
  definition, ``CREATE [OR REPLACE] TABLE|VIEW t (c type [WITH] MASKING POLICY p, …)``;
* ``ALTER TABLE|VIEW t [MODIFY|ALTER [COLUMN] c] SET TAG a = 'v' [, …]`` / ``UNSET TAG a [, …]``;
* ``ALTER TABLE|VIEW t ADD ROW ACCESS POLICY p ON (c, …)`` / ``DROP ROW ACCESS POLICY p`` /
  ``DROP ALL ROW ACCESS POLICIES``;
* ``ALTER TAG [IF EXISTS] a SET MASKING POLICY p [, MASKING POLICY q …] [FORCE]`` and
  ``… UNSET MASKING POLICY p [, …]`` (tag-based masking: Snowflake's "Tag-based masking
  policies" page; the ``target`` of such a change is the tag's name);
* ``CREATE [OR REPLACE] MASKING POLICY [IF NOT EXISTS] p AS (val type, …) RETURNS type ->
  body`` and ``ALTER MASKING POLICY p SET BODY -> body``: of the body only the roles that
  see the value in clear are kept, and whether the body was understood (never other
  literals); ``DROP MASKING POLICY p``; ``ALTER MASKING POLICY p RENAME TO q`` makes ``p``'s
  body not understood from then on (its columns keep the policy, whose later bodies are
  stated under ``q``).

sqlglot 30 parses none of these statements into an AST (they become opaque commands), so
the statements are read from sqlglot's Snowflake **tokens** (quoting and string rules are
sqlglot's); only a policy body is parsed as an expression. Unrecognised text gives
nothing, never an error. Policy names are lower-case. An assignment (a :class:`PolicyChange`)
keeps the policy's name without database and schema; a body, a drop and a rename keep it
qualified with the session's defaults (``db.gov.email_mask``), because two schemas may each
hold a policy of that name with different clear roles (the masking view joins the bodies of
every policy of one name: :class:`~lineage_engine.exposure.masking.MaskingView`).

**A body is understood** when it is ``CASE WHEN <role test> THEN <arg> … ELSE <no arg> END``
where each role test is ``CURRENT_ROLE() IN ('R', …)``, ``CURRENT_ROLE() = 'R'``,
``IS_ROLE_IN_SESSION('R')`` (or an ``OR`` of them; ``INVOKER_ROLE()`` and
``IS_GRANTED_TO_INVOKER_ROLE('R')`` as their ``CURRENT_ROLE``/``IS_ROLE_IN_SESSION`` forms), each
``THEN`` returns the first argument unchanged (clear) or something that does not read it
(masked), and the ``ELSE`` does not read it. The roles of the clear branches are the policy's
clear roles. A clear branch tested with ``IS_ROLE_IN_SESSION`` (or
``IS_GRANTED_TO_INVOKER_ROLE``) is not understood: it admits every role that inherits the
named one (and the session's secondary roles), which ``ROLE_NAME`` does not tell. Any other
body (a function call, a lookup table, a default that shows the value) is not understood: a
copy made through it counts as clear (over-report, never under).

**A body tests the invoker** (``PolicyBody.by_invoker``) when it calls ``INVOKER_ROLE`` or
``IS_GRANTED_TO_INVOKER_ROLE``, understood or not: read through a view, those evaluate the
**view owner's role**, not the querying one (Snowflake "INVOKER_ROLE", table "Context /
Evaluated role"), so such a policy does not mask a view whose owner it shows clear values to.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from lineage_engine.model import ADDED_COLUMN_TYPE, COLUMN_DROPPED, DatasetRef, column_id
from lineage_engine.parsing.data_types import TIMESTAMP_VARIANTS, read_type

_ACTIONS = frozenset({"SET", "UNSET", "ADD", "DROP", "COLUMN", "MODIFY", "ALTER"})
"""Words that start the next action after a comma (not another name of the list)."""

_CREATE_WORDS = frozenset({"OR", "REPLACE", "ALTER", "TEMPORARY", "TEMP", "VOLATILE", "TRANSIENT", "SECURE",
                           "RECURSIVE", "MATERIALIZED", "LOCAL", "GLOBAL", "ICEBERG", "HYBRID", "DYNAMIC"})
"""Words between CREATE and TABLE|VIEW (``CREATE OR REPLACE SECURE VIEW``)."""

_TABLE_KINDS = ("DYNAMIC", "ICEBERG", "EXTERNAL", "HYBRID", "EVENT")
"""Words of ``ALTER <kind> TABLE`` whose columns take masking policies and tags like a table's."""

TAG_VALUE_MAX = 256
"""Longest tag value kept, in characters."""


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """One governance fact a statement sets or unsets.

    Attributes:
        target: a column id (masking policy, column tag) or a dataset id (tag, row access
            policy); unqualified names are completed from the session's database/schema.
            For ``tag_masking_policy``: the tag's name (lower-case, as written).
        fact: ``masking_policy`` | ``tag`` | ``row_access_policy`` | ``tag_masking_policy`` |
            ``data_type`` (a column's type family, :func:`~lineage_engine.parsing.data_types.type_family`:
            tag-based masking protects only the columns of its policy's type) |
            :data:`~lineage_engine.model.COLUMN_DROPPED` (value None: the column is gone, with every
            fact of it).
        value: the policy name (lower-case, unqualified), tag value or type family (``?``: a type
            stated but not known, which no copy may fill); None for an unset/drop.
        key: the tag name (lower-case, as written, qualified or not) of a ``tag`` change; the
            policy name of a ``tag_masking_policy`` change (a tag holds one policy per data type);
            :data:`~lineage_engine.model.ADDED_COLUMN_TYPE` for the ``data_type`` an ``ADD COLUMN`` of
            a name stored upper-case states (it may fold onto a quoted column the table holds).
    """

    target: str
    fact: str
    value: str | None
    key: str = ""


@dataclass(frozen=True, slots=True)
class PolicyBody:
    """A masking policy created (or its body replaced): its name qualified with the session's defaults
    (``db.schema.name``, lower-case; fewer parts when the session had none), understood, clear roles
    (upper-case, sorted)."""

    name: str
    understood: bool
    clear_roles: tuple[str, ...]
    by_invoker: bool = False
    """True when the body calls ``INVOKER_ROLE``/``IS_GRANTED_TO_INVOKER_ROLE`` (a view's owner decides)."""
    data_type: str | None = None
    """The family of the signature's first argument (``AS (val string)`` -> ``VARCHAR``); None when not
    stated (``ALTER MASKING POLICY … SET BODY`` keeps the signature) or not a type known here."""
    if_absent: bool = False
    """``CREATE MASKING POLICY IF NOT EXISTS``: the body holds only where no policy of that name does
    (Snowflake: a no-op on an existing policy, whose signature and body stay)."""


@dataclass(frozen=True, slots=True)
class PolicyStatements:
    """What :func:`extract_policies` found, in statement order."""

    changes: tuple[PolicyChange, ...] = ()
    bodies: tuple[PolicyBody, ...] = ()
    dropped_policies: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes or self.bodies or self.dropped_policies)


_NAME = r'(?:"[^"]*"|[\w$]+)(?:\s*\.\s*(?:"[^"]*"|[\w$]+)){0,2}'
_LEAD = r"(?:\s|--[^\n]*\n|/\*.*?\*/)*"
"""Blanks and comments before a statement's first word; the patterns below are matched where a statement
may start (:func:`_starts_a_statement`)."""
_DEFINES_COLUMNS = re.compile(
    _LEAD + r"(?:CREATE\s+(?:OR\s+(?:REPLACE|ALTER)\s+)?(?:[A-Z]+\s+){0,3}?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    + _NAME + r"\s*\(|ALTER\s+(?:[A-Z]+\s+)?TABLE\s[^;]*?\b(?:ADD|TYPE|DROP)\b)", re.IGNORECASE | re.DOTALL)
"""A ``CREATE TABLE t (…)`` with a column list, or an ``ALTER TABLE`` that adds or drops a column or changes a
type: a statement that states column data types (not a ``CREATE TABLE … AS SELECT``)."""


_RETYPES = ("::", "CAST", "UNION", "EXCEPT", "INTERSECT", "MINUS")
"""Words of a CTAS or view whose columns may not have their upstreams' types (casts, set operations)."""
_CREATES = re.compile(_LEAD + r"CREATE\s", re.IGNORECASE | re.DOTALL)
"""A ``CREATE`` statement: with a cast (``::``, ``CAST``) it may be a CTAS or view of a cast column."""


def might_govern(text: str) -> bool:
    """Return True when ``text`` may hold a statement :func:`extract_policies` reads (cheap pre-check)."""
    upper = text.upper()
    return "POLICY" in upper or "POLICIES" in upper or " TAG" in upper or _starts_a_statement(_DEFINES_COLUMNS, text) \
        or (any(word in upper for word in _RETYPES) and _starts_a_statement(_CREATES, text))


def _starts_a_statement(pattern: re.Pattern[str], text: str) -> bool:
    """Return True when ``pattern`` matches at the start of ``text`` or right after one of its ``;``.

    The answer of a search for ``(?:^|;)pattern``, which tries the pattern at every position of the
    text (it cannot skip to the ``;``): a crawl tests every row's text (issue 13)."""
    at = -1
    while True:
        if pattern.match(text, at + 1) is not None:
            return True
        at = text.find(";", at + 1)
        if at == -1:
            return False


def extract_policies(text: str, *, database: str | None = None, schema: str | None = None,
                     timestamp_mapping: str | None = None) -> PolicyStatements:
    """Return the policy and tag statements in ``text`` (Snowflake SQL, one or more statements).

    Args:
        text: statement text as the query history holds it.
        database, schema: the session's defaults, to complete unqualified names.
        timestamp_mapping: the ``TIMESTAMP_TYPE_MAPPING`` the statement runs under
            (``TIMESTAMP_NTZ`` | ``TIMESTAMP_LTZ`` | ``TIMESTAMP_TZ``), None when not known: a
            ``TIMESTAMP`` or ``DATETIME`` column or policy argument then has the type ``?`` (not
            known; :mod:`lineage_engine.parsing.data_types`). An ``ALTER SESSION SET|UNSET
            TIMESTAMP_TYPE_MAPPING`` earlier in ``text`` changes it for the statements after it.

    Returns:
        The changes, policy bodies and dropped policies, in statement order; empty for
        anything else, and for text that does not tokenize.
    """
    if not might_govern(text):
        return PolicyStatements()
    key = (hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest(), database, schema,
           timestamp_mapping)
    found = _RECENT.get(key)
    if found is not None:
        _RECENT.move_to_end(key)
        return found
    try:
        tokens = sqlglot.Dialect.get_or_raise("snowflake").tokenize(text)
    except (SqlglotError, ValueError):
        found = PolicyStatements()
    else:
        out = _Collector(text, database, schema, timestamp_mapping)
        for statement in _split(tokens):
            out.statement(statement)
        found = PolicyStatements(tuple(out.changes), tuple(out.bodies), tuple(out.dropped))
    _RECENT[key] = found
    if len(_RECENT) > _RECENT_SIZE:
        _RECENT.popitem(last=False)
    return found


_RECENT: OrderedDict[tuple[bytes, str | None, str | None, str | None], PolicyStatements] = OrderedDict()
"""The answers for recent texts, least recently used first, by a digest of the text (never the text:
it may hold PII): a scheduled job's statement recurs with the same text every run."""
_RECENT_SIZE = 4096


def _split(tokens: list[Token]) -> list[list[Token]]:
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [s for s in statements if s]


def _word(token: Token | None) -> str:
    return token.text.upper() if token is not None and token.token_type != TokenType.STRING else ""


class _Cursor:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens, self.i = tokens, 0

    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def accept(self, *words: str) -> bool:
        """Consume the words in sequence when they are next; return whether they were."""
        if all(_word(self.peek(k)) == w for k, w in enumerate(words)):
            self.i += len(words)
            return True
        return False

    def name(self) -> list[tuple[str, bool]] | None:
        """Consume a dotted name; return its parts as (text, quoted)."""
        parts: list[tuple[str, bool]] = []
        while True:
            token = self.peek()
            if token is None or token.token_type in (TokenType.STRING, TokenType.COMMA, TokenType.L_PAREN,
                                                     TokenType.R_PAREN, TokenType.EQ, TokenType.DOT):
                return None
            parts.append((token.text, token.token_type == TokenType.IDENTIFIER))
            self.i += 1
            if self.peek() is None or self.peek().token_type != TokenType.DOT:  # type: ignore[union-attr]
                return parts
            self.i += 1

    def next_in_list(self) -> bool:
        """Consume a comma that continues a list of names (not one starting the next action)."""
        token, nxt = self.peek(), self.peek(1)
        if token is None or token.token_type != TokenType.COMMA or nxt is None or _word(nxt) in _ACTIONS:
            return False
        self.i += 1
        return True

    def skip_parens(self) -> None:
        if self.peek() is None or self.peek().token_type != TokenType.L_PAREN:  # type: ignore[union-attr]
            return
        depth = 0
        while self.peek() is not None:
            kind = self.peek().token_type  # type: ignore[union-attr]
            self.i += 1
            depth += kind == TokenType.L_PAREN
            depth -= kind == TokenType.R_PAREN
            if depth == 0:
                return

    def at_comma(self) -> bool:
        if self.peek() is not None and self.peek().token_type == TokenType.COMMA:  # type: ignore[union-attr]
            self.i += 1
            return True
        return False


def _policy_name(parts: list[tuple[str, bool]]) -> str:
    return parts[-1][0].lower()


def _tag_name(parts: list[tuple[str, bool]]) -> str:
    return ".".join(p if quoted else p.lower() for p, quoted in parts)


class _Collector:
    def __init__(self, text: str, database: str | None, schema: str | None, mapping: str | None = None) -> None:
        self.text, self.database, self.schema = text, database, schema
        self.default_mapping = self.mapping = mapping  # TIMESTAMP_TYPE_MAPPING (ALTER SESSION changes it)
        self.changes: list[PolicyChange] = []
        self.bodies: list[PolicyBody] = []
        self.dropped: list[str] = []

    def dataset(self, parts: list[tuple[str, bool]]) -> str | None:
        display = [p if quoted else p.upper() for p, quoted in parts]
        if len(display) == 1 and self.schema:
            display.insert(0, self.schema)
        if len(display) == 2 and self.database:
            display.insert(0, self.database)
        return DatasetRef.of(display).id if len(display) == 3 else None

    def policy(self, parts: list[tuple[str, bool]]) -> str:
        """Return a masking policy's name qualified with the session's defaults, lower-case."""
        names = [p.lower() for p, _ in parts]
        if len(names) == 1 and self.schema:
            names.insert(0, self.schema.lower())
        if len(names) == 2 and self.database:
            names.insert(0, self.database.lower())
        return ".".join(names)

    def statement(self, tokens: list[Token]) -> None:
        cur = _Cursor(tokens)
        if cur.accept("ALTER", "TABLE") or cur.accept("ALTER", "VIEW") or cur.accept("ALTER", "MATERIALIZED", "VIEW") \
                or any(cur.accept("ALTER", kind, "TABLE") for kind in _TABLE_KINDS):
            cur.accept("IF", "EXISTS")
            parts = cur.name()
            target = self.dataset(parts) if parts else None
            if target is not None:
                self.alter_object(cur, target)
        elif cur.accept("CREATE"):
            cur.accept("OR", "REPLACE") or cur.accept("OR", "ALTER")
            if cur.accept("MASKING", "POLICY"):
                self.create_policy(cur, if_absent=cur.accept("IF", "NOT", "EXISTS"))
            else:
                self.create_object(cur)
        elif cur.accept("ALTER", "TAG"):
            cur.accept("IF", "EXISTS")
            parts = cur.name()
            if parts:
                self.tag_policies(cur, _tag_name(parts))
        elif cur.accept("ALTER", "MASKING", "POLICY"):
            cur.accept("IF", "EXISTS")
            parts = cur.name()
            if parts and cur.accept("SET", "BODY"):
                self.body(cur, self.policy(parts), None)
            elif parts and cur.accept("RENAME", "TO"):
                # The columns keep the policy (now under the new name), and a later SET BODY names the
                # new one: what the old name's columns show from here on is not known from the text.
                self.bodies.append(PolicyBody(self.policy(parts), False, ()))
        elif cur.accept("DROP", "MASKING", "POLICY"):
            cur.accept("IF", "EXISTS")
            parts = cur.name()
            if parts:
                self.dropped.append(self.policy(parts))
        elif cur.accept("ALTER", "SESSION"):
            self.session_parameters(cur)

    def session_parameters(self, cur: _Cursor) -> None:
        """``ALTER SESSION SET TIMESTAMP_TYPE_MAPPING = 'TIMESTAMP_LTZ'`` (among other parameters) or
        ``… UNSET TIMESTAMP_TYPE_MAPPING``: the mapping of the text's later statements (Snowflake ALTER
        SESSION); UNSET goes back to the one given (the account's or user's), a value not a mapping
        makes it not known."""
        if cur.accept("SET"):
            while cur.peek() is not None:
                name, eq, value = cur.peek(), cur.peek(1), cur.peek(2)
                if eq is None or eq.token_type != TokenType.EQ or value is None:
                    return
                if _word(name) == "TIMESTAMP_TYPE_MAPPING":
                    written = value.text.strip().upper()
                    self.mapping = written if written in TIMESTAMP_VARIANTS else None
                cur.i += 3
                cur.at_comma()
        elif cur.accept("UNSET"):
            while cur.peek() is not None:
                if _word(cur.peek()) == "TIMESTAMP_TYPE_MAPPING":
                    self.mapping = self.default_mapping
                cur.i += 1

    def create_object(self, cur: _Cursor) -> None:
        """``CREATE [modifiers] TABLE|VIEW [IF NOT EXISTS] t (c type [WITH] MASKING POLICY p [USING (…)]
        [WITH] TAG (a = 'v', …), …) … [WITH] TAG (a = 'v', …) … [AS …]``: a policy or tag set in a
        column definition, or a tag set on the object (Snowflake CREATE TABLE / CREATE VIEW /
        CREATE DYNAMIC TABLE), holds from the statement on, as the ``ALTER … SET`` would. ``IF NOT
        EXISTS`` states nothing (review s14 R5): on an object that exists the statement does
        nothing, and its types, policies and tags may be others (a superset: a policy set by one
        that did create is missed, so its copies are reported)."""
        while _word(cur.peek()) in _CREATE_WORDS:
            cur.i += 1
        table = cur.accept("TABLE")
        if not (table or cur.accept("VIEW")):
            return
        if cur.accept("IF", "NOT", "EXISTS"):
            return
        parts = cur.name()
        target = self.dataset(parts) if parts else None
        token = cur.peek()
        if target is None or token is None:
            return
        listed = token.token_type == TokenType.L_PAREN
        if listed:
            first = len(self.changes)
            self.column_definitions(cur, target, typed=table)
            self.fold_clashes(first)
        # object properties up to the query: ``[WITH] TAG (...)`` sets tags on the object itself
        while cur.peek() is not None and _word(cur.peek()) not in ("AS", "CLONE", "LIKE", "USING"):
            if _word(cur.peek()) == "TAG" and cur.peek(1) is not None \
                    and cur.peek(1).token_type == TokenType.L_PAREN:  # type: ignore[union-attr]
                cur.i += 2
                self.set_tags(cur, target)
            elif cur.peek().token_type == TokenType.L_PAREN:  # type: ignore[union-attr]
                cur.skip_parens()
                continue
            cur.i += 1
        if not listed and cur.accept("AS"):
            first = len(self.changes)
            self.cast_columns(cur.tokens, cur.i, target)
            self.fold_clashes(first)  # "Dob" DATE and dob VARCHAR from two casts: one id (review s15 T4)

    def fold_clashes(self, first: int) -> None:
        """Make ``?`` (not known) the type of a column id that two columns of one list (a ``CREATE TABLE``'s,
        an ``ADD COLUMN``'s) fold to with two types (``"Dob" DATE, DOB VARCHAR``: one id, as the lineage
        names them; review s14 R3), or two casts of one CTAS (review s15 T4). A column added by a later
        statement that folds onto an existing one is not told apart here: an added quoted name not all
        in upper case (``ADD COLUMN "Dob" DATE``) states ``?`` (:meth:`add_columns`); an unquoted one
        added to a table holding a quoted one (``"Dob"``, then ``ADD COLUMN DOB VARCHAR``) states its
        type over the other's."""
        types: dict[str, set[str]] = {}
        for change in self.changes[first:]:
            if change.fact == "data_type":
                types.setdefault(change.target, set()).add(str(change.value))
        clashing = {target for target, values in types.items() if len(values) > 1}
        if clashing:
            self.changes[first:] = [PolicyChange(c.target, c.fact, "?", c.key)
                                    if c.fact == "data_type" and c.target in clashing else c
                                    for c in self.changes[first:]]

    def cast_columns(self, tokens: list[Token], i: int, target: str) -> None:
        """Record the type of each column of a CTAS or view that its query's outermost ``SELECT``
        casts (``x::date AS c``, ``CAST(x AS VARCHAR) c``, ``TRY_CAST``; the cast is the whole item:
        ``CAST(x AS VARCHAR) = '1'`` is none, review s15 T13): the lineage keeps the value (a ``cast``
        edge, which gives no type), and the column has the cast's type (review s14 R1); ``?`` when
        the type is not one known here. Only named columns (an unaliased cast's
        column name is its expression). A set operation (``UNION`` …) gives its column the branches'
        common type: ``?`` for a column that is not a bare column in every branch (a literal or a
        cast there; review s14 R2), branches in parentheses (``(SELECT …) UNION ALL (SELECT …)``)
        and matched by name (``UNION ALL BY NAME``: the branch's item of that name) included.

        A bare column of the outermost ``SELECT`` (or a column its ``*`` may bring) whose name an inner
        ``SELECT`` (a CTE's, a subquery's) defines otherwise than as a bare column takes the type that
        definition gives: the cast's when every definition of that name is a cast to one type, else
        ``?`` (a cast in a CTE was taken as a plain copy, review s14 R1; names, not scopes, are
        matched: a homonym in an unrelated subquery makes it ``?``, an over-report)."""
        level = 0
        while i < len(tokens) and tokens[i].token_type == TokenType.L_PAREN:  # AS (SELECT …)
            level, i = level + 1, i + 1
        base, first_token = level, i
        depth = level
        while i < len(tokens):  # the outermost SELECT, past a WITH clause's bodies
            kind = tokens[i].token_type
            depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
            i += 1
            if kind == TokenType.SELECT and depth == level:
                break
        else:
            return
        branches, by_name, consumed = _read_branches(tokens, i, level)
        inner = _inner_definitions(tokens, first_token, base, consumed | {i - 1}, self.mapping)
        derived = _derived_names(tokens, first_token)
        stated: set[str] = set()
        spellings: dict[str, set[str]] = {}  # lower-case name -> the names as Snowflake resolves them
        for position, first in enumerate(branches[0]):
            named = _named(first)
            if named is None:
                continue
            name, expr = named
            items = [_item_named(b, name) if by_name else b[position] if position < len(b) else [] for b in branches]
            if len(branches) == 1:
                family = _cast_type(expr, self.mapping)
                if family is None and _bare(expr) and (len(expr) < 3 or _folded(expr[-3]) in derived):
                    family = _combined(inner, [expr])
            elif all(_bare(_named(x)[1]) if _named(x) else False for x in items):
                # which branch reads the inner query is not told by names: any inner definition -> not known
                family = None if _combined(inner, [_named(x)[1] for x in items]) is None else "?"  # type: ignore[index]
            else:
                family = "?"
            spellings.setdefault(name.text.lower(), set()).add(_folded(name))
            stated.add(name.text.lower())
            if family is not None:
                self.changes.append(PolicyChange(column_id(target, name.text.lower()), "data_type", family))
        for key, folded in sorted(spellings.items()):  # "Dob", DOB: two columns, one id (review s15 T4)
            if len(folded) > 1:
                self.changes.append(PolicyChange(column_id(target, key), "data_type", "?"))
        if any(_is_star(item) for branch in branches for item in branch):  # SELECT * (or q.*) brings them
            for key, values in sorted(inner.items()):
                family = _agreed(values)
                if family is not None and key.lower() not in stated:
                    self.changes.append(PolicyChange(column_id(target, key.lower()), "data_type", family))

    def column_definitions(self, cur: _Cursor, target: str, *, typed: bool = False) -> None:
        """Read a column list from its ``(`` to its ``)``, leaving the cursor after it; with ``typed``
        (a table's list, not a view's) each column's data type too."""
        depth, column, tokens, i = 0, None, cur.tokens, cur.i
        while i < len(tokens):
            kind = tokens[i].token_type
            if kind == TokenType.L_PAREN:
                depth += 1
                if depth == 1:
                    column = tokens[i + 1] if i + 1 < len(tokens) else None
                    if typed:
                        self.column_type(target, tokens, i + 1)
            elif kind == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    cur.i = i + 1
                    return
            elif kind == TokenType.COMMA and depth == 1:
                column = tokens[i + 1] if i + 1 < len(tokens) else None
                if typed:
                    self.column_type(target, tokens, i + 1)
            elif depth == 1 and column is not None and column.token_type != TokenType.STRING and column.text:
                named = column_id(target, column.text.lower())
                if _word(tokens[i]) == "MASKING" and i + 2 < len(tokens) and _word(tokens[i + 1]) == "POLICY":
                    policy = _Cursor(tokens[i + 2:]).name()
                    if policy is not None:
                        self.changes.append(PolicyChange(named, "masking_policy", _policy_name(policy)))
                elif _word(tokens[i]) == "TAG" and i + 1 < len(tokens) and tokens[i + 1].token_type == TokenType.L_PAREN:
                    tags = _Cursor(tokens)
                    tags.i = i + 1
                    tags.skip_parens()  # past the tag list's ``)``
                    self.set_tags(_Cursor(tokens[i + 2 : tags.i - 1]), named)
                    i = tags.i
                    continue
            i += 1
        cur.i = len(tokens)

    def column_type(self, table: str, tokens: list[Token], i: int, key: str = "") -> int:
        """Record the data type of the column defined at ``tokens[i]`` (``name type …``) when one is
        known there (a fact of ``key``); return the index after the name and type words read."""
        if i >= len(tokens) or tokens[i].token_type in (TokenType.STRING, TokenType.COMMA, TokenType.L_PAREN,
                                                        TokenType.R_PAREN) or _word(tokens[i]) in _NOT_COLUMNS:
            return i
        family = read_type(tokens, i + 1, self.mapping)
        if family is not None:
            self.changes.append(PolicyChange(column_id(table, tokens[i].text.lower()), "data_type", family, key))
        return i + 1

    def add_columns(self, cur: _Cursor, table: str) -> None:
        """``ADD [COLUMN] [IF NOT EXISTS] c type […] [, c2 type2 …]`` (Snowflake ALTER TABLE). With
        ``IF NOT EXISTS`` no type is stated: on a column that exists the statement does nothing, and
        its type may be another (review s14 R5). A quoted name not all in upper case (``"Dob"``) states
        ``?``: it may fold onto an existing ``DOB`` of another type, one id in the lineage (review s15 T4).
        A name stored upper case (``DOB``, ``"DOB"``) may fold onto an existing ``"Dob"`` the same way:
        its type is a fact of key :data:`~lineage_engine.model.ADDED_COLUMN_TYPE`, which the scan takes as
        known only where the id held no column before (review s16 T4)."""
        conditional = False
        while True:
            cur.accept("COLUMN")
            conditional = cur.accept("IF", "NOT", "EXISTS") or conditional
            start = cur.i
            if not conditional:
                first = len(self.changes)
                name = cur.tokens[start] if start < len(cur.tokens) else None
                mixed = name is not None and name.token_type == TokenType.IDENTIFIER and name.text != name.text.upper()
                self.column_type(table, cur.tokens, start, "" if mixed else ADDED_COLUMN_TYPE)
                if mixed:
                    # "Dob" may fold onto an existing DOB (one id, two columns): not known (review s15 T4)
                    self.changes[first:] = [PolicyChange(c.target, c.fact, "?", c.key) if c.fact == "data_type"
                                            else c for c in self.changes[first:]]
            depth = 0  # on to the comma that starts the next column, past parameters and clauses
            while cur.peek() is not None:
                kind = cur.peek().token_type  # type: ignore[union-attr]
                if kind == TokenType.COMMA and depth == 0:
                    break
                depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
                cur.i += 1
            if not cur.at_comma():
                return

    def alter_object(self, cur: _Cursor, target: str) -> None:
        while cur.peek() is not None:
            if cur.accept("MODIFY") or cur.accept("ALTER"):
                self.alter_columns(cur, target)
                return
            if _word(cur.peek()) == "ADD" and _word(cur.peek(1)) not in _NOT_COLUMNS | {"ROW", "SEARCH"}:
                cur.i += 1
                first = len(self.changes)
                self.add_columns(cur, target)
                self.fold_clashes(first)  # ADD "Dob" DATE, DOB VARCHAR: one id, two types (review s14 R3)
                return
            if cur.accept("SET", "TAG"):
                self.set_tags(cur, target)
            elif cur.accept("UNSET", "TAG"):
                self.unset_tags(cur, target)
            elif cur.accept("ADD", "ROW", "ACCESS", "POLICY"):
                parts = cur.name()
                if parts is None:
                    return
                self.changes.append(PolicyChange(target, "row_access_policy", _policy_name(parts)))
                if cur.accept("ON"):
                    cur.skip_parens()
            elif cur.accept("DROP", "ROW", "ACCESS", "POLICY"):
                if cur.name() is None:
                    return
                self.changes.append(PolicyChange(target, "row_access_policy", None))
            elif cur.accept("DROP", "ALL", "ROW", "ACCESS", "POLICIES"):
                self.changes.append(PolicyChange(target, "row_access_policy", None))
            elif _word(cur.peek()) == "DROP" and (_word(cur.peek(1)).split() or [""])[0] not in _NOT_COLUMNS | _NOT_DROPPED:
                cur.i += 1
                self.drop_columns(cur, target)
                return
            else:
                return
            if not cur.at_comma():
                return

    def drop_columns(self, cur: _Cursor, table: str) -> None:
        """``DROP [COLUMN] [IF EXISTS] c [, c2 …]`` (Snowflake ALTER TABLE): the columns are gone, and
        their data types (``None`` of both keys) and masking policies with them, so a column added again
        under the name states its own type (without this, the old type held on, and an added column was
        taken as folding onto it: review s16 T4) and is not masked by the dropped one's policy (it was:
        its copies were no finding, a false negative). A :data:`~lineage_engine.model.COLUMN_DROPPED`
        change makes the crawl end the column's other facts too: its tags, whose names are not known
        here (review s18)."""
        cur.accept("COLUMN")
        cur.accept("IF", "EXISTS")
        while True:
            parts = cur.name()
            if parts is None or len(parts) != 1:
                return
            column = column_id(table, parts[0][0].lower())
            self.changes += [PolicyChange(column, "data_type", None, key) for key in ("", ADDED_COLUMN_TYPE)]
            self.changes += [PolicyChange(column, "masking_policy", None), PolicyChange(column, COLUMN_DROPPED, None)]
            if not cur.at_comma():
                return

    def alter_columns(self, cur: _Cursor, table: str) -> None:
        while cur.peek() is not None:
            cur.accept("COLUMN")
            parts = cur.name()
            if parts is None or len(parts) != 1:
                return
            name = parts[0][0]
            column = column_id(table, name.lower())
            if cur.accept("SET", "MASKING", "POLICY"):
                policy = cur.name()
                if policy is None:
                    return
                self.changes.append(PolicyChange(column, "masking_policy", _policy_name(policy)))
                if cur.accept("USING"):
                    cur.skip_parens()
                cur.accept("FORCE")
            elif cur.accept("UNSET", "MASKING", "POLICY"):
                self.changes.append(PolicyChange(column, "masking_policy", None))
            elif cur.accept("SET", "DATA", "TYPE") or cur.accept("TYPE") or cur.accept("DATA", "TYPE"):
                family = read_type(cur.tokens, cur.i, self.mapping)
                if family is not None:
                    self.changes.append(PolicyChange(column, "data_type", family))
                depth = 0
                while cur.peek() is not None and not (depth == 0 and cur.peek().token_type == TokenType.COMMA):  # type: ignore[union-attr]
                    kind = cur.peek().token_type  # type: ignore[union-attr]
                    depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
                    cur.i += 1
            elif cur.accept("SET", "TAG"):
                self.set_tags(cur, column)
            elif cur.accept("UNSET", "TAG"):
                self.unset_tags(cur, column)
            else:
                return
            if not cur.at_comma():
                return

    def tag_policies(self, cur: _Cursor, tag: str) -> None:
        setting = cur.accept("SET")
        if not setting and not cur.accept("UNSET"):
            return
        while cur.accept("MASKING", "POLICY"):
            policy = cur.name()
            if policy is None:
                return
            name = _policy_name(policy)
            self.changes.append(PolicyChange(tag, "tag_masking_policy", name if setting else None, name))
            if not cur.at_comma():
                return

    def set_tags(self, cur: _Cursor, target: str) -> None:
        while True:
            parts = cur.name()
            eq, value = cur.peek(), cur.peek(1)
            if parts is None or eq is None or eq.token_type != TokenType.EQ or value is None \
                    or value.token_type != TokenType.STRING:
                return
            cur.i += 2
            key = _tag_name(parts)
            self.changes.append(PolicyChange(target, "tag", value.text[:TAG_VALUE_MAX], key))
            if not cur.next_in_list():
                return

    def unset_tags(self, cur: _Cursor, target: str) -> None:
        while True:
            parts = cur.name()
            if parts is None:
                return
            key = _tag_name(parts)
            self.changes.append(PolicyChange(target, "tag", None, key))
            if not cur.next_in_list():
                return

    def create_policy(self, cur: _Cursor, *, if_absent: bool = False) -> None:
        parts = cur.name()
        if parts is None or not cur.accept("AS"):
            return
        start = cur.peek()
        if start is None or start.token_type != TokenType.L_PAREN:
            return
        argument = cur.peek(1)
        family = read_type(cur.tokens, cur.i + 2, self.mapping) if argument is not None else None
        cur.skip_parens()
        arg = argument.text if argument is not None and argument.token_type != TokenType.R_PAREN else None
        if not cur.accept("RETURNS"):
            return
        while cur.peek() is not None and cur.peek().token_type != TokenType.ARROW:  # type: ignore[union-attr]
            cur.i += 1
        self.body(cur, self.policy(parts), arg, family, if_absent=if_absent)

    def body(self, cur: _Cursor, name: str, arg: str | None, data_type: str | None = None, *,
             if_absent: bool = False) -> None:
        arrow = cur.peek()
        if arrow is None or arrow.token_type != TokenType.ARROW:
            return
        rest = cur.tokens[cur.i + 1 :]
        end = next((k for k, t in enumerate(rest) if _word(t) == "COMMENT" and k + 1 < len(rest)
                    and rest[k + 1].token_type == TokenType.EQ), len(rest))
        if not rest[:end]:
            return
        text = self.text[rest[0].start : rest[end - 1].end + 1]
        understood, roles = _read_body(text, arg)
        by_invoker = any(_word(t) in _INVOKER_FUNCTIONS for t in rest[:end])
        self.bodies.append(PolicyBody(name, understood, roles, by_invoker, data_type, if_absent))


def _next_branch(tokens: list[Token], i: int, level: int, floor: int = -1) -> tuple[int, int, bool] | None:
    """Return where the next branch of a set operation starts, reading on from ``tokens[i]`` (the
    token that ended a projection at paren depth ``level``: ``FROM``, ``UNION``, the ``)`` closing a
    parenthesized branch …): ``(index after its SELECT, its projection's depth, matched BY NAME)``;
    None when there is none before the parentheses closing depth ``floor`` end the query. The operator
    may stand outside the branch's parentheses (``(SELECT …) UNION ALL (SELECT …)``), never inside a
    deeper subquery."""
    depth = level
    while i < len(tokens):
        kind = tokens[i].token_type
        if depth <= level and _word(tokens[i]) in ("UNION", "EXCEPT", "INTERSECT", "MINUS"):
            break
        depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
        if depth <= floor:
            return None
        level = min(level, depth)  # out of the branch's parentheses: the operator may follow them
        i += 1
    else:
        return None
    i += 1
    while i < len(tokens) and _word(tokens[i]) in ("ALL", "DISTINCT"):
        i += 1
    by_name = i + 1 < len(tokens) and _word(tokens[i]) == "BY" and _word(tokens[i + 1]) == "NAME"
    if by_name:
        i += 2
    while i < len(tokens) and tokens[i].token_type == TokenType.L_PAREN:
        depth, i = depth + 1, i + 1
    return (i + 1, depth, by_name) if i < len(tokens) and tokens[i].token_type == TokenType.SELECT else None


def _read_branches(tokens: list[Token], i: int, level: int,
                   floor: int = -1) -> tuple[list[list[list[Token]]], bool, set[int]]:
    """Read the projections of a ``SELECT`` (``tokens[i]`` follows it; its items at paren depth
    ``level``) and of the set operation's later branches, within paren depth above ``floor`` (an inner
    query's parentheses): ``(branches: items, matched BY NAME, indexes of the later branches' SELECT
    tokens)``."""
    branches: list[list[list[Token]]] = [[]]
    by_name, consumed, depth = False, set(), level
    item: list[Token] = []
    at = i
    while at <= len(tokens):
        token = tokens[at] if at < len(tokens) else None
        kind = token.token_type if token is not None else None
        if token is None or (depth == level and (kind == TokenType.COMMA or _word(token) in _PROJECTION_ENDS)) \
                or (kind == TokenType.R_PAREN and depth == level):
            branches[-1].append(item)
            item = []
            if kind == TokenType.COMMA:
                at += 1
                continue
            found = _next_branch(tokens, at, level, floor) if token is not None else None
            if found is None:
                break
            at, depth, named_match = found
            consumed.add(at - 1)
            level, by_name = depth, by_name or named_match
            branches.append([])
            continue
        depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
        item.append(token)
        at += 1
    return branches, by_name, consumed


def _inner_definitions(tokens: list[Token], i: int, depth: int, skip: set[int],
                       mapping: str | None) -> dict[str, list[str | None]]:
    """Return folded column name -> what each inner ``SELECT`` (every one from ``tokens[i]`` on, at paren
    depth ``depth`` there, but those at ``skip``: the outermost query's) defines it as: None for a bare
    column in every branch, a cast's family, ``?`` for anything else (an expression, a literal, a set
    operation's column not bare in every branch)."""
    out: dict[str, list[str | None]] = {}
    selects: list[tuple[int, int]] = []
    opened = 0  # parentheses right before the token: an inner query's own
    for k in range(i, len(tokens)):
        kind = tokens[k].token_type
        if kind == TokenType.SELECT and k not in skip:
            selects.append((k, depth, depth - opened))
        depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
        opened = opened + 1 if kind == TokenType.L_PAREN else 0
    for k, level, floor in selects:
        if k in skip:
            continue
        branches, by_name, consumed = _read_branches(tokens, k + 1, level, floor)
        skip |= consumed
        for position, first in enumerate(branches[0]):
            named = _named(first)
            if named is None:
                continue
            name, expr = named
            items = [_item_named(b, name) if by_name else b[position] if position < len(b) else [] for b in branches]
            if len(branches) > 1:
                family = None if all(_bare(_named(x)[1]) if _named(x) else False for x in items) else "?"
            else:
                family = None if _bare(expr) else (_cast_type(expr, mapping) or "?")
            out.setdefault(_folded(name), []).append(family)
    return out


def _derived_names(tokens: list[Token], i: int) -> set[str]:
    """Return the folded names of the CTEs (``q AS (``, ``q (a, b) AS (``) and parenthesized subqueries
    (``) [AS] q``) from ``tokens[i]`` on: a column qualified by another name is a table's."""
    names: set[str] = set()
    count, plain, opening, closing = len(tokens), (TokenType.VAR, TokenType.IDENTIFIER), TokenType.L_PAREN, TokenType.R_PAREN
    for k in range(i, count):  # the cheap tests first: every token of a CTAS passes here (issue 13)
        token = tokens[k]
        if token.token_type not in plain:
            continue
        nxt = tokens[k + 1] if k + 1 < count else None
        if nxt is not None and nxt.token_type == opening:
            if _word(tokens[k - 1]) in ("WITH", ","):
                names.add(_folded(token))  # q (a, b) AS (…): a CTE with a column list
                continue
        elif k + 2 < count and tokens[k + 2].token_type == opening and _word(nxt) == "AS":
            names.add(_folded(token))
            continue
        if k > 0 and (tokens[k - 1].token_type == closing
                      or (tokens[k - 2].token_type == closing and _word(tokens[k - 1]) == "AS")):
            names.add(_folded(token))
    return names


def _combined(inner: dict[str, list[str | None]], exprs: list[list[Token]]) -> str | None:
    """Return the family bare columns ``exprs`` (one output column: one per branch of a set operation)
    take from ``inner`` definitions of their names (:func:`_agreed`, for each and then across them),
    None when none is defined otherwise than as a bare column."""
    return _agreed([_agreed(list(inner.get(_folded(expr[-1]), ()))) for expr in exprs])


def _agreed(values: list[str | None]) -> str | None:
    """None when every definition is a bare column (or there is none), the family when all are casts
    to it, else ``?``."""
    if all(v is None for v in values):
        return None
    found = set(values)
    return found.pop() if len(found) == 1 else "?"


def _is_star(item: list[Token]) -> bool:
    """Return True for ``*`` or ``q.*`` (with ``EXCLUDE``/``RENAME``/``REPLACE``/``ILIKE`` after it)."""
    star = next((k for k, t in enumerate(item) if t.token_type == TokenType.STAR), None)
    return star is not None and all(t.token_type in (TokenType.VAR, TokenType.IDENTIFIER, TokenType.DOT)
                                    for t in item[:star])


def _folded(token: Token) -> str:
    """Return a name as Snowflake resolves it: quoted as written, unquoted in upper case."""
    return token.text if token.token_type == TokenType.IDENTIFIER else token.text.upper()


def _item_named(items: list[list[Token]], name: Token) -> list[Token]:
    """Return the projection item of ``items`` named as ``name`` is (unquoted names fold), else an empty one."""

    for item in items:
        named = _named(item)
        if named is not None and _folded(named[0]) == _folded(name):
            return item
    return []


def _named(item: list[Token]) -> tuple[Token, list[Token]] | None:
    """Return ``(name, expression)`` of a projection item named by an alias or a bare column
    (``a.b``), else None."""
    if len(item) >= 3 and _word(item[-2]) == "AS":
        return item[-1], item[:-2]
    if len(item) >= 2 and item[-1].token_type in (TokenType.VAR, TokenType.IDENTIFIER) \
            and item[-2].token_type not in (TokenType.DCOLON, TokenType.DOT):
        return item[-1], item[:-1]
    if _bare(item):
        return item[-1], item
    return None


def _bare(expr: list[Token]) -> bool:
    """Return True for a bare (dotted) column reference: identifiers and dots only."""
    return bool(expr) and all(t.token_type in (TokenType.VAR, TokenType.IDENTIFIER, TokenType.DOT) for t in expr)


def _cast_type(expr: list[Token], mapping: str | None = None) -> str | None:
    """Return the family an expression casts to when the cast *is* the expression (``x::date``,
    ``CAST(x AS DATE)``, ``TRY_CAST``, ``f(x)::number(38, 0)``, ``x::varchar::date``; ``?`` for a type
    not known here), None when it is no cast. A cast followed or preceded by an operator is not one
    (``CAST(x AS VARCHAR) = '1'`` is BOOLEAN, ``x::date - y::date`` a NUMBER: review s15 T13):
    before the last ``::`` of its level only an operand may stand, after it only a type."""
    while len(expr) >= 2 and expr[0].token_type == TokenType.L_PAREN and _closes(expr, 0) == len(expr) - 1:
        expr = expr[1:-1]
    last, depth = None, 0
    for k, token in enumerate(expr):
        depth += (token.token_type == TokenType.L_PAREN) - (token.token_type == TokenType.R_PAREN)
        if depth == 0 and token.token_type == TokenType.DCOLON:
            last = k
    if last is not None:
        if not (_operand(expr[:last]) and _type_only(expr[last + 1:])):
            return None
        return read_type(expr, last + 1, mapping) or "?"
    if len(expr) > 1 and _word(expr[0]) in ("CAST", "TRY_CAST") and expr[1].token_type == TokenType.L_PAREN \
            and _closes(expr, 1) == len(expr) - 1:
        depth = 0
        for k, token in enumerate(expr):
            depth += (token.token_type == TokenType.L_PAREN) - (token.token_type == TokenType.R_PAREN)
            if depth == 1 and _word(token) == "AS":
                return read_type(expr, k + 1, mapping) or "?"
    return None


def _closes(expr: list[Token], i: int) -> int:
    """Return the index of the ``)`` that closes the ``(`` at ``expr[i]``, -1 when none does."""
    depth = 0
    for k in range(i, len(expr)):
        depth += (expr[k].token_type == TokenType.L_PAREN) - (expr[k].token_type == TokenType.R_PAREN)
        if depth == 0:
            return k
    return -1


_OPERAND_SYMBOLS = frozenset({TokenType.DOT, TokenType.COLON, TokenType.DCOLON, TokenType.L_PAREN, TokenType.R_PAREN,
                              TokenType.L_BRACKET, TokenType.R_BRACKET, TokenType.STRING, TokenType.NUMBER,
                              TokenType.VAR, TokenType.IDENTIFIER})
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "IS", "NULL", "LIKE", "ILIKE", "RLIKE", "REGEXP", "BETWEEN", "IN",
                             "CASE", "WHEN", "THEN", "ELSE", "END", "COLLATE", "ESCAPE", "DISTINCT", "FROM"})


def _operand(expr: list[Token]) -> bool:
    """Return True when ``expr`` (what stands before a ``::``) is one operand at its level: a column,
    a path, a literal, a call or a parenthesized expression, earlier casts; no operator (``+``, ``=``,
    ``||``, ``IS``, ``CASE`` …: a ``CASE … END::t`` is not told from ``a = CASE … END::t``: None)."""
    depth = 0
    for token in expr:
        if depth == 0:
            if token.token_type not in _OPERAND_SYMBOLS and not token.text.replace("_", "").isalnum():
                return False
            if _word(token) in _OPERATOR_WORDS:
                return False
        depth += (token.token_type == TokenType.L_PAREN) - (token.token_type == TokenType.R_PAREN)
    return bool(expr)


def _type_only(expr: list[Token]) -> bool:
    """Return True when ``expr`` (what follows a ``::``) is a type and nothing else: words at its level
    (``TIMESTAMP WITH LOCAL TIME ZONE``, a type not known here), parameters in parentheses
    (``NUMBER(38, 0)``); no operator (``IS NOT NULL``, ``BETWEEN``, ``=``, ``||`` …)."""
    depth = 0
    for token in expr:
        if depth == 0 and token.token_type not in (TokenType.L_PAREN, TokenType.R_PAREN) and (
                not token.text.replace("_", "").isalnum() or _word(token) in _OPERATOR_WORDS):
            return False
        depth += (token.token_type == TokenType.L_PAREN) - (token.token_type == TokenType.R_PAREN)
    return bool(expr)


_PROJECTION_ENDS = frozenset({"FROM", "UNION", "EXCEPT", "INTERSECT", "MINUS", "WHERE", "GROUP", "ORDER",
                              "LIMIT", "QUALIFY", "HAVING"})
"""Words that end a ``SELECT``'s projection at its own level."""
_NOT_COLUMNS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "INDEX", "LIKE"})
"""Words that start an out-of-line constraint (or a clause) in a column list or after ``ADD``, not a column."""
_NOT_DROPPED = frozenset({"ROW", "SEARCH", "CLUSTERING", "AGGREGATION", "JOIN", "PROJECTION", "STORAGE", "MASKING",
                          "TAG", "PARTITION", "PARTITIONS", "FEATURE", "CONTACT", "ALL"})
"""Words after ``ALTER TABLE t DROP`` that drop something other than columns (as :mod:`.ddl` reads them)."""

_INVOKER_FUNCTIONS = frozenset({"INVOKER_ROLE", "IS_GRANTED_TO_INVOKER_ROLE"})
"""Context functions that evaluate, through a view, the view owner's role (Snowflake "INVOKER_ROLE")."""

_HIERARCHY_FUNCTIONS = frozenset({"IS_ROLE_IN_SESSION", "IS_GRANTED_TO_INVOKER_ROLE"})
"""Role tests true for every role inheriting the named one (Snowflake "IS_ROLE_IN_SESSION",
"IS_GRANTED_TO_INVOKER_ROLE"): a clear branch tested so is not understood."""


def _read_body(text: str, arg: str | None) -> tuple[bool, tuple[str, ...]]:
    try:
        node = sqlglot.parse_one(text, read="snowflake")
    except (SqlglotError, ValueError):
        return False, ()
    if not isinstance(node, exp.Case) or node.this is not None:
        return False, ()
    if arg is None:  # ALTER MASKING POLICY … SET BODY: the signature is not in the statement
        arg = _only_column(node)

    def reads_arg(e: exp.Expr | None) -> bool:
        if e is None:
            return False
        if arg is None:
            return True  # the argument is unknown: any branch may show it
        return any(c.name.lower() == arg.lower() for c in e.find_all(exp.Column))

    def is_arg(e: exp.Expr | None) -> bool:
        return isinstance(e, exp.Column) and not e.table and arg is not None and e.name.lower() == arg.lower()

    clear: set[str] = set()
    for branch in node.args.get("ifs") or []:
        roles = _role_test(branch.this)
        if roles is None:
            return False, ()
        then = branch.args.get("true")
        if is_arg(then):
            if _by_hierarchy(branch.this):
                return False, ()
            clear.update(roles)
        elif reads_arg(then):
            return False, ()
    if reads_arg(node.args.get("default")):
        return False, ()
    return True, tuple(sorted(clear))


def _only_column(node: exp.Expr) -> str | None:
    """Return the one column name a body reads, else None (none, or several).

    A body may read only the policy's arguments (Snowflake "CREATE MASKING POLICY"; the signature
    cannot change: "ALTER MASKING POLICY"), so a body of ``SET BODY`` reading a single name reads
    the masked argument; a conditional policy's body (two arguments) or one with a subquery reads
    several, and stays not understood unless every branch is a constant.
    """
    names = {c.name.lower() for c in node.find_all(exp.Column)}
    return names.pop() if len(names) == 1 else None


def _role_test(node: exp.Expr | None) -> set[str] | None:
    """Return the roles a condition admits, or None when it is not a plain role test."""
    if isinstance(node, exp.Paren):
        return _role_test(node.this)
    if isinstance(node, exp.Or):
        left, right = _role_test(node.this), _role_test(node.expression)
        return None if left is None or right is None else left | right
    if isinstance(node, exp.In) and _is_current_role(node.this):
        values = node.expressions
        if values and all(isinstance(v, exp.Literal) and v.is_string for v in values):
            return {v.this.upper() for v in values}
        return None
    if isinstance(node, exp.EQ):
        for fn, lit in ((node.this, node.expression), (node.expression, node.this)):
            if _is_current_role(fn) and isinstance(lit, exp.Literal) and lit.is_string:
                return {lit.this.upper()}
        return None
    if isinstance(node, exp.Anonymous) and node.name.upper() in _HIERARCHY_FUNCTIONS:
        values = node.expressions
        if len(values) == 1 and isinstance(values[0], exp.Literal) and values[0].is_string:
            return {values[0].this.upper()}
    return None


def _by_hierarchy(node: exp.Expr) -> bool:
    """Say whether a role test admits roles other than those it names.

    ``IS_ROLE_IN_SESSION('R')`` (and ``IS_GRANTED_TO_INVOKER_ROLE('R')``) is true for every
    active role that inherits ``R`` and for the session's secondary roles (Snowflake
    "IS_ROLE_IN_SESSION"), which the query
    history's ``ROLE_NAME`` (the primary role) does not tell: a copy by any role may have
    read clear values.
    """
    return any(n.name.upper() in _HIERARCHY_FUNCTIONS for n in node.find_all(exp.Anonymous))


def _is_current_role(node: exp.Expr | None) -> bool:
    """``CURRENT_ROLE()``, or ``INVOKER_ROLE()`` (the same role outside a view; through one, its owner's)."""
    if isinstance(node, exp.CurrentRole):
        return True
    return isinstance(node, exp.Anonymous) and node.name.upper() in ("CURRENT_ROLE", "INVOKER_ROLE")
