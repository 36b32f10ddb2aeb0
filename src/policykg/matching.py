"""Find many names in a text in one pass (Aho-Corasick), leftmost-longest, no overlaps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

import ahocorasick

T = TypeVar("T")


@dataclass(frozen=True)
class Match(Generic[T]):
    start: int
    end: int
    name: str
    payload: T


def _place(hit: tuple) -> tuple[int, int]:
    return hit[0], hit[1]  # leftmost, then longest (payloads need not be comparable)


class NameMatcher(Generic[T]):
    def __init__(self, names: dict[str, T]) -> None:
        self._auto = ahocorasick.Automaton()
        for name, payload in names.items():
            if name:
                self._auto.add_word(name, (name, payload))
        self._empty = not names
        if not self._empty:
            self._auto.make_automaton()

    def find(self, text: str) -> list[Match[T]]:
        if self._empty:
            return []
        # plain tuples while sorting and choosing: a text has many overlapping hits
        # (short names inside longer ones), and only the kept ones become Match objects
        found = sorted(((end - len(name) + 1, -len(name), name, payload)
                        for end, (name, payload) in self._auto.iter(text)), key=_place)
        out: list[Match[T]] = []
        last_end = -1
        for start, neg_len, name, payload in found:
            if start >= last_end:
                last_end = start - neg_len
                out.append(Match(start, last_end, name, payload))
        return out
