"""The benchmark, one command:

    python bench/run.py [--quick | --full]

--quick (the default; under 5 minutes): ingest of generated documents, and one graph of
50k triples loaded, served, queried, loaded into the peer and validated. --full (under an
hour on 2 cores): the same at 100k, 1M and 10M triples (the peer up to 1M, whole-store
SHACL at 100k: see PROFILES), then bench/RESULTS.md, bench/results.csv and
bench/scaling.png are rewritten.

Prints a table per size, then, as its last line, one JSON object with the figures. Needs
`pip install '.[bench]'` (rdflib-endpoint, matplotlib, psutil) and Debian's wrk.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH.parent) not in sys.path:  # `python bench/run.py` from a clone
    sys.path.insert(0, str(BENCH.parent))

from bench import handoff, pipeline, results  # noqa: E402
from bench.corpus_gen import write_docs  # noqa: E402
from bench.graph_gen import seed_block, write_graph  # noqa: E402
from bench.service import (  # noqa: E402
    BUDGET_S,
    FLOOR_QUERY,
    LOOKUP_DOC_PATH,
    LOOKUP_PATH,
    MORE_RUNS,
    MORE_RUNS_S,
    NO_CACHE,
    PASSES,
    SEARCH_MIX,
    SEARCH_PATH,
    SPARQL_FLOOR_PATH,
    WRK_HINT,
    KeepAlive,
    measure_mix,
    measure_peer,
    search_mix,
    start_peer,
    start_policykg,
    wrk,
)

PROFILES = {
    # docs: text documents ingested; seed: generated documents in the graph generator's
    # block; peer_max / pyshacl_max: the largest size given to rdflib-endpoint and to plain
    # pySHACL, which grow too slow beyond them (ours validates the whole store at every size).
    "quick": {"docs": 48, "seed": 8, "sizes": [50_000], "runs": 3, "wrk_s": 5,
              "peer_max": 50_000, "pyshacl_max": 50_000, "pyshacl_timeout": 150},
    "full": {"docs": 200, "seed": 24, "sizes": [100_000, 1_000_000, 10_000_000], "runs": 5,
             "wrk_s": 15, "peer_max": 1_000_000, "pyshacl_max": 100_000,
             "pyshacl_timeout": 900},
}


def say(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def measure_size(n: int, block: str, work: Path, prof: dict, peer: bool) -> dict:
    tag = f"{n // 1000}k"
    nq = work / f"graph-{tag}.nq"
    t = time.perf_counter()
    write_graph(block, n, nq)
    say(f"[{tag}] generated {nq.name} in {time.perf_counter() - t:.1f} s; loading")
    store = work / f"store-{tag}"
    ld = pipeline.load(nq, store, work / f"raw-{tag}")
    shutil.rmtree(work / f"raw-{tag}", ignore_errors=True)
    size = ld["triples"]
    out: dict = {"size_triples": size, "load_s": ld["seconds"], "raw_load_s": ld["raw_seconds"],
                 "load_triples_per_s": ld["load_triples_per_s"],
                 "raw_triples_per_s": ld["raw_triples_per_s"],
                 "load_ratio_vs_raw": ld["load_ratio_vs_raw"],
                 "load_inner_s": ld["inner_seconds"], "raw_load_inner_s": ld["raw_inner_seconds"],
                 "load_peak_rss_mb": ld["peak_rss_mb"]}
    say(f"[{tag}] load: policykg {ld['seconds']:.1f} s, pyoxigraph {ld['raw_seconds']:.1f} s; "
        "serving")
    t = time.perf_counter()
    server = start_policykg(store)
    out["serve_start_s"] = time.perf_counter() - t  # until its search index is ready
    out["serve_answering_s"] = server.answering_s
    try:
        with pipeline.ProcessTree(server.proc.pid) as rss:
            rows, floor = measure_mix(store, server, prof["runs"])
            with KeepAlive(server.url + "/sparql") as client:
                out.update(handoff.server_figures(server.proc.pid,
                                                  lambda: client.post_query(FLOOR_QUERY)))
            say(f"[{tag}] mix measured; wrk")
            lookup = wrk(server.url + LOOKUP_PATH, prof["wrk_s"])
            lookup_doc = wrk(server.url + LOOKUP_DOC_PATH, prof["wrk_s"])
            search = wrk(server.url + SEARCH_PATH, prof["wrk_s"])
            lookup_nc = wrk(server.url + LOOKUP_PATH, prof["wrk_s"], header=NO_CACHE)
            search_nc = wrk(server.url + SEARCH_PATH, prof["wrk_s"], header=NO_CACHE)
            mix = search_mix(server.url, prof["wrk_s"])
            sparql_cheap = wrk(server.url + SPARQL_FLOOR_PATH, prof["wrk_s"])
        out["serve_peak_rss_mb"] = rss.mb
    finally:
        server.stop()
    out.update({"lookup_first_ms": lookup["first_ms"],
                "lookup_doc_first_ms": lookup_doc["first_ms"],
                "search_first_ms": search["first_ms"],
                "lookup_p50_ms": lookup["p50_ms"], "lookup_p99_ms": lookup["p99_ms"],
                "lookup_rps": lookup["rps"], "lookup_doc_p50_ms": lookup_doc["p50_ms"],
                "lookup_doc_p99_ms": lookup_doc["p99_ms"], "lookup_doc_rps": lookup_doc["rps"],
                "search_p50_ms": search["p50_ms"],
                "search_p99_ms": search["p99_ms"], "search_rps": search["rps"],
                "lookup_nocache_p99_ms": lookup_nc["p99_ms"],
                "lookup_nocache_rps": lookup_nc["rps"],
                "search_nocache_p99_ms": search_nc["p99_ms"],
                "search_nocache_rps": search_nc["rps"],
                "search_mix_nocache_p99_ms": mix["p99_ms"],
                "search_mix_nocache_rps": mix["rps"],
                "search_mix_alone_p50_ms": mix["alone_p50_ms"],
                "search_mix_alone_max_ms": mix["alone_max_ms"],
                "sparql_cheap_p99_ms": sparql_cheap["p99_ms"],
                "sparql_cheap_rps": sparql_cheap["rps"],
                "non_2xx": sum(r["non_2xx"] for r in (lookup, lookup_doc, search, lookup_nc,
                                                      search_nc, mix, sparql_cheap))})
    out["endpoint_added_ms_p50"], out["endpoint_ratio_heavy_max"] = endpoint_figures(
        [(r.direct_ms, r.policykg_ms) for r in rows])
    # the same figures from each pass alone: how far they move within one run
    by_pass = [endpoint_figures([r.passes[i] if r.passes else (r.direct_ms, r.policykg_ms)
                                 for r in rows]) for i in range(len(floor.passes))]
    out["endpoint_added_ms_p50_passes"] = [a for a, _ in by_pass]
    out["endpoint_ratio_heavy_max_passes"] = [h for _, h in by_pass]
    out["endpoint_floor_added_ms"] = floor.policykg_ms - floor.direct_ms
    out["direct_total_ms"] = sum(r.direct_ms for r in rows)
    out["policykg_total_ms"] = sum(r.policykg_ms for r in rows)
    out["answers_differ"] = [r.query for r in rows if r.rows_direct != r.rows_policykg]
    if peer and n <= prof["peer_max"]:
        say(f"[{tag}] rdflib-endpoint: loading {nq.name}")
        t = time.perf_counter()
        p = start_peer(nq)
        out["peer_start_s"] = time.perf_counter() - t
        try:
            with pipeline.ProcessTree(p.proc.pid) as rss:
                measure_peer(rows, p, max(3, prof["runs"] // 2))
            out["peer_peak_rss_mb"] = rss.mb
        finally:
            p.stop()
        out["peer_total_ms"] = sum(r.peer_ms or 0 for r in rows)
        out["speedup_vs_rdflib_endpoint_total"] = out["peer_total_ms"] / out["policykg_total_ms"]
        # what a server adding nothing to pyoxigraph would reach on this mix
        out["speedup_ceiling_direct"] = out["peer_total_ms"] / out["direct_total_ms"]
        out["queries_slower_than_peer"] = sum(r.policykg_ms > (r.peer_ms or 0) for r in rows)
        out["peer_answers_differ"] = [r.query for r in rows
                                      if r.extra.get("rows_peer") != r.rows_direct]
    out["mix"] = [{k: v for k, v in asdict(r).items() if k != "extra"} for r in rows]
    say(f"[{tag}] policykg validate --store")
    v = pipeline.validate_store(store, jobs=os.cpu_count() or 1)
    out["full_validate_s"] = v.get("seconds")
    out["full_validate_violations"] = v.get("violations")
    if v.get("failing"):
        out["full_validate_failing"] = v["failing"]
    if n <= prof["pyshacl_max"]:
        say(f"[{tag}] plain pySHACL (timeout {prof['pyshacl_timeout']} s)")
        b = pipeline.plain_pyshacl(nq, timeout=prof["pyshacl_timeout"])
        out["pyshacl_validate_s"] = b.get("seconds")
        out["pyshacl_parse_s"] = b.get("parse_seconds")
        out["pyshacl_results"] = b.get("results")
        if b.get("seconds") is None:
            out["pyshacl_note"] = f"no result within {prof['pyshacl_timeout']} s"
        if out["full_validate_s"] and out["pyshacl_validate_s"]:
            out["full_validate_ratio_vs_pyshacl"] = (out["full_validate_s"]
                                                     / out["pyshacl_validate_s"])
    shutil.rmtree(store, ignore_errors=True)
    nq.unlink()
    return out


def endpoint_figures(pairs: list[tuple[float, float]]) -> tuple[float, float | None]:
    """(direct ms, /sparql ms) of each query of the mix → the median added milliseconds and
    the largest ratio among queries taking at least 10 ms directly (None without one)."""
    heavy = [h / d for d, h in pairs if d >= 10]
    return statistics.median(h - d for d, h in pairs), max(heavy) if heavy else None


def print_size(s: dict) -> None:
    print()
    print("\n".join(results.mix_table(s)))
    print(f"load: policykg {s['load_s']:.1f} s ({s['load_triples_per_s']:,.0f} triples/s), "
          f"pyoxigraph {s['raw_load_s']:.1f} s → ratio {s['load_ratio_vs_raw']:.2f}; "
          f"look-up p50 {s['lookup_p50_ms']:.2f} / p99 {s['lookup_p99_ms']:.2f} ms, "
          f"{s['lookup_rps']:.0f} req/s (one document: p99 {s['lookup_doc_p99_ms']:.2f} ms, "
          f"{s['lookup_doc_rps']:.0f} req/s); search p50 {s['search_p50_ms']:.2f} / p99 "
          f"{s['search_p99_ms']:.2f} ms, {s['search_rps']:.0f} req/s (32 connections); "
          f"with {NO_CACHE}: look-up p99 {s['lookup_nocache_p99_ms']:.2f} ms, "
          f"{s['lookup_nocache_rps']:.0f} req/s, search p99 {s['search_nocache_p99_ms']:.2f} ms, "
          f"{s['search_nocache_rps']:.0f} req/s; search mix of {len(SEARCH_MIX)} (no cache): "
          f"alone p50 {s['search_mix_alone_p50_ms']:.2f} / max {s['search_mix_alone_max_ms']:.2f}"
          f" ms, 32 connections p99 {s['search_mix_nocache_p99_ms']:.2f} ms, "
          f"{s['search_mix_nocache_rps']:.0f} req/s; the one-row query by GET /sparql at 32 "
          f"connections: p99 {s['sparql_cheap_p99_ms']:.2f} ms, {s['sparql_cheap_rps']:.0f} "
          "req/s; "
          f"serving peak RSS {s['serve_peak_rss_mb']:.0f} MB", flush=True)
    print(f"/sparql by pass: added ms p50 "
          f"{', '.join(f'{v:.2f}' for v in s['endpoint_added_ms_p50_passes'])}; heavy ratio "
          f"{', '.join(results.fmt(v) for v in s['endpoint_ratio_heavy_max_passes'])}; "
          f"a one-row query adds {s['endpoint_floor_added_ms']:.2f} ms; the mix directly on "
          f"pyoxigraph {s['direct_total_ms']:.0f} ms, through /sparql "
          f"{s['policykg_total_ms']:.0f} ms"
          + (f", rdflib-endpoint {s['peer_total_ms']:.0f} ms (a server adding nothing: "
             f"{s['speedup_ceiling_direct']:.1f}×)" if s.get("peer_total_ms") else "")
          + f"; the one-row query back to back {results.fmt(s.get('floor_ms_busy'))} ms "
          f"(server CPU {results.fmt(s.get('floor_server_cpu_ms_busy'))} ms), each after a "
          f"20 ms pause {results.fmt(s.get('floor_ms_after_pause'))} ms (server CPU "
          f"{results.fmt(s.get('floor_server_cpu_ms_after_pause'))} ms)", flush=True)
    if s.get("full_validate_s"):
        print(f"validate --store {s['full_validate_s']:.1f} s "
              f"({s['full_validate_violations']} violations); plain pySHACL "
              f"{results.fmt(s.get('pyshacl_validate_s'), 1)} s", flush=True)


def summary(ingest: dict, sizes: list[dict]) -> dict:
    """The headline figures: at 1M triples when measured (where the targets are set), else
    at the largest size; whole-store validation at the largest size it ran at; look-up at
    the largest size besides."""
    head = next((s for s in sizes if 900_000 <= s["size_triples"] < 2_000_000), sizes[-1])
    keys = ["size_triples", "load_triples_per_s", "load_ratio_vs_raw", "endpoint_added_ms_p50",
            "endpoint_ratio_heavy_max", "endpoint_added_ms_p50_passes",
            "endpoint_ratio_heavy_max_passes", "endpoint_floor_added_ms",
            "speedup_vs_rdflib_endpoint_total", "speedup_ceiling_direct",
            "queries_slower_than_peer", "search_p99_ms", "search_rps", "lookup_p99_ms",
            "lookup_rps", "lookup_doc_p99_ms", "lookup_doc_rps", "lookup_nocache_p99_ms",
            "lookup_nocache_rps", "search_nocache_p99_ms", "search_nocache_rps",
            "search_mix_nocache_p99_ms", "search_mix_nocache_rps", "search_mix_alone_p50_ms",
            "search_mix_alone_max_ms", "sparql_cheap_p99_ms", "sparql_cheap_rps",
            "floor_server_cpu_ms_busy", "floor_server_cpu_ms_after_pause", "floor_ms_busy",
            "floor_ms_after_pause"]
    out = {"ingest_docs_per_s": ingest["docs_per_s"],
           "ingest_cpu_ms_per_doc": {k: round(v, 1) for k, v in ingest["cpu_ms_per_doc"].items()
                                     if k != "documents"},
           "ingest_ceiling_docs_per_s": ingest["ceiling_docs_per_s"],
           "ingest_cores_busy": ingest["cpu_s"] / ingest["seconds"],
           "validate_ms_per_doc": ingest["validate_ms_per_doc"],
           "validate_ms_per_doc_pyshacl": ingest["validate_ms_per_doc_pyshacl"],
           "peak_rss_mb": {"ingest": round(ingest["peak_rss_mb"]),
                           "serving": round(head["serve_peak_rss_mb"])}}
    out.update({k: head.get(k) for k in keys})
    validated = [s for s in sizes if s.get("full_validate_ratio_vs_pyshacl")] \
        or [s for s in sizes if s.get("full_validate_s")]
    if validated:  # at the largest size that both ours and plain pySHACL validated
        v = validated[-1]
        out.update({"full_validate_s": v["full_validate_s"],
                    "full_validate_ratio_vs_pyshacl": v.get("full_validate_ratio_vs_pyshacl"),
                    "full_validate_size_triples": v["size_triples"],
                    "full_validate_violations": v.get("full_validate_violations"),
                    "pyshacl_results": v.get("pyshacl_results")})
    largest = sizes[-1]
    if largest is not head:
        out["largest"] = {k: round(largest[k], 3) if isinstance(largest.get(k), float)
                          else largest.get(k) for k in
                          ("size_triples", "lookup_p99_ms", "lookup_doc_p99_ms",
                           "lookup_first_ms", "search_p99_ms", "load_ratio_vs_raw",
                           "full_validate_s",
                           "endpoint_added_ms_p50", "serve_peak_rss_mb")}
    return {k: _rounded(v) for k, v in out.items()}


def _rounded(v: object) -> object:
    if isinstance(v, float):
        return round(v, 3)
    if isinstance(v, list):
        return [_rounded(x) for x in v]
    return v


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="one size (50k), short runs")
    mode.add_argument("--full", action="store_true", help="100k, 1M, 10M; writes RESULTS.md")
    ap.add_argument("--sizes", type=lambda s: [int(float(x)) for x in s.split(",")],
                    help="override the sizes, e.g. 100000,1e6")
    ap.add_argument("--no-peer", action="store_true", help="skip rdflib-endpoint")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", type=Path, help="default: a new temporary folder")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit(WRK_HINT)
    prof = dict(PROFILES["full" if args.full else "quick"])
    if args.sizes:
        prof["sizes"] = args.sizes
    work = args.workdir or Path(tempfile.mkdtemp(prefix="policykg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        say(f"work folder {work}; generating {prof['docs']} documents")
        docs = work / "docs"
        write_docs(docs, prof["docs"], args.seed)
        ingest = pipeline.ingest_docs(docs, work / "store-docs")
        ingest["cpu_ms_per_doc"] = pipeline.ingest_cpu_ms_per_doc(docs)
        ingest["ceiling_docs_per_s"] = ((os.cpu_count() or 1) * 1000
                                        / ingest["cpu_ms_per_doc"]["total"])
        ingest["validate_ms_per_doc"] = pipeline.validate_ms_per_doc(docs)
        ingest["validate_ms_per_doc_pyshacl"] = pipeline.validate_ms_per_doc(docs,
                                                                             engine="pyshacl")
        shutil.rmtree(work / "store-docs", ignore_errors=True)
        print(f"ingest: {ingest['docs']} documents of ~10 KB in {ingest['seconds']:.1f} s = "
              f"{ingest['docs_per_s']:.2f} documents/s (validation on), peak RSS "
              f"{ingest['peak_rss_mb']:.0f} MB; validation {ingest['validate_ms_per_doc']:.0f} "
              f"ms per document (pySHACL alone: {ingest['validate_ms_per_doc_pyshacl']:.0f} ms)"
              f"; {results.ingest_cost(ingest)}", flush=True)
        say(f"building the graph generator's block ({prof['seed']} generated documents "
            "and the corpus)")
        block = seed_block(prof["seed"], args.seed)
        machine = {k: _rounded(v) for k, v in handoff.machine_figures().items()}
        sizes = []
        for n in prof["sizes"]:
            sizes.append(measure_size(n, block, work, prof, peer=not args.no_peer))
            print_size(sizes[-1])
            result = summary(ingest, sizes)
            result.update(machine)
            result["elapsed_s"] = round(time.perf_counter() - started, 1)
            if args.full:  # after each size: a run stopped later still leaves its results
                write_outputs(args, prof, result, ingest, sizes)
        print(json.dumps(result, ensure_ascii=False))
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


def write_outputs(args: argparse.Namespace, prof: dict, result: dict, ingest: dict,
                  sizes: list[dict]) -> None:
    from bench.plot import plot

    results.write_csv(sizes, BENCH / "results.csv")
    (BENCH / "results.json").write_text(json.dumps(
        {"summary": result, "ingest": ingest, "sizes": sizes}, indent=1, ensure_ascii=False)
        + "\n", encoding="utf-8")
    plot(sizes, BENCH / "scaling.png")
    versions = {p: version(p) for p in ("policykg", "pyoxigraph", "rdflib", "pyshacl",
                                        "rdflib-endpoint", "fastapi", "uvicorn")}
    done = [s["size_triples"] for s in sizes]
    notes = [f"Sizes planned: {', '.join(f'{n:,}' for n in prof['sizes'])}; measured: "
             f"{', '.join(f'{n:,}' for n in done)} (the files are rewritten after each size).",
             f"Each query's runs stop after {BUDGET_S:.0f} s (at least one run): the medians of "
             "the heaviest queries at the largest sizes are of fewer runs. A cheap query is "
             f"run up to {MORE_RUNS} times while its runs take under {MORE_RUNS_S:.0f} s.",
             "/sparql and rdflib-endpoint are timed through one keep-alive connection of the "
             "standard library's http.client (httpx spent ~0.4 ms of its own on a request); "
             "each query's direct and HTTP runs are taken in turn. The mix is measured in "
             f"{PASSES} passes, one query after another, and each query's figures are the "
             "medians of its passes; the added ms of a one-row query "
             f"(`{' '.join(FLOOR_QUERY.split())}`) is measured alike, outside the mix.",
             f"rdflib-endpoint is run up to {prof['peer_max']:,} triples and plain pySHACL "
             f"up to {prof['pyshacl_max']:,}: beyond them each would take longer than the "
             "run's hour on this machine (pySHACL's time grows with the graph: ten times the "
             "graph, at least ten times the time). Our whole-store SHACL runs at every size."]
    for s in sizes:
        if s.get("pyshacl_note"):
            notes.append(f"plain pySHACL at {s['size_triples']:,} triples: {s['pyshacl_note']}.")
        if s.get("full_validate_failing"):
            notes.append(f"validate --store at {s['size_triples']:,} triples found "
                         f"{s['full_validate_violations']} violations; the first failing "
                         "documents: " + "; ".join(f"`{f}`" for f in s["full_validate_failing"]))
        if s.get("answers_differ"):
            notes.append(f"at {s['size_triples']:,}: /sparql and direct answers differ in "
                         f"size for {', '.join(s['answers_differ'])}.")
        if s.get("peer_answers_differ"):
            notes.append(f"at {s['size_triples']:,}: rdflib-endpoint's answers differ in size "
                         f"for {', '.join(s['peer_answers_differ'])}.")
    command = "python bench/run.py --full" + (" --no-peer" if args.no_peer else "")
    results.write_results_md(BENCH / "RESULTS.md", command, result, sizes, ingest, versions,
                             "scaling.png", "results.csv", notes)


if __name__ == "__main__":
    main()
