"""Pairwise scoring: a table of labelled cases (add a row for every reported miss)."""

import pytest

from redflags.match import THRESHOLD
from redflags.screen import Screener, compare, make_query

# (query, listed, schema, should alert)
CASES = [
    ("HIKVISION DIGITAL TECH CO LTD", "Hangzhou Hikvision Digital Technology Co., Ltd.", "Company", True),
    ("Zhejiang Dahua Technology Company Limited", "Zhejiang Dahua Technology Co., Ltd.", "Company", True),
    ("浙江大华技术股份有限公司", "Zhejiang Dahua Technology Co., Ltd.", "Company", True),
    ("北京市商汤科技开发有限公司", "Beijing Shangtang Technology Development Co., Ltd.", "Company", True),
    ("AEROSUNcorporation", "AEROSUN CORPORATION", "Company", True),
    ("MC OVERSEAStrading COMPANY SA DE CV", "MC OVERSEAS TRADING COMPANY SA DE CV", "Company", True),
    ("Pharmcontractgmbh", "Pharmcontract GmbH", "Company", True),
    ("SEPANIR", "SPEANIR", None, True),
    ("RUELAS AVILA LEOBARDO", "RUELAS AVILA, Leobardo", "Person", True),
    ("DATAK TELLECOM", "DATAK TELECOM", "Company", True),
    # numbers are strict and legal forms are not names
    ("BELLETECH CORP", "11420 CORP.", "Company", False),
    ("CETC 29 Research Institute", "CETC 38 Research Institute", "Company", False),
    # short names one edit apart are different names
    ("Alcoa Corp", "Alco", "Company", False),
    ("Linde plc", "LINDA", "Company", False),
    ("Cigna", "SANA", "Company", False),
    ("Angela Merkur", "Angela Merkel", "Person", False),
    ("Mauricio Magdalena Guerrero", "Guerrero Pedro", "Person", False),
    # a person is not a company of the same name
    ("Ismail Haniya", "ISMAIL HANIYA TRADING", None, False),
    # transliteration variants from the variant table
    ("Mohammed Abdul Rahim", "Muhammad Abdul Rahim", "Person", True),
    ("ABD AL WAHED SHAFIQ", "ABDUL WAHED SHAFIQ", "Person", True),
    ("Aleksandr Petrov", "Alexander Petrov", "Person", True),
    # abjad scripts by consonant skeleton; Cyrillic and Greek transliterated
    ("محمد علي", "Mohamed Ali", "Person", True),
    ("عبد الله", "Abdullah", "Person", True),
    ("משה כהן", "Moshe Cohen", "Person", True),
    ("Дмитрий Медведев", "Dmitry Medvedev", "Person", True),
    # names split into words differently, with a typo
    ("3K Aviation Consultingand Lgoistics", "3K Aviation Consulting and Logistics", "Company", True),
    ("Nafezelmir", "Nafez El Mir", None, True),
    ("Nanotech International Co Ltd", "Nano Tech International Co Ltd", "Company", True),
    # ... but joining does not excuse a different number
    ("Alpha12trading", "Alpha 13 Trading", "Company", False),
    # a typo of the plural the other side wrote out
    ("POLY TECHHNOLOGIES INC", "Poly Technologies Inc.", "Company", True),
    # a dropped city, a misspelt legal form
    ("Huawei Software Technologies Co., Ltd.", "Huawei Software Technologies Co., Ltd., Nanjing, Jiangsu",
     "Company", True),
    ("OJSCCorenburgneft", "OJSC Orenburgneft", "Company", True),
    # Chinese generic words meet their English renderings
    ("深圳市深网视界科技有限公司", "Shenzhen Shenwang Vision Technology Co., Ltd.", "Company", True),
    ("新疆东方希望有色金属有限公司", "Xinjiang East Hope Nonferrous Metals Co. Ltd.", "Company", True),
    # a Chinese brand meets a coined Latin name holding its syllables' initials, another brand does not
    ("杭州海康威视数字技术股份有限公司", "Hangzhou Hikvision Digital Technology Co., Ltd.", "Company", True),
    ("杭州阿里巴巴数字技术股份有限公司", "Hangzhou Hikvision Digital Technology Co., Ltd.", "Company", False),
    ("腾讯科技有限公司", "Tenco Technology Company Ltd.", "Company", False),
    # a legal form is not a name, nor are initials
    ("AT&T", "ELECTRONICS KATRANGI TRADING T", "Company", False),
    ("U.S. Bancorp", "BANCORP", "Company", False),
    ("S.F. Holding Co., Ltd.", "I&S HOLDING COMPANY, S.A.", "Company", False),
    # the consonant skeleton only applies to abjad-script tokens
    ("Mahmud Ali", "Mohamed Ali", "Person", False),
    # Chinese institutional names through CC-CEDICT glosses and translation conventions
    ("北京航空制造工程研究所", "Beijing Aeronautical Manufacturing Engineering Research Institute", None, True),
    ("哈密市公安局", "Hami Municipality Public Security Bureau", None, True),
    ("广东工业大学", "Guangdong University of Technology", None, True),
    ("中国人民解放军军事医学科学院", "Academy of Military Medical Sciences", None, True),
    ("中国航天科工集团第二研究院", "China Aerospace Science and Industry Corporation Second Academy", None, True),
    ("中国船舶集团有限公司第七〇四研究所", "CSSC 704th Research Institute", None, True),
    # ... and numbers on both sides must agree
    ("中国航天科工集团第二研究院", "China Aerospace Science and Industry Corporation 3rd Academy", None, False),
    # ... a place on both sides and different is evidence against
    ("北京市公安局", "Xinjiang Public Security Bureau", None, False),
    ("北京工业大学", "Guangdong University of Technology", None, False),
    ("北京大学", "Beihang University", None, False),
    # ... and a university named more narrowly is another university
    ("天津科技大学", "Tianjin University", None, False),
    # ... a pinyin name is compared as one, not as a brand's initials: Nankai is not Nanchang
    ("南开大学", "Nanchang University", None, False),
    # ... nor is a written-out ordinal: the Third Academy is not the Second
    ("中国航天科工集团第三研究院", "China Aerospace Science and Industry Corporation Second Academy", None, False),
    # shipbuilding institutes by their translation conventions (船用 "marine")
    ("上海船用柴油机研究所", "Shanghai Marine Diesel Engine Research Institute", None, True),
    # a listed party's alias, with its source
    ("海康威视", "Hikvision", "Company", True),
    ("海康威视数字技术股份有限公司", "Hikvision Digital Technology Co., Ltd.", "Company", True),
    # a coined brand that sounds like the pinyin (the UK list's own pair: 信諾 / Sinno)
    ("信諾電子有限公司", "SINNO ELECTRONICS CO., LIMITED", "Company", True),
    # ... or an acronym of its syllables, perhaps with the firm's own initial (富吉瑞 "FJR")
    ("深圳市金泰瑞电子有限公司", "Shenzhen JTR Electronics Co., Ltd.", "Company", True),
    ("深圳市金泰瑞电子有限公司", "Shenzhen JTRC Electronics Co., Ltd.", "Company", True),
    ("深圳市金泰瑞电子有限公司", "Shenzhen JTX Electronics Co., Ltd.", "Company", False),
    # ... but a person's name is not a coined brand
    ("李波阳", "BOYAH", "Person", False),
    # a firm's trade name met, its trade's words count less (test below), which does not make a
    # bank of the same trade name a listed camera maker
    ("大华银行有限公司", "Zhejiang Dahua Technology Co., Ltd.", "Company", False),
    # an acronym of the name's words, legal form included
    ("中国电子进出口有限公司", "CEIEC", "Company", True),
    # Chinese persons: a surname in its romanisations, given names apart
    ("张伟", "CHEUNG Wei", "Person", True),
    ("王伟", "ZHANG Wei", "Person", False),
    ("刘伟", "LU Wei", "Person", False),
    ("LIU Wei", "LU Wei", "Person", False),
    ("ZHANG Xiaoming", "ZHONG Xiaoming", "Person", False),
    # ... a given name is read as written, not as a surname's variant (磊 lei is not Li), and a
    # surname meets only its accepted romanisations, not a sound-alike (曹 Cho is not Che)
    ("黎磊", "LI Li", "Person", False),
    ("曹芳", "CHE Fong", "Person", False),
    ("曹芳", "CHO Fang", "Person", True),
    # ... and stands for its own characters: 覃 is read Tan, as 陈 is in Hokkien, but is not Chen
    ("覃思", "CHEN Si", "Person", False),
    ("陈思", "TAN Si", "Person", True),
    # a word the list cut short with a full stop meets the word it abbreviates, in either script
    ("Shanghai Aerospace Equipment Manufacturing Co", "Shanghai Aerospace Equip. Man.", "Company", True),
    ("China Aviation Industry Standard Parts Co", "China Aviation Ind. Std. Parts", "Company", True),
    # ... but not a word it cannot stand for, nor without the full stop
    ("Shanghai Aerospace Equipment Manufacturing Co", "Shanghai Aerospace Equip. Mat.", "Company", False),
    ("Shanghai Aerospace Equipment Manufacturing Co", "Shanghai Aerospace Equip Man", "Company", False),
    # the same letters split elsewhere, a legal form misspelt and glued
    ("KIM CHOLM-IN", "KIM CHOL-MIN", "Person", True),
    ("Joint Stockcompnay Almaz", "Joint Stock Company Almaz", "Company", True),
    ("Public Joint Stock Companyunited Aircraft Corp", "Public Joint Stock Company United Aircraft Corporation",
     "Company", True),
]


