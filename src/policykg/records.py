"""Typed records passed from extraction to mapping. Plain data, no RDF.

Every record read from text carries `Evidence`: the exact quote, its character offsets in
the normalised text, and the sentence around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, order=True)
class Evidence:
    start: int
    end: int
    quote: str
    sentence: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class DateValue:
    """A date as precise as written: '2019-05' (gYearMonth), '2025-10-09T17:38:00', …"""

    value: str
    precision: str  # 'year' | 'month' | 'day' | 'datetime'


@dataclass
class OrgRecord:
    key: str  # stable id: termbase id or derived slug
    zh: str  # canonical Chinese name
    en: str
    en_method: str  # official | curated | composed | transliterated
    aliases_zh: set[str] = field(default_factory=set)
    aliases_en: set[str] = field(default_factory=set)
    evidence: list[Evidence] = field(default_factory=list)
    group: bool = False  # a set of bodies addressed together (各省、自治区、直辖市人民政府)


@dataclass
class PlaceRecord:
    code: str
    evidence: list[Evidence] = field(default_factory=list)
    written: set[str] = field(default_factory=set)  # forms seen in the text


@dataclass
class TownRecord:
    """A named town (镇, 乡, 街道): no code; its county when the text writes it in front."""

    name: str
    county: str | None  # admin code
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class RegionRecord:
    zh: str
    en: str
    en_method: str
    members: tuple[str, ...]  # admin codes
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class ProposalRecord:
    number: str
    title: str | None
    category_number: str | None
    session: str | None
    submitted_to: str | None  # org key
    evidence: list[Evidence] = field(default_factory=list)
    kind: str = "提案"  # 提案 (a CPPCC proposal) | 建议 (an NPC deputy's suggestion)


@dataclass
class DocumentRecord:
    """A document: the one being read (`primary`) or one it cites."""

    key: str
    title: str
    primary: bool = False
    number: str | None = None
    genre: str | None = None  # genre word: 函, 通知, 意见 …
    issued: DateValue | None = None
    posted: DateValue | None = None
    issuers: list[str] = field(default_factory=list)  # org keys
    stated_issuer_count: int | None = None
    publisher: str | None = None  # org key
    addressees: list[str] = field(default_factory=list)  # org keys
    editor: str | None = None
    aliases: set[str] = field(default_factory=set)
    evidence: list[Evidence] = field(default_factory=list)
    abridged: bool = False
    attachments: list[str] = field(default_factory=list)  # keys of documents it carries


@dataclass(frozen=True)
class Citation:
    citing: str  # document key
    cited: str
    legal_basis: bool
    evidence: Evidence


@dataclass
class CellRecord:
    """One cell of a table row beyond its number, its item text and its responsible bodies:
    what the column holds (description | scope | other) under the header written."""

    column: str  # the header as written, e.g. 主要内容
    kind: str  # description | scope | deadline | other
    text: str
    evidence: Evidence
    places: list[tuple[str, Evidence]] = field(default_factory=list)  # (place code, mention)


@dataclass
class ItemRecord:
    text: str
    ordinal: int | None
    evidence: list[Evidence] = field(default_factory=list)
    within: tuple[str, int] | None = None  # (list key, ordinal) of the parent section
    cells: list[CellRecord] = field(default_factory=list)  # a table row's other columns


@dataclass
class StatedRecord:
    """A dated target or an amount stated somewhere in the text."""

    kind: str  # target | amount
    text: str  # the clause that states it
    deadline: DateValue | None = None
    amount: Decimal | None = None
    section: tuple[str, int] | None = None  # (list key, ordinal) of the section stating it
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class Duty:
    """A body named as responsible for a task, in a role."""

    role: str  # lead | participant | responsible | guide
    org: str  # org key
    evidence: Evidence


@dataclass
class TaskRecord:
    """Work the text assigns to named bodies. Either a task of its own (the text before the
    parenthesis naming them), or bodies on an item already read: the numbered section
    (`on_section`) or a table row (`item` = (list key, ordinal, text))."""

    text: str
    section: tuple[str, int] | None  # (list key, ordinal) of the section it is in
    duties: list[Duty] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    on_section: bool = False
    item: tuple[str, int | None, str] | None = None


@dataclass
class QuantityRecord:
    """A percentage, a range, a count or a measure (95%以上, 60%—70%, 1000万—2000万元,
    191个水环境保护项目, 13万公顷)."""

    text: str  # the clause that states it
    unit: str  # % | 元 | a measure word (个 项 …) | a unit (公顷 吨 年 …), scale applied
    value: Decimal | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    counted: str | None = None  # what a count counts, as written (水环境保护项目)
    approximate: bool = False  # 10个左右, 约500亩
    section: tuple[str, int] | None = None
    target: tuple[int, int] | None = None  # evidence span of the dated target it belongs to
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class ListRecord:
    key: str  # unique within the extraction
    item_class: str  # ReformItem | TrialTask | Project | Measure
    heading: str
    defined_in: str  # document key
    stated_count: int | None = None
    stated_count_text: str | None = None
    concerns: str | None = None  # zone or programme key
    items: list[ItemRecord] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    deadlines: dict[int, DateValue] = field(default_factory=dict)  # ordinal → deadline


@dataclass
class ZoneRecord:
    key: str
    label: str
    aliases: set[str] = field(default_factory=set)
    program: str | None = None  # programme key
    established_by: str | None = None  # document key
    stated_case_count: int | None = None
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class ProgramRecord:
    key: str
    label: str
    level: str | None = None  # national | provincial
    aliases: set[str] = field(default_factory=set)
    defined_in: str | None = None
    participants: list[tuple[str, Evidence]] = field(default_factory=list)  # (place code|zone key)
    stated_participant_count: int | None = None
    participant_formula: str | None = None
    selects_from: str | None = None  # list key
    select_count: int | None = None
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class EventRecord:
    key: str
    label: str
    date: DateValue | None
    stated_project_count: int | None
    amount: Decimal | None  # yuan
    amount_text: str | None
    concerns: str | None
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class Explores:
    place: str  # admin code
    list_key: str
    ordinal: int | None
    item_text: str
    evidence: Evidence


@dataclass
class Extraction:
    """Everything read from one document."""

    document: DocumentRecord
    source: str
    content_hash: str
    text: str
    documents: dict[str, DocumentRecord] = field(default_factory=dict)  # cited, by key
    proposal: ProposalRecord | None = None
    citations: list[Citation] = field(default_factory=list)
    orgs: dict[str, OrgRecord] = field(default_factory=dict)
    places: dict[str, PlaceRecord] = field(default_factory=dict)
    regions: dict[str, RegionRecord] = field(default_factory=dict)  # by Chinese name
    towns: dict[str, TownRecord] = field(default_factory=dict)  # by "county:name"
    lists: list[ListRecord] = field(default_factory=list)
    zones: dict[str, ZoneRecord] = field(default_factory=dict)
    programs: dict[str, ProgramRecord] = field(default_factory=dict)
    events: list[EventRecord] = field(default_factory=list)
    explores: list[Explores] = field(default_factory=list)
    stated: list[StatedRecord] = field(default_factory=list)  # targets and amounts
    tasks: list[TaskRecord] = field(default_factory=list)  # responsible bodies
    quantities: list[QuantityRecord] = field(default_factory=list)  # percentages, ranges
    # (offset of its title line, key) of each document carried in the text (a cover
    # notice's plan, an attachment): text from there on belongs to it
    parts: list[tuple[int, str]] = field(default_factory=list)
