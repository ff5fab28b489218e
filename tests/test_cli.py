"""The command line, end to end through click's runner on a real SQLite store."""

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from redflags.cli import main


@pytest.fixture
def run(tmp_path: Path) -> Any:
    db = f"sqlite:///{tmp_path / 'cli.db'}"

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(main, ["--db", db, *args], catch_exceptions=False)

    return invoke


def test_load_status_diff_entity(run: Any, fixture_path: Any) -> None:
    result = run("lists", "load", str(fixture_path("us_csl/good.csv")), "--force")
    assert result.exit_code == 0, result.output
    assert "us_csl v1 from good.csv (us_csl_csv): 5 entities" in result.output
    status = json.loads(run("lists", "status", "--json").output)
    (ds,) = status
    assert ds["dataset"] == "us_csl"
    assert ds["active"]["entities"] == 5
    assert ds["active"]["counts"]["lists"]["Entity List"] == 1
    assert ds["active"]["counts"]["schema"]["Person"] == 1
    text = run("lists", "status").output
    assert "us_csl v1: 5 entities" in text
    assert "       1  Entity List" in text
    diff = json.loads(run("lists", "diff", "us_csl", "--json").output)
    assert diff["added"] == 5 and diff["previous_version"] is None
    entity = json.loads(run("entity", "us_csl-30946", "--json").output)
    assert entity["lists"] == ["NS-CMIC List"]
    assert entity["provenance"]["files"][0]["name"] == "good.csv"
    text = run("entity", "us_csl-30946").output
    assert "Hangzhou Hikvision Digital Technology Co., Ltd." in text
    assert "uscCode" in text


def test_format_override_and_dataset_name(run: Any, fixture_path: Any) -> None:
    result = run("lists", "load", str(fixture_path("ftm/entities.ftm.json")),
                 "--format", "ftm_json", "--dataset", "us_dhs_uflpa", "--json")
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.output)
    assert summary["dataset"] == "us_dhs_uflpa" and summary["entity_count"] == 2


def test_errors_are_clean_and_nonzero(run: Any, fixture_path: Any, tmp_path: Path) -> None:
    missing = run("lists", "load", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "does not exist" in missing.output
    bad_format = run("lists", "load", str(fixture_path("us_csl/good.csv")), "--format", "xls")
    assert bad_format.exit_code == 2 and "one of: us_csl_csv" in bad_format.output
    small = run("lists", "load", str(fixture_path("us_csl/good.csv")))
    assert small.exit_code == 1
    assert "Error: good.csv: 5 entities, fewer than the 1000" in small.output
    assert "Traceback" not in small.output
    unknown = run("entity", "us_csl-nothing")
    assert unknown.exit_code == 1 and "no entity 'us_csl-nothing'" in unknown.output
    nodiff = run("lists", "diff", "nothing")
    assert nodiff.exit_code == 1 and "has no active version" in nodiff.output


def test_failed_load_shows_in_status_and_issues(run: Any, fixture_path: Any) -> None:
    run("lists", "load", str(fixture_path("eu_fsf/resaved.csv")))
    status = json.loads(run("lists", "status", "--json").output)
    (ds,) = status
    assert ds["active"] is None
    assert ds["versions"][0]["status"] == "failed"
    assert "fewer than the 1000" in ds["versions"][0]["error"]
    issues = run("lists", "issues", "eu_fsf").output
    assert "error: resaved.csv, line 6: 1 columns for a 59-column header; row skipped" in issues
    assert "5 lines were wrapped in quotes" in issues


def test_empty_status_says_how_to_load(run: Any) -> None:
    result = run("lists", "status")
    assert result.exit_code == 0
    assert "No lists loaded" in result.output


def test_update_from_mirror(run: Any, fixture_path: Any, tmp_path: Path) -> None:
    import shutil

    import yaml

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copy(fixture_path("un_sc/good.xml"), mirror / "consolidated.xml")
    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump({"sources": {"un_sc": {
        "dataset": "un_sc", "format": "un_sc_xml",
        "files": [{"url": "http://127.0.0.1:9/un.xml", "name": "consolidated.xml"}]}}}))
    first = run("lists", "update", "--mirror", str(mirror), "--sources", str(sources), "--force")
    assert first.exit_code == 0, first.output
    assert "un_sc v1 from consolidated.xml (un_sc_xml): 2 entities" in first.output
    again = run("lists", "update", "--mirror", str(mirror), "--sources", str(sources))
    assert again.exit_code == 0 and "un_sc: unchanged (sha256" in again.output
    unknown = run("lists", "update", "nope", "--sources", str(sources))
    assert unknown.exit_code == 1 and "nope: failed: unknown source(s) nope" in unknown.output


def test_a_load_counts_its_issues_by_kind(run: Any, fixture_path: Any, tmp_path: Path) -> None:
    """One line per load and one counting its issues: the issues themselves are for `lists issues`."""
    source = fixture_path("uk_ofsi/conlist.csv").read_text(encoding="utf-8").splitlines()
    rows = [source[2].replace("00/00/1980", f"{n:02d}/1962").replace("13349", str(20000 + n)) for n in range(1, 13)]
    bad = [source[2].replace("00/00/1980", "sometime in 1962").replace("13349", str(30000 + n)) for n in range(8)]
    path = tmp_path / "conlist.csv"
    path.write_text("\n".join([*source[:2], *rows, *bad]) + "\n", encoding="utf-8")
    result = run("lists", "load", str(path), "--force")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 2, result.output
    assert "8 unparseable-date (warning)" in lines[1] and "redflags lists issues gb_hmt" in lines[1]
    entity = json.loads(run("entity", "gb_hmt-20009", "--json").output)
    assert entity["properties"]["birthDate"] == ["1962-09"]  # a month and a year is a date
    issues = run("lists", "issues", "gb_hmt").output
    assert issues.count("sometime in 1962") == 8
