"""Document scanning (issue 15) on a labelled development set, against CSL 2022 + UN.

The set: the documents of bench/scan_docs (written for this project in English, Chinese and
German, labelled in labels.yml) and the two articles of ../shared/bench/documents. Printed:

- listed parties found, per (document, party): overall and per language;
- unlisted names flagged: share of the labelled unlisted names a mention overlaps;
- listed parties flagged that no label names (for reading: a listed party the text does mention
  but nobody labelled, or a false alert on a listed name);
- speed: MB of text per second in one process after the index is loaded; a 300-page PDF end to
  end (``redflags scan`` as a user runs it); peak memory scanning 10 MB and 80 MB of text;
- the baseline, in the same run: every capitalised run of words (and every Chinese clause)
  screened with ``match``, a named-entity pass without a model.

    .venv/bin/python bench/scan_dev.py
"""

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from screen_batch import OUT, SHARED, ensure_store, inputs_missing  # noqa: E402

DOCS = HERE / "scan_docs"
LANGS = {"en": "English", "zh": "Chinese", "de": "German"}


def labelled() -> list[tuple[Path, dict[str, Any]]]:
    labels = yaml.safe_load((DOCS / "labels.yml").read_text(encoding="utf-8"))
    items = [(DOCS / name, spec) for name, spec in labels["documents"].items()]
    items += [(SHARED / "bench" / "documents" / name, spec) for name, spec in labels["shared"].items()]
    return [(path, spec) for path, spec in items if path.exists()]


