"""The analyst's web UI in real headless Chromium (Debian's, driven by Playwright) against a real
``redflags serve`` on loopback: sign in, upload a file, watch its progress, open an alert, decide it
with the keyboard, see it suppressed after a re-screen, verify the audit log; every page in a
narrow and a wide window, checked for its key elements and by axe-core for accessibility.

``REDFLAGS_SCREENSHOTS=docs/screenshots`` keeps the wide screenshots there (for the README)."""

import csv
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from redflags import ingest
from redflags.api.keys import create_key
from tests.api.test_server import serve
from tests.batch.test_engines_and_report import chromium

LINKS = Path(__file__).parent.parent / "fixtures" / "links"
AXE = Path(__file__).parent.parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
WINDOWS = {"narrow": {"width": 390, "height": 844}, "wide": {"width": 1366, "height": 900}}


@pytest.fixture
def site(store: Any, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    ingest.load(store, [LINKS / "csl.csv"], force=True)
    key = create_key(store, "analyst", "alice")[1]
    proc, base = serve(store, tmp_path, {"REDFLAGS_API_RATE_LIMIT": "0", "REDFLAGS_API_MATCH_PROCESSES": "0"})
    try:
        yield base, key, tmp_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def vendor_file(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["vendor id", "supplier name", "country", "transaction date"])
        writer.writerows([["V1", "Dahua Technology Co", "CN", "2024-03-01"],
                          ["V2", "Acme Bolts Ltd", "US", "2024-03-01"],
                          ["V3", "EZVIZ", "CN", "2025-01-10"]])
    return path


def axe_violations(page: Any) -> list[str]:
    """Serious and critical accessibility violations axe-core finds on the page."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document);
        return {passes: result.passes.length,
                violations: result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))};
    }""")
    assert found["passes"] >= 10, "axe-core did not run its rules"
    return list(found["violations"])


def test_the_review_flow_in_chromium(site: tuple[str, str, Path]) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    base, key, tmp = site
    keep = os.environ.get("REDFLAGS_SCREENSHOTS")
    vendors = vendor_file(tmp / "vendors.csv")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport=WINDOWS["wide"])
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        # sign in, with the keyboard
        page.goto(f"{base}/ui/alerts")
        assert page.url.startswith(f"{base}/ui/login")
        page.keyboard.type(key)  # the key field has the focus
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/ui/alerts")
        assert page.locator("text=No alert matches these filters.").count() == 1

        # upload a file: the mapping is shown and correctable before the run, then the progress
        page.goto(f"{base}/ui/screen")
        page.set_input_files("#file", str(vendors))
        page.get_by_role("button", name="Upload and map the columns").click()
        assert page.locator("#map-name").input_value() == "supplier name"
        assert page.locator("#map-date").input_value() == "transaction date"
        page.select_option("#map-country", "country")
        page.get_by_role("button", name="Start screening").click()
        page.wait_for_selector('#progress[data-state="done"]', timeout=90_000)  # htmx polled it there
        assert page.locator('[data-count="alert"]').inner_text() == "1"
        assert page.locator('[data-count="linked"]').inner_text() == "1"
        assert page.locator("#bar").get_attribute("value") == "100"
        csv_link = page.get_by_role("link", name="CSV")
        with page.expect_download() as download:
            csv_link.click()
        assert "supplier name" in Path(download.value.path()).read_text(encoding="utf-8")

        # the queue, then the alert on Dahua: decided with the keyboard
        page.goto(f"{base}/ui/alerts?kind=direct")
        page.locator("a[data-alert-link]").first.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/ui/alerts/\d+.*"))
        assert "Dahua Technology" in page.locator("#listed-h + dl").inner_text()
        assert page.locator("mark", has_text="Dahua").count() >= 1
        page.keyboard.press("?")
        assert page.locator("#keys").is_visible()
        page.keyboard.press("Escape")
        page.keyboard.press("f")
        assert page.locator('input[value="false_positive"]').is_checked()
        assert page.locator("#reason").input_value() == "different_entity"
        alert_id = re.search(r"/ui/alerts/(\d+)", page.url).group(1)
        with page.expect_navigation():
            page.keyboard.press("Enter")  # the focus is on "Record the decision"
        detail = httpx.get(f"{base}/ui/alerts/{alert_id}.json", cookies=_cookies(context)).json()["alert"]
        assert detail["status"] == "false_positive" and detail["decisions"][0]["actor"].endswith("(alice)")

        # a re-screen of the same file: the cleared party is suppressed
        page.goto(f"{base}/ui/screen")
        page.set_input_files("#file", str(vendors))
        page.get_by_role("button", name="Upload and map the columns").click()
        page.get_by_role("button", name="Start screening").click()
        page.wait_for_selector('#progress[data-state="done"]', timeout=90_000)
        assert page.locator('[data-count="suppressed"]').inner_text() == "1"
        assert page.locator('[data-count="alert"]').inner_text() == "0"

        # the audit log verifies
        page.goto(f"{base}/ui/audit")
        page.get_by_role("button", name="Verify the chain now").click()
        assert page.locator('[data-verify="ok"]').count() == 1
        assert page.locator("td", has_text="alert.decided").count() >= 1
        assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors

        # every page, narrow and wide: key elements, screenshots, accessibility
        checks = {"search?q=EZVIZ": "article.hit.is-linked", "alerts": "table.queue", f"alerts/{alert_id}": "#decide",
                  "lists": "h1", "audit": "h1", "portfolios": "h1", "screen": "#file", "scan": "#doc"}
        cookies = context.cookies()
        for window, size in WINDOWS.items():
            view = browser.new_context(viewport=size, bypass_csp=True)  # axe is injected as a script
            view.add_cookies(cookies)
            shot = view.new_page()
            for path, selector in checks.items():
                shot.goto(f"{base}/ui/{path}")
                assert shot.locator(selector).count() >= 1, (window, path)
                name = "alert" if path.startswith("alerts/") else path.split("?")[0]
                target = Path(keep) if keep and window == "wide" else tmp
                target.mkdir(parents=True, exist_ok=True)
                image = target / (f"{name}.png" if keep and window == "wide" else f"{window}-{name}.png")
                shot.screenshot(path=str(image), full_page=True)
                assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
                assert axe_violations(shot) == [], (window, path)
            view.close()
        browser.close()


def _cookies(context: Any) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies()}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
