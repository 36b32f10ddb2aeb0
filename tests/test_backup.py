"""Backup and restore: `policykg dump` of a store (here, one being served), `policykg restore`
into an empty store gives the same quads, one by one; a dump that differs from its manifest
in any way is refused before anything is written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import CORPUS, open_backend
from rdflib import Graph, Literal
from virtuoso import Virtuoso

from policykg.backup import BackupError, dump, manifest_path, restore, verify
from policykg.build import build_one
from policykg.store import OxigraphStore

CLI = [sys.executable, "-m", "policykg"]


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def _store_args(server) -> tuple[list[str], dict]:
    """--store (and the other options) naming the server's store, and the environment."""
    if isinstance(server.store, Path):
        return ["--store", str(server.store)], {}
    v: Virtuoso = server.store
    return ["--store", v.store, *v.args], v.env


def _quads(path: Path) -> set[str]:
    return {str(q) for q in OxigraphStore(path).quads(None)}  # the document graphs


def _served_quads(server) -> set[str]:
    r = httpx.get(server.url + "/export", params={"format": "nq"}, timeout=120)
    assert r.status_code == 200
    return {str(q) for q in ox.parse(r.content, format=ox.RdfFormat.N_QUADS)}


@pytest.fixture(scope="module")
def dumped(server, tmp_path_factory) -> Path:
    """The shared server's store (embedded or remote), dumped while it is being served."""
    out = tmp_path_factory.mktemp("backup") / "policykg.nq"
    args, env = _store_args(server)
    r = _run("dump", *args, "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr
    assert "5 documents" in r.stderr
    return out


def test_the_manifest_describes_the_dump(dumped):
    m = json.loads(manifest_path(dumped).read_text(encoding="utf-8"))
    assert m["format"] == "policykg-dump/1" and m["file"] == dumped.name
    assert m["bytes"] == dumped.stat().st_size
    docs = [g for g in m["graphs"] if g["content_hash"]]
    assert len(docs) == 5 and all(g["content_hash"].startswith("sha256:") for g in docs)
    assert sum(g["triples"] for g in m["graphs"]) == len(dumped.read_bytes().splitlines())
    assert {g["source"] for g in docs} == {p.name for p in CORPUS.glob("*.txt")}


def test_restore_into_an_empty_store_gives_the_same_quads(server, dumped, tmp_path, capsys):
    target = tmp_path / "restored"
    r = _run("restore", str(dumped), "--store", str(target))
    assert r.returncode == 0, r.stderr
    assert "5 added" in r.stderr
    original, restored = _served_quads(server), _quads(target)
    assert restored == original  # quad for quad
    r = _run("restore", str(dumped), "--store", str(target))  # again: nothing changes
    assert r.returncode == 0 and "5 unchanged" in r.stderr, r.stderr
    assert _quads(target) == original
    with capsys.disabled():
        print(f"\nbackup: dumped {len(original)} quads in 5 documents from the "
              f"{'embedded' if isinstance(server.store, Path) else 'remote'} store, restored "
              f"into an empty embedded store: {len(restored)} quads, identical quad for quad; "
              "data lost 0")


def test_restore_into_an_empty_remote_store_gives_the_same_quads(server, dumped, virtuoso,
                                                                  tmp_path):
    remote = open_backend("virtuoso", tmp_path, virtuoso)  # cleared of documents
    report = restore(dumped, remote)
    assert report.outcomes == {"added": 5}
    assert {str(q) for q in remote.quads(None)} == _served_quads(server)


def _corrupt(dumped: Path, folder: Path, change) -> Path:
    bad = folder / "bad.nq"
    data = bytearray(dumped.read_bytes())
    bad.write_bytes(change(data))
    shutil.copy(manifest_path(dumped), manifest_path(bad))
    return bad


def test_a_corrupted_dump_is_refused_and_nothing_is_written(dumped, tmp_path):
    def flip(data: bytearray) -> bytes:
        i = len(data) // 2
        data[i] = ord("X") if data[i] != ord("X") else ord("Y")
        return bytes(data)

    bad = _corrupt(dumped, tmp_path, flip)
    target = tmp_path / "target"
    r = _run("restore", str(bad), "--store", str(target))
    assert r.returncode == 2, r.stderr
    assert "sha256" in r.stderr and "nothing was written" in r.stderr
    assert "Traceback" not in r.stderr
    assert not target.exists()


@pytest.mark.parametrize("cut", [1, 100, 0.5])
def test_a_truncated_dump_is_refused(dumped, tmp_path, cut):
    def truncate(data: bytearray) -> bytes:
        n = int(len(data) * cut) if isinstance(cut, float) else len(data) - cut
        return bytes(data[:n])

    with pytest.raises(BackupError, match="truncated"):
        verify(_corrupt(dumped, tmp_path, truncate))


def test_a_dump_without_its_manifest_is_refused(dumped, tmp_path):
    lone = tmp_path / "lone.nq"
    shutil.copy(dumped, lone)
    with pytest.raises(BackupError, match="no manifest"):
        verify(lone)


def _consistent(bad: Path) -> None:
    """Make the manifest's size and sha256 agree with a changed dump, so that the deeper
    checks are the ones that must catch the change."""
    import hashlib

    m = json.loads(manifest_path(bad).read_text(encoding="utf-8"))
    m["bytes"] = bad.stat().st_size
    m["sha256"] = hashlib.sha256(bad.read_bytes()).hexdigest()
    manifest_path(bad).write_text(json.dumps(m), encoding="utf-8")


def test_a_dump_missing_a_triple_is_refused_even_with_a_matching_checksum(dumped, tmp_path):
    bad = _corrupt(dumped, tmp_path, lambda d: b"".join(bytes(d).splitlines(True)[1:]))
    _consistent(bad)
    with pytest.raises(BackupError, match="triples, the manifest says"):
        verify(bad)


def test_a_dump_with_a_changed_content_hash_is_refused(dumped, tmp_path):
    def rehash(data: bytearray) -> bytes:
        text = bytes(data).decode("utf-8")
        i = text.index('"sha256:') + len('"sha256:')
        return (text[:i] + "0" * 64 + text[i + 64:]).encode("utf-8")

    bad = _corrupt(dumped, tmp_path, rehash)
    _consistent(bad)
    with pytest.raises(BackupError, match="content hash"):
        verify(bad)


def test_a_dump_that_is_not_n_quads_is_refused(dumped, tmp_path):
    bad = _corrupt(dumped, tmp_path, lambda d: b"<broken " + bytes(d))
    _consistent(bad)
    with pytest.raises(BackupError, match=r"not valid N-Quads|not where"):
        verify(bad)


def test_restore_replaces_its_graphs_and_keeps_the_others(tmp_path):
    sichuan = build_one(CORPUS / "sichuan-reply-03906-2025-10-09.txt").graph
    reply = build_one(CORPUS / "state-council-reply-sichuan-2004-10-15.txt").graph
    source = OxigraphStore(tmp_path / "source")
    source.put_document(sichuan)
    dump(source, tmp_path / "d.nq")

    target = OxigraphStore(tmp_path / "target")
    changed = Graph(identifier=sichuan.identifier)
    for t in sichuan:
        changed.add(t)
    from policykg.vocab import PKG

    changed.set((sichuan.identifier, PKG.contentHash, Literal("sha256:" + "1" * 64)))
    target.put_document(changed)
    target.put_document(reply)
    report = restore(tmp_path / "d.nq", target)
    assert report.outcomes == {"replaced": 1}
    graphs = {d.graph: d.content_hash for d in target.documents()}
    assert graphs[str(sichuan.identifier)] == str(sichuan.value(sichuan.identifier,
                                                                PKG.contentHash))
    assert str(reply.identifier) in graphs  # not in the dump, kept


def test_default_graph_triples_are_counted_and_left_out(tmp_path):
    store = OxigraphStore(tmp_path / "s")
    with store.writer() as db:
        db.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("stray")))
        db.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o"),
                       ox.NamedNode("urn:x:g")))
    m = dump(store, tmp_path / "d.nq")
    assert m.default_graph_triples_left_out == 1
    assert [(g.graph, g.triples, g.content_hash) for g in m.graphs] == [("urn:x:g", 1, None)]
    other = OxigraphStore(tmp_path / "t")
    restore(tmp_path / "d.nq", other)
    assert {str(q) for q in other.quads(None)} == {
        '<urn:x:s> <urn:x:p> "o" <urn:x:g>'}


def test_restore_into_a_served_store(server, dumped):
    """The embedded store refuses a second writer while it is served; a remote store takes
    the restore, which changes nothing when the dump is of the same store."""
    before = _served_quads(server)
    args, env = _store_args(server)
    r = _run("restore", str(dumped), *args, env=env)
    if isinstance(server.store, Path):
        assert r.returncode == 2 and "serving this store" in r.stderr, r.stderr
    else:
        assert r.returncode == 0 and "5 unchanged" in r.stderr, r.stderr
    assert _served_quads(server) == before
