"""Document scanning on real files of every format it reads (tests/fixtures/scan, written by
make_fixtures.py), against a CSL file in the official layout: what each must find, what it must
not, and bad input that gets a clear error while the other documents are still scanned."""

from pathlib import Path
from typing import Any

import pytest

from redflags import ingest
from redflags.scan import scan

FIXTURES = Path(__file__).parents[1] / "fixtures" / "scan"


@pytest.fixture
def lists(store: Any) -> Any:
    ingest.load(store, [FIXTURES / "csl.csv"], force=True)
    return store


def found(result: dict[str, Any]) -> set[str]:
    return {p["id"].removeprefix("us_csl-") for p in result["parties"]}


def by_name(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(r["document"].split("#")[0]).name + ("#" + r["document"].split("#")[1] if "#" in r["document"]
                                                      else ""): r for r in results}


def test_an_english_article(lists: Any) -> None:
    (result,) = scan(FIXTURES / "article.txt", store=lists)
    assert result["error"] is None and result["lang"] == "en"
    # the full name, the possessive, a short name as the press writes it, an acronym in capitals
    # a person in the other order than the list's ("AL-ASSAD, Bashar")
    assert found(result) == {"scan-hik", "scan-huawei", "scan-sense", "scan-smic", "scan-kim", "scan-assad"}
    texts = [m["text"] for m in result["mentions"]]
    assert "Hangzhou Hikvision\nDigital Technology Co., Ltd" in texts and "Hikvision" in texts
    assert "smic" not in texts  # an acronym matches in its own case only
    # an everyday word and a name inside a longer one are not the listed ARSENAL; unlisted firms are not flagged
    assert not any("rsenal" in t or "Alibaba" in t or "Axis" in t for t in texts)
    assert "MSC" not in texts  # an acronym of three letters needs more than itself (nothing of its party is near)
    kim = next(m for m in result["mentions"] if m["text"].startswith("Kim"))
    assert kim["text"] == "Kim Jong-un" and kim["hits"][0]["match"] is True
    hik = next(m for m in result["mentions"] if m["text"].startswith("Hangzhou"))
    text = (FIXTURES / "article.txt").read_text(encoding="utf-8")
    assert text[hik["start"]:hik["end"]] == hik["text"] and " ".join(hik["text"].split()) in hik["context"]
    assert "country cn" in hik["corroborated"]
    huawei = next(p for p in result["parties"] if p["id"].endswith("scan-huawei"))
    assert "short name" in huawei["explanation"]["summary"]


def test_the_package_is_called_as_its_scan(lists: Any) -> None:
    import redflags

    (result,) = redflags.scan([FIXTURES / "german.txt"], store=lists)
    assert found(result) == {"scan-huawei", "scan-hik"}


def test_chinese_text_in_gb18030(lists: Any) -> None:
    (result,) = scan(FIXTURES / "article-gb18030.txt", store=lists)
    assert result["encoding"] == "gb18030" and result["lang"] == "zh"
    # the listed Chinese name, and a Chinese brand of a party listed in Latin script only
    assert found(result) == {"scan-xpsb", "scan-hik"}
    texts = {m["text"] for m in result["mentions"]}
    assert "新疆维吾尔自治区公安厅" in texts and "海康威视" in texts
    assert not any("华为" in t for t in texts)  # 华为 inside 中华为民族 is not Huawei


def test_german_inflections(lists: Any) -> None:
    (result,) = scan(FIXTURES / "german.txt", store=lists)
    assert result["lang"] == "de" and found(result) == {"scan-huawei", "scan-hik"}


def test_every_format(lists: Any) -> None:
    results = by_name(scan([FIXTURES / n for n in ("notes.md", "page.html", "report.pdf", "report.docx",
                                                   "mail.eml")], store=lists))
    assert found(results["notes.md"]) == {"scan-huawei"} and results["notes.md"]["kind"] == "markdown"
    page = results["page.html"]
    # the article's text: not the navigation, not the script
    assert page["kind"] == "html" and found(page) == {"scan-sense"}
    pdf = results["report.pdf"]
    assert pdf["pages"] == 2 and found(pdf) == {"scan-hik"}
    assert {m["page"] for m in pdf["mentions"]} == {2}
    docx = results["report.docx"]
    assert found(docx) == {"scan-sense", "scan-dahua"}
    assert found(results["mail.eml"]) == {"scan-huawei"}
    offer = results["mail.eml#offer.pdf"]
    assert offer["kind"] == "pdf" and found(offer) == {"scan-hik"}
    assert "decompression bomb" in results["mail.eml#bomb.docx"]["error"]


@pytest.mark.parametrize(("name", "message"), [
    ("scanned.pdf", "no text layer"), ("encrypted.pdf", "encrypted PDF"), ("damaged.pdf", "damaged PDF"),
    ("bomb.docx", "decompression bomb"), ("binary.bin", "binary file"),
])
def test_bad_documents_get_a_clear_error_and_the_others_are_scanned(lists: Any, name: str, message: str) -> None:
    results = by_name(scan([FIXTURES / name, FIXTURES / "article.txt"], store=lists))
    assert message in results[name]["error"] and name in results[name]["error"]
    assert results[name]["mentions"] == []
    assert results["article.txt"]["error"] is None and "scan-hik" in found(results["article.txt"])


