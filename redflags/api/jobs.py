"""Screening jobs behind ``POST /screen``: each is ``redflags screen`` in its own process.

A job is a folder under ``$REDFLAGS_HOME/jobs/<id>``: the uploaded file, ``job.json`` (who
sent it, with which parameters) and the results. The process writes its progress and
outcome to the run record in the database, so a job's state survives the server: when
the server starts, jobs that did not finish are started again and resume from their last
complete row (``redflags screen`` does that by itself).
"""

import fcntl
import json
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from redflags.batch.outputs import write_csv, write_html, write_xlsx
from redflags.exc import NotFoundError, QueryError

INPUT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".jsonl", ".ndjson", ".json", ".parquet")
RESULTS = "results.jsonl"


class Jobs:
    def __init__(self, store: Any, root: Path) -> None:
        self.store = store
        self.root = root
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    def _dir(self, job_id: str) -> Path:
        if not job_id.isalnum() or not (self.root / job_id / "job.json").exists():
            raise NotFoundError(f"no screening job {job_id!r}")
        return self.root / job_id

    def owner(self, job_id: str) -> str:
        """The id of the API key that submitted the job."""
        meta = json.loads((self._dir(job_id) / "job.json").read_text(encoding="utf-8"))
        return str(meta["key"])

    def submit(self, filename: str, data: IO[bytes], args: list[str], key_id: str, actor: str | None = None) -> str:
        job_id = uuid.uuid4().hex[:16]
        folder = self.root / job_id
        folder.mkdir(parents=True)
        suffix = Path(filename or "").suffix.lower()
        source = folder / ("input" + (suffix if suffix in INPUT_SUFFIXES else ""))
        with source.open("wb") as fh:
            shutil.copyfileobj(data, fh, 1024 * 1024)
        if source.stat().st_size == 0:
            shutil.rmtree(folder)
            raise QueryError("the uploaded file is empty")
        if "--portfolio" not in args:
            args = [*args, "--portfolio", Path(filename).name or "upload"]
        meta = {"id": job_id, "key": key_id, "actor": actor or f"key:{key_id}", "filename": filename,
                "input": source.name, "args": args,
                "submitted_at": datetime.now(UTC).isoformat(timespec="seconds")}
        (folder / "job.json").write_text(json.dumps(meta), encoding="utf-8")
        self._launch(job_id)
        return job_id

    def _launch(self, job_id: str) -> None:
        folder = self.root / job_id
        meta = json.loads((folder / "job.json").read_text(encoding="utf-8"))
        cmd = [sys.executable, "-m", "redflags", "--db", self.store.url, "--actor", meta.get("actor") or "api",
               "screen", str(folder / meta["input"]),
               "-o", str(folder / RESULTS), "--format", "jsonl", *meta["args"]]
        with (folder / "log.txt").open("ab") as log:
            # its own session: stopping the server does not stop the job
            self._procs[job_id] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                   stderr=log, start_new_session=True)

    def resume_unfinished(self) -> list[str]:
        """Start again the jobs that were running when the server stopped."""
        started: list[str] = []
        if not self.root.exists():
            return started
        for folder in sorted(self.root.iterdir()):
            if not (folder / "job.json").exists() or (folder / RESULTS).exists() or _busy(folder):
                continue
            run = self.store.run_by_output(str(folder / RESULTS))
            if run is not None and run["status"] == "failed" and "stopped after" not in (run["error"] or ""):
                continue  # it failed for a reason a restart does not mend
            self._launch(folder.name)
            started.append(folder.name)
        return started

    def status(self, job_id: str) -> dict[str, Any]:
        folder = self._dir(job_id)
        meta = json.loads((folder / "job.json").read_text(encoding="utf-8"))
        run = self.store.run_by_output(str(folder / RESULTS))
        proc = self._procs.get(job_id)
        if (folder / RESULTS).exists() and run is not None and run["status"] == "done":
            state = "done"
        elif run is None:
            ended = proc is not None and proc.poll() is not None
            state = "failed" if ended else "queued"
        elif run["status"] == "running" or _busy(folder):
            state = "running"
        else:
            state = run["status"]
        out: dict[str, Any] = {"id": job_id, "status": state, "filename": meta["filename"],
                               "submitted_at": meta["submitted_at"], "run": _public(run, folder, meta)}
        if state == "failed":
            out["error"] = _public((run or {}).get("error") or _last_error(folder / "log.txt"), folder, meta)
        return out

    def results(self, job_id: str, fmt: str) -> Path:
        folder = self._dir(job_id)
        status = self.status(job_id)
        if status["status"] != "done":
            raise QueryError(f"job {job_id} is {status['status']}; results come when it is done")
        source = folder / RESULTS
        if fmt == "jsonl":
            return source
        target = folder / f"results.{fmt}"
        if not target.exists():
            run = status["run"]
            columns = run["input_info"].get("columns", [])
            temp = folder / f".results.{fmt}.tmp"
            if fmt == "xlsx":
                write_xlsx(source, temp, columns, run)
            else:
                with temp.open("w", encoding="utf-8", newline="") as fh:
                    if fmt == "csv":
                        write_csv(source, fh, columns)
                    else:
                        write_html(source, fh, columns, run)
            temp.replace(target)
        return target


def _busy(folder: Path) -> bool:
    """Whether a process holds the results' lock (a job still running, perhaps from before a restart)."""
    lock = folder / (RESULTS + ".lock")
    if not lock.exists():
        return False
    with lock.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def _last_error(path: Path) -> str:
    """What the job's process said went wrong: its last ``Error: …`` line. A traceback (an
    unexpected failure) is never passed on; it stays in the job's log on the server."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    said = [line.removeprefix("Error: ").strip() for line in lines if line.startswith("Error: ")]
    if said:
        return said[-1]
    return "the screening process ended unexpectedly; the server's job log has the details"


def _public(value: Any, folder: Path, meta: dict[str, Any]) -> Any:
    """``value`` with the job's server paths replaced: the uploaded file by its own name, the
    results by ``results.jsonl``. Clients never see where the server keeps files."""
    if isinstance(value, str):
        value = value.replace(str(folder / meta["input"]), meta.get("filename") or "upload")
        return value.replace(str(folder / RESULTS), RESULTS).replace(str(folder), "job")
    if isinstance(value, dict):
        return {k: _public(v, folder, meta) for k, v in value.items()}
    if isinstance(value, list):
        return [_public(v, folder, meta) for v in value]
    return value
