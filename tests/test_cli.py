"""The `policykg` command, run as a new user would: a real process from the installed
package, on real files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT
from rdflib import Dataset, Graph

SICHUAN = CORPUS / "sichuan-reply-03906-2025-10-09.txt"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "policykg", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600, env={"COLUMNS": "200",
                                                                "PATH": "/usr/bin:/bin"})


def test_the_console_script_is_installed():
    exe = Path(sys.executable).parent / "policykg"
    assert exe.exists() or shutil.which("policykg")


def test_build_one_document_to_turtle(tmp_path):
    out = tmp_path / "s.ttl"
    r = run("build", str(SICHUAN), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "1 documents" in r.stderr
    g = Graph().parse(out, format="turtle")
    assert len(g) > 1000


@pytest.mark.parametrize("fmt", ["nt", "ttl", "nq"])
def test_two_builds_are_byte_identical(tmp_path, fmt):
    a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    assert run("build", str(SICHUAN), "--out", str(a), "--no-validate").returncode == 0
    assert run("build", str(SICHUAN), "--out", str(b), "--no-validate").returncode == 0
    assert a.read_bytes() == b.read_bytes()


def test_nquads_keep_one_named_graph_per_document(tmp_path):
    out = tmp_path / "c.nq"
    r = run("build", str(CORPUS), "--out", str(out), "--no-validate")
    assert r.returncode == 0, r.stderr
    ds = Dataset()
    ds.parse(out, format="nquads")
    graphs = {str(c.identifier) for c in ds.graphs() if len(c)}
    assert len([g for g in graphs if "/graph/" in g]) == len(list(CORPUS.glob("*.txt")))


def test_a_bad_file_is_reported_and_skipped_the_rest_is_built(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SICHUAN, docs / SICHUAN.name)
    (docs / "broken.txt").write_bytes(bytes(range(0x80, 0x100)) * 20)
    out = tmp_path / "o.ttl"
    r = run("build", str(docs), "--out", str(out), "--no-validate")
    assert r.returncode == 1
    assert "broken.txt" in r.stderr and "cannot decode" in r.stderr
    assert "1 documents" in r.stderr
    assert len(Graph().parse(out, format="turtle")) > 1000


def test_missing_input_is_a_clear_error(tmp_path):
    r = run("build", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "x.ttl"))
    assert r.returncode == 2
    assert "nope.txt: no such file" in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_format_is_refused(tmp_path):
    r = run("build", str(SICHUAN), "--out", str(tmp_path / "x.out"), "--format", "xml")
    assert r.returncode == 2 and "unknown format" in r.stderr


def test_validate_reports_violations_and_exits_nonzero(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix pkg: <https://w3id.org/policykg/ontology#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://w3id.org/policykg/id/place/1> a pkg:County ; pkg:adminCode \"51068\" ;\n"
        "  skos:prefLabel \"某县\"@zh .\n", encoding="utf-8")
    r = run("validate", str(bad))
    assert r.returncode == 1
    assert "adminCode" in r.stdout
    assert "prefLabel" in r.stdout  # the missing @en label


def test_validate_refuses_unparseable_file(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle <<<", encoding="utf-8")
    r = run("validate", str(bad))
    assert r.returncode == 2 and "cannot parse" in r.stderr


def test_stats_counts_entities_per_class(tmp_path):
    out = tmp_path / "s.ttl"
    assert run("build", str(SICHUAN), "--out", str(out), "--no-validate").returncode == 0
    r = run("stats", str(out))
    assert r.returncode == 0
    assert "pkg:Organization" in r.stdout and "pkg:ReformItem" in r.stdout


def test_facts_table(tmp_path):
    r = run("facts", str(SICHUAN))
    assert r.returncode == 0, r.stderr
    assert "天府水源工程" in r.stdout and "102520000000" not in r.stdout
    assert "1025.2亿元" in r.stdout


def test_the_bundled_corpus_builds_and_passes_the_shapes(tmp_path):
    r = run("build", "--out", str(tmp_path / "all.ttl"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{len(list(CORPUS.glob('*.txt')))} documents" in r.stderr


def test_published_graph_is_current(tmp_path):
    """graph/ must be what `policykg build` writes for the bundled corpus today."""
    for name, _fmt in (("policykg.nq", "nq"), ("policykg.ttl", "ttl")):
        out = tmp_path / name
        r = run("build", "--out", str(out), "--no-validate")
        assert r.returncode == 0, r.stderr
        published = ROOT / "graph" / name
        assert published.exists(), f"{published} missing: run `policykg build --out {published}`"
        assert out.read_bytes() == published.read_bytes(), \
            f"graph/{name} is stale: rebuild it with `policykg build --out graph/{name}`"
