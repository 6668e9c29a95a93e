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


class BackgroundServer:
    """The web app served from a daemon thread of ``lineage-engine run`` (``service.web``).

    Every replica serves it, the lease holder and the standbys alike: the app only reads (the
    graph opened read-only per request, :mod:`lineage_engine.web.context`), so it never takes
    the embedded graph's write lock. A read-only open of LadybugDB succeeds while another
    process holds the graph open for writing, and does not stop that process from writing
    (measured, LadybugDB 0.22); a request that races the writer's checkpoint is retried when
    it opens the graph, else answered 503 and the next one reads again.

    Attributes:
        host, port: the bound address (``port`` the real one when 0 was asked).
    """

    def __init__(self, settings: Settings) -> None:
        """Bind ``service.web.host``:``service.web.port`` and start serving in a thread.

        Raises:
            ConfigError: the address cannot be bound (names ``service.web.port``).
        """
        import threading

        import uvicorn

        from lineage_engine.errors import ConfigError
        from lineage_engine.web.app import create_app

        web = settings.service.web
        try:
            self._sock = bind(web.host, web.port)
        except InputError as exc:
            raise ConfigError("service.web.port", f"{exc.reason}; set service.web.port (0: any free port) or "
                              "service.web.host") from None
        self.host, self.port = web.host, int(self._sock.getsockname()[1])
        app = create_app(settings, token=settings.web_token)
        config = uvicorn.Config(app, log_config=None, access_log=False, server_header=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name="web", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """Return ``http://HOST:PORT/``."""
        shown = f"[{self.host.strip('[]')}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/"

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving: finish the requests in flight (up to ``timeout`` seconds), close the socket."""
        self._server.should_exit = True
        self._thread.join(timeout)
        self._sock.close()
