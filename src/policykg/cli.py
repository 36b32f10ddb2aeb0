"""The `policykg` command."""

from __future__ import annotations

import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rdflib import Dataset
from rdflib.namespace import RDF
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from policykg.ids import DEFAULT_BASE
from policykg.resources import corpus_dir
from policykg.serialise import FORMATS, serialise

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="policykg: a bilingual knowledge graph of Chinese policy documents.")
err = Console(stderr=True, soft_wrap=True)  # messages are never cut into lines
out = Console()


def _fail(msg: str, code: int = 2) -> None:
    err.print(f"[red]error:[/red] {msg}", highlight=False)
    raise typer.Exit(code)


def _format_for(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            _fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    ext = path.suffix.lstrip(".").lower()
    return {"turtle": "ttl", "json": "jsonld", "nquads": "nq", "ntriples": "nt"}.get(ext, ext) \
        if ext in (*FORMATS, "turtle", "json", "nquads", "ntriples") else "ttl"


@app.command()
def build(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Files or folders of documents (.txt, .html). Default: the bundled corpus.")] = None,
    out_file: Annotated[Path, typer.Option("--out", "-o", help="Where to write the graph.")] =
        Path("policykg.ttl"),
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="ttl | nt | nq | trig | jsonld (default: from --out)")] = None,
    base: Annotated[str, typer.Option(help="Base IRI for identifiers.")] = DEFAULT_BASE,
    no_validate: Annotated[bool, typer.Option("--no-validate", help="Skip SHACL.")] = False,
) -> None:
    """Build a graph from documents, validate it against the shapes, write it."""
    from policykg.build import build as run_build
    from policykg.build import input_files
    from policykg.validate import validate

    fmt = _format_for(out_file, fmt)
    try:
        files = input_files(paths or [corpus_dir()])
    except FileNotFoundError as e:
        _fail(str(e))
    if not files:
        _fail("no documents found (looked for .txt and .html files)")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True, disable=len(files) < 2) as bar:
        task = bar.add_task("building", total=len(files))
        result = run_build(files, base, on_file=lambda d: bar.advance(task))
    for f in result.failures:
        err.print(f"[yellow]skipped[/yellow] {f.error}", highlight=False)
    built = [d for d in result.documents if d.graph is not None]
    if not built:
        _fail("no document could be built")
    ds = result.dataset()
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(serialise(ds, fmt), encoding="utf-8")
    n = sum(len(d.graph) for d in built)
    err.print(f"wrote {out_file} ({fmt}): {len(built)} documents, {n} triples"
              + (f", {len(result.failures)} skipped" if result.failures else ""))
    failed = bool(result.failures)
    if not no_validate:
        # Per document: each named graph is self-contained, and validation time then grows
        # with the corpus instead of with its square.
        warnings = 0
        for d in built:
            report = validate(d.graph)
            warnings += len(report.warnings())
            if not report.conforms:
                err.print(f"[red]{d.path.name}[/red]: {len(report.violations())} SHACL violations")
                err.print(report.text(), highlight=False)
                failed = True
        if warnings:
            err.print(f"{warnings} warnings (English labels not curated: see `policykg validate`)")
    if failed:
        raise typer.Exit(1)


def _load(path: Path) -> Dataset:
    if not path.exists():
        _fail(f"{path}: no such file")
    ds = Dataset()
    try:
        ds.parse(path, format=FORMATS[_format_for(path, None)])
    except Exception as e:  # rdflib raises many types for bad syntax
        _fail(f"{path}: cannot parse as RDF: {e}")
    return ds


