"""Names hidden from the screener without changing how they look (issue 10, item 1), and names
with nothing to screen (Low).

Every disguise must score as the plain name does, and the hit must say the input was altered:
hiding a name is itself a red flag an analyst should see.
"""

import sys
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redflags.exc import QueryError
from redflags.screen import Screener, make_query

LISTED = [
    {"id": "kju", "schema": "Person", "caption": "KIM, Jong Un", "properties": {"name": ["KIM, Jong Un"]},
     "lists": ["SDN List"]},
    {"id": "hik", "schema": "Company", "caption": "Hangzhou Hikvision Digital Technology Co., Ltd.",
     "properties": {"name": ["Hangzhou Hikvision Digital Technology Co., Ltd."]}, "lists": ["Entity List"]},
    {"id": "huawei", "schema": "Company", "caption": "Huawei Technologies Co., Ltd.",
     "properties": {"name": ["Huawei Technologies Co., Ltd."]}, "lists": ["Entity List"]},
    {"id": "sber", "schema": "Company", "caption": "Сбербанк России",
     "properties": {"name": ["Сбербанк России"]}, "lists": ["SSI List"]},
    {"id": "other", "schema": "Person", "caption": "Kim Jong Man", "properties": {"name": ["Kim Jong Man"]},
     "lists": ["SDN List"]},
]


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(LISTED)


def best(screener: Screener, name: str, schema: str | None = None) -> dict[str, Any]:
    hits = screener.match(make_query(name, schema), limit=1)
    assert hits, f"no hit for {name!r}"
    return hits[0]


def zw(text: str, char: str = "\u200b") -> str:
    return char.join(text)


DISGUISES = [
    # (disguised name, plain name it must score like, what the explanation must say)
    (zw("Kim Jong Un"), "Kim Jong Un", "U+200B ZERO WIDTH SPACE"),
    ("Ki\u00adm Jo\u00adng Un", "Kim Jong Un", "U+00AD SOFT HYPHEN"),
    ("Kim\u2060Jong\u2060Un", "KimJongUn", "U+2060 WORD JOINER"),
    ("K\u200ci\u200dm Jong Un", "Kim Jong Un", "ZERO WIDTH NON-JOINER"),
    ("\ufeffKim Jong\u180e Un", "Kim Jong Un", "invisible"),
    ("Kim Jong Un\U000e0041\U000e0042", "Kim Jong Un", "TAG LATIN CAPITAL LETTER A"),
    # stored reversed inside a right-to-left override: it displays as the listed name
    ("\u202enU gnoJ miK\u202c", "Kim Jong Un", "direction override"),
    ("Kim \u202egnoJ\u202c Un", "Kim Jong Un", "direction override"),
    # look-alike letters of another script
    ("Kim J\u043eng Un", "Kim Jong Un", "Cyrillic letters read as Latin"),
    ("\u041a\u0456m Jong Un", "Kim Jong Un", "Cyrillic letters read as Latin"),
    ("HIKVISI\u039fN DIGITAL TECHNOLOGY", "HIKVISION DIGITAL TECHNOLOGY", "Greek letters read as Latin"),
    ("Huawei \u0422\u0415\u0421\u041d", "Huawei TECH", "Cyrillic letters read as Latin"),
    ("\u0421\u0431e\u0440\u0431\u0430\u043d\u043a \u0420\u043e\u0441\u0441\u0438\u0438", "Сбербанк России",
     "Latin letters read as Cyrillic"),
    # full-width and mathematical letters
    ("\uff2b\uff49\uff4d Jong Un", "Kim Jong Un", "full-width or styled letters"),
    ("\U0001d40a\U0001d422\U0001d426 Jong Un", "Kim Jong Un", "full-width or styled letters"),
]


@pytest.mark.parametrize(("disguised", "plain", "said"), DISGUISES)
def test_a_disguised_name_scores_as_the_plain_one_and_says_so(screener: Screener, disguised: str, plain: str,
                                                               said: str) -> None:
    expected = best(screener, plain)
    hit = best(screener, disguised)
    assert hit["id"] == expected["id"]
    assert hit["score"] == pytest.approx(expected["score"], abs=0.005)
    assert hit["match"]
    assert any(said in change for change in hit["explanation"]["input_altered"]), hit["explanation"]
    assert hit["explanation"]["summary"].startswith("INPUT ALTERED:")


