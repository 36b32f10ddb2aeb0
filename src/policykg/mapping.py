"""Records → RDF: one named graph per source document, deterministic IRIs, evidence as
Web Annotation selectors, relations read from text also stated as reified assertions.
Knows nothing of text; see docs/graph-model.md for the pattern."""

from __future__ import annotations

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from policykg.doc_graph import DocumentGraph, Triple
from policykg.gazetteer import load_gazetteer
from policykg.ids import DEFAULT_BASE, document_key, short_hash, slug
from policykg.labels import English, english
from policykg.normalise import fold
from policykg.pinyin import syllables
from policykg.records import CellRecord, DateValue, Evidence, Extraction
from policykg.termbase import load_termbase
from policykg.vocab import DIVISION_CLASS, DUTY, GENRE, LABEL_METHOD, LEVEL, OA, ORG, PKG

_DATE_TYPE = {"year": XSD.gYear, "month": XSD.gYearMonth, "day": XSD.date,
              "datetime": XSD.dateTime}


# Terms written for every piece of evidence and every assertion (~150 times a document),
# taken once: each Namespace attribute builds a new URIRef (~3 µs), a quarter of mapping's time.
_TYPE, _STATEMENT = RDF.type, RDF.Statement
_SUBJECT, _PREDICATE, _OBJECT = RDF.subject, RDF.predicate, RDF.object
_EVIDENCE, _EVIDENCE_CLASS, _ASSERTION, _SENTENCE = (
    PKG.evidence, PKG.Evidence, PKG.Assertion, PKG.sentence)
_SPECIFIC_RESOURCE, _HAS_SOURCE, _HAS_SELECTOR = OA.SpecificResource, OA.hasSource, OA.hasSelector
_QUOTE_SELECTOR, _EXACT, _PREFIX, _SUFFIX = (
    OA.TextQuoteSelector, OA.exact, OA.prefix, OA.suffix)
_POSITION_SELECTOR, _START, _END = OA.TextPositionSelector, OA.start, OA.end
_NON_NEGATIVE = XSD.nonNegativeInteger


def date_literal(d: DateValue) -> Literal:
    return Literal(d.value, datatype=_DATE_TYPE[d.precision])


