"""Bulk-load throughput: the same generated N-Quads file into the embedded store and into a
real Virtuoso (started here on 127.0.0.1 with deploy/virtuoso/virtuoso.ini), both through
`policykg ingest FILE.nq`, with pyoxigraph's own bulk loader as the baseline, in one run.

    python bench/remote_load.py [--triples 1000000] [--insert-data]

Prints a table, then one JSON line. Needs Debian's virtuoso-opensource.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from virtuoso import start_virtuoso, stop_virtuoso  # noqa: E402

from bench.graph_gen import generate  # noqa: E402

LOADED = re.compile(r"loaded \S+: (\d+) triples in (\d+) graphs in ([\d.]+) s")


def policykg_ingest(nq: Path, store: list[str], env: dict | None = None) -> dict:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "policykg", "ingest", *store, str(nq)],
                       capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"ingest failed: {r.stderr[-2000:]}")
    m = LOADED.search(r.stderr)
    if not m:
        raise SystemExit(f"no load report in: {r.stderr[-2000:]}")
    triples, graphs, secs = int(m[1]), int(m[2]), float(m[3])
    return {"triples": triples, "graphs": graphs, "load_s": secs, "wall_s": wall,
            "triples_per_s": triples / secs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--insert-data", action="store_true",
                    help="upload by SPARQL INSERT DATA instead of the Graph Store Protocol")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="policykg-load-") as tmp:
        work = Path(tmp)
        nq = work / "graph.nq"
        size = generate(args.triples, nq)
        rows = {}

        raw = ox.Store(str(work / "raw"))
        t0 = time.perf_counter()
        raw.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
        raw.flush()
        secs = time.perf_counter() - t0
        rows["pyoxigraph bulk_load (baseline)"] = {"triples": len(raw), "load_s": secs,
                                                   "triples_per_s": len(raw) / secs}
        del raw

        rows["policykg → embedded"] = policykg_ingest(nq, ["--store", str(work / "emb")])

        v = start_virtuoso(work / "virtuoso")
        try:
            how = v.args[:2] if args.insert_data else v.args  # [:2]: no GSP endpoint
            label = "INSERT DATA" if args.insert_data else "GSP"
            rows[f"policykg → Virtuoso ({label})"] = policykg_ingest(
                nq, ["--store", v.store, *how], v.env)
        finally:
            stop_virtuoso(v)

    base = rows["pyoxigraph bulk_load (baseline)"]["triples_per_s"]
    print(f"\n{size:,} quads generated from the bundled corpus\n")
    print(f"{'load':40} {'triples':>10} {'seconds':>8} {'triples/s':>11} {'vs raw':>7}")
    for name, r in rows.items():
        print(f"{name:40} {r['triples']:>10,} {r['load_s']:>8.1f} {r['triples_per_s']:>11,.0f} "
              f"{r['triples_per_s'] / base:>7.2f}")
    emb = rows["policykg → embedded"]
    rem = next(r for k, r in rows.items() if "Virtuoso" in k)
    print(json.dumps({
        "size_triples": size,
        "raw_triples_per_s": round(base),
        "embedded_triples_per_s": round(emb["triples_per_s"]),
        "embedded_ratio_vs_raw": round(emb["triples_per_s"] / base, 3),
        "virtuoso_triples_per_s": round(rem["triples_per_s"]),
        "virtuoso_upload": "insert-data" if args.insert_data else "gsp",
        "virtuoso_graphs": rem["graphs"],
    }))


if __name__ == "__main__":
    main()
