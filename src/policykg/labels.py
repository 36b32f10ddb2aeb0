"""English labels and how each was made.

Curated or official English comes from the termbase and the gazetteer; a phrase whose parts
are all known is composed from them (`compose`); anything else is transliterated word by
word (jieba words, pypinyin syllables) and marked as such, so a query can tell a
translation from a romanisation. Never silently missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin

from policykg.compose import compose
from policykg.gazetteer import load_gazetteer
from policykg.segment import plain_tokenizer, tokenizer
from policykg.termbase import load_termbase

METHODS = ("official", "curated", "composed", "transliterated")


@dataclass(frozen=True)
class English:
    text: str
    method: str  # one of METHODS


def _method(en_source: str) -> str:
    return "official" if en_source == "official" else "curated"


def transliterate(zh: str) -> str:
    """'构建生态发展新格局' → 'Goujian shengtai fazhan xin geju'. Place names inside take
    their gazetteer English (什邡市 → Shifang City, not Shenfang shi)."""
    gz = load_gazetteer()
    words: list[str] = []
    for tok in tokenizer().cut(zh, HMM=False):
        ds = gz.by_name.get(tok)
        if ds and len(ds) == 1:
            words.append(ds[0].en)
            continue
        if not re.search(r"[\u4e00-\u9fff]", tok):
            t = tok.translate(str.maketrans("“”《》（），、：；", "\"\"\"\"(),,:;"))
            if t.strip():
                if words and t in ",:;)\"" and t != '"':
                    words[-1] += t
                else:
                    words.append(t.strip())
            continue
        # Our user dictionary keeps long names whole; romanise those word by word as
        # jieba's own dictionary splits them, not as one run-together string.
        sub = plain_tokenizer().lcut(tok, HMM=False) if len(tok) > 4 else [tok]
        words.extend("".join(lazy_pinyin(w)) for w in sub)
    s = " ".join(w for w in words if w)
    s = re.sub(r"\s+([,;:)])", r"\1", s)
    return s[:1].upper() + s[1:]


# The same names come back document after document (bodies, places, recurring phrases);
# segmenting and romanising one again costs ~1 ms. The tables behind this are fixed for the
# life of a process.
@lru_cache(maxsize=8192)
def english(zh: str) -> English:
    """The best English the project has for a Chinese name or phrase."""
    term = load_termbase().term(zh)
    if term is not None:
        return English(term.en, _method(term.en_source))
    composed = compose(zh)
    if composed is not None:
        return English(composed, "composed")
    return English(transliterate(zh), "transliterated")
