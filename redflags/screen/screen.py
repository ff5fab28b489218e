"""``Screener.match(query)``: the index finds candidates, the match logic scores them."""

import time
from collections.abc import Iterable
from typing import Any

from redflags.exc import QueryError
from redflags.index import Candidate, Index, build_index
from redflags.match import THRESHOLD, Query, score
from redflags.match.align import closeness_all
from redflags.match.features import number_of
from redflags.match.logic import NAMES_ALIGNED
from redflags.normalise.chinese import has_han, other_names
from redflags.normalise.names import NameForm, analyse_name
from redflags.normalise.text import readable, sanitise


def make_query(name: str | Iterable[str], schema: str | None = None,
               countries: Iterable[str] = (), identifiers: Iterable[str] = (),
               birth_dates: Iterable[str] = (), on: str | None = None) -> Query:
    given = [name] if isinstance(name, str) else list(name)
    names = [n for n in given if n and readable(n)]
    if not names and any(n and n.strip() for n in given):
        shown = ", ".join(repr(n[:60]) for n in given if n)
        raise QueryError(f"no letters or digits in the name ({shown}): nothing to screen")
    cleaned = set()
    for country in countries:
        code = _country(country) if country else None
        if code:
            cleaned.add(code)
    query = Query(names=names, schema=schema or None, countries=frozenset(cleaned),
                  identifiers=tuple(i for i in identifiers if i), birth_dates=tuple(birth_dates), on=transaction_day(on))
    query.forms = name_forms(names)
    return query


def transaction_day(value: Any) -> str | None:
    """A transaction date (``YYYY-MM-DD``, or a longer ISO timestamp) for judging linked parties."""
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise QueryError(f"not a date (YYYY-MM-DD): {text[:40]!r}") from None


def _country(text: str) -> str | None:
    """FollowTheMoney's country code for a country name or code (what its country type cleans
    to), read from rigour's territories without loading the whole data model."""
    from rigour.territories import lookup_territory

    territory = lookup_territory(text)
    return territory.ftm_country if territory is not None else None


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
    """Matching against an index: of a store's active lists (``from_store``, mapped from disk),
    or of given records (built in memory)."""

    def __init__(self, source: Index | Iterable[dict[str, Any]], weights: Index | None = None,
                 links: Iterable[Any] | None = None, link_index: Index | None = None) -> None:
        """``weights``: the index whose word weights score (default: this one); ``links``: the
        linked parties to report beside the direct hits (default: none)."""
        start = time.perf_counter()
        self.index = source if isinstance(source, Index) else build_index(source)
        self.weights = weights or self.index
        self._links = None if links is None else list(links)
        self._link_index = link_index
        self._linker: Any = None
        self.build_seconds = time.perf_counter() - start

    @property
    def linker(self) -> Any:
        """The ``LinkScreener`` of this screener's links, built on first use (None: no links)."""
        if self._linker is None and self._links:
            from redflags.links import LinkScreener

            self._linker = LinkScreener(self._links, self, self._link_index)
        return self._linker

    @classmethod
    def linking(cls, index: Index) -> "Screener":
        """A screener of ``index`` that reports linked parties: the index's own and the curated."""
        from redflags.links import link_index, links_of

        return cls(index, links=links_of(index.segment.meta), link_index=link_index(index))

    @classmethod
    def from_store(cls, store: Any, key: str | None = None) -> "Screener":
        """The screener of the store's active lists (their index built first if need be)."""
        from redflags.index.persist import open_index

        return cls.linking(open_index(store, key))

    def match(self, query: Query, limit: int = 5, threshold: float = THRESHOLD,
              candidates: int = CANDIDATES, cutoff: float = 0.0, fully: int | None = None,
              linked: bool = True, floor: float = 0.0) -> list[dict[str, Any]]:
        """The ``limit`` best hits scoring at least ``cutoff``, best first; ``fully``: how many
        of the closest candidates are aligned word by word (default ``FULLY_SCORED``, twice
        that for a Chinese name). Then, with ``linked`` and links, the linked-party hits
        (``kind: linked``, see ``redflags.links``) after the direct ones (``kind: direct``).
        ``floor``: candidates none of whose names come this close at character level (0-100) are
        not scored at all (a small index retrieves nearly everything)."""
        index = self.index
        found = index.candidates(query.forms, query.identifiers, limit=candidates)
        # A C-speed character screen of every name of every candidate picks which
        # candidates, and which of their names, get the full token alignment.
        offsets: list[int] = []
        sizes: list[int] = []
        texts: list[str] = []
        for number, _r in found:
            names = index.texts(number)
            offsets.append(len(texts))
            sizes.append(len(names))
            texts.extend(names)
        screens = [closeness_all(q_form, texts) for q_form in query.forms]

        def closest(n: int) -> float:
            start, end = offsets[n], offsets[n] + sizes[n]
            return max((max(values[start:end], default=0.0) for values in screens), default=0.0)

        # A Chinese name's default reading says less about which candidates, and which of their
        # names, are close: score more of them.
        readings = any(form.choices for form in query.forms)
        fully = fully or (FULLY_SCORED * 2 if readings else FULLY_SCORED)
        aligned = NAMES_ALIGNED * (4 if readings else 1) * len(query.forms)
        screen_share = 0.25 if readings else 1.0  # the retrieval, which read every reading, ranks instead
        clash = _number_clash(query, [texts[offsets[n]:offsets[n] + sizes[n]] for n in range(len(found))])
        ranked = sorted(range(len(found)),
                        key=lambda n: (clash[n], -screen_share * closest(n) - found[n][1]))[:fully]
        if floor:
            ranked = [n for n in ranked if closest(n) >= floor]
        scored = []
        for n in ranked:
            cand, start = index.entity(found[n][0]), offsets[n]
            items = [(values[start + m], q_form, form) for values, q_form in zip(screens, query.forms, strict=True)
                     for m, (_p, form) in enumerate(cand.names)]
            items.sort(key=lambda item: -item[0])
            pairs = [(q_form, form) for _v, q_form, form in items[:aligned]]
            scored.append((score(query, cand, self.weights.weight, self.weights.max_idf, pairs), cand))
        scored.sort(key=lambda pair: (-pair[0].score, pair[1].id))
        hits = [hit_dict(cand, result, threshold, query) for result, cand in scored[:limit] if result.score >= cutoff]
        if linked and self.linker is not None:
            hits.extend(self.linker.match(query, threshold, limit))
        return hits


