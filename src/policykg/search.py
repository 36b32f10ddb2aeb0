"""Search entities by label in Chinese (simplified or traditional), English or pinyin.

The index is built from the label triples of a graph (any rdflib Graph or Dataset) and
kept in memory: a character-bigram inverted index narrows the candidates, then each is
checked and ranked — exact label, then prefix, then word, then substring; preferred
labels before aliases; shorter labels first. This is the function the service calls.

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
from collections import defaultdict
from collections.abc import Iterable
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


@dataclass(frozen=True)
class _Key:
    entity: int
    key: str  # folded form the query is compared with
    words: tuple[str, ...]  # folded words of the label
    label: str
    lang: str
    preferred: bool


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
        self._grams: dict[str, set[int]] = defaultdict(set)  # bigram → key ids
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
        for iri in sorted(labels):
            index.add(iri, types.get(iri, ()), labels[iri])
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
        for iri, types, labels in live:
            self._add_entity(iri, types, labels)

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
                self._add(_Key(entity, key, words, text, "zh", preferred), seen)
                if syl:
                    self._add(_Key(entity, "".join(syl), syl, text, "pinyin", preferred),
                              seen)
            else:
                key = fold_en(text)
                self._add(_Key(entity, key, tuple(key.split()), text, "en", preferred), seen)

    def _add(self, k: _Key, seen: set[tuple[str, str]]) -> None:
        if not k.key or (k.key, k.lang) in seen:
            return
        seen.add((k.key, k.lang))
        kid = len(self._keys)
        self._keys.append(k)
        for g in _bigrams(k.key.replace(" ", "") if k.lang != "en" else k.key):
            self._grams[g].add(kid)

    def __len__(self) -> int:
        return len(self._live)

    # --- querying ---------------------------------------------------------------------------
    def _candidates(self, q: str) -> set[int]:
        grams = _bigrams(q)
        postings = sorted((self._grams.get(g, set()) for g in grams), key=len)
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
        best: dict[int, tuple] = {}  # entity → (order…, rank, key)
        retired = self._retired
        for rank, k in self._matches(query):
            if k.entity in retired or (languages is not None and k.lang not in languages):
                continue
            if wanted and not any(t in wanted or t.rsplit("#", 1)[-1] in wanted
                                  for t in self._types[k.entity]):
                continue
            order = (rank, not k.preferred, len(k.label), self._iris[k.entity], k.lang)
            if k.entity not in best or order < best[k.entity][0]:
                best[k.entity] = (order, k)
        top = heapq.nsmallest(offset + limit, best.values(), key=lambda x: x[0])[offset:]
        return len(best), [Hit(self._iris[k.entity], k.label, k.lang, RANKS[order[0]],
                               k.preferred, self._types[k.entity]) for order, k in top]

    def _matches(self, query: str) -> Iterable[tuple[int, _Key]]:
        if _CJK.search(query):
            q = fold_zh(query)
            words = [fold_zh(w) for w in tokenizer().cut(query, HMM=False) if fold_zh(w)]
            for kid in self._candidates(q):
                k = self._keys[kid]
                if k.lang == "zh":
                    rank = _rank(k.key, q, k.words, words)
                    if rank is not None:
                        yield rank, k
            return
        q_en = fold_en(query)
        q_py = fold_pinyin(query)
        en_starts = [" " + w for w in q_en.split()]
        if q_en:
            for kid in self._candidates(q_en.replace(" ", "") if " " not in q_en else q_en):
                k = self._keys[kid]
                if k.lang == "en":
                    rank = _rank(k.key, q_en, k.words, [], en_starts)
                    if rank is not None:
                        yield rank, k
            # multi-word English queries in any order ("finance ministry")
            if len(en_starts) > 1:
                first = max(q_en.split(), key=len)
                for kid in self._candidates(first):
                    k = self._keys[kid]
                    if k.lang == "en" and _starts_words(k.key, en_starts):
                        yield 2, k
        if q_py and len(q_py) >= 2:
            for kid in self._candidates(q_py):
                k = self._keys[kid]
                if k.lang == "pinyin":
                    rank = _rank(k.key, q_py, (), [])
                    # inside a label, pinyin only matches whole syllables ('fang' in
                    # shi|fang|shi, never 'ifan')
                    if rank is not None and (rank < 3 or _on_syllables(k.words, q_py)):
                        yield rank, k


def _all_words(label_words: tuple[str, ...], query_words: list[str]) -> bool:
    # run for every candidate label of a query: tuple membership is a C loop
    return all(q in label_words for q in query_words)


def _starts_words(key: str, query_starts: list[str]) -> bool:
    """Every query word begins some word of the label. An English key is its words joined
    by single spaces, so " word" found in " " + key marks a word's beginning: one C-level
    substring search per query word instead of a Python loop over the label's words."""
    padded = " " + key
    return all(q in padded for q in query_starts)


def _rank(key: str, q: str, label_words: tuple[str, ...], query_words: list[str],
          query_starts: list[str] | None = None) -> int | None:
    """0 exact, 1 prefix, 2 every query word a word of the label (English: the beginning
    of one, given as `query_starts`), 3 substring."""
    if key == q:
        return 0
    if key.startswith(q):
        return 1
    if query_starts is not None:
        if query_starts and _starts_words(key, query_starts):
            return 2
    elif query_words and _all_words(label_words, query_words):
        return 2
    if q in key:
        return 3
    return None


def _on_syllables(syl: tuple[str, ...], q: str) -> bool:
    """'fang' inside 'shifangshi' starts and ends on syllable boundaries."""
    joined = "".join(syl)
    start = joined.find(q)
    if start < 0:
        return False
    bounds = set(accumulate(map(len, syl), initial=0))  # (only for labels that hold q)
    while start >= 0:
        if start in bounds and start + len(q) in bounds:
            return True
        start = joined.find(q, start + 1)
    return False