def test_a_huge_text_without_spaces_is_scanned_in_parts(lists: Any, tmp_path: Path) -> None:
    import resource

    path = tmp_path / "nospace.txt"
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(100):
            fh.write("x" * (1 << 20))
        fh.write(" Hikvision")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    (result,) = scan(path, store=lists)
    assert result["error"] is None and result["characters"] == 100 * (1 << 20) + 10
    assert found(result) == {"scan-hik"}
    # memory stays flat: a 100 MB file is never held whole (ru_maxrss is in KB)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 60_000


def test_the_api_and_the_command_line(lists: Any, tmp_path: Path) -> None:
    import time

    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from redflags.api import create_app
    from redflags.api.keys import create_key
    from redflags.cli import main

    key = {"Authorization": f"Bearer {create_key(lists, 'viewer', 'reader')[1]}"}
    with TestClient(create_app(lists)) as client:
        deadline = time.monotonic() + 30
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        files = [("file", (n, (FIXTURES / n).read_bytes())) for n in ("report.pdf", "binary.bin")]
        uploaded = client.post("/scan", files=files, headers=key)
        assert uploaded.status_code == 200, uploaded.text
        docs = {d["document"]: d for d in uploaded.json()["documents"]}
        assert found(docs["report.pdf"]) == {"scan-hik"} and "binary file" in docs["binary.bin"]["error"]
        assert uploaded.json()["versions"]["us_csl"]["version"] >= 1
        text = client.post("/scan", json={"text": (FIXTURES / "article.txt").read_text(encoding="utf-8")}, headers=key)
        assert text.status_code == 200
        assert found(text.json()["documents"][0]) == found(scan(FIXTURES / "article.txt", store=lists)[0])
        report = client.post("/scan?format=html", json={"text": "Huawei sold it."}, headers=key)
        assert report.status_code == 200 and '<mark class="mention"' in report.text
        assert client.post("/scan", json={"txt": "x"}, headers=key).status_code == 400
        assert client.post("/scan", json={"text": "Huawei"}).status_code == 401
    runner = CliRunner()
    out = tmp_path / "report.html"
    result = runner.invoke(main, ["--db", lists.url, "scan", str(FIXTURES / "article.txt"), str(FIXTURES / "damaged.pdf"),
                                  "-o", str(out), "--exit-code"])
    assert result.exit_code == 3, result.output  # listed parties mentioned
    assert "2 document(s) scanned: 6 listed parties mentioned, 1 could not be read" in " ".join(result.output.split())
    html = out.read_text(encoding="utf-8")
    assert html.count('<mark class="mention"') >= 5 and "damaged PDF" in html and "us_csl version" in html
    jsonl = runner.invoke(main, ["--db", lists.url, "scan", "-", "--format", "jsonl", "--exit-code"],
                          input="Siemens AG only.")
    assert jsonl.exit_code == 0 and '"parties":[]' in jsonl.output


def test_the_html_report_renders_in_chromium_with_its_highlights(lists: Any, tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    from redflags.scan import scan_document, scanner
    from redflags.scan.report import write
    from redflags.screen.api import screener_for
    from tests.batch.test_engines_and_report import chromium

    finder = scanner(screener_for(lists))
    results = [r for n in ("article.txt", "article-gb18030.txt", "report.pdf", "encrypted.pdf")
               for r in scan_document(finder, FIXTURES / n, keep_text=True)]
    report = tmp_path / "scan.html"
    with report.open("wb") as fh:
        write(results, "html", fh, {"us_csl": {"version": 1, "source": "csl.csv"}})
    html = report.read_text(encoding="utf-8")
    import re

    assert not re.search(r"(src|href)=\"?(https?:)?//|url\(|@import", html)  # self-contained: nothing fetched
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu",
                                                                      "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(report.as_uri())
        shot = tmp_path / "scan.png"
        page.screenshot(path=str(shot), full_page=True)
        marks = page.locator("mark.mention")
        assert marks.count() == sum(len(r["mentions"]) for r in results)
        assert page.locator("mark.mention", has_text="海康威视").count() == 1
        first = page.locator("mark.mention").first
        assert first.inner_text() == "Hikvision"
        # a highlight is visibly marked and links to its listed party
        assert first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 214, 214)"
        target = first.locator("a").get_attribute("href")
        assert target and target.startswith("#party-") and page.locator(f"[id='{target[1:]}']").count() >= 1
        assert "Entity List" in page.locator("h3", has_text="Entity List").inner_text()
        assert "encrypted PDF" in page.inner_text("body") and "us_csl version 1" in page.inner_text("body")
        browser.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 30_000
