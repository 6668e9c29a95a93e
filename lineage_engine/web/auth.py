"""The token rule of ``lineage-engine serve`` (issue 15 §3).

Binding to anything but loopback needs a token (``--token`` or ``monitoring.web_token``);
with a token set, **every** request must carry it, on loopback too:

- ``Authorization: Bearer TOKEN`` (scripts, the JSON API);
- or the session cookie a browser gets after logging in: ``POST /login`` with the form field
  ``token`` (the login page), or once ``?token=TOKEN`` on any GET (answered with a redirect to
  the same URL without it, so the token leaves the address bar and the history).

The cookie holds an HMAC of the token, not the token; it is ``HttpOnly`` and ``SameSite=Strict``.
Comparisons are constant-time. The token is never logged, printed or put on a page.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import parse_qsl, urlencode

COOKIE = "lineage_engine_session"
"""Name of the session cookie set after a login."""

MIN_TOKEN_CHARS = 16
"""Shortest token accepted: a guessable token on a network port is no protection."""


def is_loopback(host: str) -> bool:
    """Return True when ``host`` is a loopback address (127.0.0.0/8, ::1) or ``localhost``."""
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def token_problem(token: str | None, host: str) -> str | None:
    """Return why the server must not start with ``token`` on ``host``, or None when it may.

    A non-loopback ``host`` needs a token; any token set must be ``MIN_TOKEN_CHARS`` long or more.
    The message never quotes the token.
    """
    if token is None or token == "":
        if is_loopback(host):
            return None
        return (f"binding to {host} (not loopback) needs a token: pass --token or set monitoring.web_token "
                "(e.g. ${LINEAGE_WEB_TOKEN}); or bind to 127.0.0.1")
    if len(token) < MIN_TOKEN_CHARS:
        return f"the token is shorter than {MIN_TOKEN_CHARS} characters; use a random one (python -c 'import secrets; print(secrets.token_urlsafe())')"
    return None


def session_value(token: str) -> str:
    """Return the cookie value for ``token``: an HMAC-SHA256 of it, hex."""
    return hmac.new(token.encode("utf-8"), b"lineage-engine web session", hashlib.sha256).hexdigest()


class TokenCheck:
    """Decide whether one request carries the token. ``token`` None: every request passes."""

    def __init__(self, token: str | None) -> None:
        self.token = token or None
        self._session = session_value(token) if token else None

    @property
    def enabled(self) -> bool:
        """True when a token is required."""
        return self.token is not None

    def bearer_ok(self, authorization: str | None) -> bool:
        """Return True for ``Bearer TOKEN`` with the right token."""
        if not self.token or not authorization:
            return False
        scheme, _, value = authorization.partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(value.strip().encode(), self.token.encode())

    def cookie_ok(self, cookie: str | None) -> bool:
        """Return True for the session cookie of this token."""
        return bool(self._session and cookie) and secrets.compare_digest(str(cookie).encode(), self._session.encode())

    def token_ok(self, value: str | None) -> bool:
        """Return True when ``value`` (a form field or query parameter) is the token."""
        return bool(self.token and value) and secrets.compare_digest(str(value).encode(), str(self.token).encode())


def without_token(query_string: str) -> str:
    """Return a query string with every ``token`` parameter removed."""
    pairs = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k != "token"]
    return urlencode(pairs)
