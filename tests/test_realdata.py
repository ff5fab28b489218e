"""Every real snapshot in ../shared/data/lists parses, with the counts its MANIFEST gives."""

from pathlib import Path
from typing import Any

import pytest

from redflags import ingest
from redflags.sources.formats import detect

pytestmark = pytest.mark.realdata

# file, format, dataset, entities expected (after merging records that share an id)
SNAPSHOTS = [
    ("us_csl/consolidated-2022-05.csv.gz", "us_csl_csv", "us_csl", 14160 - 112),
    ("us_csl/partial-2023-11.csv", "us_csl_csv", "us_csl", None),
    ("un_sc/UN_consolidated-2026-02.xml", "un_sc_xml", "un_sc", 730 + 273),
    ("ofac_cons/cons_prim.csv", "ofac_csv", "us_ofac_cons", 442),
    ("ofac_cons/legacy_xml_2018-04/consolidated.xml", "ofac_xml", "us_ofac_cons", 639),
    ("ofac_cons/legacy_xml_2024-05/consolidated.xml", "ofac_xml", "us_ofac_cons", 443),
    ("ofac_cons/CONS_ENHANCED.ZIP", "ofac_enhanced_xml", "us_ofac_cons", 443),
    ("ofac_cons/advanced_xml_2020-03/cons_advanced.xml", "ofac_advanced_xml", "us_ofac_cons", 375),
    ("ofac_sdn/enhanced_xml_IRGC_2024-08/IRGC_sanctions.xml", "ofac_enhanced_xml",
     "us_ofac_sdn", 293),
    ("ofac_sdn/legacy_csv_2021-07/sdn.csv", "ofac_csv", "us_ofac_sdn", 8976),
    ("ofac_sdn/sdn-2024-05-03.csv", "ofac_csv", "us_ofac_sdn", 14965),
    ("uk_ofsi/sanctionsconlist-2018-04.csv", "uk_ofsi_csv", "gb_hmt", 2106),
    ("uk_ofsi/ConList-2025-04.xlsx", "uk_ofsi_xlsx", "gb_hmt", None),
    ("bis_dpl/dpl-2023-11.txt", "us_bis_dpl", "us_bis_dpl", None),
    ("opensanctions_ftm/t1_entities.ftm.json", "ftm_json", "opensanctions", 7),
    ("opensanctions_ftm/zala_entities.ftm.json", "ftm_json", "opensanctions", None),
]


@pytest.mark.parametrize("rel,fmt,dataset,expected", SNAPSHOTS, ids=[s[0] for s in SNAPSHOTS])
def test_snapshot_loads(store: Any, shared_data: Path, rel: str, fmt: str, dataset: str,
                        expected: int | None) -> None:
    path = shared_data / rel
    assert detect(path) == fmt
    (result,) = ingest.load(store, [path], force=rel.startswith("opensanctions"))
    summary = result.summary
    assert summary["dataset"] == dataset
    if expected is not None:
        assert summary["entity_count"] == expected
    else:
        assert summary["entity_count"] > 0
    errors = [i for i in result.issues if i.severity == "error"]
    if rel == "us_csl/partial-2023-11.csv":
        assert [e.code for e in errors] == ["truncated-file"]
    else:
        assert errors == []


def test_csl_2022_component_lists_and_duplicates(store: Any, shared_data: Path) -> None:
    (result,) = ingest.load(store, [shared_data / "us_csl/consolidated-2022-05.csv.gz"])
    lists = result.summary["counts"]["lists"]
    assert lists["Entity List"] == 2001
    assert lists["SDN List"] == 10026
    assert len(lists) == 13
    dups = [i for i in result.issues if i.code == "duplicate-id"]
    assert len(dups) == 112
    hik = store.entity("us_csl-f095626c9f8becc70b5948507fb6de6e443b257a")
    assert hik["caption"] == "Hangzhou Hikvision Digital Technology Co., Ltd."
    assert hik["sanctions"][0]["federalRegisterNotice"].startswith("84 FR 54002")


def test_ofac_legacy_csv_set_with_companions(store: Any, shared_data: Path) -> None:
    folder = shared_data / "ofac_sdn/legacy_csv_2021-07"
    (result,) = ingest.load(store, [folder / "sdn.csv"])
    assert set(result.job.companions) == {"add", "alt", "comments"}
    assert not [i for i in result.issues if i.code == "orphan-row"]
    aero = store.entity("us_ofac_sdn-36")
    assert "AERO-CARIBBEAN" in aero["properties"]["alias"]


def test_ofac_2025_companions_without_primary_are_refused(shared_data: Path) -> None:
    folder = shared_data / "ofac_sdn/legacy_csv_2025-12_no_sdn"
    with pytest.raises(Exception, match="cannot be loaded without its primary file"):
        ingest.plan(sorted(folder.iterdir()))


def test_damaged_eu_csv_loads_what_it_can(store: Any, shared_data: Path) -> None:
    path = shared_data / "eu_fsf/EUSanctionsShort-2018-07-damaged.csv"
    (result,) = ingest.load(store, [path], force=True)
    assert result.summary["entity_count"] > 80
    codes = {i.code for i in result.issues}
    assert {"resaved-file", "assertion-overridden"} <= codes


def test_opensanctions_delta_on_snapshot(store: Any, shared_data: Path) -> None:
    base = shared_data / "opensanctions_ftm"
    ingest.load(store, [base / "entities.delta.json"], dataset="opensanctions", force=True)
    assert store.status_of("opensanctions")["entities"] > 400


def test_match_hikvision_in_chinese_script(store: Any, shared_data: Path, tmp_path: Path) -> None:
    """The issue's acceptance query, through the CLI, against the real CSL."""
    import json

    from click.testing import CliRunner

    from redflags.cli import main

    ingest.load(store, [shared_data / "us_csl/consolidated-2022-05.csv.gz"])
    result = CliRunner().invoke(main, ["--db", store.url, "match", "杭州海康威视数字技术股份有限公司", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    top = {h["id"]: h for h in hits[:2]}
    assert set(top) == {"us_csl-f095626c9f8becc70b5948507fb6de6e443b257a", "us_csl-30946"}
    assert all(h["match"] for h in top.values())
    lists = {name for h in top.values() for name in h["lists"]}
    assert any("Entity List" in name for name in lists) and any("CMIC" in name for name in lists)
    hows = {t["how"] for h in top.values() for t in h["explanation"]["tokens"]}
    assert "alias" in hows and "dictionary" in hows
    assert any("hikvision.com" in t.get("query_source", "") for h in top.values() for t in h["explanation"]["tokens"])
