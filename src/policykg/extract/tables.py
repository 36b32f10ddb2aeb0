"""Tables (one row a line, cells joined by " | "): a table whose first column is a number
(序号) is a numbered list; each row an item, its ordinal from that column and its text from
the next. Group headings inside the table (一、…方面（共5项）) are left to the section reader.
A row numbering with gaps (1–14, 21–23: a portal's 本文有删减) keeps the numbers written and
invents nothing; the count the text states (改革举措（共23项）) is kept beside them.
Every other column is a property of the row's item: bodies (牵头部门 …) as duties, the rest
as cells whose kind (description, scope, deadline, other) comes from table_columns.tsv."""

from __future__ import annotations

import re
from functools import cache

from policykg.extract.context import Context
from policykg.extract.lists import item_class
from policykg.extract.responsible import column_role
from policykg.extract.text import DATE_RE, NUM, date_from_match, to_int
from policykg.records import CellRecord, Duty, ItemRecord, ListRecord, TaskRecord
from policykg.tables import read_table

SEP = " | "
NUMBER_HEADERS = ("序号", "编号", "序")
GROUP = re.compile(r"^[一二三四五六七八九十]+、")  # a group heading row inside the table


@cache
def column_kinds() -> dict[str, str]:
    """Header → description | scope | deadline, from table_columns.tsv."""
    return {r["header"]: r["kind"] for r in read_table("table_columns.tsv")}


def tables(ctx: Context) -> None:
    lines = ctx.raw.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    i = 0
    while i < len(lines):
        header = [c.strip() for c in lines[i].split("|")]
        if SEP not in lines[i] or header[0] not in NUMBER_HEADERS or len(header) < 2:
            i += 1
            continue
        noun = header[1]
        before = lines[i - 1].strip() if i and SEP not in lines[i - 1] else noun
        stated = _stated(ctx.raw, noun, before)
        header_ev = ctx.ev(offsets[i], offsets[i] + len(lines[i]))
        # columns naming responsible bodies (牵头部门, 指导部门 …): their index and role
        roles = {k: r for k, h in enumerate(header) if (r := column_role(h))}
        lst = None
        j = i + 1
        while j < len(lines) and (SEP in lines[j] or GROUP.match(lines[j])):
            cells = lines[j].split(SEP)
            n = to_int(cells[0].strip()) if SEP in lines[j] else None
            if n is not None and len(cells) > 1 and cells[1].strip():
                if lst is None or (lst.items and n <= lst.items[-1].ordinal):
                    # numbering that starts again (a row repeated, two tables run together)
                    # starts another list: one row number, one item; the stated count is
                    # the first run's alone
                    lst = ListRecord(key=f"L{len(ctx.out.lists) + 1}",
                                     item_class=item_class(noun) or "Measure", heading=before,
                                     defined_in=ctx.out.document.key,
                                     stated_count=None if lst else stated,
                                     evidence=[header_ev])
                    ctx.out.lists.append(lst)
                text = cells[1].strip()
                cell_start = lines[j].index(cells[1], len(cells[0]))
                s = offsets[j] + cell_start + len(cells[1]) - len(cells[1].lstrip())
                item = ItemRecord(text=text, ordinal=n, evidence=[ctx.ev(s, s + len(text))])
                item.cells = _row_cells(ctx, lines[j], offsets[j], header, roles)
                # a 完成时限 cell is due by its last date (2019年—2020年 → 2020)
                for c in item.cells:
                    if c.kind == "deadline" and (dates := list(DATE_RE.finditer(c.text))):
                        lst.deadlines[n] = date_from_match(dates[-1])
                lst.items.append(item)
                _row_duties(ctx, lst.key, n, text, cells, offsets[j], roles)
            j += 1
        i = j


def _row_duties(ctx: Context, list_key: str, n: int, text: str, cells: list[str],
                row_start: int, roles: dict[int, str]) -> None:
    """The bodies a row's responsibility cells name, as duties on the row's item."""
    duties: list[Duty] = []
    cell_start = row_start
    for k, cell in enumerate(cells):
        if k in roles:
            for s, e, key in ctx.orgs_in(cell_start, cell_start + len(cell)):
                duties.append(Duty(role=roles[k], org=key, evidence=ctx.ev(s, e)))
        cell_start += len(cell) + len(SEP)
    if duties:
        ctx.out.tasks.append(TaskRecord(text=text, section=None, duties=duties,
                                        evidence=[d.evidence for d in duties],
                                        item=(list_key, n, text)))


def _row_cells(ctx: Context, line: str, row_start: int, header: list[str],
               roles: dict[int, str]) -> list[CellRecord]:
    """A row's cells after its item text that name no responsible body, each with the
    header of its column; places a scope cell names are kept with it. Cells are split on
    every "|", so an empty last cell whose trailing space was trimmed is still empty."""
    out: list[CellRecord] = []
    kinds = column_kinds()
    bounds = [-1, *(m.start() for m in re.finditer(r"\|", line)), len(line)]
    for k in range(2, min(len(bounds) - 1, len(header))):
        raw = line[bounds[k] + 1:bounds[k + 1]]
        text = raw.strip()
        if k in roles or not text or not header[k]:
            continue
        s = row_start + bounds[k] + 1 + len(raw) - len(raw.lstrip())
        kind = kinds.get(header[k], "other")
        if kind in ("description", "scope") and any(c.kind == kind for c in out):
            kind = "other"  # a second 内容-like column: kept as a cell, one description each
        rec = CellRecord(column=header[k], kind=kind, text=text,
                         evidence=ctx.ev(s, s + len(text)))
        if kind == "scope":
            rec.places = [(code, ctx.ev(ps, pe)) for ps, pe, code
                          in _most_specific(ctx.places_in(s, s + len(text)))]
        out.append(rec)
    return out


def _most_specific(mentions: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Places named, without a parent that only qualifies the next one: 四川省成都市 is
    成都市, while 四川省、重庆市 are both."""
    out = []
    for k, (s, e, code) in enumerate(mentions):
        nxt = mentions[k + 1] if k + 1 < len(mentions) else None
        if nxt and nxt[0] == e and nxt[2] != code and nxt[2].startswith(code.rstrip("0")):
            continue
        out.append((s, e, code))
    return out


def _stated(text: str, noun: str, heading: str) -> int | None:
    """'改革举措（共23项）' in the text, or 共N项 in the table's own heading."""
    for pattern in (rf"{re.escape(noun)}[（(]共({NUM})项[)）]", rf"共({NUM})项"):
        m = re.search(pattern, text if pattern.startswith(re.escape(noun)) else heading)
        if m:
            return to_int(m.group(1))
    return None
