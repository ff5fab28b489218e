"""One party, one hit: records merged by the publishers' identifiers and by analysts'
judgements, never by name."""

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from redflags import ingest
from redflags.cli import main
from redflags.resolve import merged, parties, publisher_keys
from redflags.screen.api import match

OFAC = "Office of Foreign Assets Control"


def record(rid: str, dataset: str, name: str, schema: str = "Company", sanctions: list[dict[str, Any]] | None = None,
           **props: list[str]) -> dict[str, Any]:
    return {"id": rid, "dataset": dataset, "schema": schema, "caption": name, "lists": [f"{dataset} list"],
            "properties": {"name": [name], **props}, "sanctions": sanctions or [], "identifiers": []}


def ids(found: list[Any]) -> list[list[str]]:
    return sorted(sorted(p.referents) for p in found)


def test_publisher_keys() -> None:
    csl = record("us_csl-30946", "us_csl", "Hikvision", sanctions=[{"authority": OFAC, "entityNumber": "30946"}])
    el = record("us_csl-f09", "us_csl", "Hikvision", sanctions=[{"authority": None, "entityNumber": None}])
    uk = record("gb_hmt-1", "gb_hmt", "X", notes=["(UK Sanctions List Ref):AQD0141. (UN Ref):QDi.241. Member of "
                                                   "the Rajah Solaiman Movement (QDe.128)"])
    vessel = record("v", "us_csl", "ACEFROSTY", schema="Vessel", imoNumber=["IMO 8919037"])
    assert publisher_keys(csl) == {"ofac:30946"}
    assert publisher_keys(el) == set()  # an Entity List row has no OFAC number: never merged by name
    assert publisher_keys(uk) == {"un:QDi.241"}  # the movement it is a member of is not its own reference
    assert publisher_keys(vessel) == {"imo:8919037"}


def test_merged_by_identifiers_never_by_name() -> None:
    records = [
        record("us_ofac_cons-30946", "us_ofac_cons", "HIKVISION", sanctions=[{"authority": OFAC, "entityNumber": "30946"}]),
        record("us_csl-30946", "us_csl", "Hikvision", sanctions=[{"authority": OFAC, "entityNumber": "30946"}]),
        record("us_csl-el", "us_csl", "Hikvision"),
        record("un_sc-1", "un_sc", "Mohammed Ali", "Person", [{"unscId": "QDi.1"}]),
        record("gb_hmt-9", "gb_hmt", "Mohammed Ali", "Person", notes=["(UN Ref):QDi.1"]),
        record("us_csl-5", "us_csl", "Mohammed Ali", "Person"),
        record("us_csl-6", "us_csl", "Mohammed Ali", "Person"),
    ]
    found = parties(records)
    assert ids(found) == [["gb_hmt-9", "un_sc-1"], ["us_csl-30946", "us_ofac_cons-30946"], ["us_csl-5"],
                          ["us_csl-6"], ["us_csl-el"]]
    party = next(p for p in found if "us_csl-30946" in p.referents)
    assert party.id == "us_ofac_cons-30946"  # OFAC's own file names the party
    data = merged(party)
    assert data["referents"] == ["us_ofac_cons-30946", "us_csl-30946"]
    assert data["datasets"] == ["us_ofac_cons", "us_csl"]
    assert data["lists"] == ["us_ofac_cons list", "us_csl list"]
    assert data["properties"]["name"] == ["HIKVISION", "Hikvision"]
    assert data["merged_by"] == ["ofac:30946"]


def test_judgements_split_and_join() -> None:
    records = [
        record("a", "us_ofac_cons", "A", sanctions=[{"authority": OFAC, "entityNumber": "1"}]),
        record("b", "us_csl", "A", sanctions=[{"authority": OFAC, "entityNumber": "1"}]),
        record("c", "us_csl", "C"),
    ]
    apart = [{"left_id": "a", "right_id": "b", "judgement": "negative"}]
    assert ids(parties(records, apart)) == [["a"], ["b"], ["c"]]
    together = [{"left_id": "b", "right_id": "c", "judgement": "positive"}]
    assert ids(parties(records, together)) == [["a", "b", "c"]]
    # a negative judgement holds against a chain of keys too: a-b by key, b-c linked, a-c apart
    assert ids(parties(records, together + [{"left_id": "a", "right_id": "c", "judgement": "negative"}])) in (
        [["a"], ["b", "c"]], [["a", "b"], ["c"]])


