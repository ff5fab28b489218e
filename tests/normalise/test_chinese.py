"""Chinese names: CC-CEDICT glosses, curated conventions and aliases, places, numbers, persons.

Each rule and data file has labelled rows here; the matcher's use of them is in
tests/match/test_compare.py.
"""

import pytest

from redflags.normalise import cedict
from redflags.normalise.chinese import chinese_number, other_names, segment, surname_romanisations
from redflags.normalise.names import analyse_name
from redflags.normalise.pinyin import is_pinyin, pinyin, pinyin_syllables, syllable_initials


def readings(text: str) -> list[list[str]]:
    """Every reading of every part of every option of the segments, as words joined."""
    return [[" ".join(g.words) for option in seg.options for part in option for g in part] for seg in segment(text)]


@pytest.mark.parametrize(("definition", "proper", "expected", "place"), [
    ("country; nation; state/CL:個|个[ge4]", False, [("country",), ("nation",), ("state",)], False),
    ("to forge (metal)/forging", False, [("forge",), ("forging",)], False),
    ("research institute/graduate school/CL:個|个[ge4]", False, [("research", "institute"), ("graduate", "school")],
     False),
    ("Hami, prefecture-level city in Xinjiang", True, [("hami",)], True),
    ("Kashgar or Qeshqer (Kāshí) city and prefecture in the west of Xinjiang", True, [("kashgar",), ("qeshqer",)],
     True),
    ("Nankai district of Tianjin municipality 天津市[Tian1 jin1 shi4]", True, [("nankai",)], True),
    ("Xi'an, capital of Shaanxi", True, [("xian",)], True),
    ("Huawei (brand)", True, [("huawei",)], False),
    ("variant of 著[zhe5]/see 部分[bu4 fen5]/surname Wang", False, [], False),
])
def test_cedict_senses_are_cleaned_for_names(definition: str, proper: bool, expected: list[tuple[str, ...]],
                                             place: bool) -> None:
    found, is_place = cedict.clean_senses(definition, proper)
    assert found[: len(expected)] == expected and len(found) == len(expected)
    assert is_place is place


