"""``lineage-engine evidence`` and ``evidence verify`` through the installed command, on the demo's data."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.web_server import installation  # noqa: F401 - fixture

AS_OF = "2026-11-30"
SVG = "{http://www.w3.org/2000/svg}"


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def pack(installation: Path) -> Path:
    """A pack as of AS_OF; the stores' bytes are compared before and after."""
    stores = installation.parent / ".lineage"
    before = _digests(stores)
    out = installation.parent / "pack"
    result = run_cli(installation, "evidence", "--as-of", AS_OF, "--out", str(out))
    assert "pack digest" in result.stdout and "evidence verify" in result.stdout
    after = _digests(stores)
    assert {k: v for k, v in after.items() if k.endswith("registry.db")} == \
        {k: v for k, v in before.items() if k.endswith("registry.db")}, "the registry changed"
    assert set(after) >= set(before)
    return out


def test_pack_holds_the_exposure_of_the_instant(pack: Path, installation: Path) -> None:
    exposure = json.loads((pack / "exposure.json").read_text(encoding="utf-8"))
    scan = json.loads(run_cli(installation, "scan", "--as-of", AS_OF, "--format", "json").stdout)
    assert {(p["origin"], p["terminal"]) for p in exposure["paths"]} == {(p["origin"], p["terminal"]) for p in scan}
    assert exposure["as_of"] == "2026-11-30T00:00:00Z"
    for path in exposure["paths"]:
        assert path["path"][0] in (path["origin"], path["origin"].rsplit(".", 1)[0])  # origin first
        assert len(path["edges"]) == path["hops"] and all(h["query_id"] for h in path["edges"])
    csv_text = (pack / "exposure.csv").read_text(encoding="utf-8")
    assert csv_text.startswith("severity,status,origin,terminal") and " → " in csv_text
    facts = json.loads((pack / "facts.json").read_text(encoding="utf-8"))["assets"]
    assert any(a["catalog_path"] == "prod_db.raw.customer_profiles.email" and a["steward"] for a in facts)
    coverage = json.loads((pack / "coverage.json").read_text(encoding="utf-8"))
    # the sample's last statement ended on 2026-11-20: lineage after it is unknown, and the pack says so
    assert [s["status"] for s in coverage["sources"]] == [
        "not crawled up to the as-of instant: nothing after 2026-11-20T17:00:06Z was read"]
    around = json.loads(next((pack / "lineage").glob("*-prod_db.raw.customer_profiles.email.json")).read_text(
        encoding="utf-8"))
    assert around["dataset"] == "prod_db.raw.customer_profiles"
    assert around["edges"] and all(e["last_query_id"] and e["valid_from"] for e in around["edges"])
    held = {h["dataset"] for h in around["holdings"]}
    assert {"prod_db.staging.stg_customers", "prod_db.analytics.customer_360"} <= held


def test_path_pictures_show_each_hop_with_transform_and_query_id(pack: Path) -> None:
    exposure = json.loads((pack / "exposure.json").read_text(encoding="utf-8"))
    for path in exposure["paths"]:
        root = ET.fromstring((pack / path["picture"]).read_text(encoding="utf-8"))
        nodes = [g.get("data-id") for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
        assert nodes == path["path"]
        edges = {(g.get("data-upstream"), g.get("data-downstream")): [t.text for t in g.iter(f"{SVG}text")]
                 for g in root.iter(f"{SVG}g") if g.get("class") == "edge"}
        for hop in path["edges"]:
            labels = edges[(hop["upstream"], hop["downstream"])]
            assert hop["query_id"] in labels and (hop["transform"] or hop["query_type"]) in labels
    assert list((pack / "pictures").glob("origin-*.svg"))


def test_index_opens_offline(pack: Path) -> None:
    html = (pack / "index.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower() and not re.search(r"(src|href)=['\"](https?:)?//", html)
    links = re.findall(r"(?:src|href)='([^'#]+)'", html)
    assert links and all((pack / link).is_file() for link in links), [x for x in links if not (pack / x).is_file()]
    assert "findings chain head" in html


def test_manifest_lists_every_file_and_verify_passes(pack: Path, installation: Path) -> None:
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    files = {p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == files
    assert all(hashlib.sha256((pack / n).read_bytes()).hexdigest() == e["sha256"] for n, e in manifest["files"].items())
    assert manifest["as_of"] == "2026-11-30T00:00:00Z"
    chain = manifest["findings_chain"]  # the head of the findings event log (issue 15 §1) when written
    verified = json.loads(run_cli(installation, "findings", "verify", "--format", "json").stdout)
    assert chain["intact"] is True and chain["events"] > 0
    assert (chain["event_id"], chain["hash"]) == (verified["head"]["event_id"], verified["head"]["hash"])
    run_cli(installation, "findings", "verify", "--expect-head", chain["expect_head"])
    result = run_cli(installation, "evidence", "verify", str(pack))
    assert result.stdout.startswith("ok: ") and f"{len(files)} files" in result.stdout


@pytest.mark.parametrize("change", ["byte", "missing", "extra"])
def test_verify_names_the_file_that_changed(pack: Path, installation: Path, tmp_path: Path, change: str) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for src in pack.rglob("*"):
        if src.is_file():
            target = copy / src.relative_to(pack)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(src.read_bytes())
    if change == "byte":
        data = bytearray((copy / "exposure.csv").read_bytes())
        data[40] ^= 0x01
        (copy / "exposure.csv").write_bytes(bytes(data))
        named = "changed: exposure.csv"
    elif change == "missing":
        (copy / "pictures" / "path-001.svg").unlink()
        named = "missing: pictures/path-001.svg"
    else:
        (copy / "lineage" / "notes.txt").write_text("added later\n", encoding="utf-8")
        named = "extra: lineage/notes.txt"
    result = run_cli(installation, "evidence", "verify", str(copy), check=False)
    assert result.returncode == 1 and named in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_origin_filter_and_an_earlier_instant(installation: Path, tmp_path: Path) -> None:
    out = tmp_path / "payments"
    run_cli(installation, "evidence", "--as-of", AS_OF, "--out", str(out), "--origin", "prod_db.raw.payments")
    exposure = json.loads((out / "exposure.json").read_text(encoding="utf-8"))
    assert exposure["origins"] == ["prod_db.raw.payments"] and exposure["paths"]
    assert all(p["origin"] == "prod_db.raw.payments" for p in exposure["paths"])
    early = tmp_path / "early"  # before the copies into the marts existed
    run_cli(installation, "evidence", "--as-of", "2026-10-23", "--out", str(early))
    terminals = {p["terminal"] for p in json.loads((early / "exposure.json").read_text(encoding="utf-8"))["paths"]}
    assert terminals and not any("marts" in t for t in terminals)


def test_bad_input_is_one_line_exit_2_and_writes_nothing(installation: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    result = run_cli(installation, "evidence", "--as-of", AS_OF, "--out", str(out), "--origin",
                     "prod_db.raw.paymnts", check=False)
    assert result.returncode == 2 and "closest: prod_db.raw.payments" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x", encoding="utf-8")
    result = run_cli(installation, "evidence", "--as-of", AS_OF, "--out", str(tmp_path / "full"), check=False)
    assert result.returncode == 2 and "is not empty" in result.stderr
    result = run_cli(installation, "evidence", "--as-of", "14 March", "--out", str(out), check=False)
    assert result.returncode == 2 and "--as-of" in result.stderr
    result = run_cli(installation, "evidence", "verify", str(tmp_path), check=False)
    assert result.returncode == 2 and "no manifest.json" in result.stderr
