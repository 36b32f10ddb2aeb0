"""An entity's HTML page, rendered on the server from its JSON view: Chinese and English
labels side by side, type and label method, properties with linked neighbours, incoming
links, and the evidence sentences with the quoted span marked. No scripts, no external
assets (the Content-Security-Policy in PAGE_HEADERS says so)."""

from __future__ import annotations

from collections import defaultdict
from html import escape
from urllib.parse import quote

from fastapi import Request

from policykg_api.describe import INCOMING_MAX
from policykg_api.entity_iris import page_path
from policykg_api.vocabulary import curie, term_labels

PAGE_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                "Vary": "Accept"}
_CSS = """
body{font:15px/1.55 system-ui,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:0 auto;max-width:64rem;padding:1rem 1.5rem;color:#1d1d1f}
h1{font-size:1.6rem;margin:.2rem 0}h1 .en{color:#555;font-weight:500;margin-left:.6rem}
h2{font-size:1.1rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:1.8rem}
code{font-size:.85em;color:#555;word-break:break-all}
table{border-collapse:collapse;width:100%}td,th{text-align:left;vertical-align:top;
padding:.3rem .5rem;border-bottom:1px solid #eee}th{font-weight:600;width:14rem}
.labels td,.labels th{width:50%}.muted{color:#777;font-size:.9em}
mark{background:#ffe58f;padding:0 .1em}blockquote{margin:.3rem 0;padding:.3rem .8rem;
border-left:3px solid #e0c050;background:#fafafa}li{margin-bottom:.8rem}
a{color:#0b57d0;text-decoration:none}a:hover{text-decoration:underline}
nav a{margin-right:.8rem}
"""


def _page_shell(title: str, body: str) -> str:
    return (f'<!doctype html>\n<html lang="zh"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
            f'<body><nav class="muted"><a href="/docs">policykg API</a>'
            f'<a href="/sparql">SPARQL</a></nav>\n{body}\n</body></html>\n')


def render_not_found(iri: str) -> str:
    return _page_shell("404", f"<h1>404</h1><p>No entity <code>{escape(iri)}</code> in this "
                              "graph.</p>")


def _both(zh: str | None, en: str | None) -> str:
    parts = []
    if zh:
        parts.append(f'<span lang="zh">{escape(zh)}</span>')
    if en:
        parts.append(f'<span lang="en">{escape(en)}</span>')
    return " / ".join(parts)


def _term_html(iri: str) -> str:
    zh, en = term_labels().get(iri, ("", ""))
    return _both(zh, en) or f"<code>{escape(curie(iri))}</code>"


def _link(request: Request, iri: str, zh: str | None = None, en: str | None = None) -> str:
    """A neighbour: linked to its page when it is ours, else its labels or its IRI as text."""
    href = page_path(request, iri)
    if not (zh or en):
        zh, en = term_labels().get(iri, (None, None))
    text = _both(zh, en) or f"<code>{escape(curie(iri))}</code>"
    if href:
        return f'<a href="{escape(href)}">{text}</a>'
    return f'{text} <code>{escape(curie(iri))}</code>' if (zh or en) else text


def _locate(sentence: str, quote_: str, prefix: str, suffix: str) -> int:
    """Where the quote sits in its sentence: the occurrence whose context agrees most with
    the stored prefix and suffix; -1 when it is not in the sentence."""
    best, best_score = -1, -1
    i = sentence.find(quote_)
    while i >= 0 and quote_:
        before, after = sentence[:i], sentence[i + len(quote_):]
        score = 0
        while score < min(len(before), len(prefix)) and before[-1 - score] == prefix[-1 - score]:
            score += 1
        n = 0
        while n < min(len(after), len(suffix)) and after[n] == suffix[n]:
            n += 1
        if score + n > best_score:
            best, best_score = i, score + n
        i = sentence.find(quote_, i + 1)
    return best


def _evidence_html(request: Request, ev: dict) -> str:
    sentence, q = ev["sentence"] or "", ev["quote"] or ""
    at = _locate(sentence, q, ev["prefix"] or "", ev["suffix"] or "")
    if at >= 0:
        text = (escape(sentence[:at]) + f"<mark>{escape(q)}</mark>" +
                escape(sentence[at + len(q):]))
    else:
        text = escape(sentence) + (f" … <mark>{escape(q)}</mark>" if q else "")
    doc = ev["document"]
    source = ""
    if doc:
        title = escape(ev["document_title"] or curie(doc))
        href = page_path(request, doc)
        source = f'<a href="{escape(href)}" lang="zh">{title}</a>' if href else title
    where = (f" · 字符 chars {ev['start']}–{ev['end']}" if ev["start"] is not None else "")
    return (f'<li><blockquote lang="zh">{text}</blockquote>'
            f'<span class="muted">来源 Source: {source}{where}</span></li>')


