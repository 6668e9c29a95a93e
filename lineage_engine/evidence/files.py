"""The files of an evidence pack, from :class:`~lineage_engine.evidence.collect.Evidence`. Pure.

Layout (every path relative to the pack folder)::

    index.html                 ties everything together; opens offline (no script, no network)
    exposure.json, .csv        exposure paths as of T, origin first, each hop with its transform
                               and the query id that made it; windows ("unmasked from T1 to T2")
    lineage/NN-ORIGIN.json/.csv  the lineage around each origin as of T: edges with intervals
                               and query ids (JSON also the walk: datasets, hops, paths)
    facts.json, .csv           registry facts holding at T (classification, tags, steward,
                               masking policy, reviewed_at)
    coverage.json              quarantined statements that may touch those datasets, edges
                               recovered from tokens, sources not crawled up to T, lineage
                               edges read at a Time Travel point not known (read as any
                               earlier content)
    findings.json              the findings ledger when the pack was written (not as of T)
    pictures/path-NNN.svg      one picture per exposure path
    pictures/origin-NN-ORIGIN.svg  one picture per origin's downstream graph
    manifest.json              SHA-256 of every file above, the findings chain head (manifest.py)

No query text is written anywhere (quarantine entries keep query id, reason and fingerprint).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from html import escape
from typing import Any

from lineage_engine.evidence.collect import Evidence, OriginLineage
from lineage_engine.model import EdgeRow
from lineage_engine.render import render_svg
from lineage_engine.render.neighbourhood import DEFAULT_LIMIT, MAX_HOPS, neighbourhood, path_picture
from lineage_engine.report_rows import csv_rows, edge_row, exposure_row, iso, plain_value


def slug(value: str) -> str:
    """Return a file-name-safe form of an id (lower case; other characters become ``_``)."""
    return re.sub(r"[^a-z0-9._-]+", "_", value.lower()).strip("._") or "id"


def _json(data: Any) -> bytes:
    return (json.dumps(plain_value(data), indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


def _csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(csv_rows(rows))
    return buffer.getvalue().encode("utf-8")


def path_rows(evidence: Evidence) -> list[dict[str, Any]]:
    """Return the exposure paths as rows (origin first) with their hops and picture file."""
    rows = []
    for number, (path, hops) in enumerate(evidence.paths, 1):
        row = exposure_row(path)
        row["status"] = "closed window" if path.closed else "open"
        row["edges"] = hops
        row["picture"] = f"pictures/path-{number:03d}.svg"
        rows.append(row)
    return rows


def _hop_text(hops: Iterable[Mapping[str, Any]]) -> str:
    return " | ".join(f"{h.get('upstream')} → {h.get('downstream')}: {h.get('transform') or h.get('query_type') or '?'}"
                      f" ({h.get('query_id') or 'no statement'})" for h in hops)


def _origin_name(number: int, lineage: OriginLineage) -> str:
    return f"{number:02d}-{slug(lineage.origin)}"


class _ListReader:
    """A neighbourhood reader over a list of edges (the walk's edges of one origin)."""

    def __init__(self, edges: Sequence[EdgeRow]) -> None:
        self.edges = edges

    def __call__(self, ids: Collection[str], direction: str) -> list[EdgeRow]:
        wanted = set(ids)
        return [e for e in self.edges if (e.upstream if direction == "down" else e.downstream) in wanted]


def origin_picture(lineage: OriginLineage, as_of: str) -> str:
    """Return the SVG of one origin's downstream graph as of T (capped per layer, collapsed)."""
    shown: dict[tuple[str, str], EdgeRow] = {}
    for edge in lineage.edges:  # the interval shown per pair: the latest opened by T
        key = (edge.downstream, edge.upstream)
        if key not in shown or edge.valid_from > shown[key].valid_from:
            shown[key] = edge
    deepest = max((h["hops"] for h in lineage.holdings), default=0)
    picture = neighbourhood(lineage.dataset, _ListReader(list(shown.values())), up=0,
                            down=min(max(deepest, 1), MAX_HOPS), limit=DEFAULT_LIMIT,
                            title=f"{lineage.origin}: what held its data as of {as_of}")
    return render_svg(picture)


def pack_files(evidence: Evidence) -> dict[str, bytes]:
    """Return every file of the pack but the manifest, by relative path."""
    as_of = iso(evidence.as_of) or ""
    files: dict[str, bytes] = {}
    paths = path_rows(evidence)
    files["exposure.json"] = _json({
        "as_of": as_of, "origins": list(evidence.origins), "paths": [p for p in paths if p["status"] == "open"],
        "windows": [p for p in paths if p["status"] != "open"], "notes": evidence.notes,
        "origins_missing_from_graph": list(evidence.exposure.coverage.missing_from_graph),
    })
    csv_paths = [{**p, "edges": _hop_text(p["edges"])} for p in paths]
    files["exposure.csv"] = _csv(csv_paths, ["severity", "status", "origin", "terminal", "level", "exposure", "hops",
                                             "regulatory_tags", "classification", "steward", "path", "edges",
                                             "unmasked_from", "unmasked_to", "note", "picture"])
    for number, ((path, hops), row) in enumerate(zip(evidence.paths, paths), 1):
        title = f"{path.severity} {path.origin} → {path.terminal} ({path.level}, as of {as_of})"
        files[row["picture"]] = render_svg(path_picture(row["path"], hops, title=title)).encode("utf-8")
    edge_columns = ["downstream", "upstream", "valid_from", "valid_to", "first_seen", "last_seen", "observations",
                    "last_query_id", "query_type", "via", "provenance"]
    for number, lineage in enumerate(evidence.lineage, 1):
        name = _origin_name(number, lineage)
        files[f"lineage/{name}.json"] = _json({"origin": lineage.origin, "dataset": lineage.dataset, "as_of": as_of,
                                               "holdings": lineage.holdings,
                                               "edges": [edge_row(e) for e in lineage.edges]})
        files[f"lineage/{name}.csv"] = _csv([edge_row(e) for e in lineage.edges], edge_columns)
        files[f"pictures/origin-{name}.svg"] = origin_picture(lineage, as_of).encode("utf-8")
    fact_rows = [{"catalog_path": a.catalog_path, "asset_type": a.asset_type, "classification": a.classification,
                  "regulatory_tags": list(a.regulatory_tags), "steward": a.steward,
                  "masking_policy": a.masking_policy, "reviewed_at": iso(a.reviewed_at)} for a in evidence.facts]
    files["facts.json"] = _json({"as_of": as_of, "assets": fact_rows})
    files["facts.csv"] = _csv(fact_rows, ["catalog_path", "asset_type", "classification", "regulatory_tags", "steward",
                                          "masking_policy", "reviewed_at"])
    files["coverage.json"] = _json({"as_of": as_of, "quarantined": evidence.quarantined,
                                    "recovered_edges": evidence.recovered, "sources": evidence.sources,
                                    "origins_missing_from_graph":
                                        list(evidence.exposure.coverage.missing_from_graph),
                                    "unknown_time_travel_points": evidence.exposure.coverage.unknown_points})
    files["findings.json"] = _json({"written_at": iso(evidence.generated_at), "findings": evidence.ledger,
                                    "chain": evidence.chain})
    files["index.html"] = index_html(evidence, paths, sorted(files)).encode("utf-8")
    return files


CSS = """body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1200px;
padding:0 1rem;color:#1a1a1a}h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f4f6fa}code{font-size:.9em}.sev-HIGH,.sev-CRITICAL{color:#b00020;
font-weight:600}.sev-MEDIUM{color:#b7791f;font-weight:600}figure{margin:1rem 0;overflow-x:auto}
figure img{max-width:none}.meta td:first-child{width:14rem;color:#555}"""


def index_html(evidence: Evidence, paths: Sequence[Mapping[str, Any]], names: Sequence[str]) -> str:
    """Return ``index.html``: the pack's contents for a person, offline (pictures as ``<img>``)."""
    as_of = iso(evidence.as_of) or ""
    chain = evidence.chain
    head = (f"event {chain.get('event_id')}: {chain.get('hash')}" if chain.get("event_id") is not None
            else "(the findings event log is empty)")
    if chain.get("intact") is False:
        head += f" (chain broken at event {chain.get('first_bad_event')}: {chain.get('problem')})"
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Evidence as of {escape(as_of)}</title>"
           f"<style>{CSS}</style></head><body>",
           f"<h1>Exposure evidence as of {escape(as_of)}</h1>",
           "<table class='meta'>",
           f"<tr><td>as of</td><td>{escape(as_of)}</td></tr>",
           f"<tr><td>written at</td><td>{escape(iso(evidence.generated_at) or '')}</td></tr>",
           f"<tr><td>lineage-engine</td><td>{escape(evidence.version)}</td></tr>",
           f"<tr><td>origins</td><td>{len(evidence.origins)}</td></tr>",
           f"<tr><td>exposure paths</td><td>{sum(1 for p in paths if p['status'] == 'open')} open, "
           f"{sum(1 for p in paths if p['status'] != 'open')} closed windows</td></tr>",
           f"<tr><td>findings chain head</td><td><code>{escape(str(head))}</code> "
           f"({chain.get('events', 0)} events)</td></tr>",
           "</table>",
           "<p>Every file's SHA-256 is in <code>manifest.json</code>; check the pack with "
           "<code>lineage-engine evidence verify DIR</code>, and that the findings log still holds this head with "
           f"<code>lineage-engine findings verify --expect-head {escape(str(chain.get('expect_head') or ''))}</code>. Paths run origin → terminal (data flows left to right "
           "in the pictures); each hop names its transform and the query id of the statement that made it.</p>"]
    for note in evidence.notes:
        out.append(f"<p>{escape(note)}</p>")
    out.append("<h2>Exposure paths</h2>")
    if not paths:
        out.append("<p>No exposure path from these origins as of this instant.</p>")
    else:
        out.append("<table><tr><th>#</th><th>severity</th><th>origin → terminal</th><th>level</th><th>hops</th>"
                   "<th>status</th><th>steward</th></tr>")
        for number, row in enumerate(paths, 1):
            out.append(f"<tr><td><a href='#path-{number}'>{number}</a></td>"
                       f"<td class='sev-{escape(str(row['severity']))}'>{escape(str(row['severity']))}</td>"
                       f"<td>{escape(str(row['origin']))} → {escape(str(row['terminal']))}</td>"
                       f"<td>{escape(str(row['level']))}</td><td>{row['hops']}</td>"
                       f"<td>{escape(row['status'])}</td><td>{escape(str(row.get('steward') or '(none)'))}</td></tr>")
        out.append("</table>")
        for number, row in enumerate(paths, 1):
            out.append(f"<h3 id='path-{number}'>{number}. {escape(str(row['origin']))} → "
                       f"{escape(str(row['terminal']))}</h3>")
            out.append(f"<figure><img src='{escape(row['picture'])}' alt='path {number}'></figure>")
            out.append("<table><tr><th>upstream</th><th>downstream</th><th>transform</th><th>statement</th>"
                       "<th>query id</th><th>valid from</th><th>valid to</th></tr>")
            for hop in row["edges"]:
                out.append("<tr>" + "".join(f"<td>{escape(str(hop.get(k) or ''))}</td>" for k in (
                    "upstream", "downstream", "transform", "query_type", "query_id", "valid_from", "valid_to"))
                           + "</tr>")
            out.append("</table>")
            if row.get("note"):
                out.append(f"<p>{escape(str(row['note']))}</p>")
    out.append("<h2>Lineage around each origin</h2>")
    for number, lineage in enumerate(evidence.lineage, 1):
        name = _origin_name(number, lineage)
        out.append(f"<h3>{escape(lineage.origin)}</h3><p>{len(lineage.holdings)} datasets held its data as of "
                   f"{escape(as_of)}; {len(lineage.edges)} edge intervals: <a href='lineage/{name}.csv'>CSV</a>, "
                   f"<a href='lineage/{name}.json'>JSON</a>.</p>"
                   f"<figure><img src='pictures/origin-{name}.svg' alt='downstream of {escape(lineage.origin)}'>"
                   "</figure>")
    out.append(f"<h2>Registry facts as of {escape(as_of)}</h2><p>{len(evidence.facts)} assets: "
               "<a href='facts.csv'>CSV</a>, <a href='facts.json'>JSON</a>.</p>")
    out.append("<h2>Coverage</h2><ul>"
               f"<li>{len(evidence.quarantined)} quarantined statements may touch these datasets (not merged; "
               "see <a href='coverage.json'>coverage.json</a>)</li>"
               f"<li>{len(evidence.recovered)} edges were recovered from tokens rather than a parse (possibly "
               "incomplete)</li>")
    for source in evidence.sources:
        out.append(f"<li>source <code>{escape(source['source'])}</code>: {escape(source['status'])}</li>")
    if not evidence.sources:
        out.append("<li>no query-history source has been crawled</li>")
    out.append("</ul><h2>Files</h2><ul>")
    out.extend(f"<li><a href='{escape(n)}'>{escape(n)}</a></li>" for n in names)
    out.append("<li>manifest.json</li></ul></body></html>\n")
    return "\n".join(out)
