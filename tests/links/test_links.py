"""Linked parties: brands, subsidiaries and affiliates of listed firms, the rules that reach them, and
the formats that state them (the UFLPA page, Federal Register rules, FtM ownership, a user's CSV)."""

import csv
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from redflags import ingest
from redflags.exc import SourceFormatError
from redflags.links import Link, curated, load_rules, rules_for
from redflags.links.derive import CURATED_FILE
from redflags.screen.api import match

LINKS = Path(__file__).parent.parent / "fixtures" / "links"


@pytest.fixture
def lists(store: Any) -> Any:
    """Hikvision (Entity List and NS-CMIC), Dahua and Huawei (Entity List), one SDN entity."""
    ingest.load(store, [LINKS / "csl.csv"], force=True)
    return store


def linked(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [h for h in hits if h["kind"] == "linked"]


def cli(store: Any, *args: str) -> Any:
    from redflags.cli import main

    return CliRunner().invoke(main, ["--db", store.url, *args], catch_exceptions=False)


# --- the curated table and the rules ------------------------------------------------------------


def test_every_curated_row_has_a_source_a_relation_and_dates_that_read() -> None:
    rows = curated()
    assert len(rows) >= 10
    assert all(r.source.startswith(("http://", "https://")) and r.parent and r.names for r in rows)
    lorex = next(r for r in rows if "Lorex" in r.names)
    assert lorex.relation == "former_subsidiary" and lorex.end == "2023"


def test_a_curated_row_without_a_source_is_refused_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "links.yml"
    bad.write_text(CURATED_FILE.read_text(encoding="utf-8").replace(
        "    source: https://www.hilookworld.com/\n", ""), encoding="utf-8")
    with pytest.raises(ValueError, match=r"row 2 \(hikvision-hilook\): no source URL"):
        curated.__wrapped__(bad)


def test_the_bis_affiliates_rule_is_data_with_its_suspension() -> None:
    rule = next(r for r in load_rules() if r.id == "bis-affiliates-rule")
    assert rule.status(dt.date(2025, 9, 1)) == "not in force"
    assert rule.status(dt.date(2025, 10, 15)) == "in force"
    assert rule.status(dt.date(2026, 6, 1)) == "suspended"
    assert rule.status(dt.date(2026, 11, 10)) == "in force"


def test_which_rule_reaches_a_linked_party() -> None:
    def link(share: float | None, relation: str = "subsidiary") -> Link:
        return Link(id="x", names=("X",), relation=relation, parent="P", source="s", origin="user", share=share)

    on = dt.date(2026, 12, 1)
    majority = rules_for(["SDN List"], link(60), on)
    assert [(r["rule"], r["reaches"]) for r in majority] == [("ofac-50-percent", "yes")]
    assert rules_for(["SDN List"], link(40), on)[0]["reaches"] == "no"
    assert rules_for(["SDN List"], link(None), on)[0]["reaches"] == "check"
    assert rules_for(["SDN List"], link(None, "brand"), on)[0]["reaches"] == "check"
    assert rules_for(["NS-CMIC List"], link(100), on)[0]["reaches"] == "no"
    suspended = rules_for(["Entity List"], link(100), dt.date(2026, 3, 1))[0]
    assert suspended["status"] == "suspended" and suspended["reaches"] == "no"
    assert rules_for(["UN list"], link(100), on) == []


def test_a_relation_dated_to_the_year_or_month_holds_until_its_last_day() -> None:
    sold = Link(id="x", names=("X",), relation="former_subsidiary", parent="P", source="s", origin="curated",
                start="2018-02", end="2023")
    assert sold.in_force(dt.date(2023, 12, 31))[0]
    assert not sold.in_force(dt.date(2024, 1, 1))[0]
    assert not sold.in_force(dt.date(2018, 1, 31))[0] and sold.in_force(dt.date(2018, 2, 1))[0]


# --- matching -----------------------------------------------------------------------------------


def test_a_brand_is_a_linked_hit_on_every_listing_of_its_firm(lists: Any) -> None:
    hits = match("EZVIZ", store=lists)
    assert not [h for h in hits if h["kind"] == "direct" and h["match"]]
    found = linked(hits)
    assert {tuple(h["lists"]) for h in found} == {("Entity List",), ("NS-CMIC List",)}
    for hit in found:
        link = hit["link"]
        assert hit["match"] and hit["id"] == f"linked:{link['parent_id']}"
        assert link["path"].startswith("EZVIZ → subsidiary of → ") and "Hikvision" in link["path"].title()
        assert link["source"].startswith("http") and link["origin"] == "curated"
        assert link["date_basis"] == "today" and "LINKED" in hit["explanation"]["summary"]
    rules = {r["rule"]: r for h in found for r in h["link"]["rules"]}
    assert rules["ns-cmic-listed-only"]["reaches"] == "no"
    assert rules["bis-affiliates-rule"]["reaches"] == "check"  # the share is not in the table
    chinese = linked(match("萤石", store=lists))
    assert chinese and all(h["match"] and h["link"]["party"] == "EZVIZ" for h in chinese)


def test_a_sold_subsidiary_is_linked_only_before_the_sale(lists: Any) -> None:
    before = linked(match("Lorex Technology Inc.", store=lists, on="2021-05-01"))
    after = linked(match("Lorex Technology Inc.", store=lists, on="2024-05-01"))
    assert before and before[0]["match"] and before[0]["link"]["date_basis"] == "transaction date"
    assert before[0]["caption"] == "Lorex → Dahua Technology"
    assert after and not after[0]["match"]
    assert after[0]["link"]["why"] == "ended 2023, before 2024-05-01"
    assert all(not h["match"] for h in match("Lorex Technology Inc.", store=lists, on="2024-05-01"))


def test_a_listed_firm_is_still_a_direct_hit_and_links_never_raise_one(lists: Any) -> None:
    hits = match("Hangzhou Hikvision Digital Technology Co., Ltd.", store=lists)
    assert hits[0]["kind"] == "direct" and hits[0]["match"]
    assert all(h["kind"] == "direct" for h in hits if not h["id"].startswith("linked:"))
    assert match("Acme Bolts and Nuts Ltd", store=lists, on="2024-01-01") == [] or all(
        not h["match"] for h in match("Acme Bolts and Nuts Ltd", store=lists))


def test_the_match_command_shows_the_path_source_and_rule(lists: Any) -> None:
    shown = cli(lists, "match", "EZVIZ")
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "LINKED" in text and "EZVIZ → subsidiary of →" in text and "cninfo.com.cn" in text
    assert "BIS affiliates rule (90 FR 47201)" in text
    old = " ".join(cli(lists, "match", "Lorex", "--on", "2024-06-01").output.split())
    assert "linked, not in force" in old and "ended 2023, before 2024-06-01 (transaction date)" in old
    bad = cli(lists, "match", "Lorex", "--on", "someday")
    assert bad.exit_code != 0 and "not a date" in bad.output


# --- where links come from ----------------------------------------------------------------------


def test_ownership_from_an_ftm_file_links_an_unlisted_company_with_its_share(lists: Any) -> None:
    ingest.load(lists, [LINKS / "ownership.ftm.json"], dataset="opensanctions")
    during = match("Unmanned Parts LLC", store=lists, on="2021-06-01")
    assert not [h for h in during if h["kind"] == "direct" and h["match"]]  # on no list: not a direct hit
    hit = linked(during)[0]
    assert hit["match"] and hit["link"]["share"] == 75.0 and hit["link"]["relation"] == "owned"
    assert "SIDOROV" in hit["link"]["parent"] and "opensanctions record" in hit["link"]["source"]
    fifty = next(r for r in hit["link"]["rules"] if r["rule"] == "ofac-50-percent")
    assert fifty["reaches"] == "yes" and fifty["why"] == "owned 75 % (at least 50 %)"
    assert not linked(match("Unmanned Parts LLC", store=lists, on="2023-01-01"))[0]["match"]
    minor = linked(match("Minor Stake LLC", store=lists, on="2022-01-01"))
    assert minor and next(r for r in minor[0]["link"]["rules"] if r["rule"] == "ofac-50-percent")["reaches"] == "no"


def test_a_users_links_file_loads_as_a_dataset_and_bad_rows_are_named(lists: Any) -> None:
    loaded = cli(lists, "links", "load", str(LINKS / "links.csv"), "--json")
    assert loaded.exit_code == 0, loaded.output
    summary = json.loads(loaded.stdout)
    assert summary["entity_count"] == 3 and summary["dataset"] == "links"
    problems = {(i["locator"], i["field"], i["code"]) for i in summary["issues"]}
    assert ("line 4", "parent", "missing-parent") in problems
    assert ("line 5", "start", "unparseable-date") in problems
    assert ("line 6", "relation", "unknown-relation") in problems
    assert ("line 7", "share", "invalid-share") in problems
    hit = linked(match("Bolt Vision Ltd", store=lists))
    assert hit and hit[0]["link"]["origin"] == "user" and hit[0]["link"]["source"] == "supplier questionnaire 2024-02"
    rules = {r["rule"]: r for h in hit for r in h["link"]["rules"]}
    assert rules["bis-affiliates-rule"]["reaches"] == "yes" and rules["ns-cmic-listed-only"]["reaches"] == "no"
    assert not [h for h in match("Bolt Vision Ltd", store=lists) if h["kind"] == "direct" and h["match"]]
    listed = json.loads(cli(lists, "links", "list", "--json").stdout)
    assert any(r["names"][0] == "Old Lens Co" and not r["in_force"] for r in listed)


def test_a_links_file_that_cannot_be_read_leaves_the_previous_version_active(lists: Any, tmp_path: Path) -> None:
    cli(lists, "links", "load", str(LINKS / "links.csv"))
    broken = tmp_path / "links.csv"
    broken.write_text("name,parent\n", encoding="utf-8")
    failed = cli(lists, "links", "load", str(broken))
    assert failed.exit_code != 0 and "links.csv" in failed.output
    assert linked(match("Bolt Vision Ltd", store=lists))


# --- the UFLPA page and Federal Register rules ---------------------------------------------------


def test_the_uflpa_page_loads_with_sub_lists_aliases_and_named_subsidiaries(lists: Any) -> None:
    from redflags.sources.formats import detect

    assert detect(LINKS / "uflpa.html") == "us_dhs_uflpa_html"
    result = ingest.load(lists, [LINKS / "uflpa.html"])[0]
    records = {r["properties"]["name"][0]: r for r in lists.iter_records("us_dhs_uflpa")}
    xpcc = records["Xinjiang Production and Construction Corps"]
    assert xpcc["properties"]["alias"] == ["XPCC"] and xpcc["sanctions"][0]["scope"] == "and its subsidiaries"
    assert xpcc["sanctions"][0]["program"] == "Section 2(d)(2)(B)(i)"
    assert xpcc["sanctions"][0]["listingDate"] == "2022-06-21"
    hefei = records["Hefei Bitland Information Technology Co., Ltd."]
    assert hefei["properties"]["alias"] == ["Anhui Hefei Baolongda Information Technology Co., Ltd."]
    ninestar = records["Ninestar Corporation"]
    assert ninestar["sanctions"][0]["program"] == "Section 2(d)(2)(B)(ii)"
    assert ninestar["sanctions"][0]["listingDate"] == "2023-06-09"
    assert "Example <script>alert(1)</script> Trading Co." in records  # text, as published
    assert [(i.code, i.field, i.value) for i in result.issues if i.code == "unparseable-date"] == [
        ("unparseable-date", "Effective Date", "sometime in 2024")]
    pantum = linked(match("Zhuhai Pantum Electronics Co., Ltd.", store=lists))[0]
    assert pantum["match"] and pantum["link"]["parent"] == "Ninestar Corporation"
    assert pantum["link"]["rules"][0]["reaches"] == "yes" and "named in the entry" in pantum["link"]["source"]


def test_a_page_that_is_not_the_uflpa_list_is_refused_by_name(store: Any, tmp_path: Path) -> None:
    page = tmp_path / "uflpa-entity-list.html"
    page.write_text("<!DOCTYPE html><html><body><h1>UFLPA Entity List</h1><p>moved</p></body></html>",
                    encoding="utf-8")
    with pytest.raises(SourceFormatError, match="uflpa-entity-list.html: no table"):
        ingest.load(store, [page])
    other = tmp_path / "news.html"
    other.write_text("<!DOCTYPE html><html><body><table><tr><td>x</td></tr></table></body></html>", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="not the UFLPA Entity List"):
        ingest.load(store, [other])


def test_a_federal_register_rule_loads_as_an_entity_list_dataset(lists: Any) -> None:
    result = ingest.load(lists, [LINKS / "fr-rule.xml"])[0]
    assert result.summary["dataset"] == "us_bis_entity_list" and result.summary["entity_count"] == 2
    records = {r["properties"]["name"][0]: r for r in lists.iter_records("us_bis_entity_list")}
    optics = records["Shenzhen Example Optics Co., Ltd."]
    assert set(optics["properties"]["alias"]) == {"深圳示例光学有限公司", "Example Optics", "Example Optics Europe B.V."}
    assert set(optics["properties"]["country"]) == {"cn", "nl"}
    assert len(optics["sanctions"]) == 2 and len(optics["properties"]["address"]) == 3
    entry = optics["sanctions"][0]
    assert entry["federalRegisterNotice"] == "90 FR 10400, 3/3/2025" and entry["listingDate"] == "2025-03-03"
    assert entry["licensePolicy"] == "Presumption of denial." and "734.9(g), 744.21(b)" in entry["licenseRequirement"]
    institute = records["Mountain Sensor Research Institute"]
    assert institute["properties"]["address"] == ["12 Xueyuan Road, Haidian District, Beijing, China."]
    assert match("深圳示例光学有限公司", store=lists)[0]["caption"] == "Shenzhen Example Optics Co., Ltd."


def test_the_real_2023_rule_loads_ten_entities_in_thirteen_entries(store: Any, shared_data: Path) -> None:
    result = ingest.load(store, [shared_data / "bis_entity_list" / "fr-2023-03929.xml"])[0]
    records = list(store.iter_records("us_bis_entity_list"))
    assert result.summary["entity_count"] == 10 and sum(len(r["sanctions"]) for r in records) == 13
    head = next(r for r in records if r["properties"]["name"][0] == "China HEAD Aerospace Technology Co.")
    assert set(head["properties"]["country"]) == {"cn", "fr", "nl"} and "HEAD Aerospace Group" in head["properties"]["alias"]
    assert {s["federalRegisterNotice"] for r in records for s in r["sanctions"]} == {"88 FR 12170, 2/27/2023"}
    promtekh = next(r for r in records if r["properties"]["name"][0] == "Promtekhkomplekt JSC")
    assert "AO TipoMTeXKOMirneKT" in promtekh["properties"]["alias"]  # kept as printed


def test_a_page_number_in_other_digits_is_ignored(store: Any, tmp_path: Path) -> None:
    rule = tmp_path / "fr-rule.xml"
    rule.write_text((LINKS / "fr-rule.xml").read_text(encoding="utf-8").replace('P="10402"', 'P="¹"'),
                    encoding="utf-8")
    ingest.load(store, [rule])
    entry = next(iter(store.iter_records("us_bis_entity_list")))["sanctions"][0]
    assert entry["federalRegisterNotice"] == "90 FR 10400, 3/3/2025"


@pytest.mark.parametrize(("body", "message"), [
    ('<?xml version="1.0"?>\n<!DOCTYPE RULE [<!ENTITY x "y">]>\n<RULE>&x;</RULE>', "DOCTYPE or entities"),
    ('<?xml version="1.0"?>\n<RULE><PREAMB>\n<SUBJECT>x</SUBJECT>\n</RULE>', "line 4: malformed XML"),
    ('<?xml version="1.0"?>\n<RULE><SUBJECT>Nothing</SUBJECT></RULE>', "no Entity List table"),
])
def test_a_hostile_or_broken_rule_is_refused_and_the_previous_version_stays(lists: Any, tmp_path: Path,
                                                                            body: str, message: str) -> None:
    ingest.load(lists, [LINKS / "fr-rule.xml"])
    bad = tmp_path / "fr-bad.xml"
    bad.write_text(body, encoding="utf-8")
    with pytest.raises(SourceFormatError, match=message) as caught:
        ingest.load(lists, [bad], fmt="fr_entity_list_xml")
    assert "fr-bad.xml" in str(caught.value)
    assert len(list(lists.iter_records("us_bis_entity_list"))) == 2


# --- screening, review and the API ---------------------------------------------------------------


def vendors(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["vendor id", "name", "country", "transaction date"])
        writer.writerows([["1", "EZVIZ", "CN", "2025-01-10"], ["2", "Lorex Technology Inc.", "CA", "2021-03-01"],
                          ["3", "Lorex Technology Inc.", "CA", "2024-06-01"],
                          ["4", "Hangzhou Hikvision Digital Technology Co Ltd", "CN", "2024-01-01"],
                          ["5", "Acme Bolts Ltd", "US", "2024-01-01"], ["6", "萤石网络", "CN", "not a date"]])
    return path


def test_a_screened_file_reports_linked_parties_apart(lists: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    done = cli(lists, "screen", str(vendors(tmp_path / "vendors.csv")), "-o", str(out))
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["status"] for r in rows] == ["linked", "linked", "clear", "alert", "clear", "error"]
    assert rows[0]["best_match"] == "" and "EZVIZ → subsidiary of →" in rows[0]["linked"]
    assert "NS-CMIC List" in rows[0]["linked_rules"] and "held on 2025-01-10" in rows[0]["linked"]
    assert rows[2]["linked"].startswith("NOT IN FORCE: ") and "before 2024-06-01" in rows[2]["linked"]
    assert rows[3]["linked"] == "" and "HIKVISION" in rows[3]["best_match"].upper()
    assert "(date) holds 'not a date'" in rows[5]["error"]
    html = tmp_path / "out.html"
    cli(lists, "screen", str(vendors(tmp_path / "vendors.csv")), "-o", str(html), "--no-record")
    page = html.read_text(encoding="utf-8")
    assert 'data-row-status="linked"' in page and "Linked parties" in page and 'data-status="linked"' in page


def test_the_review_queue_keeps_linked_alerts_apart(lists: Any, tmp_path: Path) -> None:
    from redflags.review import list_alerts

    cli(lists, "screen", str(vendors(tmp_path / "vendors.csv")), "-o", str(tmp_path / "out.jsonl"))
    linked_alerts = list_alerts(lists, kind="linked")
    direct = list_alerts(lists, kind="direct")
    assert {a["party"]["key"] for a in linked_alerts} == {"vendors.csv/1", "vendors.csv/2"}
    assert all(a["kind"] == "linked" and a["listed_id"].startswith("linked:") and "→" in a["link"]["path"]
               for a in linked_alerts)
    assert {a["party"]["key"] for a in direct} == {"vendors.csv/4"} and all(a["kind"] == "direct" for a in direct)
    shown = " ".join(cli(lists, "alerts", "list", "--kind", "linked").output.split())
    assert "LINKED" in shown and "Lorex" in shown


def test_the_api_answers_linked_hits_for_what_they_are(lists: Any) -> None:
    from fastapi.testclient import TestClient

    from redflags.api import create_app
    from redflags.api.keys import create_key

    key = {"Authorization": f"Bearer {create_key(lists, 'analyst', 'analyst')[1]}"}
    body = {"queries": {"q": {"id": "L-1", "schema": "Company", "properties": {"name": ["Lorex Technology Inc."]}}}}
    with TestClient(create_app(lists)) as client:
        deadline = time.monotonic() + 30
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        before = client.post("/match/default?on=2021-01-01&record=true&portfolio=crm", json=body, headers=key)
        assert before.status_code == 200, before.text
        answer = before.json()["responses"]["q"]
        assert answer["screening"] == "linked"
        hit = answer["results"][0]
        assert hit["kind"] == "linked" and hit["link"]["path"].startswith("Lorex Technology Inc. → former subsidiary")
        assert hit["properties"]["name"] == ["Dahua Technology"]  # the listed party's own record
        after = client.post("/match/default?on=2024-01-01", json=body, headers=key).json()["responses"]["q"]
        assert [r["match"] for r in after["results"] if r["kind"] == "linked"] == [False]
        wrong = client.post("/match/default?on=January", json=body, headers=key)
        assert wrong.status_code == 400 and "on" in wrong.text
        queue = client.get("/alerts?kind=linked", headers=key).json()["alerts"]
        assert [a["party"]["key"] for a in queue] == ["crm/L-1"] and queue[0]["link"]["on"] == "2021-01-01"
        assert client.get("/alerts?kind=direct", headers=key).json()["alerts"] == []
        search = client.get("/search/default?q=EZVIZ", headers=key).json()["results"]
        assert all(not r["id"].startswith("linked:") for r in search)


def test_the_linked_names_index_is_built_with_the_lists_and_mapped(lists: Any) -> None:
    from redflags.links import LINKS_FOLDER
    from redflags.screen.api import screener_for

    screener = screener_for(lists)
    folder = screener.index.segment.folder
    assert (folder / LINKS_FOLDER / "manifest.json").exists() or any((folder / LINKS_FOLDER).iterdir())
    linker = screener.linker
    assert linker.screener.index.segment.folder == folder / LINKS_FOLDER  # mapped, not rebuilt
    assert len(linker.screener.index) == len(linker.links) == len(curated())
    assert linked(match("EZVIZ", store=lists))[0]["link"]["party"] == "EZVIZ"


def test_a_ledger_screens_each_party_once_and_judges_each_row_on_its_date(lists: Any) -> None:
    """Many transactions with one supplier: its names are screened once (the cache ignores the date),
    and each row's link is judged on the row's own date."""
    import orjson

    from redflags.batch.columns import ColumnMap
    from redflags.batch.engine import ChunkScreener, Params
    from redflags.screen.api import screener_for

    columns = ColumnMap({"name": ["name"], "date": ["date"]})
    chunker = ChunkScreener(screener_for(lists), Params(0.73, 0.5, 5, columns))
    rows = [(n, {"name": "Lorex Technology Inc.", "date": day}, None)
            for n, day in enumerate(["2021-05-01", "2024-05-01", "2022-01-01", "2025-01-01"], start=1)]
    lines, stats = chunker.screen_chunk(rows)
    results = [orjson.loads(line) for line in lines.splitlines()]
    assert [r["status"] for r in results] == ["linked", "clear", "linked", "clear"]
    assert results[1]["hits"][-1]["link"]["why"] == "ended 2023, before 2024-05-01"
    assert results[0]["hits"][-1]["link"]["on"] == "2021-05-01"
    assert chunker._hits.cache_info().misses == 1  # screened once for four rows