@app.command("validate")
def validate_cmd(
    file: Annotated[Path | None, typer.Argument(
        help="A graph file to check (or --store).")] = None,
    store: Annotated[str | None, typer.Option(
        "--store", help="Validate every document graph in this store (a folder, or "
        "sparql+http://…), each on its own.")] = None,
    store_config: StoreConfigOpt = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, help="Worker processes for --store (default: one per core).")]
        = None,
    engine: Annotated[str, typer.Option(
        "--engine", help="SHACL engine: auto (the default: rudof, and pySHACL for the report "
        "of any graph that fails or is unusual), rudof, or pyshacl (the reference).")]
        = "auto",
) -> None:
    """Validate a graph file, or every document of a store, against the SHACL shapes."""
    import os

    from policykg.validate import ENGINES, validate, validate_store

    if engine not in ENGINES:
        _fail(f"unknown --engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if (file is None) == (store is None and store_config is None):
        _fail("give a graph FILE or --store DIR (one of them)")
    if file is None:
        spec = _store_spec(store, None, None, store_config)
        if isinstance(spec, Path) and not (spec / "CURRENT").exists():
            _fail(f"{spec}: no store there")
        db = _store(store, None, None, store_config)
        graphs = [d.graph for d in db.documents()]
        if not graphs:
            _fail(f"{db.location}: the store holds no documents")
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("validating", total=len(graphs))
            result = validate_store(spec, graphs, jobs or os.cpu_count() or 1,
                                    on_document=lambda d: bar.advance(task), engine=engine)
        for d in result.documents:
            if d.violations:
                err.print(f"[red]{d.graph}[/red]: {d.violations} violations, e.g. {d.first}",
                          highlight=False)
        out.print(result.totals(), highlight=False)
        raise typer.Exit(0 if result.conforms else 1)
    report = validate(_load(file), engine)
    out.print(report.text() if report.results else "conforms: no violations, no warnings")
    raise typer.Exit(0 if report.conforms else 1)


@app.command()
def stats(file: Annotated[Path, typer.Argument(help="A graph file.")]) -> None:
    """Count entities per class in a graph file."""
    ds = _load(file)
    counts = Counter(o for s, p, o, _ in ds.quads((None, RDF.type, None, None)))
    table = Table("class", "entities")
    for cls, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        table.add_row(ds.namespace_manager.normalizeUri(cls), str(n))
    out.print(table)
    out.print(f"{len(set(ds.quads()))} quads")


@app.command()
def facts(file: Annotated[Path, typer.Argument(help="One document (.txt or .html).")]) -> None:
    """Show what is read from one document, with the text each fact came from."""
    from policykg.build import build_one
    from policykg.facts import fact_rows

    doc = build_one(file)
    if doc.error:
        _fail(doc.error, 1)
    table = Table("fact", "value", "evidence", show_lines=False)
    for row in fact_rows(doc.extraction):
        table.add_row(*row)
    out.print(table)


@app.command("search")
def search_cmd(
    file: Annotated[Path, typer.Argument(help="A graph file.")],
    query: Annotated[str, typer.Argument(help="Chinese, English or pinyin.")],
    types: Annotated[list[str] | None, typer.Option(
        "--type", "-t", help="Only entities of this class (e.g. Organization).")] = None,
    limit: Annotated[int, typer.Option(help="How many results.")] = 10,
) -> None:
    """Find entities by label in Chinese (simplified or traditional), English or pinyin."""
    from policykg.search import SearchIndex

    hits = SearchIndex.from_graph(_load(file)).search(query, types=types, limit=limit)
    table = Table("match", "lang", "label", "entity")
    for h in hits:
        table.add_row(h.match, h.lang, h.label, h.iri)
    out.print(table)
    if not hits:
        raise typer.Exit(1)


@app.command("labels")
def labels_report(
    file: Annotated[Path, typer.Argument(help="A graph file.")],
    limit: Annotated[int, typer.Option(help="How many rows to show.")] = 50,
) -> None:
    """List the English labels that are not curated, most frequent Chinese first: where a
    termbase entry would help the most."""
    from policykg.report import uncurated_labels

    rows = uncurated_labels(_load(file))
    table = Table("mentions", "method", "zh", "en")
    for row in rows[:limit]:
        table.add_row(str(row.mentions), row.method, row.zh, row.en)
    out.print(table)
    out.print(f"{len(rows)} entities with English that is not curated or official")


StoreOpt = Annotated[str | None, typer.Option(
    "--store", help="A store folder (default: $POLICYKG_STORE or ~/.local/share/policykg/store), "
    "or a SPARQL server: sparql+http://host:port/path")]
UpdateOpt = Annotated[str | None, typer.Option(
    "--update-endpoint", help="Remote store: SPARQL Update URL, when not the query URL "
    "(Virtuoso: http://host:8890/sparql-auth)")]
GspOpt = Annotated[str | None, typer.Option(
    "--gsp-endpoint", help="Remote store: Graph Store Protocol URL for uploads, if the server "
    "has one (Virtuoso: http://host:8890/sparql-graph-crud-auth)")]
StoreConfigOpt = Annotated[Path | None, typer.Option(
    "--store-config", help="Remote store: a TOML file with url, update_endpoint, gsp_endpoint, "
    "user, password (or env POLICYKG_STORE_CONFIG; credentials also from "
    "POLICYKG_STORE_USER / POLICYKG_STORE_PASSWORD)")]


def _store_spec(store: str | None, update: str | None = None, gsp: str | None = None,
                config: Path | None = None):
    """A folder, or the configuration of a remote store."""
    import os

    from policykg.remote_config import StoreConfigError, is_remote, remote_config

    store = store or os.environ.get("POLICYKG_STORE") or None
    conf_file = config or (Path(os.environ["POLICYKG_STORE_CONFIG"])
                           if os.environ.get("POLICYKG_STORE_CONFIG") else None)
    if is_remote(store) or (store is None and conf_file is not None):
        try:
            return remote_config(store, update, gsp, conf_file)
        except StoreConfigError as e:
            _fail(str(e))
    if update or gsp:
        _fail("--update-endpoint and --gsp-endpoint are for a remote store "
              "(--store sparql+http://…)")
    return Path(store) if store else None


def _store(store: str | None, update: str | None = None, gsp: str | None = None,
           config: Path | None = None):
    from policykg.remote_store import RemoteStore
    from policykg.store import StoreError, open_store

    try:
        db = open_store(_store_spec(store, update, gsp, config))
        if isinstance(db, RemoteStore):
            db.check()
        return db
    except StoreError as e:
        _fail(str(e))


_DATASETS = (".nq", ".trig")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(
        help="Files or folders of documents; .nq/.trig files of document graphs are "
             "bulk-loaded.")],
    store: StoreOpt = None,
    update_endpoint: UpdateOpt = None,
    gsp_endpoint: GspOpt = None,
    store_config: StoreConfigOpt = None,
    base: Annotated[str, typer.Option(help="Base IRI for identifiers.")] = DEFAULT_BASE,
) -> None:
    """Add documents to the persistent store: one named graph each, all or nothing per
    document; an unchanged document is skipped, a changed one replaced. N-Quads/TriG files
    (e.g. from `policykg export`) are bulk-loaded, graph by graph."""
    from policykg.store import StoreError

    db = _store(store, update_endpoint, gsp_endpoint, store_config)
    try:
        datasets = [p for p in paths if p.is_file() and p.suffix.lower() in _DATASETS]
        others = [p for p in paths if p not in datasets]
        files: list[Path] = []
        if others:  # (the extraction pipeline is imported only for documents: ~0.45 s)
            from policykg.build import input_files

            files = input_files(others)
        db.ensure_not_served()
    except (FileNotFoundError, StoreError) as e:
        _fail(str(e))
    for path in datasets:
        _bulk_load(db, path)
    if files:
        from policykg.ingest import ingest as run_ingest

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=err, transient=True, disable=len(files) < 2) as bar:
            task = bar.add_task("ingesting", total=len(files))
            try:
                report = run_ingest(files, db, base, on_file=lambda p: bar.advance(task))
            except StoreError as e:
                _fail(str(e))
        for name, why in report.refused:
            err.print(f"[yellow]refused[/yellow] {name}: {why}", highlight=False)
        err.print(f"{db.location}: {report.count('added')} added, "
                  f"{report.count('replaced')} replaced, {report.count('unchanged')} unchanged, "
                  f"{len(report.refused)} refused; "
                  f"{len(db)} triples in {len(db.documents())} documents")
        if report.refused:
            raise typer.Exit(1)


