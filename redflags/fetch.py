"""``lists update``: fetch each official list, check what arrived, then load it.

Downloads go to a temporary file beside their destination and are renamed only when
complete, sized within bounds and (where pinned) matching their checksum. A file whose
checksum equals the active version's is reported unchanged and not loaded again.
``--mirror DIR`` takes the same files from a local folder (air-gapped sites).
"""

import hashlib
import logging
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from redflags import settings
from redflags.exc import ConfigError, DownloadError, NotFoundError
from redflags.ingest import LoadJob, LoadResult, load_job
from redflags.sources.helpers import META_DIR
from redflags.store import Store

log = logging.getLogger(__name__)
CHUNK = 1 << 16


@dataclass
class UpdateResult:
    source: str
    status: str  # "loaded" | "unchanged"
    files: list[dict[str, Any]]
    load: LoadResult | None = None


def read_sources(path: Path | None = None) -> dict[str, dict[str, Any]]:
    path = path or (Path(settings.SOURCES_FILE) if settings.SOURCES_FILE else META_DIR / "sources.yml")
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read sources file {str(path)!r}: {exc}") from exc
    sources = data.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise ConfigError(f"{path}: needs a 'sources' mapping")
    for name, spec in sources.items():
        if not isinstance(spec, dict) or not spec.get("files") or not spec.get("format"):
            raise ConfigError(f"{path}: source {name!r} needs 'format' and 'files'")
    return sources


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_file(path: Path, spec: dict[str, Any], origin: str) -> dict[str, Any]:
    size = path.stat().st_size
    low, high = int(spec.get("min_bytes", 1)), int(spec.get("max_bytes", 2 * 1024**3))
    if size < low:
        raise DownloadError(f"{origin}: {size:,} bytes arrived, fewer than the {low:,} expected; "
                            "a truncated or error response")
    if size > high:
        raise DownloadError(f"{origin}: {size:,} bytes arrived, more than the {high:,} allowed")
    digest = _sha256(path)
    if spec.get("sha256") and spec["sha256"].lower() != digest:
        raise DownloadError(f"checksum mismatch for {origin!r}: got {digest!r}, expected "
                            f"{spec['sha256']!r}")
    return {"origin": origin, "size": size, "sha256": digest}


def download(client: httpx.Client, spec: dict[str, Any], dest: Path) -> dict[str, Any]:
    """One file over HTTP with retries; returns what arrived (size, sha256)."""
    url = spec["url"]
    high = int(spec.get("max_bytes", 2 * 1024**3))
    tmp = dest.with_name(dest.name + ".part")
    last: Exception | None = None
    for attempt in range(1, max(settings.HTTP_RETRIES, 1) + 1):
        try:
            with client.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise DownloadError(f"{url}: HTTP {response.status_code}")
                expected = response.headers.get("content-length")
                received = 0
                with open(tmp, "wb") as out:
                    for chunk in response.iter_raw(CHUNK) if _identity(response) else response.iter_bytes(CHUNK):
                        received += len(chunk)
                        if received > high:
                            raise DownloadError(f"{url}: more than {high:,} bytes; aborted")
                        out.write(chunk)
                if expected is not None and _identity(response) and int(expected) != received:
                    raise DownloadError(f"{url}: {received:,} of {int(expected):,} bytes arrived; "
                                        "connection cut")
            info = _check_file(tmp, spec, url)
            tmp.replace(dest)
            info["attempts"] = attempt
            return info
        except (httpx.HTTPError, DownloadError) as exc:
            last = exc
            tmp.unlink(missing_ok=True)
            retryable = isinstance(exc, httpx.TransportError) or (
                isinstance(exc, DownloadError) and ("HTTP 5" in str(exc) or "cut" in str(exc)))
            if not retryable or attempt >= settings.HTTP_RETRIES:
                break
            log.warning("download failed, retrying url=%s attempt=%d error=%s", url, attempt, exc)
            time.sleep(min(2 ** attempt * 0.25, 5))
    if isinstance(last, DownloadError):
        raise last
    raise DownloadError(f"{url}: {type(last).__name__}: {last}")


def _identity(response: httpx.Response) -> bool:
    return response.headers.get("content-encoding", "identity") in ("identity", "")


def update(store: Store, names: list[str] | None = None, mirror: Path | None = None,
           sources_file: Path | None = None, force: bool = False,
           client: httpx.Client | None = None, actor: str | None = None) -> list[UpdateResult]:
    sources = read_sources(sources_file)
    chosen = names or list(sources)
    unknown = [n for n in chosen if n not in sources]
    if unknown:
        raise NotFoundError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(sources)}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    own_client = client is None
    if client is None:
        client = httpx.Client(timeout=httpx.Timeout(settings.HTTP_TIMEOUT, connect=15),
                              follow_redirects=True,
                              headers={"User-Agent": "redflags (list update)"})
    results = []
    try:
        for name in chosen:
            results.append(_update_one(store, name, sources[name], mirror, stamp, force, client, actor))
    finally:
        if own_client:
            client.close()
    return results


def _update_one(store: Store, name: str, spec: dict[str, Any], mirror: Path | None, stamp: str,
                force: bool, client: httpx.Client, actor: str | None = None) -> UpdateResult:
    folder = settings.HOME / "downloads" / name / stamp
    folder.mkdir(parents=True, exist_ok=True)
    infos = []
    try:
        for file_spec in spec["files"]:
            dest = folder / file_spec["name"]
            if mirror is not None:
                candidates = [mirror / name / file_spec["name"], mirror / file_spec["name"]]
                found = next((c for c in candidates if c.is_file()), None)
                if found is None:
                    raise DownloadError(f"mirror {str(mirror)!r} has no {file_spec['name']!r} "
                                        f"(looked in {', '.join(str(c) for c in candidates)})")
                shutil.copyfile(found, dest)
                infos.append(_check_file(dest, file_spec, str(found)))
            else:
                infos.append(download(client, file_spec, dest))
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    dataset = spec.get("dataset", name)
    active = store.status_of(dataset)
    if active and not force:
        old = [f.get("sha256") for f in active.get("files", [])]
        if old == [i["sha256"] for i in infos]:
            shutil.rmtree(folder, ignore_errors=True)
            return UpdateResult(name, "unchanged", infos)
    primary = folder / spec["files"][0]["name"]
    companions = {}
    for file_spec in spec["files"][1:]:
        kind = file_spec.get("kind") or _companion_kind(file_spec["name"])
        companions[kind] = folder / file_spec["name"]
    job = LoadJob(primary, spec["format"], dataset, companions)
    result = load_job(store, job, force=force, actor=actor)
    return UpdateResult(name, "loaded", infos, result)


def _companion_kind(filename: str) -> str:
    lower = filename.casefold()
    for kind in ("comments", "add", "alt"):
        if kind in lower:
            return kind
    raise ConfigError(f"cannot tell what companion file {filename!r} is; set 'kind'")
