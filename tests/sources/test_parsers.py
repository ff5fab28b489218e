"""Each parser against a hand-written fixture in its official format."""

from typing import Any

import pytest

from tests.conftest import uk_rows


def by_id(records: list[Any]) -> dict[str, Any]:
    return {r.source_id: r.to_dict() for r in records}


def test_csl_csv(fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path("us_csl/good.csv"), "us_csl_csv", "us_csl")
    assert len(records) == 6  # the duplicate _id is merged by the loader, not the parser
    hik = by_id(records)["f095626c9f8becc70b5948507fb6de6e443b257a"]
    assert hik["id"] == "us_csl-f095626c9f8becc70b5948507fb6de6e443b257a"
    assert hik["lists"] == ["Entity List"]
    assert hik["properties"]["alias"] == ["Hikvision"]
    assert hik["properties"]["country"] == ["cn"]
    assert hik["properties"]["topics"] == ["export.control"]
    (listing,) = hik["sanctions"]
    assert listing["listingDate"] == "2019-10-09"
    assert listing["federalRegisterNotice"] == "84 FR 54002; 85 FR 44159"
    cmic = by_id(records)["30946"]
    assert cmic["schema"] == "Organization"
    assert cmic["properties"]["uscCode"] == ["91330000733796106P"]
    assert {"type": "ISIN", "number": "CNE100000PM8"} in cmic["identifiers"]
    person = by_id(records)["21944"]
    assert person["schema"] == "Person"
    assert person["properties"]["birthDate"] == ["1973-03-25"]
    assert person["properties"]["nationality"] == ["sy"]
    assert person["original"]["nationality"] == {"sy": "SY"}
    vessel = by_id(records)["8517"]
    assert vessel["schema"] == "Vessel"
    assert vessel["properties"]["flag"] == ["pa"]
    assert ctx.issues == []


def test_csl_ids_in_the_2022_layout(fixture_path: Any, parse_file: Any, tmp_path: Any) -> None:
    """The 2022 files write "CC, number, type", and "number, type" where there is no country: an
    ISIN is an ISIN there too, and the CMIC dates are notes, not identifiers."""
    lines = fixture_path("us_csl/good.csv").read_text(encoding="utf-8").splitlines()
    old = '"Unified Social Credit Code (USCC), 91330000733796106P, CN; ISIN, CNE100000PM8"'
    new = ('"CN, 91330000733796106P, Unified Social Credit Code (USCC); CNE100000PM8, ISIN; '
           '02 Aug 2021, Effective Date (CMIC); 002415 CN, Equity Ticker"')
    assert old in lines[2]
    path = tmp_path / "consolidated.csv"
    path.write_text("\n".join([lines[0], lines[1], lines[2].replace(old, new)]) + "\n", encoding="utf-8")
    records, ctx = parse_file(path, "us_csl_csv", "us_csl")
    cmic = by_id(records)["30946"]
    assert {"type": "ISIN", "number": "CNE100000PM8"} in cmic["identifiers"]
    assert {"type": "Unified Social Credit Code (USCC)", "number": "91330000733796106P", "country": "CN"} in \
        cmic["identifiers"]
    assert "Effective Date (CMIC): 02 Aug 2021" in cmic["properties"]["notes"]
    assert "Effective Date (CMIC)" not in cmic["properties"].get("idNumber", [])


def test_csl_json_matches_csv(fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path("us_csl/good.json"), "us_csl_json", "us_csl")
    found = by_id(records)
    hik = found["f095626c9f8becc70b5948507fb6de6e443b257a"]
    assert hik["properties"]["name"] == ["Hangzhou Hikvision Digital Technology Co., Ltd."]
    assert hik["properties"]["address"] == [
        "No. 555 Qianmo Road, Binjiang District, Hangzhou, 310052, CN"]
    assert hik["lists"] == ["Entity List"]
    person = found["21944"]
    assert person["properties"]["passportNumber"] == ["N0123"]
    assert person["properties"]["birthDate"] == ["1973-03-25"]


def test_ofac_legacy_csv_with_companions(fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path("ofac_csv/sdn.csv"), "ofac_csv", "us_ofac_sdn")
    found = by_id(records)
    assert set(found) == {"36", "306", "2677", "15036"}
    assert found["36"]["properties"]["alias"] == ["AERO-CARIBBEAN"]
    assert found["36"]["properties"]["address"] == ["Havana, Cuba"]
    assert found["306"]["properties"]["alias"] == ["BNC"]
    assert found["306"]["properties"]["previousName"] == ["NATIONAL BANK OF CUBA"]
    person = found["2677"]
    assert person["schema"] == "Person"
    assert person["properties"]["birthDate"] == ["1947", "1948"]
    assert person["properties"]["birthPlace"] == ["Egypt"]
    assert person["properties"]["passportNumber"] == ["123456"]
    assert "Linked To: JIHAD GROUP." in person["properties"]["notes"][0]
    vessel = found["15036"]
    assert vessel["schema"] == "Vessel"
    assert vessel["properties"]["callSign"] == ["3EGE5"]
    assert vessel["properties"]["imoNumber"] == ["IMO 8919037"]
    assert vessel["identifiers"] == [{"type": "Vessel Registration Identification",
                                      "number": "IMO 8919037"}]
    orphan = [i for i in ctx.issues if i.code == "orphan-row"]
    assert len(orphan) == 1 and orphan[0].value == "99999" and orphan[0].file == "add.csv"


