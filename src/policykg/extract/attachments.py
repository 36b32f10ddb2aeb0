"""A document carried inside another: the plan a cover notice issues (国务院办公厅关于印发
“无废城市”建设试点工作方案的通知, followed by the plan itself) and attachments announced as
附件：X and given in full after the signature.

The carried document is a document of its own, with its own title (its title line in the
text is its evidence), attached to the document being read. What the text states from that
title line on (sections, lists, targets, tasks) is defined in the carried document.
"""

from __future__ import annotations

import re

from policykg.extract.context import Context
from policykg.extract.metadata import genre_of
from policykg.normalise import fold

COVER = re.compile(r"印发《?(.+?)》?的通知$")
ATTACHMENT_LINE = re.compile(r"^附件\s*\d*\s*[：:]\s*(?:\d+[.．、]\s*)?(.+?)\s*$", re.M)


def attachments(ctx: Context, after: int) -> None:
    """`after`: where the head of the document ends (a title line is looked for beyond)."""
    doc = ctx.out.document
    titles: list[str] = []
    if m := COVER.search(doc.title):
        titles.append(m.group(1))
    titles += [m.group(1) for m in ATTACHMENT_LINE.finditer(ctx.raw)]
    lines = _title_lines(ctx.raw, after) if titles else {}
    for title in titles:
        span = lines.get(fold(title))
        if span is None:
            continue  # announced but not carried in the text
        carried = ctx.document(title)
        if carried is doc:
            continue
        carried.genre = carried.genre or genre_of(title)
        carried.evidence.append(ctx.ev(*span))
        if carried.key not in doc.attachments:
            doc.attachments.append(carried.key)
            ctx.out.parts.append((span[0], carried.key))
    ctx.out.parts.sort()


def _title_lines(text: str, after: int) -> dict[str, tuple[int, int]]:
    """Each line past `after`, folded, → the span of its first occurrence: every announced
    title is looked up here (folding every line for each title made a document with many
    附件 lines quadratic: 108 of 121 s on a 4 MB text)."""
    out: dict[str, tuple[int, int]] = {}
    pos = 0
    for line in text.split("\n"):
        start = pos
        pos += len(line) + 1
        if start >= after and line.strip():
            s = start + len(line) - len(line.lstrip())
            out.setdefault(fold(line), (s, s + len(line.strip())))
    return out


def defining_document(ctx: Context, offset: int) -> str:
    """The document that text at `offset` belongs to: a carried one from its title line on."""
    key = ctx.out.document.key
    for start, k in ctx.out.parts:
        if start <= offset:
            key = k
    return key


def assign_parts(ctx: Context) -> None:
    """Lists read from a carried document's text are defined in that document."""
    if not ctx.out.parts:
        return
    doc_key = ctx.out.document.key
    for lst in ctx.out.lists:
        if lst.defined_in == doc_key and lst.evidence:
            lst.defined_in = defining_document(ctx, lst.evidence[0].start)
