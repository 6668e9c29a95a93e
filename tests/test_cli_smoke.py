"""Every command and option the README shows, run through the INSTALLED console script.

A documented command that the installed ``lineage-engine`` cannot reach fails here: each case
runs ``.venv/bin/lineage-engine --config CONFIG ARGS`` in a subprocess (as a user would) and
checks its exit code and one fact about its output, and :func:`test_readme_commands_are_covered`
fails when the README shows a command or an option that no case runs.

To add a case: append a :class:`Case` to ``CASES``. ``args`` may use the placeholders
``{classifications}``, ``{cases}``, ``{out}`` (a fresh output file), ``{history}`` and
``{trace_file}`` (a trace file of one's own). The
workspace (one config, the demo already run on it) is shared by every case, so cases must
not depend on each other's side effects.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lineage_engine import __version__
from tests.cli_run import COMMAND, environment

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "config" / "sample"


@dataclass(frozen=True)
class Case:
    """One invocation: ``args`` after ``--config CONFIG``; ``fact`` a substring of stdout, or a check."""

    args: tuple[str, ...]
    fact: str | Callable[[subprocess.CompletedProcess[str], Path], object]
    code: int = 0
    input: str | None = None

    @property
    def id(self) -> str:
        return " ".join(self.args)[:60]


def _jsonl_has(key: str) -> Callable[[subprocess.CompletedProcess[str], Path], object]:
    def check(result: subprocess.CompletedProcess[str], out: Path) -> object:
        text = out.read_text(encoding="utf-8") if out.exists() else result.stdout
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        assert rows and all(key in row for row in rows), text[:500]
        return rows
    return check


CASES: list[Case] = [
    Case(("--version",), f"lineage-engine {__version__}"),
    Case(("--help",), "lineage"),
    Case(("demo",), "next:"),
    Case(("migrate",), "migrated"),
    Case(("registry", "import", "{classifications}"), "imported"),
    Case(("registry", "list"), "customer_profiles"),
    Case(("registry", "list", "--type", "column"), "email"),
    Case(("registry", "list", "--format", "csv"), "catalog_path,type,classification"),
    Case(("crawl",), "crawled"),
    Case(("crawl", "--path", "{history}"), "crawled"),
    Case(("crawl", "--reset-watermark", "--yes"), "reading from the start"),
    Case(("crawl", "--reset-watermark"), "nothing changed", code=1, input="n\n"),
    Case(("scan",), "alerts to the console"),
    Case(("scan", "--as-of", "2026-11-14", "--format", "json"), '"path"'),
    Case(("scan", "--profile"), "Where the scan spent its time"),
    Case(("scan", "--limit", "0"), "alerts to the console"),
    Case(("findings",), "Findings"),
    Case(("findings", "--status", "open"), "open"),
    Case(("findings", "--status", "open", "--format", "csv"), " → "),  # paths origin → terminal
    Case(("findings", "--format", "json"), '"path"'),
    Case(("findings", "--origin", "PROD_DB.RAW.CUSTOMER_PROFILES", "--format", "csv"), "prod_db.raw.customer_profiles.email"),
    Case(("findings", "show", "1"), "opened by"),
    Case(("findings", "accept", "2", "--reason", "smoke test", "--until", "2099-12-31"), "accepted by"),
    Case(("findings", "reopen", "3", "--reason", "smoke test"), "not accepted", code=2),  # 3 is never accepted
    Case(("findings", "verify"), "event log intact"),
    Case(("quarantine",), "Quarantine"),
    Case(("quarantine", "--limit", "5"), "Quarantine"),
    Case(("quarantine", "--format", "json"), "["),
    Case(("trace", "--list"), "unmasked_pii_paths"),
    Case(("trace", "--list", "--format", "csv"), "trace,params,description"),
    Case(("trace", "--file", "{trace_file}", "-p", "dataset=prod_db.raw.customer_profiles"), "customer_profiles"),
    Case(("trace", "unmasked_pii_paths", "-p", "origins=prod_db.raw.customer_profiles"), "unmasked_pii_paths"),
    Case(("trace", "downstream_of", "-p", "dataset=prod_db.raw.customer_profiles", "--format", "json"),
         '"hops"'),
    Case(("trace", "upstream_of", "--param", "dataset=prod_db.analytics.customer_360", "--as-of", "2026-11-30",
          "--format", "csv"), "hops"),
    Case(("trace", "unmasked_pii_columns", "-p", "origins=prod_db.raw.customer_profiles.email"),
         "unmasked_pii_columns"),
    Case(("export", "edges"), '"downstream"'),
    Case(("export", "edges", "--as-of", "2026-11-14", "--format", "jsonl"), _jsonl_has("upstream")),
    Case(("export", "edges", "--level", "column", "--output", "{out}"), _jsonl_has("transform")),
    Case(("export", "edges", "-o", "{out}"), _jsonl_has("valid_from")),
    Case(("lineage", "extract", "--input", "{cases}", "--output", "{out}"), _jsonl_has("column_lineage")),
    Case(("export", "openlineage"), '"eventType": "COMPLETE"'),
    Case(("export", "openlineage", "--since", "2026-11-01", "--out", "{out}"), _jsonl_has("outputs")),
    Case(("export", "openlineage", "--url", "http://127.0.0.1:9"), "sending OpenLineage events to", code=1),
    Case(("openlineage", "load", "{ol_events}"), "stored 1 OpenLineage run events"),
    Case(("demo", "--with-openlineage"), "s3://northwind-partner-exports.phone"),
    Case(("run", "--once"), "", code=0),
    # serve runs until stopped (tests/test_web_api.py serves for real); here: its refusals
    Case(("serve", "--host", "0.0.0.0", "--port", "0"), "needs a token", code=2),
    Case(("serve", "--host", "0.0.0.0", "--port", "0", "--token", "short"), "shorter than 16", code=2),
    Case(("evidence", "--as-of", "2026-11-14", "--out", "{out}"), "pack digest"),
    Case(("evidence", "--as-of", "2026-11-14", "--out", "{out}", "--origin", "prod_db.raw.payments"), "1 origins"),
    Case(("evidence", "verify", "{out}"), "is not a folder", code=2),  # tests/test_evidence_cli.py verifies packs
    Case(("access", "--origin", "prod_db.raw.customer_profiles.email", "--since", "2026-11-01", "--format", "csv"),
         "prod_db.raw.customer_profiles.email → prod_db.staging.stg_customers.email"),
    Case(("access", "--origin", "prod_db.raw.customer_profiles", "--until", "2026-11-20"), "ANALYST_CAROL"),
    Case(("access", "--principal", "DS_ALICE", "--format", "json"), '"path"'),
    Case(("drift", "--since", "2026-11-15", "--format", "csv"), "new_reader,prod_db.raw.customer_profiles.email"),
    Case(("grants", "--object", "prod_db.raw.customer_profiles", "--as-of", "2026-11-20", "--format", "json"), "["),
    Case(("egress", "--format", "csv"), "origin,kind,destination"),
    Case(("egress", "--format", "csv"), "share,share:NORTHWIND_PARTNER"),  # the demo's share (issue 14 §4)
    Case(("findings", "--format", "csv"), ",extfn:prod_db.ml.churn_signal.email,"),  # an egress finding
    Case(("boundaries", "--format", "json"), "["),
]
"""The table of smoke cases, in README order where the README gives one."""


def test_demo_next_commands_are_whole_lines_that_run(workspace: Path) -> None:
    text = (workspace / "demo.txt").read_text(encoding="utf-8")
    after = text.split("\nnext:\n", 1)[1].splitlines()
    commands = [line.strip() for line in after if line.startswith("  lineage-engine ")]
    assert len(commands) >= 4
    for command in commands:
        args = tuple(shlex.split(command)[3:])  # lineage-engine --config FILE ...
        result = _run(workspace, args)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"


def test_paths_print_origin_to_terminal_in_traces(workspace: Path) -> None:
    down = json.loads(_run(workspace, ("trace", "downstream_of", "-p", "dataset=prod_db.raw.customer_profiles",
                                       "--format", "json")).stdout)
    up = json.loads(_run(workspace, ("trace", "upstream_of", "-p", "dataset=prod_db.marts.retention_campaign",
                                     "--format", "json")).stdout)
    assert down and all(r["path"][0]["id"] == "prod_db.raw.customer_profiles" for r in down)
    assert up and all(r["path"][-1]["id"] == "prod_db.marts.retention_campaign" for r in up)
    assert all(r["path"][0]["id"] == r["dataset"] for r in up)
    csv_text = _run(workspace, ("trace", "upstream_of", "-p", "dataset=prod_db.marts.retention_campaign",
                                "--format", "csv")).stdout
    assert "prod_db.analytics.churn_scores → prod_db.marts.retention_campaign" in csv_text


def test_tables_fit_the_terminal(workspace: Path) -> None:
    env = environment(COLUMNS="160")
    result = subprocess.run([COMMAND, "--config", str(workspace / "lineage-engine.config.yaml"), "trace",
                             "downstream_of", "-p", "dataset=prod_db.raw.customer_profiles"], cwd=workspace,
                            capture_output=True, text=True, timeout=900, env=env)
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and len(lines) > 5
    assert max(len(line) for line in lines) <= 160
    ids = [r["dataset"] for r in json.loads(_run(workspace, ("trace", "downstream_of", "-p",
                                                             "dataset=prod_db.raw.customer_profiles",
                                                             "--format", "json")).stdout)]
    names = {part for i in ids for part in i.split(".")}
    assert names and all(name in result.stdout for name in names)  # wrapped after dots, no name cut


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config (file source on the sample, embedded graph, SQLite) with the demo run on it."""
    folder = tmp_path_factory.mktemp("smoke")
    (folder / "lineage-engine.config.yaml").write_text(
        f"telemetry: {{provider: file, path: '{SAMPLE / 'query_history.jsonl'}'}}\n"
        "graph: {type: embedded, path: .lineage/graph}\n"
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
        "monitoring: {slack_webhook: '', metrics_port: 0}\n",
        encoding="utf-8",
    )
    (folder / "my.cypher").write_text(
        "// One dataset, if the graph holds it.\n// params:  $dataset (string, dataset id db.schema.name)\n"
        "// returns: id\nMATCH (d:Dataset {id: toLower($dataset)}) RETURN d.id AS id\n", encoding="utf-8")
    (folder / "cases.jsonl").write_text(
        json.dumps({"id": "a", "sql": "create table t as select x from u"}) + "\n", encoding="utf-8")
    (folder / "ol_events.jsonl").write_text(json.dumps({  # issue 16: a run event of another producer
        "eventType": "COMPLETE", "eventTime": "2026-11-20T10:00:00Z", "producer": "https://example.com/spark",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0b5e2f0e-3c5a-4a77-9a3e-1f0e6f1d2c3b"}, "job": {"namespace": "spark", "name": "smoke"},
        "inputs": [{"namespace": "postgres://db:5432", "name": "shop.public.users"}],
        "outputs": [{"namespace": "s3://smoke-bucket", "name": "/users"}]}) + "\n", encoding="utf-8")
    result = _run(folder, ("demo",))
    assert result.returncode == 0, result.stdout + result.stderr
    (folder / "demo.txt").write_text(result.stdout, encoding="utf-8")
    return folder


