"""Who *can* read a dataset, from dated grant facts (issue 14 §3). Pure: stdlib only.

Snowflake's access model (docs.snowflake.com, user-guide/security-access-control-overview):
a role reads a table or view with ``SELECT`` (or ``OWNERSHIP``, or ``ALL``) on it, granted on the
object itself or on ``ALL`` / ``FUTURE`` tables or views in its schema or database; a role
granted to another role passes its privileges up (the parent inherits); a user holds the roles
granted to them; a (database) role granted to a share gives the share its privileges
(``GRANT DATABASE ROLE db.r TO SHARE s``, the way Snowflake shares through database roles).
``PUBLIC`` is held by every user. Simplifications, on the side of listing
more: ``USAGE`` on the database and schema is not required, and a ``FUTURE`` grant counts for
objects created before it too.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

READ_PRIVILEGES = frozenset({"SELECT", "OWNERSHIP", "ALL"})
ROLE_GRANTEES = ("ROLE", "DATABASE ROLE", "APPLICATION ROLE")
PUBLIC = "PUBLIC"


@dataclass(frozen=True, slots=True)
class Reader:
    """A role, user, share or everyone able to read one object.

    Attributes:
        kind: ``role`` | ``user`` | ``share`` | ``everyone`` (``PUBLIC`` holds the privilege).
        name: the role, user or share.
        via: roles from the one holding the privilege to this grantee (empty: granted directly).
        privilege: the read privilege that reaches it.
        members: users holding the role (directly or through a role above it); roles only.
        broad: ``PUBLIC``, or a role with more than ``broad_members`` users.
        since: when the last grant of the chain that reaches the grantee began (aware UTC;
            the privilege's grant, then each role grant on ``via``); None when unknown.
        query_id: that grant's statement ("" when unknown: a synced grant).
    """

    kind: str
    name: str
    via: tuple[str, ...]
    privilege: str
    members: int = 0
    broad: bool = False
    since: Any = None
    query_id: str = ""


def who_can_read(object_id: str, facts: Iterable[Any], *, broad_members: int) -> list[Reader]:
    """Return the roles, users and shares able to read ``object_id`` under ``facts`` (holding now).

    Args:
        object_id: a dataset id ``db.schema.name`` (lower-case).
        facts: grant facts valid at the instant asked (``Registry.grants_at``).
        broad_members: ``compliance.broad_role_members``.
    """
    parts = object_id.split(".")
    containers = {".".join(parts[:2]), parts[0]} if len(parts) >= 3 else set()
    direct: dict[tuple[str, str], str] = {}
    opened: dict[tuple[str, str], Any] = {}  # (grantee kind, name) -> earliest grant fact reaching it directly
    parents: dict[str, set[str]] = {}
    role_grants: dict[tuple[str, str], Any] = {}  # (role, grantee) -> the fact granting the role
    users_of: dict[str, set[str]] = {}
    shares_of: dict[str, set[str]] = {}
    for f in facts:
        if f.on_kind == "ROLE":
            if f.grantee_kind == "USER":
                users_of.setdefault(f.object_id, set()).add(f.grantee)
            elif f.grantee_kind in ROLE_GRANTEES:
                parents.setdefault(f.object_id, set()).add(f.grantee)
            elif f.grantee_kind == "SHARE":
                shares_of.setdefault(f.object_id, set()).add(f.grantee)
            else:
                continue
            _earliest(role_grants, (f.object_id, f.grantee), f)
            continue
        if f.privilege not in READ_PRIVILEGES:
            continue
        on_object = f.scope == "object" and f.object_id == object_id
        on_container = f.scope in ("all", "future") and f.object_id in containers
        if on_object or on_container:
            direct.setdefault((f.grantee_kind, f.grantee), f.privilege)
            _earliest(opened, (f.grantee_kind, f.grantee), f)
    via: dict[str, tuple[str, ...]] = {}
    privilege: dict[str, str] = {}
    began: dict[str, Any] = {}  # role -> the latest-starting fact of its chain
    queue: deque[str] = deque()
    for (kind, name), priv in sorted(direct.items()):
        if kind in ROLE_GRANTEES and name not in via:
            via[name], privilege[name], began[name] = (), priv, opened[(kind, name)]
            queue.append(name)
    while queue:
        role = queue.popleft()
        for parent in sorted(parents.get(role, ())):
            if parent not in via:
                via[parent], privilege[parent] = (*via[role], role), privilege[role]
                began[parent] = _later(began[role], role_grants.get((role, parent)))
                queue.append(parent)

    def members(role: str) -> set[str]:
        seen, out, todo = {role}, set(users_of.get(role, ())), [role]
        while todo:
            for parent in parents.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    out |= users_of.get(parent, set())
                    todo.append(parent)
        return out

    out: list[Reader] = []
    for role in sorted(via):
        count = len(members(role))
        out.append(Reader("role", role, via[role], privilege[role], count,
                          role == PUBLIC or count > broad_members, *_when(began[role])))
        if role == PUBLIC:
            out.append(Reader("everyone", PUBLIC, via[role], privilege[role], broad=True))
    users: dict[str, Reader] = {}
    for role in sorted(via, key=lambda r: (len(via[r]), r)):
        for user in sorted(users_of.get(role, ())):
            if user not in users:
                since, query_id = _when(_later(began[role], role_grants.get((role, user))))
                users[user] = Reader("user", user, (*via[role], role), privilege[role], since=since, query_id=query_id)
    out.extend(users[u] for u in sorted(users))
    shares: dict[str, Reader] = {}
    for (kind, name), priv in sorted(direct.items()):
        if kind == "SHARE":
            since, query_id = _when(opened[(kind, name)])
            shares[name] = Reader("share", name, (), priv, since=since, query_id=query_id)
    for role in sorted(via, key=lambda r: (len(via[r]), r)):  # shares reading through a (database) role
        for share in sorted(shares_of.get(role, ())):
            if share not in shares:
                since, query_id = _when(_later(began[role], role_grants.get((role, share))))
                shares[share] = Reader("share", share, (*via[role], role), privilege[role], since=since,
                                       query_id=query_id)
    out.extend(shares[s] for s in sorted(shares))
    return out


def _earliest(table: dict[Any, Any], key: Any, fact: Any) -> None:
    old = table.get(key)
    if old is None or fact.valid_from < old.valid_from:
        table[key] = fact


def _later(first: Any, second: Any) -> Any:
    """Return the fact that began later (the chain holds from then on; a tie: ``second``); either may be None."""
    if first is None or (second is not None and second.valid_from >= first.valid_from):
        return second
    return first


def _when(fact: Any) -> tuple[Any, str]:
    return (fact.valid_from, fact.query_id or "") if fact is not None else (None, "")