@pytest.mark.parametrize("query,listed,schema,alert", CASES, ids=[f"{c[0]}~{c[1]}" for c in CASES])
def test_compare_cases(query: str, listed: str, schema: str | None, alert: bool) -> None:
    result = compare(query, listed, schema)
    assert result["match"] is alert, result["explanation"]["summary"]


def test_a_chinese_firms_trade_words_count_less_once_its_trade_name_is_met() -> None:
    """A Chinese firm's name is place, trade name, trade and legal form; English renderings drop
    or change the trade ("海思半导体" is "HiSilicon Technologies")."""
    from redflags.match.align import TRADE_WORD_WEIGHT, align_tokens, select_readings
    from redflags.normalise.names import analyse_name

    def weights(query: str, listed: str) -> dict[str, float]:
        q, c = analyse_name(query, query=True), analyse_name(listed)
        _score, tokens = align_tokens(select_readings(q, c, lambda _t: 1.0), c, lambda _t: 1.0)
        return {t.query: t.weight for t in tokens}

    assert weights("华芯半导体有限公司", "Huaxin Co., Ltd.") == {"huaxin": 1.0, "semiconductor": TRADE_WORD_WEIGHT}
    # no trade name met: the trade's words count in full
    assert weights("华芯半导体有限公司", "Semiconductor Co., Ltd.")["huaxin"] == 1.0
    assert weights("华芯半导体有限公司", "Guoxin Co., Ltd.")["semiconductor"] == 1.0


