"""Bounds on what a ZIP container (a zipped list, an XLSX workbook) may expand to.

A ZIP declares each member's compressed and uncompressed size. A member that expands far
more than real data does (a 518 KB workbook with 204 MB of shared strings), or members
that together pass ``REDFLAGS_MAX_UNCOMPRESSED_BYTES``, are refused before anything is
decompressed. Real lists and vendor workbooks expand about 3 to 15 times.
"""

import zipfile
from pathlib import Path

from redflags import settings
from redflags.exc import RedflagsError

RATIO_FROM_BYTES = 10 * 1024**2
"""Members smaller than this expand harmlessly, whatever their ratio."""


def check_members(zf: zipfile.ZipFile, name: str, error: type[RedflagsError]) -> list[zipfile.ZipInfo]:
    """The archive's files, after refusing (with ``error``) any sign of a decompression bomb."""
    members = [m for m in zf.infolist() if not m.is_dir()]
    total = 0
    for m in members:
        total += m.file_size
        ratio = m.file_size / max(m.compress_size, 1)
        if ratio > settings.MAX_COMPRESSION_RATIO and m.file_size > RATIO_FROM_BYTES:
            raise error(f"{name}: part {m.filename!r} expands {ratio:.0f}x ({m.compress_size:,} -> "
                        f"{m.file_size:,} bytes); refusing a likely decompression bomb "
                        "(REDFLAGS_MAX_COMPRESSION_RATIO)")
    if total > settings.MAX_UNCOMPRESSED_BYTES:
        raise error(f"{name}: the archive declares {total:,} uncompressed bytes, over the "
                    f"{settings.MAX_UNCOMPRESSED_BYTES:,} limit (REDFLAGS_MAX_UNCOMPRESSED_BYTES); refusing a "
                    "likely decompression bomb")
    return members


def check_xlsx(path: Path, name: str, error: type[RedflagsError]) -> None:
    """Refuse a workbook whose parts would expand like a bomb, before openpyxl reads it."""
    try:
        with zipfile.ZipFile(path) as zf:
            check_members(zf, name, error)
    except zipfile.BadZipFile as exc:
        raise error(f"{name}: not a readable XLSX workbook (damaged ZIP: {exc})") from exc
