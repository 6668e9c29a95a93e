"""Who *can* read a dataset, from dated grant facts (issue 14 §3). Pure: stdlib only.

Snowflake's access model (docs.snowflake.com, user-guide/security-access-control-overview):
a role reads a table or view with ``SELECT`` (or ``OWNERSHIP``, or ``ALL``) on it, granted on the
object itself or on ``ALL`` / ``FUTURE`` tables or views in its schema or database; a role
granted to another role passes its privileges up (the parent inherits); a user holds the roles
granted to them. ``PUBLIC`` is held by every user. Simplifications, on the side of listing
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
    """

    kind: str
    name: str
    via: tuple[str, ...]
    privilege: str
    members: int = 0
    broad: bool = False


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
    parents: dict[str, set[str]] = {}
    users_of: dict[str, set[str]] = {}
    for f in facts:
        if f.on_kind == "ROLE":
            if f.grantee_kind == "USER":
                users_of.setdefault(f.object_id, set()).add(f.grantee)
            elif f.grantee_kind in ROLE_GRANTEES:
                parents.setdefault(f.object_id, set()).add(f.grantee)
            continue
        if f.privilege not in READ_PRIVILEGES:
            continue
        on_object = f.scope == "object" and f.object_id == object_id
        on_container = f.scope in ("all", "future") and f.object_id in containers
        if on_object or on_container:
            direct.setdefault((f.grantee_kind, f.grantee), f.privilege)
    via: dict[str, tuple[str, ...]] = {}
    privilege: dict[str, str] = {}
    queue: deque[str] = deque()
    for (kind, name), priv in sorted(direct.items()):
        if kind in ROLE_GRANTEES and name not in via:
            via[name], privilege[name] = (), priv
            queue.append(name)
    while queue:
        role = queue.popleft()
        for parent in sorted(parents.get(role, ())):
            if parent not in via:
                via[parent], privilege[parent] = (*via[role], role), privilege[role]
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
                          role == PUBLIC or count > broad_members))
        if role == PUBLIC:
            out.append(Reader("everyone", PUBLIC, via[role], privilege[role], broad=True))
    users: dict[str, Reader] = {}
    for role in sorted(via, key=lambda r: (len(via[r]), r)):
        for user in sorted(users_of.get(role, ())):
            users.setdefault(user, Reader("user", user, (*via[role], role), privilege[role]))
    out.extend(users[u] for u in sorted(users))
    out.extend(Reader("share", name, (), priv) for (kind, name), priv in sorted(direct.items()) if kind == "SHARE")
    return out