class Mapper:
    def __init__(self, ex: Extraction, base: str = DEFAULT_BASE) -> None:
        self.ex = ex
        self.base = base.rstrip("/") + "/"
        self.doc_key = ex.document.key
        self.graph_iri = URIRef(f"{self.base}graph/{self.doc_key}")
        self.triples: dict[Triple, None] = {}  # each once, in the order written
        self._list_iris: dict[str, URIRef] = {}  # by list key: asked once per item
        self._ev_nodes: dict[Evidence, URIRef] = {}

    # --- IRIs ---------------------------------------------------------------------------
    def iri(self, *parts: str) -> URIRef:
        return URIRef(self.base + "id/" + "/".join(parts))

    def doc(self, key: str) -> URIRef:
        return self.iri("doc", key)

    def list_iri(self, key: str) -> URIRef:
        if not self._list_iris:
            alike: dict[URIRef, int] = {}
            for lst in self.ex.lists:
                first = lst.items[0].text if lst.items else ""  # lists may share a heading
                iri = self.iri("list", lst.defined_in,
                               short_hash(lst.item_class, fold(lst.heading), fold(first), n=10))
                # Two parts both headed 总体要求 whose sub-lists both start with 目标 still
                # hold two lists: the later ones are told apart by their place in the text.
                n = alike[iri] = alike.get(iri, 0) + 1
                self._list_iris[lst.key] = iri if n == 1 else URIRef(f"{iri}-{n}")
        return self._list_iris[key]

    # --- building blocks ----------------------------------------------------------------
    def add(self, s, p, o) -> None:
        self.triples[(s, p, o)] = None

    def labels(self, s: URIRef, zh: str, en: English | None = None,
               alt_zh: set[str] | None = None, alt_en: set[str] | None = None) -> None:
        en = en or english(zh)
        zh_label, en_label = Literal(zh, lang="zh"), Literal(en.text, lang="en")
        self.add(s, SKOS.prefLabel, zh_label)
        self.add(s, SKOS.prefLabel, en_label)
        self.add(s, RDFS.label, zh_label)
        self.add(s, RDFS.label, en_label)
        self.add(s, PKG.labelMethod, LABEL_METHOD[en.method])
        for a in sorted(alt_zh or ()):
            if a != zh:
                self.add(s, SKOS.altLabel, Literal(a, lang="zh"))
        for a in sorted(alt_en or ()):
            if a != en.text:
                self.add(s, SKOS.altLabel, Literal(a, lang="en"))

    def entity(self, s: URIRef, cls: URIRef, zh: str, evs: list[Evidence],
               alt_zh: set[str] | None = None) -> URIRef:
        """Type, bilingual labels and evidence: what every extracted entity carries."""
        self.add(s, RDF.type, cls)
        self.labels(s, zh, alt_zh=alt_zh)
        self.evidence(s, evs)
        return s

    def evidence(self, s: URIRef, evs: list[Evidence]) -> None:
        for ev in evs:
            self.add(s, PKG.evidence, self.ev_node(ev))

    def ev_node(self, ev: Evidence) -> URIRef:
        node = self._ev_nodes.get(ev)
        if node is not None:  # the same span backs several facts: its triples are there
            return node
        node = self._ev_nodes[ev] = self.iri("evidence", self.doc_key, f"{ev.start}-{ev.end}")
        quote, pos = URIRef(node + "/quote"), URIRef(node + "/position")
        add = self.add
        add(node, _TYPE, _EVIDENCE_CLASS)
        add(node, _TYPE, _SPECIFIC_RESOURCE)
        add(node, _HAS_SOURCE, self.doc(self.doc_key))
        add(node, _HAS_SELECTOR, quote)
        add(node, _HAS_SELECTOR, pos)
        add(node, _SENTENCE, Literal(ev.sentence, lang="zh"))
        add(quote, _TYPE, _QUOTE_SELECTOR)
        add(quote, _EXACT, Literal(ev.quote))
        if ev.prefix:
            add(quote, _PREFIX, Literal(ev.prefix))
        if ev.suffix:
            add(quote, _SUFFIX, Literal(ev.suffix))
        add(pos, _TYPE, _POSITION_SELECTOR)
        add(pos, _START, Literal(ev.start, datatype=_NON_NEGATIVE))
        add(pos, _END, Literal(ev.end, datatype=_NON_NEGATIVE))
        return node

    def fact(self, s: URIRef, p: URIRef, o: URIRef | Literal, ev: Evidence | None) -> None:
        """A relation read from text: the triple, and a reified assertion with evidence."""
        self.add(s, p, o)
        if ev is None:
            return
        a = self.iri("assertion", short_hash(str(s), str(p), str(o), n=16))
        add = self.add
        add(a, _TYPE, _ASSERTION)
        add(a, _TYPE, _STATEMENT)
        add(a, _SUBJECT, s)
        add(a, _PREDICATE, p)
        add(a, _OBJECT, o)
        add(a, _EVIDENCE, self.ev_node(ev))

    # --- records ------------------------------------------------------------------------
    def run(self) -> DocumentGraph:
        ex = self.ex
        self.documents()
        self.organizations()
        self.places()
        self.towns()
        self.regions()
        for z in ex.zones.values():
            s = self.entity(self.iri("zone", z.key), PKG.TrialZone, z.label, z.evidence,
                            z.aliases)
            if z.program:
                self.add(s, PKG.partOf, self.iri("program", z.program))
            if z.established_by:
                self.fact(s, PKG.establishedBy, self.doc(z.established_by), z.evidence[-1])
            if z.stated_case_count is not None:
                self.add(s, PKG.statedCaseCount, Literal(z.stated_case_count))
        for p in ex.programs.values():
            s = self.entity(self.iri("program", p.key), PKG.PilotProgram, p.label, p.evidence,
                            p.aliases)
            if p.level:
                self.add(s, PKG.level, LEVEL[p.level])
            if p.defined_in:
                self.add(s, PKG.definedIn, self.doc(p.defined_in))
            for target, ev in p.participants:
                obj = self.iri("place", target) if target.isdigit() else self.iri("zone", target)
                self.fact(s, PKG.participant, obj, ev)
            if p.stated_participant_count is not None:
                self.add(s, PKG.statedParticipantCount, Literal(p.stated_participant_count))
            if p.participant_formula:
                self.add(s, PKG.participantFormula, Literal(p.participant_formula))
            if p.selects_from:
                self.add(s, PKG.selectsFrom, self.list_iri(p.selects_from))
            if p.select_count is not None:
                self.add(s, PKG.selectCount, Literal(p.select_count))
        self.item_lists()
        self.stated()
        self.tasks()
        self.quantities()
        for e in ex.events:
            s = self.entity(self.iri("event", self.doc_key, e.key), PKG.Event, e.label,
                            e.evidence)
            if e.date:
                self.add(s, PKG.date, date_literal(e.date))
            if e.stated_project_count is not None:
                self.add(s, PKG.statedProjectCount, Literal(e.stated_project_count))
            if e.amount is not None:
                self.add(s, PKG.amount, Literal(e.amount, datatype=XSD.decimal))
            if e.concerns:
                self.add(s, PKG.concerns, self.iri("zone", e.concerns))
        for x in ex.explores:
            item = self.item_iri(x.list_key, x.ordinal, x.item_text)
            self.fact(self.iri("place", x.place), PKG.explores, item, x.evidence)
        self.add(self.graph_iri, RDF.type, PKG.DocumentGraph)
        self.add(self.graph_iri, PKG.describes, self.doc(self.doc_key))
        self.add(self.graph_iri, PKG.contentHash, Literal(ex.content_hash))
        self.add(self.graph_iri, PKG.sourceFile, Literal(ex.source))
        return DocumentGraph(self.graph_iri, ex.content_hash, list(self.triples))

    def documents(self) -> None:
        ex = self.ex
        d0 = ex.document
        for d in (d0, *ex.documents.values()):
            s = self.doc(d.key)
            self.add(s, RDF.type, PKG.PolicyDocument)
            self.labels(s, d.title, alt_zh=d.aliases)
            self.add(s, DCTERMS.title, Literal(d.title, lang="zh"))
            self.evidence(s, d.evidence)
            if d.number:
                self.add(s, PKG.documentNumber, Literal(d.number))
                # A document known by its number is also the one another text cites by its
                # title alone (that citation's IRI is the title's): say so, whichever graph
                # holds the number, so the two meet in the union of the graphs.
                by_title = document_key(d.title, None)
                if fold(d.title) != fold(d.number) and by_title != d.key:
                    self.add(s, OWL.sameAs, self.doc(by_title))
            if d.genre in GENRE:
                self.add(s, PKG.genre, GENRE[d.genre])
            if d.issued:
                self.add(s, PKG.issued, date_literal(d.issued))
            if d.posted:
                self.add(s, PKG.posted, date_literal(d.posted))
            for k in d.issuers:
                ev = _near(ex.orgs[k].evidence, d.evidence[0] if d.evidence else None)
                self.fact(s, PKG.issuedBy, self.iri("org", k), ev)
            if d.stated_issuer_count is not None:
                self.add(s, PKG.statedIssuerCount, Literal(d.stated_issuer_count))
            if d.publisher:
                self.fact(s, PKG.publishedBy, self.iri("org", d.publisher),
                          _first(ex.orgs[d.publisher].evidence))
            for k in d.addressees:
                self.fact(s, PKG.addressee, self.iri("org", k), _first(ex.orgs[k].evidence))
            if d.editor:
                self.add(s, PKG.editor, Literal(d.editor))
            for k in d.attachments:
                carried = ex.documents[k]
                self.fact(s, PKG.attachment, self.doc(k), _first(carried.evidence))
        for c in ex.citations:
            p = PKG.legalBasis if c.legal_basis else PKG.cites
            self.fact(self.doc(c.citing), p, self.doc(c.cited), c.evidence)
            if c.legal_basis:
                self.add(self.doc(c.citing), PKG.cites, self.doc(c.cited))
        if ex.proposal:
            pr = ex.proposal
            s = self.iri("proposal", f"{slug(pr.session or '')}-{pr.number}")
            self.add(s, RDF.type, PKG.Proposal)
            self.add(s, RDF.type, PKG.PolicyDocument)
            self.labels(s, pr.title or f"{pr.session}第{pr.number}号{pr.kind}")
            self.evidence(s, pr.evidence)
            self.add(s, PKG.proposalNumber, Literal(pr.number))
            if pr.category_number:
                self.add(s, PKG.categoryNumber, Literal(pr.category_number))
            if pr.session:
                self.add(s, PKG.session, Literal(pr.session))
            if pr.submitted_to:
                self.add(s, PKG.submittedTo, self.iri("org", pr.submitted_to))
            self.add(s, PKG.genre, GENRE["提案"])
            self.fact(self.doc(d0.key), PKG.answers, s, _first(pr.evidence))

    def organizations(self) -> None:
        for o in self.ex.orgs.values():
            s = self.iri("org", o.key)
            self.add(s, RDF.type, PKG.OrganizationGroup if o.group else PKG.Organization)
            en = English(o.en, o.en_method) if o.en else None
            self.labels(s, o.zh, en, alt_zh=o.aliases_zh, alt_en=o.aliases_en)
            self.evidence(s, o.evidence)
        self.org_changes()

    def org_changes(self) -> None:
        """Bodies named under a former name: the change to their successors as a W3C ORG
        change event, following the chain (环保总局 → 环境保护部 → 生态环境部). Successors the
        text does not name are described from the table, not merged into the former body."""
        tb = load_termbase()
        source = self.iri("dataset", "organizations")
        todo = sorted(k for k in self.ex.orgs if k in tb.changes)
        done: set[str] = set()
        while todo:
            key = todo.pop(0)
            if key in done:
                continue
            done.add(key)
            ch = tb.changes[key]
            event = self.iri("change", f"{key}-{ch.year or 'x'}")
            names = [(e.zh, e.en) for k in (key, *ch.successors) if (e := tb.org(k))]
            year = f"（{ch.year}年）" if ch.year else ""
            zh = f"{names[0][0]}→{'、'.join(n for n, _ in names[1:])}{year}"
            en = f"{names[0][1]} → {'; '.join(n for _, n in names[1:])}" + (
                f" ({ch.year})" if ch.year else "")
            self.add(event, RDF.type, ORG.ChangeEvent)
            self.labels(event, zh, English(en, "composed"))
            self.add(event, PROV.wasDerivedFrom, source)
            if ch.year:
                self.add(event, DCTERMS.date, Literal(ch.year, datatype=XSD.gYear))
            self.add(event, ORG.originalOrganization, self.iri("org", key))
            self.add(self.iri("org", key), ORG.changedBy, event)
            for succ in ch.successors:
                s = self.iri("org", succ)
                self.add(event, ORG.resultingOrganization, s)
                self.add(s, ORG.resultedFrom, event)
                if succ not in self.ex.orgs and (e := tb.org(succ)):
                    self.add(s, RDF.type, PKG.Organization)
                    method = "official" if e.en_source == "official" else "curated"
                    self.labels(s, e.zh, English(e.en, method), alt_zh=set(e.aliases_zh),
                                alt_en=set(e.aliases_en))
                    self.add(s, PROV.wasDerivedFrom, source)
                if succ in tb.changes:
                    todo.append(succ)

    def towns(self) -> None:
        """Named towns: no code; within their county when the text gave it."""
        for t in sorted(self.ex.towns.values(), key=lambda t: (t.county or "", t.name)):
            s = self.town_iri(t.county, t.name)
            self.add(s, RDF.type, PKG.Town)
            self.labels(s, t.name, English(town_english(t.name), "transliterated"))
            self.evidence(s, t.evidence)
            if t.county:
                self.add(s, PKG.within, self.iri("place", t.county))

    def town_iri(self, county: str | None, name: str) -> URIRef:
        return self.iri("town", f"{county}-{slug(name)}" if county else slug(name))

    def regions(self) -> None:
        for r in sorted(self.ex.regions.values(), key=lambda r: r.zh):
            s = self.iri("region", slug(r.zh))
            self.add(s, RDF.type, PKG.Region)
            self.labels(s, r.zh, English(r.en, r.en_method))
            self.evidence(s, r.evidence)
            for code in r.members:
                self.add(s, PKG.member, self.iri("place", code))

    def places(self) -> None:
        gz = load_gazetteer()
        seen: set[str] = set()
        # members of named regions are described too (from the gazetteer), so that each
        # document graph says what its regions contain
        codes = sorted(set(self.ex.places) | {c for r in self.ex.regions.values()
                                              for c in r.members})
        for code in codes:
            for i, d in enumerate(gz.chain(code)):
                if d.code in seen and i > 0:
                    continue
                seen.add(d.code)
                s = self.iri("place", d.code)
                self.add(s, RDF.type, DIVISION_CLASS[d.level])
                self.add(s, RDF.type, PKG.AdministrativeDivision)
                mentioned = self.ex.places.get(d.code)
                alt = set(d.short) | (mentioned.written if mentioned else set())
                method = d.en_method if d.en_method in ("curated", "official") else "transliterated"
                self.labels(s, d.zh, English(d.en, method), alt_zh=alt)
                self.add(s, PKG.adminCode, Literal(d.code))
                if d.parent:
                    self.add(s, PKG.within, self.iri("place", d.parent))
                if mentioned and mentioned.evidence:
                    self.evidence(s, mentioned.evidence)
                else:
                    self.add(s, PROV.wasDerivedFrom, self.iri("dataset", "gazetteer"))

    def item_iri(self, list_key: str, ordinal: int | None, text: str) -> URIRef:
        base = self.list_iri(list_key)
        return URIRef(f"{base}/{ordinal}" if ordinal else f"{base}/h-{short_hash(fold(text), n=8)}")

    def item_lists(self) -> None:
        for lst in self.ex.lists:
            s = self.entity(self.list_iri(lst.key), PKG.ItemList, lst.heading, lst.evidence)
            self.add(s, PKG.definedIn, self.doc(lst.defined_in))
            self.add(s, PKG.itemClass, PKG[lst.item_class])
            if lst.stated_count is not None:
                self.add(s, PKG.statedCount, Literal(lst.stated_count))
            if lst.stated_count_text:
                self.add(s, PKG.statedCountText, Literal(lst.stated_count_text))
            if lst.concerns:
                kind = "zone" if any(z.key == lst.concerns for z in self.ex.zones.values()) \
                    else "program"
                self.add(s, PKG.concerns, self.iri(kind, lst.concerns))
            for it in lst.items:
                i = self.entity(self.item_iri(lst.key, it.ordinal, it.text),
                                PKG[lst.item_class], it.text, it.evidence)
                self.add(i, PKG.inList, s)
                self.add(i, PKG.definedIn, self.doc(lst.defined_in))
                if it.ordinal is not None:
                    self.add(i, PKG.ordinal, Literal(it.ordinal, datatype=XSD.positiveInteger))
                if it.ordinal in lst.deadlines:
                    self.add(i, PKG.deadline, date_literal(lst.deadlines[it.ordinal]))
                if it.within:
                    self.add(i, PKG.withinSection, self.item_iri(it.within[0], it.within[1], ""))
                self.cells(i, it.cells)

    def cells(self, item: URIRef, cells: list[CellRecord]) -> None:
        """A table row's other columns: description and scope as properties of the item,
        each with its evidence; any other column (a deadline's too, as written) as a
        pkg:TableCell under its header."""
        seen: dict[str, int] = {}
        for c in cells:
            value = Literal(c.text, lang="zh")
            if c.kind in ("description", "scope"):
                self.fact(item, PKG[c.kind], value, c.evidence)
                for code, ev in c.places:
                    self.fact(item, PKG.appliesIn, self.iri("place", code), ev)
                continue
            seen[c.column] = seen.get(c.column, 0) + 1  # two columns under one header
            suffix = "" if seen[c.column] == 1 else f"-{seen[c.column]}"
            cell = URIRef(f"{item}/cell/{short_hash(c.column, n=8)}{suffix}")
            self.add(item, PKG.tableCell, cell)
            self.add(cell, RDF.type, PKG.TableCell)
            self.add(cell, PKG.column, Literal(c.column, lang="zh"))
            self.add(cell, RDF.value, value)
            self.evidence(cell, [c.evidence])

    def stated(self) -> None:
        """Dated targets and amounts, each placed in its section (or the document)."""
        for st in self.ex.stated:
            ev = st.evidence[0]
            kind = "target" if st.kind == "target" else "amount"
            s = self.entity(self.iri(kind, self.doc_key, f"{ev.start}-{ev.end}"),
                            PKG.Target if kind == "target" else PKG.StatedAmount, st.text,
                            st.evidence)
            where = (self.item_iri(st.section[0], st.section[1], "") if st.section
                     else self.doc(self._defining(ev.start)))
            self.add(s, PKG.statedIn, where)
            if st.deadline:
                self.add(s, PKG.deadline, date_literal(st.deadline))
            if st.amount is not None:
                self.add(s, PKG.amount, Literal(st.amount, datatype=XSD.decimal))


    def tasks(self) -> None:
        """Tasks and the bodies responsible for them, each link with its evidence."""
        for t in self.ex.tasks:
            if t.item is not None:
                s = self.item_iri(*t.item)
            elif t.on_section and t.section:
                s = self.item_iri(t.section[0], t.section[1], "")
            else:
                ev = t.evidence[0]
                s = self.entity(self.iri("task", self.doc_key, f"{ev.start}-{ev.end}"),
                                PKG.Task, t.text, t.evidence)
                self.add(s, PKG.definedIn, self.doc(self._defining(ev.start)))
                self.add(s, PKG.statedIn, self.item_iri(t.section[0], t.section[1], "")
                         if t.section else self.doc(self._defining(ev.start)))
            for d in t.duties:
                self.fact(s, DUTY[d.role], self.iri("org", d.org), d.evidence)

    def quantities(self) -> None:
        """Percentages, ranges, counts and measures, on the target they belong to, in their
        section."""
        for q in self.ex.quantities:
            ev = q.evidence[0]
            s = self.entity(self.iri("quantity", self.doc_key, f"{ev.start}-{ev.end}"),
                            PKG.StatedQuantity, q.text, q.evidence)
            self.add(s, PKG.unit, Literal(q.unit))
            for p, v in ((PKG.value, q.value), (PKG.minValue, q.min_value),
                         (PKG.maxValue, q.max_value)):
                if v is not None:
                    self.add(s, p, Literal(v, datatype=XSD.decimal))
            if q.counted:
                self.add(s, PKG.counts, Literal(q.counted, lang="zh"))
            if q.approximate:
                self.add(s, PKG.approximate, Literal(True))
            self.add(s, PKG.statedIn, self.item_iri(q.section[0], q.section[1], "")
                     if q.section else self.doc(self._defining(ev.start)))
            if q.target:
                target = self.iri("target", self.doc_key, f"{q.target[0]}-{q.target[1]}")
                self.add(target, PKG.hasQuantity, s)

    def _defining(self, offset: int) -> str:
        """The document text at `offset` belongs to: a carried plan from its title on."""
        key = self.doc_key
        for start, k in self.ex.parts:
            if start <= offset:
                key = k
        return key