def _bulk_load(db, path: Path) -> None:
    from rich.progress import DownloadColumn, TransferSpeedColumn

    from policykg.store import StoreError

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(f"loading {path.name}", total=path.stat().st_size)
        try:
            r = db.bulk_load(path, on_progress=lambda n: bar.advance(task, n))
        except (StoreError, SyntaxError, OSError) as e:
            _fail(f"{path}: {e}")
    skipped = (f"; {r.outside_graphs} triples outside any named graph skipped"
               if r.outside_graphs else "")
    err.print(f"{db.location}: loaded {path.name}: {r.triples} triples in {r.graphs} graphs "
              f"in {r.seconds:.1f} s ({r.triples_per_s:,.0f} triples/s){skipped}")


@app.command()
def serve(
    store: StoreOpt = None,
    update_endpoint: UpdateOpt = None,
    gsp_endpoint: GspOpt = None,
    store_config: StoreConfigOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    query_timeout: Annotated[float | None, typer.Option(
        help="Seconds a query may run (env POLICYKG_QUERY_TIMEOUT; default 30).")] = None,
    max_rows: Annotated[int | None, typer.Option(
        help="Most rows a query returns (env POLICYKG_MAX_ROWS; default 10000).")] = None,
    token: Annotated[str | None, typer.Option(
        help="Enables SPARQL Update for 'Authorization: Bearer TOKEN' (env POLICYKG_TOKEN).")]
        = None,
    base: Annotated[str, typer.Option(help="Base IRI of the entities served.")] = DEFAULT_BASE,
    max_query_bytes: Annotated[str | None, typer.Option(
        help="Largest SPARQL query or other request body, e.g. 1MB; larger ones get 413 "
             "(env POLICYKG_MAX_QUERY_BYTES; default 1MB).")] = None,
    max_document_bytes: Annotated[str | None, typer.Option(
        help="Largest document POSTed to /ingest, e.g. 20MB; larger ones get 413 "
             "(env POLICYKG_MAX_DOCUMENT_BYTES; default 20MB).")] = None,
) -> None:
    """Serve the store over HTTP: SPARQL 1.1, entity look-up, search, export. With an empty
    store, the bundled corpus is ingested first."""
    from policykg_api.malloc_arenas import limit_arenas

    limit_arenas()  # before the store's threads and the server's start
    import uvicorn

    from policykg.ingest import ingest as run_ingest
    from policykg.store import StoreError
    from policykg_api.app import create_app
    from policykg_api.handover import http_protocol
    from policykg_api.settings import Settings, parse_size

    try:  # sizes given by flag or environment, checked before anything starts
        sizes = {name: parse_size(flag) for name, flag in (
            ("max_query_bytes", max_query_bytes), ("max_document_bytes", max_document_bytes))
            if flag is not None}
        Settings()
    except ValueError as e:
        _fail(str(e))
    spec = _store_spec(store, update_endpoint, gsp_endpoint, store_config)
    db = _store(store, update_endpoint, gsp_endpoint, store_config)
    try:
        claim = db.claim_for_serving()  # held open while serving  # noqa: F841
    except StoreError as e:
        _fail(str(e))
    if db.is_empty():
        err.print(f"{db.location}: empty store, ingesting the bundled corpus first")
        report = run_ingest([corpus_dir()], db, base)
        err.print(f"{report.count('added')} documents, {len(db)} triples")
    settings = Settings(store=spec if spec is not None else db.path, base=base)
    for name, size in sizes.items():
        setattr(settings, name, size)
    if query_timeout is not None:
        settings.query_timeout = query_timeout
    if max_rows is not None:
        settings.max_rows = max_rows
    if token is not None:
        settings.token = token
    err.print(f"serving {db.location} on http://{host}:{port}/ (SPARQL at /sparql, docs at /docs)")
    # One JSON line per request on stderr (policykg.access) instead of uvicorn's text log.
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Where uvicorn runs on h11 (httptools not installed), h11 refuses a longer request line
    # with a bare 400: let the app see URLs up to the query limit and answer 413 itself.
    # httptools refuses request lines of more than about 80 KB with a 400 on its own.
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                access_log=False, http=http_protocol(),
                h11_max_incomplete_event_size=3 * settings.max_query_bytes + 65536)


