"""jieba, initialised once with a user dictionary generated from the gazetteer and the
termbase (its own dictionary splits 城乡融合发展, 国家发展改革委 …). Used to accept a name
match only where it falls on word boundaries, so 公共资源 never yields a county."""

from __future__ import annotations

import logging
from functools import cache

import jieba

from policykg.gazetteer import load_gazetteer, load_regions
from policykg.termbase import load_termbase

jieba.setLogLevel(logging.WARNING)


@cache
def user_words() -> frozenset[str]:
    """Every place name, organisation name and alias, and recurring term."""
    gz = load_gazetteer()
    words = set(gz.by_name) | set(load_regions())
    tb = load_termbase()
    for org in tb.orgs:
        words.add(org.zh)
        words.update(org.aliases_zh)
    for code, d in gz.by_code.items():
        if d.level == "province":
            p_zh = gz.province_short(code)
            for org, _ in tb.provincial_orgs(p_zh, gz.province_en(code), code, d.zh):
                words.add(org.zh)
                words.update(org.aliases_zh)
    words.update(t.zh for t in tb.terms.values() if t.type in ("term", "genre"))
    return frozenset(w for w in words if len(w) >= 2)


def user_dictionary() -> str:
    """The user dictionary in jieba's file format (one word a line), for inspection or
    use with `jieba.load_userdict`."""
    return "".join(f"{w}\n" for w in sorted(user_words()))


@cache
def plain_tokenizer() -> jieba.Tokenizer:
    """jieba with its own dictionary alone (what `jieba.lcut` uses), loaded once for both
    tokenizers here: reading it costs ~0.6 s a process, copying it ~20 ms."""
    tk = jieba.Tokenizer()
    tk.initialize()
    return tk


@cache
def tokenizer() -> jieba.Tokenizer:
    """jieba with the user words added."""
    plain = plain_tokenizer()
    tk = jieba.Tokenizer()
    tk.FREQ, tk.total, tk.initialized = dict(plain.FREQ), plain.total, True
    for w in sorted(user_words()):
        tk.add_word(w)
    return tk


@cache
def _made_of_names(token: str) -> bool:
    """jieba's own dictionary keeps some name pairs whole (辽宁沈阳): a token that is
    nothing but known names may be cut between them."""
    words = user_words()
    ok = [True] + [False] * len(token)
    for i in range(len(token)):
        if ok[i]:
            for j in range(i + 2, len(token) + 1):
                if token[i:j] in words:
                    ok[j] = True
    return ok[-1] and token not in words


class Segmentation:
    """Token boundaries of one text."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[int, int, str]] = []
        pos = 0
        for tok in tokenizer().cut(text, HMM=False):
            self.tokens.append((pos, pos + len(tok), tok))
            pos += len(tok)
        self._covering: dict[int, tuple[int, int, str]] = {}
        for t in self.tokens:
            for i in range(t[0] + 1, t[1]):
                self._covering[i] = t  # boundary i falls strictly inside token t

    def fits(self, start: int, end: int) -> bool:
        """True when a match [start, end) does not cut through an ordinary word. Cutting
        into a known name (a place inside an organisation's name) is allowed."""
        words = user_words()
        for b in (start, end):
            t = self._covering.get(b)
            if t is not None and t[2] not in words and not _made_of_names(t[2]):
                return False
        return True

    def token_across(self, b: int) -> tuple[int, int, str] | None:
        """The token that boundary `b` falls strictly inside, if any."""
        return self._covering.get(b)

    def words(self, start: int, end: int) -> list[str]:
        return [t[2] for t in self.tokens if t[0] >= start and t[1] <= end]
