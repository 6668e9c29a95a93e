"""Closest-match suggestions for names a user typed (ids, option values). Pure, stdlib only."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from lineage_engine.errors import InputError


def closest(value: str, known: Iterable[str], *, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Return up to ``n`` known names closest to ``value``, best first (:mod:`difflib` ratio).

    Names sharing ``value``'s last dotted part (``…customer_profiles``) are preferred over
    names that are only similar as whole strings, so a mistyped database or schema still
    finds its table.
    """
    names = list(known)
    best = difflib.get_close_matches(value, names, n=n, cutoff=cutoff)
    tail = value.rpartition(".")[2]
    if tail:
        same_tail = [k for k in names if k.rpartition(".")[2] == tail and k not in best]
        best = (difflib.get_close_matches(value, same_tail, n=n, cutoff=0.0) + best)[:n]
    return best


def check_choice(option: str, value: str | None, allowed: Sequence[str]) -> str | None:
    """Return ``value`` when it is one of ``allowed`` (or None).

    Raises:
        InputError: naming ``option``, the allowed values and the closest one.
    """
    if value is None or value in allowed:
        return value
    near = difflib.get_close_matches(value.lower(), allowed, n=1)
    hint = f"; did you mean '{near[0]}'?" if near else ""
    raise InputError(option, f"'{value}' is not one of {', '.join(allowed)}{hint}")
