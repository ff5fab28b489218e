"""The index on disk: built once per set of list versions and matcher version, then mapped;
never used stale, damaged or half-written; built once when two processes ask at once."""

import logging
import multiprocessing as mp
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from redflags import ingest
from redflags.index import build_index, persist
from redflags.index.persist import index_key, index_root, open_index
from redflags.index.segment import Damaged, Segment
from redflags.screen.screen import Screener, make_query

QUERIES = ["Hikvision", "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.", "海康威视", "Abbud al-Zumar",
           "Banco Nacional de Cuba", "Aerocaribbean"]


@pytest.fixture
def loaded(store: Any, fixture_path: Any) -> Any:
    for rel in ("us_csl/good.csv", "ofac_cons/cons_prim.csv", "ofac_csv/sdn.csv", "un_sc/good.xml"):
        ingest.load(store, [fixture_path(rel)], force=True)
    return store


def answers(screener: Screener) -> list[list[tuple[str, float, tuple[str, ...]]]]:
    return [[(h["id"], h["score"], tuple(h["referents"])) for h in screener.match(make_query(q), limit=5)]
            for q in QUERIES]


def builds(caplog: pytest.LogCaptureFixture) -> int:
    return sum("building the screening index" in r.getMessage() for r in caplog.records)


def test_built_once_then_mapped(loaded: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "redflags.index")
    first = open_index(loaded)
    assert builds(caplog) == 1
    folder = index_root() / index_key(loaded)
    assert (folder / "manifest.json").is_file()
    again = open_index(loaded)
    assert builds(caplog) == 1  # mapped, not built
    assert isinstance(again.segment.arrays["postings"], np.memmap)
    in_memory = Screener(build_index(loaded.iter_records(), loaded.judgements(), loaded.change_dates()))
    assert answers(Screener(first)) == answers(Screener(again)) == answers(in_memory)
    assert answers(in_memory)[0], "the fixture lists have Hikvision"


def test_new_list_version_or_matcher_means_another_index(loaded: Any, fixture_path: Any,
                                                        caplog: pytest.LogCaptureFixture,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.INFO, "redflags.index")
    before = index_key(loaded)
    open_index(loaded)
    ingest.load(loaded, [fixture_path("ofac_cons/cons_prim.csv")], force=True)
    assert index_key(loaded) != before
    open_index(loaded)
    assert builds(caplog) == 2
    monkeypatch.setattr(persist, "matcher_version", lambda: "another matcher")
    assert index_key(loaded) not in (before,)
    open_index(loaded)
    assert builds(caplog) == 3


@pytest.mark.parametrize("damage", ["truncate", "flip", "manifest", "garbage-manifest", "missing-file"])
def test_damaged_index_is_rebuilt_with_a_notice(loaded: Any, damage: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "redflags.index")
    expected = answers(Screener(open_index(loaded)))
    folder = index_root() / index_key(loaded)
    blob = folder / "party_blob.npy"
    if damage == "truncate":
        with open(blob, "r+b") as fh:
            fh.truncate(blob.stat().st_size // 2)
    elif damage == "flip":
        data = bytearray(blob.read_bytes())
        data[len(data) // 2] ^= 0xFF
        blob.write_bytes(bytes(data))
    elif damage == "manifest":  # a build that never finished
        (folder / "manifest.json").unlink()
    elif damage == "garbage-manifest":
        (folder / "manifest.json").write_bytes(os.urandom(64))
    else:
        (folder / "postings.npy").unlink()
    with pytest.raises(Damaged):
        Segment.open(folder)
    rebuilt = open_index(loaded)
    assert builds(caplog) == 2
    if damage != "manifest":  # a directory never finished is just not there yet: no warning
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "damaged" in warnings[0] and "rebuilding" in warnings[0]
    assert answers(Screener(rebuilt)) == expected
    Segment.open(folder)  # intact again


def test_inconsistent_arrays_are_refused(loaded: Any) -> None:
    open_index(loaded)
    folder = index_root() / index_key(loaded)
    segment = Segment.open(folder)
    arrays = dict(segment.arrays)
    arrays["party_off"] = np.array([0, 10**9], dtype=np.int64)
    with pytest.raises(Damaged):
        Segment(arrays, segment.meta).check()


def _open_in_child(url: str) -> tuple[bool, list[Any]]:
    from redflags.store import open_store

    seen: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = logging.getLogger("redflags.index")
    logger.addHandler(Catch())
    logger.setLevel(logging.INFO)
    store = open_store(url)
    try:
        index = open_index(store)
        return any("building" in m for m in seen), answers(Screener(index))
    finally:
        store.close()


def test_two_processes_build_it_once(loaded: Any) -> None:
    if "fork" not in mp.get_all_start_methods():
        pytest.skip("needs fork")
    with mp.get_context("fork").Pool(2) as pool:
        results = pool.map(_open_in_child, [loaded.url, loaded.url])
    assert sorted(built for built, _a in results) == [False, True]
    assert results[0][1] == results[1][1]
    root = index_root()
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []  # no half-built directory left
    Segment.open(root / index_key(loaded))


def test_old_indexes_are_cleaned_up(loaded: Any, fixture_path: Any) -> None:
    for _ in range(persist.KEEP + 2):
        ingest.load(loaded, [fixture_path("ofac_cons/cons_prim.csv")], force=True)
        open_index(loaded)
    kept = [p for p in index_root().iterdir() if p.is_dir()]
    assert len(kept) == persist.KEEP
    assert (index_root() / index_key(loaded)) in kept


def test_match_command_answers_from_the_built_index(loaded: Any, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from redflags.cli import main

    runner = CliRunner()
    first = runner.invoke(main, ["--db", loaded.url, "match", "Hikvision", "--json"])
    assert first.exit_code == 0, first.output
    (index_root() / index_key(loaded) / "manifest.json").touch()
    second = runner.invoke(main, ["--db", loaded.url, "match", "Hikvision", "--json"])
    assert second.output == first.output and "us_ofac_cons-30946" in second.output
