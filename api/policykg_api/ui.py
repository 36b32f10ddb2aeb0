"""The service description (SPARQL 1.1 Service Description, Turtle) and a plain query form
for browsers: no external assets, example queries in Chinese and English."""

from __future__ import annotations

from html import escape

EXAMPLES = [
    ("哪些县探索哪些改革事项 / Which counties explore which reform items",
     """PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?county ?zh ?item WHERE {
  ?c pkg:explores ?i ; skos:prefLabel ?county . ?i skos:prefLabel ?item, ?zh .
  FILTER(lang(?county) = "en" && lang(?item) = "en" && lang(?zh) = "zh")
}"""),
    ("文件引用关系 / Which documents cite which",
     """PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?citing ?cited WHERE {
  ?a pkg:cites ?b . ?a skos:prefLabel ?citing . ?b skos:prefLabel ?cited .
  FILTER(lang(?citing) = "zh" && lang(?cited) = "zh")
} LIMIT 50"""),
    ("投资金额 / Investment announced at events",
     """PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?event ?date ?amount WHERE {
  ?e a pkg:Event ; skos:prefLabel ?event ; pkg:amount ?amount .
  OPTIONAL { ?e pkg:date ?date }
}"""),
]


def service_description(settings: object, endpoint: str) -> bytes:
    return f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{endpoint.split('?')[0]}> a sd:Service ;
    sd:endpoint <{endpoint.split('?')[0]}> ;
    sd:supportedLanguage sd:SPARQL11Query, sd:SPARQL11Update ;
    sd:feature sd:UnionDefaultGraph, sd:BasicFederatedQuery ;
    sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>,
        <http://www.w3.org/ns/formats/SPARQL_Results_XML>,
        <http://www.w3.org/ns/formats/SPARQL_Results_CSV>,
        <http://www.w3.org/ns/formats/SPARQL_Results_TSV>,
        <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/N-Triples>,
        <http://www.w3.org/ns/formats/N-Quads>, <http://www.w3.org/ns/formats/TriG>,
        <http://www.w3.org/ns/formats/JSON-LD>, <http://www.w3.org/ns/formats/RDF_XML> ;
    dct:title "policykg SPARQL endpoint"@en, "policykg SPARQL 查询端点"@zh .
""".encode()


def query_page(settings: object) -> str:
    options = "\n".join(
        f'<option value="{escape(q)}">{escape(title)}</option>' for title, q in EXAMPLES)
    return f"""<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<title>policykg SPARQL</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; }}
textarea {{ width: 100%; height: 16rem; font-family: monospace; }}
</style></head>
<body>
<h1>policykg SPARQL <small>查询</small></h1>
<form method="get" action="sparql">
<p><label>示例 / Examples <select onchange="this.form.query.value=this.value">
<option value="">—</option>
{options}
</select></label></p>
<textarea name="query">{escape(EXAMPLES[0][1])}</textarea>
<p><label>格式 / Format <select name="format">
<option value="json">JSON</option><option value="csv">CSV</option>
<option value="tsv">TSV</option><option value="xml">XML</option>
<option value="ttl">Turtle (CONSTRUCT)</option></select></label>
<button type="submit">查询 / Run</button></p>
</form>
</body></html>"""
