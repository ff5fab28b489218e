"""List files a careless publisher or a hostile mirror could hand over (issue 10, items 3, 5, 6, 8
and Low): each is loaded as far as it can be, with issues naming the line and field, or refused
with a clear message, and never crashes.
"""

import gzip
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from redflags import ingest
from redflags.exc import SourceFormatError
from tests.hostile.xlsx import write_xlsx
from tests.test_ingest import CSL_HEADER, write_csl


def _cli(store: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "redflags", "--db", store.url, *args], capture_output=True,
                          text=True, timeout=300)


def _no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr and "Aborted!" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("Error: ") or "\nError: " in proc.stderr, proc.stderr


# --- item 3: a Windows-1252 list is not read as Chinese ---------------------------------


def test_a_windows_1252_list_is_not_read_as_chinese(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "my-list.csv"
    rows = ["name,list,country", "Talleres Ibérica S.A.,Block list,ES", "Müller Bäckerei GmbH,Block list,DE",
            "Société Générale Équipements,Block list,FR"]
    path.write_bytes(("\n".join(rows) + "\n").encode("cp1252"))
    result = ingest.load(store, [path], dataset="mine")[0]
    names = sorted(r["caption"] for r in store.iter_records("mine"))
    assert names == ["Müller Bäckerei GmbH", "Société Générale Équipements", "Talleres Ibérica S.A."]
    first = [i for i in result.issues if i.code == "encoding"][0]
    assert "cp1252" in first.message and first.locator == "line 2"


# --- item 5: FollowTheMoney JSON with wrong types and duplicate ids ---------------------


def _ftm(tmp_path: Path, *entities: dict[str, Any]) -> Path:
    path = tmp_path / "entities.ftm.json"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities), encoding="utf-8")
    return path


def test_ftm_duplicate_ids_are_merged_and_reported(store: Any, tmp_path: Path) -> None:
    path = _ftm(tmp_path,
                {"id": "p1", "schema": "Person", "properties": {"name": ["Ivan Petrov"]}, "datasets": ["a"]},
                {"id": "p2", "schema": "Person", "properties": {"name": ["Other One"]}},
                {"id": "p1", "schema": "Person", "properties": {"name": ["Ivan Petrov Jr"]}, "datasets": ["b"]})
    result = ingest.load(store, [path], dataset="ftm", force=True)[0]
    entity = store.entity("ftm-p1")
    assert sorted(entity["properties"]["name"]) == ["Ivan Petrov", "Ivan Petrov Jr"]
    assert entity["lists"] == ["a", "b"]
    (dup,) = [i for i in result.issues if i.code == "duplicate-id"]
    assert dup.locator == "line 3" and dup.value == "p1" and "line 1" in dup.message


def test_ftm_duplicate_ids_of_different_kinds_are_reported_as_errors(store: Any, tmp_path: Path) -> None:
    path = _ftm(tmp_path, {"id": "x", "schema": "Person", "properties": {"name": ["Ivan Petrov"]}},
                {"id": "x", "schema": "Vessel", "properties": {"name": ["Sea Star"]}})
    result = ingest.load(store, [path], dataset="ftm", force=True)[0]
    (dup,) = [i for i in result.issues if i.code == "duplicate-id-conflict"]
    assert dup.severity == "error" and dup.locator == "line 2"
    assert "Sea Star" in json.dumps(store.entity("ftm-x")["raw"])


@pytest.mark.parametrize(("datasets", "lists", "code"), [
    (5, [], "invalid-datasets"),
    ({"a": 1}, [], "invalid-datasets"),
    ("us_ofac_sdn", ["us_ofac_sdn"], "invalid-datasets"),
    (["ok", 7, None], ["ok"], "invalid-datasets"),
])
def test_ftm_datasets_of_the_wrong_type(store: Any, tmp_path: Path, datasets: Any, lists: list[str],
                                        code: str) -> None:
    path = _ftm(tmp_path, {"id": "e1", "schema": "Company", "properties": {"name": ["Acme"]}, "datasets": datasets})
    result = ingest.load(store, [path], dataset="ftm", force=True)[0]
    assert store.entity("ftm-e1")["lists"] == lists
    (issue,) = [i for i in result.issues if i.code == code]
    assert issue.locator == "line 1" and issue.field == "datasets"


