"""Fixtures for alert tests: a real SQLite registry and a real local HTTP webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lineage_engine.registry.repository import Registry

SECRET_PATH = "/services/T0TEST/B0TEST/s3cr3tW3bh00kT0k3n"


@dataclass
class Webhook:
    """A local stand-in for Slack's incoming-webhook endpoint that records every POST."""

    url: str
    posts: list[dict] = field(default_factory=list)  # {"path", "body", "status"}
    status: int = 200
    reply: str = "ok"

    @property
    def accepted(self) -> list[dict]:
        return [p["body"] for p in self.posts if 200 <= p["status"] < 300]


@pytest.fixture
def webhook(monkeypatch) -> Iterator[Webhook]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    state = Webhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            status, reply = state.status, state.reply
            state.posts.append({"path": self.path, "body": body, "status": status})
            data = reply.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}{SECRET_PATH}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def registry(tmp_path) -> Iterator[Registry]:
    reg = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    reg.migrate()
    try:
        yield reg
    finally:
        reg.close()
