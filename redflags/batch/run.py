"""``screen_file``: a file of parties in, one result per row out, and a record of the run.

Results are appended to ``OUTPUT.partial.jsonl`` as they are made, beside a state file
naming the input, the parameters and the list versions. The output itself appears only
when the run is complete (written to a temporary name, then renamed), so a killed run
never leaves a half-written file that looks like a whole one. Running the same command
again resumes from the last complete row if the input, parameters and lists are
unchanged, and starts clean otherwise.
"""

import fcntl
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redflags import settings
from redflags.batch.columns import detect_columns
from redflags.batch.engine import Params, Row, Stats, chunked, run_dask, run_local, versions_key
from redflags.batch.inputs import InputFile, open_input
from redflags.batch.outputs import OUTPUT_FORMATS, write_csv, write_html, write_jsonl, write_xlsx
from redflags.exc import InputError, RedflagsError
from redflags.match import THRESHOLD

PROGRESS_SECONDS = 2.0
CHUNK = 250
"""Rows per task: big enough to amortise the hand-over, small enough to keep workers even."""

Progress = Callable[[int, int | None, int, int], None]
"""(rows done, rows in all if known, bytes read, bytes in all)"""


@dataclass
class Options:
    output_format: str = "jsonl"
    threshold: float = THRESHOLD
    cutoff: float = 0.5
    limit: int = 5
    columns: dict[str, list[str]] = field(default_factory=dict)
    schema: str | None = None
    workers: int = 0
    engine: str = "local"
    scheduler: Any = None
    fmt: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    restart: bool = False
    chunk: int = CHUNK
    record: bool = True
    """Store every row's screening and open alerts (``redflags.review``)."""
    portfolio: str | None = None
    """Whose parties these are: party keys are ``<portfolio>/<input id>`` (default: the file's name)."""
    actor: str | None = None


@dataclass
class RunResult:
    run: dict[str, Any]
    resumed_from: int
    output: str | None


def screen_file(store: Any, source: str | Path, output: str | Path | None, options: Options,
                progress: Progress | None = None, stdout: Any = None, screener: Any = None) -> RunResult:
    """Screen every row of ``source`` against the active lists of ``store``; ``output`` None or "-" is stdout."""
    if options.output_format not in OUTPUT_FORMATS:
        raise InputError(f"unknown output format {options.output_format!r}; one of {', '.join(OUTPUT_FORMATS)}")
    active = store.active_versions()
    if not active:
        raise RedflagsError("no lists loaded: load them with `redflags lists load FILE` or `redflags lists update` "
                            "before screening")
    opened = open_input(source, options.fmt, options.encoding, options.delimiter, options.sheet)
    try:
        colmap = detect_columns(opened.columns, options.columns, options.schema, opened.name)
        # An alert is never hidden by the cutoff, whatever the two are set to.
        params = Params(options.threshold, min(options.cutoff, options.threshold), options.limit, colmap)
        return _run(store, opened, output, options, params, active, progress, stdout, screener)
    finally:
        opened.close()


def _state_paths(output: Path) -> tuple[Path, Path]:
    return output.with_name(output.name + ".partial.jsonl"), output.with_name(output.name + ".partial.json")


def _run(store: Any, opened: InputFile, output: str | Path | None, options: Options, params: Params,
         active: dict[str, Any], progress: Progress | None, stdout: Any, screener: Any) -> RunResult:
    to_stdout = output is None or str(output) == "-"
    run_params = {**params.to_dict(), "output_format": options.output_format, "engine": options.engine,
                  "record": options.record, "portfolio": options.portfolio}
    versions = versions_key(active)
    fingerprint = opened.fingerprint()
    identity = {"input": fingerprint, "params": run_params, "versions": versions}
    with ExitStack() as stack:
        if to_stdout:
            target = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="redflags-screen-"))) / "results"
        else:
            target = Path(output)  # type: ignore[arg-type]
            if target.is_dir():
                raise InputError(f"{target}: is a directory; give a file name for the output")
            if opened.path.exists() and target.exists() and target.resolve() == opened.path.resolve():
                raise InputError(f"{target}: is the input file; give another name for the output")
            if not target.parent.exists():
                raise InputError(f"{target.parent}: no such folder for the output")
        stack.enter_context(_exclusive(target))
        partial, state_file = _state_paths(target)
        resumed = 0
        run_id = uuid.uuid4().hex
        stats = Stats()
        state = _read_state(state_file)
        if state and state.get("identity") == identity and fingerprint and not options.restart and partial.exists():
            run_id = state["run_id"]
            resumed, stats = _recover(partial)
        else:
            partial.unlink(missing_ok=True)
        state_file.write_text(json.dumps({"run_id": run_id, "identity": identity}), encoding="utf-8")
        store.start_run(run_id, opened.name, opened.info(), None if to_stdout else str(target), run_params, active)
        recorder = None
        if options.record:
            from redflags.batch.recording import RunRecorder

            recorder = RunRecorder(store, params, options.portfolio or Path(opened.name).name or "stdin",
                                   options.actor or settings.actor(), versions, run_id, resumed > 0)
        try:
            with partial.open("ab") as fh:
                _screen_into(fh, store, opened, options, params, active, versions, resumed, stats, progress, screener,
                             run_id, recorder)
            run = store.run(run_id)
            run["counts"] = stats.to_dict()
            run["resumed_from_row"] = resumed or None
            _render(partial, target, to_stdout, options.output_format, opened.columns, run, stdout)
        except BaseException as exc:
            # KeyboardInterrupt too: the partial results and the state stay for a resume.
            detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
            store.finish_run(run_id, stats.to_dict(), f"stopped after {stats.rows:,} rows: {detail}")
            raise
        store.finish_run(run_id, stats.to_dict())
        state_file.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return RunResult(store.run(run_id), resumed, None if to_stdout else str(target))


