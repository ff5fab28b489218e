"""The index as flat arrays: built in memory, written once to a directory, mapped by every
later process (the pages are the operating system's, shared by all the processes that map
them; nothing is unpickled).

Like a Lucene segment, the directory is immutable once written: ``manifest.json`` is written
last and names each file with its size and SHA-256, and the directory is renamed into place
whole. Arrays (each an ``.npy`` file, mapped read-only):

=================  ======  ==========================================================
``key_fp``         u64     key fingerprints, sorted (``keys.fingerprint``)
``key_df``         i32     how many parties hold the key (token weights come from it)
``key_start``      i64     where each key's postings start in ``postings`` (CSR, K + 1)
``postings``       i32     party numbers; none for keys too common to retrieve by
``word_blob/off``  u8/i64  the listed words of four letters or more (typo neighbours)
``shape_fp``       u64     fingerprints of word shapes, (length, first two letters) and
                           (length, last two letters), sorted
``shape_start``    i64     CSR offsets into ``shape_words``
``shape_words``    i32     word numbers of each shape
``party_blob/off`` u8/i64  each party's payload (``candidate.encode``)
``text_blob/off``  u8/i64  each party's names' sorted texts, joined by U+001F
``prop_blob/off``  u8/i64  each party's properties as JSON (what API responses carry)
=================  ======  ==========================================================
"""

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 1
"""The layout's version: a change to the files above changes it."""

ARRAYS = {"key_fp": np.uint64, "key_df": np.int32, "key_start": np.int64, "postings": np.int32,
          "word_blob": np.uint8, "word_off": np.int64, "shape_fp": np.uint64, "shape_start": np.int64,
          "shape_words": np.int32, "party_blob": np.uint8, "party_off": np.int64, "text_blob": np.uint8,
          "text_off": np.int64, "prop_blob": np.uint8, "prop_off": np.int64}

MANIFEST = "manifest.json"


class Damaged(Exception):
    """An index directory that cannot be used as it is: missing, half-written or altered."""


@dataclass
class Segment:
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)
    """``seed`` (of the fingerprints), ``parties``, ``records``, ``merged``: see ``build``."""
    folder: Path | None = None
    """Where it was opened from (what is derived from it, e.g. the scanner's patterns, is kept there too)."""

    def write(self, folder: Path) -> None:
        """Every array to ``folder``, synced, then the manifest: a reader sees all or nothing."""
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for name in ARRAYS:
            path = folder / f"{name}.npy"
            with open(path, "wb") as fh:
                np.save(fh, np.ascontiguousarray(self.arrays[name]), allow_pickle=False)
                fh.flush()
                os.fsync(fh.fileno())
            files[path.name] = _describe(path, _sha256(path))
        manifest = {"format": FORMAT, "meta": self.meta, "files": files}
        tmp = folder / (MANIFEST + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / MANIFEST)

    @classmethod
    def open(cls, folder: Path) -> "Segment":
        """The arrays of ``folder``, mapped; ``Damaged`` says what is wrong with them.

        A file whose size, modification time and inode are those recorded when it was written is
        trusted as it is; any other is read through and checked against its SHA-256 (a file
        rewritten in place, a flipped byte)."""
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            files = manifest["files"]
            if manifest.get("format") != FORMAT or not isinstance(files, dict):
                raise Damaged(f"{folder / MANIFEST}: written by another version of redflags")
        except FileNotFoundError:
            raise Damaged(f"{folder}: no {MANIFEST} (never finished)") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise Damaged(f"{folder / MANIFEST}: unreadable ({exc})") from None
        arrays = {}
        for name, dtype in ARRAYS.items():
            path = folder / f"{name}.npy"
            expected = files.get(path.name)
            if not isinstance(expected, dict):
                raise Damaged(f"{path}: not in the manifest")
            try:
                stat = path.stat()
            except OSError as exc:
                raise Damaged(f"{path}: {exc.strerror}") from None
            if stat.st_size != expected.get("size"):
                raise Damaged(f"{path}: {stat.st_size:,} bytes, {expected.get('size')} expected (truncated?)")
            if [stat.st_mtime_ns, stat.st_ino] != expected.get("stamp") and _sha256(path) != expected.get("sha256"):
                raise Damaged(f"{path}: its contents changed after it was written (checksum mismatch)")
            try:
                array = np.load(path, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise Damaged(f"{path}: unreadable ({exc})") from None
            if array.dtype != np.dtype(dtype) or array.ndim != 1:
                raise Damaged(f"{path}: {array.dtype}[{array.ndim}] instead of {np.dtype(dtype)}[1]")
            arrays[name] = array
        segment = cls(arrays, manifest.get("meta") or {}, folder)
        segment.check()
        return segment

    def check(self) -> None:
        """The arrays agree with each other (offsets within their blobs, postings within the
        parties): cheap tests at the ends, so that a wrong file cannot index out of range."""
        a = self.arrays
        parties = len(a["party_off"]) - 1
        pairs = (("key_start", "postings"), ("word_off", "word_blob"), ("shape_start", "shape_words"),
                 ("party_off", "party_blob"), ("text_off", "text_blob"), ("prop_off", "prop_blob"))
        for offsets, data in pairs:
            off = a[offsets]
            if len(off) == 0 or off[0] != 0 or off[-1] != len(a[data]):
                raise Damaged(f"{offsets} does not cover {data}")
        if len(a["key_start"]) != len(a["key_fp"]) + 1 or len(a["key_df"]) != len(a["key_fp"]):
            raise Damaged("key arrays of different lengths")
        if len(a["shape_start"]) != len(a["shape_fp"]) + 1:
            raise Damaged("shape arrays of different lengths")
        if len(a["text_off"]) != parties + 1 or len(a["prop_off"]) != parties + 1:
            raise Damaged("party arrays of different lengths")
        if parties != self.meta.get("parties"):
            raise Damaged(f"{parties} parties, the manifest says {self.meta.get('parties')}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _describe(path: Path, sha256: str) -> dict[str, Any]:
    stat = path.stat()
    return {"size": stat.st_size, "sha256": sha256, "stamp": [stat.st_mtime_ns, stat.st_ino]}