def _run(folder: Path, args: tuple[str, ...], input: str | None = None) -> subprocess.CompletedProcess[str]:
    # Overall timeout for hangs only; nothing here depends on the machine being fast.
    return subprocess.run([COMMAND, "--config", str(folder / "lineage-engine.config.yaml"), *args], cwd=folder,
                          capture_output=True, text=True, timeout=900, env=environment(), input=input)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_documented_command(case: Case, workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    values = {"classifications": str(SAMPLE / "classifications.yaml"), "cases": str(workspace / "cases.jsonl"),
              "out": str(out), "history": str(SAMPLE / "query_history.jsonl"),
              "trace_file": str(workspace / "my.cypher"), "ol_events": str(workspace / "ol_events.jsonl")}
    args = tuple(a.format(**values) if "{" in a and "=" not in a else a for a in case.args)
    result = _run(workspace, args, case.input)
    assert result.returncode == case.code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    if callable(case.fact):
        case.fact(result, out)
    else:
        assert case.fact in result.stdout + result.stderr, result.stdout + result.stderr


# ---------------------------------------------------------------------------------------------
# User mistakes: one line on stderr naming the input and what to do, exit 2, no traceback.

MISTAKES: list[tuple[tuple[str, ...], str]] = [
    (("findings", "--format", "yaml"), "--format: 'yaml' is not a format; use table, json, csv"),
    (("crawl", "--path", "{missing}/history.jsonl"), "--path: "),
    (("quarantine", "--limit", "0"), "--limit: 0 is not a number of rows"),
    (("lineage", "extract", "--input", "{missing}/cases.jsonl", "--output", "{missing}/p.jsonl"), "--input: "),
    (("findings", "--status", "opn"), "--status: 'opn' is not one of open, accepted, resolved; did you mean 'open'?"),
    (("registry", "list", "--type", "tables"), "--type: 'tables' is not one of dataset, column"),
    (("export", "edges", "--output", "{missing}/edges.jsonl"), "does not exist"),
    (("export", "edges", "--output", "{file}/edges.jsonl"), "is a file"),
    (("lineage", "extract", "--input", "{cases}", "--output", "{missing}/p.jsonl"), "does not exist"),
    (("trace", "downstream_of", "-p", "dataset=prod_db.raw.custmer_profiles"),
     "-p dataset: no dataset 'prod_db.raw.custmer_profiles' in the graph; closest known: "
     "prod_db.raw.customer_profiles"),
    (("trace", "unmasked_pii_columns", "-p", "origins=prod_db.raw.customer_profiles.emial"),
     "closest known: prod_db.raw.customer_profiles.email"),
    (("trace", "column_upstream_of", "-p", "column_id=prod_db.raw.customer_profiles"),
     "'prod_db.raw.customer_profiles' is a dataset, not a column; give a column id such as "
     "'prod_db.raw.customer_profiles."),
    (("trace", "upstream_of", "-p", "dataset=prod_db.raw.customer_profiles.email"),
     "is a column, not a dataset; give a dataset id such as 'prod_db.raw.customer_profiles'"),
]
"""``(args, expected part of the one error line)``; placeholders as in ``CASES`` plus ``{missing}``
(a folder that does not exist) and ``{file}`` (a regular file)."""


@pytest.mark.parametrize(("args", "message"), MISTAKES, ids=lambda v: v if isinstance(v, str) else " ".join(v)[:50])
def test_user_mistake_is_one_line_and_exit_2(args: tuple[str, ...], message: str, workspace: Path,
                                             tmp_path: Path) -> None:
    (tmp_path / "regular").write_text("x", encoding="utf-8")
    values = {"missing": str(tmp_path / "missing"), "file": str(tmp_path / "regular"),
              "cases": str(workspace / "cases.jsonl")}
    result = _run(workspace, tuple(a.format(**values) if "{" in a else a for a in args))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert not list(tmp_path.glob("**/*.jsonl")) and not list(tmp_path.glob("**/.*.partial"))


@pytest.mark.parametrize("where", ["under_a_file", "unwritable"])
def test_graph_path_that_cannot_be_used_is_one_line_and_exit_2(where: str, tmp_path: Path) -> None:
    (tmp_path / "regular").write_text("x", encoding="utf-8")
    graph = tmp_path / "regular" / "graph" if where == "under_a_file" else Path("/proc/lineage-engine/graph")
    config = tmp_path / "c.yaml"
    config.write_text(f"graph: {{type: embedded, path: '{graph}'}}\n"
                      f'compliance: {{classification_db: "sqlite:///{tmp_path}/registry.db"}}\n', encoding="utf-8")
    for args in (("migrate",), ("trace", "downstream_of", "-p", "dataset=a.b.c")):
        result = subprocess.run([COMMAND, "--config", str(config), *args], cwd=tmp_path, capture_output=True,
                                text=True, timeout=900, env=environment())
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 2 or (where == "unwritable" and args[0] == "trace"), result.stderr
        assert len(lines) == 1 and "graph.path" in lines[0], result.stderr


# ---------------------------------------------------------------------------------------------
# The README's commands and options must each be run by some case above.

_INVOCATION = re.compile(r"(?:^|[\s/=])lineage-engine(?=\s|$)((?:[ \t]+[^\s|;&>`]+)*)")
_WORD = re.compile(r"^[a-z][a-z-]*$")


def readme_invocations(text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Return ``(command path, options)`` for every ``lineage-engine …`` the README shows.

    Looks in fenced code blocks (line by line) and in inline code spans (which may wrap).
    ``--config``/``-c`` and their value are left out; the command path is the leading words.
    """
    snippets: list[str] = []
    prose: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            snippets.append(re.sub(r"(^|\s)#.*", "", line))  # shell comments are prose
        else:
            prose.append(line)
    snippets += [m.group(2) for m in re.finditer(r"(`+)(.+?)(?<!`)\1(?!`)", " ".join(prose))]
    found = []
    for snippet in snippets:
        for match in _INVOCATION.finditer(snippet):
            tokens = match.group(1).split()
            path: list[str] = []
            options: list[str] = []
            skip = False
            for token in tokens:
                if skip:
                    skip = False
                    continue
                if token in ("--config", "-c"):
                    skip = True
                    continue
                if token.startswith("-"):
                    options.append(token.split("=")[0])
                elif not options and _WORD.match(token):
                    path.append(token)
                else:
                    options.append("")  # an argument: the path ends here
            found.append((tuple(path), tuple(o for o in options if o)))
    return found


def test_readme_commands_are_covered() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    invocations = readme_invocations(readme)
    assert any(path == ("lineage", "extract") for path, _ in invocations)  # the parser sees the README
    missing = []
    for path, options in invocations:
        runs = [c.args for c in CASES if _path_of(c.args) == path]
        if not runs:
            missing.append(" ".join(path) or "(no command)")
        missing += [f"{' '.join(path)} {o}" for o in options if not any(o in args for args in runs)]
    assert not missing, f"README commands/options without a smoke case: {sorted(set(missing))}"


def _path_of(args: tuple[str, ...]) -> tuple[str, ...]:
    path: list[str] = []
    for token in args:
        if token.startswith("-") or not _WORD.match(token):
            break
        path.append(token)
    return tuple(path)
