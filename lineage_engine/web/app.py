"""The web app factory: ``create_app(settings) -> FastAPI`` (issue 15 §3).

The app is read-only: it reads the registry and the graph, never writes either (accepting or
reopening findings stays with the CLI). It mounts every router listed in
:data:`lineage_engine.web.routers.ROUTERS` (other modules add theirs there), answers errors of
the :class:`~lineage_engine.errors.LineageEngineError` family as JSON ``{"detail": message}``
(unknown id 404, bad parameter 422, a store that cannot be read 503), checks the token on every
request (:mod:`lineage_engine.web.auth`), and logs one line per request with the path only
(never the query string, which may hold ``?token=``).

The OpenAPI document is ``/api/openapi.json``. FastAPI's Swagger and ReDoc pages are off: they
load their JavaScript from a CDN, and the service must work with no internet.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from lineage_engine import __version__
from lineage_engine.errors import GraphError, InputError, LineageEngineError, RegistryError, UnknownIdError
from lineage_engine.web.auth import COOKIE, TokenCheck, session_value, without_token

if TYPE_CHECKING:
    from lineage_engine.settings import Settings

log = logging.getLogger("lineage_engine.web")

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; frame-ancestors 'none'",
}
"""Sent with every response: nothing cached, no referrer (URLs may carry ids), no framing, own scripts only."""

OPEN_PATHS = frozenset({"/login"})
"""Paths answered without the token (the login form itself)."""


def create_app(settings: Settings, token: str | None = None) -> FastAPI:
    """Return the read-only web app over the configured registry and graph.

    Args:
        settings: the configuration (registry URL, graph, ``monitoring.web_token``).
        token: the bearer token every request must carry; None takes ``monitoring.web_token``;
            still None (or empty): no token is asked (loopback only: the CLI refuses a
            non-loopback bind without one).

    Returns:
        The FastAPI app; stores are opened on first use and closed on shutdown.

    Raises:
        ImportError: a module named in :data:`~lineage_engine.web.routers.ROUTERS` is missing.
    """
    from lineage_engine.web.routers import ROUTERS

    if token is None and settings.monitoring.web_token is not None:
        token = settings.monitoring.web_token.get_secret_value()
    check = TokenCheck(token)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        for held in (app.state.registry, app.state.writable_registry):
            if held is not None:
                held.close()

    app = FastAPI(
        title="lineage-engine",
        version=__version__,
        description="Read-only view of the lineage graph, the findings ledger and the crawl coverage. "
                    "With a token set, send `Authorization: Bearer TOKEN` on every request.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.registry = None
    app.state.writable_registry = None
    app.state.token_check = check
    _add_error_handlers(app)
    _add_middleware(app, check)
    app.add_api_route("/login", _login_page, methods=["GET"], include_in_schema=False)
    for entry in ROUTERS:
        module_name, _, attribute = entry.partition(":")
        app.include_router(getattr(importlib.import_module(module_name), attribute or "router"))
    return app


ERROR_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>lineage-engine: {status}</title>
<style>body{{font:15px system-ui,sans-serif;margin:3rem auto;max-width:48rem}}</style></head><body>
<p><a href="/findings">Findings</a></p><h1>{status}</h1><p class="error">{message}</p></body></html>"""


def _error(request: Request, status: int, message: str) -> Response:
    """Answer JSON ``{"detail": message}`` under ``/api/``, a small HTML page elsewhere."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status)
    return HTMLResponse(ERROR_PAGE.format(status=status, message=escape(message)), status_code=status)


def _add_error_handlers(app: FastAPI) -> None:
    from lineage_engine.web.views import NotFound

    async def unknown(request: Request, exc: Exception) -> Response:
        return _error(request, 404, str(exc.args[0]) if isinstance(exc, NotFound) and exc.args else str(exc))

    async def bad_input(request: Request, exc: Exception) -> Response:
        return _error(request, 422, str(exc))

    async def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("store unavailable: %s", exc)
        return _error(request, 503, str(exc))

    async def failed(request: Request, exc: Exception) -> Response:
        log.warning("request failed: %s", exc)
        return _error(request, 500, str(exc))

    app.add_exception_handler(NotFound, unknown)
    app.add_exception_handler(UnknownIdError, unknown)
    app.add_exception_handler(InputError, bad_input)
    app.add_exception_handler(GraphError, unavailable)
    app.add_exception_handler(RegistryError, unavailable)
    app.add_exception_handler(LineageEngineError, failed)


LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>lineage-engine: sign in</title>
<style>body{{font:15px system-ui,sans-serif;margin:4rem auto;max-width:28rem}}input{{font:inherit;width:100%;
margin:.5rem 0;padding:.4rem}}button{{font:inherit;padding:.4rem 1rem}}.error{{color:#a00}}</style></head><body>
<h1>lineage-engine</h1><p>This view needs the server's token (<code>--token</code> or
<code>monitoring.web_token</code>).</p>{error}
<form method="post" action="/login"><input type="hidden" name="next" value="{next}">
<label>Token <input type="password" name="token" autocomplete="current-password" autofocus></label>
<button type="submit">Sign in</button></form></body></html>"""


async def _login_page(next: str = "/", error: str = "") -> HTMLResponse:  # noqa: A002 - the form's word
    message = '<p class="error">That token is not the right one.</p>' if error else ""
    return HTMLResponse(LOGIN_PAGE.format(error=message, next=escape(_local(next))))


def _local(target: str) -> str:
    """Return ``target`` when it is a path on this server, else ``/`` (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _add_middleware(app: FastAPI, check: TokenCheck) -> None:
    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await _guarded(request, call_next, check)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        # the path only: a query string may hold ?token=
        log.info("%s %s %d %.0f ms", request.method, request.url.path, response.status_code,
                 (time.perf_counter() - started) * 1000)
        return response


async def _guarded(request: Request, call_next: Callable[[Request], Awaitable[Response]],
                   check: TokenCheck) -> Response:
    if not check.enabled:
        return await call_next(request)
    path = request.url.path
    if path == "/login" and request.method == "POST":
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        target = _local(form.get("next", "/"))
        if not check.token_ok(form.get("token")):
            return RedirectResponse("/login?" + urlencode({"error": 1, "next": target}), status_code=303)
        return _with_session(RedirectResponse(target, status_code=303), check)
    if path in OPEN_PATHS:
        return await call_next(request)
    if check.bearer_ok(request.headers.get("authorization")) or check.cookie_ok(request.cookies.get(COOKIE)):
        return await call_next(request)
    if request.method == "GET" and check.token_ok(request.query_params.get("token")):
        rest = without_token(request.url.query)
        return _with_session(RedirectResponse(_local(path) + (f"?{rest}" if rest else ""), status_code=303), check)
    if _wants_html(request):
        return RedirectResponse("/login?" + urlencode({"next": _local(path)}), status_code=303)
    return JSONResponse({"detail": "this server needs its token: send 'Authorization: Bearer TOKEN'"},
                        status_code=401, headers={"WWW-Authenticate": "Bearer"})


def _with_session(response: Response, check: TokenCheck) -> Response:
    response.set_cookie(COOKIE, session_value(str(check.token)), httponly=True, samesite="strict", path="/")
    return response
