"""Loading into the store: versions, diffs, sanity checks and every kind of bad input.

Each bad-input case asserts three things: the message names the file (and line or
record and field where there is one), nothing of the failed load is left active, and
the previous version is still the active one.
"""

import gzip
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from redflags import ingest, settings
from redflags.exc import SourceAssertionError, SourceFormatError
from redflags.store import tables as t

CSL_HEADER = ("_id,source,entity_number,type,programs,name,title,addresses,"
              "federal_register_notice,start_date,end_date,standard_order,license_requirement,"
              "license_policy,call_sign,vessel_type,gross_tonnage,gross_registered_tonnage,"
              "vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,"
              "dates_of_birth,nationalities,places_of_birth,source_information_url,ids")
EL = "Entity List (EL) - Bureau of Industry and Security"


def csl_row(i: int, name: str | None = None, country: str = "CN", alias: str = "") -> str:
    cells = [""] * 29
    cells[0], cells[1] = f"id{i}", EL
    cells[5] = '"%s"' % (name or f"Shenzhen Example {i} Technology Co., Ltd.")
    cells[7] = f'"No. {i} Road, Shenzhen, {country}"'
    cells[9], cells[22] = "2020-05-22", alias
    return ",".join(cells)


def write_csl(path: Path, n: int, **kw: Any) -> Path:
    path.write_text("\n".join([CSL_HEADER] + [csl_row(i, **kw) for i in range(n)]) + "\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def big_csl(tmp_path: Path) -> Path:
    """A CSL file large enough to pass the 1,000-entity sanity check."""
    return write_csl(tmp_path / "consolidated.csv", 1200)


def active_ids(store: Any, dataset: str) -> set[str]:
    return {r["id"] for r in store.iter_records(dataset)}


def assert_untouched(store: Any, dataset: str, version: int, count: int) -> None:
    assert store.active_version(dataset) == version
    assert len(active_ids(store, dataset)) == count
    with store.engine.connect() as conn:
        failed = conn.execute(sa.select(t.versions.c.id, t.versions.c.error).where(
            t.versions.c.status == "failed")).all()
        assert failed, "the failed attempt is recorded"
        for version_id, error in failed:
            assert error
            left = conn.execute(sa.select(sa.func.count()).select_from(t.entities).where(
                t.entities.c.version_id == version_id)).scalar()
            assert left == 0, "no half-written entities of a failed load"


# --- versions and diffs ---------------------------------------------------------------


def test_load_merges_duplicate_ids_and_records_issue(store: Any, fixture_path: Any) -> None:
    (result,) = ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    assert result.summary["entity_count"] == 5
    merged = store.entity("us_csl-34616")
    assert merged["lists"] == ["CAPTA List", "SDN List"]
    assert len(merged["raw"]) == 2
    dup = [i for i in result.issues if i.code == "duplicate-id"]
    assert len(dup) == 1 and dup[0].value == "34616" and dup[0].locator == "line 6"


def test_reload_is_idempotent(store: Any, big_csl: Path) -> None:
    first = ingest.load(store, [big_csl])[0].summary
    second = ingest.load(store, [big_csl])[0].summary
    assert second["version"] == first["version"] + 1
    assert (second["added"], second["removed"], second["modified"]) == (0, 0, 0)
    assert second["previous_id"] == first["version"]
    with store.engine.connect() as conn:
        blobs = conn.execute(sa.select(sa.func.count()).select_from(t.entity_data)).scalar()
    assert blobs == 1200, "an unchanged reload stores no new entity bodies"
    status = {d["dataset"]: d for d in store.status()}["us_csl"]
    assert [v["status"] for v in status["versions"]] == ["active", "superseded"]


def test_diff_reports_added_removed_and_changed_properties(store: Any, tmp_path: Path) -> None:
    old = write_csl(tmp_path / "a.csv", 1200)
    ingest.load(store, [old])
    lines = old.read_text().splitlines()
    lines[1] = csl_row(0, alias="Example Zero")  # modified: alias added
    del lines[2]  # id1 removed
    lines.append(csl_row(5000))  # added
    new = tmp_path / "b.csv"
    new.write_text("\n".join(lines) + "\n")
    summary = ingest.load(store, [new])[0].summary
    assert (summary["added"], summary["removed"], summary["modified"]) == (1, 1, 1)
    diff = store.diff("us_csl")
    assert [c["id"] for c in diff["changes"]["added"]] == ["us_csl-id5000"]
    assert [c["id"] for c in diff["changes"]["removed"]] == ["us_csl-id1"]
    (changed,) = diff["changes"]["modified"]
    assert changed["id"] == "us_csl-id0"
    assert changed["changes"]["alias"] == {"added": ["Example Zero"], "removed": []}
    history = store.entity("us_csl-id0")["provenance"]["history"]
    assert [h["change"] for h in history] == ["added", "modified"]


def test_entity_provenance_names_file_and_checksum(store: Any, big_csl: Path) -> None:
    ingest.load(store, [big_csl])
    data = store.entity("us_csl-id7")
    prov = data["provenance"]
    assert prov["dataset"] == "us_csl" and prov["format"] == "us_csl_csv"
    assert prov["files"][0]["name"] == "consolidated.csv"
    assert len(prov["files"][0]["sha256"]) == 64
    assert data["locators"] == ["consolidated.csv:line 9"]


def test_ftm_delta_applies_on_active_version(store: Any, fixture_path: Any) -> None:
    ingest.load(store, [fixture_path("ftm/entities.ftm.json")], dataset="us_dhs_uflpa")
    summary = ingest.load(store, [fixture_path("ftm/delta.json")], dataset="us_dhs_uflpa")[0].summary
    assert (summary["added"], summary["removed"], summary["modified"]) == (1, 1, 1)
    assert active_ids(store, "us_dhs_uflpa") == {"us_dhs_uflpa-NK-hik", "us_dhs_uflpa-NK-dahua"}
    assert "HIKVISION" in store.entity("us_dhs_uflpa-NK-hik")["properties"]["alias"]


def test_ofac_companion_without_primary_is_refused(tmp_path: Path, fixture_path: Any) -> None:
    lone = tmp_path / "add.csv"
    shutil.copy(fixture_path("ofac_csv/add.csv"), lone)
    with pytest.raises(SourceFormatError, match="add.csv: an OFAC add file cannot be loaded"):
        ingest.plan([lone])


# --- sanity checks ----------------------------------------------------------------------


def test_twelve_record_csl_is_a_broken_download(store: Any, big_csl: Path,
                                                tmp_path: Path) -> None:
    v1 = ingest.load(store, [big_csl])[0].summary["version"]
    small = write_csl(tmp_path / "consolidated.csv", 12)
    with pytest.raises(SourceAssertionError, match=r"consolidated.csv: 12 entities, fewer than "
                       r"the 1000 .* broken download"):
        ingest.load(store, [small])
    assert_untouched(store, "us_csl", v1, 1200)
    forced = ingest.load(store, [small], force=True)[0]
    assert forced.summary["entity_count"] == 12 and forced.summary["forced"] is True
    assert any(i.code == "assertion-overridden" for i in forced.issues)


def test_large_drop_against_active_version_is_refused(store: Any, tmp_path: Path) -> None:
    v1 = ingest.load(store, [write_csl(tmp_path / "a.csv", 3000)])[0].summary["version"]
    with pytest.raises(SourceAssertionError, match="1200 entities where the active version has 3000"):
        ingest.load(store, [write_csl(tmp_path / "b.csv", 1200)])
    assert_untouched(store, "us_csl", v1, 3000)


# --- bad input --------------------------------------------------------------------------


@pytest.fixture
def loaded(store: Any, big_csl: Path) -> int:
    return int(ingest.load(store, [big_csl])[0].summary["version"])


def _reject(store: Any, path: Path, match: str, fmt: str | None = "us_csl_csv",
            version: int | None = None) -> None:
    with pytest.raises((SourceFormatError, SourceAssertionError)) as info:
        ingest.load(store, [path], fmt=fmt, dataset="us_csl")
    assert path.name in str(info.value)
    assert match in str(info.value), str(info.value)
    if version is not None:
        assert_untouched(store, "us_csl", version, 1200)


def test_empty_file(store: Any, loaded: int, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(SourceFormatError, match=r"empty.csv: empty file \(0 bytes\)"):
        ingest.load(store, [empty])
    _reject(store, empty, "empty file", version=None)
    assert store.active_version("us_csl") == loaded


def test_wrong_delimiter(store: Any, loaded: int, tmp_path: Path, big_csl: Path) -> None:
    semi = tmp_path / "semicolon.csv"
    semi.write_text(big_csl.read_text().replace(",", ";"))
    with pytest.raises(SourceFormatError, match="semicolon.csv: format not recognised"):
        ingest.load(store, [semi])
    _reject(store, semi, "line 1: required column(s) '_id', 'source', 'name' missing", version=loaded)
    _reject(store, semi, "wrong delimiter?")


def test_missing_required_column(store: Any, loaded: int, tmp_path: Path, big_csl: Path) -> None:
    bad = tmp_path / "noname.csv"
    bad.write_text(big_csl.read_text().replace(",name,", ",nom,", 1))
    _reject(store, bad, "line 1: required column(s) 'name' missing", version=loaded)


def test_truncated_csv_loads_complete_rows_and_reports_cut(store: Any, tmp_path: Path,
                                                          big_csl: Path) -> None:
    data = big_csl.read_bytes()
    cut = tmp_path / "cut.csv"
    cut.write_bytes(data[: data.rindex(b'"No. 1199')+ 8])  # ends inside a quoted field
    result = ingest.load(store, [cut])[0]
    assert result.summary["entity_count"] == 1199
    (issue,) = [i for i in result.issues if i.code == "truncated-file"]
    assert issue.file == "cut.csv" and issue.locator == "line 1201" and issue.severity == "error"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_bom_encodings_load_cleanly(store: Any, tmp_path: Path, big_csl: Path,
                                    encoding: str) -> None:
    text = big_csl.read_text().replace("Example 3 Technology", "Example 3 Technology 海康")
    path = tmp_path / f"csl-{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    result = ingest.load(store, [path])[0]
    assert result.summary["entity_count"] == 1200
    assert result.summary["files"][0]["encoding"] == encoding
    assert store.entity("us_csl-id3")["caption"].endswith("海康 Co., Ltd.")
    assert not [i for i in result.issues if i.code == "encoding"]


def test_utf16_without_bom_is_refused(store: Any, loaded: int, tmp_path: Path,
                                      big_csl: Path) -> None:
    path = tmp_path / "utf16le.csv"
    path.write_bytes(big_csl.read_text().encode("utf-16-le"))
    _reject(store, path, "UTF-16 without a byte-order mark", version=loaded)


@pytest.mark.parametrize("encoding,name,decoded", [
    ("gb18030", "杭州海康威视数字技术股份有限公司", "gb18030"),
    ("latin-1", "Société Générale Équipements", "cp1252"),
])
def test_non_utf8_bytes_are_decoded_and_reported(store: Any, tmp_path: Path, encoding: str,
                                                 name: str, decoded: str) -> None:
    header = "name,aliases,country,list\n"
    rows = "".join(f"Plain Name {i},,CN,Test List\n" for i in range(5))
    path = tmp_path / "declared-utf8.csv"
    path.write_bytes(header.encode() + rows.encode() + f"{name},,CN,Test List\n".encode(encoding))
    result = ingest.load(store, [path], dataset="mixed")[0]
    (issue,) = [i for i in result.issues if i.code == "encoding"]
    assert issue.file == "declared-utf8.csv" and issue.locator == "line 7"
    assert decoded in issue.message
    assert name in {r["caption"] for r in store.iter_records("mixed")}


def test_hundred_megabyte_field(store: Any, loaded: int, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with open(path, "w") as fh:
        fh.write(CSL_HEADER + "\n" + csl_row(1) + "\n")
        fh.write(f'id2,{EL},,,,"')
        chunk = "A" * (1 << 20)
        for _ in range(100):
            fh.write(chunk)
        fh.write('",,,,,,,,,,,,,,,,,,,,,,,\n')
    _reject(store, path, f"line 3: a field is longer than {settings.MAX_FIELD_CHARS:,}",
            version=loaded)


XML_ATTACKS = {
    "doctype": '<?xml version="1.0"?>\n<!DOCTYPE CONSOLIDATED_LIST>\n<CONSOLIDATED_LIST/>',
    "xxe": ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>"
            "<FIRST_NAME>&x;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"),
    "billion-laughs": ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                       + "".join(f'<!ENTITY lol{i} "{"&lol%s;" % (i - 1 if i > 1 else "") * 10}">'
                                 for i in range(1, 10))
                       + ']>\n<CONSOLIDATED_LIST><x>&lol9;</x></CONSOLIDATED_LIST>'),
}


@pytest.mark.parametrize("attack", sorted(XML_ATTACKS))
def test_hostile_xml_is_refused(store: Any, tmp_path: Path, fixture_path: Any,
                                attack: str) -> None:
    version = ingest.load(store, [fixture_path("un_sc/good.xml")], force=True)[0].summary["version"]
    path = tmp_path / f"{attack}.xml"
    path.write_text(XML_ATTACKS[attack])
    with pytest.raises(SourceFormatError) as info:
        ingest.load(store, [path], fmt="un_sc_xml")
    assert f"{attack}.xml: line 1: XML declares a DOCTYPE or entities" in str(info.value)
    assert store.active_version("un_sc") == version
    assert len(active_ids(store, "un_sc")) == 2


def test_malformed_xml_names_line(store: Any, tmp_path: Path, fixture_path: Any) -> None:
    text = fixture_path("un_sc/good.xml").read_text()
    path = tmp_path / "cut.xml"
    path.write_text(text[: text.index("<ENTITIES>") + 40])
    with pytest.raises(SourceFormatError, match=r"cut.xml: line \d+: malformed XML"):
        ingest.load(store, [path])


def test_zip_bomb_is_refused(store: Any, loaded: int, tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("consolidated.csv", "w") as member:
            member.write(CSL_HEADER.encode() + b"\n")
            zero = b"0" * (1 << 20)
            for _ in range(64):
                member.write(zero)
    assert path.stat().st_size < 1_000_000
    _reject(store, path, "refusing a likely decompression bomb", fmt="us_csl_csv", version=loaded)


def test_gzip_bomb_is_cut_off(store: Any, loaded: int, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "MAX_UNCOMPRESSED_BYTES", 5 * 1024**2)
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(CSL_HEADER.encode() + b"\n")
        for _ in range(20):
            fh.write(b"\n" * (1 << 20))
    _reject(store, path, "decompression bomb", fmt="us_csl_csv", version=loaded)


def test_failed_write_is_rolled_back(store: Any, big_csl: Path, tmp_path: Path) -> None:
    v1 = ingest.load(store, [big_csl])[0].summary["version"]
    # A real database failure half-way through the write: a trigger aborts one insert.
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER fail_midway BEFORE INSERT ON entities "
            "WHEN NEW.entity_id = 'us_csl-id600' BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    changed = write_csl(tmp_path / "consolidated.csv", 1300)
    with pytest.raises(sa.exc.IntegrityError, match="disk full"):
        ingest.load(store, [changed])
    assert_untouched(store, "us_csl", v1, 1200)


def test_damaged_xlsx(store: Any, tmp_path: Path, uk_xlsx: Any) -> None:
    from tests.conftest import uk_rows

    good = uk_xlsx(uk_rows(3))
    version = ingest.load(store, [good], force=True)[0].summary["version"]
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[:3000])
    with pytest.raises(SourceFormatError, match="cut.xlsx: "):
        ingest.load(store, [cut], fmt="uk_ofsi_xlsx")
    assert store.active_version("gb_hmt") == version


def test_xlsx_with_entity_bomb_is_refused(store: Any, tmp_path: Path, uk_xlsx: Any) -> None:
    from tests.conftest import uk_rows

    good = uk_xlsx(uk_rows(3))
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
                        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + data)
            dst.writestr(item, data)
    from defusedxml import DefusedXmlException

    with pytest.raises(SourceFormatError, match="bomb.xlsx: ") as info:
        ingest.load(store, [bomb], fmt="uk_ofsi_xlsx", force=True)
    cause = info.value.__cause__
    while cause is not None and not isinstance(cause, DefusedXmlException):
        cause = cause.__cause__ or cause.__context__
    assert isinstance(cause, DefusedXmlException), "refused by the hardened XML parser"


def test_unknown_xml_and_bad_json_lines(store: Any, tmp_path: Path) -> None:
    notice = tmp_path / "notice.xml"  # a Federal Register notice: not a rule redflags reads
    notice.write_text('<?xml version="1.0"?><NOTICE><PREAMB/></NOTICE>')
    with pytest.raises(SourceFormatError, match=r"notice.xml: format not recognised") as caught:
        ingest.load(store, [notice])
    assert caught.value.excerpt == "XML with root element <NOTICE>"
    lines = tmp_path / "entities.ftm.json"
    lines.write_text('{"id": "a", "schema": "Person", "properties": {"name": ["A B"]}}\n'
                     '{"id": "b", "schema": "Person", "properties": \n'
                     '{"id": "c", "schema": "Martian", "properties": {}}\n')
    result = ingest.load(store, [lines], dataset="ftm_test")[0]
    assert result.summary["entity_count"] == 1
    codes = {(i.locator, i.code) for i in result.issues}
    assert ("line 2", "invalid-json") in codes and ("line 3", "unknown-schema") in codes