@pytest.mark.parametrize("name", ["sdn_tempuri.xml", "sdn_sls.xml"])
def test_ofac_legacy_xml_both_namespaces(name: str, fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path(f"ofac_xml/{name}"), "ofac_xml", "us_ofac_sdn")
    found = by_id(records)
    person = found["9639"]
    assert person["schema"] == "Person"
    assert person["properties"]["name"] == ["HANIYA, Ismail Abdul Salah"]
    assert person["properties"]["alias"] == ["HANIYA, Ismail"]
    assert person["properties"]["weakAlias"] == ["ABU AL-ABD"]
    assert person["properties"]["birthDate"] == ["1962"]
    bank = found["4632"]
    assert bank["properties"]["swiftBic"] == ["BMJIIRTH"]
    assert bank["properties"]["country"] == ["ir"]
    assert ctx.data_date in ("2018-04-06", "2024-05-06")


def test_ofac_enhanced_xml(fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path("ofac_xml/enhanced.xml"), "ofac_enhanced_xml",
                              "us_ofac_cons")
    found = by_id(records)
    assert ctx.data_date == "2025-01-10"
    person = found["9639"]
    assert person["schema"] == "Person"
    assert person["lists"] == ["Non-SDN Palestinian Legislative Council List"]
    assert person["properties"]["alias"] == ["HANIYYA, Ismaeel"]
    assert person["properties"]["birthPlace"] == ["Shati"]
    org = found["18274"]
    assert org["properties"]["registrationNumber"] == ["1022401504740"]
    assert org["properties"]["country"] == ["ru"]
    assert org["sanctions"][0]["listingDate"] == "2015-07-30"


def test_ofac_advanced_xml(fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path("ofac_xml/advanced.xml"), "ofac_advanced_xml",
                              "us_ofac_sdn")
    found = by_id(records)
    assert ctx.data_date == "2020-03-17"
    person = found["9639"]
    assert person["schema"] == "Person"
    assert person["properties"]["name"] == ["HANIYA, Ismail Abdul Salah"]
    assert person["properties"]["weakAlias"] == ["ABU AL-ABD"]
    assert person["properties"]["birthDate"] == ["1962"]
    assert person["properties"]["passportNumber"] == ["A1234567"]
    assert person["properties"]["address"] == ["Tehran, Iran"]
    assert person["lists"] == ["SDN List"]
    assert person["sanctions"][0]["listingDate"] == "2006-04-12"
    assert found["4632"]["schema"] == "Organization"


def test_un_sc_xml(fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path("un_sc/good.xml"), "un_sc_xml", "un_sc")
    found = by_id(records)
    assert ctx.data_date == "2026-02-27"
    person = found["6908473"]
    assert person["id"] == "un_sc-6908473"
    assert person["properties"]["name"] == ["AQSA MAHMOOD"]
    assert person["properties"]["alias"] == ["Umm Layth"]
    assert person["properties"]["weakAlias"] == ["Bint Layth"]
    assert person["properties"]["birthDate"] == ["1994-05-11"]
    assert person["properties"]["gender"] == ["female"]
    assert person["properties"]["nationality"] == ["gb"]
    assert person["properties"]["passportNumber"] == ["A12345"]
    assert person["sanctions"][0]["unscId"] == "QDi.390"
    org = found["6908334"]
    assert org["properties"]["previousName"] == ["ASAT TRUST"]
    assert org["properties"]["address"] == ["Altenbach 8, Vaduz, 9490, Liechtenstein"]


def test_uk_ofsi_csv(fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path("uk_ofsi/conlist.csv"), "uk_ofsi_csv", "gb_hmt")
    found = by_id(records)
    assert set(found) == {"13349", "13188"}
    assert ctx.data_date == "2018-04-13"
    person = found["13349"]
    assert person["properties"]["name"] == ["Farooq AL-QAHTANI"]
    assert person["properties"]["alias"] == ["Sheikh Farooq AL-QAHTANI"]
    assert person["properties"]["birthDate"] == ["1980", "1981"]
    assert person["properties"]["nationality"] == ["qa", "sa"]
    assert person["properties"]["country"] == ["af"]
    org = found["13188"]
    assert org["properties"]["name"] == ["ANSAR AL SHARIA"]
    assert org["properties"]["alias"] == ["ANSAR AL CHARIA"]


