"""The Dask engine against the local one, and the HTML report in a real headless Chromium."""

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest

from redflags import ingest
from redflags.batch import Options, screen_file

NAMES = ["HIKVISION DIGITAL TECH CO LTD", "Acme Widgets Inc", "", "杭州海康威视数字技术股份有限公司",
         "Arimero Holding Ltd", "Rim Abbas", "ACEFROSTY", "<script>alert(1)</script> Trading"]


@pytest.fixture
def loaded(store: Any, fixture_path: Any) -> Any:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    return store


@pytest.fixture
def vendors(tmp_path: Path) -> Path:
    path = tmp_path / "vendors.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name", "country"])
        for n in range(300):  # several chunks, so that order across workers matters
            writer.writerow([f"R{n}", NAMES[n % len(NAMES)] + (f" {n}" if n % 3 == 0 and n % len(NAMES) != 2 else ""),
                             "CN" if n % 2 else ""])
    return path


@pytest.mark.slow
def test_dask_output_is_identical_to_local(loaded: Any, vendors: Path, tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client, LocalCluster

    local = tmp_path / "local.jsonl"
    screen_file(loaded, vendors, local, Options(workers=2, chunk=16))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        distributed = tmp_path / "dask.jsonl"
        result = screen_file(loaded, vendors, distributed, Options(engine="dask", scheduler=cluster.scheduler_address,
                                                                    chunk=16))
        # the workers each built their own index from the store
        assert len(client.scheduler_info()["workers"]) == 2
    assert result.run["params"]["engine"] == "dask"
    assert distributed.read_bytes() == local.read_bytes()
    assert result.run["counts"]["rows"] == 300


def test_dask_unreachable_scheduler_is_a_clear_error(loaded: Any, vendors: Path, tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    from redflags.exc import RedflagsError

    with pytest.raises(RedflagsError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        screen_file(loaded, vendors, tmp_path / "o.jsonl",
                    Options(engine="dask", scheduler="tcp://127.0.0.1:9"))
    assert not (tmp_path / "o.jsonl").exists()


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Debian chromium is not installed (test.sh installs it)")
    return path


def test_html_report_renders_in_chromium(loaded: Any, vendors: Path, tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    report = tmp_path / "report.html"
    result = screen_file(loaded, vendors, report, Options(workers=1, output_format="html"))
    counts = result.run["counts"]
    html = report.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html  # input is escaped
    assert "http://" not in html.replace("http://www.w3.org", "")  # self-contained: nothing fetched
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(report.as_uri())
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        assert page.locator("section.alert").count() == counts["alert"] > 0
        assert page.locator("section.error").count() == counts["error"] > 0
        assert page.locator("[data-status=alert]").inner_text() == str(counts["alert"])
        assert page.locator("[data-status=clear]").inner_text() == str(counts["clear"])
        first = page.locator("section.alert").first
        assert first.get_attribute("data-row") == "1"
        assert "HIKVISION" in first.locator("h3").inner_text()
        # the matched words are highlighted on both sides, and the lists are named
        assert first.locator("mark", has_text="HIKVISION").count() >= 1
        assert first.locator("mark", has_text="Hikvision").count() >= 1
        assert "Entity List" in first.inner_text()
        chinese = page.locator("section.alert[data-row='4']")
        assert chinese.locator("mark", has_text="海康威视").count() == 1
        assert "alias from https://www.hikvision.com" in chinese.inner_text()
        assert page.locator("#histogram rect").count() == 20
        assert page.locator("#list-counts").inner_text().count("Entity List") == 1
        box = first.bounding_box()
        assert box is not None and box["height"] > 200
        browser.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
