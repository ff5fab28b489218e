"""Match features: one small function each; the docstring is the explanation."""

from redflags.index.candidate import Candidate
from redflags.match.types import FeatureResult, Query, TokenMatch
from redflags.normalise.chinese import place_words
from redflags.normalise.names import STOPWORDS, NameForm, Token


def country_mismatch(query: Query, cand: Candidate) -> FeatureResult | None:
    """Both sides name countries and none is shared."""
    if not query.countries or not cand.countries:
        return None
    if query.countries & cand.countries:
        shared = ", ".join(sorted(query.countries & cand.countries))
        return FeatureResult("country_match", 1.0, 0.0, f"Shared country: {shared}")
    return FeatureResult("country_mismatch", 1.0, 0.0,
                         f"Different countries: {', '.join(sorted(query.countries))} / "
                         f"{', '.join(sorted(cand.countries))}")


def identifier_match(query: Query, cand: Candidate) -> FeatureResult | None:
    """An identifier of the query (registration, tax, passport number...) is on the listing."""
    from redflags.index.keys import normalise_identifier

    shared = {normalise_identifier(i) for i in query.identifiers} & cand.identifiers
    if not shared:
        return None
    return FeatureResult("identifier_match", 1.0, 0.0, f"Shared identifier: {', '.join(sorted(shared))}")


def dob_year_disjoint(query: Query, cand: Candidate) -> FeatureResult | None:
    """Both are people with birth dates, and no birth year is shared."""
    if not query.birth_dates or not cand.birth_dates:
        return None
    q_years = {d[:4] for d in query.birth_dates}
    c_years = {d[:4] for d in cand.birth_dates}
    if q_years & c_years:
        return FeatureResult("dob_year_match", 1.0, 0.0, f"Same birth year: {', '.join(sorted(q_years & c_years))}")
    return FeatureResult("dob_year_disjoint", 1.0, 0.0,
                         f"Different birth years: {', '.join(sorted(q_years))} / {', '.join(sorted(c_years))}")


_PARTY = {"Person": "person", "Company": "org", "Organization": "org", "PublicBody": "org",
          "Vessel": "vessel", "Airplane": "airplane"}


def schema_mismatch(query: Query, cand: Candidate) -> FeatureResult | None:
    """The query is one kind of party (a person, a company) and the listing another."""
    if not query.schema:
        return None
    q_kind, c_kind = _PARTY.get(query.schema), _PARTY.get(cand.schema)
    if q_kind is None or c_kind is None or q_kind == c_kind:
        return None
    if {q_kind, c_kind} <= {"org", "vessel", "airplane"} and "org" in (q_kind, c_kind):
        return None
    return FeatureResult("schema_mismatch", 1.0, 0.0, f"{query.schema} query, {cand.schema} listing")


def _places(form: NameForm, places: frozenset[str]) -> set[str]:
    return {t.text for t in form.core if t.source == "place" or t.text in places}


def place_mismatch(query_form: NameForm, listed: NameForm, tokens: list[TokenMatch]) -> FeatureResult | None:
    """Both names name a place (a city, prefecture or province) and no place of one met a place
    of the other: 北京市公安局 is not the Xinjiang bureau. A place named on one side only is weak
    evidence, and is weighed in the name score instead."""
    places = place_words()
    q_places = _places(query_form, places)
    if not q_places:
        return None
    c_places = _places(listed, places)
    if not q_places or not c_places:
        return None
    for t in tokens:
        # a place of either name met anything: the place is named on both sides (a token
        # alignment pairs single words; a joined match compares the whole names)
        if t.listed is not None and (set(t.query.split()) & q_places or set(t.listed.split()) & c_places):
            return None
    return FeatureResult("place_mismatch", 1.0, 0.0,
                         f"Different places: {', '.join(sorted(q_places))} / {', '.join(sorted(c_places))}")


INSTITUTIONS = frozenset({"university", "college", "polytechnic"})
"""Heads of names of places of learning, whose other words make a different one: Tianjin
University is not the Tianjin University of Science and Technology."""


def institution_mismatch(query_form: NameForm, listed: NameForm, tokens: list[TokenMatch]) -> FeatureResult | None:
    """Both names are of the same kind of institution (a university, an academy...) and one
    names it more narrowly: a word of one, not a place, meets nothing in the other, while every
    word of the other is met."""
    shared = {t.query for t in tokens if t.listed is not None and t.query in INSTITUTIONS}
    if not shared:
        return None
    places = place_words()

    def telling(token: Token) -> bool:
        return (token.text not in STOPWORDS and token.source not in ("acronym", "place") and len(token.text) > 1
                and token.text not in places and not token.text.isdigit())

    met_query = {t.query for t in tokens if t.listed is not None}
    met_listed = {w for t in tokens if t.listed is not None for w in t.listed.split()}
    q_extra = [t.text for t in query_form.core if telling(t) and t.text not in met_query]
    c_extra = [t.text for t in listed.core if telling(t) and t.text not in met_listed]
    if bool(q_extra) == bool(c_extra):
        return None
    extra = q_extra or c_extra
    return FeatureResult("institution_mismatch", 1.0, 0.0,
                         f"Another {'/'.join(sorted(shared))}: only one name says {' '.join(extra)}")


_ORDINAL_WORDS = {word: str(n) for n, word in enumerate(
    ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
     "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
     "twentieth"), start=1)}


def number_of(word: str) -> str:
    """A word's number: "704" -> "704", "second" -> "2"; "" for a word that is none."""
    return word if word.isdigit() else _ORDINAL_WORDS.get(word, "")


def number_mismatch(query_form: NameForm, listed: NameForm) -> FeatureResult | None:
    """Both names carry numbers and share none: the 2nd Academy is not the 3rd (nor the Second),
    CETC 29 not CETC 38 (nomenklatura's logic-v2 has the same feature)."""
    q_numbers = {number_of(t.text) for t in query_form.core} - {""}
    if not q_numbers:
        return None
    c_numbers = {number_of(t.text) for t in listed.core} - {""}
    if not c_numbers or q_numbers & c_numbers:
        return None
    return FeatureResult("number_mismatch", 1.0, 0.0,
                         f"Different numbers: {', '.join(sorted(q_numbers))} / {', '.join(sorted(c_numbers))}")


def legal_form_mismatch(query_form: NameForm, listed: NameForm) -> FeatureResult | None:
    """Both names carry legal forms and they differ (a weak signal: forms get dropped)."""
    if not query_form.legal_forms or not listed.legal_forms:
        return None
    if set(query_form.legal_forms) & set(listed.legal_forms):
        return FeatureResult("legal_form_match", 1.0, 0.0, f"Same legal form: {'/'.join(query_form.legal_forms)}")
    return FeatureResult("legal_form_mismatch", 1.0, 0.0,
                         f"Legal forms {'/'.join(query_form.legal_forms)} vs {'/'.join(listed.legal_forms)}")
