"""What a column name means inside one SELECT: its sources (tables, derived tables, UDTFs).

A :class:`Scope` holds the relations of one ``FROM`` clause (joins and laterals
included), in text order, keyed by alias. Each relation answers three questions:

* ``has(name)``: True / False when the relation's columns are known (a derived table, a
  table the schema provider knows, a UDTF with declared columns), None when unknown (a
  table without schema);
* ``lookup(name)``: the column's upstream dependencies ``{source column id: transform}``;
* ``names()``: its column names in order, for ``SELECT *``; None when unknown.

A name resolves, in order: a ``JOIN ... USING`` column to every relation joined on it;
to the one relation that has it (several: all of them); to a select-list alias (a lateral alias reference, or an
alias in QUALIFY / GROUP BY / HAVING); to the one relation whose columns are unknown;
then to the enclosing scope (a correlated subquery); last, when no relation in any scope
has or may have it, to an earlier select-list alias in any dialect (the name can be
nothing else). Two or more relations with unknown
columns make the name ambiguous: it resolves to ``<unresolved>.name``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lineage_engine.model import UNRESOLVED_DATASET, column_id, quote_part
from lineage_engine.parsing.transforms import EXPRESSION, IDENTITY, along

Deps = dict[str, int]
"""Upstream column id -> transform rank (see :mod:`.transforms`)."""

UNRESOLVED = UNRESOLVED_DATASET
"""Table part of a source column id whose dataset cannot be known without a schema."""

FLATTEN_COLUMNS: tuple[str, ...] = ("seq", "key", "path", "index", "value", "this")
"""Columns of Snowflake's FLATTEN; SEQ and INDEX are counters, the others carry input data."""
_FLATTEN_COUNTERS = frozenset({"seq", "index"})


@dataclass(slots=True)
class Output:
    """One output column of a query: lower-case name (``*`` for an unexpanded star) and deps."""

    name: str
    deps: Deps


class Relation:
    """A relation in a FROM clause; subclasses say what its columns are."""

    __slots__ = ()

    def has(self, name: str) -> bool | None:
        """Return whether the relation has column ``name``; None when unknown."""
        return False

    def lookup(self, name: str) -> Deps:
        """Return the dependencies of column ``name`` (empty when it carries no data)."""
        return {}

    def names(self) -> Sequence[str] | None:
        """Return column names in order for ``SELECT *``; None when unknown."""
        return ()

    def star(self) -> Deps:
        """Return the dependencies of an unexpanded ``*`` over this relation."""
        return {}


class TableRelation(Relation):
    """A dataset read; its columns come from the schema provider when it knows them."""

    __slots__ = ("dataset_id", "columns", "_known")

    def __init__(self, dataset_id: str, columns: Sequence[str] | None) -> None:
        self.dataset_id = dataset_id
        self.columns = columns
        self._known = frozenset(columns) if columns is not None else None

    def has(self, name: str) -> bool | None:
        return None if self._known is None else name in self._known

    def lookup(self, name: str) -> Deps:
        return {column_id(self.dataset_id, name): IDENTITY}

    def names(self) -> Sequence[str] | None:
        return self.columns

    def star(self) -> Deps:
        return {f"{self.dataset_id}.*": IDENTITY}


class DerivedRelation(Relation):
    """A subquery, CTE or VALUES list: its columns are the query's outputs."""

    __slots__ = ("outputs", "_by_name", "_star")

    def __init__(self, outputs: list[Output]) -> None:
        self.outputs = outputs
        self._by_name: dict[str, Deps] = {}
        star: Deps = {}
        for out in outputs:
            if out.name == "*":
                merge_deps(star, out.deps)
            elif out.name not in self._by_name:
                self._by_name[out.name] = out.deps
        self._star = star

    def has(self, name: str) -> bool | None:
        if name in self._by_name:
            return True
        return None if self._star else False

    def lookup(self, name: str) -> Deps:
        found = self._by_name.get(name)
        if found is not None:
            return found
        # A column of an unexpanded star: table.* stands for table.name.
        return {_star_to(key, name): rank for key, rank in self._star.items()}

    def names(self) -> Sequence[str] | None:
        return [out.name for out in self.outputs]

    def star(self) -> Deps:
        return self._star


class FunctionRelation(Relation):
    """A table function (FLATTEN, UNNEST, EXPLODE, LATERAL VIEW ...): columns derive from its inputs."""

    __slots__ = ("columns", "inputs", "flatten")

    def __init__(self, columns: Sequence[str], inputs: Deps, *, flatten: bool) -> None:
        self.columns = tuple(columns) if columns else (FLATTEN_COLUMNS if flatten else ())
        self.inputs = {key: along(EXPRESSION, rank) for key, rank in inputs.items()}
        self.flatten = flatten

    def has(self, name: str) -> bool | None:
        return name in self.columns if self.columns else None

    def lookup(self, name: str) -> Deps:
        if self.flatten and name in _FLATTEN_COUNTERS:
            return {}
        return dict(self.inputs)

    def names(self) -> Sequence[str] | None:
        # A UDTF whose columns are not declared (``TABLE(db.s.f(email)) u`` with no column list):
        # ``u.*`` is unknown columns deriving from the inputs, never no column at all.
        return self.columns or None

    def star(self) -> Deps:
        return dict(self.inputs)