@app.command()
def query(
    sparql: Annotated[str, typer.Argument(help="A SPARQL query, or @FILE to read one.")],
    store: StoreOpt = None,
    update_endpoint: UpdateOpt = None,
    gsp_endpoint: GspOpt = None,
    store_config: StoreConfigOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="json | csv | tsv | xml for "
                                     "SELECT/ASK; ttl | nt | jsonld for CONSTRUCT")] = "tsv",
) -> None:
    """Run a SPARQL query against the store (union default graph) and print the result."""
    import pyoxigraph as ox

    from policykg.store import StoreError
    from policykg.union_graph import union_options

    text = Path(sparql[1:]).read_text(encoding="utf-8") if sparql.startswith("@") else sparql
    db = _store(store, update_endpoint, gsp_endpoint, store_config)
    try:
        res = db.query(text, **union_options(db.reader()))
    except SyntaxError as e:
        _fail(f"SPARQL syntax error: {e}")
    except StoreError as e:
        _fail(str(e))
    if isinstance(res, ox.QuerySolutions | ox.QueryBoolean):
        fmts = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV,
                "tsv": ox.QueryResultsFormat.TSV, "xml": ox.QueryResultsFormat.XML}
        if fmt not in fmts:
            _fail(f"format {fmt!r} is not for SELECT/ASK; use one of {', '.join(fmts)}")
        sys.stdout.write(res.serialize(format=fmts[fmt]).decode("utf-8"))
    else:
        from policykg.store import FORMATS as GRAPH_FORMATS

        if fmt not in GRAPH_FORMATS:
            _fail(f"format {fmt!r} is not for graphs; use one of {', '.join(GRAPH_FORMATS)}")
        out_bytes = ox.serialize(list(res), format=GRAPH_FORMATS[fmt]) or b""
        sys.stdout.write(out_bytes.decode("utf-8"))


