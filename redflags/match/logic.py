"""The scoring logic: features and their weights, on one screen.

score = NAME_WEIGHT * name similarity + the weighted evidence below, clipped to [0, 1].
A perfect name alone gives NAME_WEIGHT (0.9), so 1.0 means "same name and more"
(shared country, identifier, birth year, legal form, a rare name) and scores inside the
same-name band rank by that remaining evidence.
"""

from collections.abc import Callable

from redflags.index.candidate import Candidate
from redflags.match.align import acronym_match, align_tokens, closeness, joined_match, select_readings
from redflags.match.features import (
    country_mismatch,
    dob_year_disjoint,
    identifier_match,
    institution_mismatch,
    legal_form_mismatch,
    number_mismatch,
    place_mismatch,
    schema_mismatch,
)
from redflags.match.types import FeatureResult, MatchResult, Query
from redflags.normalise.names import NameForm

THRESHOLD = 0.73
"""Default alert threshold, chosen on the development queries (bench/match_dev.py, CSL 2022
+ UN): at 0.73 recall is 0.979 and false alerts 0.12 %; the nomenklatura logic-v2
reference at its 0.70 gives 0.932 and 1.35 % on the same run."""

NAMES_ALIGNED = 2
"""Of a listed entity's names, how many (closest first) get the full token alignment."""

NAME_WEIGHT = 0.90
WEIGHTS = {
    "country_match": 0.03,
    "country_mismatch": -0.12,
    "identifier_match": 0.25,
    "dob_year_match": 0.04,
    "dob_year_disjoint": -0.20,
    "schema_mismatch": -0.35,
    "legal_form_match": 0.02,
    "legal_form_mismatch": -0.04,
    "place_mismatch": -0.15,
    "institution_mismatch": -0.15,
    "number_mismatch": -0.15,
    "rare_name": 0.03,
}


def shortlist(query: Query, cand: Candidate) -> list[tuple[NameForm, NameForm]]:
    """The (query name, listed name) pairs worth a full alignment: of a listed entity's
    names, the ``NAMES_ALIGNED`` closest at character level to each query name."""
    pairs: list[tuple[NameForm, NameForm]] = []
    for q_form in query.forms:
        names = [form for _prop, form in cand.names]
        if len(names) > NAMES_ALIGNED:
            names = sorted(names, key=lambda f: -closeness(q_form, f))[:NAMES_ALIGNED]
        pairs.extend((q_form, c_form) for c_form in names)
    return pairs


def score(query: Query, cand: Candidate, weight: Callable[[str], float], max_weight: float,
          pairs: list[tuple[NameForm, NameForm]] | None = None) -> MatchResult:
    """Score one listed entity against the query; ``pairs`` as from ``shortlist``."""
    best = None
    people = "Person" in (query.schema, cand.schema)  # no brand names among people's names
    for q_given, c_given in (shortlist(query, cand) if pairs is None else pairs):
        # Chinese names: each segment read the way that meets the other name (glosses, aliases, pinyin)
        q_form = select_readings(q_given, c_given, weight, people) if q_given.choices else q_given
        c_form = select_readings(c_given, q_form, weight, people) if c_given.choices else c_given
        name_score, tokens = align_tokens(q_form, c_form, weight, people)
        if name_score < 0.95:
            for other in (joined_match(q_form, c_form), acronym_match(q_given, c_given)):
                if other is not None and other[0] > name_score:
                    name_score, tokens = other[0], [other[1]]
        if best is None or name_score > best[0]:
            best = (name_score, tokens, q_form, c_form)
    if best is None:
        return MatchResult(0.0, "", query.names[0] if query.names else "", [], [])
    name_score, tokens, q_form, c_form = best
    features: list[FeatureResult] = [
        FeatureResult("name", name_score, NAME_WEIGHT * name_score,
                      f"Names align at {name_score:.2f}")]
    for func in (country_mismatch, identifier_match, dob_year_disjoint, schema_mismatch):
        result = func(query, cand)
        if result is not None:
            features.append(result)
    for found in (legal_form_mismatch(q_form, c_form), place_mismatch(q_form, c_form, tokens),
                  institution_mismatch(q_form, c_form, tokens), number_mismatch(q_form, c_form)):
        if found is not None:
            features.append(found)
    if name_score >= 0.99 and tokens:
        rarity = min(1.0, sum(t.weight for t in tokens) / (max_weight * 1.5))
        features.append(FeatureResult("rare_name", rarity, 0.0, f"Name rarity {rarity:.2f}"))
    total = 0.0
    for feat in features:
        if feat.name != "name":
            feat.contribution = WEIGHTS[feat.name] * feat.score
        total += feat.contribution
    return MatchResult(max(0.0, min(1.0, total)), c_form.original, q_form.original, tokens, features,
                       q_form.changes)