def evaluate(results: dict[Path, dict[str, Any]], items: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    found = total = flagged = unlisted = extra = 0
    per_lang: dict[str, list[int]] = {}
    missed: list[str] = []
    wrong: list[str] = []
    others: list[str] = []
    for path, spec in items:
        result = results[path]
        text = path.read_text(encoding="utf-8")
        lang = path.name[:2] if path.name[:2] in LANGS else "en"
        captions = [p["caption"] for p in result["parties"] if p["match"]]
        labels = spec.get("listed") or {}
        for label, pattern in labels.items():
            hit = any(re.search(pattern, c, re.IGNORECASE) for c in captions)
            found += hit
            total += 1
            per_lang.setdefault(lang, [0, 0])
            per_lang[lang][0] += hit
            per_lang[lang][1] += 1
            if not hit:
                missed.append(f"{path.name}: {label}")
        spans = [(m["start"], m["end"]) for m in result["mentions"]]
        for name in spec.get("unlisted") or []:
            unlisted += 1
            places = [(m.start(), m.end()) for m in re.finditer(re.escape(name), text)]
            if any(s < e2 and s2 < e for s, e in places for s2, e2 in spans):
                flagged += 1
                wrong.append(f"{path.name}: {name}")
        for caption in captions:
            if not any(re.search(p, caption, re.IGNORECASE) for p in labels.values()):
                extra += 1
                others.append(f"{path.name}: {caption}")
    return {"found": found, "total": total, "per_lang": per_lang, "flagged": flagged, "unlisted": unlisted,
            "extra": extra, "missed": missed, "wrong": wrong, "others": others}


def report(name: str, m: dict[str, Any]) -> None:
    langs = ", ".join(f"{LANGS[k]} {v[0] / v[1]:.2f} ({v[0]}/{v[1]})" for k, v in sorted(m["per_lang"].items()))
    print(f"{name}: listed parties found {m['found'] / m['total']:.3f} ({m['found']}/{m['total']}; {langs}); "
          f"unlisted names flagged {m['flagged'] / max(m['unlisted'], 1):.1%} ({m['flagged']}/{m['unlisted']}); "
          f"{m['extra']} listed parties flagged that no label names", flush=True)


class Baseline:
    """Capitalised runs of words, and Chinese clauses, each screened with ``match``."""

    RUN = re.compile(r"(?:[A-Z][\w&'’.-]*(?:\s+(?:of|and|de|für|the)\s+|\s+)?)+")
    CLAUSE = re.compile(r"[\u4e00-\u9fff]{2,30}")

    def __init__(self, screener: Any) -> None:
        self.screener = screener

    def scan(self, text: str) -> dict[str, Any]:
        from redflags.screen.screen import make_query

        mentions, parties = [], {}
        for found in [*self.RUN.finditer(text), *self.CLAUSE.finditer(text)]:
            surface = found.group().strip()
            if len(surface) < 3:
                continue
            try:
                hits = [h for h in self.screener.match(make_query(surface), limit=3) if h["match"]]
            except Exception:  # noqa: BLE001 - nothing readable
                continue
            if hits:
                mentions.append({"start": found.start(), "end": found.end(), "hits": hits})
                for h in hits:
                    parties[h["id"]] = h
        return {"mentions": mentions, "parties": list(parties.values())}


def make_pdf(path: Path, pages: int) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    lines = [line for p, _ in labelled()[:14] for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    c = canvas.Canvas(str(path), pagesize=A4)
    for page in range(pages):
        y = 800
        for n in range(45):
            c.drawString(40, y, lines[(page * 45 + n) % len(lines)][:95])
            y -= 17
        c.showPage()
    c.save()


def peak_rss_kb(args: list[str]) -> tuple[float, int]:
    import resource

    start = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quality-only", action="store_true", help="Skip the speed and memory runs.")
    args = parser.parse_args()
    if inputs_missing():
        return 0
    db = OUT / "bench.db"
    url = ensure_store(db)
    from redflags import settings

    settings.HOME = OUT / "home-scan"
    from redflags.scan import scan_document, scanner
    from redflags.screen.api import screener_for
    from redflags.store import Store

    store = Store(url)
    start = time.perf_counter()
    screener = screener_for(store)
    finder = scanner(screener)
    print(f"index and patterns ready in {time.perf_counter() - start:.1f} s ({finder.patterns.latin_count:,} "
          f"Latin-script and {finder.patterns.han_count:,} Chinese names)", flush=True)
    items = labelled()
    print(f"{len(items)} labelled documents ({sum(1 for p, _ in items if p.parent == DOCS)} written for this set, "
          f"{sum(1 for p, _ in items if p.parent != DOCS)} from ../shared/bench/documents)", flush=True)
    start = time.perf_counter()
    results = {path: scan_document(finder, path)[0] for path, _spec in items}
    ours_s = time.perf_counter() - start
    ours = evaluate(results, items)
    report("redflags scan", ours)
    for line in ours["missed"]:
        print(f"  missed   {line}")
    for line in ours["wrong"]:
        print(f"  flagged  {line}")
    for line in ours["others"]:
        print(f"  also     {line}")
    baseline = Baseline(screener)
    start = time.perf_counter()
    base_results = {path: baseline.scan(path.read_text(encoding="utf-8")) for path, _spec in items}
    base_s = time.perf_counter() - start
    for r in base_results.values():
        r["parties"] = [{**h, "match": True} for h in r["parties"]]
    report("baseline (capitalised runs and Chinese clauses, each matched)", evaluate(base_results, items))
    print(f"time for the set: redflags {ours_s:.2f} s, baseline {base_s:.2f} s", flush=True)
    if args.quality_only:
        return 0

    # speed: text per second after the index is loaded
    corpus = "\n\n".join(p.read_text(encoding="utf-8") for p, _ in items)
    big = OUT / "scan-speed.txt"
    with big.open("w", encoding="utf-8") as fh:
        while fh.tell() < 5 * 2**20:
            fh.write(corpus)
    size = big.stat().st_size
    start = time.perf_counter()
    (result,) = scan_document(finder, big)
    seconds = time.perf_counter() - start
    latin = "".join(p.read_text(encoding="utf-8") for p, _ in items if not p.name.startswith("zh"))
    print(f"speed: {size / 2**20:.1f} MB of the set's text (one process, index loaded) in {seconds:.1f} s = "
          f"{size / 2**20 / seconds:.2f} MB/s, {len(result['mentions']):,} mentions", flush=True)
    (OUT / "scan-speed-latin.txt").write_text(latin * max(1, (5 * 2**20) // max(len(latin.encode()), 1)),
                                              encoding="utf-8")
    start = time.perf_counter()
    (latin_result,) = scan_document(finder, OUT / "scan-speed-latin.txt")
    latin_s = time.perf_counter() - start
    latin_size = (OUT / "scan-speed-latin.txt").stat().st_size
    print(f"speed, Latin-script text only: {latin_size / 2**20:.1f} MB in {latin_s:.1f} s = "
          f"{latin_size / 2**20 / latin_s:.2f} MB/s", flush=True)
    sample = corpus.encode()[: 2**20]
    start = time.perf_counter()
    baseline.scan(sample.decode(errors="ignore"))
    print(f"baseline speed: {len(sample) / 2**20 / (time.perf_counter() - start):.2f} MB/s", flush=True)

    pdf = OUT / "scan-300-pages.pdf"
    if not pdf.exists():
        make_pdf(pdf, 300)
    cli = [str(Path(sys.executable).parent / "redflags"), "--db", url]
    env_home = {"REDFLAGS_HOME": str(settings.HOME)}
    import os

    os.environ.update(env_home)
    seconds, _rss = peak_rss_kb([*cli, "scan", str(pdf), "-o", str(OUT / "scan-300-pages.jsonl")])
    print(f"a 300-page PDF ({pdf.stat().st_size / 2**20:.1f} MB), `redflags scan` end to end: {seconds:.1f} s",
          flush=True)
    # memory: long texts of news-like density (one article naming listed parties in ten)
    clean = (DOCS / "en-12-clean.txt").read_text(encoding="utf-8")
    naming = [p.read_text(encoding="utf-8") for p, _ in items if p.name.startswith("en") and p.name != "en-12-clean.txt"]
    for megabytes in (10, 80):
        path = OUT / f"scan-{megabytes}mb.txt"
        if not path.exists():
            with path.open("w", encoding="utf-8") as fh:
                n = 0
                while fh.tell() < megabytes * 2**20:
                    fh.write(clean * 9 + naming[n % len(naming)])
                    n += 1
        code = ("import resource, sys; from redflags.scan import scan; scan(sys.argv[1], db=sys.argv[2]); "
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code, str(path), url], capture_output=True, text=True, check=False)
        peak = int(done.stdout.strip() or 0) / 1024
        print(f"{megabytes} MB of text (one article in ten names listed parties): peak RSS {peak:.0f} MB, "
              f"{time.perf_counter() - start:.1f} s", flush=True)
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