@app.command()
def export(
    store: StoreOpt = None,
    update_endpoint: UpdateOpt = None,
    gsp_endpoint: GspOpt = None,
    store_config: StoreConfigOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="ttl | nt | nq | trig | jsonld")]
        = "nq",
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Default: stdout.")]
        = None,
    document: Annotated[str | None, typer.Option(help="Only this document's graph IRI.")]
        = None,
) -> None:
    """Write the store (or one document's graph) as RDF."""
    from policykg.store import FORMATS as GRAPH_FORMATS
    from policykg.store import StoreError

    if fmt not in GRAPH_FORMATS:
        _fail(f"unknown format {fmt!r}; choose one of {', '.join(GRAPH_FORMATS)}")
    try:
        data = _store(store, update_endpoint, gsp_endpoint, store_config).export(fmt, document)
    except (StoreError, ValueError) as e:
        _fail(str(e))
    if out_file:
        out_file.write_bytes(data)
        err.print(f"wrote {out_file} ({len(data)} bytes)")
    else:
        sys.stdout.buffer.write(data)


@app.command("dump")
def dump_cmd(
    out_file: Annotated[Path, typer.Option("--out", "-o", help="The dump: an N-Quads file "
                                           "(its manifest is written beside it).")],
    store: StoreOpt = None,
    update_endpoint: UpdateOpt = None,
    gsp_endpoint: GspOpt = None,
    store_config: StoreConfigOpt = None,
) -> None:
    """Back up the store: every named graph as N-Quads, and a manifest (FILE.manifest.json)
    with the dump's sha256 and each graph's triple count and content hash."""
    from policykg.backup import BackupError, dump
    from policykg.store import StoreError

    db = _store(store, update_endpoint, gsp_endpoint, store_config)
    try:
        m = dump(db, out_file)
    except (BackupError, StoreError, OSError) as e:
        _fail(str(e))
    left_out = (f"; {m.default_graph_triples_left_out} triples in the default graph left out "
                "(not in any document)" if m.default_graph_triples_left_out else "")
    err.print(f"wrote {out_file}: {m.documents} documents, {len(m.graphs)} graphs, "
              f"{m.triples} triples, sha256 {m.sha256[:16]}…{left_out}")


@app.command("restore")
def restore_cmd(
    dump_file: Annotated[Path, typer.Argument(help="A dump written by `policykg dump`.")],
    store: StoreOpt = None,
    update_endpoint: UpdateOpt = None,
    gsp_endpoint: GspOpt = None,
    store_config: StoreConfigOpt = None,
) -> None:
    """Restore a dump into the store, after checking it against its manifest (size, sha256,
    each graph's triple count and content hash): a dump that differs is refused and nothing
    is written. Each graph replaces the one of the same name; other graphs are kept."""
    from policykg.backup import BackupError, restore, verify
    from policykg.store import StoreError

    try:
        manifest = verify(dump_file)  # before opening (or creating) the store
    except BackupError as e:
        _fail(f"refused: {e}; nothing was written")
    db = _store(store, update_endpoint, gsp_endpoint, store_config)
    try:
        db.ensure_not_served()
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=err, transient=True, disable=len(manifest.graphs) < 2) as bar:
            task = bar.add_task("restoring", total=len(manifest.graphs))
            report = restore(dump_file, db, manifest,
                             on_graph=lambda g, o: bar.advance(task))
    except (BackupError, StoreError, OSError) as e:
        _fail(str(e))
    done = ", ".join(f"{n} {o}" for o, n in sorted(report.outcomes.items())) or "nothing"
    err.print(f"{db.location}: restored {dump_file.name}: {done}; {report.triples} triples "
              f"in {len(manifest.graphs)} graphs; the store holds {len(db)} triples")


@app.command()
def evaluate(
    golds: Annotated[list[Path], typer.Argument(
        help="Gold files (JSON, as in tests/gold/), each naming its source document.")],
    corpus: Annotated[Path | None, typer.Option(
        "--corpus", help="Folder of the source documents (default: the bundled corpus, "
        "then next to the gold file).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Compare the graph of each gold file's source document with the gold: precision and
    recall per fact type, then what was missed and what is extra. A report: exits 0."""
    from policykg.evaluate import EvaluationError, evaluate_gold, render, to_json

    try:
        results = [evaluate_gold(g, corpus) for g in golds]
    except EvaluationError as e:
        _fail(str(e))
    if as_json:
        sys.stdout.write(to_json(results) + "\n")
    else:
        render(results, out)


def main() -> None:  # pragma: no cover
    sys.exit(app())
