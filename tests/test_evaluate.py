"""`policykg evaluate`: the graph of a document against its gold file (tests/gold/)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, GOLD, load_gold

from policykg.evaluate import (
    EvaluationError,
    date_key,
    evaluate_gold,
    gold_lists,
    resolve_source,
)

SICHUAN = GOLD / "sichuan-reply-03906.json"
ALL_GOLD = sorted(GOLD.glob("*.json"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "policykg", "evaluate", *args],
                          capture_output=True, text=True, timeout=600,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def sichuan():
    return evaluate_gold(SICHUAN)


def _write(tmp_path: Path, gold: dict, name: str = "gold.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    return path


# --- the Sichuan letter: the pipeline already gets these (see test_gold_sichuan.py) --------

@pytest.mark.parametrize("kind", ["organisations", "places", "list_items", "amounts"])
def test_sichuan_recall_is_complete(sichuan, kind):
    r = sichuan.types[kind]
    assert r is not None and r.gold > 0
    assert r.recall == 1.0, r.misses
    assert r.misses == []


@pytest.mark.parametrize("kind", ["organisations", "places"])
def test_sichuan_precision_is_complete(sichuan, kind):
    r = sichuan.types[kind]
    assert r.precision == 1.0, r.extras


def test_sichuan_counts(sichuan):
    gold = load_gold(SICHUAN.name)
    t = sichuan.types
    assert t["organisations"].gold == len(gold["organizations"])
    assert t["places"].gold == len(gold["places"])
    # 德阳市 is matched by its code but, a gazetteer parent without evidence, not counted
    # among the graph's places
    assert t["places"].graph_total == len(gold["places"]) - 1
    assert t["amounts"].gold == 1
    numbered = sum(len(x["items"]) for x in gold["numbered_lists"].values() if "items" in x)
    assert numbered == 42
    assert t["list_items"].gold >= numbered + len(gold["measures_next_steps"])
    assert sichuan.document.endswith("/id/doc/t-a00608b20ac1")


def test_every_type_applies_to_every_gold_file():
    for path in ALL_GOLD:
        d = evaluate_gold(path)
        assert all(r is not None for r in d.types.values()), path.name
        for r in d.types.values():
            assert r.matched + len(r.misses) == r.gold
            assert len(r.extras) <= r.graph_total


# --- a doctored gold: recall drops for exactly the doctored types --------------------------

def test_doctored_gold_lowers_recall_where_doctored(tmp_path, sichuan):
    gold = load_gold(SICHUAN.name)
    gold["organizations"].append({"label_zh": "国家航天局", "en_contains": ["Space"]})
    gold["numbered_lists"]["projects_ten"]["items"][3] = "天府水源保护工程"
    doctored = evaluate_gold(_write(tmp_path, gold))

    for kind, base in sichuan.types.items():
        r = doctored.types[kind]
        if kind in ("organisations", "list_items"):
            assert r.recall < base.recall == 1.0, kind
        else:
            assert r.recall == base.recall, kind
            assert r.misses == base.misses, kind
    orgs = doctored.types["organisations"]
    assert orgs.misses == ["organisation 国家航天局"]
    assert orgs.precision == 1.0  # every organisation in the graph is still in the gold
    items = doctored.types["list_items"]
    assert len(items.misses) == 1
    assert "item 4 天府水源保护工程" in items.misses[0]
    assert "天府水源工程" in items.misses[0]  # what the graph has at that ordinal
    # …and the graph's item 4 now matches no gold fact: the one new extra
    new = [x for x in items.extras if x not in sichuan.types["list_items"].extras]
    assert len(new) == 1 and "天府水源工程" in new[0]


# --- sections the gold lacks are n/a, not 1.0 ---------------------------------------------

def test_missing_sections_are_not_applicable(tmp_path):
    gold = {"source": "corpus/sichuan-reply-03906-2025-10-09.txt",
            "organizations": [{"label_zh": "国务院"}], "mystery_key": [1, 2]}
    d = evaluate_gold(_write(tmp_path, gold))
    assert d.types["organisations"].recall == 1.0
    assert d.types["organisations"].precision == 1 / 16
    assert {k for k, r in d.types.items() if r is None} == {
        "documents", "citations", "places", "list_items", "amounts", "dates"}
    assert d.overall().gold == 1


def test_empty_section_counts_nothing_but_applies(tmp_path):
    gold = {"source": "corpus/sichuan-reply-03906-2025-10-09.txt", "amounts": []}
    r = evaluate_gold(_write(tmp_path, gold)).types["amounts"]
    assert r is not None and r.gold == 0 and r.recall is None
    assert r.graph_total == 1 and r.precision == 0.0  # the event's amount is not in this gold


# --- gold shapes ---------------------------------------------------------------------------

def test_partial_lists_take_ordinals_from_the_numbering():
    gold = load_gold("state-council-innovation-measures-2018-12-23.json")
    lists = {g.name: g for g in gold_lists(gold)}
    table = lists["numbered_lists[2]"]
    assert table.items == [("知识产权民事、刑事、行政案件“三合一”审判", 1),
                           ("以地方立法形式建立推动改革创新的决策容错机制", 23)]
    assert table.listed == 17 and table.stated == "共23项" and not table.complete
    inline = lists["unnumbered_lists[0]"]
    assert [o for _, o in inline.items] == [None, None]


def test_full_lists_in_the_sichuan_shape():
    lists = {g.name: g for g in gold_lists(load_gold(SICHUAN.name))}
    assert len(lists["numbered_lists.projects_ten"].items) == 10
    assert lists["numbered_lists.projects_ten"].items[3] == ("天府水源工程", 4)
    assert "numbered_lists.body_mentions_of_zone_items" not in lists  # not a list
    assert lists["trial_tasks"].stated == 5
    assert lists["trial_zone.examples_of_experiences"].stated == "10余条"
    assert [o for _, o in lists["measures_next_steps"].items] == [1, 2, 3]


@pytest.mark.parametrize("text,key", [
    ("2025-10-09T17:38", ("dateTime", "2025-10-09T17:38:00")),
    ("2019-05", ("gYearMonth", "2019-05")),
    ("2018-12-23", ("date", "2018-12-23")),
    ("2025", ("gYear", "2025")),
    ("到2020年", ("gYear", "2020")),
    ("2019年6月底前", ("gYearMonth", "2019-06")),
    ("2004年8月5日", ("date", "2004-08-05")),
])
def test_date_keys(text, key):
    dt, value = date_key(text)
    assert (dt.rsplit("#", 1)[-1], value) == key


def test_no_date_in_text():
    assert date_key("今后一个时期") is None


# --- finding the source --------------------------------------------------------------------

def test_source_in_a_given_corpus(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    shutil.copy(CORPUS / "sichuan-reply-03906-2025-10-09.txt", corpus)
    found = resolve_source("corpus/sichuan-reply-03906-2025-10-09.txt", SICHUAN, corpus)
    assert found == corpus / "sichuan-reply-03906-2025-10-09.txt"
    with pytest.raises(EvaluationError, match="not found"):
        resolve_source("corpus/other.txt", SICHUAN, corpus)


def test_source_next_to_the_gold(tmp_path):
    (tmp_path / "texts").mkdir()
    shutil.copy(CORPUS / "sichuan-reply-03906-2025-10-09.txt", tmp_path / "texts" / "a.txt")
    (tmp_path / "gold").mkdir()
    gold = _write(tmp_path / "gold", {"source": "texts/a.txt", "places": []})
    assert evaluate_gold(gold).source == tmp_path / "texts" / "a.txt"


# --- the command ---------------------------------------------------------------------------

def test_cli_prints_a_table_per_document_and_the_misses(tmp_path):
    gold = load_gold(SICHUAN.name)
    gold["organizations"].append({"label_zh": "国家航天局", "en_contains": ["Space"]})
    doctored = _write(tmp_path, gold)
    r = run(str(doctored), str(GOLD / "state-council-reply-sichuan-2004-10-15.json"))
    assert r.returncode == 0, r.stderr
    for word in ("fact type", "precision", "recall", "organisations", "list_items",
                 "overall", "all 2 documents"):
        assert word in r.stdout, word
    assert "organisations missed (1)" in r.stdout
    assert "国家航天局" in r.stdout


def test_cli_json(tmp_path):
    partial = _write(tmp_path, {"source": "corpus/sichuan-reply-03906-2025-10-09.txt",
                                "organizations": [{"label_zh": "国务院"}]})
    r = run(str(SICHUAN), str(partial), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    full, part = data["documents"]
    orgs = full["types"]["organisations"]
    assert orgs["precision"] == orgs["recall"] == 1.0
    assert set(orgs) >= {"gold", "matched", "extra", "precision", "recall", "misses",
                         "extras"}
    assert part["types"]["places"] == "n/a"
    assert part["types"]["organisations"]["extra"] == 15
    assert data["overall"]["overall"]["gold"] == full["overall"]["gold"] + 1


def test_cli_missing_gold_file(tmp_path):
    r = run(str(tmp_path / "nope.json"))
    assert r.returncode == 2
    assert "nope.json" in r.stderr and "no such gold file" in r.stderr


def test_cli_unreadable_gold_and_missing_source(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    r = run(str(bad))
    assert r.returncode == 2 and "cannot read gold file" in r.stderr
    lost = _write(tmp_path, {"source": "corpus/missing.txt"}, "lost.json")
    r = run(str(lost))
    assert r.returncode == 2 and "corpus/missing.txt" in r.stderr and "not found" in r.stderr