def _number_clash(query: Query, names: list[list[str]]) -> list[bool]:
    """Per candidate (the sorted texts of its names), whether its names carry numbers and none is
    one of the query's: among a state group's numbered institutes the query's number picks which
    to score ("第三研究院" among the dozens of "CASIC ... Academy" entries)."""
    wanted = {n for form in query.forms for w in (*form.words, *form.alt_words) if (n := number_of(w))}
    if not wanted:
        return [False] * len(names)
    out = []
    for texts in names:
        listed = {n for text in texts for w in text.split() if (n := number_of(w))}
        out.append(bool(listed) and not listed & wanted)
    return out


def hit_dict(cand: Candidate, result: Any, threshold: float, query: Query | None = None) -> dict[str, Any]:
    explanation = result.explanation()
    if cand.records:
        explanation["records"] = record_facts(cand, result, query)
        sources = ", ".join(f"{r['id']} ({r['dataset']})" for r in explanation["records"])
        explanation["summary"] += f" | one party, {len(cand.records)} records: {sources}"
    return {
        "kind": "direct", "id": cand.id, "referents": list(cand.referents), "caption": cand.caption,
        "schema": cand.schema, "datasets": list(cand.datasets), "lists": list(cand.lists),
        "score": round(result.score, 4), "match": result.score >= threshold,
        "matched_name": result.matched_name, "explanation": explanation,
    }


def record_facts(cand: Candidate, result: Any, query: Query | None) -> list[dict[str, Any]]:
    """Which source record of a merged party says what the hit rests on: the matched name, the
    shared countries, identifiers and birth years."""
    from redflags.index.keys import normalise_identifier

    countries = query.countries if query else frozenset()
    identifiers = {normalise_identifier(i) for i in query.identifiers} if query else set()
    years = {d[:4] for d in query.birth_dates} if query else set()
    out = []
    for record in cand.records:
        facts = []
        if result.matched_name in record.names:
            facts.append(f"name {result.matched_name!r}")
        facts.extend(f"country {c}" for c in sorted(countries & record.countries))
        facts.extend(f"identifier {i}" for i in sorted(identifiers & record.identifiers))
        facts.extend(f"birth year {y}" for y in sorted(years & {d[:4] for d in record.birth_dates}))
        out.append({"id": record.id, "dataset": record.dataset, "lists": list(record.lists),
                    "caption": record.caption, "facts": facts})
    return out


def status_of(hits: Iterable[dict[str, Any]]) -> str:
    """``alert`` when a direct hit is at the threshold, else ``linked`` when a linked-party hit is,
    else ``clear``: a linked party never raises a direct alert."""
    kinds = {h.get("kind", "direct") for h in hits if h["match"]}
    return "alert" if "direct" in kinds else "linked" if "linked" in kinds else "clear"


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
    result = score(query, screener.index.entity(0), screener.index.weight, screener.index.max_idf)
    return {"score": round(result.score, 4), "match": result.score >= THRESHOLD,
            "explanation": result.explanation()}
