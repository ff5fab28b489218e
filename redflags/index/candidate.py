"""What the scorer needs of one listed party, and its stored form in the index.

A party is stored as one ``marshal`` payload of plain tuples and strings (its names as their
tokens, not as text to analyse again), read back only for the few candidates a query scores.
"""

import marshal
from dataclasses import dataclass
from typing import Any, NamedTuple

from redflags.index.keys import COUNTRY_PROPS, NAME_PROPS, identifiers_of
from redflags.normalise.names import Choice, NameForm, Token, analyse_name, build_form, shared_token


class RecordFacts(NamedTuple):
    """What one source record of a merged party says, for the explanation of a hit on it."""

    id: str
    dataset: str
    lists: tuple[str, ...]
    caption: str
    names: frozenset[str]
    countries: frozenset[str]
    identifiers: frozenset[str]
    birth_dates: tuple[str, ...]

    @classmethod
    def of(cls, data: dict[str, Any]) -> "RecordFacts":
        props = data.get("properties", {})
        return cls(data["id"], data.get("dataset", ""), tuple(data.get("lists", [])), data.get("caption", ""),
                   frozenset(v for p in NAME_PROPS for v in props.get(p, [])),
                   frozenset(c for p in COUNTRY_PROPS for c in props.get(p, [])), identifiers_of(data),
                   tuple(props.get("birthDate", [])))


@dataclass(slots=True)
class Candidate:
    """What the scorer needs of one listed party."""

    id: str
    schema: str
    caption: str
    datasets: tuple[str, ...]
    lists: tuple[str, ...]
    names: list[tuple[str, NameForm]]  # (property, analysed name)
    countries: frozenset[str]
    identifiers: frozenset[str]
    birth_dates: tuple[str, ...]
    referents: tuple[str, ...] = ()
    """The ids of every source record of the party (the party's own id among them)."""
    sorted_texts: tuple[str, ...] = ()
    """Each name's ``sorted_text``, in ``names`` order: what the character screen reads."""
    records: tuple[RecordFacts, ...] = ()
    """The source records of a party merged from more than one (empty otherwise)."""
    topics: tuple[str, ...] = ()
    dates: tuple[str | None, str | None, str | None] = (None, None, None)
    """First seen, last seen, last changed (yente's ``first_seen``, ``last_seen``, ``last_change``)."""


def candidate_from_record(data: dict[str, Any], records: tuple[RecordFacts, ...] = (),
                          dates: tuple[str | None, str | None, str | None] = (None, None, None)) -> Candidate:
    """A candidate from a stored record, or from the merged record of a party (``records``: what
    each of its source records says)."""
    props = data.get("properties", {})
    names = [(prop, analyse_name(value)) for prop in NAME_PROPS for value in props.get(prop, [])]
    countries = {c for prop in COUNTRY_PROPS for c in props.get(prop, [])}
    return Candidate(
        id=data["id"], schema=data["schema"], caption=data.get("caption", data["id"]),
        datasets=tuple(data.get("datasets") or (data.get("dataset", ""),)), lists=tuple(data.get("lists", [])),
        names=names, countries=frozenset(countries), identifiers=identifiers_of(data),
        birth_dates=tuple(props.get("birthDate", [])), referents=tuple(data.get("referents") or (data["id"],)),
        sorted_texts=tuple(form.sorted_text for _p, form in names), records=records,
        topics=tuple(props.get("topics", [])), dates=dates,
    )


# --- the stored form ------------------------------------------------------------------

def encode(cand: Candidate) -> bytes:
    """The candidate as one payload: its tokens once each, names as positions in them."""
    table: dict[int, int] = {}
    tokens: list[tuple[str, str, str, str, str]] = []

    def ref(tok: Token) -> int:
        at = table.get(id(tok))
        if at is None:
            at = table[id(tok)] = len(tokens)
            tokens.append((tok.text, tok.source, tok.original, tok.written, tok.note))
        return at

    def alternatives(choice: Choice) -> tuple[Any, ...]:
        return tuple(tuple(tuple(tuple(ref(t) for t in alt) for alt in part) for part in option)
                     for option in choice.options)

    names = tuple((prop, form.original, tuple(ref(t) for t in form.tokens), form.legal_forms, form.changes,
                   tuple((c.start, c.size, alternatives(c)) for c in form.choices), tuple(sorted(form.alt_words)))
                  for prop, form in cand.names)
    return marshal.dumps((cand.id, cand.schema, cand.caption, cand.datasets, cand.lists, tuple(sorted(cand.countries)),
                          tuple(sorted(cand.identifiers)), cand.birth_dates, cand.referents, cand.topics, cand.dates,
                          tuple(_plain(r) for r in cand.records), tuple(tokens), names))


def _plain(facts: RecordFacts) -> tuple[Any, ...]:
    """Sets as sorted tuples: the same party makes the same bytes in every process."""
    return tuple(tuple(sorted(v)) if isinstance(v, frozenset) else v for v in facts)


def decode(payload: bytes, sorted_texts: tuple[str, ...]) -> Candidate:
    (id_, schema, caption, datasets, lists, countries, identifiers, birth_dates, referents, topics, dates,
     records, table, names) = marshal.loads(payload)
    tokens = [shared_token(*t) for t in table]
    forms = []
    for prop, original, refs, legal, changes, choices, alt_words in names:
        made = tuple(Choice(start, size, tuple(tuple(tuple(tuple(tokens[i] for i in alt) for alt in part)
                                                     for part in option) for option in options))
                     for start, size, options in choices)
        forms.append((prop, build_form(original, tuple(tokens[i] for i in refs), legal, changes, made,
                                       frozenset(alt_words))))
    facts = tuple(RecordFacts(r[0], r[1], r[2], r[3], frozenset(r[4]), frozenset(r[5]), frozenset(r[6]), r[7])
                  for r in records)
    return Candidate(id_, schema, caption, datasets, lists, forms, frozenset(countries), frozenset(identifiers),
                     birth_dates, referents, sorted_texts, facts, topics, dates)