@contextmanager
def _exclusive(target: Path) -> Iterator[None]:
    """One run at a time per output: a second one would interleave the same partial results."""
    lock = target.with_name(target.name + ".lock")
    try:
        handle = lock.open("w")
    except OSError as exc:
        raise InputError(f"{target}: the output cannot be written there ({exc.strerror or exc})") from exc
    with handle as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise InputError(f"{target}: another redflags run is writing this output") from exc
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _recover(partial: Path) -> tuple[int, Stats]:
    """Rows already done by a killed run; a last line cut short is dropped."""
    stats = Stats()
    good = 0
    with partial.open("rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                break
            try:
                result = json.loads(line)
            except ValueError:
                break
            stats.add_result(result["status"], result["hits"])
            good += len(line)
    with partial.open("r+b") as fh:
        fh.truncate(good)
    return stats.rows, stats


def _rows(opened: InputFile, skip: int) -> Iterator[Row]:
    for item in opened.rows():
        if item.row <= skip:
            continue
        yield item.row, item.values, item.error


def _screen_into(fh: Any, store: Any, opened: InputFile, options: Options, params: Params,
                 active: dict[str, Any], versions: str, skip: int, stats: Stats,
                 progress: Progress | None, screener: Any, run_id: str, recorder: Any = None) -> None:
    chunks = chunked(_rows(opened, skip), options.chunk)
    if options.engine == "dask":
        if options.scheduler is None:
            raise InputError("--engine dask needs --scheduler tcp://HOST:PORT (a running Dask scheduler)")
        results = run_dask(options.scheduler, store.url, versions, params, chunks)
    elif options.engine == "local":
        from redflags.screen.api import screener_for

        workers = options.workers or os.cpu_count() or 1
        results = run_local(screener or screener_for(store), params, chunks, workers)
    else:
        raise InputError(f"unknown engine {options.engine!r}; local or dask")
    noted = time.monotonic()
    for data, chunk_stats in results:
        if recorder is not None:
            # recorded before written: a run killed in between finds the rows recorded and replays them
            data, chunk_stats = recorder.record(data)
        fh.write(data)
        stats.merge(chunk_stats)
        if progress is not None:
            progress(stats.rows, opened.total_rows, opened.position(), opened.size)
        if time.monotonic() - noted > PROGRESS_SECONDS:
            # the run record shows how far a running job is (`redflags runs`, GET /screen/{job})
            noted = time.monotonic()
            store.note_progress(run_id, {**stats.to_dict(), "total_rows": opened.total_rows,
                                         "bytes_read": opened.position(), "bytes_total": opened.size})
    fh.flush()
    os.fsync(fh.fileno())


def _render(partial: Path, target: Path, to_stdout: bool, fmt: str, columns: list[str], run: dict[str, Any],
            stdout: Any) -> None:
    if to_stdout:
        out: Any = stdout or sys.stdout
        if fmt == "jsonl":
            write_jsonl(partial, out.buffer if hasattr(out, "buffer") else out)
        elif fmt == "csv":
            write_csv(partial, out, columns)
        elif fmt == "html":
            write_html(partial, out, columns, run)
        else:
            data = target.with_name("results.xlsx")
            write_xlsx(partial, data, columns, run)
            (out.buffer if hasattr(out, "buffer") else out).write(data.read_bytes())
        out.flush()
        return
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if fmt == "jsonl":
            os.replace(partial, temp)
        elif fmt == "xlsx":
            write_xlsx(partial, temp, columns, run)
        else:
            with temp.open("w", encoding="utf-8", newline="") as fh:
                (write_csv if fmt == "csv" else write_html)(partial, fh, columns, *([run] if fmt == "html" else []))
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


__all__ = ["Options", "RunResult", "screen_file"]