def _head(path: str, v: dict, zh: str | None, en: str | None) -> list[str]:
    """Title, IRI and the links to the data."""
    data = "/data/" + quote(path, safe="/")
    return [f'<h1><span lang="zh">{escape(zh or "")}</span>'
            f'<span class="en" lang="en">{escape(en or "")}</span></h1>',
            f'<p><code>{escape(v["iri"])}</code></p>',
            '<p class="muted">数据 Data: ' + " · ".join(
                f'<a href="{escape(data)}.{s}">{n}</a>' for s, n in
                (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples"), ("json", "JSON")))
            + "</p>"]


def _labels(v: dict) -> list[str]:
    """Labels and aliases, Chinese and English side by side."""
    out = ['<table class="labels"><tr><th>中文</th><th>English</th></tr>']
    for key, name in (("labels", "首选 preferred"), ("aliases", "别名 aliases")):
        z, e = v[key]["zh"], v[key]["en"]
        if z or e:
            out.append(f'<tr><td lang="zh">{"<br>".join(escape(x) for x in z)}</td>'
                       f'<td lang="en">{"<br>".join(escape(x) for x in e)}</td></tr>'
                       if key == "labels" else
                       f'<tr><td lang="zh"><span class="muted">{name}:</span> '
                       f'{"、".join(escape(x) for x in z)}</td><td lang="en">'
                       f'<span class="muted">{name}:</span> {"; ".join(escape(x) for x in e)}'
                       "</td></tr>")
    return out


def _kind(request: Request, v: dict) -> list[str]:
    """Type and label method (the first line also closes the table of labels)."""
    out = ["</table><table>"]
    types = ", ".join(_link(request, t) for t in v["types"]) or "—"
    out.append(f"<tr><th>类型 Type</th><td>{types}</td></tr>")
    if v["label_method"]:
        out.append("<tr><th>英文标签来源 Label method</th><td>"
                   f"{_link(request, v['label_method'])}"
                   "</td></tr>")
    out.append("</table>")
    return out


def _neighbour(request: Request, row: dict) -> str:
    """The linked entity of an outgoing or incoming row of the JSON view."""
    return _link(request, row["iri"], row["label_zh"], row["label_en"])


def _property_row(p: str, cell: str) -> str:
    return f"<tr><th>{_term_html(p)}</th><td>{cell}</td></tr>"


def _properties(request: Request, v: dict) -> list[str]:
    out = ["<h2>属性 Properties</h2><table>"]
    by_prop: dict[str, list[str]] = defaultdict(list)
    for row in v["outgoing"]:
        if "iri" in row:
            by_prop[row["property"]].append(_neighbour(request, row))
        else:
            lang = f' lang="{escape(row["lang"])}"' if row.get("lang") else ""
            by_prop[row["property"]].append(f"<span{lang}>{escape(row['value'])}</span>")
    for p, values in by_prop.items():
        out.append(_property_row(p, "<br>".join(values)))
    if not by_prop:
        out.append('<tr><td class="muted">—</td></tr>')
    out.append("</table>")
    return out


def _incoming(request: Request, v: dict) -> list[str]:
    if not v["incoming"]:
        return []
    out = ["<h2>被引用 Incoming links</h2><table>"]
    inc: dict[str, list[str]] = defaultdict(list)
    for row in v["incoming"]:
        inc[row["property"]].append(_neighbour(request, row))
    for p, values in inc.items():
        cell = "<br>".join(values)
        if len(values) > 12:
            cell = f"<details><summary>{len(values)}</summary>{cell}</details>"
        out.append(_property_row(p, cell))
    out.append("</table>")
    if v["incoming_truncated"]:
        out.append(f'<p class="muted">first {INCOMING_MAX} links shown</p>')
    return out


def _evidence(request: Request, v: dict) -> list[str]:
    if not v["evidence"]:
        return []
    return ["<h2>证据 Evidence</h2><ol>",
            *(_evidence_html(request, ev) for ev in v["evidence"]), "</ol>"]


def render_page(request: Request, path: str, v: dict) -> str:
    """The page of the entity at `/page/{path}` from its JSON view `v`."""
    zh = (v["labels"]["zh"] or [None])[0]
    en = (v["labels"]["en"] or [None])[0]
    out = [*_head(path, v, zh, en), *_labels(v), *_kind(request, v),
           *_properties(request, v), *_incoming(request, v), *_evidence(request, v)]
    title = " · ".join(x for x in (zh, en) if x) or v["iri"]
    return _page_shell(f"{title} — policykg", "\n".join(out))
