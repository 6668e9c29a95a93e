"""Extraction results kept in the registry, so a crawl reading a source again parses nothing twice (issue 13).

``crawl --reset-watermark`` (or a replaced file) reads a history again from its start; its
rows' lineage is already in the graph, but the crawl must still follow every statement to
rebuild the temporary tables of each session and the columns learned, and a statement's
column lineage depends on the columns learned before it. Parsing is most of that work.

Each statement a crawl extracted is stored once, keyed by a digest of its parse cache key
(:meth:`~lineage_engine.parse_cache.ParseCache.key`: the parameterized hash or a digest of
the text, with the session's database and schema) together with :func:`parser_version`
(the parser's code, sqlglot's version and the options that change an extraction: dialect,
temp patterns, the compliance function lists, indirect column edges). The stored value is
the extraction result without any text (statements, column edges, problems, confidence,
fingerprint, column reads: names only, as the graph stores them) and the schema answers it
used; a crawl takes it exactly as the in-memory parse cache does, only while its learned
schema at that row still gives the same answers (else it parses the row). So a stored
result is always the result a fresh parse would give: a replay ends with the graph, crawl
state and quarantine of a clean crawl. Results with a quarantine problem (parse error,
timeout...) are not stored: their rows are parsed again. Query text is never stored.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lineage_engine.model import (
    ColumnLineage,
    DatasetRef,
    ExtractionResult,
    Operation,
    Problem,
    StatementLineage,
    TravelPoint,
)
from lineage_engine.parse_cache import QUARANTINE_CODES, Answers, Extracted

if TYPE_CHECKING:
    from lineage_engine.parse_cache import ParseCache
    from lineage_engine.parse_pool import Planned
    from lineage_engine.crawl_options import CrawlOptions
    from lineage_engine.registry.repository import Registry

_OPERATIONS = {o.value: o for o in Operation}
_FORMAT = 1
_CODE: str | None = None


def _code_digest() -> str:
    """Return a digest of the parser's source files and sqlglot's version (computed once per process)."""
    global _CODE  # noqa: PLW0603 - one per process
    if _CODE is None:
        import sqlglot

        package = Path(__file__).resolve().parent
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{_FORMAT}|{getattr(sqlglot, '__version__', '')}".encode())
        for path in sorted([*package.glob("parsing/*.py"), package / "parse_cache.py", package / "model.py",
                            package / "transform_lists.py"]):
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        _CODE = digest.hexdigest()
    return _CODE


def parser_version(options: CrawlOptions, patterns: Iterable[str]) -> str:
    """Return the digest that stored results must share to be used: parser code and extraction options."""
    f = options.functions
    settings = json.dumps([_code_digest(), options.dialect, list(patterns), sorted(f.masking), sorted(f.unmasking),
                           sorted(f.counting), f.partial_max_chars, options.store_indirect_column_edges])
    return hashlib.blake2b(settings.encode(), digest_size=16).hexdigest()


def store_key(version: str, cache_key: tuple[str, str, str | None, str | None]) -> str:
    """Return the stored key (64 hex characters) of a parse cache key under ``version``."""
    text = "\0".join([version, *(part if part is not None else "\1" for part in cache_key)])
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=32).hexdigest()


def storable(result: ExtractionResult) -> bool:
    """Return True for a result worth storing: one that does not go to quarantine."""
    return not any(p.code in QUARANTINE_CODES for p in result.problems)


def _ds(ref: DatasetRef | None) -> list[str] | None:
    return None if ref is None else [ref.id, ref.name, ref.kind]


def encode(result: ExtractionResult, answers: Mapping[str, tuple[str, ...] | None]) -> bytes:
    """Return ``(result, answers)`` as compressed JSON (the result's redacted text is left out)."""
    statements = [[st.operation.value, _ds(st.target), [_ds(s) for s in st.sources], st.replaces, st.temporary,
                   _ds(st.counterpart), [[c.source, c.target, c.transform, c.kind, c.confidence] for c in st.columns],
                   st.index, list(st.defined_columns), list(st.overwrites), [list(m) for m in st.column_moves],
                   [[p.dataset, p.clause, p.by, p.value] for p in st.read_points]]
                  for st in result.statements]
    problems = [[p.code, p.message, p.statement_index, p.line, p.column] for p in result.problems]
    body = [statements, problems, result.confidence, result.fingerprint, list(result.reads),
            [[d, list(c) if c is not None else None] for d, c in answers.items()]]
    return zlib.compress(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"), 1)


def _ref(value: list[str] | None) -> DatasetRef | None:
    return None if value is None else DatasetRef(value[0], value[1], value[2])


def decode(data: bytes) -> Extracted:
    """Return the ``(result, answers)`` :func:`encode` stored.

    Raises:
        ValueError: not what :func:`encode` wrote.
    """
    try:
        statements, problems, confidence, fingerprint, reads, answers = json.loads(
            zlib.decompress(data).decode("utf-8", "surrogatepass"))
        intern = sys.intern
        result = ExtractionResult(
            statements=tuple(StatementLineage(
                _OPERATIONS[op], _ref(target), tuple(DatasetRef(s[0], s[1], s[2]) for s in sources), replaces,
                temporary, _ref(counterpart),
                tuple(ColumnLineage(intern(c[0]), intern(c[1]), c[2], c[3], c[4]) for c in columns), index,
                tuple(defined), tuple(more[0]) if more else (), tuple((m[0], m[1]) for m in more[1]) if more else (),
                tuple(TravelPoint(*p) for p in more[2]) if len(more) > 2 else ())
                for op, target, sources, replaces, temporary, counterpart, columns, index, defined, *more
                in statements),
            problems=tuple(Problem(*p) for p in problems), confidence=confidence, fingerprint=fingerprint,
            reads=tuple(reads))
        known: Answers = {d: tuple(c) if c is not None else None for d, c in answers}
    except (ValueError, TypeError, KeyError, IndexError, zlib.error) as exc:
        raise ValueError(f"stored parse result is not of the documented shape ({type(exc).__name__})") from None
    return result, known


STORE_EVERY = 2000
"""Results kept in memory (about 0.5 KiB each) before they are written in one registry transaction."""


class StoredResults:
    """A crawl's view of the stored results: load those a batch needs, store those it extracted."""

    def __init__(self, registry: Registry, version: str) -> None:
        """Read and write ``registry`` under ``version`` (:func:`parser_version`)."""
        self.registry = registry
        self.version = version
        self.loaded = 0
        """Results loaded so far (rows of a history read again not parsed)."""
        self.pending: dict[str, bytes] = {}
        """Encoded results not stored yet, by stored key."""

    def load(self, rows: Iterable[Planned], cache: ParseCache) -> int:
        """Put the stored results of ``rows`` not in ``cache`` into it; return how many of ``rows`` it now holds.

        One registry read for the batch; a result that cannot be read is left out (parsed again).
        """
        keys = [cache.key(record) for _, record, _ in rows]
        missing = {store_key(self.version, k): k for k in dict.fromkeys(keys) if k not in cache.entries}
        if missing:
            for stored, body in self.registry.parse_results(list(missing)).items():
                try:
                    result, answers = decode(body)
                except ValueError:
                    continue
                cache.put(missing[stored], result, answers)
                self.loaded += 1
        return sum(1 for k in keys if k in cache.entries)

    def save(self, cache: ParseCache, *, flush: bool = False) -> None:
        """Keep what ``cache`` extracted since the last call (not results that go to quarantine) and
        store what was kept once there are :data:`STORE_EVERY` of them, or now with ``flush``.

        Stored results are a cache: those lost with a crash are parsed again by a later replay.
        Fewer, larger registry transactions (a SQLite commit costs milliseconds of fsync).
        """
        for key, result, answers, body in cache.take_new():
            if storable(result):
                self.pending[store_key(self.version, key)] = body or encode(result, answers)
        if self.pending and (flush or len(self.pending) >= STORE_EVERY):
            self.registry.store_parse_results(self.pending)
            self.pending = {}
