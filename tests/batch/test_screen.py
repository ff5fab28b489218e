"""``redflags screen`` end to end on a real SQLite store loaded from an official-format fixture."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from redflags import ingest
from redflags.batch import Options, screen_file
from redflags.cli import main
from redflags.exc import InputError, RedflagsError

VENDORS = [
    ("V1", "HIKVISION DIGITAL TECH CO LTD", "CN"),
    ("V2", "Acme Widgets Inc", "US"),
    ("V3", "", "US"),
    ("V4", "杭州海康威视数字技术股份有限公司", "CN"),
    ("V5", "Arimero Holding Ltd", "CY"),
    ("V6", "=HYPERLINK(\"http://x\",\"click\")", "US"),
]


@pytest.fixture
def loaded(store: Any, fixture_path: Any) -> Any:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    return store


def vendor_file(path: Path, rows: list[tuple[str, str, str]] = VENDORS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Vendor ID", "Supplier Name", "Country"])
        writer.writerows(rows)
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_results_per_row_in_order_with_errors_and_a_run_record(loaded: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = screen_file(loaded, vendor_file(tmp_path / "v.csv"), out, Options(workers=1))
    rows = read_jsonl(out)
    assert [r["row"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r["id"] for r in rows] == ["V1", "V2", "V3", "V4", "V5", "V6"]
    assert [r["status"] for r in rows] == ["alert", "clear", "error", "alert", "alert", "clear"]
    assert set(rows[0]) >= {"row", "id", "query", "status", "error", "hits"}
    assert rows[2]["error"] == "no name: column 'Supplier Name' is empty"
    hik = rows[0]["hits"]
    assert hik[0]["caption"] == "Hangzhou Hikvision Digital Technology Co., Ltd." and hik[0]["match"] is True
    assert [h["score"] for h in hik] == sorted((h["score"] for h in hik), reverse=True)
    assert rows[0]["query"] == {"names": ["HIKVISION DIGITAL TECH CO LTD"], "schema": None, "countries": ["CN"],
                                "identifiers": [], "birth_dates": []}
    assert {h["id"] for h in rows[3]["hits"] if h["match"]} == {h["id"] for h in hik if h["match"]}
    run = loaded.run(result.run["id"])
    assert run["status"] == "done" and run["output"] == str(out)
    assert run["counts"]["rows"] == 6 and run["counts"]["alert"] == 3 and run["counts"]["error"] == 1
    assert run["list_versions"]["us_csl"]["entities"] > 0
    assert run["params"]["threshold"] == 0.73 and run["params"]["columns"]["name"] == ["Supplier Name"]
    assert run["input_info"]["encoding"] == "utf-8"
    assert sum(run["counts"]["score_histogram"]) == 6
    assert not list(tmp_path.glob("*.partial*"))


def test_csv_xlsx_and_jsonl_agree_row_for_row(loaded: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    source = vendor_file(tmp_path / "v.csv")
    for fmt in ("jsonl", "csv", "xlsx"):
        screen_file(loaded, source, tmp_path / f"out.{fmt}", Options(output_format=fmt, workers=1))
    jsonl = read_jsonl(tmp_path / "out.jsonl")
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as fh:
        flat = list(csv.DictReader(fh))
    wb = load_workbook(tmp_path / "out.xlsx")
    sheet = wb["Results"]
    header = [c.value for c in sheet[1]]
    xlsx = [dict(zip(header, [c.value for c in row])) for row in sheet.iter_rows(min_row=2)]
    assert len(jsonl) == len(flat) == len(xlsx) == len(VENDORS)
    for j, c, x in zip(jsonl, flat, xlsx, strict=True):
        best = j["hits"][0] if j["hits"] else None
        assert c["Vendor ID"] == x["Vendor ID"] == j["id"]
        assert c["status"] == x["status"] == j["status"]
        assert c["best_match_id"] == (x["best_match_id"] or "") == (best["id"] if best else "")
        assert c["score"] == str(x["score"] or "") == (str(best["score"]) if best else "")
        assert int(c["hits"]) == x["hits"] == len(j["hits"])
    # a name a spreadsheet would run as a formula stays text
    assert flat[5]["Supplier Name"].startswith("'=HYPERLINK")
    assert xlsx[5]["Supplier Name"].startswith("=HYPERLINK") and sheet.cell(7, 2).data_type == "s"
    run_sheet = {r[0].value: r[1].value for r in wb["Run"].iter_rows()}
    assert run_sheet["count rows"] == "6" and run_sheet["threshold"] == "0.73"


def test_no_lists_loaded_says_how_to_load(store: Any, tmp_path: Path) -> None:
    with pytest.raises(RedflagsError, match="no lists loaded: load them with `redflags lists load FILE`"):
        screen_file(store, vendor_file(tmp_path / "v.csv"), tmp_path / "o.jsonl", Options())


def test_output_must_not_overwrite_the_input(loaded: Any, tmp_path: Path) -> None:
    source = vendor_file(tmp_path / "v.csv")
    with pytest.raises(InputError, match="is the input file"):
        screen_file(loaded, source, source, Options(output_format="csv"))
    assert source.read_text(encoding="utf-8").startswith("Vendor ID,Supplier Name")


def test_stopped_run_leaves_no_output_and_resumes(loaded: Any, tmp_path: Path) -> None:
    rows = [(f"V{n}", name, "CN") for n in range(40) for name in ("Hikvision Digital", f"Unlisted Vendor {n}")]
    source = vendor_file(tmp_path / "v.csv", rows)
    clean = tmp_path / "clean.jsonl"
    screen_file(loaded, source, clean, Options(workers=1, chunk=10))
    out = tmp_path / "out.jsonl"

    def stop(done: int, *_: Any) -> None:
        if done >= 30:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        screen_file(loaded, source, out, Options(workers=1, chunk=10), progress=stop)
    assert not out.exists()
    partial = tmp_path / "out.jsonl.partial.jsonl"
    assert len(read_jsonl(partial)) == 30
    # a torn last line (the process died mid-write) is dropped, not trusted
    with partial.open("ab") as fh:
        fh.write(b'{"row": 31, "id": "V15", "sta')
    stopped = [r for r in loaded.runs() if r["status"] == "failed"]
    assert stopped and "stopped after 30 rows" in stopped[0]["error"]
    result = screen_file(loaded, source, out, Options(workers=1, chunk=10))
    assert result.resumed_from == 30
    assert result.run["id"] == stopped[0]["id"] and result.run["status"] == "done"
    assert result.run["counts"]["rows"] == 80
    assert out.read_bytes() == clean.read_bytes()


def test_changed_input_starts_clean(loaded: Any, tmp_path: Path) -> None:
    source = vendor_file(tmp_path / "v.csv", [(f"V{n}", f"Vendor {n}", "US") for n in range(30)])
    out = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        screen_file(loaded, source, out, Options(workers=1, chunk=10),
                    progress=lambda done, *_: (_ for _ in ()).throw(KeyboardInterrupt))
    vendor_file(source, [(f"W{n}", f"Other {n}", "US") for n in range(5)])
    result = screen_file(loaded, source, out, Options(workers=1, chunk=10))
    assert result.resumed_from == 0
    assert [r["id"] for r in read_jsonl(out)] == [f"W{n}" for n in range(5)]


@pytest.mark.slow
def test_killed_process_resumes(loaded: Any, tmp_path: Path) -> None:
    """A real SIGKILL mid-run: no output file appears; the same command then finishes the job."""
    rows = [(f"V{n}", f"Hikvision Vendor {n} Trading", "CN") for n in range(6000)]
    source = vendor_file(tmp_path / "v.csv", rows)
    out = tmp_path / "out.csv"
    cmd = [str(Path(sys.executable).parent / "redflags"), "--db", loaded.url, "screen", str(source), "-o", str(out),
           "--workers", "2"]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    partial = tmp_path / "out.csv.partial.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not partial.exists() or partial.stat().st_size < 200_000):
        assert proc.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "a killed run must not leave an output that looks complete"
    assert partial.exists()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "resumed after row" in done.stderr
    with out.open(encoding="utf-8", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert [r["Vendor ID"] for r in got] == [f"V{n}" for n in range(6000)]
    assert not partial.exists()


def test_cli_reads_stdin_writes_stdout_and_is_quiet_in_pipes(loaded: Any, tmp_path: Path) -> None:
    data = vendor_file(tmp_path / "v.csv").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["--db", loaded.url, "screen", "-", "--format", "csv", "--workers", "1"],
                                input=data)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["status"] for r in rows] == ["alert", "clear", "error", "alert", "alert", "clear"]
    assert "ETA" not in result.stderr and "rows/s" not in result.stderr
    assert "6 rows" in result.stderr and "3 alert" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["missing.csv"], "missing.csv: no such file"),
    (["{nocols}"], "no name column found; the columns are: 'foo', 'bar'"),
    (["{vendors}", "--name-column", "Nmae"], "no column 'Nmae' (--name-column); the columns are: 'Vendor ID'"),
    (["{vendors}", "--engine", "dask"], "--engine dask needs --scheduler"),
    (["{vendors}", "--schema", "Planet"], "unknown schema 'Planet'"),
])
def test_cli_errors(loaded: Any, tmp_path: Path, args: list[str], message: str) -> None:
    nocols = tmp_path / "nocols.csv"
    nocols.write_text("foo,bar\n1,2\n", encoding="utf-8")
    vendors = vendor_file(tmp_path / "v.csv")
    os.chdir(tmp_path)
    args = [a.format(nocols=nocols, vendors=vendors) for a in args]
    result = CliRunner().invoke(main, ["--db", loaded.url, "screen", *args, "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 1
    assert message in result.stderr.replace("\n", " ").replace("  ", " ") or message in result.output


def test_cli_no_lists(tmp_path: Path) -> None:
    vendors = vendor_file(tmp_path / "v.csv")
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'empty.db'}", "screen", str(vendors)])
    assert result.exit_code == 1 and "no lists loaded" in result.output


def test_a_cutoff_above_the_threshold_never_hides_an_alert(loaded: Any, tmp_path: Path) -> None:
    source = vendor_file(tmp_path / "v.csv", [("V1", "Hangzhou Hikvision Vendor", "CN"), ("V2", "Acme Widgets Inc", "US")])
    screen_file(loaded, source, tmp_path / "a.jsonl", Options(workers=1, threshold=0.3, cutoff=0.95))
    screen_file(loaded, source, tmp_path / "b.jsonl", Options(workers=1, threshold=0.3, cutoff=0.3))
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    rows = read_jsonl(tmp_path / "a.jsonl")
    assert rows[0]["status"] == "alert" and rows[0]["hits"][0]["score"] < 0.95


def test_cli_runs_lists_and_shows_a_run(loaded: Any, tmp_path: Path) -> None:
    source = vendor_file(tmp_path / "v.csv")
    result = screen_file(loaded, source, tmp_path / "o.csv", Options(workers=1, output_format="csv"))
    listing = CliRunner().invoke(main, ["--db", loaded.url, "runs", "--json"])
    assert [r["id"] for r in json.loads(listing.stdout)] == [result.run["id"]]
    shown = CliRunner().invoke(main, ["--db", loaded.url, "runs", result.run["id"]])
    assert shown.exit_code == 0
    assert "list us_csl: version" in shown.stdout and "3 alert, 0 review required, 0 suppressed, 2 clear, 1 error" in shown.stdout
    missing = CliRunner().invoke(main, ["--db", loaded.url, "runs", "nope"])
    assert missing.exit_code == 1 and "no screening run 'nope'" in missing.output


def test_two_runs_cannot_write_one_output(loaded: Any, tmp_path: Path) -> None:
    source = vendor_file(tmp_path / "v.csv", [(f"V{n}", f"Vendor {n}", "US") for n in range(20)])
    out = tmp_path / "out.jsonl"

    def second_run(done: int, *_: Any) -> None:
        with pytest.raises(InputError, match="another redflags run is writing this output"):
            screen_file(loaded, source, out, Options(workers=1, chunk=10))

    screen_file(loaded, source, out, Options(workers=1, chunk=10), progress=second_run)
    assert [r["id"] for r in read_jsonl(out)] == [f"V{n}" for n in range(20)]
    assert not (tmp_path / "out.jsonl.lock").exists()


def test_progress_bar_with_rate_and_eta_on_a_terminal(loaded: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    import redflags.cli.screen as screen_command

    terminal = io.StringIO()
    monkeypatch.setattr(screen_command, "err", Console(file=terminal, force_terminal=True, width=160))
    source = vendor_file(tmp_path / "v.csv", [(f"V{n}", f"Vendor {n}", "US") for n in range(600)])
    result = CliRunner().invoke(main, ["--db", loaded.url, "screen", str(source), "-o", str(tmp_path / "o.csv"),
                                       "--workers", "1"])
    assert result.exit_code == 0, result.output
    shown = terminal.getvalue()
    assert "rows/s" in shown and "ETA" in shown and "600 rows in" in shown
