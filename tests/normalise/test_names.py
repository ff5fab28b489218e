"""Name normalisation, one labelled case per row (add a row for every reported miss)."""

import pytest

from redflags.normalise.chinese import segment
from redflags.normalise.dates import parse_date
from redflags.normalise.names import analyse_name, clean_text

# (name, expected words, expected legal forms)
CASES = [
    # legal forms in many languages, canonicalised and taken out of the name
    ("Zhejiang Dahua Technology Co., Ltd.", ("zhejiang", "dahua", "technology"), ("coltd",)),
    ("HIERAX CO LTD.", ("hierax",), ("coltd",)),
    ("Hierax Company Limited", ("hierax",), ("coltd",)),
    ("Siemens GmbH", ("siemens",), ("gmbh",)),
    ("ООО Ромашка", ("romashka",), ("ooo",)),
    ("Gazprom JSC", ("gazprom",), ("jsc",)),
    ("Razryad, JSC", ("razryad",), ("jsc",)),
    ("Banco Nacional S.A.", ("banco", "nacional"), ("sa",)),
    ("Acme LLC", ("acme",), ("llc",)),
    ("BELLETECH CORP", ("belletech",), ("corp",)),
    # numbers are kept as their own tokens, so they can be compared strictly
    ("11420 CORP.", ("11420",), ("corp",)),
    ("CETC29 Research Institute", ("cetc", "29", "research", "institute"), ()),
    # abbreviations
    ("HIKVISION DIGITAL TECH CO LTD", ("hikvision", "digital", "technology"), ("coltd",)),
    ("GUANGZHOU HAIGE COMM GRP", ("guangzhou", "haige", "communication", "group"), ()),
    ("CNOOC ENERGY TECH & SRVCES LTD", ("cnooc", "energy", "technology", "and", "service"),
     ("ltd",)),
    ("INTL INVESTMENT HOTELS", ("international", "investment", "hotels"), ()),
    # Chinese: segmentation, dictionary, pinyin, legal forms, Traditional script
    ("浙江大华技术股份有限公司", ("zhejiang", "dahua", "technology"), ("coltd",)),
    # a listed party's brand, from zh_aliases.yml (its source in the explanation)
    ("北京市商汤科技开发有限公司", ("beijing", "sensetime", "technology", "development"),
     ("coltd",)),
    ("杭州海康威视数字技术股份有限公司", ("hangzhou", "hikvision", "digital", "technology"),
     ("coltd",)),
    ("和田地区公安局", ("hetian", "prefecture", "public", "security", "bureau"), ()),
    # a word CC-CEDICT knows reads first as its gloss (the pinyin stays a reading)
    ("招商银行有限公司", ("seek", "investment", "funding", "bank"), ("coltd",)),
    ("臺灣積體電路製造股份有限公司", ("taiwan", "integrated", "circuit", "manufacturing"), ("coltd",)),
    ("中国电子科技集团公司第二十九研究所",
     ("china", "electronic", "technology", "group", "29", "research", "institute"), ("co",)),
    ("成都海光集成电路设计有限公司", ("chengdu", "hygon", "integrated", "circuit", "design"),
     ("coltd",)),
    # other scripts to Latin
    ("Общество Ромашка", ("obshchestvo", "romashka"), ()),
    ("Αθήνα Ναυτιλιακή", ("athina", "navtiliaki"), ()),
    # a name that is only a legal-form word stays a name
    ("Company", ("company",), ()),
    # ... and a legal form is not taken out if it leaves less than two letters
    ("AT&T", ("at", "t"), ()),
    # dotted acronyms are one word
    ("U.S. Bancorp", ("us", "bancorp"), ()),
    ("S.F. Holding Co., Ltd.", ("sf", "holding"), ("coltd",)),
    # plural generic words made singular, on both sides alike
    ("King Royal Technologies Co., Ltd", ("king", "royal", "technology"), ("coltd",)),
    ("POLY TECH INDUSTRIES", ("poly", "technology", "industry"), ()),
    # legal-form phrases in abbreviated spelling
    ("JOINT STOCK CO NOBILITY", ("nobility",), ("jsc",)),
    ("Public Joint Stock Co. Sberbank", ("sberbank",), ("pjsc",)),
    # the Arabic article after "abd" is one name element
    ("ABD AL WAHED SHAFIQ", ("abdul", "wahed", "shafiq"), ()),
    ("Abd-el-Kader", ("abdul", "kader"), ()),
    # abjad scripts romanise without most vowels
    ("محمد علي", ("mhmd", "ly"), ()),
    # words glued where the case changes, but not two capitals and two letters ("CTek" is no "ct" + "ek")
    ("QuantumCTek Co., Ltd.", ("quantum", "ctek"), ("coltd",)),
    ("AEROSUNcorporation", ("aerosun",), ("corp",)),
    # Chinese generic words with an English rendering
    ("深圳市深网视界科技有限公司", ("shenzhen", "sensenets", "technology"), ("coltd",)),
    ("新疆东方希望有色金属有限公司", ("xinjiang", "east", "hope", "nonferrous", "metal"), ("coltd",)),
]


