"""Start ``lineage-engine serve`` (the installed console script) in a subprocess and talk to it.

The server binds ``--port 0`` and prints its address; the helper waits for that line and for
``/api/health`` to answer (polling, with the hang guard only), and stops the server (SIGTERM,
then SIGKILL) when the ``with`` block ends. One server per test module keeps the suite short.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import COMMAND, environment
from tests.waiting import wait_until


@dataclass
class Server:
    """A running server: its base URL (``http://127.0.0.1:PORT``) and its log files."""

    url: str
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def logs(self) -> str:
        """Return everything the server printed so far."""
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """GET ``path``; return (status, headers, body) without following redirects."""
        return request(self.url + path, headers=headers)

    def json(self, path: str, *, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """GET ``path``; return (status, parsed JSON body)."""
        status, _, body = self.get(path, headers=headers)
        return status, json.loads(body or b"null")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def request(url: str, *, headers: dict[str, str] | None = None, data: bytes | None = None,
            method: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """Send one request (no redirects followed); return (status, headers, body)."""
    req = urllib.request.Request(url, headers=headers or {}, data=data, method=method)
    try:
        with _OPENER.open(req, timeout=900) as response:  # hang guard only
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@contextmanager
def running_server(config: Path, *args: str, folder: Path | None = None,
                   env: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Iterator[Server]:
    """Run ``lineage-engine --config CONFIG serve --port 0 ARGS`` until the block ends.

    ``headers`` are sent with the readiness probe (a token server answers 401 without them;
    401 still proves it is up).
    """
    folder = folder or config.parent
    out, err = folder / "serve.stdout", folder / "serve.stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen([COMMAND, "--config", str(config), "serve", "--port", "0", *args],
                                   cwd=config.parent, stdout=stdout, stderr=stderr, env=env or environment())
    try:
        def address() -> str | None:
            found = re.search(r"serving on (http://\S+?)/? ", out.read_text(errors="replace"))
            # a server bound to every address is reached on loopback (tests talk to this machine only)
            return found.group(1).replace("//0.0.0.0:", "//127.0.0.1:") if found else None

        def logs() -> str:
            return out.read_text(errors="replace") + err.read_text(errors="replace")

        url = wait_until(address, what="the 'serving on' line", alive=lambda: process.poll() is None,
                         progress=lambda: len(logs()), detail=logs)
        server = Server(url=url, process=process, stdout=out, stderr=err)

        def answers() -> bool:
            try:
                status, _, _ = server.get("/api/health", headers=headers)
            except OSError:
                return False
            return status in (200, 401)

        wait_until(answers, what="/api/health", alive=lambda: process.poll() is None, detail=logs)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


SAMPLE = Path(__file__).resolve().parents[1] / "config" / "sample"


def demo_installation(folder: Path, extra: str = "") -> Path:
    """Write a config on the bundled sample (embedded graph, SQLite), run ``demo`` on it; return the config."""
    from tests.cli_run import file_config, run_cli

    config = file_config(folder, SAMPLE / "query_history.jsonl", extra=extra)
    run_cli(config, "demo")
    return config


@pytest.fixture(scope="module")
def installation(crawled_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's data in a fresh installation, once per test module that imports this fixture:
    a copy of the session's :func:`~tests.conftest.crawled_sample` (the same ``demo`` on the same
    config as :func:`demo_installation`, run once per session instead of once per module)."""
    folder = tmp_path_factory.mktemp("web")
    shutil.copytree(crawled_sample.parent, folder, dirs_exist_ok=True)
    return folder / crawled_sample.name


@pytest.fixture(scope="module")
def server(installation: Path) -> Iterator[Server]:
    """``lineage-engine serve`` over :func:`installation`, once per test module."""
    with running_server(installation) as running:
        yield running
