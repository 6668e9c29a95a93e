"""Page and API load times of ``lineage-engine serve`` on a crawled graph (issue 15 §3).

Crawls a query history (default: the solana-models workload, ``../shared/corpora``) into a
fresh embedded installation under a temporary folder (or uses ``--config`` as it is), scans
it, starts the installed ``lineage-engine serve --port 0`` and times each page: median and
maximum wall seconds over ``--repeat`` GETs (first request excluded as warm-up). The lineage
pages centre on the dataset with the most lineage edges (the widest neighbourhood).

    python benchmarks/web_pages.py [--history PATH] [--config PATH] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
COMMAND = shutil.which("lineage-engine", path=str(Path(sys.executable).parent)) or "lineage-engine"


def cli(config: Path, *args: str) -> str:
    result = subprocess.run([COMMAND, "--config", str(config), *args], cwd=config.parent, capture_output=True,
                            text=True, check=True)
    return result.stdout


def timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        response.read()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", type=Path, default=ROOT.parent / "shared" / "corpora" / "solana-models"
                        / "query_history.jsonl")
    parser.add_argument("--config", type=Path, help="an existing installation (not crawled again)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="web-pages-"))
    if args.config is None:
        config = folder / "lineage-engine.config.yaml"
        config.write_text(f"telemetry: {{provider: file, path: '{args.history}'}}\n"
                          "graph: {type: embedded, path: .lineage/graph}\n"
                          'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
                          "monitoring: {slack_webhook: ''}\n", encoding="utf-8")
        started = time.perf_counter()
        cli(config, "migrate")
        cli(config, "crawl")
        cli(config, "scan")
        print(f"crawled and scanned {args.history.name} in {time.perf_counter() - started:.1f} s")
    else:
        config = args.config
    edges = [json.loads(line) for line in cli(config, "export", "edges").splitlines() if line.strip()]
    degree = Counter([e["downstream"] for e in edges] + [e["upstream"] for e in edges])
    centre = degree.most_common(1)[0][0]
    print(f"graph: {len(edges)} dataset edge intervals, {len(degree)} datasets; centre {centre} "
          f"({degree[centre]} edges)")
    out = (folder / "serve.out").open("w")
    server = subprocess.Popen([COMMAND, "--config", str(config), "serve", "--port", "0"], cwd=config.parent,
                              stdout=out, stderr=subprocess.STDOUT)
    try:
        base = None
        while base is None:
            if server.poll() is not None:
                raise SystemExit((folder / "serve.out").read_text())
            found = re.search(r"serving on (http://\S+?)/ ", (folder / "serve.out").read_text())
            base = found.group(1) if found else None
            time.sleep(0.1)
        findings = json.loads(urllib.request.urlopen(base + "/api/findings", timeout=600).read())
        pages = ["/findings", "/api/findings", "/coverage", f"/history?id={quote(centre)}",
                 f"/lineage?id={quote(centre)}&up=1&down=1", f"/lineage?id={quote(centre)}&up=2&down=2",
                 f"/lineage?id={quote(centre)}&up=3&down=3", f"/api/lineage?id={quote(centre)}&up=2&down=2"]
        if findings:
            pages.insert(1, f"/findings/{findings[0]['id']}")
        print(f"{'page':70} {'median s':>9} {'max s':>7}")
        for page in pages:
            timed_get(base + page)  # warm-up
            times = [timed_get(base + page) for _ in range(args.repeat)]
            print(f"{page[:70]:70} {statistics.median(times):9.3f} {max(times):7.3f}")
    finally:
        server.terminate()
        server.wait()
        out.close()
        if args.config is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
