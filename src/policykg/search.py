"""Search entities by label in Chinese (simplified or traditional), English or pinyin.

The index is built from the label triples of a graph (any rdflib Graph or Dataset) and
kept in memory: a character-bigram inverted index narrows the candidates, then each is
checked and ranked — exact label, then prefix, then word, then substring; preferred
labels before aliases; shorter labels first. This is the function the service calls.
Autocomplete (`suggest`) needs only the labels a prefix begins: each language's keys are
also kept in order, and a prefix's keys are found by bisection.

The service keeps one index for its lifetime and updates it in place when documents change
(`update`): an entity's old entry is retired and a new one added, and the index compacts
itself when retired entries outnumber live ones. A lock makes searches and updates from
different threads safe.
"""

from __future__ import annotations

import heapq
import re
import threading
import unicodedata
from array import array
from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from policykg.pinyin import fold_pinyin, syllables
from policykg.segment import tokenizer

RANKS = ("exact", "prefix", "word", "substring")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LABELS = (SKOS.prefLabel, SKOS.altLabel, RDFS.label)


@cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalise_lang(tag: str | None) -> str | None:
    """'zh', 'zh-Hans', 'zh-CN', 'zh-Hant-TW' → 'zh'; 'en-GB' → 'en'."""
    if not tag:
        return None
    return tag.split("-", 1)[0].lower()


def fold_zh(text: str) -> str:
    """Simplified, NFKC (full-width letters and digits), no spaces or quotes."""
    text = _t2s().convert(unicodedata.normalize("NFKC", text))
    return re.sub(r"[\s“”\"'‘’《》]", "", text)