def test_a_word_the_listed_name_repeats_is_not_missing_twice() -> None:
    plain = compare("海思技术有限公司", "HiSilicon Technologies Co., Ltd.", "Company")["score"]
    repeated = compare("海思技术有限公司", "HiSilicon Technologies Co., Ltd. (HiSilicon)", "Company")["score"]
    assert repeated >= plain - 0.02


def test_explanation_names_how_tokens_matched() -> None:
    tokens = compare("Mohammed Marzoghi", "Muhammad Marzoghi", "Person")["explanation"]["tokens"]
    assert [(t["query"], t["listed"], t["how"]) for t in tokens] == [
        ("mohammed", "muhammad", "variant"), ("marzoghi", "marzoghi", "exact")]
    joined = compare("Nafezelmir", "Nafez El Mir")["explanation"]["tokens"]
    assert [(t["query"], t["listed"], t["how"]) for t in joined] == [("nafezelmir", "nafez el mir", "joined")]


def test_compare_takes_property_sets() -> None:
    """Name parts make a name; a shared identifier adds to the score."""
    parts = compare({"firstName": "Olaf", "lastName": "Scholz"}, {"name": "Olaf Scholz"}, "Person")
    assert parts["match"]
    plain = compare({"name": "Acme Trading"}, {"name": "Acme Trading"}, "Company")["score"]
    with_id = compare({"name": "Acme Trading", "registrationNumber": "HRB 12345"},
                      {"name": "Acme Trading", "registrationNumber": "HRB12345"}, "Company")["score"]
    assert with_id > plain


def test_same_name_band_is_ordered_by_evidence() -> None:
    records = [
        {"id": "a", "schema": "Company", "caption": "Acme Trading", "lists": ["X"],
         "properties": {"name": ["Acme Trading LLC"], "country": ["ir"]}},
        {"id": "b", "schema": "Company", "caption": "Acme Trading", "lists": ["X"],
         "properties": {"name": ["Acme Trading LLC"], "country": ["ae"],
                        "registrationNumber": ["12345678"]}},
    ]
    screener = Screener(records)
    plain = screener.match(make_query("Acme Trading LLC", "Company"))
    assert {h["id"] for h in plain} == {"a", "b"}
    assert plain[0]["score"] == plain[1]["score"] < 1.0
    with_country = screener.match(make_query("Acme Trading LLC", "Company", ["Iran"]))
    assert with_country[0]["id"] == "a" and with_country[0]["score"] > with_country[1]["score"]
    with_id = screener.match(make_query("Acme Trading LLC", "Company", [], ["12345678"]))
    assert with_id[0]["id"] == "b" and with_id[0]["score"] == 1.0


def test_hit_shape_and_explanation() -> None:
    screener = Screener([{"id": "us_csl-1", "schema": "Company", "caption": "Hangzhou Hikvision",
                          "lists": ["Entity List"], "dataset": "us_csl",
                          "properties": {"name": ["Hangzhou Hikvision Digital Technology Co., Ltd."],
                                         "alias": ["Hikvision"]}}])
    (hit,) = screener.match(make_query("HIKVISION DIGITAL TECH CO LTD", "Company"))
    assert set(hit) >= {"id", "referents", "caption", "schema", "datasets", "lists", "score",
                        "match", "matched_name", "explanation"}
    assert hit["lists"] == ["Entity List"] and hit["match"] is (hit["score"] >= THRESHOLD)
    tokens = {t["query"]: t for t in hit["explanation"]["tokens"]}
    assert tokens["technology"]["how"] == "abbreviation"
    assert tokens["hikvision"]["how"] == "exact"
    features = {f["feature"] for f in hit["explanation"]["features"]}
    assert {"name", "legal_form_match"} <= features


