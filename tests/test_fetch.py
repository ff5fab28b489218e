"""``lists update`` against a real HTTP server on loopback, and from a mirror folder."""

import hashlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from redflags import fetch, settings
from redflags.exc import DownloadError


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, Any] = {}
    hits: dict[str, int] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        route = self.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        status, body, declared = route(self.hits[self.path])
        self.send_response(status)
        self.send_header("Content-Length", str(declared if declared is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, Any], dict[str, int]]]:
    routes: dict[str, Any] = {}
    hits: dict[str, int] = {}
    handler = type("Handler", (_Handler,), {"routes": routes, "hits": hits})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", routes, hits
    httpd.shutdown()
    httpd.server_close()


def _sources(tmp_path: Path, base: str, **extra: Any) -> Path:
    spec = {"sources": {
        "un_sc": {"dataset": "un_sc", "format": "un_sc_xml",
                  "files": [{"url": f"{base}/un.xml", "name": "consolidated.xml",
                             "min_bytes": 100, "max_bytes": 10_000_000, **extra}]},
        "us_ofac_sdn": {"dataset": "us_ofac_sdn", "format": "ofac_csv", "files": [
            {"url": f"{base}/SDN.CSV", "name": "sdn.csv", "min_bytes": 10},
            {"url": f"{base}/ADD.CSV", "name": "add.csv", "min_bytes": 10},
            {"url": f"{base}/ALT.CSV", "name": "alt.csv", "min_bytes": 10},
            {"url": f"{base}/SDN_COMMENTS.CSV", "name": "sdn_comments.csv", "min_bytes": 10}]},
    }}
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture
def small_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixtures are small lists: lower the per-source minimum for these tests."""
    from redflags.sources import helpers

    real = helpers.load_meta.__wrapped__

    def patched(name: str) -> dict[str, Any]:
        meta = dict(real(name))
        meta["assertions"] = {"min_entities": 1}
        return meta

    helpers.load_meta.cache_clear()
    monkeypatch.setattr("redflags.ingest.load_meta", patched)
    monkeypatch.setattr(settings, "HTTP_RETRIES", 3)


def _ok(body: bytes) -> Any:
    return lambda _n: (200, body, None)


def test_update_downloads_checks_and_loads(store: Any, server: Any, tmp_path: Path,
                                           fixture_path: Any, small_lists: None) -> None:
    base, routes, hits = server
    body = fixture_path("un_sc/good.xml").read_bytes()
    routes["/un.xml"] = _ok(body)
    sources = _sources(tmp_path, base)
    (result,) = fetch.update(store, ["un_sc"], sources_file=sources)
    assert result.status == "loaded"
    assert result.files[0]["sha256"] == hashlib.sha256(body).hexdigest()
    assert result.load is not None and result.load.summary["entity_count"] == 2
    assert store.entity("un_sc-6908473")["provenance"]["files"][0]["sha256"] == \
        hashlib.sha256(body).hexdigest()
    (again,) = fetch.update(store, ["un_sc"], sources_file=sources)
    assert again.status == "unchanged"
    assert hits["/un.xml"] == 2


def test_update_multi_file_ofac_source(store: Any, server: Any, tmp_path: Path,
                                       fixture_path: Any, small_lists: None) -> None:
    base, routes, _ = server
    for name in ("SDN", "ADD", "ALT", "SDN_COMMENTS"):
        routes[f"/{name}.CSV"] = _ok(fixture_path(f"ofac_csv/{name.lower()}.csv").read_bytes())
    (result,) = fetch.update(store, ["us_ofac_sdn"], sources_file=_sources(tmp_path, base))
    assert result.load is not None and result.load.summary["entity_count"] == 4
    assert store.entity("us_ofac_sdn-36")["properties"]["alias"] == ["AERO-CARIBBEAN"]


def test_server_errors_are_retried(store: Any, server: Any, tmp_path: Path, fixture_path: Any,
                                   small_lists: None) -> None:
    base, routes, hits = server
    body = fixture_path("un_sc/good.xml").read_bytes()
    routes["/un.xml"] = lambda n: (503, b"busy", None) if n < 3 else (200, body, None)
    (result,) = fetch.update(store, ["un_sc"], sources_file=_sources(tmp_path, base))
    assert result.status == "loaded" and result.files[0]["attempts"] == 3


def test_cut_connection_is_detected(store: Any, server: Any, tmp_path: Path,
                                    fixture_path: Any, small_lists: None) -> None:
    base, routes, hits = server
    body = fixture_path("un_sc/good.xml").read_bytes()
    routes["/un.xml"] = lambda _n: (200, body[:500], len(body))
    with pytest.raises(DownloadError):
        fetch.update(store, ["un_sc"], sources_file=_sources(tmp_path, base))
    assert hits["/un.xml"] == settings.HTTP_RETRIES
    assert store.active_version("un_sc") is None
    assert not list((settings.HOME / "downloads").rglob("*.xml*"))


def test_size_and_checksum_checks(store: Any, server: Any, tmp_path: Path, fixture_path: Any,
                                  small_lists: None) -> None:
    base, routes, _ = server
    routes["/un.xml"] = _ok(b"<html>error</html>")
    with pytest.raises(DownloadError, match="18 bytes arrived, fewer than the 100 expected"):
        fetch.update(store, ["un_sc"], sources_file=_sources(tmp_path, base))
    routes["/un.xml"] = _ok(fixture_path("un_sc/good.xml").read_bytes())
    with pytest.raises(DownloadError, match="checksum mismatch for"):
        fetch.update(store, ["un_sc"], sources_file=_sources(tmp_path, base, sha256="0" * 64))


def test_not_found_is_not_retried(store: Any, server: Any, tmp_path: Path,
                                  small_lists: None) -> None:
    base, _, hits = server
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch.update(store, ["un_sc"], sources_file=_sources(tmp_path, base))
    assert hits["/un.xml"] == 1


def test_broken_download_keeps_previous_version(store: Any, server: Any, tmp_path: Path,
                                                fixture_path: Any, small_lists: None) -> None:
    base, routes, _ = server
    routes["/un.xml"] = _ok(fixture_path("un_sc/good.xml").read_bytes())
    sources = _sources(tmp_path, base)
    fetch.update(store, ["un_sc"], sources_file=sources)
    version = store.active_version("un_sc")
    routes["/un.xml"] = _ok(b'<?xml version="1.0"?><CONSOLIDATED_LIST><INDIVIDUALS>' + b" " * 200)
    with pytest.raises(Exception, match="malformed XML"):
        fetch.update(store, ["un_sc"], sources_file=sources)
    assert store.active_version("un_sc") == version


def test_mirror_folder(store: Any, tmp_path: Path, fixture_path: Any, small_lists: None) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "un_sc").mkdir(parents=True)
    shutil.copy(fixture_path("un_sc/good.xml"), mirror / "un_sc" / "consolidated.xml")
    sources = _sources(tmp_path, "http://127.0.0.1:9")  # never contacted
    (result,) = fetch.update(store, ["un_sc"], mirror=mirror, sources_file=sources)
    assert result.status == "loaded"
    with pytest.raises(DownloadError, match="has no 'sdn.csv'"):
        fetch.update(store, ["us_ofac_sdn"], mirror=mirror, sources_file=sources)


def test_builtin_sources_file_is_valid() -> None:
    from redflags.sources.formats import FORMATS

    sources = fetch.read_sources()
    assert {"us_csl", "un_sc", "us_ofac_sdn", "gb_hmt", "us_bis_dpl", "us_dhs_uflpa"} <= set(sources)
    for spec in sources.values():
        assert spec["format"] in FORMATS
        assert all(f["url"].startswith("https://") for f in spec["files"])


def test_update_fetches_the_uflpa_page_as_published(store: Any, server: Any, tmp_path: Path,
                                                     small_lists: None) -> None:
    base, routes, hits = server
    page = (Path(__file__).parent / "fixtures" / "links" / "uflpa.html").read_bytes()
    routes["/uflpa-entity-list"] = _ok(page)
    builtin = fetch.read_sources()["us_dhs_uflpa"]
    assert builtin["format"] == "us_dhs_uflpa_html" and builtin["files"][0]["url"] == \
        "https://www.dhs.gov/uflpa-entity-list"
    spec = {**builtin, "files": [{**builtin["files"][0], "url": f"{base}/uflpa-entity-list", "min_bytes": 100}]}
    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump({"sources": {"us_dhs_uflpa": spec}}))
    (result,) = fetch.update(store, ["us_dhs_uflpa"], sources_file=sources)
    assert result.status == "loaded" and hits["/uflpa-entity-list"] == 1
    assert result.load is not None and result.load.summary["dataset"] == "us_dhs_uflpa"
    names = {r["properties"]["name"][0] for r in store.iter_records("us_dhs_uflpa")}
    assert "Ninestar Corporation" in names and "Zhuhai Pantum Electronics Co., Ltd." in names
