"""The scaling plot: latency of each query of the mix (through policykg's /sparql and
directly on pyoxigraph) and load time, against the size of the graph, log-log."""

from __future__ import annotations

from pathlib import Path


def plot(sizes: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    xs = [s["size_triples"] for s in sizes]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    names = [r["query"] for r in sizes[0]["mix"]]
    for i, name in enumerate(names):
        colour = f"C{i}"
        ours = [next(r for r in s["mix"] if r["query"] == name)["policykg_ms"] for s in sizes]
        raw = [next(r for r in s["mix"] if r["query"] == name)["direct_ms"] for s in sizes]
        ax1.plot(xs, ours, "o-", color=colour, label=name)
        ax1.plot(xs, raw, "x:", color=colour)
        peer = [next(r for r in s["mix"] if r["query"] == name).get("peer_ms") for s in sizes]
        if any(peer):
            px = [x for x, p in zip(xs, peer, strict=True) if p]
            ax1.plot(px, [p for p in peer if p], "s--", color=colour, alpha=0.4)
    ax1.set(xscale="log", yscale="log", xlabel="triples", ylabel="ms per query",
            title="query mix: policykg /sparql (o—), pyoxigraph direct (x··),\n"
                  "rdflib-endpoint (□--)")
    ax1.legend(fontsize=7)
    ax1.grid(True, which="both", alpha=0.3)
    ax2.plot(xs, [s["load_s"] for s in sizes], "o-", label="policykg ingest FILE.nq")
    ax2.plot(xs, [s["raw_load_s"] for s in sizes], "x:", label="pyoxigraph bulk_load")
    val = [(x, s.get("full_validate_s")) for x, s in zip(xs, sizes, strict=True)
           if s.get("full_validate_s")]
    if val:
        ax2.plot(*zip(*val, strict=True), "^-", label="policykg validate --store")
    shacl = [(x, s.get("pyshacl_validate_s")) for x, s in zip(xs, sizes, strict=True)
             if s.get("pyshacl_validate_s")]
    if shacl:
        ax2.plot(*zip(*shacl, strict=True), "v--", label="plain pySHACL (one graph)")
    ax2.set(xscale="log", yscale="log", xlabel="triples", ylabel="seconds",
            title="load and whole-store validation")
    ax2.legend(fontsize=8)
    ax2.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