def fold_en(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", text).casefold()))


@dataclass(frozen=True)
class Hit:
    iri: str
    label: str  # the label that matched, as written
    lang: str  # zh | en | pinyin: the language of the matched label
    match: str  # exact | prefix | word | substring
    preferred: bool
    types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Key:
    entity: int
    key: str  # folded form the query is compared with
    words: tuple[str, ...]  # folded words of the label (pinyin: its syllables)
    label: str
    lang: str
    preferred: bool
    # Worked out once here, not for every query that reaches the key: a common query
    # reaches thousands, and per-candidate Python was most of a search's time.
    order: tuple = ()  # how the key ranks within a match rank: see `SearchIndex._page`
    bounds: tuple[int, ...] = ()  # pinyin: where its syllables begin and end in `key`


@lru_cache(maxsize=1 << 17)
def _zh_forms(text: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """A Chinese label's folded key, folded words and pinyin syllables. Cached: the service
    rebuilds its index after every write with most labels unchanged, and segmenting and
    romanising are most of a build."""
    key = fold_zh(text)
    words = tuple(fold_zh(w) for w in tokenizer().cut(text, HMM=False) if fold_zh(w))
    return key, words, tuple(syllables(key))


def _bigrams(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)} if len(s) > 1 else {s}


Labels = list[tuple[str, str, bool]]  # (text, lang zh|en, preferred)


class SearchIndex:
    def __init__(self) -> None:
        self._iris: list[str] = []
        self._types: list[tuple[str, ...]] = []
        self._labels: list[Labels] = []  # as given, for compaction
        self._pref: list[dict[str, str | None]] = []  # preferred zh/en label per entity
        self._keys: list[_Key] = []
        # language (zh | en | pinyin) → bigram → key ids: a query of one script reaches only
        # keys of its language, and the postings it intersects are that much shorter
        self._grams: dict[str, dict[str, set[int]]] = {
            lang: defaultdict(set) for lang in ("zh", "en", "pinyin")}
        # language → key ids in the order of their keys, for prefix look-ups (/suggest): a
        # prefix's keys are one run of it, found by bisection. Kept sorted as keys are
        # added; a bulk build (`_bulk`) appends and sorts once at the end.
        self._by_key: dict[str, array] = {lang: array("q") for lang in ("zh", "en", "pinyin")}
        self._bulk = False
        self._live: dict[str, int] = {}  # IRI → its current entity id
        self._retired: set[int] = set()  # entity ids replaced or removed
        self._lock = threading.RLock()

    @classmethod
    def from_graph(cls, graph: Graph) -> SearchIndex:
        labels: dict[URIRef, list[tuple[str, str, bool]]] = defaultdict(list)
        for p in _LABELS:
            for s, o in graph.subject_objects(p):
                if isinstance(s, URIRef) and isinstance(o, Literal):
                    lang = normalise_lang(o.language)
                    if lang in ("zh", "en"):
                        labels[s].append((str(o), lang, p == SKOS.prefLabel))
        types = {str(s): tuple(sorted(str(t) for t in graph.objects(s, RDF.type)))
                 for s in labels}
        return cls.from_labels({str(s): v for s, v in labels.items()}, types)

    @classmethod
    def from_labels(cls, labels: dict[str, list[tuple[str, str, bool]]],
                    types: dict[str, tuple[str, ...]]) -> SearchIndex:
        """From (text, lang, preferred) label rows per IRI, e.g. read from a store."""
        index = cls()
        index._bulk = True
        for iri in sorted(labels):
            index.add(iri, types.get(iri, ()), labels[iri])
        index._sort_keys()
        return index

    def add(self, iri: str, types: tuple[str, ...],
            labels: Iterable[tuple[str, str, bool]]) -> None:
        with self._lock:
            self._add_entity(iri, types, list(labels))

    def update(self, entries: dict[str, tuple[tuple[str, ...], Labels]],
               gone: Iterable[str] = ()) -> None:
        """Replace the entries of these IRIs (types and labels as now in the store) and
        drop the IRIs in `gone`, which no longer have any label."""
        with self._lock:
            for iri in gone:
                old = self._live.pop(iri, None)
                if old is not None:
                    self._retired.add(old)
            for iri, (types, labels) in entries.items():
                self._add_entity(iri, types, labels)
            if len(self._retired) > max(1000, len(self._live)):
                self._compact()

    def _compact(self) -> None:
        live = sorted((iri, self._types[e], self._labels[e]) for iri, e in self._live.items())
        lock = self._lock
        self.__init__()
        self._lock = lock
        self._bulk = True
        for iri, types, labels in live:
            self._add_entity(iri, types, labels)
        self._sort_keys()

    def _sort_keys(self) -> None:
        keys = self._keys
        for lang, kids in self._by_key.items():
            self._by_key[lang] = array("q", sorted(kids, key=lambda kid: keys[kid].key))
        self._bulk = False

    def pref_labels(self, iri: str) -> dict[str, str | None]:
        """The entity's preferred Chinese and English labels, as indexed."""
        with self._lock:
            e = self._live.get(iri)
            return dict(self._pref[e]) if e is not None else {"zh": None, "en": None}

    def _add_entity(self, iri: str, types: tuple[str, ...], labels: Labels) -> None:
        old = self._live.get(iri)
        if old is not None:
            self._retired.add(old)
        entity = len(self._iris)
        self._iris.append(iri)
        self._types.append(types)
        self._labels.append(labels)
        pref: dict[str, str | None] = {"zh": None, "en": None}
        for text, lang, preferred in sorted(labels):
            if preferred and pref.get(lang, "") is None:
                pref[lang] = text
        self._pref.append(pref)
        self._live[iri] = entity
        seen: set[tuple[str, str]] = set()
        for text, lang, preferred in sorted(labels, key=lambda x: (not x[2], x[1], x[0])):
            if lang == "zh":
                key, words, syl = _zh_forms(text)
                self._add(entity, key, words, text, "zh", preferred, seen)
                if syl:
                    self._add(entity, "".join(syl), syl, text, "pinyin", preferred, seen)
            else:
                key = fold_en(text)
                self._add(entity, key, tuple(key.split()), text, "en", preferred, seen)

    def _add(self, entity: int, key: str, words: tuple[str, ...], label: str, lang: str,
             preferred: bool, seen: set[tuple[str, str]]) -> None:
        if not key or (key, lang) in seen:
            return
        seen.add((key, lang))
        kid = len(self._keys)
        # preferred labels before aliases, shorter labels first, then by IRI and language
        order = (not preferred, len(label), self._iris[entity], lang)
        k = _Key(entity, key, words, label, lang, preferred, order,
                 tuple(accumulate(map(len, words), initial=0)) if lang == "pinyin" else ())
        self._keys.append(k)
        if self._bulk:
            self._by_key[lang].append(kid)
        else:
            insort(self._by_key[lang], kid, key=self._key_of)
        grams = self._grams[lang]
        for g in _bigrams(key.replace(" ", "") if lang != "en" else key):
            grams[g].add(kid)

    def _key_of(self, kid: int) -> str:
        return self._keys[kid].key

    def __len__(self) -> int:
        return len(self._live)

    # --- querying ---------------------------------------------------------------------------
    def _candidates(self, q: str, lang: str) -> set[int]:
        """The keys of this language holding every bigram of `q`."""
        grams = self._grams[lang]
        postings = sorted((grams.get(g, set()) for g in _bigrams(q)), key=len)
        if not postings:
            return set()
        out = set(postings[0])
        for p in postings[1:]:
            out &= p
            if not out:
                break
        return out

    def search(self, query: str, types: Iterable[str] | None = None,
               limit: int = 20, langs: Iterable[str] | None = None) -> list[Hit]:
        """Best match per entity, ranked. `types` filters by class IRI or local name;
        `langs` ('zh', 'en', 'pinyin'), when given, keeps only the matches of labels in
        those languages, so an entity is ranked by its best match among them."""
        return self.page(query, types, langs, 0, limit)[1]

    def suggest(self, prefix: str, limit: int = 10) -> list[Hit]:
        """Autocomplete: entities with a label equal to or beginning with `prefix`, ranked
        as `search` ranks its exact and prefix matches (which come before any other), one
        per entity. The labels are found by bisection in each language's keys in order, so
        a short prefix does not rank every label holding it further in, as `search` must
        (at 10M triples 'shi' reaches tens of thousands). Unlike `search`, one character
        suggests the labels it begins, not only a label that is that character."""
        prefix = prefix.strip()
        if not prefix:
            return []
        with self._lock:
            return self._hits(self._best_per_entity(self._beginning_with(prefix)), 0, limit)

    def _beginning_with(self, query: str) -> Iterable[tuple[int, _Key]]:
        """(0 exact or 1 prefix, key) for the keys equal to or beginning with the query,
        folded for each language as `_matches` folds it."""
        for lang, q in _folded(query):
            yield from self._run_of(lang, q)

    def _run_of(self, lang: str, q: str) -> Iterable[tuple[int, _Key]]:
        kids, keys = self._by_key[lang], self._keys
        i = bisect_left(kids, q, key=self._key_of)
        while i < len(kids):
            k = keys[kids[i]]
            if not k.key.startswith(q):
                return
            yield (0 if k.key == q else 1), k
            i += 1

    def page(self, query: str, types: Iterable[str] | None = None,
             langs: Iterable[str] | None = None, offset: int = 0,
             limit: int = 20) -> tuple[int, list[Hit]]:
        """(number of entities matched, the hits from `offset` to `offset + limit`). Only
        the hits returned are built: the rest are ranked as plain tuples."""
        query = query.strip()
        if not query:
            return 0, []
        with self._lock:
            return self._page(query, types, langs, offset, limit)

    def _page(self, query: str, types: Iterable[str] | None, langs: Iterable[str] | None,
              offset: int, limit: int) -> tuple[int, list[Hit]]:
        wanted = {t if "://" in t else t.rsplit(":", 1)[-1] for t in (types or ())}
        languages = (None if langs is None else
                     frozenset((langs,) if isinstance(langs, str) else langs))
        allowed: dict[int, bool] = {}  # entity → of a wanted type (worked out once each)

        def keep(k: _Key) -> bool:
            if languages is not None and k.lang not in languages:
                return False
            ok = allowed.get(k.entity)
            if ok is None:
                ok = allowed[k.entity] = not wanted or any(
                    t in wanted or t.rsplit("#", 1)[-1] in wanted for t in self._types[k.entity])
            return ok

        best = self._best_per_entity(self._matches(query),
                                     keep if wanted or languages is not None else None)
        return len(best), self._hits(best, offset, limit)

    def _best_per_entity(self, matches: Iterable[tuple[int, _Key]],
                         keep: Callable[[_Key], bool] | None = None) -> dict[int, tuple]:
        """entity → ((rank, key's order), key) of its best match: the matches of entities
        not retired (and that `keep` keeps)."""
        best: dict[int, tuple] = {}
        retired = self._retired
        for rank, k in matches:
            e = k.entity
            if e in retired or (keep is not None and not keep(k)):
                continue
            order = (rank, k.order)
            held = best.get(e)
            if held is None or order < held[0]:
                best[e] = (order, k)
        return best

    def _hits(self, best: dict[int, tuple], offset: int, limit: int) -> list[Hit]:
        """The best matches from `offset` to `offset + limit`; only those are built."""
        top = heapq.nsmallest(offset + limit, best.values(), key=_first)[offset:]
        return [Hit(self._iris[k.entity], k.label, k.lang, RANKS[order[0]], k.preferred,
                    self._types[k.entity]) for order, k in top]

    def _matches(self, query: str) -> Iterable[tuple[int, _Key]]:
        """(rank, key) for every label key the query matches: 0 exact, 1 prefix, 2 every
        query word a word of the label (English: the beginning of one), 3 substring (pinyin:
        on syllable boundaries). Each language reads its own candidates."""
        for lang, q in _folded(query):
            if lang == "zh":
                words = tuple(w for w in map(fold_zh, tokenizer().cut(query, HMM=False)) if w)
                yield from self._ranked(self._candidates(q, "zh"), q,
                                        word=_every_word_test(words))
            elif lang == "en":
                starts = [" " + w for w in q.split()]
                yield from self._ranked(
                    self._candidates(q.replace(" ", "") if " " not in q else q, "en"), q,
                    word=lambda k, starts=starts: _starts_words(k.key, starts))
                # multi-word English queries in any order ("finance ministry")
                if len(starts) > 1:
                    for kid in self._candidates(max(q.split(), key=len), "en"):
                        k = self._keys[kid]
                        if _starts_words(k.key, starts):
                            yield 2, k
            else:
                # inside a label, pinyin only matches whole syllables ('fang' in
                # shi|fang|shi, never 'ifan')
                yield from self._ranked(self._candidates(q, "pinyin"), q,
                                        inside=lambda k, q=q: _on_syllables(k, q))

    def _ranked(self, kids: Iterable[int], q: str,
                word: Callable[[_Key], bool] | None = None,
                inside: Callable[[_Key], bool] | None = None) -> Iterable[tuple[int, _Key]]:
        """(rank, key) for the candidate keys `kids` that match the folded query `q`:
        0 exact, 1 prefix, 2 `word` (every query word a word of the label), 3 inside it
        (`inside`, or else anywhere). One loop over what may be thousands of candidates,
        its cheap checks written out."""
        keys = self._keys
        for kid in kids:
            k = keys[kid]
            key = k.key
            if key == q:
                yield 0, k
            elif key.startswith(q):
                yield 1, k
            elif word is not None and word(k):
                yield 2, k
            elif inside(k) if inside is not None else q in key:
                yield 3, k


def _folded(query: str) -> list[tuple[str, str]]:
    """(language, folded query) for each language a query is looked for in: Chinese text
    in Chinese labels only; Latin text in English labels and, from two letters on, in
    pinyin ones (one letter is not pinyin yet)."""
    if _CJK.search(query):
        return [("zh", fold_zh(query))]
    out = []
    q_en = fold_en(query)
    if q_en:
        out.append(("en", q_en))
    q_py = fold_pinyin(query)
    if len(q_py) >= 2:
        out.append(("pinyin", q_py))
    return out


def _on_syllables(k: _Key, q: str) -> bool:
    """`q` inside the pinyin key `k`, starting and ending on syllable boundaries."""
    key, bounds = k.key, k.bounds
    start = key.find(q)
    while start >= 0:
        if start in bounds and start + len(q) in bounds:
            return True
        start = key.find(q, start + 1)
    return False


def _every_word_test(words: tuple[str, ...]) -> Callable[[_Key], bool] | None:
    """A test that every one of the query's words is a word of a key's label, written out
    for one or two words: tuple membership is a C loop, a generator over the words is not,
    and the test runs for most candidates of a Chinese query."""
    if not words:
        return None
    if len(words) == 1:
        (a,) = words
        return lambda k: a in k.words
    if len(words) == 2:
        a, b = words
        return lambda k: a in k.words and b in k.words
    return lambda k: all(w in k.words for w in words)


def _first(item: tuple) -> tuple:
    return item[0]


def _starts_words(key: str, query_starts: list[str]) -> bool:
    """Every query word begins some word of the label. An English key is its words joined
    by single spaces, so " word" found in " " + key marks a word's beginning: one C-level
    substring search per query word instead of a Python loop over the label's words."""
    padded = " " + key
    return all(q in padded for q in query_starts)