def test_ftm_nested_and_odd_values_are_never_stored_as_python_text(store: Any, tmp_path: Path) -> None:
    path = _ftm(tmp_path, {"id": "e1", "schema": "Company", "properties": {
        "name": [["Acme Trading", "Acme Ltd"], "Acme"], "alias": [True, {"no": "id"}], "country": "cn"}})
    result = ingest.load(store, [path], dataset="ftm", force=True)[0]
    props = store.entity("ftm-e1")["properties"]
    assert sorted(props["name"]) == ["Acme", "Acme Ltd", "Acme Trading"]
    assert "alias" not in props and props["country"] == ["cn"]
    stored = json.dumps(props)
    assert "[" not in "".join(props["name"]) and "True" not in stored
    codes = sorted(i.code for i in result.issues)
    assert codes == ["invalid-value", "invalid-value", "nested-list"]


# --- item 6: gzip cut off or damaged ------------------------------------------------------


def test_a_truncated_gzip_loads_its_complete_records(store: Any, tmp_path: Path) -> None:
    data = gzip.compress(write_csl(tmp_path / "c.csv", 3000).read_bytes())
    cut = tmp_path / "consolidated.csv.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    result = ingest.load(store, [cut], force=True)[0]
    count = result.summary["entity_count"]
    assert 1000 < count < 3000
    (issue,) = [i for i in result.issues if i.code == "truncated-file"]
    assert issue.severity == "error" and issue.file == "consolidated.csv.gz"
    assert issue.locator == f"line {count + 2}"
    # the cut never yields a half record: every loaded name is whole
    assert all(r["caption"].endswith("Technology Co., Ltd.") for r in store.iter_records("us_csl"))


