"""Bodies a document makes responsible for a task: the parenthesis after it
(`（生态环境部牵头，国家发展改革委、住房城乡建设部等参与）`, `（…按职责分工负责）`, `（…指导）`)
and, in tables, a column such as 牵头部门 / 责任单位 / 指导部门.

The task is the text between the previous such parenthesis (or the start of the paragraph,
after a section's heading sentence) and the parenthesis. When that is the whole of a numbered
section (`1. 加强统筹（发展改革委牵头）`), the bodies go on the section itself. Only bodies the
organisation matcher resolves are linked: generic subjects (试点城市政府, 各地) are not bodies.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from policykg.extract.context import Context
from policykg.extract.sections import LEVELS
from policykg.records import Duty, TaskRecord

PAREN = re.compile(r"[（(]([^（）()\n]{2,300})[）)]")
# The role word ends a clause of the parenthesis; longest first.
ROLE = re.compile(r"(按职责分工负责|按职责负责|分别负责|共同负责|牵头负责|负责落实"
                  r"|牵头|参与|参加|配合|协助|负责|指导)$")
ROLES = {"牵头": "lead", "牵头负责": "lead", "参与": "participant", "参加": "participant",
         "配合": "participant", "协助": "participant", "指导": "guide"}  # others: responsible
# Words that may stand beside the bodies in a clause without making it something else.
FILLER = re.compile(r"各有关部门|有关部门|相关部门|有关单位|各地区|按职责分工|按职责|分别|共同|等"
                    r"|[、，,和及与\s]")
# Table columns naming bodies, by their header.
COLUMN_ROLES = {"牵头": "lead", "指导": "guide", "参与": "participant", "配合": "participant",
                "责任": "responsible", "负责": "responsible", "实施": "responsible"}
COLUMN = re.compile(r"^(牵头|指导|参与|配合|责任|负责|实施)(部门|单位|机构|主体)$")


def role_of(word: str) -> str:
    return ROLES.get(word, "responsible")


def read_duties(ctx: Context, start: int, end: int) -> list[Duty]:
    """The bodies and roles a parenthesis body [start, end) states; [] when it is not one
    (a clause naming no known body, or with more than bodies and a role word in it)."""
    duties: list[Duty] = []
    pos = start
    for clause in re.split(r"([，,；;。])", ctx.raw[start:end]):
        c0, c1 = pos, pos + len(clause)
        pos = c1
        m = ROLE.search(clause.strip())
        if not m:
            continue
        mentions = ctx.orgs_in(c0, c1)
        if not mentions:
            continue
        rest = list(ctx.raw[c0:c1].rstrip())
        for s, e, _ in mentions:
            rest[s - c0:e - c0] = [""] * (e - s)
        residue = "".join(rest)
        residue = residue[:len(residue) - len(m.group(1))] if residue.endswith(m.group(1)) \
            else residue
        if FILLER.sub("", residue):
            continue  # e.g. 由…负责审核的事项: a sentence, not a list of bodies
        role = role_of(m.group(1))
        for s, e, key in mentions:
            duties.append(Duty(role=role, org=key, evidence=ctx.ev(s, e)))
    return duties


def responsibilities(ctx: Context, starts: list[tuple[int, tuple[str, int]]]) -> None:
    """Tasks followed by a parenthesis of responsible bodies."""
    section_starts = [s for s, _ in starts]
    pos = 0
    for line in ctx.raw.split("\n"):
        base = pos
        pos += len(line) + 1
        boundary = 0
        heading = _heading_end(line)
        for m in PAREN.finditer(line):
            duties = read_duties(ctx, base + m.start(1), base + m.end(1))
            if not duties:
                continue
            t0 = max(boundary, heading)
            while t0 < m.start() and line[t0] in " \u3000。；;，,":
                t0 += 1
            i = bisect_right(section_starts, base + m.start()) - 1
            section = starts[i][1] if i >= 0 else None
            task_text = line[t0:m.start()].rstrip("。；;，, ")
            paren = ctx.ev(base + m.start(), base + m.end())
            if not task_text and heading and section and starts[i][0] == base:
                # the whole numbered section is the task
                ctx.out.tasks.append(TaskRecord(text="", section=section, on_section=True,
                                                duties=duties, evidence=[paren]))
            elif task_text:
                label = re.split(r"[。；;]", task_text, maxsplit=1)[0]
                ctx.out.tasks.append(TaskRecord(
                    text=label, section=section, duties=duties,
                    evidence=[ctx.ev(base + t0, base + t0 + len(label)), paren]))
            boundary = m.end()


def _heading_end(line: str) -> int:
    """Where the heading sentence of a numbered section line ends (0 if not a section)."""
    for pattern in LEVELS:
        if m := pattern.match(line):
            rest = m.group(2)
            cut = re.search(r"[。：:；;]", rest)
            return m.start(2) + (cut.end() if cut else len(rest))
    return 0


def column_role(header: str) -> str | None:
    m = COLUMN.match(header.strip())
    return COLUMN_ROLES[m.group(1)] if m else None