@dataclass(slots=True)
class Scope:
    """The relations and select-list aliases visible to the expressions of one SELECT.

    Attributes:
        relations: alias (lower case) -> relation, in FROM order.
        alternates: other qualifiers naming a table relation (its bare name, when aliased).
        parent: the enclosing query's scope, for correlated references.
        aliases: select-list aliases resolved so far, name -> deps.
        lateral_aliases: the dialect lets a select-list item use an earlier item's alias.
        using: ``JOIN ... USING (c)`` columns -> the relations joined on them; an
            unqualified ``c`` is the coalesced value of all of them.
    """

    relations: dict[str, Relation] = field(default_factory=dict)
    alternates: dict[str, Relation] = field(default_factory=dict)
    parent: Scope | None = None
    aliases: dict[str, Deps] = field(default_factory=dict)
    lateral_aliases: bool = False
    using: dict[str, list[Relation]] = field(default_factory=dict)

    def join_using(self, name: str, joined: Relation) -> None:
        """Record that ``joined`` is joined to the relations before it on column ``name``."""
        prior = self.using.get(name)
        if prior is None:
            left = [r for r in self.relations.values() if r is not joined]
            definite = [r for r in left if r.has(name)]
            unknown = [r for r in left if r.has(name) is None]
            prior = definite or (unknown if len(unknown) == 1 else [])
        if prior:
            self.using[name] = [*prior, joined]

    def add(self, alias: str, relation: Relation, *alternates: str) -> None:
        """Register ``relation`` under ``alias`` (and extra qualifiers that may name it)."""
        self.relations.setdefault(alias, relation)
        for name in alternates:
            if name and name not in self.relations:
                self.alternates.setdefault(name, relation)

    def positional(self, position: int, qualifier: str = "") -> Deps:
        """Resolve Snowflake's ``$2`` / ``t.$2``: the column at 1-based ``position`` of relation
        ``qualifier``, or of the FROM clause's relations taken in order.

        Past a relation whose columns are unknown (or an unexpanded star) the position cannot be
        counted: the column may be any of that relation's or a later one's (their stars).
        """
        if qualifier:
            relation = self.qualified(qualifier)
            relations = [relation] if relation is not None else []
        else:
            relations = list(self.relations.values())
        offset = position - 1
        for i, relation in enumerate(relations):
            names = relation.names()
            if names is None or "*" in names[: offset + 1]:
                unknown: Deps = {}
                for later in relations[i:]:
                    merge_deps(unknown, later.star())
                return unknown
            if offset < len(names):
                return relation.lookup(names[offset])
            offset -= len(names)
        return {}

    def qualified(self, qualifier: str) -> Relation | None:
        """Return the relation a column qualifier names here or in an enclosing scope."""
        scope: Scope | None = self
        while scope is not None:
            found = scope.relations.get(qualifier) or scope.alternates.get(qualifier)
            if found is not None:
                return found
            scope = scope.parent
        return None

    def find(self, name: str, *, use_aliases: bool) -> Deps | None:
        """Resolve an unqualified column name (module docstring); None when not found at all."""
        scope: Scope | None = self
        first = True
        while scope is not None:
            joined = scope.using.get(name)
            if joined:
                merged_using: Deps = {}
                for relation in joined:
                    merge_deps(merged_using, relation.lookup(name))
                return merged_using
            definite: list[Relation] = []
            unknown: list[Relation] = []
            for relation in scope.relations.values():
                has = relation.has(name)
                if has:
                    definite.append(relation)
                elif has is None:
                    unknown.append(relation)
            if len(definite) == 1:
                return definite[0].lookup(name)
            if definite:
                merged: Deps = {}
                for relation in definite:
                    merge_deps(merged, relation.lookup(name))
                return merged
            if first and (use_aliases or scope.lateral_aliases) and name in scope.aliases:
                return scope.aliases[name]
            if len(unknown) == 1:
                return unknown[0].lookup(name)
            if unknown:
                return {column_id(UNRESOLVED, name): IDENTITY}
            scope, first = scope.parent, False
        # No relation has or may have the name (every schema is known): in any dialect the
        # only thing it can be is an earlier select-list alias (a lateral reference).
        return self.aliases.get(name)


def positional_names(outputs: list[Output], names: Sequence[str], *, keep_rest: bool) -> list[Output]:
    """Give ``names`` (a column list: ``CREATE t (a, b) AS``, ``INSERT INTO t (a, b)``, ``AS s (a, b)``)
    to ``outputs`` by position.

    An unexpanded star (``*``: a relation whose columns are unknown) stands for an unknown
    number of columns, so from its position on each name may hold any of its columns or of a
    later output's: they all get the star's and the later outputs' dependencies. Outputs past
    the names are dropped, or kept as they are with ``keep_rest``.
    """
    named: list[Output] = []
    for i, output in enumerate(outputs):
        if i >= len(names):
            if keep_rest:
                named.extend(outputs[i:])
            break
        if output.name == "*":
            rest: Deps = {}
            for later in outputs[i:]:
                merge_deps(rest, later.deps)
            named.extend(Output(name, dict(rest)) for name in names[i:])
            break
        named.append(Output(names[i], output.deps))
    return named


def merge_deps(into: Deps, deps: Deps) -> None:
    """Add alternative paths: keep the most revealing transform per upstream column."""
    for key, rank in deps.items():
        if into.get(key, -2) < rank:  # -1 is CONDITION
            into[key] = rank


def _star_to(key: str, name: str) -> str:
    return key[:-1] + quote_part(name) if key.endswith(".*") else key