def test_rare_token_is_never_missed() -> None:
    records = [{"id": f"n{i}", "schema": "Company", "caption": f"China Technology Group {i}",
                "properties": {"name": [f"China Technology Group {i}"]}} for i in range(300)]
    records.append({"id": "rare", "schema": "Company", "caption": "Zyxvotech China Technology Group",
                    "properties": {"name": ["Zyxvotech China Technology Group"]}})
    screener = Screener(records)
    hits = screener.match(make_query("Zyxvotech", "Company"), limit=3)
    assert hits[0]["id"] == "rare"


def test_chinese_explanation_names_its_sources() -> None:
    tokens = compare("哈密市公安局", "Hami Municipality Public Security Bureau")["explanation"]["tokens"]
    sources = {t["query"]: t.get("query_source") for t in tokens}
    assert "zh_words" in sources["hami"] and "place suffix" in sources["municipality"]
    assert "zh_conventions" in sources["bureau"]
    alias = compare("海康威视", "Hikvision", "Company")["explanation"]
    assert alias["tokens"][0]["how"] == "alias" and "hikvision.com" in alias["tokens"][0]["query_source"]
    assert "alias from https://www.hikvision.com" in alias["summary"]


def test_a_brand_outside_the_alias_table_meets_its_coined_name() -> None:
    tokens = compare("宁波欧腾机械有限公司", "NINGBO OTURN MACHINERY CO., LTD", "Company")["explanation"]["tokens"]
    assert ("outeng", "oturn", "pinyin initials") in {(t["query"], t["listed"], t["how"]) for t in tokens}


def test_place_mismatch_is_explained() -> None:
    features = {f["feature"]: f for f in compare("北京市公安局", "Xinjiang Public Security Bureau")["explanation"]["features"]}
    assert features["place_mismatch"]["contribution"] < 0 and "beijing" in features["place_mismatch"]["detail"]


def test_a_typo_of_a_word_no_other_entity_has_still_finds_it() -> None:
    """Retrieval reaches listed words one edit from an unknown query word, whose trigrams are too
    common to retrieve by ("Chaks" for "Chaps", a swap at the start: "Ocrezing" for "Corezing")."""
    records = [{"id": f"n{i}", "schema": "Company", "caption": f"Chapel Investment Group {i}",
                "properties": {"name": [f"Chapel Investment Group {i}", f"Corezone Trading {i}"]}} for i in range(300)]
    records += [{"id": "chaps", "schema": "Company", "caption": "CHAPS INVESTMENT INC.",
                 "properties": {"name": ["CHAPS INVESTMENT INC."]}},
                {"id": "corezing", "schema": "Company", "caption": "Corezing International",
                 "properties": {"name": ["Corezing International"]}}]
    screener = Screener(records)
    assert screener.match(make_query("CHAKS INVESTMENT INC.", "Company"), limit=1)[0]["id"] == "chaps"
    assert screener.match(make_query("OCREZING INTL", "Company"), limit=1)[0]["id"] == "corezing"


def test_a_querys_number_picks_which_numbered_candidates_are_scored() -> None:
    """Of a group's numbered institutes, those with only other numbers are scored last: with one
    candidate scored, the 3rd Academy is it, though the 7th shares more words."""
    def party(pid: str, name: str) -> dict:
        return {"id": pid, "schema": "Company", "caption": name, "properties": {"name": [name]}}

    records = [party("seventh", "Example Aerospace Research Institute 7"), party("third", "Example Academy 3")]
    records += [party(f"other{i}", f"Unrelated Trading {i}") for i in range(20)]
    screener = Screener(records)
    query = make_query("Example Aerospace Research Academy 3", "Company")
    (hit,) = screener.match(query, limit=1, threshold=0.0, fully=1, linked=False)
    assert hit["id"] == "third"


def test_an_english_gloss_does_not_meet_a_name_by_sound() -> None:
    """中国 read "china" is not the surname Chen (a Chinese firm alerted on a person Hao Li Chen);
    as a word written in Latin, "china" still meets "chen" as a sound-alike."""
    from redflags.match.similarity import similar
    from redflags.normalise.names import Token

    chen = Token("chen", "text", "chen")
    assert similar(Token("china", "dictionary", "中国"), chen)[0] == 0.0
    assert similar(Token("china", "text", "china"), chen) == (0.8, "phonetic")
