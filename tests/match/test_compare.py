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
]


@pytest.mark.parametrize("query,listed,schema,alert", CASES, ids=[f"{c[0]}~{c[1]}" for c in CASES])
def test_compare_cases(query: str, listed: str, schema: str | None, alert: bool) -> None:
    result = compare(query, listed, schema)
    assert result["match"] is alert, result["explanation"]["summary"]


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