_TOWN_KIND = (("街道", "Subdistrict"), ("镇", "Town"), ("乡", "Township"))


def town_english(name: str) -> str:
    """'石河镇' → 'Shihe Town': the name in pinyin (place readings applied), and its kind."""
    for suffix, kind in _TOWN_KIND:
        if name.endswith(suffix):
            stem = "".join(syllables(name[:-len(suffix)]))
            return f"{stem[:1].upper()}{stem[1:]} {kind}"
    stem = "".join(syllables(name))
    return stem[:1].upper() + stem[1:]


def _near(evs: list[Evidence], where: Evidence | None) -> Evidence | None:
    """The mention read with the document (inside its title or within 200 characters after
    it), else the body's first mention."""
    if where is not None:
        for e in evs:
            if e.start >= where.start and e.end <= where.end + 200:
                return e
    return _first(evs)


def _first(evs: list[Evidence]) -> Evidence | None:
    return min(evs) if evs else None


def to_document_graph(ex: Extraction, base: str = DEFAULT_BASE) -> DocumentGraph:
    return Mapper(ex, base).run()


def to_graph(ex: Extraction, base: str = DEFAULT_BASE) -> Graph:
    return to_document_graph(ex, base).graph()


def to_dataset(graphs: list[Graph]) -> Dataset:
    ds = Dataset()
    for g in graphs:
        target = ds.graph(g.identifier)
        for t in g:
            target.add(t)
    return ds