def test_a_plain_name_says_nothing_of_alterations(screener: Screener) -> None:
    for name in ("Kim Jong Un", "杭州海康威视数字技术股份有限公司", "Сбербанк России", "華為（香港）有限公司",
                 "ＴＣＬ科技集团股份有限公司"):
        hit = best(screener, name)
        assert "input_altered" not in hit["explanation"]
        assert not hit["explanation"]["summary"].startswith("INPUT ALTERED")


def test_an_override_is_also_read_as_stored() -> None:
    """An override inserted anywhere must not hide the name that is stored: both readings are screened."""
    from redflags.normalise.text import sanitise

    reading = sanitise("Kim \u202eJong Un")
    assert reading.text == "Kim nU gnoJ"
    assert [a.text for a in reading.alternatives] == ["Kim Jong Un"]


def test_every_format_character_is_invisible_to_matching() -> None:
    from redflags.normalise.text import _INVISIBLE

    missing = [f"U+{c:04X}" for c in range(sys.maxunicode + 1)
               if unicodedata.category(chr(c)) == "Cf" and not _INVISIBLE.match(chr(c))]
    assert not missing, missing


@pytest.mark.parametrize("name", ["😀😀", "!!!", "\u200b\u200b\u200b", "  --  ", "\u202e\u202c", "🇨🇳"])
def test_a_name_without_letters_or_digits_is_refused(name: str) -> None:
    from redflags.normalise.text import readable

    assert not readable(name)
    with pytest.raises(QueryError, match="no letters or digits"):
        make_query(name)


def test_a_name_without_letters_is_a_row_error_in_a_screening(store: Any, tmp_path: Any, fixture_path: Any) -> None:
    import json

    from redflags import ingest
    from redflags.batch import Options, screen_file

    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    source = tmp_path / "v.csv"
    source.write_text("name\n😀😀\n\u200b\u200b\nHIKVISION DIGITAL TECH CO LTD\n", encoding="utf-8")
    screen_file(store, source, tmp_path / "out.jsonl", Options(workers=1))
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["status"] for r in rows] == ["error", "error", "alert"]
    assert "no letters or digits" in rows[0]["error"]


# Format characters that may be slipped into a name, the overrides among them.
FORMAT_CHARS = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40),
       inserts=st.lists(st.tuples(st.integers(0, 40), st.sampled_from(FORMAT_CHARS)), min_size=1, max_size=8))
def test_format_characters_never_lower_a_score(name: str, inserts: list[tuple[int, str]]) -> None:
    """Any string as a listed name; any insertion of format characters into it as the query:
    the score may not drop by more than 0.02."""
    from redflags.normalise.text import readable

    if not readable(name):
        return  # nothing to screen in the name itself
    screener = Screener([{"id": "x", "schema": "LegalEntity", "caption": name, "properties": {"name": [name]},
                          "lists": ["L"]}])
    disguised = list(name)
    for position, char in sorted(inserts, reverse=True):
        disguised.insert(min(position, len(disguised)), char)
    plain = screener.match(make_query(name), limit=1)
    hidden = screener.match(make_query("".join(disguised)), limit=1)
    plain_score = plain[0]["score"] if plain else 0.0
    hidden_score = hidden[0]["score"] if hidden else 0.0
    assert hidden_score >= plain_score - 0.02


def test_the_report_shows_an_altered_name(store: Any, tmp_path: Any, fixture_path: Any) -> None:
    import csv
    import io

    from redflags import ingest
    from redflags.batch import Options, screen_file

    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    source = tmp_path / "v.csv"
    source.write_text(f"name\n{zw('HIKVISION')} DIGITAL TECH CO LTD\n", encoding="utf-8")
    screen_file(store, source, tmp_path / "out.html", Options(output_format="html", workers=1))
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert 'class="altered"' in html and "U+200B ZERO WIDTH SPACE" in html
    screen_file(store, source, tmp_path / "out.csv", Options(output_format="csv", workers=1))
    row = next(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"))))
    assert row["status"] == "alert" and row["explanation"].startswith("INPUT ALTERED")
