"""From a list change to the watched parties it could concern: the portfolio's own index.

The watched parties of a portfolio are indexed like a list (``portfolio_index``: built once per
state of the portfolio, when it is watched or synced, kept on disk and mapped). A changed listed
record is then looked up in it by the keys (words, pinyin, glosses, sounds, identifiers) that
would retrieve the record in a screening, and every party retrieved is scored against the record
the way a screening scores, with the lists' word weights (a word common in the lists says little,
however rare among the vendors). The parties that score near the threshold are the ones a
re-screen looks at; the re-screen itself is the usual screening, so this decides who is looked
at, never what a hit scores.
"""

import hashlib
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from redflags import settings
from redflags.store import tables as t

log = logging.getLogger(__name__)

REVERSE_LIMIT = 2000
"""Watched parties one changed record retrieves (and screens); four times more, up to
``REVERSE_MOST``, while most of them are kept (a name thousands of vendors share)."""
REVERSE_MOST = 128_000
REVERSE_MARGIN = 0.2
"""How far below the alert threshold a party's score against a changed record (scored from the
record's side) may be for the party still to be re-screened: the two directions differ a little
(which names are aligned, which side's country or birth date is known)."""
SCREEN_FLOOR = 50
"""Below this character closeness (0-100) to every name of the record, word for word or without
spaces, a retrieved party is not worth scoring."""
SCORED_MOST = 30
"""Parties scored per changed record, the closest first (a common word retrieves thousands; a
screening scores the 5 closest of its candidates); more only while they keep scoring."""
RUN_OF_MISSES = 10
"""Beyond ``SCORED_MOST``, scoring stops after this many closest parties in a row score too little."""
SAME_NAME = 90
"""At this closeness or more, a party's name is the record's but for a letter or a word's place:
re-screened without being scored first (every vendor called "Brightstar", however many)."""
SCORED_ALWAYS = 10
"""The best-retrieved parties are scored whatever their closeness (as a screening scores its
best candidates)."""
PAIRS = 3
"""Record names aligned with each party name: the closest at character level."""


def state_key(store: Any, portfolio: str) -> str:
    """What the portfolio's index is built from, in one aggregate: which parties are watched
    (their count, the sum of their ids and a second checksum of them, so that a retirement and
    an addition do not cancel out), when one was last added, and when one's screened properties last
    changed or were purged; and the matcher."""
    from redflags.index.persist import matcher_version

    w, p = t.watched, t.parties
    with store.engine.connect() as conn:
        state = conn.execute(
            sa.select(sa.func.count(), sa.func.sum(p.c.id), sa.func.sum((p.c.id % 65521) * (p.c.id % 65537)),
                      sa.func.max(w.c.added_at), sa.func.max(p.c.updated_at), sa.func.max(p.c.purged_at))
            .join(w, w.c.party_id == p.c.id).where(w.c.portfolio == portfolio, w.c.retired_at.is_(None))).one()
    text = "\n".join([portfolio, matcher_version(), *(str(v) for v in state)])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def party_records(store: Any, portfolio: str) -> Iterator[dict[str, Any]]:
    """The watched parties as index records (id ``p<party id>``), streamed from the store."""
    w, p = t.watched, t.parties
    with store.engine.connect() as conn:
        rows = conn.execution_options(yield_per=20_000).execute(
            sa.select(p.c.id, p.c.properties, p.c.key).join(w, w.c.party_id == p.c.id)
            .where(w.c.portfolio == portfolio, w.c.retired_at.is_(None)).order_by(p.c.id))
        for pid, props, key in rows:
            props = props or {}
            names = props.get("names") or []
            if not names:
                continue
            yield {"id": f"p{pid}", "dataset": "portfolio", "schema": props.get("schema") or "LegalEntity",
                   "caption": names[0], "lists": [], "sanctions": [], "identifiers": [], "source_id": key,
                   "properties": {"name": names, "country": [c.lower() for c in props.get("countries") or []],
                                  "birthDate": props.get("birth_dates") or [],
                                  "registrationNumber": props.get("identifiers") or []}}


def portfolio_index(store: Any, portfolio: str) -> Any:
    """The index of a portfolio's watched parties, opened from disk, or built and kept there
    (one per portfolio: the index of an earlier state is dropped)."""
    from redflags.index.blocker import Index
    from redflags.index.build import build
    from redflags.index.segment import Damaged, Segment

    key = state_key(store, portfolio)
    root = settings.HOME / "portfolio-index"
    folder = root / key
    try:
        return Index(Segment.open(folder))
    except Damaged:
        pass
    start = time.perf_counter()
    segment = build(party_records(store, portfolio), workers=os.cpu_count() or 1, keep_common=True)
    tmp = root / f".build-{key}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    segment.write(tmp)
    (tmp / "portfolio").write_text(portfolio, encoding="utf-8")
    try:
        os.rename(tmp, folder)
    except OSError:  # another process wrote the same state first
        shutil.rmtree(tmp, ignore_errors=True)
    for old in root.iterdir():
        if old.is_dir() and old.name != key and not old.name.startswith(".") and _owner(old) == portfolio:
            shutil.rmtree(old, ignore_errors=True)
    log.info("index of the watched parties of %s built in %.1f s", portfolio, time.perf_counter() - start)
    return Index(Segment.open(folder))