def test_cedict_is_read_from_the_package_into_a_lookup_table(tmp_path: object,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    monkeypatch.setattr(cedict, "CACHE_DIR", folder)
    monkeypatch.setattr(cedict, "_CONNECTIONS", {})
    cedict.entry.cache_clear()
    try:
        assert cedict.entry("遥感") == ((("remote", "sensing"),), "word")
        (table,) = folder.glob("cedict-*.sqlite")
        # a damaged table (a crash mid-write, a flipped byte) is built again, not trusted
        table.write_bytes(b"not a database" * 100)
        monkeypatch.setattr(cedict, "_CONNECTIONS", {})
        cedict.entry.cache_clear()
        assert cedict.entry("哈密") == ((("hami",),), "place")
    finally:
        cedict.entry.cache_clear()


@pytest.mark.parametrize(("text", "present"), [
    # every gloss is a candidate, the pinyin too
    ("遥感", ["remote sensing", "yaogan"]),
    ("研究所", ["research institute", "institute"]),
    # conventions of institutional names (zh_conventions.yml)
    ("理工大学", ["university of technology", "institute of technology"]),
    ("公安厅", ["public security department", "public security bureau"]),
    # a suffix after a place reads as nothing or as its English word
    ("哈密市", ["hami", "", "municipality"]),
    # the ordinal of an institute number
    ("第二研究院", ["2", "second"]),
    # a listed party's brand (zh_aliases.yml), or its words one by one
    ("深网视界", ["sensenets", "vision"]),
    # words English renderings leave out ("-")
    ("中国人民解放军", ["", "pla"]),
    # a run no dictionary knows: also cut in two pinyin words (a trade name and a descriptor)
    ("华孚鑫达", ["huafuxinda", "huafu", "xinda"]),
    ("华孚色纺", ["huafu", "textiles"]),
    # ... and the dictionary words at its end cut from the right, after the trade name
    # (from the left "大国" "great power" would take a character of each)
    ("科大云帆量子", ["keda", "yunfan", "quantum", "kedayunfan"]),
    # listed firms' own names for themselves (zh_aliases.yml)
    ("纳思达", ["ninestar"]),
    ("龙芯", ["loongson"]),
    ("中芯国际集成电路制造", ["semiconductor manufacturing international", "smic"]),
    # shipbuilding conventions (zh_conventions.yml)
    ("船用", ["marine"]),
    ("电力推进", ["electric propulsion"]),
])
def test_segments_offer_readings(text: str, present: list[str]) -> None:
    found = [r for seg in readings(text) for r in seg]
    for reading in present:
        assert reading in found, (reading, found)


def test_every_alias_names_its_public_source() -> None:
    """A row of zh_aliases.yml without a source does not belong there (issue 11)."""
    from redflags.normalise.chinese import _curated

    aliases = {word: note for word, (kind, _r, note) in _curated().entries.items() if kind == "alias"}
    assert len(aliases) > 100
    for word, note in aliases.items():
        assert note.startswith("alias from ") and len(note) > len("alias from ") + 8, word


def test_a_pinyin_part_of_a_run_keeps_its_own_characters() -> None:
    """The explanation, and a brand's initials, are of the characters read ("惠科", not "滁州惠科")."""
    form = analyse_name("滁州惠科光电科技有限公司", query=True)
    originals = {t.text: t.original for choice in form.choices for option in choice.options for part in option
                 for alt in part for t in alt}
    assert originals["huike"] == "惠科"


def test_alias_readings_name_their_source() -> None:
    (seg,) = segment("海康威视")
    gloss = seg.options[0][0][0]
    assert gloss.words == ("hikvision",) and gloss.note.startswith("alias from https://www.hikvision.com")


@pytest.mark.parametrize(("text", "value"), [("七〇四", 704), ("二十九", 29), ("一百零三", 103), ("十", 10)])
def test_institute_numbers(text: str, value: int) -> None:
    assert chinese_number(text) == value


def test_a_person_reads_as_surname_and_given_name() -> None:
    (seg,) = segment("王伟")
    whole, person = seg.options
    assert whole[0][0].words == ("wangwei",)
    assert [g.words for g in person[0]][:2] == [("wang",), ("wong",)]  # the surname's romanisations
    assert person[1][0].words == ("wei",)


def test_surname_romanisations() -> None:
    surnames = surname_romanisations()
    assert surnames["zhang"] & surnames["cheung"] & surnames["chang"]
    assert not surnames["liu"] & surnames["lu"]
    assert not surnames["zhang"] & surnames["zhong"]


@pytest.mark.parametrize(("word", "syllables", "pinyin"), [
    ("nanchang", ("nan", "chang"), True), ("guangzhou", ("guang", "zhou"), True), ("dahua", ("da", "hua"), True),
    ("hikvision", None, False), ("iflytek", None, False),
    ("sensetime", ("sen", "se", "ti", "me"), False),  # a coined brand that happens to cut into syllables
    # ... or only with a syllable pinyin sets off with an apostrophe (she'en)
    ("sheenrun", ("she", "en", "run"), False), ("xian", ("xian",), True)])
def test_pinyin_words_and_coined_brands(word: str, syllables: tuple[str, ...] | None, pinyin: bool) -> None:
    assert pinyin_syllables(word) == syllables
    assert is_pinyin(word) is pinyin


@pytest.mark.parametrize(("text", "others"), [
    ("山东省计算中心（国家超级计算济南中心）", ["国家超级计算济南中心", "山东省计算中心"]),
    ("中国商用飞机有限责任公司上海飞机设计研究院", ["上海飞机设计研究院"]),
    ("中芯国际集成电路制造（深圳）有限公司", []),  # a place in parentheses is part of the name
    ("华为技术有限公司", []),
])
def test_other_names_inside_a_chinese_name(text: str, others: list[str]) -> None:
    assert other_names(text) == others


def test_explanation_words_of_a_chinese_name_carry_their_source() -> None:
    form = analyse_name("哈密市公安局")
    assert form.words == ("hami", "public", "security", "bureau")
    notes = {t.text: t.note for t in form.tokens}
    assert "zh_words" in notes["hami"] and "zh_conventions" in notes["bureau"]
    assert form.choices and "municipality" in form.alt_words


@pytest.mark.parametrize("chars,expected", [
    ("海康威视", "haikangweishi"),  # no dictionary word: each character's usual reading
    ("重庆", "chongqing"),  # 重 is "zhong" alone, "chong" in the place name
    ("长沙", "changsha"),
    ("长海", "changhai"),  # 长 in a word CC-CEDICT knows
    ("阿勒泰市", "aletaishi"),
    ("绿", "lv"),  # ü as v, the way the lists never write it but pinyin keyboards do
])
def test_pinyin_reads_characters_in_their_words(chars: str, expected: str) -> None:
    assert pinyin(chars) == expected


def test_syllable_initials() -> None:
    assert syllable_initials("海康威视") == ("h", "k", "w", "sh")
    assert syllable_initials("安") == ("a",)


def test_a_japanese_company_name_keeps_its_kana_and_reads_its_legal_form() -> None:
    """"株式会社ソニー" was read as the words "Japanese limited company" (CC-CEDICT's gloss of 株式会社)
    and its katakana dropped: every Japanese company name then matched the listed Japanese alias of
    Kalashnikov Concern at 0.93."""
    from redflags.normalise.names import analyse_name
    from redflags.screen import compare

    for name, words in (("株式会社ソニー", ["soni"]), ("ソニー株式会社", ["soni"]),
                        ("株式会社カラシニコフ・コンツェルン", ["karashinikofu", "kontsuerun"])):
        form = analyse_name(name)
        assert [t.text for t in form.tokens] == words and form.legal_forms == ("coltd",)
    assert [t.text for t in analyse_name("华为Huawei").tokens] == ["huawei", "huawei"]
    assert compare("株式会社ソニー", "株式会社カラシニコフ・コンツェルン")["score"] < 0.5
    assert compare("Ltd.", "株式会社カラシニコフ・コンツェルン")["score"] < 0.5
    assert compare("株式会社カラシニコフ・コンツェルン", "株式会社カラシニコフ・コンツェルン")["score"] >= 0.9


def test_digits_of_other_scripts_are_not_numbers_to_read() -> None:
    from redflags.normalise.chinese import chinese_number

    assert chinese_number("29") == 29 and chinese_number("二十九") == 29
    assert chinese_number("²") is None and chinese_number("١٢") is None
