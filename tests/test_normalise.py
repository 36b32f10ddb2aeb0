"""Normalisation: encodings, HTML, page chrome, a body printed twice, stable offsets."""

from __future__ import annotations

import pytest
from conftest import CORPUS

from policykg.normalise import NormaliseError, fold, normalise

SICHUAN = CORPUS / "sichuan-reply-03906-2025-10-09.txt"
BODY = ("一、总体要求\n各地要认真贯彻落实，推进城乡融合发展，确保2025年完成。\n"
        "什邡市探索推进县乡村治理数字化。\n")


def test_utf8_with_and_without_bom_give_the_same_text():
    a = normalise(BODY.encode("utf-8"), "a.txt")
    b = normalise(b"\xef\xbb\xbf" + BODY.encode("utf-8"), "b.txt")
    assert a.text == b.text
    assert not a.text.startswith("\ufeff")


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_gb_encodings_are_detected(encoding):
    n = normalise(BODY.encode(encoding), "gb.txt")
    assert n.encoding == "gb18030"
    assert n.text == normalise(BODY.encode("utf-8")).text


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"),
    (b"   \n ", "empty"),
    (b"\x00\x01\x02binary\x00", "binary"),
    (bytes(range(0x80, 0x100)) * 20, "cannot decode"),
])
def test_bad_input_is_a_clear_error_naming_the_file(data, reason):
    with pytest.raises(NormaliseError, match=rf"bad\.txt: .*{reason}"):
        normalise(data, "bad.txt")


def test_html_page_is_turned_into_text_without_scripts_and_chrome():
    html = ("<html><head><title>t</title><script>var x='《假标题》';</script>"
            "<style>p{}</style></head><body><nav>首页 &gt; 政策</nav>"
            "<div class='share'>分享到</div><p>关于&ldquo;无废城市&rdquo;的通知</p>"
            "<p>推进农村改革&amp;发展。</p><p>扫一扫在手机打开当前页</p>"
            "<footer>主办单位：某某办公厅</footer></body></html>")
    n = normalise(html.encode("utf-8"), "page.html")
    assert "关于“无废城市”的通知" in n.text
    assert "推进农村改革&发展。" in n.text
    for junk in ("假标题", "分享到", "扫一扫", "主办单位", "p{}", "首页"):
        assert junk not in n.text, junk


def test_sample_page_chrome_removed_editor_kept_body_once():
    raw = SICHUAN.read_bytes()
    n = normalise(raw, SICHUAN.name)
    for junk in ("扫一扫在手机打开当前页", "微信公众号", "政务微博", "头条号", "手机版",
                 "运行维护单位", "【字体"):
        assert junk not in n.text, junk
    assert n.metadata["责任编辑"] == "刘化雨"
    assert n.text.count("构建生态发展新格局") == 1
    assert raw.decode("utf-8").count("构建生态发展新格局") == 2
    assert any("printed twice" in r for r in n.removed)


def test_offsets_are_stable():
    raw = SICHUAN.read_bytes()
    assert normalise(raw, "x").text == normalise(raw, "y").text
    assert normalise(raw).content_hash == normalise(raw).content_hash
    assert normalise(raw).content_hash.startswith("sha256:")


def test_full_and_half_width_punctuation_fold_alike():
    assert fold("第03906号(经济发展类268号),") == fold("第03906号（经济发展类268号），")
    assert fold("“三权分置”") == fold('"三权分置"')


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_read(encoding):
    data = BODY.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    n = normalise(data, "wide.txt")
    assert n.text == normalise(BODY.encode("utf-8")).text
    assert n.encoding.startswith(encoding[:6])


def test_utf16_without_a_byte_order_mark_is_refused_saying_so():
    with pytest.raises(NormaliseError, match=r"wide\.txt: .*NUL bytes.*UTF-16"):
        normalise(BODY.encode("utf-16-le"), "wide.txt")


@pytest.mark.parametrize("start,end", [(0, -1), (0, -2), (1, None), (2, -1)])
def test_utf8_cut_inside_a_character_at_either_end_is_read_without_it(start, end):
    """A file broken off mid-character (a download cut short) was refused whole as
    'cannot decode as UTF-8 or GB18030'."""
    data = BODY.encode("utf-8")[:-1]  # BODY ends in 。\n: cut into 。
    n = normalise(data[start:end], "cut.txt")
    whole = normalise(BODY.encode("utf-8")).text
    assert n.encoding == "utf-8"
    assert n.text.strip("\n") in whole and len(n.text) > len(whole) - 4
    assert any("cut at the" in r for r in n.removed)


def test_utf8_broken_in_the_middle_is_refused_with_the_place():
    data = BODY.encode("utf-8")
    with pytest.raises(NormaliseError, match=r"mid\.txt: cannot decode .*at byte 9"):
        normalise(data[:9] + b"\xff" + data[10:], "mid.txt")
