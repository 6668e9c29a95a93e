"""Neo4j connection settings: credentials parsing and redaction, URIs, indexes, opening
errors (fast, naming the host, never the password), and the settings that reach the store."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from lineage_engine import services
from lineage_engine.errors import ConfigError, TransientGraphError
from lineage_engine.graph.migrate import neo4j_index_statements
from lineage_engine.graph.neo4j import Neo4jCredentials, check_uri, parse_credentials, redact_uri
from lineage_engine.graph.store import open_graph_store
from lineage_engine.settings import load_settings

SECRET = "Tr0ub4dor/&:3-secret"


# -- credentials ---------------------------------------------------------------------------------


def test_credentials_split_at_the_first_slash_and_keep_the_password_verbatim() -> None:
    assert parse_credentials(f"neo4j/{SECRET}") == Neo4jCredentials("neo4j", SECRET)
    assert parse_credentials(SecretStr(f" svc /{SECRET} ")) == Neo4jCredentials("svc", f"{SECRET} ")
    assert parse_credentials(None) is None
    assert parse_credentials("none") is None  # NEO4J_AUTH=none: a server without auth


@pytest.mark.parametrize(("text", "words"), [
    (f"neo4j:{SECRET.replace('/', '')}", "has no '/' (it uses ':'; write 'user/password')"),
    (SECRET.replace("/", ""), "has no '/'"),
    (f"/{SECRET}", "the user is empty"),
    ("neo4j/", "the password is empty"),
])
def test_bad_credentials_say_what_is_wrong_without_quoting_them(text: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_credentials(text)
    assert info.value.key_path == "graph.credentials" and words in str(info.value)
    for secret_part in (SECRET, SECRET.replace("/", "")):
        assert secret_part not in str(info.value) and secret_part not in repr(info.value)


def test_credentials_never_show_the_password() -> None:
    credentials = parse_credentials(f"neo4j/{SECRET}")
    assert repr(credentials) == str(credentials) == "Neo4jCredentials(user='neo4j', password='***')"
    assert f"{credentials}" == str(credentials) and SECRET not in f"{credentials!r}"


# -- URIs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("uri", ["neo4j://db.example:7687", "neo4j+s://abc.databases.neo4j.io", "bolt://localhost:7687",
                                 "bolt+ssc://10.0.0.5:7687", "neo4j://[::1]:7687"])
def test_neo4j_uris_are_accepted(uri: str) -> None:
    assert check_uri(uri) == uri


@pytest.mark.parametrize(("uri", "words"), [
    (None, "required when graph.type is neo4j"),
    ("http://localhost:7474", "scheme 'http' is not a Neo4j scheme"),
    (f"neo4j://neo4j:{SECRET.replace('/', '')}@db.example:7687", "must not hold credentials"),
    ("bolt://db.example:http", "the port is not a number"),
    ("bolt://:7687", "names no host"),
])
def test_bad_uris_are_config_errors(uri: str | None, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_uri(uri)
    assert info.value.key_path == "graph.uri" and words in str(info.value)
    assert SECRET.replace("/", "") not in str(info.value)


def test_redacted_uris_keep_only_scheme_host_and_port() -> None:
    assert redact_uri("neo4j+s://u:p@abc.databases.neo4j.io:7687/db?policy=eu") == "neo4j+s://abc.databases.neo4j.io:7687"
    assert redact_uri("bolt://[::1]") == "bolt://[::1]"


# -- opening -------------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_an_unreachable_server_fails_fast_naming_the_host_not_the_password(
        scheme: str, caplog: pytest.LogCaptureFixture) -> None:
    port = closed_port()
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    with pytest.raises(TransientGraphError) as info:
        open_graph_store("neo4j", uri=f"{scheme}://127.0.0.1:{port}", credentials=f"neo4j/{SECRET}",
                         connection_timeout=2, max_transaction_retry_time=1)
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert f"{scheme}://127.0.0.1:{port}" in message and "unavailable" in message and "Connection refused" in message
    assert info.value.backend == "neo4j"
    assert SECRET not in message and SECRET not in repr(info.value) and SECRET not in caplog.text


def test_config_errors_come_before_any_connection() -> None:
    with pytest.raises(ConfigError, match="graph.uri"):
        open_graph_store("neo4j")
    with pytest.raises(ConfigError, match=r"graph.indexes.*did you mean 'last_seen'"):
        open_graph_store("neo4j", uri="bolt://127.0.0.1:1", indexes=["last_sen"])
    with pytest.raises(ConfigError, match="graph.credentials"):
        open_graph_store("neo4j", uri="bolt://127.0.0.1:1", credentials="no-slash")
    with pytest.raises(ConfigError, match="unknown Neo4j option"):
        open_graph_store("neo4j", uri="bolt://127.0.0.1:1", pasword="x")


# -- indexes -------------------------------------------------------------------------------------


def test_indexes_from_config_are_checked_against_the_schema() -> None:
    assert neo4j_index_statements(["last_seen", "valid_to", "valid_from", "Dataset.id"]) == (
        "CREATE INDEX dataset_last_seen IF NOT EXISTS FOR (n:Dataset) ON (n.last_seen)",)  # the rest exist already
    assert neo4j_index_statements(["classification", "DERIVES_FROM.last_seen", "classification"]) == (
        "CREATE INDEX dataset_classification IF NOT EXISTS FOR (n:Dataset) ON (n.classification)",
        "CREATE INDEX column_classification IF NOT EXISTS FOR (n:`Column`) ON (n.classification)",
        "CREATE INDEX derives_from_last_seen IF NOT EXISTS FOR ()-[n:DERIVES_FROM]-() ON (n.last_seen)",
    )
    for bad, words in (("Datset.id", "unknown label 'Datset'"), ("Column.steward", "no property 'steward' on Column"),
                       ("x}) DETACH DELETE (n", "no property")):
        with pytest.raises(ConfigError, match="graph.indexes") as info:
            neo4j_index_statements([bad])
        assert words in str(info.value)


# -- settings ------------------------------------------------------------------------------------


def test_graph_settings_reach_the_neo4j_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_AUTH", f"neo4j/{SECRET}")
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text(
        "graph:\n  type: neo4j\n  uri: neo4j://db.example:7687\n  database: lineage\n"
        "  credentials: ${NEO4J_AUTH}\n  indexes: [last_seen, valid_to]\n  batch_size: 2000\n"
        "  max_connection_pool_size: 20\n  connection_timeout_seconds: 5\n"
        "  connection_acquisition_timeout_seconds: 15\n  max_transaction_retry_seconds: 10\n"
        "  migrate_on_open: false\n")
    settings = load_settings(config)
    assert SECRET not in repr(settings) and SECRET not in str(settings.graph)
    seen: dict[str, object] = {}

    class Opened:
        def close(self) -> None:
            pass

    def fake_open(kind: str, **options: object) -> Opened:
        seen.update(options, kind=kind)
        return Opened()

    monkeypatch.setattr(services, "open_graph_store", fake_open)
    with services.graph_store(settings, read_only=True):
        pass
    assert seen == {
        "kind": "neo4j", "path": settings.graph.path, "read_only": True, "migrate": False,
        "uri": "neo4j://db.example:7687",
        "database": "lineage", "credentials": f"neo4j/{SECRET}", "indexes": ("last_seen", "valid_to"),
        "batch_size": 2000, "max_connection_pool_size": 20, "connection_timeout": 5.0,
        "connection_acquisition_timeout": 15.0, "max_transaction_retry_time": 10.0,
    }


def test_bad_pool_settings_fail_at_start_up(tmp_path: Path) -> None:
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text("graph:\n  type: neo4j\n  max_connection_pool_size: 0\n")
    with pytest.raises(ConfigError, match="graph.max_connection_pool_size"):
        load_settings(config)
    config.write_text("graph:\n  type: neo4j\n  conection_timeout_seconds: 5\n")
    with pytest.raises(ConfigError, match="did you mean 'connection_timeout_seconds'"):
        load_settings(config)


def test_the_driver_is_imported_only_when_a_neo4j_store_opens() -> None:
    import subprocess
    import sys

    code = ("import sys, lineage_engine.cli, lineage_engine.graph.neo4j, lineage_engine.graph.store; "
            "print('neo4j' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
