"""Score table-level lineage edges against the solana-models ground truth.

Acceptance (issue 2): for the targets listed in ground_truth.jsonl, recall >= 0.99 against
``sources_visible_in_sql`` and precision >= 0.99 against ``sources`` ∪
``sources_dynamic_not_in_dbt_graph``. Only edges whose downstream is a ground-truth target
are scored; ids are lower-case ``db.schema.name`` on both sides.

Two input modes:

    python benchmarks/score_workload.py --edges EDGES.jsonl
        JSON Lines from ``lineage-engine export edges``; each line has at least
        "downstream" and "upstream" ids; edges are unioned over all intervals.
    python benchmarks/score_workload.py [--direct] [--history H] [--ground-truth G]
        (default) filter + extract_lineage + SessionResolver in-process over the history,
        in file order; edges unioned over the whole history.

Prints TP/FP/FN, precision and recall, each miss and false positive with a diagnosed
reason (in --edges mode the in-process run is the evidence, unless --no-diagnose), and checks that no temporary object (``__dbt_tmp``, a TEMPORARY object, a temp
pattern) appears as a downstream or upstream. Exit status 1 when that check fails.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extract_speed import load_records  # noqa: E402

from lineage_engine.parsing.extract import extract_lineage  # noqa: E402
from lineage_engine.parsing.filter import should_parse  # noqa: E402
from lineage_engine.parsing.redact import redact_literals  # noqa: E402
from lineage_engine.parsing.temp_names import DEFAULT_TEMP_PATTERNS, compile_temp_patterns, is_temp_name  # noqa: E402
from lineage_engine.parsing.temp_tables import SessionResolver  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "solana-models"
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


@dataclass
class Run:
    """Edges and the evidence needed to explain them (direct mode)."""

    edges: set[tuple[str, str]] = field(default_factory=set)
    via: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    texts_by_target: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    problems_by_target: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    problem_texts: list[tuple[str, str]] = field(default_factory=list)  # (code, text)
    temp_ids: set[str] = field(default_factory=set)
    unresolved: list[tuple[str, str]] = field(default_factory=list)  # (temp, target)
    selects_by_node: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    skipped: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    parsed: int = 0


def run_direct(history: Path) -> Run:
    """Filter, extract and resolve every row of ``history`` in file order."""
    run = Run()
    resolver = SessionResolver()
    temp_texts: dict[str, list[str]] = defaultdict(list)
    cache: dict[tuple[str, str | None, str | None], object] = {}
    for record in load_records(history):
        run.rows += 1
        keep, reason = should_parse(record, allowed_query_types=None, own_user=None, own_query_tag_prefix="")
        if not keep:
            run.skipped[reason] += 1
            node = _dbt_node(record.query_tag)
            if node and record.query_type == "SELECT":
                run.selects_by_node[node].append(record.query_text)
            continue
        run.parsed += 1
        key = (record.query_text, record.database_name, record.schema_name)
        result = cache.get(key)
        if result is None:
            result = cache[key] = extract_lineage(
                record.query_text, default_database=record.database_name, default_schema=record.schema_name
            )
        for problem in result.problems:
            run.problem_texts.append((problem.code, record.query_text))
        for st in result.statements:
            if st.temporary and st.target is not None:
                run.temp_ids.add(st.target.id)
                temp_texts[st.target.id].append(record.query_text)
        before = len(resolver.unresolved)
        for event in resolver.feed(record, result):
            run.texts_by_target[event.target.id].append(record.query_text)
            for temp in event.via:
                run.texts_by_target[event.target.id].extend(temp_texts.get(temp, [])[-3:])
            for src in event.sources:
                if src.id == event.target.id:
                    continue  # a statement reading its own target: the graph stores no self-loop
                run.edges.add((event.target.id, src.id))
                run.via[(event.target.id, src.id)].update(event.via)
        run.unresolved.extend((u.temp_id, u.target_id) for u in resolver.unresolved[before:])
    return run


def _dbt_node(query_tag: str | None) -> str | None:
    """Return the dbt node_id in a dbt JSON query tag, if any."""
    match = re.search(r'"node_id"\s*:\s*"([^"]+)"', query_tag or "")
    return match.group(1) if match else None


def load_edges(path: Path) -> set[tuple[str, str]]:
    """Read exported edges (JSON Lines with "downstream" and "upstream" ids)."""
    edges: set[tuple[str, str]] = set()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                edges.add((str(row["downstream"]).lower(), str(row["upstream"]).lower()))
    return edges


def explain_miss(run: Run | None, node: str | None, target: str, upstream: str) -> str:
    """Return why the visible edge ``target <- upstream`` was not predicted."""
    if run is None:
        return "not in the exported edges"
    name = upstream.split(".")[-1]
    selects = [_COMMENT.sub(" ", t).lower() for t in run.selects_by_node.get(node or "", [])]
    in_select = any(re.search(rf"\b{re.escape(name)}\b", t) for t in selects)
    texts = run.texts_by_target.get(target)
    if not texts:
        failed = [code for code, text in run.problem_texts if target.split(".")[-1] in text.lower()]
        if failed:
            return f"target never resolved: its statements have problems {sorted(set(failed))}"
        return "target never written by a parsed statement"
    code_only = [_COMMENT.sub(" ", t).lower() for t in texts]
    if not any(re.search(rf"\b{re.escape(name)}\b", t) for t in code_only):
        if in_select:
            return (
                "read only by a compile-time SELECT of this dbt model (its result is baked into the "
                "model's SQL as a literal); a SELECT materializes nothing, so no statement shows the edge"
            )
        return "upstream name absent from the SQL that wrote the target (outside comments)"
    others = sorted({u for d, u in run.edges if d == target and u.split(".")[-1] == name})
    if others:
        return f"upstream read under another qualification: {others}"
    return "name appears in the SQL but not as a dataset read (string, column, or unparsed part)"


def explain_false_positive(run: Run | None, gt_targets: set[str], target: str, upstream: str) -> str:
    """Return why ``target <- upstream`` is predicted although dbt's graph lacks it."""
    parts = upstream.split(".")
    if len(parts) < 3:
        return "unqualified name (session had no default)"
    if run is None:
        return "not in dbt graph"
    pattern = re.compile(rf"\b{re.escape(parts[1])}\s*\.\s*{re.escape(parts[2])}\b", re.IGNORECASE)
    lines = [
        " ".join(line.split())[:140]
        for text in run.texts_by_target.get(target, [])
        for line in redact_literals(_COMMENT.sub(" ", text)).splitlines()
        if pattern.search(line)
    ]
    where = f' -- e.g. "{lines[0]}"' if lines else ""
    temps = sorted(run.via.get((target, upstream), ()))
    through = f" through temp {', '.join(temps)}" if temps else ""
    kind = "a dbt model" if upstream in gt_targets else "a relation"
    return f"hard-coded name of {kind} read in the SQL{through} (not via ref/source, so not in dbt graph){where}"