def test_uk_ofsi_xlsx(uk_xlsx: Any, parse_file: Any) -> None:
    records, ctx = parse_file(uk_xlsx(uk_rows(3)), "uk_ofsi_xlsx", "gb_hmt")
    found = by_id(records)
    assert set(found) == {"15672", "20000", "20001"}
    person = found["15672"]
    assert person["properties"]["name"] == ["Mian Abdul HAQ"]
    assert person["properties"]["weakAlias"] == ["Mian MITHOO"]
    assert "میاں عبدالحق" in person["properties"]["alias"]
    assert person["properties"]["birthDate"] == ["1970-02-01"]
    assert person["sanctions"][0]["designatedDate"] == "2022-12-09"
    assert ctx.data_date == "2025-04-14"


def test_eu_fsf_xml(fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path("eu_fsf/good.xml"), "eu_fsf_xml", "eu_fsf")
    found = by_id(records)
    person = found["13"]
    assert person["schema"] == "Person"
    assert person["properties"]["name"] == ["Aqsa Mahmood"]
    assert person["properties"]["alias"] == ["Umm Layth"]
    assert person["properties"]["birthDate"] == ["1994-05-11"]
    assert person["properties"]["passportNumber"] == ["A12345"]
    assert person["sanctions"][0]["euReferenceNumber"] == "EU.4013.36"
    org = found["4011"]
    assert org["schema"] == "Organization"
    assert "Общество с ограниченной ответственностью «Интер Тобако»" in org["properties"]["alias"]
    assert org["properties"]["country"] == ["ru"]


def test_eu_fsf_resaved_csv(fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path("eu_fsf/resaved.csv"), "eu_fsf_csv", "eu_fsf")
    found = by_id(records)
    assert set(found) == {"1", "2"}
    assert found["1"]["properties"]["birthDate"] == ["1924-02-21"]
    assert found["1"]["properties"]["idNumber"] == ["AD001095"]
    assert found["2"]["properties"]["address"] == ["10th floor, Trustee House, Harare, ZWE"]
    codes = [i.code for i in ctx.issues]
    assert "resaved-file" in codes
    truncated = [i for i in ctx.issues if i.code == "wrong-width"]
    assert truncated and truncated[0].locator == "line 6"


def test_bis_dpl(fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path("bis_dpl/dpl.txt"), "us_bis_dpl", "us_bis_dpl")
    assert len(records) == 3
    names = sorted(r.caption for r in records)
    assert names == ["AARON ABRAHAM VILLA", "ABDUL MAJID SAIDI", "ABDUL MAJID SAIDI"]
    # Same person at two addresses: same id, so the loader merges them.
    assert len({r.id for r in records}) == 2
    first = [r for r in records if r.caption == "AARON ABRAHAM VILLA"][0].to_dict()
    assert first["sanctions"][0]["listingDate"] == "2022-08-24"
    assert first["sanctions"][0]["endDate"] == "2026-01-14"


def test_ftm_entities_fold_sanctions(fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path("ftm/entities.ftm.json"), "ftm_json", "us_dhs_uflpa")
    found = by_id(records)
    assert set(found) == {"NK-hik", "NK-xpcc"}
    xpcc = found["NK-xpcc"]
    assert xpcc["id"] == "us_dhs_uflpa-NK-xpcc"
    assert xpcc["properties"]["alias"] == ["新疆生产建设兵团"]
    assert xpcc["sanctions"][0]["program"] == ["UFLPA"]
    assert xpcc["sanctions"][0]["listingDate"] == "2022-06-21"


def test_custom_csv(fixture_path: Any, parse_file: Any) -> None:
    records, ctx = parse_file(fixture_path("custom/list.csv"), "custom_csv", "custom")
    found = {r.caption: r.to_dict() for r in records}
    xpcc = found["Xinjiang Production and Construction Corps"]
    assert xpcc["source_id"] == "uflpa-1"
    assert xpcc["properties"]["alias"] == ["XPCC", "新疆生产建设兵团"]
    assert xpcc["lists"] == ["UFLPA Entity List"]
    assert xpcc["sanctions"][0]["reason"] == "Forced labour (Xinjiang)"
    person = found["John Example"]
    assert person["schema"] == "Person"
    assert person["properties"]["birthDate"] == ["1970-02-03"]
    assert person["properties"]["passportNumber"] == ["123456789"]
    # id defaults to a stable hash of name and list
    again, _ = parse_file(fixture_path("custom/list.csv"), "custom_csv", "custom")
    assert sorted(r.id for r in again) == sorted(r.id for r in records)
