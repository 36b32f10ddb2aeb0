"""The `policykg` command."""

from __future__ import annotations

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

from policykg.build import build as run_build
from policykg.build import input_files
from policykg.ids import DEFAULT_BASE
from policykg.resources import corpus_dir
from policykg.serialise import FORMATS, serialise

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="policykg: a bilingual knowledge graph of Chinese policy documents.")
err = Console(stderr=True)
out = Console()

_PARSE = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "jsonld": "json-ld"}


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
        ds.parse(path, format=_PARSE[_format_for(path, None)])
    except Exception as e:  # rdflib raises many types for bad syntax
        _fail(f"{path}: cannot parse as RDF: {e}")
    return ds


@app.command("validate")
def validate_cmd(file: Annotated[Path, typer.Argument(help="A graph file to check.")]) -> None:
    """Validate a graph file against the SHACL shapes."""
    from policykg.validate import validate

    report = validate(_load(file))
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


def main() -> None:  # pragma: no cover
    sys.exit(app())