def test_a_truncated_gzip_from_the_command_line(store: Any, tmp_path: Path) -> None:
    data = gzip.compress(write_csl(tmp_path / "c.csv", 3000).read_bytes())
    cut = tmp_path / "consolidated.csv.gz"
    cut.write_bytes(data[: len(data) // 2])
    proc = _cli(store, "lists", "load", str(cut), "--force")
    assert proc.returncode == 0, proc.stderr
    assert "truncated" in proc.stderr or "cut off" in proc.stderr


def test_a_corrupted_gzip_is_refused_cleanly(store: Any, tmp_path: Path) -> None:
    first = write_csl(tmp_path / "a.csv", 1200)
    version = ingest.load(store, [first])[0].summary["version"]
    data = bytearray(gzip.compress(write_csl(tmp_path / "c.csv", 3000).read_bytes()))
    for offset in range(len(data) // 2, len(data) // 2 + 8):
        data[offset] ^= 0x5A
    bad = tmp_path / "consolidated.csv.gz"
    bad.write_bytes(bytes(data))
    with pytest.raises(SourceFormatError, match="consolidated.csv.gz: damaged compressed data"):
        ingest.load(store, [bad])
    assert store.active_version("us_csl") == version
    proc = _cli(store, "lists", "load", str(bad))
    assert proc.returncode == 1
    _no_traceback(proc)


# --- item 8: an XLSX list whose shared strings would expand like a bomb --------------------


def test_an_xlsx_list_bomb_is_refused_before_it_is_read(store: Any, tmp_path: Path) -> None:
    from tests.conftest import UK_NEW_HEADER

    bomb = write_xlsx(tmp_path / "ConList.xlsx", [["Last Updated", "14/04/2025"], UK_NEW_HEADER,
                                                  ["HAQ"] * len(UK_NEW_HEADER)], bomb_mb=200)
    assert bomb.stat().st_size < 1_000_000
    start = time.monotonic()
    with pytest.raises(SourceFormatError, match="sharedStrings.xml.*likely decompression bomb"):
        ingest.load(store, [bomb], fmt="uk_ofsi_xlsx")
    assert time.monotonic() - start < 5


# --- Low: a DOCTYPE anywhere is refused -----------------------------------------------------


UN_BODY = ('<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:00Z"><INDIVIDUALS><INDIVIDUAL>'
           '<DATAID>1</DATAID><FIRST_NAME>&evil;</FIRST_NAME><UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>'
           '<REFERENCE_NUMBER>QDi.1</REFERENCE_NUMBER></INDIVIDUAL></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>')


@pytest.mark.parametrize("where", ["after 4 KB of comment", "in UTF-16"])
def test_a_doctype_anywhere_is_refused(store: Any, tmp_path: Path, where: str) -> None:
    doctype = '<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY evil "Osama">]>'
    path = tmp_path / "un.xml"
    if where == "in UTF-16":
        path.write_bytes(f'<?xml version="1.0" encoding="UTF-16"?>\n{doctype}\n{UN_BODY}'.encode("utf-16"))
    else:
        path.write_text(f'<?xml version="1.0"?>\n<!--{" " * 5000}-->\n{doctype}\n{UN_BODY}', encoding="utf-8")
    with pytest.raises(SourceFormatError, match="declares a DOCTYPE"):
        ingest.load(store, [path], fmt="un_sc_xml", force=True)


# --- Low: one id given to two different parties in a custom list ---------------------------


def test_one_id_for_two_parties_keeps_both(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "block.csv"
    path.write_text("id,name,list\nB1,Alpha Trading LLC,Block list\nB1,Beta Logistics Ltd,Block list\n"
                    "B2,Gamma Co,Block list\nB2,GAMMA CO,Other list\n", encoding="utf-8")
    result = ingest.load(store, [path], dataset="block")[0]
    names = sorted(r["caption"] for r in store.iter_records("block"))
    assert names == ["Alpha Trading LLC", "Beta Logistics Ltd", "Gamma Co"]
    (conflict,) = [i for i in result.issues if i.code == "duplicate-id-conflict"]
    assert conflict.locator == "line 3" and "line 2" in conflict.message and conflict.value == "B1"
    assert store.entity("block-B2")["lists"] == ["Block list", "Other list"]


# --- Low: a mirror file's content never reaches the API ------------------------------------


def test_a_bad_mirror_file_is_not_echoed_to_viewers(store: Any, tmp_path: Path) -> None:
    import yaml
    from fastapi.testclient import TestClient

    from redflags.api import create_app
    from redflags.api.keys import create_key

    secret = "INTERNAL-ONLY row 1 of the treasury's working file"
    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump({"sources": {"custom": {
        "dataset": "block", "format": "custom_csv", "files": [{"url": "http://127.0.0.1:9/b.csv", "name": "b.csv"}]}}}))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "b.csv").write_text(f"{secret},x,y\n1,2,3\n", encoding="utf-8")
    admin, viewer = create_key(store, "admin")[1], create_key(store, "viewer")[1]
    with TestClient(create_app(store)) as client:
        import redflags.settings

        redflags.settings.SOURCES_FILE = str(sources)
        try:
            resp = client.post("/lists/update", json={"mirror": str(mirror)},
                               headers={"Authorization": f"Bearer {admin}"})
        finally:
            redflags.settings.SOURCES_FILE = ""
        assert resp.status_code == 422 and "required column(s)" in resp.json()["detail"]
        assert "internal-only" not in resp.text.casefold()
        lists = client.get("/lists", headers={"Authorization": f"Bearer {viewer}"})
        assert lists.status_code == 200 and "required column(s)" in lists.text
        assert "internal-only" not in lists.text.casefold()
    proc = _cli(store, "lists", "load", str(mirror / "b.csv"), "--format", "custom_csv")
    assert "internal-only" in proc.stderr.casefold()  # the person at the command line sees what was found


def test_header_content_in_a_refusal_stays_out_of_the_stored_error(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "consolidated.csv"
    path.write_text(CSL_HEADER.replace(",name,", ",SECRET-COLUMN,") + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as caught:
        ingest.load(store, [path], fmt="us_csl_csv")
    assert "SECRET-COLUMN" in str(caught.value) and "SECRET-COLUMN" not in caught.value.detail
    failed = store.status()[0]["versions"][0]
    assert failed["status"] == "failed" and "SECRET" not in failed["error"]
