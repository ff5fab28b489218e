"""``Screener.match(query)``: the index finds candidates, the match logic scores them."""

import gc
import time
from collections.abc import Iterable
from typing import Any

from followthemoney.types import registry

from redflags.exc import QueryError
from redflags.index.blocker import Candidate, Index, candidate_from_record
from redflags.match import THRESHOLD, Query, score
from redflags.match.features import closeness_all
from redflags.match.logic import NAMES_ALIGNED
from redflags.normalise.chinese import has_han, other_names
from redflags.normalise.names import NameForm, analyse_name
from redflags.normalise.text import readable, sanitise


def make_query(name: str | Iterable[str], schema: str | None = None,
               countries: Iterable[str] = (), identifiers: Iterable[str] = (),
               birth_dates: Iterable[str] = ()) -> Query:
    given = [name] if isinstance(name, str) else list(name)
    names = [n for n in given if n and readable(n)]
    if not names and any(n and n.strip() for n in given):
        shown = ", ".join(repr(n[:60]) for n in given if n)
        raise QueryError(f"no letters or digits in the name ({shown}): nothing to screen")
    cleaned = set()
    for country in countries:
        code = registry.country.clean(country) if country else None
        if code:
            cleaned.add(code)
    query = Query(names=names, schema=schema or None, countries=frozenset(cleaned),
                  identifiers=tuple(i for i in identifiers if i), birth_dates=tuple(birth_dates))
    query.forms = name_forms(names)
    return query


def name_forms(names: list[str]) -> list[NameForm]:
    """Each name's comparable form, and the forms of the other ways it may be meant (a direction
    override ignored rather than undone, look-alike letters as written): see ``normalise.text``."""
    forms = []
    for name in names:
        reading = sanitise(name)
        forms.append(analyse_name(name, reading, query=True))
        forms.extend(analyse_name(name, alternative, query=True) for alternative in reading.alternatives)
        if has_han(reading.text):
            forms.extend(analyse_name(other, query=True) for other in other_names(reading.text))
    return forms


CANDIDATES = 30
"""How many of the best-retrieved candidates are screened per query."""

FULLY_SCORED = 5
"""How many of those, closest at character level, are scored with the full alignment."""


class Screener:
    """An index over the active lists of a store (or over given records)."""

    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        start = time.perf_counter()
        self.index = Index(candidate_from_record(r) for r in records)
        # The index is millions of long-lived objects: keep the cyclic garbage collector
        # from walking them again on every collection while queries run.
        gc.collect()
        gc.freeze()
        self.build_seconds = time.perf_counter() - start

    @classmethod
    def from_store(cls, store: Any, datasets: Iterable[str] | None = None) -> "Screener":
        chosen = list(datasets) if datasets else [None]
        records = (r for ds in chosen for r in store.iter_records(ds))
        return cls(records)

    def match(self, query: Query, limit: int = 5, threshold: float = THRESHOLD,
              candidates: int = CANDIDATES, cutoff: float = 0.0) -> list[dict[str, Any]]:
        """The ``limit`` best hits scoring at least ``cutoff``, best first."""
        found = self.index.candidates(query.forms, query.identifiers, limit=candidates)
        # A C-speed character screen of every name of every candidate picks which
        # candidates, and which of their names, get the full token alignment.
        offsets: list[int] = []
        texts: list[str] = []
        for cand, _r in found:
            offsets.append(len(texts))
            texts.extend(cand.sorted_texts)
        screens = [closeness_all(q_form, texts) for q_form in query.forms]

        def closest(n: int) -> float:
            start, end = offsets[n], offsets[n] + len(found[n][0].sorted_texts)
            return max((max(values[start:end], default=0.0) for values in screens), default=0.0)

        # A Chinese name's default reading says less about which candidates, and which of their
        # names, are close: score more of them.
        readings = any(form.choices for form in query.forms)
        fully = FULLY_SCORED * 2 if readings else FULLY_SCORED
        aligned = NAMES_ALIGNED * (4 if readings else 1) * len(query.forms)
        screen_share = 0.25 if readings else 1.0  # the retrieval, which read every reading, ranks instead
        ranked = sorted(range(len(found)), key=lambda n: -screen_share * closest(n) - found[n][1])[:fully]
        scored = []
        for n in ranked:
            cand, start = found[n][0], offsets[n]
            items = [(values[start + m], q_form, form) for values, q_form in zip(screens, query.forms, strict=True)
                     for m, (_p, form) in enumerate(cand.names)]
            items.sort(key=lambda item: -item[0])
            pairs = [(q_form, form) for _v, q_form, form in items[:aligned]]
            scored.append((score(query, cand, self.index.weight, self.index.max_idf, pairs), cand))
        scored.sort(key=lambda pair: (-pair[0].score, pair[1].id))
        return [hit_dict(cand, result, threshold) for result, cand in scored[:limit] if result.score >= cutoff]


def hit_dict(cand: Candidate, result: Any, threshold: float) -> dict[str, Any]:
    return {
        "id": cand.id, "referents": list(cand.referents), "caption": cand.caption,
        "schema": cand.schema, "datasets": list(cand.datasets), "lists": list(cand.lists),
        "score": round(result.score, 4), "match": result.score >= threshold,
        "matched_name": result.matched_name, "explanation": result.explanation(),
    }


Party = str | dict[str, Any]
"""A name, or FtM properties: ``{"name": [...], "country": [...], "firstName": ...}``."""

_PART_PROPS = ("firstName", "secondName", "middleName", "fatherName", "lastName")


def _properties(party: Party) -> dict[str, list[str]]:
    if isinstance(party, str):
        return {"name": [party]}
    props = {k: [str(x) for x in (v if isinstance(v, list) else [v]) if x] for k, v in party.items()}
    if not any(props.get(p) for p in ("name", "alias")):
        # A person given only by name parts: their full name, in the usual order.
        parts = [props[p][0] for p in _PART_PROPS if props.get(p)]
        if parts:
            props["name"] = [" ".join(parts)]
    return props


def compare(a: Party, b: Party, schema: str | None = None) -> dict[str, Any]:
    """Score party ``a`` as a query against party ``b`` as if it were a listed entity."""
    qa, pb = _properties(a), _properties(b)
    record = {"id": "b", "schema": schema or "LegalEntity", "caption": (pb.get("name") or ["b"])[0],
              "properties": pb, "lists": []}
    screener = Screener([record])
    countries = [*qa.get("country", []), *qa.get("nationality", []), *qa.get("jurisdiction", [])]
    identifiers = [v for p in ("registrationNumber", "idNumber", "taxNumber", "passportNumber")
                   for v in qa.get(p, [])]
    query = make_query([*qa.get("name", []), *qa.get("alias", [])], schema, countries, identifiers,
                       qa.get("birthDate", []))
    result = score(query, screener.index.entities[0], screener.index.weight, screener.index.max_idf)
    return {"score": round(result.score, 4), "match": result.score >= THRESHOLD,
            "explanation": result.explanation()}
