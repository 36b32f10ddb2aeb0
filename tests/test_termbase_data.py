"""The bundled termbase tables (src/policykg/data/organizations.tsv, provincial_bodies.tsv,
terms.tsv): their shape, a few known entries, and that every organisation and list item of
the gold files resolves to exactly one row. Reads only the files in the repository."""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "policykg" / "data"
GOLD = ROOT / "tests" / "gold"

ORG_COLUMNS = ["id", "zh", "en", "en_source", "aliases_zh", "aliases_en", "kind", "status",
               "note"]
PROV_COLUMNS = ["id", "zh_template", "en_template", "en_source", "aliases_zh", "note",
                "municipal_zh", "municipal_en"]
TERM_COLUMNS = ["zh", "en", "type", "en_source", "aliases_zh", "note"]
TABLES = {
    "organizations.tsv": ORG_COLUMNS,
    "provincial_bodies.tsv": PROV_COLUMNS,
    "terms.tsv": TERM_COLUMNS,
}

EN_SOURCES = {"official", "glossary", "curated"}
KINDS = {"party-central", "state-council", "ministry", "commission", "administration", "office",
         "leading-group", "bank", "legislature", "cppcc", "enterprise", "provincial-template",
         "collective",
         "other"}
TERM_TYPES = {"term", "genre", "zone", "program", "item", "project", "event", "measure"}
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
PROVINCE = {"{p}": "四川", "{P}": "Sichuan"}  # every provincial body in the gold is Sichuan's
COUNT_SUFFIX = re.compile(r"(?:（共\d+项）|\d+项)$")  # 知识产权保护方面5项, …（共5项）


def _lines(name: str) -> list[str]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return [ln.rstrip("\r\n") for ln in fh if ln.strip() and not ln.startswith("#")]


@cache
def rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(_lines(name), delimiter="\t", quoting=csv.QUOTE_NONE))


def cells(cell: str) -> list[str]:
    return [x for x in cell.split("|") if x]


def fill(template: str) -> str:
    for k, v in PROVINCE.items():
        template = template.replace(k, v)
    return template


@cache
def org_names() -> dict[str, set[str]]:
    """Every Chinese name (canonical or alias) → the keys of the rows claiming it:
    national rows by id, provincial templates filled in for Sichuan."""
    names: dict[str, set[str]] = {}
    for r in rows("organizations.tsv"):
        for n in {r["zh"], *cells(r["aliases_zh"])}:
            names.setdefault(n, set()).add(r["id"])
    for r in rows("provincial_bodies.tsv"):
        for n in {fill(r["zh_template"]), *map(fill, cells(r["aliases_zh"]))}:
            names.setdefault(n, set()).add("provincial:" + r["id"])
    return names


@cache
def org_english() -> dict[str, str]:
    en = {r["id"]: r["en"] for r in rows("organizations.tsv")}
    en.update({"provincial:" + r["id"]: fill(r["en_template"])
               for r in rows("provincial_bodies.tsv")})
    return en


@cache
def term_names() -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for r in rows("terms.tsv"):
        for n in {r["zh"], *cells(r["aliases_zh"])}:
            names.setdefault(n, set()).add(r["zh"])
    return names


def gold(name: str) -> dict:
    return json.loads((GOLD / name).read_text(encoding="utf-8"))


GOLD_FILES = sorted(p.name for p in GOLD.glob("*.json"))


# --- shape ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(TABLES))
def test_header_and_column_count(name):
    lines = _lines(name)
    assert lines[0].split("\t") == TABLES[name]
    for ln in lines[1:]:
        assert len(ln.split("\t")) == len(TABLES[name]), ln


@pytest.mark.parametrize("name", sorted(TABLES))
def test_cells_are_clean(name):
    for r in rows(name):
        for k, v in r.items():
            assert v == v.strip(), (k, r)
            assert not v.startswith('"'), (k, r)  # stays safe for quoting csv readers
            assert "||" not in v and not v.startswith("|") and not v.endswith("|"), (k, r)
        assert r["en_source"] in EN_SOURCES, r


def test_organizations():
    orgs = rows("organizations.tsv")
    assert 120 <= len(orgs) <= 200
    ids = [r["id"] for r in orgs]
    assert len(set(ids)) == len(ids)
    for r in orgs:
        assert SLUG.fullmatch(r["id"]), r
        assert r["zh"] and r["en"], r
        assert r["kind"] in KINDS, r
        assert r["status"] in {"current", "former"}, r
    for r in orgs:  # a former body names its successor(s) by id in the note
        if r["status"] == "former":
            assert set(re.findall(r"[a-z0-9-]+", r["note"])) & set(ids), r


def test_no_organisation_name_claimed_twice():
    clashes = {n: ks for n, ks in org_names().items() if len(ks) > 1}
    assert not clashes