def drop_index(portfolio: str) -> None:
    root = settings.HOME / "portfolio-index"
    if root.is_dir():
        for old in root.iterdir():
            if old.is_dir() and _owner(old) == portfolio:
                shutil.rmtree(old, ignore_errors=True)


def _owner(folder: Path) -> str | None:
    try:
        return (folder / "portfolio").read_text(encoding="utf-8")
    except OSError:
        return None


def concerned(index: Any, records: list[dict[str, Any]], lists: Any, threshold: float) -> set[int]:
    """The party ids (of the portfolio's ``index``) that changed ``records`` could concern:
    retrieved for a record's names and identifiers, except by keys too common in the lists'
    index (``lists``) to retrieve anything in a screening (a key common in the portfolio still
    counts: every vendor called "Brightstar" is looked at when a Brightstar is listed), and
    scoring within ``REVERSE_MARGIN`` of ``threshold`` against the record."""
    from redflags.index.keys import name_keys
    from redflags.screen.screen import make_query

    found: set[int] = set()
    for record in records:
        props = record.get("properties") or {}
        names = [*props.get("name", []), *props.get("alias", []), *props.get("previousName", []),
                 *props.get("weakAlias", [])]
        if not names:
            continue
        identifiers = [i for p in ("registrationNumber", "idNumber", "taxNumber", "leiCode", "imoNumber", "uscCode")
                       for i in props.get(p, [])]
        query = make_query(names[:50], record.get("schema"), identifiers=identifiers)
        if not query.forms:
            continue
        common = lists.common_keys({k for form in query.forms for k in name_keys(form)})
        limit = REVERSE_LIMIT
        while True:
            retrieved = index.candidates(query.forms, query.identifiers, limit=limit, skip=common, grams=False,
                                         typos=True)
            kept = near(index, query, retrieved, lists, threshold - REVERSE_MARGIN)
            # a name thousands of vendors share: as long as most of those retrieved are kept, look further
            if len(retrieved) < limit or len(kept) < limit // 2 or limit >= REVERSE_MOST:
                break
            limit *= 4
        found.update(int(index.entity(number).id[1:]) for number in kept)
    return found


def near(index: Any, query: Any, retrieved: list[tuple[int, float]], lists: Any, floor: float) -> list[int]:
    """Of the ``retrieved`` parties, those scoring at least ``floor`` against the record
    (``query``) with the lists' word weights. Each party's names are first screened at
    character level against the record's (word for word and without spaces, in one C pass);
    only the best-retrieved and the closest of those at ``SCREEN_FLOOR`` or more (``SCORED_MOST``,
    or more while they keep scoring) are aligned word by word, as a screening aligns only its
    closest candidates."""
    import numpy as np
    from rapidfuzz import fuzz, process

    from redflags.match.logic import score

    if not retrieved:
        return []
    starts: list[int] = []
    texts: list[str] = []
    for number, _score in retrieved:
        starts.append(len(texts))
        texts.extend(index.texts(number) or ("",))
    forms = query.forms
    words = process.cdist([form.sorted_text for form in forms], texts, scorer=fuzz.ratio, dtype=np.uint8)
    # the same without spaces: a word one side splits ("SCWorx" -> "scw orx") or glues
    glued = process.cdist(["".join(form.words) for form in forms], [t.replace(" ", "") for t in texts],
                          scorer=fuzz.ratio, dtype=np.uint8)
    per_form = np.maximum.reduceat(np.maximum(words, glued), starts, axis=1)  # forms x parties
    best = per_form.max(axis=0)
    keep = [retrieved[n][0] for n in np.flatnonzero(best >= SAME_NAME).tolist()]
    ranked = [n for n in np.argsort(-best, kind="stable").tolist() if SCREEN_FLOOR <= best[n] < SAME_NAME]
    first = [n for n in range(min(SCORED_ALWAYS, len(retrieved))) if best[n] < SAME_NAME and n not in set(ranked)]
    misses = 0
    for rank, n in enumerate([*first, *ranked]):
        # the closest first, for as long as they keep scoring: beyond the SCORED_MOST first,
        # until RUN_OF_MISSES in a row fail (a thousand vendors named alike are all looked at)
        if rank >= len(first) + SCORED_MOST and misses >= RUN_OF_MISSES:
            break
        cand = index.entity(retrieved[n][0])
        closest = np.argsort(-per_form[:, n], kind="stable")[:PAIRS].tolist()
        pairs = [(forms[f], c_form) for f in closest for _p, c_form in cand.names]
        if score(query, cand, lists.weight, lists.max_idf, pairs).score >= floor:
            keep.append(retrieved[n][0])
            misses = 0
        else:
            misses += 1
    return keep
