"""Run the web app with uvicorn on a socket bound before serving (``lineage-engine serve``).

The socket is bound first so that ``--port 0`` (any free port) works and the printed address
is the real one; uvicorn's access log is off (it would print query strings, which may hold
``?token=``): the app logs each request's path instead (:mod:`lineage_engine.web.app`).
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from lineage_engine.errors import InputError
from lineage_engine.settings import Settings
from lineage_engine.web.auth import token_problem


def bind(host: str, port: int) -> socket.socket:
    """Return a listening TCP socket on ``host``:``port`` (0: any free port).

    Raises:
        InputError: the address cannot be bound (in use, not an address of this machine).
    """
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError as exc:
        raise InputError("--host/--port", f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                                          "pick another --port (0: any free one)") from None
    sock.set_inheritable(True)
    return sock


def serve(settings: Settings, *, host: str, port: int, token: str | None,
          announce: Callable[[str], None] = print) -> None:
    """Serve the read-only web view until SIGTERM or Ctrl-C.

    Args:
        settings: the configuration (stores, ``monitoring.web_token``, log level).
        host: address to bind; anything but loopback needs a token.
        port: TCP port; 0 picks a free one.
        token: ``--token``; None takes ``monitoring.web_token``.
        announce: called once with ``serving on http://HOST:PORT`` when the socket listens.

    Raises:
        InputError: a non-loopback ``host`` without a token, a token too short, or an
            address that cannot be bound (before anything is served).
    """
    import uvicorn

    from lineage_engine.web.app import create_app

    if token is None and settings.monitoring.web_token is not None:
        token = settings.monitoring.web_token.get_secret_value()
    problem = token_problem(token, host)
    if problem:
        raise InputError("--host" if "loopback" in problem else "--token", problem)
    app = create_app(settings, token=token)
    sock = bind(host, port)
    bound_port = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    config = uvicorn.Config(app, log_level=settings.monitoring.log_level.lower(), access_log=False,
                            server_header=False, lifespan="on")
    server = uvicorn.Server(config)
    announce(f"serving on http://{shown}:{bound_port}/ (read-only{'; token required' if token else ''})")
    server.run(sockets=[sock])
