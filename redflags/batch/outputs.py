"""Writing results: JSON lines as made, then CSV, XLSX or an HTML report from them.

Every format has one result per input row, in input order. CSV and XLSX carry the input
columns and, beside them, the status, the best hit, its score, lists and explanation.
"""

import csv
import re
import shutil
from collections.abc import Iterable, Iterator
from html import escape
from pathlib import Path
from typing import IO, Any

import orjson
from markupsafe import Markup

OUTPUT_FORMATS = ("jsonl", "csv", "xlsx", "html")
RESULT_COLUMNS = ("status", "score", "best_match", "best_match_id", "best_match_schema", "lists",
                  "explanation", "hits", "error", "review", "linked", "linked_rules")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header
XLSX_MAX_CELL = 32_767
_FORMULA_START = ("=", "+", "@", "\t", "\r")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def format_for(path: str, given: str | None) -> str:
    if given:
        return given
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"ndjson": "jsonl", "json": "jsonl", "htm": "html"}.get(suffix, suffix) \
        if suffix in (*OUTPUT_FORMATS, "ndjson", "json", "htm") else "jsonl"


def read_results(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as fh:
        for line in fh:
            yield orjson.loads(line)


def result_columns(input_columns: list[str]) -> list[str]:
    """The input columns, then the result columns (prefixed where an input column has the name)."""
    taken = set(input_columns)
    return [*input_columns, *(f"redflags_{c}" if c in taken else c for c in RESULT_COLUMNS)]


def flat_row(result: dict[str, Any], input_columns: list[str]) -> list[Any]:
    values = result.get("input") or {}
    every = result.get("hits") or []
    hits = [h for h in every if h.get("kind", "direct") == "direct"]
    linked = [h for h in every if h.get("kind") == "linked"]
    best = hits[0] if hits else None
    alerting = [h for h in hits if h["match"]]
    lists = sorted({n for h in alerting for n in h["lists"]})
    return [*("" if values.get(c) is None else values.get(c) for c in input_columns),
            result["status"], best["score"] if best else "", best["caption"] if best else "",
            best["id"] if best else "", best["schema"] if best else "", "; ".join(lists),
            best["explanation"]["summary"] if best else "", len(hits), result.get("error") or "",
            review_text(every), *linked_text(linked)]


def linked_text(linked: list[dict[str, Any]]) -> tuple[str, str]:
    """The linked parties of a row (path, and the relation's dates) and the rules that reach them:
    apart from the direct hits, so that a brand of a listed firm never reads as the firm."""
    paths: list[str] = []
    rules: list[str] = []
    for hit in linked:
        link = hit["link"]
        state = "" if hit["match"] else "NOT IN FORCE: "
        paths.append(f"{state}{link['path']} [{hit['score']:.2f}; {link['why']} ({link['date_basis']}); "
                     f"source {link['source']}]")
        rules.extend(f"{r['title']}: {r['status']}, reaches it: {r['reaches']}" for r in link["rules"])
    return " | ".join(paths), " | ".join(dict.fromkeys(rules))


def review_text(hits: list[dict[str, Any]]) -> str:
    """What the review record says of a row's alerts: the decision that suppresses one, what
    changed since the decision for one that needs review, the alert that is open."""
    parts = []
    for hit in hits:
        review = hit.get("review")
        if not hit.get("match") or not review:
            continue
        decision = review.get("decision")
        by = (f" by decision {decision['id']} ({decision['decision']}, {decision['reason']}, {decision['actor']} "
              f"{(decision['at'] or '')[:10]})") if decision else ""
        if review.get("suppressed"):
            parts.append(f"alert {review['alert']} suppressed{by}")
        elif review["status"] == "review_required":
            changed = sorted({f"{c['side']} {c['field']}" for c in review.get("changes") or []})
            parts.append(f"alert {review['alert']} needs review: changed since{by}: {', '.join(changed) or '?'}")
        else:
            parts.append(f"alert {review['alert']} {review['status']}{by}")
    return "; ".join(parts)


def _cell_text(value: Any) -> Any:
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return value


def _csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is written with a leading apostrophe."""
    value = _cell_text(value)
    if isinstance(value, str) and value and (value.startswith(_FORMULA_START) or (
            value[0] == "-" and not _is_number(value))):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def write_csv(results: Path, out: IO[str], input_columns: list[str]) -> None:
    writer = csv.writer(out)
    writer.writerow([_csv_safe(c) for c in result_columns(input_columns)])  # headers come from the input too
    for result in read_results(results):
        writer.writerow([_csv_safe(v) for v in flat_row(result, input_columns)])


def write_jsonl(results: Path, out: IO[bytes]) -> None:
    with results.open("rb") as fh:
        shutil.copyfileobj(fh, out, 1024 * 1024)


def write_xlsx(results: Path, target: Path, input_columns: list[str], run: dict[str, Any]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    header = result_columns(input_columns)
    sheet = None
    count = 0
    part = 0
    def cells(sheet: Any, values: Iterable[Any]) -> list[Any]:
        out = []
        for value in values:
            value = _cell_text(value)
            if isinstance(value, str):
                value = _ILLEGAL_XML.sub("\ufffd", value)
                if len(value) > XLSX_MAX_CELL:
                    value = value[:XLSX_MAX_CELL - 1] + "…"
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            out.append(cell)
        return out

    for result in read_results(results):
        if sheet is None or count >= XLSX_MAX_ROWS:
            part += 1
            sheet = wb.create_sheet("Results" if part == 1 else f"Results {part}")
            sheet.append(cells(sheet, header))
            count = 0
        sheet.append(cells(sheet, flat_row(result, input_columns)))
        count += 1
    if sheet is None:
        sheet = wb.create_sheet("Results")
        sheet.append(cells(sheet, header))
    info = wb.create_sheet("Run")
    for row in _run_rows(run):
        info.append(cells(info, row))
    wb.save(target)


def _run_rows(run: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield "run id", run["id"]
    yield "input", run["input"]
    for key, value in run["input_info"].items():
        if key != "columns":
            yield f"input {key}", str(value)
    yield "started", run["started_at"]
    yield "finished", run.get("finished_at") or ""
    for key, value in run["params"].items():
        yield key, orjson.dumps(value).decode() if isinstance(value, dict | list) else str(value)
    for name, info in run["list_versions"].items():
        yield f"list {name}", (f"version {info['version']}, {info['entities']} entities, data as of "
                               f"{info.get('data_date') or '-'}, loaded {info.get('loaded_at') or '-'}")
    for key, value in (run.get("counts") or {}).items():
        yield f"count {key}", orjson.dumps(value).decode() if isinstance(value, dict | list) else str(value)


# --- HTML report --------------------------------------------------------------------


def highlight(text: str, words: list[str]) -> Markup:
    """``text`` HTML-escaped, with each of ``words`` (case-insensitive) marked."""
    words = sorted({w for w in words if w and w.strip()}, key=len, reverse=True)
    if not words or not text:
        return Markup(escape(text or ""))
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(escape(text[last:m.start()]))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("".join(out))


def matched_words(hit: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The words of the query name and of the listed name that the explanation aligned."""
    q_words, c_words = [], []
    for token in hit["explanation"]["tokens"]:
        if token["listed"] is None:
            continue
        q_words.extend([token.get("query_written") or token["query"], token["query"]])
        c_words.extend([token.get("listed_written") or token["listed"], token["listed"]])
        c_words.extend(token["listed"].split())
    return q_words, c_words


def write_html(results: Path, out: IO[str], input_columns: list[str], run: dict[str, Any]) -> None:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("redflags.batch", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["highlight"] = highlight
    env.globals["matched_words"] = matched_words
    env.globals["review_text"] = review_text
    template = env.get_template("report.html.j2")
    counts = run.get("counts") or {}

    def flagged() -> Iterator[dict[str, Any]]:
        for result in read_results(results):
            if result["status"] != "clear":
                yield result

    histogram = counts.get("score_histogram") or []
    peak = max(histogram or [1]) or 1
    for chunk in template.generate(run=run, counts=counts, columns=input_columns, results=flagged(),
                                   histogram=histogram, peak=peak, bins=len(histogram) or 1):
        out.write(chunk)