def test_token_keeps_the_written_form_it_rewrites() -> None:
    tokens = analyse_name("Nano Tech Technologies").tokens
    assert [(t.text, t.written) for t in tokens] == [
        ("nano", ""), ("technology", "tech"), ("technology", "technologies")]


def test_a_word_cut_short_with_a_full_stop_is_marked() -> None:
    tokens = analyse_name("Shanghai Aerospace Equip. Man.").tokens
    assert [(t.text, t.source) for t in tokens] == [
        ("shanghai", "text"), ("aerospace", "text"), ("equipment", "abbreviation"), ("man", "abbreviated")]
    # a dotted acronym or a word without the stop is not
    assert {t.source for t in analyse_name("U.S. Man Group").tokens} == {"text"}


def test_abjad_tokens_are_marked() -> None:
    assert {t.source for t in analyse_name("محمد علي").tokens} == {"abjad"}
    assert {t.source for t in analyse_name("Владимир Путин").tokens} == {"translit"}


@pytest.mark.parametrize("name,words,legal", CASES, ids=[c[0] for c in CASES])
def test_analyse_name(name: str, words: tuple[str, ...], legal: tuple[str, ...]) -> None:
    form = analyse_name(name)
    assert form.words == words
    assert form.legal_forms == legal


def test_token_sources_explain_derivation() -> None:
    form = analyse_name("杭州海康威视数字技术股份有限公司")
    assert [(t.text, t.source, t.original) for t in form.tokens] == [
        ("hangzhou", "place", "杭州"), ("hikvision", "alias", "海康威视"),
        ("digital", "dictionary", "数字"), ("technology", "dictionary", "技术")]
    assert form.tokens[1].note.startswith("alias from https://www.hikvision.com")
    tech = analyse_name("DIGITAL TECH").tokens[1]
    assert (tech.text, tech.source, tech.original) == ("technology", "abbreviation", "tech")


@pytest.mark.parametrize("text,value", [("二十九", 29), ("一百零三", 103), ("十", 10), ("38", 38),
                                        ("科技", None)])
def test_chinese_numbers(text: str, value: int | None) -> None:
    from redflags.normalise.chinese import chinese_number

    assert chinese_number(text) == value


def test_place_suffix_dropped() -> None:
    """省 and 市 after a place read as nothing by default, or as "province", "municipality"."""
    segments = segment("浙江省杭州市")
    assert [t.latin for t in segments] == [("zhejiang",), (), ("hangzhou",), ()]
    assert ("municipality",) in [g.words for g in segments[3].options[0][0]]


@pytest.mark.parametrize("text,expected", [
    ("  HIKVISION, Digital-Tech. Co.,Ltd ", "hikvision digital tech co ltd"),
    ("ＨＩＫ　ＶＩＳＩＯＮ", "hik vision"),  # full-width forms fold under NFKC
    ("Straße", "strasse"),
])
def test_clean_text(text: str, expected: str) -> None:
    assert clean_text(text) == expected


@pytest.mark.parametrize("text,day_first,expected", [
    ("1962", True, "1962"),
    ("00/00/1980", True, "1980"),
    ("03/04/2001", True, "2001-04-03"),
    ("03/04/2001", False, "2001-03-04"),
    ("25 Mar 1973", True, "1973-03-25"),
    ("circa 07 Jul 1966", True, "1966-07-07"),
    ("Mar 1973", True, "1973-03"),
    ("June 21, 2022", True, "2022-06-21"),  # the way the DHS and the Federal Register write dates
    ("Feb. 24, 2023", False, "2023-02-24"),
    ("June 31, 2022", True, None),
    ("09/1962", True, "1962-09"),  # the UK list's month-and-year birth dates
    ("9/1962", False, "1962-09"),
    ("13/1962", True, None),
    ("2019-10-09", True, "2019-10-09"),
    ("0097-06-30", True, None),
    ("31/02/2001", True, None),
    ("circa 1965?", True, None),
    ("", True, None),
])
def test_parse_date(text: str, day_first: bool, expected: str | None) -> None:
    assert parse_date(text, day_first=day_first) == expected