def test_one_hit_per_party_from_the_official_files(store: Any, fixture_path: Any) -> None:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    ingest.load(store, [fixture_path("ofac_cons/cons_prim.csv")], force=True)
    hits = match("HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.", store=store, limit=10)
    cmic = [h for h in hits if "us_csl-30946" in h["referents"]]
    assert len(cmic) == 1
    hit = cmic[0]
    assert hit["id"] == "us_ofac_cons-30946" and sorted(hit["referents"]) == ["us_csl-30946", "us_ofac_cons-30946"]
    assert set(hit["datasets"]) == {"us_csl", "us_ofac_cons"}
    records = {r["id"]: r for r in hit["explanation"]["records"]}
    assert set(records) == {"us_csl-30946", "us_ofac_cons-30946"}
    assert any(f.startswith("name ") for r in records.values() for f in r["facts"])
    # the Entity List row of the same company carries no OFAC number: its own hit
    assert any(h["id"].startswith("us_csl-f095626c") and h["referents"] == [h["id"]] for h in hits)
    # an identifier shared by the query says which record carries it
    hits = match("Hikvision", identifiers=["91330000733796106P"], store=store, limit=10)
    hit = next(h for h in hits if "us_csl-30946" in h["referents"])
    facts = {r["id"]: r["facts"] for r in hit["explanation"]["records"]}
    assert "identifier 91330000733796106P" in facts["us_csl-30946"]


def test_un_reference_joins_the_uk_record(store: Any, fixture_path: Any, tmp_path: Path) -> None:
    uk = tmp_path / "conlist.csv"
    header = fixture_path("uk_ofsi/conlist.csv").read_text(encoding="utf-8").splitlines()[:2]
    row = ("MAHMOOD,Aqsa,,,,,,11/05/1994,Glasgow,United Kingdom,United Kingdom,,,,,,,,,,,Syria,"
           "(UK Sanctions List Ref):AQD0241. (UN Ref):QDi.390. Recruiter for ISIL.,Individual,Primary name,"
           "The ISIL (Da'esh) and Al-Qaida organisations,29/09/2016,05/10/2016,13500")
    uk.write_text("\n".join([*header, row]) + "\n", encoding="utf-8")
    ingest.load(store, [fixture_path("un_sc/good.xml")], force=True)
    ingest.load(store, [uk], force=True)
    hits = [h for h in match("Aqsa Mahmood", schema="Person", store=store) if h["match"]]
    assert len(hits) == 1
    assert {r.split("-")[0] for r in hits[0]["referents"]} == {"un_sc", "gb_hmt"}


def test_unlink_and_link_survive_reloads(store: Any, fixture_path: Any, tmp_path: Path) -> None:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    ingest.load(store, [fixture_path("ofac_cons/cons_prim.csv")], force=True)
    runner = CliRunner()
    url = ["--db", store.url]
    result = runner.invoke(main, [*url, "lists", "unlink", "us_csl-30946", "us_ofac_cons-30946", "--by", "ana",
                                  "--reason", "checked: two listings, kept apart for the test"])
    assert result.exit_code == 0, result.output
    assert "different parties" in result.output and "two parties" in result.output

    def referents() -> list[list[str]]:
        return sorted(h["referents"] for h in match("Hikvision", store=store, limit=10)
                      if {"us_csl-30946", "us_ofac_cons-30946"} & set(h["referents"]))

    assert referents() == [["us_csl-30946"], ["us_ofac_cons-30946"]]
    ingest.load(store, [fixture_path("ofac_cons/cons_prim.csv")], force=True)  # a new version of the list
    assert referents() == [["us_csl-30946"], ["us_ofac_cons-30946"]]
    listed = runner.invoke(main, [*url, "lists", "judgements", "--json"])
    assert '"actor": "ana"' in listed.output and '"judgement": "negative"' in listed.output
    # the reverse: linked again (the newest judgement of a pair is in force), and a link by hand
    assert runner.invoke(main, [*url, "lists", "link", "us_csl-30946", "us_ofac_cons-30946"]).exit_code == 0
    assert referents() == [["us_ofac_cons-30946", "us_csl-30946"]]
    assert runner.invoke(main, [*url, "lists", "link", "us_csl-30946", "us_csl-21944"]).exit_code == 0
    hit = next(h for h in match("Hikvision", store=store, limit=10) if "us_csl-30946" in h["referents"])
    assert "us_csl-21944" in hit["referents"]
    history = runner.invoke(main, [*url, "lists", "judgements", "us_csl-30946", "--history", "--json"])
    assert history.output.count('"judgement"') == 3
    status = runner.invoke(main, [*url, "lists", "status"])
    assert "records were merged into" in status.output


def test_a_judgement_needs_two_ids(store: Any) -> None:
    result = CliRunner().invoke(main, ["--db", store.url, "lists", "unlink", "x", "x"])
    assert result.exit_code == 1 and "two different record ids" in result.output
