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
        found = [Match(end - len(name) + 1, end + 1, name, payload)
                 for end, (name, payload) in self._auto.iter(text)]
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        out: list[Match[T]] = []
        last_end = -1
        for m in found:
            if m.start >= last_end:
                out.append(m)
                last_end = m.end
        return out