def test_provincial_templates():
    prov = rows("provincial_bodies.tsv")
    ids = [r["id"] for r in prov]
    assert len(set(ids)) == len(ids) and len(prov) >= 20
    for r in prov:
        assert SLUG.fullmatch(r["id"]), r
        assert "{p}" in r["zh_template"] and "{P}" in r["en_template"], r
        for a in cells(r["aliases_zh"]):  # absolute ({p}…) or relative (省…) forms
            assert "{p}" in a or a.startswith("省"), r


def test_terms():
    terms = rows("terms.tsv")
    zh = [r["zh"] for r in terms]
    assert len(set(zh)) == len(zh)
    for r in terms:
        assert r["zh"] and r["en"], r
        assert r["type"] in TERM_TYPES, r
    clashes = {n: ks for n, ks in term_names().items() if len(ks) > 1}
    assert not clashes
    types = {r["type"] for r in terms}
    assert types == TERM_TYPES


# --- spot checks ---------------------------------------------------------------------

def org_row(zh: str) -> dict[str, str]:
    (row,) = [r for r in rows("organizations.tsv") if r["zh"] == zh]
    return row


def test_ndrc():
    r = org_row("国家发展和改革委员会")
    assert "国家发展改革委" in cells(r["aliases_zh"])
    assert "Development" in r["en"] and "Reform" in r["en"]


def test_pboc():
    r = org_row("中国人民银行")
    assert "人民银行" in cells(r["aliases_zh"])
    assert r["en"] == "People's Bank of China"


def test_former_bodies_of_2004():
    for zh in ("农业部", "国土资源部", "建设部", "交通部", "国家环境保护总局", "国家林业局",
               "国务院西部地区开发领导小组办公室", "国务院振兴东北地区等老工业基地领导小组办公室",
               "国务院扶贫开发领导小组办公室", "中国银行保险监督管理委员会", "国家乡村振兴局"):
        assert org_row(zh)["status"] == "former", zh
    assert org_row("国务院国有资产监督管理委员会")["status"] == "current"


def test_sichuan_templates_fill_in():
    names = org_names()
    assert names["省委"] == names["中共四川省委"] == {"provincial:provincial-party-committee"}
    assert org_english()["provincial:provincial-government-office"] == (
        "General Office of the Sichuan Provincial People's Government")


# --- the gold files ------------------------------------------------------------------

@pytest.mark.parametrize("name", GOLD_FILES)
def test_gold_organisations_resolve_to_one_row(name):
    for org in gold(name)["organizations"]:
        keys = set()
        for n in [org["label_zh"], *org.get("aliases", [])]:
            found = org_names().get(n, set())
            assert len(found) == 1, (n, found)
            keys |= found
        assert len(keys) == 1, (org["label_zh"], keys)  # label and aliases: the same row
        en = org_english()[keys.pop()].lower()
        for word in org.get("en_contains", []):
            assert word.lower() in en, (org["label_zh"], word, en)


def gold_item_labels(g: dict) -> list[str]:
    """Names of list items, projects, programmes, zones, events and measures in a gold file
    (for lists given by first and last item only, those two)."""
    out: list[str] = []
    lists = g.get("numbered_lists", {})
    for lst in lists.values() if isinstance(lists, dict) else lists:
        if isinstance(lst, dict) and "items" in lst:
            out += lst["items"]
        elif isinstance(lst, dict) and "first_item" in lst:
            out += [lst["first_item"], lst["last_item"]]
    for lst in g.get("unnumbered_lists", []):
        out += [lst["first_item"], lst["last_item"]]
    for key in ("projects", "pilots_and_zones", "pilot_programs", "measures_next_steps"):
        out += [x["label_zh"] for x in g.get(key, [])]
    out += [e["what"] for e in g.get("events", [])]
    if "trial_zone" in g:
        out += [g["trial_zone"]["label_zh"], *g["trial_zone"]["aliases"]]
    out += g.get("trial_tasks", {}).get("named", [])
    return [COUNT_SUFFIX.sub("", x) for x in out]


@pytest.mark.parametrize("name", GOLD_FILES)
def test_gold_items_have_a_term_row(name):
    labels = gold_item_labels(gold(name))
    assert labels
    missing = [x for x in labels if len(term_names().get(x, set())) != 1]
    assert not missing


def test_sichuan_lists_complete():
    g = gold("sichuan-reply-03906.json")
    by_zh = {r["zh"]: r for r in rows("terms.tsv")}
    for key, type_ in (("reform_items_zone", "item"), ("projects_ten", "project"),
                       ("reform_tasks_county", "item")):
        items = g["numbered_lists"][key]["items"]
        assert all(by_zh[x]["type"] == type_ for x in items), key
    assert by_zh["四川成都西部片区国家城乡融合发展试验区"]["type"] == "zone"
    assert "Western Chengdu" in by_zh["四川成都西部片区国家城乡融合发展试验区"]["en"]