def crawl_and_export(history: Path) -> Path:
    """Crawl ``history`` with the CLI into a fresh embedded graph; print time and peak RSS.

    Returns:
        The exported edges file (JSON Lines).
    """
    import resource
    import subprocess
    import tempfile
    import time

    work = Path(tempfile.mkdtemp(prefix="score-workload-"))
    config = work / "lineage-engine.config.yaml"
    config.write_text(
        f"telemetry: {{provider: file, path: '{history}'}}\n"
        "graph: {type: embedded, path: .lineage/graph}\n"
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "lineage_engine", "--config", str(config)]
    started = time.perf_counter()
    subprocess.run([*command, "crawl"], check=True, cwd=work, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    edges = work / "edges.jsonl"
    subprocess.run([*command, "export", "edges", "--output", str(edges)], check=True, cwd=work)
    print(f"crawl: {elapsed:.1f} s wall for {history.name} (process start included); peak RSS {peak:.0f} MiB")
    return edges


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=Path, help="exported edges (JSON Lines)")
    parser.add_argument("--direct", action="store_true", help="extract in-process (default without --edges)")
    parser.add_argument("--crawl", action="store_true",
                        help="run the real 'lineage-engine crawl' + 'export edges' in a temp folder, then score")
    parser.add_argument("--no-diagnose", action="store_true", help="with --edges: skip the in-process run")
    parser.add_argument("--history", type=Path, default=CORPUS / "query_history.jsonl")
    parser.add_argument("--ground-truth", type=Path, default=CORPUS / "ground_truth.jsonl")
    args = parser.parse_args(argv)

    truth = [json.loads(line) for line in args.ground_truth.open(encoding="utf-8") if line.strip()]
    gt_targets = {row["target"] for row in truth}
    visible = {(row["target"], s) for row in truth for s in row["sources_visible_in_sql"]}
    nodes = {row["target"]: row.get("dbt_unique_id") for row in truth}
    allowed = {(row["target"], s) for row in truth for s in row["sources"] + row["sources_dynamic_not_in_dbt_graph"]}

    if args.crawl:
        args.edges = crawl_and_export(args.history)
    exported = args.edges is not None and not args.direct
    run: Run | None = None
    if not (exported and args.no_diagnose):
        run = run_direct(args.history)  # in edges mode: evidence for the diagnosis only
    if exported:
        edges = load_edges(args.edges)
        print(f"mode: exported edges from {args.edges}")
    else:
        assert run is not None
        edges = run.edges
        print(f"mode: direct (filter + extract_lineage + SessionResolver) over {args.history}")
    if run is not None:
        print(f"rows: {run.rows:,}; parsed {run.parsed:,}; skipped {dict(run.skipped)}")
        problems = Counter(code for code, _ in run.problem_texts)
        print(f"problems: {dict(problems)}; unresolved temp reads: {len(run.unresolved)}")

    temp_re = compile_temp_patterns(DEFAULT_TEMP_PATTERNS)
    temp_ids = run.temp_ids if run else set()
    leaked = sorted(
        {i for edge in edges for i in edge if "__dbt_tmp" in i or i in temp_ids or is_temp_name(i, temp_re)}
    )
    print(f"temp check: {'OK, no temporary object in any edge' if not leaked else f'FAILED: {leaked}'}")

    predicted = {e for e in edges if e[0] in gt_targets}
    tp_p, fp = predicted & allowed, sorted(predicted - allowed)
    tp_r, fn = predicted & visible, sorted(visible - predicted)
    precision = len(tp_p) / len(predicted) if predicted else 0.0
    recall = len(tp_r) / len(visible) if visible else 0.0
    print(f"ground truth: {len(gt_targets)} targets; {len(allowed)} edges (sources ∪ dynamic); "
          f"{len(visible)} visible")
    print(f"predicted edges into ground-truth targets: {len(predicted)} (all edges: {len(edges)})")
    print(f"precision vs sources ∪ dynamic: TP {len(tp_p)}  FP {len(fp)}  -> {precision:.4f}")
    print(f"recall    vs visible:           TP {len(tp_r)}  FN {len(fn)}  -> {recall:.4f}")
    print(f"\nmisses ({len(fn)}):")
    for target, upstream in fn:
        if exported and run is not None and (target, upstream) in run.edges:
            reason = "extracted in-process but missing from the export (graph or export layer)"
        else:
            reason = explain_miss(run, nodes.get(target), target, upstream)
        print(f"  {target} <- {upstream}: {reason}")
    print(f"\nfalse positives ({len(fp)}):")
    for target, upstream in fp:
        if exported and run is not None and (target, upstream) not in run.edges:
            reason = "in the export but not extracted in-process (graph or export layer)"
        else:
            reason = explain_false_positive(run, gt_targets, target, upstream)
        print(f"  {target} <- {upstream}: {reason}")
    return 1 if leaked else 0


if __name__ == "__main__":
    raise SystemExit(main())
