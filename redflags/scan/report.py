"""Scan results written out: JSON lines (one document per line), JSON, CSV (one row per mention
and hit) and a self-contained, printable HTML report (each document's text with its mentions
highlighted and linked to their listed party, a table of parties per list, the list versions)."""

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

FORMATS = ("jsonl", "json", "csv", "html")
CSV_COLUMNS = ["document", "page", "start", "end", "text", "party_id", "caption", "lists", "score", "corroborated",
               "context", "error"]


def write(results: Iterable[dict[str, Any]], fmt: str, fh: IO[bytes], versions: dict[str, Any] | None = None) -> int:
    """Write ``results`` as ``fmt``; the number of documents written."""
    count = 0
    if fmt == "jsonl":
        for result in results:
            fh.write(orjson.dumps(_public(result), default=str, option=orjson.OPT_APPEND_NEWLINE))
            count += 1
        return count
    items = list(results)
    if fmt == "json":
        fh.write(orjson.dumps({"versions": versions or {}, "documents": [_public(r) for r in items]}, default=str,
                              option=orjson.OPT_INDENT_2))
    elif fmt == "csv":
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(CSV_COLUMNS)
        for result in items:
            if result["error"] or not result["mentions"]:
                writer.writerow([result["document"], "", "", "", "", "", "", "", "", "", "", result["error"] or ""])
            for mention in result["mentions"]:
                for hit in mention["hits"]:
                    writer.writerow([result["document"], mention["page"] or "", mention["start"], mention["end"],
                                     mention["text"], hit["id"], hit["caption"], "; ".join(hit["lists"]),
                                     hit["score"], "; ".join(mention["corroborated"]), mention["context"], ""])
        fh.write(text.getvalue().encode("utf-8"))
    elif fmt == "html":
        fh.write(html(items, versions or {}).encode("utf-8"))
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return len(items)


def _public(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "text"}


def html(results: list[dict[str, Any]], versions: dict[str, Any]) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    documents = []
    for result in results:
        documents.append({**result, "pieces": _pieces(result.get("text") or "", result["mentions"])})
    by_list: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        for party in result["parties"]:
            for name in party["lists"] or ["(no list name)"]:
                by_list.setdefault(name, []).append({**party, "document": result["document"]})
    return env.get_template("scan.html.j2").render(
        documents=documents, by_list=sorted(by_list.items()), versions=versions,
        generated=datetime.now(UTC).isoformat(timespec="seconds"))


def _pieces(text: str, mentions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text cut into plain pieces and mentions, in order."""
    pieces: list[dict[str, Any]] = []
    at = 0
    for number, mention in enumerate(mentions):
        start, end = mention["start"], mention["end"]
        if start < at or end > len(text):
            continue
        if start > at:
            pieces.append({"text": text[at:start]})
        top = mention["hits"][0] if mention["hits"] else None
        pieces.append({"text": text[start:end], "mention": number, "hit": top})
        at = end
    if at < len(text):
        pieces.append({"text": text[at:]})
    return pieces
